//! Text helpers the syntaxes share: Python's idea of white space (the reference readers'
//! `str.strip`, `\s`), and HTML character references decoded once, as Python's
//! `html.unescape` does, for JSON-LD strings (which are raw script text).

use scraper::Html;

/// Python's `str.isspace`: Unicode White_Space plus the four information separators
/// U+001C..U+001F.
pub fn is_py_space(c: char) -> bool {
    c.is_whitespace() || ('\u{1c}'..='\u{1f}').contains(&c)
}

/// Python's `str.strip()`.
pub fn py_strip(text: &str) -> &str {
    text.trim_matches(is_py_space)
}

/// Python's `re.sub(r"\s+", " ", text)`.
pub fn py_collapse(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut in_space = false;
    for c in text.chars() {
        if is_py_space(c) {
            if !in_space {
                out.push(' ');
            }
            in_space = true;
        } else {
            out.push(c);
            in_space = false;
        }
    }
    out
}

/// HTML character references decoded once (`&eacute;`, `&#8211;`, `&#038;`, `&amp`);
/// any `<` stays text. html5ever's tokenizer does the decoding.
pub fn unescape(text: &str) -> String {
    if !text.contains('&') {
        return text.to_string();
    }
    let fragment = Html::parse_fragment(&text.replace('<', "&lt;"));
    fragment.root_element().text().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn python_white_space_and_entities() {
        assert_eq!(py_strip("\u{1f} a\u{a0}"), "a");
        assert_eq!(py_collapse("a \n\t b\u{1c}c"), "a b c");
        assert_eq!(unescape("Caf&eacute; &#8211; &#038; <b>"), "Café – & <b>");
        assert_eq!(unescape("Q&amp;A"), "Q&A");
    }
}
