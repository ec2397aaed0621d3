//! Renderers: pure functions from stored data to the bytes we serve. No I/O, no clock,
//! no HTTP: the web layer hands them everything, so each is tested without a server.
//!
//! Feeds are written with the community's crates (`rss`, `atom_syndication`, `opml`,
//! `serde_json`), never by string concatenation.

pub mod api;
pub mod atom;
pub mod dates;
pub mod digest;
pub mod event_feeds;
pub mod html;
pub mod ics;
pub mod jsonfeed;
pub mod links;
pub mod opml;
pub mod rss;
pub mod summary;
pub mod versions;

use std::borrow::Cow;

use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};

use crate::model::StoredPost;

/// What a merged feed says about itself.
#[derive(Debug, Clone, PartialEq)]
pub struct FeedMeta {
    pub title: String,
    pub description: String,
    /// The absolute URL this feed is served at (its self link).
    pub self_url: String,
    /// The absolute URL of the matching HTML page.
    pub page_url: String,
    /// A stable identifier for this view (same filters, same id).
    pub id: String,
    /// The newest change among the posts shown (the feed's `updated`).
    pub updated: DateTime<Utc>,
    pub language: String,
}

/// The feed-wide unique, permanent id of a post: entry ids are only unique within their
/// source, and the same link can come from two sources.
pub fn post_id(post: &StoredPost) -> String {
    post_id_of(&post.post.source_id, &post.post.entry_id)
}

/// [`post_id`] of the post with this entry id in this source.
pub fn post_id_of(source_id: &str, entry_id: &str) -> String {
    let digest = Sha256::digest(entry_id.as_bytes());
    let hex: String = digest.iter().take(12).map(|b| format!("{b:02x}")).collect();
    format!("urn:bulletin:post:{source_id}:{hex}")
}

/// Removes characters XML 1.0 forbids (most C0 controls, lone surrogates cannot occur in
/// Rust strings, U+FFFE/U+FFFF), which would make a whole feed unreadable.
pub fn xml_safe(text: &str) -> Cow<'_, str> {
    let allowed = |c: char| {
        matches!(c, '\t' | '\n' | '\r') || (c >= ' ' && c != '\u{fffe}' && c != '\u{ffff}')
    };
    if text.chars().all(allowed) {
        Cow::Borrowed(text)
    } else {
        Cow::Owned(text.chars().filter(|c| allowed(*c)).collect())
    }
}

/// The HTML body a reader should see: the full content, else the summary.
pub fn body_html(post: &StoredPost) -> Option<&str> {
    post.post
        .content_html
        .as_deref()
        .or(post.post.summary_html.as_deref())
}

#[cfg(test)]
pub(crate) mod fixtures {
    //! A small, fixed set of stored posts for renderer tests.
    use chrono::TimeZone;

    use super::FeedMeta;
    use crate::model::{Event, EventStatus, EventTime, Post, StoredPost};

    /// A confirmed event with only its times set (tests of the pages fill in the rest).
    pub fn event(start: EventTime, end: Option<EventTime>, zone: Option<&str>) -> Event {
        Event {
            source_id: "dept".into(),
            uid: "x".into(),
            series_uid: None,
            title: "Lunch and learn".into(),
            description_text: None,
            description_html: None,
            start,
            end,
            timezone: zone.map(str::to_string),
            location_name: None,
            location_address: None,
            online_url: None,
            url: None,
            organiser: None,
            language: None,
            status: EventStatus::Confirmed,
            categories: vec![],
            translations: vec![],
        }
    }

    pub fn meta() -> FeedMeta {
        FeedMeta {
            title: "Bulletin — blog roll".into(),
            description: "Posts from government blogs".into(),
            self_url: "https://bulletin.example.gc.ca/feed.rss?tag=digital".into(),
            page_url: "https://bulletin.example.gc.ca/posts?tag=digital".into(),
            id: "urn:bulletin:feed:tag=digital".into(),
            updated: chrono::Utc.with_ymd_and_hms(2026, 11, 3, 15, 0, 0).unwrap(),
            language: "en".into(),
        }
    }

    pub fn posts() -> Vec<StoredPost> {
        let at = |d, h| chrono::Utc.with_ymd_and_hms(2026, 11, d, h, 30, 0).unwrap();
        vec![
            StoredPost {
                post: Post {
                    source_id: "gds-blog".into(),
                    entry_id: "https://gds.blog.example.gov.uk/?p=123".into(),
                    link: Some("https://gds.blog.example.gov.uk/2026/11/03/design-systems/".into()),
                    title: "Design systems & <you>".into(),
                    author: Some("Jane Smith".into()),
                    published: Some(at(3, 14)),
                    updated: Some(at(3, 15)),
                    summary_html: Some("<p>Short summary</p>".into()),
                    content_html: Some("<p>Full <strong>content</strong> \u{1}here</p>".into()),
                    language: Some("en-GB".into()),
                    categories: vec!["design".into()],
                    translations: vec![],
                },
                source_name: "GDS blog".into(),
                department: "Cabinet Office (UK)".into(),
                first_seen: at(3, 16),
                changed: at(3, 16),
                versions: vec![],
            },
            StoredPost {
                post: Post {
                    source_id: "cds-blog".into(),
                    entry_id: "tag:digital.example.gc.ca,2026:blog/cafe".into(),
                    link: Some("https://digital.example.gc.ca/blog/cafe.html".into()),
                    title: "Café-causerie sur l'accessibilité".into(),
                    author: None,
                    published: None,
                    updated: None,
                    summary_html: Some("<p>Résumé</p>".into()),
                    content_html: None,
                    language: Some("fr-CA".into()),
                    categories: vec![],
                    translations: vec![],
                },
                source_name: "Service numérique canadien".into(),
                department: "Treasury Board Secretariat".into(),
                first_seen: at(2, 9),
                changed: at(2, 9),
                versions: vec![],
            },
        ]
    }
}
