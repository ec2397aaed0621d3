//! How deep a document nests, bounded before any recursive reader sees it. feed-rs
//! builds its element tree recursively and serde_json recurses once per array or object,
//! so a hostile document nested 100,000 levels deep would cost the stack, or give a
//! parser's raw message. XML depth is counted by the feed's [`super::feed`] survey (one
//! linear pass of quick-xml's reader); JSON depth by [`json`], one pass over the bytes.
//! Past either bound the document is refused with a [`TooDeep`] that says how deep it
//! went and how deep Bulletin reads.

/// Feed elements may nest at most this deep (as HTML's bound, `markup::shape`).
pub const MAX_XML_DEPTH: usize = 512;
/// JSON arrays and objects may nest at most this deep: serde_json refuses a 128th level.
pub const MAX_JSON_DEPTH: usize = 127;

/// A document nested deeper than Bulletin reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TooDeep {
    #[error("the feed nests elements {0} deep; at most {MAX_XML_DEPTH} are read")]
    Xml(usize),
    #[error("JSON nested {0} levels deep; at most {MAX_JSON_DEPTH} are read")]
    Json(usize),
}

/// The deepest nesting of arrays and objects in JSON text (brackets inside strings do
/// not count), refused past [`MAX_JSON_DEPTH`]. Lenient: text that is not JSON is
/// measured all the same, and left to the parser to refuse.
pub fn json(text: &str) -> Result<usize, TooDeep> {
    let mut depth = 0usize;
    let mut deepest = 0usize;
    let mut in_string = false;
    let mut escaped = false;
    for byte in text.bytes() {
        if in_string {
            match byte {
                _ if escaped => escaped = false,
                b'\\' => escaped = true,
                b'"' => in_string = false,
                _ => {}
            }
            continue;
        }
        match byte {
            b'"' => in_string = true,
            b'[' | b'{' => {
                depth += 1;
                deepest = deepest.max(depth);
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    if deepest > MAX_JSON_DEPTH {
        Err(TooDeep::Json(deepest))
    } else {
        Ok(deepest)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_depth_counts_brackets_outside_strings() {
        assert_eq!(json(r#"{"a": [1, {"b": "[[[{{{\"]]"}]}"#), Ok(3));
        assert_eq!(json("no json"), Ok(0));
        let deepest_read = format!("{}{}", "[".repeat(127), "]".repeat(127));
        assert_eq!(json(&deepest_read), Ok(127));
        assert!(serde_json::from_str::<serde_json::Value>(&deepest_read).is_ok());
        let refused = format!("{}{}", "[".repeat(128), "]".repeat(128));
        assert!(serde_json::from_str::<serde_json::Value>(&refused).is_err());
        assert_eq!(json(&refused), Err(TooDeep::Json(128)));
        assert_eq!(
            json(&"[".repeat(10_000)).unwrap_err().to_string(),
            "JSON nested 10000 levels deep; at most 127 are read"
        );
    }
}
