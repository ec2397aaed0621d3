//! RSS 0.9x/1.0/2.0, Atom and JSON Feed, through feed-rs.
//!
//! Maps feed-rs's model onto [`FeedDocument`]/[`FeedEntry`], keeping what normalising
//! needs and nothing more: ids exactly as the feed wrote them (feed-rs would invent some;
//! we ask it not to), links as written (relative ones resolved later), text bodies tagged
//! as HTML or plain text. Dropped on purpose: enclosures and media, ratings, rights,
//! contributors.

use chrono::{DateTime, Utc};

pub use crate::markup::TextBody;

/// A parsed feed, before normalising.
#[derive(Debug, Clone, PartialEq)]
pub struct FeedDocument {
    pub title: Option<String>,
    /// The site the feed belongs to (RSS channel link, Atom alternate link, JSON home_page_url).
    pub home_link: Option<String>,
    pub language: Option<String>,
    pub entries: Vec<FeedEntry>,
}

/// One entry as the feed wrote it.
#[derive(Debug, Clone, PartialEq)]
pub struct FeedEntry {
    /// guid / id / JSON Feed id; `None` when the feed gave none.
    pub id: Option<String>,
    /// The entry's page, possibly relative.
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
}

/// Parses raw bytes (feed-rs honours the declared XML encoding itself).
pub fn parse(body: &[u8]) -> Result<FeedDocument, String> {
    let parser = feed_rs::parser::Builder::new()
        // An empty id marks "none given": we derive our own stable ids when normalising.
        .id_generator(|_, _, _| String::new())
        .sanitize_content(false)
        .build();
    let feed = parser.parse(body).map_err(|e| e.to_string())?;
    let home_link = pick_link(&feed.links);
    let entries = feed.entries.into_iter().map(entry).collect();
    Ok(FeedDocument {
        title: feed.title.map(|t| plain_title(&t)),
        home_link,
        language: feed.language,
        entries,
    })
}

fn entry(entry: feed_rs::model::Entry) -> FeedEntry {
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
    FeedEntry {
        calendar_links,
        id: Some(entry.id.trim().to_string()).filter(|id| !id.is_empty()),
        link: pick_link(&entry.links),
        base: entry.base,
        title: entry.title.as_ref().map(text_body),
        author: entry.authors.iter().find_map(|p| {
            p.name
                .as_ref()
                .map(|n| n.trim().to_string())
                .filter(|n| !n.is_empty())
        }),
        published: entry.published,
        // feed-rs copies an RSS pubDate into `updated`; an update equal to publication
        // says nothing, so only a distinct one is kept.
        updated: entry.updated.filter(|u| Some(*u) != entry.published),
        summary: entry
            .summary
            .as_ref()
            .map(text_body)
            .filter(|t| !t.text.trim().is_empty()),
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

/// The alternate (or unlabelled) link, else the first.
fn pick_link(links: &[feed_rs::model::Link]) -> Option<String> {
    links
        .iter()
        .find(|l| matches!(l.rel.as_deref(), None | Some("alternate")))
        .or_else(|| links.iter().find(|l| l.rel.as_deref() != Some("self")))
        .map(|l| l.href.trim().to_string())
        .filter(|href| !href.is_empty())
}

fn text_body(text: &feed_rs::model::Text) -> TextBody {
    let essence = text.content_type.essence().to_string();
    TextBody {
        text: text.content.clone(),
        is_html: essence.contains("html"),
    }
}

fn plain_title(text: &feed_rs::model::Text) -> String {
    crate::markup::plain_text(&text_body(text))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_ids_stay_missing() {
        let xml = r#"<rss version="2.0"><channel><title>T</title><link>https://example.org/</link>
            <item><title>A</title><link>https://example.org/a</link></item></channel></rss>"#;
        let feed = parse(xml.as_bytes()).unwrap();
        assert_eq!(feed.entries[0].id, None);
        assert_eq!(
            feed.entries[0].link.as_deref(),
            Some("https://example.org/a")
        );
        assert_eq!(feed.home_link.as_deref(), Some("https://example.org/"));
    }

    #[test]
    fn a_bare_ampersand_is_refused_with_a_message() {
        let xml = "<rss version=\"2.0\"><channel><title>A & B</title></chanel></rss>";
        assert!(parse(xml.as_bytes()).is_err());
    }
}
