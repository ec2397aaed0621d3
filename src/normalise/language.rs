//! Language tags as Bulletin compares them: the primary language of a BCP 47 tag (`en-CA`
//! and `EN` are `en`), with the ISO 639-2 codes Canada.ca's metadata writes (`eng`, `fra`)
//! read as their two-letter forms. What a document declares is kept as written elsewhere;
//! this is what pairs versions and picks the reader's.

/// The primary language of `tag`, lower case; `None` for an empty or unreadable tag.
pub fn code(tag: &str) -> Option<String> {
    let primary = tag
        .trim()
        .split(['-', '_'])
        .next()
        .unwrap_or_default()
        .to_ascii_lowercase();
    if !(2..=3).contains(&primary.len()) || !primary.chars().all(|c| c.is_ascii_alphabetic()) {
        return None;
    }
    Some(match primary.as_str() {
        "eng" => "en".to_string(),
        "fra" | "fre" => "fr".to_string(),
        _ => primary,
    })
}

/// Whether two tags name the same language (both must be readable).
pub fn same(a: &str, b: &str) -> bool {
    matches!((code(a), code(b)), (Some(a), Some(b)) if a == b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn primary_languages() {
        assert_eq!(code("en-CA").as_deref(), Some("en"));
        assert_eq!(code("FR").as_deref(), Some("fr"));
        assert_eq!(code("fra").as_deref(), Some("fr"));
        assert_eq!(code("eng").as_deref(), Some("en"));
        assert_eq!(code("fr_CA").as_deref(), Some("fr"));
        assert_eq!(code(""), None);
        assert_eq!(code("x-default"), None);
        assert_eq!(code("12"), None);
        assert!(same("en-GB", "en"));
        assert!(!same("en", ""));
    }
}
