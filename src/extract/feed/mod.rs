//! RSS 0.90–2.0, Atom 0.3 and 1.0 and JSON Feed, read as feedparser reads them, through
//! feed-rs: the bytes decoded by the feed's own encoding rules ([`encoding`]), formats
//! feed-rs lacks mapped onto ones it reads ([`legacy`]), HTML entities and bare
//! ampersands repaired when the XML is refused ([`repair`]), dates read by feedparser's
//! rules ([`dates`]). Relative links are resolved by feed-rs against `xml:base` and the
//! document's address.
//!
//! Maps feed-rs's model onto [`FeedDocument`]/[`FeedEntry`]: ids exactly as the feed
//! wrote them (feed-rs would invent some; we ask it not to), the entry's link (else its
//! id, as feedparser takes a permalink guid or an Atom id), text bodies tagged as HTML or
//! plain text, an author taken from the entry, else its Atom `source`, else the feed,
//! and a language from the entry's `xml:lang`, else the feed's, else the HTTP
//! Content-Language. Nothing is silent: a feed whose entries cannot be read says how
//! many it has, and a document that is not a feed says what it is. A feed nested deeper
//! than [`depth::MAX_XML_DEPTH`] elements (or a JSON Feed deeper than
//! [`depth::MAX_JSON_DEPTH`]) is refused by name before feed-rs reads it.

pub mod dates;
mod encoding;
mod legacy;
mod repair;
mod survey;

use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};

use crate::extract::depth::{self, MAX_XML_DEPTH, TooDeep};
pub use crate::markup::TextBody;
use crate::model::FetchedDocument;

/// A parsed feed, before normalising.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct FeedDocument {
    pub title: Option<String>,
    /// The site the feed belongs to (RSS channel link, Atom alternate link, JSON home_page_url).
    pub home_link: Option<String>,
    pub language: Option<String>,
    pub entries: Vec<FeedEntry>,
    /// What could not be read, and repairs made, in words.
    pub warnings: Vec<String>,
    /// The encoding the feed was read in.
    pub encoding: &'static str,
}

/// One entry as the feed wrote it.
#[derive(Debug, Clone, PartialEq)]
pub struct FeedEntry {
    /// guid / id / JSON Feed id; `None` when the feed gave none.
    pub id: Option<String>,
    /// The entry's page (absolute when the feed's links could be resolved).
    pub link: Option<String>,
    /// xml:base in force for the entry, if any.
    pub base: Option<String>,
    pub title: Option<TextBody>,
    pub author: Option<String>,
    pub published: Option<DateTime<Utc>>,
    pub updated: Option<DateTime<Utc>>,
    pub summary: Option<TextBody>,
    pub content: Option<TextBody>,
    pub language: Option<String>,
    pub categories: Vec<String>,
    /// iCalendar files the entry carries (enclosures, media, `.ics` links), as written.
    pub calendar_links: Vec<String>,
    /// The entry in other languages: (hreflang, link as written) of each `alternate`
    /// link that says its language and is not the entry's own link.
    pub translations: Vec<(String, String)>,
}

/// Reads a fetched feed; the error says what the document is when it is not a feed.
pub fn parse(document: &FetchedDocument) -> Result<FeedDocument, String> {
    let decoded = encoding::decode(&document.body, document.content_type.as_deref());
    let mut warnings = decoded.warnings;
    let encoding = decoded.encoding.name();
    let latin1 = decoded.latin1;
    let text = decoded.text;
    let trimmed = text.trim_start();
    if trimmed.starts_with('{') || trimmed.starts_with('[') {
        return parse_json(trimmed, warnings).map(|feed| FeedDocument { encoding, ..feed });
    }
    let found = survey::survey(&text);
    // feed-rs builds its tree recursively: a feed nested deeper than we read is refused
    // before it sees it.
    if found.depth > MAX_XML_DEPTH {
        return Err(TooDeep::Xml(found.depth).to_string());
    }
    let (text, legacy) = match legacy::modernise(&text, &found) {
        Ok(Some((rewritten, legacy))) => (rewritten, legacy),
        Ok(None) => (text, None),
        Err(error) => {
            warnings.push(format!(
                "the feed could not be converted for reading: {error}"
            ));
            (text, None)
        }
    };
    let unreadable_dates = Arc::new(Mutex::new(Vec::new()));
    let attempt = |xml: &str| read_xml(xml, &unreadable_dates);
    let feed = match attempt(&text) {
        Ok(feed) => feed,
        Err(first) => match repair::entities(&text) {
            Some(repaired) => match attempt(&repaired) {
                Ok(feed) => {
                    warnings.push(format!(
                        "the feed is not well-formed XML ({first}); read after repairing its character references"
                    ));
                    feed
                }
                Err(_) => return Err(not_a_feed(&found, &first)),
            },
            None => return Err(not_a_feed(&found, &first)),
        },
    };
    let unreadable: Vec<String> = unreadable_dates
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .clone();
    let rss = matches!(
        feed.feed_type,
        feed_rs::model::FeedType::RSS0
            | feed_rs::model::FeedType::RSS1
            | feed_rs::model::FeedType::RSS2
    );
    let document_url = url::Url::parse(&document.url).ok();
    let home = pick_link(&feed.links)
        .and_then(|h| match &document_url {
            Some(d) => d.join(&h).ok(),
            None => url::Url::parse(&h).ok(),
        })
        .or(document_url);
    let feed_author = feed.authors.iter().find_map(person_name);
    let feed_language = feed
        .language
        .clone()
        .or_else(|| document.content_language.clone())
        .map(|l| l.trim().replace('_', "-"))
        .filter(|l| !l.is_empty());
    let mut date_warnings = Vec::new();
    let entries: Vec<FeedEntry> = feed
        .entries
        .into_iter()
        .enumerate()
        .map(|(index, e)| {
            let surveyed = found.entries.get(index);
            let source_author = surveyed.and_then(|e| e.source_author.clone());
            let mut entry = entry(e, rss);
            if entry.link.is_none() && !surveyed.is_some_and(|s| s.guid_not_permalink) {
                entry.link = id_as_link(entry.id.as_deref(), entry.base.as_deref(), home.as_ref());
            }
            entry.author = entry
                .author
                .or(source_author)
                .or_else(|| feed_author.clone());
            entry.language = entry.language.or_else(|| feed_language.clone());
            undouble_entry(&mut entry, latin1);
            if entry.published.is_none()
                && entry.updated.is_none()
                && let Some(date) = surveyed.and_then(|s| s.date_text.as_deref())
                && unreadable.iter().any(|u| date.starts_with(u.as_str()))
            {
                let name = entry
                    .title
                    .as_ref()
                    .map(crate::markup::plain_text)
                    .filter(|t| !t.is_empty())
                    .or_else(|| entry.id.clone())
                    .unwrap_or_else(|| format!("number {}", index + 1));
                date_warnings.push(format!(
                    "entry “{name}”: the date `{date}` could not be read; it keeps the time Bulletin first saw it"
                ));
            }
            entry
        })
        .collect();
    if date_warnings.is_empty() {
        // Dates feed-rs refused that belong to no entry read here (the
        // feed's own, or an entry it dropped) still deserve a word.
        for date in unreadable.iter().take(20) {
            warnings.push(format!("the date `{date}` could not be read"));
        }
        if unreadable.len() > 20 {
            warnings.push(format!(
                "… and {} more unreadable dates",
                unreadable.len() - 20
            ));
        }
    }
    let more = date_warnings.len().saturating_sub(20);
    date_warnings.truncate(20);
    warnings.append(&mut date_warnings);
    if more > 0 {
        warnings.push(format!(
            "… and {more} more entries whose dates could not be read"
        ));
    }
    if entries.is_empty() && !found.entries.is_empty() {
        let format = legacy
            .as_ref()
            .map_or_else(|| format_name(&found), Legacy::name);
        warnings.push(format!(
            "{format} feed: {} entries found, 0 read",
            found.entries.len()
        ));
    }
    Ok(FeedDocument {
        title: feed
            .title
            .map(|t| plain_title(&t, rss))
            .map(|t| undouble(&t, latin1).unwrap_or(t)),
        home_link: pick_link(&feed.links),
        language: feed_language,
        entries,
        warnings,
        encoding,
    })
}

use legacy::Legacy;

fn format_name(found: &survey::Survey) -> String {
    match found.root.as_deref() {
        Some("feed") => "Atom".into(),
        Some("rss") => "RSS".into(),
        Some("RDF") => "RSS 1.0".into(),
        Some(other) => format!("XML `{other}`"),
        None => "XML".into(),
    }
}

/// What a document feed-rs refused is.
fn not_a_feed(found: &survey::Survey, error: &str) -> String {
    match found.root.as_deref() {
        Some("html" | "HTML") => "it is a web page, not a feed".into(),
        Some(root @ ("feed" | "rss" | "RDF")) => {
            format!("a `{root}` document that is not readable XML: {error}")
        }
        Some(root) => format!("an XML document whose root is `{root}`, not a feed"),
        None => format!("not XML: {error}"),
    }
}

fn read_xml(
    xml: &str,
    unreadable: &Arc<Mutex<Vec<String>>>,
) -> Result<feed_rs::model::Feed, String> {
    let unreadable = unreadable.clone();
    // No base URI: relative links stay relative here (feed-rs applies `xml:base`), and
    // normalising resolves them against the feed's home page, then its address.
    let parser = feed_rs::parser::Builder::new()
        // An empty id marks "none given": we derive our own stable ids when normalising.
        .id_generator(|_, _, _| String::new())
        .sanitize_content(false)
        .timestamp_parser(move |text| {
            let parsed = dates::parse(text);
            if parsed.is_none() && !text.trim().is_empty() {
                let mut list = unreadable.lock().unwrap_or_else(|e| e.into_inner());
                list.push(text.trim().chars().take(60).collect());
            }
            parsed
        })
        .build();
    // feed-rs's XML reader can panic on some malformed inputs (quick-xml asserts when an
    // encoding switch comes too late); a panic here is a refusal like any other.
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        parser.parse(xml.as_bytes())
    }))
    .map_err(|_| "the XML reader gave up on this document".to_string())?
    .map_err(|e| e.to_string())
}

/// JSON Feed through feed-rs; other JSON is named as such.
fn parse_json(text: &str, mut warnings: Vec<String>) -> Result<FeedDocument, String> {
    // serde_json would refuse it past its recursion limit with its own words; ours name it.
    depth::json(text).map_err(|deep| deep.to_string())?;
    let is_json_feed = serde_json::from_str::<serde_json::Value>(text)
        .ok()
        .and_then(|v| {
            v.get("version")
                .and_then(|v| v.as_str())
                .map(str::to_string)
        })
        .is_some_and(|v| v.contains("jsonfeed.org"));
    if !is_json_feed {
        return Err("JSON that is not a JSON Feed (no https://jsonfeed.org version)".into());
    }
    let parser = feed_rs::parser::Builder::new()
        .id_generator(|_, _, _| String::new())
        .sanitize_content(false)
        .build();
    let feed = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        parser.parse(text.as_bytes())
    }))
    .map_err(|_| "the JSON reader gave up on this document".to_string())?
    .map_err(|e| e.to_string())?;
    let feed_author = feed.authors.iter().find_map(person_name);
    let entries = feed
        .entries
        .into_iter()
        .map(|e| {
            let mut entry = entry(e, false);
            entry.author = entry.author.or_else(|| feed_author.clone());
            entry.language = entry.language.or_else(|| feed.language.clone());
            entry
        })
        .collect::<Vec<_>>();
    if entries.is_empty() {
        warnings.push("JSON Feed with no items".into());
    }
    Ok(FeedDocument {
        title: feed.title.map(|t| plain_title(&t, false)),
        home_link: pick_link(&feed.links),
        language: feed.language,
        entries,
        warnings,
        encoding: "UTF-8",
    })
}

fn person_name(person: &feed_rs::model::Person) -> Option<String> {
    person
        .name
        .as_ref()
        .map(|n| n.trim().to_string())
        .filter(|n| !n.is_empty())
}

fn entry(entry: feed_rs::model::Entry, rss: bool) -> FeedEntry {
    let text_body = |text: &feed_rs::model::Text| text_body(text, rss);
    let is_calendar =
        |mime: &str| mime.starts_with("text/calendar") || mime.starts_with("application/ics");
    let mut calendar_links: Vec<String> = entry
        .media
        .iter()
        .flat_map(|m| m.content.iter())
        .filter(|c| {
            c.content_type
                .as_ref()
                .is_some_and(|t| is_calendar(t.as_ref()))
                || c.url.as_ref().is_some_and(|u| u.path().ends_with(".ics"))
        })
        .filter_map(|c| c.url.as_ref().map(|u| u.to_string()))
        .collect();
    calendar_links.extend(
        entry
            .links
            .iter()
            .filter(|l| {
                l.media_type.as_deref().is_some_and(is_calendar)
                    || l.href
                        .split('?')
                        .next()
                        .is_some_and(|h| h.ends_with(".ics"))
            })
            .map(|l| l.href.clone()),
    );
    calendar_links.dedup();
    let link = pick_link(&entry.links);
    let translations = entry
        .links
        .iter()
        .filter(|l| matches!(l.rel.as_deref(), None | Some("alternate")))
        .filter_map(|l| Some((l.href_lang.as_deref()?.trim(), l.href.trim())))
        .filter(|(lang, href)| {
            !lang.is_empty() && !href.is_empty() && Some(*href) != link.as_deref()
        })
        .map(|(lang, href)| (lang.to_string(), href.to_string()))
        .collect();
    FeedEntry {
        calendar_links,
        translations,
        id: Some(entry.id.trim().to_string()).filter(|id| !id.is_empty()),
        link,
        base: entry.base,
        title: entry
            .title
            .as_ref()
            .filter(|t| !t.content.trim().is_empty())
            .or_else(|| entry.media.iter().find_map(|m| m.title.as_ref()))
            .map(text_body)
            .map(literal_title),
        author: entry.authors.iter().find_map(person_name),
        published: entry.published,
        // feed-rs copies an RSS pubDate into `updated`; an update equal to publication
        // says nothing, so only a distinct one is kept.
        updated: entry.updated.filter(|u| Some(*u) != entry.published),
        summary: entry
            .summary
            .as_ref()
            .filter(|t| !t.content.trim().is_empty())
            .or_else(|| entry.media.iter().find_map(|m| m.description.as_ref()))
            .map(text_body)
            .filter(|t| !t.text.trim().is_empty())
            .or_else(|| thumbnail(&entry.media)),
        content: entry
            .content
            .and_then(|c| {
                let is_html = !c
                    .content_type
                    .essence()
                    .to_string()
                    .starts_with("text/plain");
                c.body.map(|text| TextBody { text, is_html })
            })
            .filter(|t| !t.text.trim().is_empty()),
        language: entry.language,
        categories: entry
            .categories
            .into_iter()
            .map(|c| c.label.unwrap_or(c.term).trim().to_string())
            .filter(|c| !c.is_empty())
            .collect(),
    }
}

/// A media thumbnail as the summary of an entry that has no other.
fn thumbnail(media: &[feed_rs::model::MediaObject]) -> Option<TextBody> {
    let image = media.iter().flat_map(|m| m.thumbnails.iter()).next()?;
    let alt = media
        .iter()
        .find_map(|m| m.title.as_ref())
        .map(|t| crate::markup::plain_text(&text_body(t, false)))
        .unwrap_or_default();
    Some(TextBody {
        text: format!(
            "<img src=\"{}\" alt=\"{}\">",
            crate::markup::escape_html(&image.image.uri),
            crate::markup::escape_html(&alt)
        ),
        is_html: true,
    })
}

/// The alternate (or unlabelled) link: a `related`, `replies` or `enclosure` link is
/// not the entry's page (feedparser takes none of them).
fn pick_link(links: &[feed_rs::model::Link]) -> Option<String> {
    let page = |l: &&feed_rs::model::Link| {
        matches!(l.rel.as_deref(), None | Some("alternate"))
            && l.media_type
                .as_deref()
                .is_none_or(|t| t.is_empty() || t.contains("html"))
    };
    links
        .iter()
        .find(page)
        .map(|l| l.href.trim().to_string())
        .filter(|href| !href.is_empty())
}

/// feedparser takes a permalink guid, or an Atom id, as the link of an entry that has
/// none, resolved against the entry's base (then the feed's home page, then its
/// address, as links are); only a web address serves a reader.
fn id_as_link(
    id: Option<&str>,
    entry_base: Option<&str>,
    document: Option<&url::Url>,
) -> Option<String> {
    let id = id?.trim();
    let base = entry_base
        .and_then(|b| match document {
            Some(document) => document.join(b).ok(),
            None => url::Url::parse(b).ok(),
        })
        .or_else(|| document.cloned());
    let resolved = match &base {
        Some(base) => base.join(id).ok()?,
        None => url::Url::parse(id).ok()?,
    };
    matches!(resolved.scheme(), "http" | "https").then(|| resolved.to_string())
}

/// Text that was UTF-8 read as ISO-8859-1 (or UTF-8 encoded twice), read again as the
/// UTF-8 it is, as feedparser repairs it: when every character fits one byte (for a feed
/// declared ISO-8859-1, windows-1252's too) and those bytes are UTF-8 with a character
/// beyond ASCII.
fn undouble(text: &str, latin1: bool) -> Option<String> {
    if text.is_ascii() {
        return None;
    }
    let mut bytes = Vec::with_capacity(text.len());
    for c in text.chars() {
        match u8::try_from(u32::from(c)) {
            Ok(byte) => bytes.push(byte),
            Err(_) if latin1 => {
                let mut buffer = [0u8; 4];
                let (encoded, _, unmappable) =
                    encoding_rs::WINDOWS_1252.encode(c.encode_utf8(&mut buffer));
                if unmappable || encoded.len() != 1 {
                    return None;
                }
                bytes.push(encoded[0]);
            }
            Err(_) => return None,
        }
    }
    let repaired = String::from_utf8(bytes).ok()?;
    (!repaired.is_ascii() && repaired != text).then_some(repaired)
}

fn undouble_entry(entry: &mut FeedEntry, latin1: bool) {
    for body in [&mut entry.title, &mut entry.summary, &mut entry.content]
        .into_iter()
        .flatten()
    {
        if let Some(repaired) = undouble(&body.text, latin1) {
            body.text = repaired;
        }
    }
    if let Some(author) = &mut entry.author
        && let Some(repaired) = undouble(author, latin1)
    {
        *author = repaired;
    }
}

fn text_body(text: &feed_rs::model::Text, rss: bool) -> TextBody {
    let essence = text.content_type.essence().to_string();
    TextBody {
        text: text.content.clone(),
        // RSS says nothing of its text's type: as feedparser does, text that looks like
        // HTML (an end tag or a character reference, only HTML's tags) is HTML.
        is_html: essence.contains("html")
            || (rss && essence == "text/plain" && looks_like_html(&text.content)),
    }
}

/// feedparser's test for RSS text that is HTML.
fn looks_like_html(text: &str) -> bool {
    use std::sync::OnceLock;
    static PATTERNS: OnceLock<Option<(regex::Regex, regex::Regex, regex::Regex, regex::Regex)>> =
        OnceLock::new();
    let Some((close, reference, tags, entities)) = PATTERNS
        .get_or_init(|| {
            Some((
                regex::Regex::new(r"</(\w+)>").ok()?,
                regex::Regex::new(r"&#?\w+;").ok()?,
                regex::Regex::new(r"</?(\w+)").ok()?,
                regex::Regex::new(r"&(\w+);").ok()?,
            ))
        })
        .as_ref()
    else {
        return false;
    };
    if !(close.is_match(text) || reference.is_match(text)) {
        return false;
    }
    let known_tags = tags.captures_iter(text).all(|c| {
        let tag = c[1].to_ascii_lowercase();
        HTML_ELEMENTS.binary_search(&tag.as_str()).is_ok()
    });
    let known_entities = entities
        .captures_iter(text)
        .all(|c| markup5ever::data::NAMED_ENTITIES.contains_key(format!("{};", &c[1]).as_str()));
    known_tags && known_entities
}

/// The HTML elements feedparser's sanitiser accepts, sorted.
const HTML_ELEMENTS: &[&str] = &[
    "a",
    "abbr",
    "acronym",
    "address",
    "area",
    "article",
    "aside",
    "audio",
    "b",
    "bdi",
    "bdo",
    "big",
    "blink",
    "blockquote",
    "br",
    "button",
    "canvas",
    "caption",
    "center",
    "cite",
    "code",
    "col",
    "colgroup",
    "command",
    "datagrid",
    "datalist",
    "dd",
    "del",
    "details",
    "dfn",
    "dialog",
    "dir",
    "div",
    "dl",
    "dt",
    "em",
    "event-source",
    "fieldset",
    "figcaption",
    "figure",
    "font",
    "footer",
    "form",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "header",
    "hr",
    "i",
    "img",
    "input",
    "ins",
    "kbd",
    "keygen",
    "label",
    "legend",
    "li",
    "m",
    "map",
    "menu",
    "meter",
    "multicol",
    "nav",
    "nextid",
    "noscript",
    "ol",
    "optgroup",
    "option",
    "output",
    "p",
    "pre",
    "progress",
    "q",
    "s",
    "samp",
    "section",
    "select",
    "small",
    "sound",
    "source",
    "spacer",
    "span",
    "strike",
    "strong",
    "sub",
    "sup",
    "table",
    "tbody",
    "td",
    "textarea",
    "tfoot",
    "th",
    "thead",
    "time",
    "tr",
    "tt",
    "u",
    "ul",
    "var",
    "video",
];

fn plain_title(text: &feed_rs::model::Text, rss: bool) -> String {
    crate::markup::plain_text(&literal_title(text_body(text, rss)))
}

/// A title that is text, not HTML, keeps its `&lt;` as written (Atom `type="text"`):
/// it is handed on as the HTML that shows it so.
fn literal_title(body: TextBody) -> TextBody {
    if body.is_html || !body.text.contains('&') {
        return body;
    }
    TextBody {
        text: crate::markup::escape_html(&body.text),
        is_html: true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(xml: &str) -> Result<FeedDocument, String> {
        parse(&FetchedDocument {
            url: "https://blog.example.gc.ca/feed".into(),
            status: 200,
            content_type: Some("application/rss+xml".into()),
            content_language: Some("fr-CA".into()),
            body: xml.as_bytes().to_vec(),
            validators: crate::model::Validators::default(),
            moved_permanently_to: None,
        })
    }

    #[test]
    fn legacy_formats_rules_and_warnings() {
        let atom03 = r#"<feed version="0.3" xmlns="http://purl.org/atom/ns#"><title>Blog</title><author><name>Team</name></author>
            <entry><title mode="escaped" type="text/html">A &amp;amp; B</title><issued>2026-03-12T09:00:00-05:00</issued><id>tag:x,2026:1</id>
            <link rel="alternate" type="text/html" href="/2026/a"/></entry></feed>"#;
        let feed = read(atom03).unwrap();
        assert_eq!(feed.entries.len(), 1);
        let entry = &feed.entries[0];
        assert_eq!(
            entry.link.as_deref(),
            Some("/2026/a"),
            "resolved when normalising"
        );
        assert_eq!(
            entry.published.unwrap().to_rfc3339(),
            "2026-03-12T14:00:00+00:00"
        );
        assert_eq!(entry.author.as_deref(), Some("Team"), "from the feed");
        assert_eq!(entry.language.as_deref(), Some("fr-CA"), "Content-Language");
        let guid_only = r#"<rss version="0.94"><channel><title>T</title><item><guid>https://x.example/1</guid><title>One</title>
            <pubDate>Thu, 12 Mar 2026 12:00:00 EDT</pubDate></item></channel></rss>"#;
        let feed = read(guid_only).unwrap();
        assert_eq!(feed.entries[0].link.as_deref(), Some("https://x.example/1"));
        assert_eq!(
            feed.entries[0].published.unwrap().to_rfc3339(),
            "2026-03-12T16:00:00+00:00"
        );
        let entities = r#"<rss version="2.0"><channel><title>Caf&eacute; & co</title><item><title>Q&A &nbsp;</title></item></channel></rss>"#;
        let feed = read(entities).unwrap();
        assert_eq!(feed.title.as_deref(), Some("Café & co"));
        assert!(
            feed.warnings[0].contains("repairing"),
            "{:?}",
            feed.warnings
        );
        assert!(
            read("<foo><bar/></foo>")
                .unwrap_err()
                .contains("root is `foo`")
        );
        assert!(
            read(r#"{"items": []}"#)
                .unwrap_err()
                .contains("not a JSON Feed")
        );
        let empty_entries =
            r#"<rss version="2.0"><channel><title>T</title><item></item></channel></rss>"#;
        assert!(read(empty_entries).is_ok());
    }

    #[test]
    fn missing_ids_stay_missing() {
        let xml = r#"<rss version="2.0"><channel><title>T</title><link>https://example.org/</link>
            <item><title>A</title><link>https://example.org/a</link></item></channel></rss>"#;
        let feed = read(xml).unwrap();
        assert_eq!(feed.entries[0].id, None);
        assert_eq!(
            feed.entries[0].link.as_deref(),
            Some("https://example.org/a")
        );
        assert_eq!(feed.home_link.as_deref(), Some("https://example.org/"));
    }

    #[test]
    fn an_unreadable_date_is_named_with_its_entry() {
        let xml = r#"<rss version="2.0"><channel><title>T</title>
            <item><title>Good</title><pubDate>Thu, 12 Mar 2026 12:00:00 EDT</pubDate></item>
            <item><title>Lunch &amp; learn</title><pubDate>next Tuesday-ish</pubDate></item>
            </channel></rss>"#;
        let feed = read(xml).unwrap();
        assert_eq!(feed.entries.len(), 2);
        assert!(feed.entries[1].published.is_none());
        assert_eq!(feed.warnings.len(), 1, "{:?}", feed.warnings);
        assert!(
            feed.warnings[0].contains("entry “Lunch & learn”")
                && feed.warnings[0].contains("`next Tuesday-ish`"),
            "{:?}",
            feed.warnings
        );
    }

    #[test]
    fn a_bare_ampersand_is_refused_with_a_message() {
        let xml = "<rss version=\"2.0\"><channel><title>A & B</title></chanel></rss>";
        assert!(read(xml).is_err());
    }
}
