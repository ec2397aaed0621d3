//! The plain data that flows between the pipeline's stages: a [`Source`] to fetch, the
//! [`FetchedDocument`] the fetcher brings back, the [`Post`] extracted from it, and the
//! [`FetchRecord`] written for every attempt. Nothing here does I/O.

use std::path::PathBuf;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use url::Url;

/// What a source publishes. `None` on a [`Source`] means "detect from the response".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SourceKind {
    /// RSS 0.9x/1.0/2.0, Atom or JSON Feed.
    Feed,
    /// An iCalendar (.ics) file.
    Ical,
    /// An HTML page listing events.
    Html,
}

impl SourceKind {
    /// The name used in `sources.toml` and in the store.
    pub fn as_str(self) -> &'static str {
        match self {
            SourceKind::Feed => "feed",
            SourceKind::Ical => "ical",
            SourceKind::Html => "html",
        }
    }

    /// The inverse of [`SourceKind::as_str`].
    pub fn parse(name: &str) -> Option<SourceKind> {
        match name {
            "feed" => Some(SourceKind::Feed),
            "ical" => Some(SourceKind::Ical),
            "html" => Some(SourceKind::Html),
            _ => None,
        }
    }
}

/// Where a source's document lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    /// An http or https URL.
    Url(Url),
    /// A file on the local disk (an exported calendar or feed).
    File(PathBuf),
}

impl std::fmt::Display for Location {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Location::Url(url) => f.write_str(url.as_str()),
            Location::File(path) => write!(f, "file {}", path.display()),
        }
    }
}

/// Per-source CSS selectors for HTML pages without structured markup.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Selectors {
    pub item: String,
    pub title: Option<String>,
    pub start: Option<String>,
    pub end: Option<String>,
    pub location: Option<String>,
    pub link: Option<String>,
    pub description: Option<String>,
    pub date_format: Option<String>,
}

/// Per-source CSS selectors for the posts of a page without structured markup
/// (`[sources.post_selectors]`).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PostSelectors {
    pub item: String,
    pub title: Option<String>,
    pub link: Option<String>,
    pub date: Option<String>,
    pub author: Option<String>,
    pub summary: Option<String>,
    pub date_format: Option<String>,
}

/// One registered source, validated.
#[derive(Debug, Clone, PartialEq)]
pub struct Source {
    /// Stable identifier: letters, digits and hyphens.
    pub id: String,
    pub name: String,
    pub department: String,
    pub tags: Vec<String>,
    pub kind: Option<SourceKind>,
    pub location: Location,
    /// Its own refresh schedule, overriding the global one.
    pub schedule: Option<crate::schedule::Schedule>,
    /// The zone for times the source writes without one.
    pub timezone: Option<Tz>,
    pub selectors: Option<Selectors>,
    /// For pages: CSS selectors for posts, where the page has no article markup.
    pub post_selectors: Option<PostSelectors>,
    /// For feeds: read the events on the pages the entries link to (an events blog whose
    /// posts each describe one event). Off by default: it costs a fetch per entry.
    pub events_from_links: bool,
    /// The language the source publishes in (`en`, `fr`), when the operator says so; it
    /// wins over what the documents declare.
    pub language: Option<String>,
    /// The id of the source this one is the other-language version of (a department's
    /// French calendar names its English one): their events are paired by time and place.
    pub translation_of: Option<String>,
}

/// Another language's version of a page, post or event, as a document links to it
/// (`<link rel="alternate" hreflang>`, a language toggle, schema.org `workTranslation`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct Translation {
    /// A language code (`en`, `fr`), or empty when the link did not say.
    pub language: String,
    /// Absolute.
    pub url: String,
}

/// Validators remembered from the previous fetch, sent back for a conditional GET.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Validators {
    pub etag: Option<String>,
    pub last_modified: Option<String>,
}

/// A document the fetcher brought back, before anything parsed it.
#[derive(Debug, Clone)]
pub struct FetchedDocument {
    /// The URL (or file path) the body was finally read from, after redirects.
    pub url: String,
    /// The HTTP status of the final response (200 for files).
    pub status: u16,
    pub content_type: Option<String>,
    /// The HTTP Content-Language, the language of last resort for a feed's entries.
    pub content_language: Option<String>,
    pub body: Vec<u8>,
    /// Validators to store for the next conditional request.
    pub validators: Validators,
    /// Set when every redirect on the way was permanent (301/308): the new address to keep.
    pub moved_permanently_to: Option<Url>,
}

/// A blog or news entry, normalised: absolute links, sanitised HTML, UTC times.
#[derive(Debug, Clone, PartialEq)]
pub struct Post {
    pub source_id: String,
    /// Stable within the source: the entry's guid/id, else its link, else a hash of
    /// title and date.
    pub entry_id: String,
    pub link: Option<String>,
    pub title: String,
    pub author: Option<String>,
    /// As the source gave it; `None` when it gave none (the store keeps first-seen time).
    pub published: Option<DateTime<Utc>>,
    pub updated: Option<DateTime<Utc>>,
    /// Sanitised HTML.
    pub summary_html: Option<String>,
    /// Sanitised HTML.
    pub content_html: Option<String>,
    pub language: Option<String>,
    pub categories: Vec<String>,
    /// The entry's versions in other languages, as the feed links them.
    pub translations: Vec<Translation>,
}

/// A post as the store holds it, with what readers of the merged feeds need to know.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredPost {
    pub post: Post,
    pub source_name: String,
    pub department: String,
    pub first_seen: DateTime<Utc>,
    /// When the stored row last changed (insert or edit).
    pub changed: DateTime<Utc>,
    /// The same post in other languages, from the feeds that publish them (paired by the
    /// feeds' `hreflang` links): shown once, with a link to each.
    pub versions: Vec<PostVersion>,
}

/// Another language's version of a stored post.
#[derive(Debug, Clone, PartialEq)]
pub struct PostVersion {
    pub language: String,
    pub title: String,
    pub link: Option<String>,
    pub summary_html: Option<String>,
    pub source_id: String,
    pub source_name: String,
}

impl StoredPost {
    /// The time a reader sees: published, else updated, else when Bulletin first saw it.
    pub fn date(&self) -> DateTime<Utc> {
        self.post
            .published
            .or(self.post.updated)
            .unwrap_or(self.first_seen)
    }

    /// The time the entry last changed, for Atom's `updated`.
    pub fn updated(&self) -> DateTime<Utc> {
        self.post.updated.unwrap_or_else(|| self.date())
    }
}

/// How one fetch of one source ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FetchOutcome {
    /// New content was read and stored.
    Ok,
    /// The document came (the server sent it whole) but was what Bulletin already had:
    /// the same bytes read the same way, or nothing in it differed from what is stored.
    /// Nothing was written but this record.
    Unchanged,
    /// The server (or the file) said nothing changed.
    NotModified,
    /// Nothing was stored; the error says why.
    Failed,
}

impl FetchOutcome {
    pub fn as_str(self) -> &'static str {
        match self {
            FetchOutcome::Ok => "ok",
            FetchOutcome::Unchanged => "unchanged",
            FetchOutcome::NotModified => "not_modified",
            FetchOutcome::Failed => "failed",
        }
    }

    pub fn parse(name: &str) -> Option<FetchOutcome> {
        match name {
            "ok" => Some(FetchOutcome::Ok),
            "unchanged" => Some(FetchOutcome::Unchanged),
            "not_modified" => Some(FetchOutcome::NotModified),
            "failed" => Some(FetchOutcome::Failed),
            _ => None,
        }
    }
}

/// The record of one fetch attempt, as stored and shown on the source's health line.
#[derive(Debug, Clone, PartialEq)]
pub struct FetchRecord {
    pub source_id: String,
    pub url: String,
    pub started: DateTime<Utc>,
    /// Wall time of the whole attempt, retries included.
    pub duration_ms: u64,
    /// Of which parsing and normalising took this much.
    pub parse_ms: u64,
    pub http_status: Option<u16>,
    pub bytes: u64,
    pub items_found: u32,
    pub items_new: u32,
    pub items_updated: u32,
    pub outcome: FetchOutcome,
    pub error: Option<String>,
    /// Parts of an otherwise successful fetch that could not be read.
    pub warnings: Option<String>,
}

/// What the store remembers between fetches of one source.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SourceState {
    pub validators: Validators,
    /// The URL to fetch, after a permanent redirect moved the source.
    pub fetch_url: Option<String>,
    pub consecutive_failures: u32,
    /// Scheduled passes skip the source until then (backoff or Retry-After).
    pub next_attempt_after: Option<DateTime<Utc>>,
    /// When the latest fetch attempt started.
    pub last_attempt: Option<DateTime<Utc>>,
    /// The latest fetch record, where the caller asked for it.
    pub last_fetch: Option<FetchRecord>,
    /// What the source's document was at its latest successful fetch.
    pub detected_kind: Option<SourceKind>,
    /// How many posts and events the latest fetch that found any gave.
    pub last_items: u32,
    /// A feed's own home page, as its latest successful fetch gave it.
    pub home_url: Option<String>,
    /// The key of the document last read: what reading it depended on, then its digest
    /// (see `refresh::ContentKey`).
    pub content_key: Option<String>,
}

/// Where an event stands, as calendars show it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum EventStatus {
    Confirmed,
    Tentative,
    Cancelled,
    Postponed,
}

impl EventStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            EventStatus::Confirmed => "confirmed",
            EventStatus::Tentative => "tentative",
            EventStatus::Cancelled => "cancelled",
            EventStatus::Postponed => "postponed",
        }
    }

    pub fn parse(name: &str) -> Option<EventStatus> {
        match name {
            "confirmed" => Some(EventStatus::Confirmed),
            "tentative" => Some(EventStatus::Tentative),
            "cancelled" => Some(EventStatus::Cancelled),
            "postponed" => Some(EventStatus::Postponed),
            _ => None,
        }
    }
}

/// When an event starts or ends: a whole day (all-day events; an end date is exclusive),
/// or an instant.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(untagged)]
pub enum EventTime {
    Date(chrono::NaiveDate),
    At(DateTime<Utc>),
}

impl EventTime {
    /// The instant, taking a date as its midnight in `zone` (for ordering and windows).
    pub fn instant(&self, zone: Tz) -> DateTime<Utc> {
        use chrono::TimeZone;
        match self {
            EventTime::At(at) => *at,
            EventTime::Date(date) => zone
                .from_local_datetime(&date.and_hms_opt(0, 0, 0).expect("midnight exists"))
                .earliest()
                .map(|d| d.with_timezone(&Utc))
                .unwrap_or_else(|| date.and_hms_opt(0, 0, 0).expect("midnight").and_utc()),
        }
    }

    /// Stored text: `2026-12-11` for a date, RFC 3339 UTC for an instant.
    pub fn to_text(&self) -> String {
        match self {
            EventTime::Date(date) => date.format("%Y-%m-%d").to_string(),
            EventTime::At(at) => at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        }
    }

    /// The inverse of [`EventTime::to_text`].
    pub fn from_text(text: &str) -> Option<EventTime> {
        if text.len() == 10 {
            return chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d")
                .ok()
                .map(EventTime::Date);
        }
        DateTime::parse_from_rfc3339(text)
            .ok()
            .map(|t| EventTime::At(t.with_timezone(&Utc)))
    }
}

/// An event, normalised: instants in UTC with the zone it was written in, plain-text and
/// sanitised descriptions, absolute URLs. One occurrence of a recurring series is one
/// `Event`, with `series_uid` naming the series.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Event {
    pub source_id: String,
    /// Stable within the source: the calendar UID (plus `/` and the original start for an
    /// occurrence), else the event's URL, else a hash of title and start.
    pub uid: String,
    pub series_uid: Option<String>,
    pub title: String,
    pub description_text: Option<String>,
    /// Sanitised HTML, where the source had HTML.
    pub description_html: Option<String>,
    pub start: EventTime,
    pub end: Option<EventTime>,
    /// The IANA zone the times were written in, when they had one.
    pub timezone: Option<String>,
    pub location_name: Option<String>,
    pub location_address: Option<String>,
    pub online_url: Option<String>,
    /// The event's own page.
    pub url: Option<String>,
    pub organiser: Option<String>,
    pub language: Option<String>,
    pub status: EventStatus,
    pub categories: Vec<String>,
    /// The event's own pages in other languages, as its page links them (the language
    /// toggle, `hreflang` alternates, schema.org `workTranslation`/`translationOfWork`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub translations: Vec<Translation>,
}

/// One language's version of a merged event, other than the version it leads with: what
/// its listings in that language say.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct EventVersion {
    /// A language code (`en`, `fr`).
    pub language: String,
    pub title: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description_text: Option<String>,
    /// Sanitised HTML.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description_html: Option<String>,
    /// The event's own page in that language.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// The place as that language's listings name it (`Salle 310` beside `Room 310`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location_address: Option<String>,
    /// The sources whose listings give this version, first lister first.
    #[serde(default)]
    pub sources: Vec<String>,
}

impl Event {
    pub fn all_day(&self) -> bool {
        matches!(self.start, EventTime::Date(_))
    }
}
