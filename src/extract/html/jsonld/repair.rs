//! Repairs of JSON-LD script text into what serde_json reads. Nothing here parses JSON: each
//! repair is a lexical pass that only tracks whether it is inside a string.
//!
//! - [`python_json`]: what Python's `json.loads(text, strict=False)` accepts and serde_json
//!   does not — raw control characters inside strings (MEC writes raw newlines and tabs)
//!   and the `NaN`/`Infinity` literals — brought to standard JSON (`\u000a`, `null`).
//! - [`leading_comment_line`] and [`strip_comments`]: extruct's fallback for a script that
//!   does not parse: one leading `// …` or single-line `<!-- … -->` removed, then
//!   jstyleson's comment and trailing-comma removal, ported with its quirks (a `/` followed
//!   by anything but `/` or `*` swallows that character; a `//` comment not ended by a
//!   newline stays), so `/*<![CDATA[*/ … /*]]>*/` and trailing commas read as extruct reads
//!   them.
//! - [`unwrap_markup`]: Bulletin's own last resort, for what extruct 0.18 gives up on: a
//!   block wrapped in `<!--` … `-->` over several lines, or in a bare `<![CDATA[` … `]]>`.

use std::sync::LazyLock;

use regex::Regex;

/// Raw control characters in strings escaped; `NaN`, `Infinity`, `-Infinity` outside
/// strings made `null` (no event rule reads a number).
pub fn python_json(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut in_string = false;
    let mut escaped = false;
    let mut rest = text;
    while let Some(c) = rest.chars().next() {
        let width = c.len_utf8();
        if in_string {
            if escaped {
                escaped = false;
                out.push(c);
            } else if c == '\\' {
                escaped = true;
                out.push(c);
            } else if c == '"' {
                in_string = false;
                out.push(c);
            } else if (c as u32) < 0x20 {
                out.push_str(&format!("\\u{:04x}", c as u32));
            } else {
                out.push(c);
            }
            rest = &rest[width..];
            continue;
        }
        if c == '"' {
            in_string = true;
        }
        let boundary = !out.ends_with(|p: char| p.is_ascii_alphanumeric() || p == '_');
        let literal = ["-Infinity", "Infinity", "NaN"]
            .into_iter()
            .find(|l| boundary && rest.starts_with(l));
        match literal {
            Some(l) => {
                out.push_str("null");
                rest = &rest[l.len()..];
            }
            None => {
                out.push(c);
                rest = &rest[width..];
            }
        }
    }
    out
}

static COMMENT_LINE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^\s*(//.*|<!--.*-->)").expect("static regex"));

/// extruct's `HTML_OR_JS_COMMENTLINE.sub("", text)`: one leading `//` line or one-line
/// `<!-- … -->` removed.
pub fn leading_comment_line(text: &str) -> String {
    COMMENT_LINE.replace(text, "").into_owned()
}

/// jstyleson's `dispose`: `//` and `/* */` comments and commas before `}` or `]` removed.
pub fn strip_comments(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    // Each character, or None once removed.
    let mut out: Vec<Option<char>> = chars.iter().copied().map(Some).collect();
    let (mut escaped, mut normal, mut quoted) = (false, true, false);
    let (mut single_line, mut multi_line) = (false, false);
    let (mut step_into, mut step_out) = (false, false);
    let mut comment_start = 0usize;
    for (index, &c) in chars.iter().enumerate() {
        if escaped {
            escaped = false;
            continue;
        }
        if step_into && c != '/' && c != '*' {
            step_into = false;
            normal = true;
            continue;
        }
        match c {
            '"' => {
                if normal {
                    quoted = true;
                    normal = false;
                } else if quoted {
                    quoted = false;
                    normal = true;
                }
            }
            '\\' if normal || quoted => escaped = true,
            '/' => {
                if step_into {
                    step_into = false;
                    single_line = true;
                    normal = false;
                    comment_start = index.saturating_sub(1);
                } else if step_out {
                    step_out = false;
                    normal = true;
                    multi_line = false;
                    out[comment_start..=index]
                        .iter_mut()
                        .for_each(|c| *c = None);
                } else if normal {
                    step_into = true;
                    normal = false;
                }
            }
            '*' => {
                if step_into {
                    step_into = false;
                    multi_line = true;
                    normal = false;
                    comment_start = index.saturating_sub(1);
                } else if multi_line {
                    step_out = true;
                }
            }
            '\n' if single_line => {
                single_line = false;
                normal = true;
                out[comment_start..=index]
                    .iter_mut()
                    .for_each(|c| *c = None);
            }
            ']' | '}' if normal => remove_last_comma(&mut out, index),
            _ => {}
        }
    }
    out.into_iter().flatten().collect()
}

/// jstyleson's `_remove_last_comma`: the first character before `before` that is neither
/// removed nor white space is dropped if it is a comma (Python's negative indexes wrap).
fn remove_last_comma(out: &mut [Option<char>], before: usize) {
    let len = out.len() as isize;
    let mut i = before as isize - 1;
    for _ in 0..out.len() {
        let at = i.rem_euclid(len) as usize;
        match out[at] {
            Some(c) if !super::super::text::is_py_space(c) => {
                if c == ',' {
                    out[at] = None;
                }
                return;
            }
            _ => i -= 1,
        }
    }
}

/// A block wrapped whole in `<!--` … `-->` or `<![CDATA[` … `]]>` (possibly inside
/// `//` or `/* */` comments, which [`strip_comments`] removes afterwards).
pub fn unwrap_markup(text: &str) -> Option<String> {
    let inner = text.trim();
    for (open, close) in [("<!--", "-->"), ("<![CDATA[", "]]>")] {
        if let Some(rest) = inner.strip_prefix(open) {
            return Some(rest.strip_suffix(close).unwrap_or(rest).to_string());
        }
    }
    let cdata = inner.find("<![CDATA[")?;
    let end = inner.rfind("]]>")?;
    (end > cdata).then(|| {
        format!(
            "{}{}{}",
            &inner[..cdata],
            &inner[cdata + "<![CDATA[".len()..end],
            &inner[end + "]]>".len()..]
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn python_literals_and_raw_control_characters() {
        assert_eq!(
            python_json("{\"a\": \"x\ny\", \"b\": NaN, \"c\": [-Infinity], \"NaN\": 1}"),
            "{\"a\": \"x\\u000ay\", \"b\": null, \"c\": [null], \"NaN\": 1}"
        );
    }

    #[test]
    fn jstyleson_comments_and_commas() {
        assert_eq!(
            strip_comments("/*<![CDATA[*/ {\"a\": [1, 2,], // c\n \"b\": \"//x\",} /*]]>*/"),
            " {\"a\": [1, 2],  \"b\": \"//x\"} "
        );
        // A `//` comment at the very end, without a newline, stays.
        assert_eq!(strip_comments("{} // end"), "{} // end");
        assert_eq!(leading_comment_line("  // a\n{}"), "\n{}");
        assert_eq!(leading_comment_line("<!-- a -->{}"), "{}");
    }

    #[test]
    fn markup_wrappers() {
        assert_eq!(
            unwrap_markup("\n<!--\n{}\n-->\n").as_deref(),
            Some("\n{}\n")
        );
        assert_eq!(unwrap_markup("<![CDATA[{}]]>").as_deref(), Some("{}"));
        assert_eq!(unwrap_markup("{}"), None);
    }
}
