//! Real feeds that are not well-formed XML in the two ways that matter most, repaired
//! into what feed-rs reads (only when it refused the feed as written): HTML's named
//! character references (`&eacute;`, `&nbsp;`, which Netscape's RSS 0.91 DTD declared)
//! become numeric ones, and a bare `&` becomes `&amp;`. CDATA sections and comments are
//! left as they are. The entity names come from the HTML standard's table, as html5ever
//! ships it.

/// The text with HTML entities and bare ampersands made XML; `None` when nothing changed.
pub fn entities(xml: &str) -> Option<String> {
    let mut out = String::with_capacity(xml.len() + 64);
    let mut rest = xml;
    let mut changed = false;
    while let Some(at) = rest.find(['&', '<']) {
        out.push_str(&rest[..at]);
        rest = &rest[at..];
        if rest.starts_with('<') {
            // Copy CDATA and comments whole; any other markup goes by character.
            let (open, close) = if rest.starts_with("<![CDATA[") {
                ("<![CDATA[", "]]>")
            } else if rest.starts_with("<!--") {
                ("<!--", "-->")
            } else {
                out.push('<');
                rest = &rest[1..];
                continue;
            };
            let end = rest[open.len()..]
                .find(close)
                .map_or(rest.len(), |e| open.len() + e + close.len());
            out.push_str(&rest[..end]);
            rest = &rest[end..];
            continue;
        }
        // At an `&`.
        let reference_end = rest[1..]
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '#'))
            .map(|e| e + 1);
        let name =
            reference_end.and_then(|end| rest[end..].starts_with(';').then(|| &rest[1..end]));
        match name {
            // `&#X41;` (XML wants a lower-case x).
            Some(name) if name.starts_with("#X") => {
                out.push_str("&#x");
                rest = &rest[3..];
                changed = true;
            }
            Some(name)
                if name.starts_with('#')
                    || matches!(name, "amp" | "lt" | "gt" | "quot" | "apos") =>
            {
                out.push('&');
                rest = &rest[1..];
            }
            Some(name) => {
                let key = format!("{name};");
                match markup5ever::data::NAMED_ENTITIES.get(key.as_str()) {
                    Some(&(first, second)) if first != 0 => {
                        out.push_str(&format!("&#{first};"));
                        if second != 0 {
                            out.push_str(&format!("&#{second};"));
                        }
                        rest = &rest[name.len() + 2..];
                    }
                    _ => {
                        out.push_str("&amp;");
                        rest = &rest[1..];
                    }
                }
                changed = true;
            }
            None => {
                out.push_str("&amp;");
                rest = &rest[1..];
                changed = true;
            }
        }
    }
    out.push_str(rest);
    changed.then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_entities_and_bare_ampersands() {
        assert_eq!(
            entities("<t>Caf&eacute; &amp; Q&A &nbsp;&#233;&unknown;</t>").as_deref(),
            Some("<t>Caf&#233; &amp; Q&amp;A &#160;&#233;&amp;unknown;</t>")
        );
        assert_eq!(
            entities("<t><![CDATA[a & b &eacute;]]><!-- & --></t>"),
            None,
            "CDATA and comments are kept"
        );
        assert_eq!(entities("<t>fine &lt;</t>"), None);
    }
}
