//! The sources page: every source with its kind, department, last fetch and outcome in
//! plain words, how much it has given, and when it is fetched next; a page of them at a
//! time, the first page opening with the sources that are failing now. Pure: the time
//! ("now", for backoffs) is passed in.

use askama::Template;
use chrono::{DateTime, Utc};
use chrono_tz::Tz;

use crate::i18n::Lang;
use crate::model::{FetchOutcome, Location, SourceKind};
use crate::store::SourceHealth;
use crate::web::routes;

pub struct SourceRow {
    pub id: String,
    pub name: String,
    pub url: Option<String>,
    pub kind_key: &'static str,
    pub department: String,
    pub last: Option<String>,
    pub last_iso: String,
    pub outcome_key: Option<&'static str>,
    pub outcome_class: &'static str,
    pub detail: Option<String>,
    pub events: u64,
    pub posts: u64,
    pub next: String,
}

#[derive(Template)]
#[template(path = "sources.html")]
struct SourcesPage<'a> {
    lang: Lang,
    nav: &'static str,
    switch_url: &'a str,
    rows: Vec<SourceRow>,
    failing: Vec<SourceRow>,
    failing_count: u64,
    total: u64,
    previous_page: Option<String>,
    next_page: Option<String>,
}

/// Inputs of the sources page; `next` gives each source's next scheduled fetch.
pub struct SourcesView<'a> {
    pub lang: Lang,
    pub zone: Tz,
    pub switch_url: &'a str,
    /// This page's sources.
    pub health: &'a [SourceHealth],
    /// The failing sources summarised above the table (the first page only; else empty).
    pub failing: &'a [SourceHealth],
    /// How many sources fail in all, and how many are active.
    pub failing_count: u64,
    pub total: u64,
    pub previous_page: Option<String>,
    pub next_page: Option<String>,
    pub next: &'a dyn Fn(&SourceHealth) -> Option<DateTime<Utc>>,
    pub now: DateTime<Utc>,
}

pub fn sources_page(view: &SourcesView<'_>) -> Vec<u8> {
    let page = SourcesPage {
        lang: view.lang,
        nav: "sources",
        switch_url: view.switch_url,
        rows: rows(view, view.health),
        failing: rows(view, view.failing),
        failing_count: view.failing_count,
        total: view.total,
        previous_page: view.previous_page.clone(),
        next_page: view.next_page.clone(),
    };
    page.render()
        .expect("templates render plain data")
        .into_bytes()
}

fn rows(view: &SourcesView<'_>, health: &[SourceHealth]) -> Vec<SourceRow> {
    let lang = view.lang;
    health
        .iter()
        .map(|h| {
            let last = h.state.last_fetch.as_ref();
            let warned = last.is_some_and(|r| r.warnings.is_some());
            let (outcome_key, outcome_class) = match last.map(|r| r.outcome) {
                Some(FetchOutcome::Ok | FetchOutcome::Unchanged) if warned => {
                    (Some("sources.warning"), "warning")
                }
                Some(FetchOutcome::Ok) => (Some("sources.ok"), "ok"),
                Some(FetchOutcome::NotModified | FetchOutcome::Unchanged) => {
                    (Some("sources.not_modified"), "ok")
                }
                Some(FetchOutcome::Failed) => (Some("sources.failed"), "failed"),
                None => (None, ""),
            };
            let next = match h.state.next_attempt_after {
                Some(until) if until > view.now => format!(
                    "{} {}",
                    lang.t("sources.backoff"),
                    lang.date_time(until, view.zone)
                ),
                _ => (view.next)(h)
                    .map(|t| lang.date_time(t, view.zone))
                    .unwrap_or_default(),
            };
            SourceRow {
                id: h.source.id.clone(),
                name: h.source.name.clone(),
                url: match &h.source.location {
                    Location::Url(url) => Some(url.to_string()),
                    Location::File(_) => None,
                },
                kind_key: match h.source.kind {
                    Some(SourceKind::Feed) => "sources.kind.feed",
                    Some(SourceKind::Ical) => "sources.kind.ical",
                    Some(SourceKind::Html) => "sources.kind.html",
                    None => "sources.kind.auto",
                },
                department: h.source.department.clone(),
                last: last.map(|r| lang.date_time(r.started, view.zone)),
                last_iso: last.map(|r| r.started.to_rfc3339()).unwrap_or_default(),
                outcome_key,
                outcome_class,
                detail: last.and_then(|r| r.error.clone().or_else(|| r.warnings.clone())),
                events: h.event_count,
                posts: h.post_count,
                next,
            }
        })
        .collect()
}
