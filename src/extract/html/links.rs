//! Links as the reference readers resolve them (Python's `urljoin`): an empty value is the
//! base itself, a value with a scheme stays exactly as written (`https://schema.org` keeps
//! no trailing slash), and a relative one is joined to the base by the url crate.

use url::Url;

/// `value` resolved against `base`.
pub fn join(base: &str, value: &str) -> String {
    if value.is_empty() {
        return base.to_string();
    }
    if has_scheme(value) {
        return value.to_string();
    }
    Url::parse(base)
        .and_then(|b| b.join(value))
        .map(String::from)
        .unwrap_or_else(|_| value.to_string())
}

/// Whether `value` starts with a URL scheme (`urlsplit`'s rule: a letter, then letters,
/// digits, `+`, `-` or `.`, then `:`).
pub fn has_scheme(value: &str) -> bool {
    let Some((scheme, _)) = value.split_once(':') else {
        return false;
    };
    let mut chars = scheme.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn joins_like_urljoin() {
        let base = "https://ex.gc.ca/en/events/index.html";
        assert_eq!(join(base, ""), base);
        assert_eq!(join(base, "https://schema.org"), "https://schema.org");
        assert_eq!(join(base, "mailto:a@b.c"), "mailto:a@b.c");
        assert_eq!(join(base, "#forum"), format!("{base}#forum"));
        assert_eq!(join(base, "../fr/"), "https://ex.gc.ca/en/fr/");
        assert_eq!(join(base, "/x?y=1"), "https://ex.gc.ca/x?y=1");
        assert!(!has_scheme("/a:b"));
        assert!(!has_scheme("1a:b"));
    }
}
