//! The event pages: the listing of upcoming events grouped by day (and the archive of
//! past ones, newest first), and one event's page. Times are shown in the display zone and
//! the reader's language; descriptions are shown as plain text paragraphs (no HTML from a
//! source reaches these pages, so nothing loads from another server).

use askama::Template;
use chrono::NaiveDate;
use chrono_tz::Tz;

use crate::i18n::Lang;
use crate::model::{EventStatus, EventTime};
use crate::render::links::{AddLinks, SubscriptionLinks};
use crate::render::versions::{Shown, event_in};
use crate::store::StoredEvent;
use crate::web::routes;

/// What the filter form offers.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Facets {
    pub departments: Vec<String>,
    pub tags: Vec<String>,
    /// (id, name)
    pub sources: Vec<(String, String)>,
}

/// The values currently in the filter form.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FormValues {
    pub q: String,
    pub department: String,
    pub tag: String,
    pub source: String,
    pub from: String,
    pub to: String,
}

pub struct EventRow {
    pub uid: String,
    /// In the reader's language where the event has that version.
    pub title: String,
    /// The title's language, when it is not the page's.
    pub title_lang: Option<String>,
    /// "in French only": the event is known in one other language only.
    pub only_key: Option<String>,
    pub when: String,
    pub departments: String,
    pub place: String,
    pub tags: Vec<String>,
    pub status_key: Option<&'static str>,
}

pub struct DayGroup {
    pub heading: String,
    pub iso: String,
    pub events: Vec<EventRow>,
}

#[derive(Template)]
#[template(path = "events.html")]
struct EventsPage<'a> {
    lang: Lang,
    nav: &'static str,
    switch_url: &'a str,
    title_key: &'static str,
    intro_key: &'static str,
    form_action: &'static str,
    form: &'a FormValues,
    facets: &'a Facets,
    subscribe: &'a SubscriptionLinks,
    days: Vec<DayGroup>,
    previous_page: Option<String>,
    next_page: Option<String>,
    posts: &'a [(String, Option<String>, String)],
}

/// Inputs of the listing and the archive.
pub struct EventsView<'a> {
    pub lang: Lang,
    pub zone: Tz,
    pub archive: bool,
    pub switch_url: &'a str,
    pub form: &'a FormValues,
    pub facets: &'a Facets,
    pub subscribe: &'a SubscriptionLinks,
    pub events: &'a [StoredEvent],
    pub previous_page: Option<String>,
    pub next_page: Option<String>,
    /// Blog posts matching a search: (title, link, source name).
    pub posts: &'a [(String, Option<String>, String)],
}

/// The key of the plain-words status an event shows, when it is not simply on.
pub fn status_key(stored: &StoredEvent) -> Option<&'static str> {
    if !stored.listed {
        return Some("events.status.unlisted");
    }
    match stored.event.status {
        EventStatus::Cancelled => Some("events.status.cancelled"),
        EventStatus::Postponed => Some("events.status.postponed"),
        EventStatus::Tentative => Some("events.status.tentative"),
        EventStatus::Confirmed => None,
    }
}

/// The local day an event starts on.
fn local_day(time: EventTime, zone: Tz) -> NaiveDate {
    match time {
        EventTime::Date(date) => date,
        EventTime::At(at) => at.with_timezone(&zone).date_naive(),
    }
}

/// "12:00 p.m. – 1:00 p.m.", "All day", or with dates when it spans days.
pub fn when(lang: Lang, zone: Tz, stored: &StoredEvent, with_day: bool) -> String {
    let e = &stored.event;
    let start_day = local_day(e.start, zone);
    let mut text = match e.start {
        EventTime::Date(_) => {
            let last = match e.end {
                Some(EventTime::Date(end)) => end.pred_opt().unwrap_or(end),
                _ => start_day,
            };
            let all_day = lang.t("events.all_day").to_string();
            match (with_day, last > start_day) {
                (_, true) => format!("{} – {}", lang.day(start_day), lang.day(last)),
                (true, false) => format!("{}, {all_day}", lang.day(start_day)),
                (false, false) => all_day,
            }
        }
        EventTime::At(start) => {
            let start_text = lang.time(start, zone);
            let range = match e.end {
                Some(EventTime::At(end)) if end > start => {
                    let end_day = local_day(EventTime::At(end), zone);
                    if end_day == start_day {
                        format!("{start_text} – {}", lang.time(end, zone))
                    } else {
                        format!(
                            "{start_text} – {}, {}",
                            lang.day(end_day),
                            lang.time(end, zone)
                        )
                    }
                }
                _ => start_text,
            };
            if with_day {
                format!("{}, {range}", lang.day(start_day))
            } else {
                range
            }
        }
    };
    if with_day && !e.all_day() {
        text.push_str(&format!(" ({})", zone.name()));
    }
    text
}

/// Name and address (or "Online") in one line.
pub fn place(lang: Lang, stored: &StoredEvent) -> String {
    let e = &stored.event;
    let parts: Vec<&str> = [e.location_name.as_deref(), e.location_address.as_deref()]
        .into_iter()
        .flatten()
        .filter(|p| !p.is_empty())
        .collect();
    match parts.as_slice() {
        [] if e.online_url.is_some() => lang.t("events.online").to_string(),
        [] => String::new(),
        [name, address] if address.contains(name) => address.to_string(),
        parts => parts.join(", "),
    }
}

fn departments(stored: &StoredEvent) -> String {
    let mut names: Vec<&str> = Vec::new();
    for source in &stored.sources {
        let name = if source.department.is_empty() {
            source.source_name.as_str()
        } else {
            source.department.as_str()
        };
        if !names.contains(&name) {
            names.push(name);
        }
    }
    names.join(", ")
}

pub fn events_page(view: &EventsView<'_>) -> Vec<u8> {
    let mut days: Vec<DayGroup> = Vec::new();
    for stored in view.events {
        let day = local_day(stored.event.start, view.zone);
        let iso = day.format("%Y-%m-%d").to_string();
        if days.last().is_none_or(|d| d.iso != iso) {
            days.push(DayGroup {
                heading: view.lang.day(day),
                iso,
                events: Vec::new(),
            });
        }
        let shown = event_in(stored, view.lang.code());
        let row = EventRow {
            uid: stored.uid.clone(),
            title: shown.title.to_string(),
            title_lang: shown.foreign(view.lang.code()).map(str::to_string),
            only_key: only_key(&shown),
            when: when(view.lang, view.zone, stored, false),
            departments: departments(stored),
            place: place(view.lang, stored),
            tags: stored.tags.clone(),
            status_key: status_key(stored),
        };
        days.last_mut().expect("pushed above").events.push(row);
    }
    let (title_key, intro_key, form_action, nav) = if view.archive {
        ("archive.title", "archive.intro", routes::ARCHIVE, "archive")
    } else {
        ("events.title", "events.intro", routes::LISTING, "events")
    };
    let page = EventsPage {
        lang: view.lang,
        nav,
        switch_url: view.switch_url,
        title_key,
        intro_key,
        form_action,
        form: view.form,
        facets: view.facets,
        subscribe: view.subscribe,
        days,
        previous_page: view.previous_page.clone(),
        next_page: view.next_page.clone(),
        posts: view.posts,
    };
    page.render()
        .expect("templates render plain data")
        .into_bytes()
}

#[derive(Template)]
#[template(path = "event.html")]
struct EventPage<'a> {
    lang: Lang,
    nav: &'static str,
    switch_url: &'a str,
    title: &'a str,
    language: Option<&'a str>,
    only_key: Option<String>,
    /// The event's other versions: (language, label key, title, this page in that
    /// language, the department's page in it).
    others: Vec<OtherVersion<'a>>,
    status_key: Option<&'static str>,
    when: String,
    place: String,
    online_url: Option<&'a str>,
    event_url: Option<&'a str>,
    sources: Vec<(String, String, String)>,
    paragraphs: Vec<String>,
    add: &'a AddLinks,
    department_calendar: Option<&'a SubscriptionLinks>,
}

/// Another language's version of the event shown, linked from its page.
pub struct OtherVersion<'a> {
    pub language: String,
    pub label_key: String,
    pub title: &'a str,
    /// This page in that language.
    pub here: String,
    /// The department's own page in that language.
    pub url: Option<&'a str>,
}

/// The catalogue key of "in French only" for an event known in one other language only.
fn only_key(shown: &Shown<'_>) -> Option<String> {
    shown
        .only_in
        .as_ref()
        .filter(|l| matches!(l.as_str(), "en" | "fr"))
        .map(|l| format!("versions.only.{l}"))
}

/// Inputs of one event's page.
pub struct EventView<'a> {
    pub lang: Lang,
    pub zone: Tz,
    pub switch_url: &'a str,
    pub event: &'a StoredEvent,
    pub add: &'a AddLinks,
    pub department_calendar: Option<&'a SubscriptionLinks>,
}

pub fn event_page(view: &EventView<'_>) -> Vec<u8> {
    let stored = view.event;
    let e = &stored.event;
    let shown = event_in(stored, view.lang.code());
    let paragraphs = shown
        .description_text
        .unwrap_or_default()
        .split("\n\n")
        .map(|p| p.split_whitespace().collect::<Vec<_>>().join(" "))
        .filter(|p| !p.is_empty())
        .collect();
    let page = EventPage {
        lang: view.lang,
        nav: "events",
        switch_url: view.switch_url,
        title: shown.title,
        language: shown.language.as_deref(),
        only_key: only_key(&shown),
        others: shown
            .others
            .iter()
            .map(|(language, title, url)| OtherVersion {
                label_key: format!("versions.other.{language}"),
                here: format!(
                    "{}?lang={}",
                    routes::event_page(&stored.uid),
                    crate::i18n::Lang::from_code(language)
                        .unwrap_or(view.lang)
                        .code()
                ),
                language: language.clone(),
                title,
                url: *url,
            })
            .collect(),
        status_key: status_key(stored),
        when: when(view.lang, view.zone, stored, true),
        place: place(view.lang, stored),
        online_url: e.online_url.as_deref(),
        event_url: shown.url,
        sources: stored
            .sources
            .iter()
            .map(|s| {
                (
                    s.source_id.clone(),
                    s.source_name.clone(),
                    s.department.clone(),
                )
            })
            .collect(),
        paragraphs,
        add: view.add,
        department_calendar: view.department_calendar,
    };
    page.render()
        .expect("templates render plain data")
        .into_bytes()
}
