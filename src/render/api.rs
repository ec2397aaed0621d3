//! The JSON API (`/api/events`, `/api/posts`, `/api/sources`): the same data as the pages,
//! for scripts and other tools. Field names are stable; times are RFC 3339 UTC, all-day
//! dates `YYYY-MM-DD` with an exclusive end.

use serde::Serialize;

use crate::model::{FetchOutcome, Location, StoredPost};
use crate::store::{SourceHealth, StoredEvent};

#[derive(Serialize)]
struct ApiSourceRef<'a> {
    id: &'a str,
    name: &'a str,
    department: &'a str,
}

#[derive(Serialize)]
struct ApiEvent<'a> {
    id: &'a str,
    title: &'a str,
    description: Option<&'a str>,
    start: String,
    end: Option<String>,
    all_day: bool,
    timezone: Option<&'a str>,
    location_name: Option<&'a str>,
    location_address: Option<&'a str>,
    online_url: Option<&'a str>,
    url: Option<&'a str>,
    status: &'static str,
    listed: bool,
    revision: u32,
    tags: &'a [String],
    sources: Vec<ApiSourceRef<'a>>,
    page: String,
    ics: String,
    /// The language of `title`, `description` and `url` (the version the event leads
    /// with), when known.
    language: Option<String>,
    /// Every language's version, the one above first.
    versions: Vec<ApiVersion<'a>>,
}

#[derive(Serialize)]
struct ApiVersion<'a> {
    language: Option<String>,
    title: &'a str,
    description: Option<&'a str>,
    url: Option<&'a str>,
    /// The place as this language's pages show it: the version's own, else the event's.
    location_name: Option<&'a str>,
    location_address: Option<&'a str>,
    /// The ids of the sources giving this version.
    sources: Vec<&'a str>,
}

/// The lead version and the others, each with the sources that give it.
fn versions(s: &StoredEvent) -> Vec<ApiVersion<'_>> {
    let elsewhere: Vec<&str> = s
        .versions
        .iter()
        .flat_map(|v| v.sources.iter().map(String::as_str))
        .collect();
    let mut out = vec![ApiVersion {
        language: lead_language(s),
        title: &s.event.title,
        description: s.event.description_text.as_deref(),
        url: s.event.url.as_deref(),
        location_name: s.event.location_name.as_deref(),
        location_address: s.event.location_address.as_deref(),
        sources: s
            .sources
            .iter()
            .map(|l| l.source_id.as_str())
            .filter(|id| !elsewhere.contains(id))
            .collect(),
    }];
    out.extend(s.versions.iter().map(|v| {
        ApiVersion {
            language: Some(v.language.clone()),
            title: &v.title,
            description: v.description_text.as_deref(),
            url: v.url.as_deref(),
            location_name: v
                .location_name
                .as_deref()
                .or(s.event.location_name.as_deref()),
            location_address: v
                .location_address
                .as_deref()
                .or(s.event.location_address.as_deref()),
            sources: v.sources.iter().map(String::as_str).collect(),
        }
    }));
    out
}

fn lead_language(s: &StoredEvent) -> Option<String> {
    s.event
        .language
        .as_deref()
        .and_then(crate::normalise::language::code)
}

pub fn events(events: &[StoredEvent]) -> Vec<u8> {
    let items: Vec<ApiEvent> = events
        .iter()
        .map(|s| ApiEvent {
            id: &s.uid,
            title: &s.event.title,
            description: s.event.description_text.as_deref(),
            start: s.event.start.to_text(),
            end: s.event.end.map(|e| e.to_text()),
            all_day: s.event.all_day(),
            timezone: s.event.timezone.as_deref(),
            location_name: s.event.location_name.as_deref(),
            location_address: s.event.location_address.as_deref(),
            online_url: s.event.online_url.as_deref(),
            url: s.event.url.as_deref(),
            status: s.event.status.as_str(),
            listed: s.listed,
            revision: s.revision,
            tags: &s.tags,
            sources: s
                .sources
                .iter()
                .map(|l| ApiSourceRef {
                    id: &l.source_id,
                    name: &l.source_name,
                    department: &l.department,
                })
                .collect(),
            page: crate::web::routes::event_page(&s.uid),
            ics: crate::web::routes::event_ics(&s.uid),
            language: lead_language(s),
            versions: versions(s),
        })
        .collect();
    serde_json::to_vec_pretty(&serde_json::json!({ "events": items }))
        .expect("plain data serialises")
}

#[derive(Serialize)]
struct ApiPost<'a> {
    id: String,
    title: &'a str,
    link: Option<&'a str>,
    author: Option<&'a str>,
    published: String,
    updated: String,
    summary_html: Option<&'a str>,
    source: ApiSourceRef<'a>,
    language: Option<&'a str>,
    /// The same post in other languages.
    versions: Vec<ApiPostVersion<'a>>,
}

#[derive(Serialize)]
struct ApiPostVersion<'a> {
    language: &'a str,
    title: &'a str,
    link: Option<&'a str>,
    source: &'a str,
}

pub fn posts(posts: &[StoredPost]) -> Vec<u8> {
    let items: Vec<ApiPost> = posts
        .iter()
        .map(|p| ApiPost {
            id: crate::render::post_id(p),
            title: &p.post.title,
            link: p.post.link.as_deref(),
            author: p.post.author.as_deref(),
            published: p.date().to_rfc3339(),
            updated: p.updated().to_rfc3339(),
            summary_html: p.post.summary_html.as_deref(),
            source: ApiSourceRef {
                id: &p.post.source_id,
                name: &p.source_name,
                department: &p.department,
            },
            language: p.post.language.as_deref(),
            versions: p
                .versions
                .iter()
                .map(|v| ApiPostVersion {
                    language: &v.language,
                    title: &v.title,
                    link: v.link.as_deref(),
                    source: &v.source_id,
                })
                .collect(),
        })
        .collect();
    serde_json::to_vec_pretty(&serde_json::json!({ "posts": items }))
        .expect("plain data serialises")
}

#[derive(Serialize)]
struct ApiFetch<'a> {
    started: String,
    outcome: &'static str,
    http_status: Option<u16>,
    items_found: u32,
    items_new: u32,
    items_updated: u32,
    error: Option<&'a str>,
    warnings: Option<&'a str>,
}

#[derive(Serialize)]
struct ApiSource<'a> {
    id: &'a str,
    name: &'a str,
    department: &'a str,
    tags: &'a [String],
    kind: Option<&'static str>,
    url: Option<String>,
    posts: u64,
    events: u64,
    consecutive_failures: u32,
    last_fetch: Option<ApiFetch<'a>>,
}

pub fn sources(health: &[SourceHealth]) -> Vec<u8> {
    let items: Vec<ApiSource> = health
        .iter()
        .map(|h| ApiSource {
            id: &h.source.id,
            name: &h.source.name,
            department: &h.source.department,
            tags: &h.source.tags,
            kind: h.source.kind.map(|k| k.as_str()),
            url: match &h.source.location {
                Location::Url(url) => Some(url.to_string()),
                Location::File(_) => None,
            },
            posts: h.post_count,
            events: h.event_count,
            consecutive_failures: h.state.consecutive_failures,
            last_fetch: h.state.last_fetch.as_ref().map(|r| ApiFetch {
                started: r.started.to_rfc3339(),
                outcome: match r.outcome {
                    FetchOutcome::Ok => "ok",
                    FetchOutcome::Unchanged => "unchanged",
                    FetchOutcome::NotModified => "not_modified",
                    FetchOutcome::Failed => "failed",
                },
                http_status: r.http_status,
                items_found: r.items_found,
                items_new: r.items_new,
                items_updated: r.items_updated,
                error: r.error.as_deref(),
                warnings: r.warnings.as_deref(),
            }),
        })
        .collect();
    serde_json::to_vec_pretty(&serde_json::json!({ "sources": items }))
        .expect("plain data serialises")
}
