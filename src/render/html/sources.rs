//! The sources page: a summary line ("3 of 12 sources failing"), then every source with
//! its kind (as configured, or as detected), department, last fetch and its outcome — what
//! went wrong in plain words in the reader's language (`problems.rs`), the technical
//! detail beside it — how much it has given, and when it is fetched next, dates short
//! enough for a table cell; a page of them at a time, the first page opening with the
//! sources that are failing now. Pure: the time ("now", for backoffs) is passed in.

use askama::Template;
use chrono::{DateTime, Utc};
use chrono_tz::Tz;

use super::problems::plain_words;
use super::{Modified, department_name};
use crate::i18n::Lang;
use crate::model::{FetchOutcome, Location, SourceKind};
use crate::render::dates::{Dates, Style};
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
    /// What went wrong, in plain words.
    pub problem: Option<String>,
    /// The error or warnings as recorded.
    pub detail: Option<String>,
    pub events: u64,
    pub posts: u64,
    pub next: String,
}

#[derive(Template)]
#[template(path = "sources.html")]
struct SourcesPage<'a> {
    lang: Lang,
    modified: Modified,
    nav: &'static str,
    switch_url: &'a str,
    summary: String,
    rows: Vec<SourceRow>,
    failing: Vec<SourceRow>,
    failing_count: u64,
    previous_page: Option<String>,
    next_page: Option<String>,
}

/// Inputs of the sources page; `next` gives each source's next scheduled fetch.
pub struct SourcesView<'a> {
    pub lang: Lang,
    pub style: Style,
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

/// "3 of 12 sources failing" / « 3 sources sur 12 en échec », or all working.
fn summary(dates: Dates, failing: u64, total: u64) -> String {
    let lang = dates.lang;
    let key = match (failing, total) {
        (0, 1) => "sources.summary.ok.one",
        (0, _) => "sources.summary.ok",
        (1, _) => "sources.summary.failing.one",
        _ => "sources.summary.failing",
    };
    lang.t(key)
        .replace("{failing}", &dates.number(failing))
        .replace("{total}", &dates.number(total))
}

pub fn sources_page(view: &SourcesView<'_>) -> Vec<u8> {
    let dates = Dates::new(view.lang, view.style);
    // The page changes with every fetch: its date is the latest fetch it shows.
    let fetched = view
        .health
        .iter()
        .chain(view.failing)
        .filter_map(|h| h.state.last_fetch.as_ref().map(|r| r.started));
    let page = SourcesPage {
        lang: view.lang,
        modified: Modified::latest(dates, fetched, view.now, view.zone),
        nav: "sources",
        switch_url: view.switch_url,
        summary: summary(dates, view.failing_count, view.total),
        rows: rows(view, view.health),
        failing: rows(view, view.failing),
        failing_count: view.failing_count,
        previous_page: view.previous_page.clone(),
        next_page: view.next_page.clone(),
    };
    page.render()
        .expect("templates render plain data")
        .into_bytes()
}

fn rows(view: &SourcesView<'_>, health: &[SourceHealth]) -> Vec<SourceRow> {
    let lang = view.lang;
    let dates = Dates::new(lang, view.style);
    let short = |at| dates.short_date_time(at, view.zone, view.now);
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
                Some(until) if until > view.now => {
                    format!("{} {}", lang.t("sources.backoff"), short(until))
                }
                _ => (view.next)(h).map(short).unwrap_or_default(),
            };
            let url = match &h.source.location {
                Location::Url(url) => Some(url.to_string()),
                Location::File(_) => None,
            };
            let error = last.and_then(|r| r.error.as_deref());
            let problem = match (error, warned) {
                (Some(error), _) => Some(plain_words(lang, error, url.as_deref())),
                (None, true) => Some(lang.t("problem.warning").to_string()),
                (None, false) => None,
            };
            SourceRow {
                id: h.source.id.clone(),
                name: h.source.name.clone(),
                url,
                kind_key: kind_key(h),
                department: department_name(lang, &h.source.department).to_string(),
                last: last.map(|r| short(r.started)),
                last_iso: last.map(|r| r.started.to_rfc3339()).unwrap_or_default(),
                outcome_key,
                outcome_class,
                problem,
                detail: last.and_then(|r| r.error.clone().or_else(|| r.warnings.clone())),
                events: h.event_count,
                posts: h.post_count,
                next,
            }
        })
        .collect()
}

/// The kind as configured, else as the last successful fetch found it, else unknown yet.
fn kind_key(h: &SourceHealth) -> &'static str {
    match (h.source.kind, h.state.detected_kind) {
        (Some(SourceKind::Feed), _) => "sources.kind.feed",
        (Some(SourceKind::Ical), _) => "sources.kind.ical",
        (Some(SourceKind::Html), _) => "sources.kind.html",
        (None, Some(SourceKind::Feed)) => "sources.kind.feed.detected",
        (None, Some(SourceKind::Ical)) => "sources.kind.ical.detected",
        (None, Some(SourceKind::Html)) => "sources.kind.html.detected",
        (None, None) => "sources.kind.unknown",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{FetchRecord, SourceState};

    const SOURCES: &str = r#"
[[sources]]
id = "gds"
name = "GDS blog"
department = "Cabinet Office (UK)"
url = "https://gds.blog.gov.uk/feed/"

[[sources]]
id = "statcan"
name = "Data community"
department = "Statistics Canada / Statistique Canada"
url = "https://www.statcan.gc.ca/events.ics"
kind = "ical"

[[sources]]
id = "local"
name = "Local page"
file = "fixtures/events.html"
"#;

    fn health() -> Vec<SourceHealth> {
        let config = crate::config::Config::parse(SOURCES, "t", std::path::Path::new("/srv"))
            .expect("valid sources");
        let record = |id: &str, outcome, error: Option<&str>| FetchRecord {
            source_id: id.into(),
            url: String::new(),
            started: "2027-01-13T18:05:00Z".parse().unwrap(),
            duration_ms: 10,
            parse_ms: 1,
            http_status: None,
            bytes: 0,
            items_found: 0,
            items_new: 0,
            items_updated: 0,
            outcome,
            error: error.map(str::to_string),
            warnings: None,
        };
        let states = [
            SourceState {
                last_fetch: Some(record(
                    "gds",
                    FetchOutcome::Failed,
                    Some(
                        "https://gds.blog.gov.uk/feed/: cannot connect: failed to lookup address information: Name or service not known",
                    ),
                )),
                consecutive_failures: 3,
                ..SourceState::default()
            },
            SourceState {
                last_fetch: Some(record("statcan", FetchOutcome::Ok, None)),
                ..SourceState::default()
            },
            SourceState {
                detected_kind: Some(SourceKind::Html),
                ..SourceState::default()
            },
        ];
        config
            .sources
            .into_iter()
            .zip(states)
            .map(|(source, state)| SourceHealth {
                source,
                state,
                post_count: 0,
                event_count: 2,
            })
            .collect()
    }

    fn page(lang: Lang, failing: u64, total: u64) -> String {
        let health = health();
        let next = |_: &SourceHealth| Some("2027-01-13T19:00:00Z".parse().unwrap());
        String::from_utf8(sources_page(&SourcesView {
            lang,
            style: Style::CanadaCa,
            zone: chrono_tz::America::Toronto,
            switch_url: "/sources?lang=fr",
            health: &health,
            failing: &health[..1],
            failing_count: failing,
            total,
            previous_page: None,
            next_page: None,
            next: &next,
            now: "2027-01-20T12:00:00Z".parse().unwrap(),
        }))
        .unwrap()
    }

    #[test]
    fn a_summary_line_and_errors_in_plain_words_beside_the_detail() {
        let html = page(Lang::En, 3, 12);
        assert!(
            html.contains("<strong>3 of 12 sources failing</strong>"),
            "{html}"
        );
        assert!(
            html.contains("Could not find the server gds.blog.gov.uk."),
            "{html}"
        );
        assert!(
            html.contains("Name or service not known"),
            "the detail stays: {html}"
        );
        let fr = page(Lang::Fr, 1, 12);
        assert!(
            fr.contains("<strong>1 source sur 12 en échec</strong>"),
            "{fr}"
        );
        assert!(
            fr.contains("Serveur introuvable\u{a0}: gds.blog.gov.uk."),
            "{fr}"
        );
        let ok = page(Lang::Fr, 0, 12);
        assert!(ok.contains("Les 12 sources fonctionnent"), "{ok}");
    }

    #[test]
    fn kinds_configured_or_detected_and_short_dates() {
        let html = page(Lang::En, 1, 3);
        assert!(html.contains("<td>Calendar</td>"), "{html}");
        assert!(html.contains("<td>Web page (detected)</td>"), "{html}");
        assert!(html.contains("<td>Not known yet</td>"), "{html}");
        assert!(html.contains(">Jan. 13, 1:05 pm ET</time>"), "{html}");
        assert!(
            html.contains(r#"<td class="date">Jan. 13, 2:00 pm ET</td>"#),
            "{html}"
        );
        assert!(html.contains("<td>Statistics Canada</td>"), "{html}");
        let fr = page(Lang::Fr, 1, 3);
        assert!(fr.contains(">13 janv., 13 h 05 HE</time>"), "{fr}");
        assert!(fr.contains("<td>Statistique Canada</td>"), "{fr}");
        // The page's date is its latest fetch, not the day it is read.
        assert!(
            fr.contains(r#"<time datetime="2027-01-13">2027-01-13</time>"#),
            "{fr}"
        );
    }
}
