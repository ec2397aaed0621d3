//! A feed's bytes to text, deciding the encoding as RFC 7303 and feedparser do: a
//! byte-order mark first (or UTF-16 without one, from its first bytes); then, for XML
//! media types and files without a media type, the HTTP charset, else the XML
//! declaration's `encoding`, else UTF-8; for `text/*` media types, the HTTP charset,
//! else (RFC 3023's US-ASCII, which real feeds break) UTF-8 then windows-1252. A
//! declared encoding that the bytes are not valid in falls back to UTF-8, then
//! windows-1252, with a warning — the feed is read, not lost. Every WHATWG encoding is
//! known (encoding_rs); labels are matched as browsers match them.
//!
//! The XML declaration is then rewritten to say UTF-8, so the XML reader that follows
//! reads the text as it now is.

use encoding_rs::{Encoding, UTF_8, UTF_16BE, UTF_16LE, WINDOWS_1252};

/// A feed decoded.
#[derive(Debug)]
pub struct Decoded {
    /// The text, its XML declaration (if any) saying UTF-8.
    pub text: String,
    pub encoding: &'static Encoding,
    /// The feed was declared ISO-8859-1 (read, as browsers read it, as windows-1252).
    pub latin1: bool,
    pub warnings: Vec<String>,
}

/// Decodes `body`, served as `content_type` (`None` for a file or a server that named no
/// type).
pub fn decode(body: &[u8], content_type: Option<&str>) -> Decoded {
    let mut warnings = Vec::new();
    let (media, charset) = media_type(content_type);
    let (encoding, skip) = match Encoding::for_bom(body) {
        Some((encoding, bom)) => (Some(encoding), bom),
        None => (utf16_without_bom(body), 0),
    };
    let body = &body[skip..];
    let declared = declaration_encoding(body);
    let latin1_label = |label: &str| {
        let label = label.trim().to_ascii_lowercase();
        Encoding::for_label(label.as_bytes()) == Some(WINDOWS_1252)
            && !matches!(label.as_str(), "windows-1252" | "cp1252" | "x-cp1252")
    };
    let latin1 = charset.as_deref().map_or_else(
        || declared.as_deref().is_some_and(latin1_label),
        latin1_label,
    );
    let chosen = encoding.or_else(|| {
        let http = charset
            .as_deref()
            .and_then(|c| Encoding::for_label(c.as_bytes()));
        if charset.is_some() && http.is_none() {
            warnings.push(format!(
                "the server's charset `{}` is not an encoding; read by the feed's own declaration",
                charset.as_deref().unwrap_or_default()
            ));
        }
        let text_media = media.as_deref().is_some_and(|m| m.starts_with("text/"));
        match (http, text_media) {
            (Some(http), _) => Some(http),
            (None, false) => declared.and_then(|d| {
                let found = Encoding::for_label(d.as_bytes());
                if found.is_none() {
                    warnings.push(format!(
                        "the declared encoding `{d}` is not known; read as UTF-8"
                    ));
                }
                found
            }),
            (None, true) => None,
        }
    });
    let first = chosen.unwrap_or(UTF_8);
    // UTF-16 is read as declared; an ASCII-compatible encoding the bytes break falls back.
    let (text, used) = match first.decode_without_bom_handling_and_without_replacement(body) {
        Some(text) => (text.into_owned(), first),
        None => {
            let fallback = [UTF_8, WINDOWS_1252]
                .into_iter()
                .filter(|e| *e != first)
                .find_map(|e| {
                    e.decode_without_bom_handling_and_without_replacement(body)
                        .map(|t| (t.into_owned(), e))
                });
            match fallback {
                Some((text, used)) => {
                    if chosen.is_some() {
                        warnings.push(format!(
                            "the feed is not valid {} as declared; read as {}",
                            first.name(),
                            used.name()
                        ));
                    }
                    (text, used)
                }
                None => {
                    let (text, _) = first.decode_without_bom_handling(body);
                    warnings.push(format!(
                        "the feed is not valid {}; unreadable characters were replaced",
                        first.name()
                    ));
                    (text.into_owned(), first)
                }
            }
        }
    };
    Decoded {
        text: say_utf8(text),
        encoding: used,
        latin1: latin1 && used == WINDOWS_1252,
        warnings,
    }
}

/// The media type (lower case) and its charset parameter.
fn media_type(content_type: Option<&str>) -> (Option<String>, Option<String>) {
    let Some(content_type) = content_type else {
        return (None, None);
    };
    let mut parts = content_type.split(';');
    let media = parts
        .next()
        .map(|m| m.trim().to_ascii_lowercase())
        .filter(|m| !m.is_empty());
    let charset = parts.find_map(|p| {
        let (key, value) = p.split_once('=')?;
        key.trim()
            .eq_ignore_ascii_case("charset")
            .then(|| value.trim().trim_matches(['"', '\'']).to_string())
            .filter(|v| !v.is_empty())
    });
    (media, charset)
}

/// UTF-16 without a byte-order mark, known by how `<?` or `<` is written.
fn utf16_without_bom(body: &[u8]) -> Option<&'static Encoding> {
    match body {
        [0x3C, 0x00, _, 0x00, ..] => Some(UTF_16LE),
        [0x00, 0x3C, 0x00, _, ..] => Some(UTF_16BE),
        _ => None,
    }
}

/// The `encoding` of an XML declaration at the start of ASCII-compatible bytes.
fn declaration_encoding(body: &[u8]) -> Option<String> {
    let head = &body[..body.len().min(512)];
    let head: String = head.iter().map(|&b| b as char).collect();
    let head = head.trim_start();
    let declaration = head.strip_prefix("<?xml")?;
    let end = declaration.find("?>")?;
    let declaration = &declaration[..end];
    let at = declaration.find("encoding")?;
    let rest = declaration[at + "encoding".len()..]
        .trim_start()
        .strip_prefix('=')?;
    let rest = rest.trim_start();
    let quote = rest.chars().next().filter(|c| *c == '"' || *c == '\'')?;
    let value = &rest[1..];
    let value = &value[..value.find(quote)?];
    Some(value.trim().to_string()).filter(|v| !v.is_empty())
}

/// The text with its XML declaration's encoding (if any) replaced by UTF-8, and any
/// leading byte-order mark removed.
fn say_utf8(text: String) -> String {
    let text = match text.strip_prefix('\u{feff}') {
        Some(rest) => rest.to_string(),
        None => text,
    };
    let leading = text.len() - text.trim_start().len();
    let rest = &text[leading..];
    if !rest.starts_with("<?xml") {
        return text;
    }
    let Some(end) = rest.find("?>") else {
        return text;
    };
    let declaration = &rest[..end];
    let Some(at) = declaration.find("encoding") else {
        return text;
    };
    let after = &declaration[at..];
    let Some(quote_at) = after.find(['"', '\'']) else {
        return text;
    };
    let quote = after.as_bytes()[quote_at] as char;
    let Some(close) = after[quote_at + 1..].find(quote) else {
        return text;
    };
    let value_start = leading + at + quote_at + 1;
    let value_end = value_start + close;
    format!("{}utf-8{}", &text[..value_start], &text[value_end..])
}

#[cfg(test)]
mod tests {
    use super::*;

    const FRENCH_1252: &[u8] =
        b"<?xml version=\"1.0\" encoding=\"windows-1252\"?><rss><title>\x80 \x9c \x93ok\x94 \xab\xbb</title></rss>";

    #[test]
    fn the_declaration_decides_for_xml_media_types() {
        let decoded = decode(FRENCH_1252, Some("application/rss+xml"));
        assert_eq!(decoded.encoding, WINDOWS_1252);
        assert!(decoded.text.contains("€ œ “ok” «»"), "{}", decoded.text);
        assert!(
            decoded
                .text
                .starts_with("<?xml version=\"1.0\" encoding=\"utf-8\"?>")
        );
        assert!(decoded.warnings.is_empty());
        let file = decode(FRENCH_1252, None);
        assert_eq!(file.encoding, WINDOWS_1252);
    }

    #[test]
    fn the_http_charset_wins_and_a_wrong_one_falls_back() {
        let utf8 = "<?xml version=\"1.0\" encoding=\"iso-8859-1\"?><rss>Café</rss>".as_bytes();
        let decoded = decode(utf8, Some("application/xml; charset=UTF-8"));
        assert!(decoded.text.contains("Café"));
        let wrong = decode(FRENCH_1252, Some("text/xml; charset=utf-8"));
        assert_eq!(wrong.encoding, WINDOWS_1252);
        assert!(wrong.text.contains('€'));
        assert_eq!(wrong.warnings.len(), 1, "{:?}", wrong.warnings);
        // text/* without a charset ignores the declaration (RFC 3023) but reads the bytes.
        let text_xml = decode(
            "<?xml version=\"1.0\" encoding=\"koi8-r\"?><a>é</a>".as_bytes(),
            Some("text/xml"),
        );
        assert!(text_xml.text.contains('é'));
    }

    #[test]
    fn byte_order_marks_and_utf16_without_one() {
        let mut le = vec![0xFF, 0xFE];
        for unit in "<rss>é</rss>".encode_utf16() {
            le.extend(unit.to_le_bytes());
        }
        assert_eq!(
            decode(&le, Some("text/xml; charset=iso-8859-1")).text,
            "<rss>é</rss>"
        );
        let be: Vec<u8> = "<?xml version=\"1.0\" encoding=\"utf-16\"?><rss>é</rss>"
            .encode_utf16()
            .flat_map(|u| u.to_be_bytes())
            .collect();
        let decoded = decode(&be, None);
        assert_eq!(decoded.encoding, UTF_16BE);
        assert!(decoded.text.ends_with("<rss>é</rss>"));
        assert!(decoded.text.contains("encoding=\"utf-8\""));
    }

    #[test]
    fn legacy_encodings_by_their_labels() {
        for (label, bytes, expected) in [
            ("koi8-r", &b"\xf0\xd2\xc9\xd7\xc5\xd4"[..], "Привет"),
            ("shift_jis", &b"\x93\xfa\x96\x7b"[..], "日本"),
            ("euc-kr", &b"\xc7\xd1\xb1\xb9"[..], "한국"),
            ("big5", &b"\xa4\xa4\xa4\xe5"[..], "中文"),
            ("gb18030", &b"\xd6\xd0\xce\xc4"[..], "中文"),
            ("macintosh", &b"\x8e"[..], "é"),
            ("ibm866", &b"\xa0"[..], "а"),
        ] {
            let mut body = format!("<?xml version=\"1.0\" encoding=\"{label}\"?><t>").into_bytes();
            body.extend_from_slice(bytes);
            body.extend_from_slice(b"</t>");
            let decoded = decode(&body, Some("application/xml"));
            assert!(decoded.text.contains(expected), "{label}: {}", decoded.text);
        }
    }
}
