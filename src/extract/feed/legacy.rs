//! What real feeds write that feed-rs does not read, mapped onto what it does before it
//! parses them — an XML-to-XML rewrite through quick-xml's reader and writer, nothing
//! parsed by hand. The [`super::survey`] of the document says what is needed:
//!
//! - **Atom 0.3** (`http://purl.org/atom/ns#`, Blogger's and old Movable Type exports) to
//!   Atom 1.0: `issued` → `published`, `modified` → `updated`, `tagline` → `subtitle`,
//!   `copyright` → `rights`, an author's `url` → `uri`, `info` left out.
//! - **Text constructs typed as MIME types** (Atom 0.3's `mode` and `type="text/html"`,
//!   also met in Atom 1.0 feeds, which feed-rs refuses whole) to Atom 1.0's `text`,
//!   `html` and `xhtml`; base64 content decoded.
//! - **RSS 0.90** (RDF with `http://my.netscape.com/rdf/simple/0.9/`) to RSS 1.0's
//!   namespace, which has the same shape.
//! - **RSS 0.93, 0.94 and unversioned `<rss>`** to `version="2.0"` (feed-rs reads 0.91,
//!   0.92 and 2.0 only), and **RSS 2.0 in a namespace** (`http://backend.userland.com/rss2`,
//!   with or without a prefix) to RSS without one.
//! - **Items feed-rs would drop**: an RSS 1.0 item without `link` (feed-rs keeps only
//!   items with one) gets its `rdf:about` as link; an item whose only title is
//!   `dc:title` has it as its title.

use base64::Engine;
use quick_xml::events::{BytesEnd, BytesStart, BytesText, Event};
use quick_xml::name::{QName, ResolveResult};
use quick_xml::{NsReader, Writer};

use super::survey::Survey;

const ATOM03: &str = "http://purl.org/atom/ns#";
const ATOM10: &str = "http://www.w3.org/2005/Atom";
const RSS090: &str = "http://my.netscape.com/rdf/simple/0.9/";
const RSS10: &str = "http://purl.org/rss/1.0/";
/// Namespaces some RSS 2.0 feeds put their elements in.
const RSS2_NAMESPACES: &[&str] = &[
    "http://backend.userland.com/rss2",
    "http://blogs.law.harvard.edu/tech/rss",
    "http://backend.userland.com/rss",
];

/// Which older format a document was.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Legacy {
    Atom03,
    Rss090,
    /// An `<rss>` whose version feed-rs does not know (`0.93`, `0.94`, none).
    Rss(String),
}

impl Legacy {
    pub fn name(&self) -> String {
        match self {
            Legacy::Atom03 => "Atom 0.3".into(),
            Legacy::Rss090 => "RSS 0.90".into(),
            Legacy::Rss(version) if version.is_empty() => "RSS without a version".into(),
            Legacy::Rss(version) => format!("RSS {version}"),
        }
    }
}

/// What a rewrite must do.
#[derive(Debug, Default)]
struct Plan {
    legacy: Option<Legacy>,
    atom03: bool,
    text_types: bool,
    rss090: bool,
    rss_version: bool,
    rss_namespace: Option<String>,
    items: bool,
    /// RSS items straight under `<rss>`: put them in a channel.
    channel: bool,
}

impl Plan {
    fn needed(&self) -> bool {
        self.atom03
            || self.text_types
            || self.rss090
            || self.rss_version
            || self.rss_namespace.is_some()
            || self.items
            || self.channel
    }
}

fn plan(xml: &str, survey: &Survey) -> Plan {
    let mut plan = Plan::default();
    let namespace = survey.root_namespace.as_deref();
    match survey.root.as_deref() {
        Some("feed") => {
            plan.atom03 = namespace == Some(ATOM03)
                || root_version(xml).is_some_and(|v| matches!(v.as_str(), "0.3" | "0.2" | "0.1"));
            plan.text_types = survey.mime_text_types;
            if plan.atom03 {
                plan.legacy = Some(Legacy::Atom03);
            }
        }
        Some("RDF") => {
            plan.rss090 = xml.contains(RSS090);
            if plan.rss090 {
                plan.legacy = Some(Legacy::Rss090);
            }
        }
        Some("rss") => {
            let version = root_version(xml);
            if !matches!(version.as_deref(), Some("2.0" | "0.91" | "0.92" | "")) {
                plan.rss_version = true;
                plan.legacy = Some(Legacy::Rss(version.unwrap_or_default()));
            }
            plan.rss_namespace = namespace
                .filter(|ns| RSS2_NAMESPACES.contains(ns))
                .map(str::to_string);
            plan.channel = !survey.has_channel;
        }
        _ => {}
    }
    let rdf = survey.root.as_deref() == Some("RDF");
    plan.items = survey.entries.iter().any(|e| {
        (rdf && !e.has_link && e.about.is_some())
            || (!e.has_title && (e.has_dc_title || e.has_media_title))
            || (!e.has_date && e.dcterms_date.is_some())
            || e.has_pub_date_and_dc_date
    });
    plan
}

fn root_version(xml: &str) -> Option<String> {
    let mut reader = NsReader::from_str(xml);
    loop {
        match reader.read_event() {
            Ok(Event::Start(start) | Event::Empty(start)) => {
                return start
                    .try_get_attribute("version")
                    .ok()
                    .flatten()
                    .map(|v| v.value.trim().to_string());
            }
            Ok(Event::Eof) | Err(_) => return None,
            Ok(_) => {}
        }
    }
}

/// The document in a form feed-rs reads, and the older format it was (if it was one);
/// `None` when it needs nothing.
pub fn modernise(xml: &str, survey: &Survey) -> Result<Option<(String, Option<Legacy>)>, String> {
    let plan = plan(xml, survey);
    if !plan.needed() {
        return Ok(None);
    }
    let text = rewrite(xml, &plan, survey).map_err(|e| match &plan.legacy {
        Some(legacy) => format!("{}: {e}", legacy.name()),
        None => e,
    })?;
    Ok(Some((text, plan.legacy)))
}

/// Atom 1.0's text-construct type for a `mode` and a MIME or Atom `type`.
fn atom10_type(mode: &str, kind: &str) -> &'static str {
    match kind {
        "text" => return "text",
        "html" => return "html",
        "xhtml" => return "xhtml",
        _ => {}
    }
    let html = kind.contains("html");
    match mode {
        "escaped" | "base64" if html => "html",
        "escaped" | "base64" => "text",
        _ if html => "xhtml",
        _ => "text",
    }
}

const TEXT_CONSTRUCTS: &[&str] = &[
    "title",
    "tagline",
    "subtitle",
    "summary",
    "content",
    "copyright",
    "rights",
    "info",
];

struct Rewrite<'s> {
    plan: &'s Plan,
    survey: &'s Survey,
    writer: Writer<Vec<u8>>,
    /// The names written for each open element, to close them alike.
    open: Vec<String>,
    /// Depth of an element left out (Atom 0.3 `info`).
    skipping: Option<usize>,
    /// Base64 text being collected, at this depth.
    base64: Option<(usize, String)>,
    /// Index of the entry (`item`/`entry`) being written, and its depth.
    entry: Option<(usize, usize)>,
    entries_seen: usize,
    root: bool,
    /// The depth at which a channel was opened around items that had none.
    channel_depth: Option<usize>,
}

fn rewrite(xml: &str, plan: &Plan, survey: &Survey) -> Result<String, String> {
    let mut reader = NsReader::from_str(xml);
    let mut state = Rewrite {
        plan,
        survey,
        writer: Writer::new(Vec::with_capacity(xml.len() + 64)),
        open: Vec::new(),
        skipping: None,
        base64: None,
        entry: None,
        entries_seen: 0,
        root: true,
        channel_depth: None,
    };
    loop {
        let (ns, event) = reader.read_resolved_event().map_err(|e| e.to_string())?;
        let namespace = match &ns {
            ResolveResult::Bound(n) => Some(n.as_ref().to_string()),
            _ => None,
        };
        let (start, empty) = match event {
            Event::Start(start) => (start, false),
            Event::Empty(start) => (start, true),
            Event::Eof => break,
            Event::End(_) if state.skipping.is_some() => {
                state.skipping = state.skipping.and_then(|d| d.checked_sub(1));
                continue;
            }
            _ if state.skipping.is_some() => continue,
            Event::End(_) => {
                state.close()?;
                continue;
            }
            Event::Text(text) if state.base64.is_some() => {
                if let Some((_, collected)) = state.base64.as_mut() {
                    collected.push_str(&text.xml10_content());
                }
                continue;
            }
            Event::DocType(_) => continue,
            other => {
                state.writer.write_event(other).map_err(|e| e.to_string())?;
                continue;
            }
        };
        if state.skipping.is_some() {
            if !empty {
                state.skipping = state.skipping.map(|d| d + 1);
            }
            continue;
        }
        state.start(&start, namespace.as_deref(), empty)?;
    }
    String::from_utf8(state.writer.into_inner()).map_err(|e| e.to_string())
}

impl Rewrite<'_> {
    fn write(&mut self, event: Event<'_>) -> Result<(), String> {
        self.writer.write_event(event).map_err(|e| e.to_string())
    }

    fn start(
        &mut self,
        start: &BytesStart<'_>,
        namespace: Option<&str>,
        empty: bool,
    ) -> Result<(), String> {
        let plan = self.plan;
        let qname = start.name().as_ref().to_string();
        let (prefix, local) = match qname.split_once(':') {
            Some((prefix, local)) => (format!("{prefix}:"), local.to_string()),
            None => (String::new(), qname.clone()),
        };
        let atom03 = plan.atom03 && (namespace == Some(ATOM03) || namespace.is_none());
        let atom = atom03 || namespace == Some(ATOM10);
        if atom03 && local == "info" {
            if !empty {
                self.skipping = Some(0);
            }
            return Ok(());
        }
        let in_rss_namespace = plan
            .rss_namespace
            .as_deref()
            .is_some_and(|ns| namespace == Some(ns));
        let in_person = self
            .open
            .last()
            .is_some_and(|p| p.ends_with("author") || p.ends_with("contributor"));
        let entry_index = (matches!(local.as_str(), "item" | "entry")).then(|| {
            self.entries_seen += 1;
            self.entries_seen - 1
        });
        let entry = self
            .entry
            .and_then(|(index, _)| self.survey.entries.get(index));
        let new_local: &str = match local.as_str() {
            "issued" if atom03 => "published",
            "modified" if atom03 => "updated",
            "tagline" if atom03 => "subtitle",
            "copyright" if atom03 => "rights",
            "url" if atom03 && in_person => "uri",
            _ => &local,
        };
        // In an entry: a Dublin Core or Media RSS title stands in for a missing title,
        // and a Dublin Core terms date for a missing date (as the element feed-rs reads).
        let child_of_entry = self.open.len() == self.entry.map_or(usize::MAX, |(_, d)| d + 1);
        let stand_in_title = entry.is_some_and(|e| {
            !e.has_title && ((qname == "dc:title") || (qname == "media:title" && !e.has_dc_title))
        });
        let stand_in_date = entry.is_some_and(|e| {
            !e.has_date
                && e.dcterms_date
                    .is_some_and(|d| qname == format!("dcterms:{d}"))
        });
        if child_of_entry && qname == "dc:date" && entry.is_some_and(|e| e.has_pub_date_and_dc_date)
        {
            // feedparser dates an item by its pubDate; feed-rs would let dc:date win.
            if !empty {
                self.skipping = Some(0);
            }
            return Ok(());
        }
        let name = if child_of_entry && stand_in_title {
            "title".to_string()
        } else if child_of_entry && stand_in_date {
            "dc:date".to_string()
        } else if in_rss_namespace {
            new_local.to_string()
        } else {
            format!("{prefix}{new_local}")
        };
        let mut element = BytesStart::new(name.clone());
        if name == "dc:date" && qname != "dc:date" {
            element.push_attribute(("xmlns:dc", "http://purl.org/dc/elements/1.1/"));
        }
        if name == "title" && qname == "media:title" {
            // Media RSS titles say their type (`plain`, `html`); the RSS title does not.
            return self.open_element(element, name, empty, false);
        }
        let construct =
            atom && (atom03 || plan.text_types) && TEXT_CONSTRUCTS.contains(&local.as_str());
        let mut mode = "xml".to_string();
        let mut kind = if atom03 {
            "text/plain".to_string()
        } else {
            "text".to_string()
        };
        for attribute in start.attributes().flatten() {
            let key = attribute.key.as_ref();
            let declaration = key == "xmlns" || key.starts_with("xmlns:");
            if declaration && plan.rss_namespace.as_deref() == Some(attribute.value.as_ref()) {
                continue;
            }
            let value: std::borrow::Cow<'_, str> = match attribute.value.as_ref() {
                v if declaration && v == ATOM03 => ATOM10.into(),
                v if declaration && v == RSS090 => RSS10.into(),
                _ => attribute.value.clone(),
            };
            if construct && key == "mode" {
                mode = value.trim().to_string();
                continue;
            }
            if construct && key == "type" {
                kind = value.trim().to_ascii_lowercase();
                continue;
            }
            if name == "title" && qname == "dc:title" && key.starts_with("xml") {
                continue;
            }
            if self.root && key == "version" && (atom03 || plan.rss_version) {
                continue;
            }
            let key = if atom03 && local == "generator" && key == "url" {
                "uri"
            } else {
                key
            };
            element.push_attribute(quick_xml::events::attributes::Attribute {
                key: QName(key),
                value,
            });
        }
        if self.root && plan.rss_version {
            element.push_attribute(("version", "2.0"));
        }
        if self.root && plan.atom03 && namespace.is_none() {
            element.push_attribute(("xmlns", ATOM10));
        }
        // Atom 1.0: content of a type that is neither text nor XML is base64.
        let binary = !atom03
            && kind.contains('/')
            && !kind.starts_with("text/")
            && !kind.ends_with("+xml")
            && !kind.ends_with("/xml");
        if construct {
            let atom_type = if binary {
                "text"
            } else {
                atom10_type(&mode, &kind)
            };
            element.push_attribute(("type", atom_type));
        }
        let wrap = self.root && plan.channel && !empty;
        self.root = false;
        let decode = construct && (mode == "base64" || binary);
        self.open_element(element, name, empty, decode)?;
        if wrap {
            self.write(Event::Start(BytesStart::new("channel")))?;
            self.channel_depth = Some(self.open.len());
        }
        if let Some(index) = entry_index {
            self.entry = Some((index, self.open.len() - 1));
            // An RSS 1.0 item without a link is known by its rdf:about.
            if let Some(found) = self.survey.entries.get(index)
                && self.survey.root.as_deref() == Some("RDF")
                && !found.has_link
                && let Some(about) = &found.about
            {
                self.write(Event::Start(BytesStart::new("link")))?;
                self.write(Event::Text(BytesText::new(about)))?;
                self.write(Event::End(BytesEnd::new("link")))?;
            }
        }
        Ok(())
    }

    fn open_element(
        &mut self,
        element: BytesStart<'_>,
        name: String,
        empty: bool,
        decode: bool,
    ) -> Result<(), String> {
        if empty {
            self.write(Event::Empty(element))?;
            return Ok(());
        }
        if decode {
            self.base64 = Some((self.open.len(), String::new()));
        }
        self.write(Event::Start(element))?;
        self.open.push(name);
        Ok(())
    }

    /// Writes the end of the innermost open element (and decoded base64 text before it).
    fn close(&mut self) -> Result<(), String> {
        if self.channel_depth == Some(self.open.len()) {
            self.write(Event::End(BytesEnd::new("channel")))?;
            self.channel_depth = None;
        }
        let name = self.open.pop().unwrap_or_default();
        if let Some((_, text)) = self.base64.take_if(|(depth, _)| *depth == self.open.len()) {
            let cleaned: String = text.split_whitespace().collect();
            let decoded = base64::engine::general_purpose::STANDARD
                .decode(cleaned.as_bytes())
                .ok()
                .and_then(|bytes| String::from_utf8(bytes).ok())
                .unwrap_or(text);
            self.write(Event::Text(BytesText::new(&decoded)))?;
        }
        if self
            .entry
            .is_some_and(|(_, depth)| depth == self.open.len())
        {
            self.entry = None;
        }
        self.write(Event::End(BytesEnd::new(name)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::extract::feed::survey::survey;

    fn modern(xml: &str) -> Option<(String, Option<Legacy>)> {
        modernise(xml, &survey(xml)).unwrap()
    }

    #[test]
    fn atom03_becomes_atom10() {
        let xml = r#"<?xml version="1.0"?><feed version="0.3" xmlns="http://purl.org/atom/ns#"><title mode="escaped" type="text/html">A &amp;lt;b&amp;gt;</title><tagline>T</tagline><info>skip <b>me</b></info>
<entry><title mode="base64" type="text/plain">Q2Fmw6k=</title><issued>2026-03-12T12:00:00Z</issued><modified>2026-03-13T12:00:00Z</modified>
<author><name>N</name><url>https://n.example/</url></author><content type="application/xhtml+xml" mode="xml"><div xmlns="http://www.w3.org/1999/xhtml">Hi</div></content></entry></feed>"#;
        let (out, legacy) = modern(xml).unwrap();
        assert_eq!(legacy, Some(Legacy::Atom03));
        assert!(
            out.contains(r#"xmlns="http://www.w3.org/2005/Atom""#),
            "{out}"
        );
        assert!(
            out.contains(r#"<title type="html">A &amp;lt;b&amp;gt;</title>"#),
            "{out}"
        );
        assert!(
            out.contains("<subtitle type=\"text\">T</subtitle>"),
            "{out}"
        );
        assert!(!out.contains("skip"), "{out}");
        assert!(out.contains("<title type=\"text\">Café</title>"), "{out}");
        assert!(
            out.contains("<published>2026-03-12T12:00:00Z</published>"),
            "{out}"
        );
        assert!(out.contains("<uri>https://n.example/</uri>"), "{out}");
        assert!(out.contains(r#"<content type="xhtml">"#), "{out}");
        let feed = feed_rs::parser::parse(out.as_bytes()).unwrap();
        assert_eq!(feed.entries[0].title.as_ref().unwrap().content, "Café");
    }

    #[test]
    fn rss_variants_and_items_feed_rs_would_drop() {
        let rss090 = r#"<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://my.netscape.com/rdf/simple/0.9/"><channel><title>T</title><link>https://x.example/</link></channel><item><title>I</title><link>https://x.example/i</link></item></rdf:RDF>"#;
        let (out, legacy) = modern(rss090).unwrap();
        assert_eq!(legacy, Some(Legacy::Rss090));
        assert_eq!(
            feed_rs::parser::parse(out.as_bytes())
                .unwrap()
                .entries
                .len(),
            1
        );
        let rss094 = r#"<rss version="0.94"><channel><title>T</title><item><title>I</title></item></channel></rss>"#;
        let (out, _) = modern(rss094).unwrap();
        assert_eq!(
            feed_rs::parser::parse(out.as_bytes())
                .unwrap()
                .entries
                .len(),
            1
        );
        let namespaced = r#"<r:rss version="2.0" xmlns:r="http://backend.userland.com/rss2" xmlns:dc="http://purl.org/dc/elements/1.1/"><r:channel><r:title>T</r:title><r:item><dc:title>D</dc:title></r:item></r:channel></r:rss>"#;
        let (out, _) = modern(namespaced).unwrap();
        let feed = feed_rs::parser::parse(out.as_bytes()).unwrap();
        assert_eq!(feed.entries[0].title.as_ref().unwrap().content, "D");
        let linkless = r#"<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/"><channel rdf:about="c"><title>T</title></channel><item rdf:about="https://x.example/1"><title>One</title></item></rdf:RDF>"#;
        let (out, _) = modern(linkless).unwrap();
        let feed = feed_rs::parser::parse(out.as_bytes()).unwrap();
        assert_eq!(feed.entries[0].links[0].href, "https://x.example/1");
        assert!(
            modern(r#"<rss version="2.0"><channel><item><title>x</title></item></channel></rss>"#)
                .is_none()
        );
    }
}
