//! Upcoming events as feeds — RSS 2.0, Atom 1.0 and JSON Feed 1.1 — for feed readers
//! that follow the blog roll: one entry per event, ordered as given (by start), written
//! with the same crates and conventions as the blog roll's feeds (`rss.rs`, `atom.rs`,
//! `jsonfeed.rs`).
//!
//! An entry's title carries the event's date and time in the feed's language (the
//! listing's style, `dates::event_when`), its summary says when, where, the online link
//! and who lists it, its link is the event's page on this site and its enclosure the
//! event's `.ics`. Its id (`urn:bulletin:event:{uid}`) never changes; its updated time is
//! the event's last change, so readers see an edited event as updated. The event is shown
//! in the feed's language where it has a version in it (`versions::event_in`). Pure.

use atom_syndication::{Category as AtomCategory, Entry, Feed, Generator, Link, Person, Text};
use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use rss::extension::dublincore::DublinCoreExtension;
use rss::{Category, Enclosure, Guid, Item};
use serde::Serialize;

use super::dates::{Dates, Style, event_when};
use super::versions::event_in;
use super::{FeedMeta, xml_safe};
use crate::i18n::Lang;
use crate::markup::escape_html;
use crate::model::EventStatus;
use crate::store::StoredEvent;
use crate::web::routes;

/// What every entry needs beyond the event: where links point and how dates are written.
#[derive(Debug, Clone)]
pub struct EntryContext {
    /// `https://host[:port]`, without a trailing slash.
    pub origin: String,
    pub lang: Lang,
    pub style: Style,
    /// The zone the service shows times in.
    pub zone: Tz,
}

/// One event as every format writes it.
struct EventEntry {
    id: String,
    title: String,
    /// The event's page on this site, in the feed's language.
    page: String,
    /// The event's own page elsewhere (the department's), when it has one.
    original: Option<String>,
    ics: String,
    /// (label, value) lines: when, where, online, listed by.
    facts: Vec<(&'static str, String)>,
    description: Option<String>,
    /// Who lists it, first lister first.
    listed_by: Vec<String>,
    categories: Vec<String>,
    language: Option<String>,
    published: DateTime<Utc>,
    updated: DateTime<Utc>,
    start: DateTime<Utc>,
    end: Option<DateTime<Utc>>,
    cancelled: bool,
}

/// The permanent id of an event's entry.
pub fn entry_id(uid: &str) -> String {
    format!("urn:bulletin:event:{uid}")
}

/// A label's colon: French puts a (no-break) space before it.
fn colon(lang: Lang) -> &'static str {
    match lang {
        Lang::Fr => "\u{a0}: ",
        Lang::En => ": ",
    }
}

fn status_label(status: EventStatus) -> Option<&'static str> {
    match status {
        EventStatus::Confirmed => None,
        EventStatus::Tentative => Some("events.status.tentative"),
        EventStatus::Cancelled => Some("events.status.cancelled"),
        EventStatus::Postponed => Some("events.status.postponed"),
    }
}

fn entry(ctx: &EntryContext, stored: &StoredEvent) -> EventEntry {
    let lang = ctx.lang;
    let shown = event_in(stored, lang.code());
    let event = &stored.event;
    let when = event_when(Dates::new(lang, ctx.style), ctx.zone, event, true);
    let mut title = format!("{} — {when}", shown.title.trim());
    if let Some(key) = status_label(event.status) {
        title = format!("{}{}{title}", lang.t(key), colon(lang));
    }
    let place: Vec<&str> = [shown.location_name, shown.location_address]
        .into_iter()
        .flatten()
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .collect();
    let listed_by: Vec<String> = stored
        .sources
        .iter()
        .filter(|s| s.listed)
        .chain(stored.sources.iter().filter(|s| !s.listed))
        .map(|s| {
            let department = super::html::department_name(lang, &s.department);
            if department.is_empty() || department == s.source_name {
                s.source_name.clone()
            } else {
                format!("{} ({department})", s.source_name)
            }
        })
        .collect();
    let mut facts = vec![("events.when", when)];
    if !place.is_empty() {
        facts.push(("events.where", place.join(", ")));
    }
    if let Some(online) = &event.online_url {
        facts.push(("events.online_link", online.clone()));
    }
    if !listed_by.is_empty() {
        facts.push(("events.by", listed_by.join(", ")));
    }
    let mut categories = stored.tags.clone();
    for s in &stored.sources {
        let department = super::html::department_name(lang, &s.department).to_string();
        if !department.is_empty() && !categories.contains(&department) {
            categories.push(department);
        }
    }
    let page_query = format!("lang={}", lang.code());
    EventEntry {
        id: entry_id(&stored.uid),
        title,
        page: format!(
            "{}{}",
            ctx.origin,
            routes::with_query(&routes::event_page(&stored.uid), &page_query)
        ),
        original: shown.url.map(str::to_string),
        ics: format!("{}{}", ctx.origin, routes::event_ics(&stored.uid)),
        facts,
        description: shown
            .description_text
            .map(str::trim)
            .filter(|d| !d.is_empty())
            .map(str::to_string),
        listed_by,
        categories,
        language: shown.language.clone(),
        published: stored.first_seen,
        updated: stored.changed,
        start: event.start.instant(ctx.zone),
        end: event.end.map(|end| end.instant(ctx.zone)),
        cancelled: event.status == EventStatus::Cancelled,
    }
}

impl EventEntry {
    /// The summary as plain text: one line per fact, then the description.
    fn text(&self, lang: Lang) -> String {
        let mut lines: Vec<String> = self
            .facts
            .iter()
            .map(|(key, value)| format!("{}{}{value}", lang.t(key), colon(lang)))
            .collect();
        if let Some(description) = &self.description {
            lines.push(String::new());
            lines.push(description.clone());
        }
        lines.join("\n")
    }

    /// The summary as HTML (escaped text only): the facts as a list, the description as
    /// paragraphs, the online link as a link.
    fn html(&self, lang: Lang) -> String {
        let separator = colon(lang);
        let mut out = String::from("<ul>");
        for (key, value) in &self.facts {
            let value = if *key == "events.online_link" {
                let href = escape_html(value);
                format!("<a href=\"{href}\">{href}</a>")
            } else {
                escape_html(value)
            };
            out.push_str(&format!(
                "<li><strong>{}</strong>{separator}{value}</li>",
                escape_html(lang.t(key))
            ));
        }
        out.push_str("</ul>");
        if let Some(description) = &self.description {
            for paragraph in description.split("\n\n").filter(|p| !p.trim().is_empty()) {
                out.push_str(&format!(
                    "<p>{}</p>",
                    escape_html(paragraph.trim()).replace('\n', "<br>")
                ));
            }
        }
        out
    }
}

/// RSS 2.0: `guid isPermaLink="false"`, the event page as `link`, the `.ics` as
/// `enclosure` (length 0: not known without rendering it, as the RSS Advisory Board's
/// profile allows), `pubDate` when the event was first seen, `dc:creator` who lists it.
pub fn rss(meta: &FeedMeta, ctx: &EntryContext, events: &[StoredEvent]) -> Vec<u8> {
    let items: Vec<Item> = events
        .iter()
        .map(|stored| {
            let e = entry(ctx, stored);
            let mut dc = DublinCoreExtension::default();
            dc.set_creators(
                e.listed_by
                    .iter()
                    .map(|s| xml_safe(s).into_owned())
                    .collect::<Vec<_>>(),
            );
            dc.set_dates(vec![e.updated.to_rfc3339()]);
            Item {
                title: Some(xml_safe(&e.title).into_owned()),
                link: Some(e.page.clone()),
                description: Some(xml_safe(&e.html(ctx.lang)).into_owned()),
                guid: Some(Guid {
                    value: e.id.clone(),
                    permalink: false,
                }),
                pub_date: Some(e.published.to_rfc2822()),
                enclosure: Some(Enclosure {
                    url: e.ics.clone(),
                    length: "0".into(),
                    mime_type: "text/calendar".into(),
                }),
                categories: e
                    .categories
                    .iter()
                    .map(|c| Category {
                        name: xml_safe(c).into_owned(),
                        domain: None,
                    })
                    .collect(),
                dublin_core_ext: Some(dc),
                ..Item::default()
            }
        })
        .collect();
    super::rss::channel_bytes(meta, items)
}

fn atom_link(href: &str, rel: &str, mime: &str) -> Link {
    Link {
        href: href.to_string(),
        rel: rel.to_string(),
        mime_type: Some(mime.to_string()),
        ..Link::default()
    }
}

/// Atom 1.0: the event page as the `alternate` link, the `.ics` as `enclosure`, the
/// department's page as `related`; `updated` the event's last change, `published` when it
/// was first seen; each lister an author.
pub fn atom(meta: &FeedMeta, ctx: &EntryContext, events: &[StoredEvent]) -> Vec<u8> {
    let entries = events
        .iter()
        .map(|stored| {
            let e = entry(ctx, stored);
            let mut links = vec![
                atom_link(&e.page, "alternate", "text/html"),
                atom_link(&e.ics, "enclosure", "text/calendar"),
            ];
            if let Some(original) = &e.original {
                links.push(atom_link(original, "related", "text/html"));
            }
            let authors = if e.listed_by.is_empty() {
                vec![Person {
                    name: "Bulletin".into(),
                    ..Person::default()
                }]
            } else {
                e.listed_by
                    .iter()
                    .map(|name| Person {
                        name: xml_safe(name).into_owned(),
                        ..Person::default()
                    })
                    .collect()
            };
            Entry {
                title: Text::plain(xml_safe(&e.title).into_owned()),
                id: e.id.clone(),
                updated: e.updated.fixed_offset(),
                published: Some(e.published.fixed_offset()),
                authors,
                links,
                summary: Some(Text::html(xml_safe(&e.html(ctx.lang)).into_owned())),
                categories: e
                    .categories
                    .iter()
                    .map(|term| AtomCategory {
                        term: xml_safe(term).into_owned(),
                        ..AtomCategory::default()
                    })
                    .collect(),
                ..Entry::default()
            }
        })
        .collect();
    let feed = Feed {
        title: Text::plain(xml_safe(&meta.title).into_owned()),
        id: meta.id.clone(),
        updated: meta.updated.fixed_offset(),
        subtitle: Some(Text::plain(xml_safe(&meta.description).into_owned())),
        links: vec![
            atom_link(&meta.self_url, "self", "application/atom+xml"),
            atom_link(&meta.page_url, "alternate", "text/html"),
        ],
        generator: Some(Generator {
            value: "Bulletin".into(),
            uri: None,
            version: Some(env!("CARGO_PKG_VERSION").into()),
        }),
        lang: Some(meta.language.clone()),
        entries,
        ..Feed::default()
    };
    let mut bytes = Vec::with_capacity(4096 + events.len() * 2048);
    feed.write_to(&mut bytes)
        .expect("writing to memory cannot fail");
    bytes
}

#[derive(Serialize)]
struct JsonFeed<'a> {
    version: &'static str,
    title: &'a str,
    description: &'a str,
    home_page_url: &'a str,
    feed_url: &'a str,
    language: &'a str,
    items: Vec<JsonItem>,
}

#[derive(Serialize)]
struct JsonItem {
    id: String,
    url: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    external_url: Option<String>,
    title: String,
    content_html: String,
    content_text: String,
    date_published: String,
    date_modified: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    authors: Vec<JsonName>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    tags: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    language: Option<String>,
    attachments: Vec<JsonAttachment>,
    _bulletin: JsonEvent,
}

#[derive(Serialize)]
struct JsonName {
    name: String,
}

#[derive(Serialize)]
struct JsonAttachment {
    url: String,
    mime_type: &'static str,
}

/// The extension object: the event's times as data, so a reader need not parse the title.
#[derive(Serialize)]
struct JsonEvent {
    uid: String,
    start: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    end: Option<String>,
    cancelled: bool,
}

/// JSON Feed 1.1: the event page as `url`, the department's page as `external_url`, the
/// `.ics` as an attachment, and a `_bulletin` extension with the start and end.
pub fn json(meta: &FeedMeta, ctx: &EntryContext, events: &[StoredEvent]) -> Vec<u8> {
    let items = events
        .iter()
        .map(|stored| {
            let e = entry(ctx, stored);
            JsonItem {
                content_html: e.html(ctx.lang),
                content_text: e.text(ctx.lang),
                id: e.id,
                url: e.page,
                external_url: e.original,
                title: e.title,
                date_published: e.published.to_rfc3339(),
                date_modified: e.updated.to_rfc3339(),
                authors: e
                    .listed_by
                    .into_iter()
                    .map(|name| JsonName { name })
                    .collect(),
                tags: e.categories,
                language: e.language,
                attachments: vec![JsonAttachment {
                    url: e.ics,
                    mime_type: "text/calendar",
                }],
                _bulletin: JsonEvent {
                    uid: stored.uid.clone(),
                    start: e.start.to_rfc3339(),
                    end: e.end.map(|end| end.to_rfc3339()),
                    cancelled: e.cancelled,
                },
            }
        })
        .collect();
    let feed = JsonFeed {
        version: "https://jsonfeed.org/version/1.1",
        title: &meta.title,
        description: &meta.description,
        home_page_url: &meta.page_url,
        feed_url: &meta.self_url,
        language: &meta.language,
        items,
    };
    serde_json::to_vec_pretty(&feed).expect("serialising plain data cannot fail")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{EventTime, EventVersion};
    use crate::render::fixtures;
    use crate::store::ListedBy;

    fn stored() -> StoredEvent {
        let at = |h| format!("2027-01-13T{h:02}:00:00Z").parse().unwrap();
        let mut event = fixtures::event(
            EventTime::At(at(18)),
            Some(EventTime::At(at(19))),
            Some("America/Toronto"),
        );
        event.title = "Lunch & learn <data>".into();
        event.description_text = Some("Bring lunch.\n\nAll welcome.".into());
        event.location_name = Some("Room 2".into());
        event.online_url = Some("https://teams.example/j?a=1&b=2".into());
        event.url = Some("https://www.canada.ca/en/e.html".into());
        event.language = Some("en".into());
        StoredEvent {
            uid: "abc123".into(),
            event,
            listed: true,
            revision: 2,
            sources: vec![ListedBy {
                source_id: "hc".into(),
                source_name: "HC events".into(),
                department: "Health Canada / Santé Canada".into(),
                source_uid: "x".into(),
                listed: true,
            }],
            tags: vec!["data".into()],
            provenance: Default::default(),
            versions: vec![EventVersion {
                language: "fr".into(),
                title: "Dîner-causerie".into(),
                description_text: Some("Apportez votre dîner.".into()),
                description_html: None,
                url: Some("https://www.canada.ca/fr/e.html".into()),
                location_name: Some("Salle 2".into()),
                location_address: None,
                sources: vec!["hc-fr".into()],
            }],
            merged_into: None,
            first_seen: at(1),
            last_seen: at(2),
            changed: at(3),
        }
    }

    fn ctx(lang: Lang) -> EntryContext {
        EntryContext {
            origin: "https://bulletin.example.gc.ca".into(),
            lang,
            style: Style::CanadaCa,
            zone: chrono_tz::America::Toronto,
        }
    }

    #[test]
    fn each_format_reads_back_with_feed_rs() {
        let events = [stored()];
        for bytes in [
            rss(&fixtures::meta(), &ctx(Lang::En), &events),
            atom(&fixtures::meta(), &ctx(Lang::En), &events),
            json(&fixtures::meta(), &ctx(Lang::En), &events),
        ] {
            let feed = feed_rs::parser::parse(bytes.as_slice()).expect("feed-rs reads it");
            let entry = &feed.entries[0];
            assert_eq!(entry.id, "urn:bulletin:event:abc123");
            let title = &entry.title.as_ref().unwrap().content;
            assert!(title.starts_with("Lunch & learn <data> — "), "{title}");
            assert!(title.contains("January 13, 2027"), "{title}");
            assert!(title.contains("1:00 pm"), "{title}");
            assert!(
                entry
                    .links
                    .iter()
                    .any(|l| l.href == "https://bulletin.example.gc.ca/events/abc123?lang=en"),
                "{:?}",
                entry.links
            );
            let summary = entry
                .summary
                .as_ref()
                .map(|s| s.content.clone())
                .or_else(|| entry.content.as_ref().and_then(|c| c.body.clone()))
                .unwrap();
            assert!(summary.contains("Room 2"), "{summary}");
            assert!(summary.contains("HC events (Health Canada)"), "{summary}");
            assert!(
                summary.contains("https://teams.example/j?a=1&"),
                "{summary}"
            );
        }
    }

    #[test]
    fn french_feeds_give_the_french_version_and_french_dates() {
        let bytes = atom(&fixtures::meta(), &ctx(Lang::Fr), &[stored()]);
        let feed = feed_rs::parser::parse(bytes.as_slice()).unwrap();
        let title = &feed.entries[0].title.as_ref().unwrap().content;
        assert!(title.starts_with("Dîner-causerie — "), "{title}");
        assert!(title.contains("13 janvier 2027"), "{title}");
        assert!(title.contains("13 h"), "{title}");
        let summary = feed.entries[0]
            .summary
            .as_ref()
            .map(|s| s.content.clone())
            .unwrap_or_default();
        assert!(
            summary.contains("Salle 2") && !summary.contains("Room 2"),
            "the French version's place: {summary}"
        );
    }

    #[test]
    fn cancelled_events_say_so_in_their_title() {
        let mut event = stored();
        event.event.status = EventStatus::Cancelled;
        let bytes = json(&fixtures::meta(), &ctx(Lang::En), &[event]);
        let value: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
        let title = value["items"][0]["title"].as_str().unwrap();
        assert!(title.starts_with("Cancelled: Lunch"), "{title}");
        assert_eq!(value["items"][0]["_bulletin"]["cancelled"], true);
        assert_eq!(
            value["items"][0]["attachments"][0]["url"],
            "https://bulletin.example.gc.ca/events/abc123.ics"
        );
    }
}
