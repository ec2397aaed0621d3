//! Markup shared by every stage that meets HTML: the [`TextBody`] a feed or page gives,
//! its [`plain_text`], and the [`shape`] check every HTML document and fragment passes
//! before a tree is built from it (so nesting a page 200,000 elements deep costs one
//! linear scan and a named error, not minutes of a core). A leaf module: it depends on
//! no other stage.

pub mod shape;

use std::borrow::Cow;

use scraper::Html;

pub use shape::TooComplex;

/// A text body and whether it is HTML.
#[derive(Debug, Clone, PartialEq)]
pub struct TextBody {
    pub text: String,
    pub is_html: bool,
}

/// The text of a title or summary with tags removed and whitespace collapsed; markup too
/// complex to read gives no text.
pub fn plain_text(body: &TextBody) -> String {
    try_plain_text(body).unwrap_or_default()
}

/// [`plain_text`], saying why when the markup is too complex to read.
pub fn try_plain_text(body: &TextBody) -> Result<String, TooComplex> {
    let text: Cow<str> = if body.is_html {
        shape::check_fragment(&body.text)?;
        let fragment = Html::parse_fragment(&body.text);
        Cow::Owned(fragment.root_element().text().collect::<String>())
    } else if body.text.contains('&') {
        // Plain text with character references: decode them, but keep any `<` as text.
        let fragment = Html::parse_fragment(&body.text.replace('<', "&lt;"));
        Cow::Owned(fragment.root_element().text().collect::<String>())
    } else {
        Cow::Borrowed(&body.text)
    };
    Ok(text.split_whitespace().collect::<Vec<_>>().join(" "))
}

/// Escapes text for use inside HTML elements and quoted attributes.
pub fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn titles_lose_markup_and_keep_entities() {
        let t = TextBody {
            text: "  <b>Caf&eacute;</b>   &amp; talk ".into(),
            is_html: true,
        };
        assert_eq!(plain_text(&t), "Café & talk");
        let plain = TextBody {
            text: "a < b &amp; c".into(),
            is_html: false,
        };
        assert_eq!(plain_text(&plain), "a < b & c");
    }
}
