//! What an XML document holds, found with quick-xml's reader without building anything:
//! its root element and namespace, its entries (`item`, `entry`) with what each has (a
//! link, a title, a Dublin Core title, its `rdf:about`, the author its Atom `source`
//! names), and whether any Atom text construct gives its type as a MIME type. feed-rs
//! drops or refuses what these say is missing, so [`super::legacy`] completes it first.
//! Lenient: a reader error ends the survey with what was found. It also measures how
//! deep elements nest, which is all it reads past [`MAX_XML_DEPTH`].

use quick_xml::Reader;
use quick_xml::events::{BytesStart, Event};

use crate::extract::depth::MAX_XML_DEPTH;

/// One `item` or `entry`.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct EntrySurvey {
    pub has_link: bool,
    pub has_title: bool,
    pub has_dc_title: bool,
    pub has_media_title: bool,
    /// `pubDate` or `dc:date`.
    pub has_date: bool,
    pub has_pub_date: bool,
    /// Both `pubDate` and `dc:date`.
    pub has_pub_date_and_dc_date: bool,
    has_dc_date: bool,
    /// The Dublin Core terms date feedparser dates it by: `issued`, else `modified`
    /// (`created` is not its date).
    pub dcterms_date: Option<&'static str>,
    /// A guid whose `isPermaLink` is present and not `true`: not the entry's address.
    pub guid_not_permalink: bool,
    /// The text of its first date element, as written.
    pub date_text: Option<String>,
    /// `rdf:about` of an RSS 1.0 item.
    pub about: Option<String>,
    /// The name of an Atom entry's `source` author.
    pub source_author: Option<String>,
}

#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Survey {
    /// The root element's local name, and the namespace its prefix (or the default)
    /// binds, if the root declares one.
    pub root: Option<String>,
    pub root_namespace: Option<String>,
    /// Every `item` and `entry`, at any depth, in order.
    pub entries: Vec<EntrySurvey>,
    /// An Atom `title`/`subtitle`/`summary`/`rights` whose `type` is a MIME type or
    /// which has a `mode` (feed-rs refuses such a feed whole).
    pub mime_text_types: bool,
    /// A `channel` element below the root (RSS without one is still read).
    pub has_channel: bool,
    /// How deep elements nest (the root is 1).
    pub depth: usize,
}

fn local_of(start: &BytesStart<'_>) -> String {
    start.local_name().as_ref().to_string()
}

pub fn survey(xml: &str) -> Survey {
    let mut reader = Reader::from_str(xml);
    reader.config_mut().check_end_names = false;
    let mut out = Survey::default();
    let mut path: Vec<String> = Vec::new();
    loop {
        let event = reader.read_event();
        let (start, empty) = match &event {
            Ok(Event::Start(start)) => (Some(start.clone()), false),
            Ok(Event::Empty(start)) => (Some(start.clone()), true),
            _ => (None, false),
        };
        if let Some(start) = start {
            if path.len() >= MAX_XML_DEPTH {
                // Past the bound only the depth is measured; the feed will be refused.
                if !empty {
                    path.push(String::new());
                    out.depth = out.depth.max(path.len());
                }
                continue;
            }
            let local = local_of(&start);
            let qname = start.name().as_ref().to_string();
            if out.root.is_none() {
                out.root = Some(local.clone());
                let prefix = qname.split_once(':').map(|(p, _)| p.to_string());
                let key = prefix.map_or("xmlns".to_string(), |p| format!("xmlns:{p}"));
                out.root_namespace = start
                    .attributes()
                    .flatten()
                    .find(|a| a.key.as_ref() == key)
                    .map(|a| a.value.to_string());
            }
            let parent = path.last().map(String::as_str);
            out.has_channel |= local == "channel" && path.len() == 1;
            if local == "item" || local == "entry" {
                out.entries.push(EntrySurvey {
                    about: start
                        .attributes()
                        .flatten()
                        .find(|a| a.key.as_ref() == "rdf:about")
                        .map(|a| a.value.trim().to_string()),
                    ..EntrySurvey::default()
                });
            } else if matches!(parent, Some("item" | "entry"))
                && let Some(entry) = out.entries.last_mut()
            {
                match (qname.as_str(), local.as_str()) {
                    (_, "link") => entry.has_link = true,
                    ("dc:title", _) => entry.has_dc_title = true,
                    ("media:title", _) => entry.has_media_title = true,
                    ("dc:date", _) | (_, "pubDate") => {
                        entry.has_date = true;
                        if local == "pubDate" {
                            entry.has_pub_date = true;
                        } else {
                            entry.has_dc_date = true;
                        }
                        entry.has_pub_date_and_dc_date = entry.has_pub_date && entry.has_dc_date;
                    }
                    ("dcterms:issued", _) => entry.dcterms_date = Some("issued"),
                    ("dcterms:modified", _) if entry.dcterms_date.is_none() => {
                        entry.dcterms_date = Some("modified")
                    }
                    (q, "guid") if !q.contains(':') => {
                        entry.guid_not_permalink = start
                            .attributes()
                            .flatten()
                            .find(|a| a.key.as_ref() == "isPermaLink")
                            .is_some_and(|a| a.value.as_ref() != "true");
                    }
                    (q, "title") if !q.contains(':') => entry.has_title = true,
                    _ => {}
                }
            }
            if matches!(
                local.as_str(),
                "title" | "subtitle" | "tagline" | "summary" | "rights" | "copyright"
            ) && start.attributes().flatten().any(|a| {
                (a.key.as_ref() == "type" && (a.value.contains('/') || a.value.trim().is_empty()))
                    || a.key.as_ref() == "mode"
            }) {
                out.mime_text_types = true;
            }
            if !empty {
                path.push(local);
                out.depth = out.depth.max(path.len());
            }
            continue;
        }
        match event {
            Ok(Event::Text(text)) => {
                let n = path.len();
                let is_date = n >= 2
                    && matches!(path[n - 2].as_str(), "item" | "entry")
                    && matches!(
                        path[n - 1].as_str(),
                        "pubDate" | "date" | "published" | "updated" | "issued" | "modified"
                    );
                if is_date && let Some(entry) = out.entries.last_mut() {
                    let value = text.xml10_content().trim().to_string();
                    if !value.is_empty() && entry.date_text.is_none() {
                        entry.date_text = Some(value);
                    }
                }
                let in_source_author = n >= 4
                    && path[n - 1] == "name"
                    && path[n - 2] == "author"
                    && path[n - 3] == "source"
                    && path[n - 4] == "entry";
                if in_source_author && let Some(entry) = out.entries.last_mut() {
                    let name = text.xml10_content().trim().to_string();
                    if !name.is_empty() && entry.source_author.is_none() {
                        entry.source_author = Some(name);
                    }
                }
            }
            Ok(Event::End(_)) => {
                path.pop();
            }
            Ok(Event::Eof) | Err(_) => break,
            Ok(_) => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roots_entries_and_what_they_have() {
        let s = survey(
            r#"<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><title type="text/html">T</title><entry><link href="x"/><source><author><name>Ann</name></author></source></entry><entry/></feed>"#,
        );
        assert_eq!(s.root.as_deref(), Some("feed"));
        assert_eq!(
            s.root_namespace.as_deref(),
            Some("http://www.w3.org/2005/Atom")
        );
        assert_eq!(s.entries.len(), 2);
        assert_eq!(s.entries[0].source_author.as_deref(), Some("Ann"));
        assert!(s.entries[0].has_link && !s.entries[1].has_link);
        assert!(s.mime_text_types);
        let rdf = survey(
            r#"<rdf:RDF xmlns:rdf="r"><item rdf:about="https://x/1"><dc:title>D</dc:title></item></rdf:RDF>"#,
        );
        assert_eq!(rdf.entries[0].about.as_deref(), Some("https://x/1"));
        assert!(rdf.entries[0].has_dc_title && !rdf.entries[0].has_title);
        assert_eq!(survey("<foo><item/></foo>").root.as_deref(), Some("foo"));
        assert_eq!(survey("<foo><item/><a><b/></a></foo>").depth, 2);
        let deep = format!("<rss>{}", "<div>".repeat(100_000));
        assert_eq!(survey(&deep).depth, 100_001);
    }
}
