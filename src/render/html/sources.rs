//! The sources page: every source with its kind, department, last fetch and outcome in
//! plain words, how much it has given, and when it is fetched next.

use askama::Template;
use chrono::{DateTime, Utc};
use chrono_tz::Tz;

use crate::i18n::Lang;
use crate::model::{FetchOutcome, Location, SourceKind};
use crate::store::SourceHealth;

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
}

/// Inputs of the sources page; `next` gives each source's next scheduled fetch.
pub struct SourcesView<'a> {
    pub lang: Lang,
    pub zone: Tz,
    pub switch_url: &'a str,
    pub health: &'a [SourceHealth],
    pub next: &'a dyn Fn(&SourceHealth) -> Option<DateTime<Utc>>,
}

pub fn sources_page(view: &SourcesView<'_>) -> Vec<u8> {
    let lang = view.lang;
    let rows = view
        .health
        .iter()
        .map(|h| {
            let last = h.state.last_fetch.as_ref();
            let (outcome_key, outcome_class) = match last.map(|r| r.outcome) {
                Some(FetchOutcome::Ok) => (Some("sources.ok"), "ok"),
                Some(FetchOutcome::NotModified) => (Some("sources.not_modified"), "ok"),
                Some(FetchOutcome::Failed) => (Some("sources.failed"), "failed"),
                None => (None, ""),
            };
            let next = match h.state.next_attempt_after {
                Some(until) if until > Utc::now() => format!(
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
        .collect();
    let page = SourcesPage {
        lang,
        nav: "sources",
        switch_url: view.switch_url,
        rows,
    };
    page.render()
        .expect("templates render plain data")
        .into_bytes()
}
