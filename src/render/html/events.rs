//! The event pages: the listing of upcoming events grouped by day (and the archive of
//! past ones, newest first), and one event's page. Times are written in the deployment's
//! style and the reader's language with their zone (`render::dates`); each event says
//! whether it is online, in person or both, beside its place; descriptions are sanitised
//! HTML (`description.rs`). The listing opens with its count and quick links to today,
//! this week and next week; its filters fold away so the first event stays in view.

use askama::Template;
use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};
use chrono_tz::Tz;

use super::description::description_html_of;
use super::{Modified, department_name};
use crate::i18n::Lang;
use crate::model::{Event, EventStatus, EventTime};
use crate::render::dates::{Dates, Style, event_when};
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

impl FormValues {
    /// How many filters are set.
    fn active(&self) -> usize {
        [
            &self.q,
            &self.department,
            &self.tag,
            &self.source,
            &self.from,
            &self.to,
        ]
        .iter()
        .filter(|v| !v.is_empty())
        .count()
    }
}

/// Whether people go to an event, join it online, or either.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Attendance {
    InPerson,
    Online,
    Hybrid,
}

impl Attendance {
    pub fn key(self) -> &'static str {
        match self {
            Attendance::InPerson => "events.mode.in_person",
            Attendance::Online => "events.mode.online",
            Attendance::Hybrid => "events.mode.hybrid",
        }
    }
}

/// Where an event is: how people attend, and the place (empty when it has none).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Whereabouts {
    pub attendance: Option<Attendance>,
    pub place: String,
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
    /// "In person: Room 101, 90 Elgin St" / "Online" / "Hybrid: Room 101".
    pub whereabouts: String,
    pub mode_class: &'static str,
    pub tags: Vec<String>,
    pub status_key: Option<&'static str>,
}

pub struct DayGroup {
    pub heading: String,
    pub iso: String,
    pub events: Vec<EventRow>,
}

/// One of the listing's quick date links.
pub struct QuickLink {
    pub key: &'static str,
    pub url: String,
    pub current: bool,
}

#[derive(Template)]
#[template(path = "events.html")]
struct EventsPage<'a> {
    lang: Lang,
    modified: Modified,
    nav: &'static str,
    switch_url: &'a str,
    title_key: &'static str,
    intro_key: &'static str,
    form_action: &'static str,
    form: &'a FormValues,
    active_filters: String,
    departments: Vec<(String, String)>,
    facets: &'a Facets,
    subscribe: &'a SubscriptionLinks,
    count: String,
    quick: Vec<QuickLink>,
    days: Vec<DayGroup>,
    previous_page: Option<String>,
    next_page: Option<String>,
    posts: &'a [(String, Option<String>, String)],
    digest_form: Option<&'a crate::render::digest::SubscribeForm>,
}

/// Inputs of the listing and the archive.
pub struct EventsView<'a> {
    pub lang: Lang,
    pub style: Style,
    pub zone: Tz,
    pub archive: bool,
    pub switch_url: &'a str,
    pub form: &'a FormValues,
    /// The view's filters other than dates, as a query string (quick links keep them).
    pub dates_query: &'a str,
    pub facets: &'a Facets,
    pub subscribe: &'a SubscriptionLinks,
    pub events: &'a [StoredEvent],
    /// How many events the filters select in all, and how many pages come before this one.
    pub total: u64,
    pub offset: u64,
    pub previous_page: Option<String>,
    pub next_page: Option<String>,
    /// Blog posts matching a search: (title, link, source name).
    pub posts: &'a [(String, Option<String>, String)],
    pub now: DateTime<Utc>,
    /// The weekly digest's subscription form, keeping the view's filters (when mail is set up).
    pub digest_form: Option<&'a crate::render::digest::SubscribeForm>,
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
pub(crate) fn local_day(time: EventTime, zone: Tz) -> NaiveDate {
    match time {
        EventTime::Date(date) => date,
        EventTime::At(at) => at.with_timezone(&zone).date_naive(),
    }
}

/// The event's time in words, in `zone` (and in its own zone when it is held elsewhere).
pub fn when(dates: Dates, zone: Tz, stored: &StoredEvent, with_day: bool) -> String {
    event_when(dates, zone, &stored.event, with_day)
}

/// Words that, opening a place, say it is not a place: "Online", "Virtual (Zoom)",
/// "Microsoft Teams meeting", « En ligne ».
static ONLINE_PLACE: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
    regex::Regex::new(
        r"(?i)^\s*(?:online|virtual|virtuel(?:le)?|en\s+ligne|à\s+distance|remote|webinar|webinaire|webcast|webdiffusion|(?:microsoft\s+|ms\s+)?teams|zoom|webex|google\s+meet|gc\s*meet|https?://)",
    )
    .expect("static regex")
});

/// Words that say a place is also online: "Room 101 and online", « Salle 2 ou en ligne ».
static ALSO_ONLINE: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
    regex::Regex::new(
        r"(?i)\b(?:hybrid|hybride|(?:and|or|&|\+|et|ou)\s+(?:online|virtual|virtually|en\s+ligne|(?:microsoft\s+|ms\s+)?teams|zoom|webex))\b",
    )
    .expect("static regex")
});

/// How people attend `event` and its place in one line, the place as the event row
/// holds it (the language it leads with).
pub fn whereabouts(event: &Event) -> Whereabouts {
    whereabouts_of(
        event.location_name.as_deref(),
        event.location_address.as_deref(),
        event.online_url.as_deref(),
    )
}

/// How people attend `event` and its place in one line, the place in the version `shown`
/// to the reader (`Salle 310` to a French reader where the French version names it).
pub fn whereabouts_as_shown(event: &Event, shown: &Shown<'_>) -> Whereabouts {
    whereabouts_of(
        shown.location_name,
        shown.location_address,
        event.online_url.as_deref(),
    )
}

/// How people attend a place (name, address) with its online link, in one line.
fn whereabouts_of(
    name: Option<&str>,
    address: Option<&str>,
    online_url: Option<&str>,
) -> Whereabouts {
    let parts: Vec<&str> = [name, address]
        .into_iter()
        .flatten()
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .collect();
    let place = match parts.as_slice() {
        [] => String::new(),
        [name, address] if address.contains(name) => address.to_string(),
        [name, address] if name.contains(address) => name.to_string(),
        parts => parts.join(", "),
    };
    let online_place = !place.is_empty() && ONLINE_PLACE.is_match(&place);
    let physical = !place.is_empty() && !online_place;
    let online = online_url.is_some() || online_place;
    let attendance = match (physical, online) {
        (true, true) => Some(Attendance::Hybrid),
        (true, false) if ALSO_ONLINE.is_match(&place) => Some(Attendance::Hybrid),
        (true, false) => Some(Attendance::InPerson),
        (false, true) => Some(Attendance::Online),
        (false, false) => None,
    };
    let place = if place.starts_with("http://") || place.starts_with("https://") {
        // A meeting link is not a place to show; the page links it.
        String::new()
    } else {
        place
    };
    Whereabouts { attendance, place }
}

/// "In person: Room 101" / "Online" / « Hybride : Salle 101 ».
pub fn whereabouts_text(lang: Lang, w: &Whereabouts) -> String {
    match (w.attendance, w.place.is_empty()) {
        (Some(a), true) => lang.t(a.key()).to_string(),
        (Some(a), false) => lang
            .t("events.mode.with_place")
            .replace("{mode}", lang.t(a.key()))
            .replace("{place}", &w.place),
        (None, _) => w.place.clone(),
    }
}

fn mode_class(w: &Whereabouts) -> &'static str {
    match w.attendance {
        Some(Attendance::InPerson) => "in-person",
        Some(Attendance::Online) => "online",
        Some(Attendance::Hybrid) => "hybrid",
        None => "",
    }
}

/// The departments listing an event, each once, in the reader's language.
pub fn departments(lang: Lang, stored: &StoredEvent) -> String {
    let mut names: Vec<&str> = Vec::new();
    for source in &stored.sources {
        let name = if source.department.is_empty() {
            source.source_name.as_str()
        } else {
            department_name(lang, &source.department)
        };
        if !names.contains(&name) {
            names.push(name);
        }
    }
    names.join(", ")
}

/// "12 events", "Events 51 to 100 of 312" / « Événements 51 à 100 sur 312 ».
fn count_text(dates: Dates, total: u64, offset: u64, shown: usize) -> String {
    let lang = dates.lang;
    // A page past the last says nothing but that nothing matches.
    if total == 0 || shown == 0 {
        return String::new();
    }
    let shown = shown as u64;
    if offset == 0 && shown >= total {
        return if total == 1 {
            lang.t("events.count.one").to_string()
        } else {
            lang.t("events.count").replace("{n}", &dates.number(total))
        };
    }
    lang.t("events.count.page")
        .replace("{first}", &dates.number(offset + 1))
        .replace("{last}", &dates.number(offset + shown))
        .replace("{total}", &dates.number(total))
}

/// Today, the rest of this week (to Sunday) and next week (Monday to Sunday), as `from`
/// and `to` (the day after the last) in the display zone.
pub fn quick_ranges(today: NaiveDate) -> [(&'static str, NaiveDate, NaiveDate); 3] {
    let next_monday = today + Duration::days(7 - i64::from(today.weekday().num_days_from_monday()));
    [
        ("events.quick.today", today, today + Duration::days(1)),
        ("events.quick.this_week", today, next_monday),
        (
            "events.quick.next_week",
            next_monday,
            next_monday + Duration::days(7),
        ),
    ]
}

fn quick_links(view: &EventsView<'_>) -> Vec<QuickLink> {
    let today = view.now.with_timezone(&view.zone).date_naive();
    quick_ranges(today)
        .into_iter()
        .map(|(key, from, to)| {
            let (from, to) = (
                from.format("%Y-%m-%d").to_string(),
                to.format("%Y-%m-%d").to_string(),
            );
            let mut query = view.dates_query.to_string();
            if !query.is_empty() {
                query.push('&');
            }
            query.push_str(&format!("from={from}&to={to}&lang={}", view.lang.code()));
            QuickLink {
                key,
                url: routes::listing(&query),
                current: view.form.from == from && view.form.to == to,
            }
        })
        .collect()
}

pub fn events_page(view: &EventsView<'_>) -> Vec<u8> {
    let dates = Dates::new(view.lang, view.style);
    let mut days: Vec<DayGroup> = Vec::new();
    for stored in view.events {
        let day = local_day(stored.event.start, view.zone);
        let iso = day.format("%Y-%m-%d").to_string();
        if days.last().is_none_or(|d| d.iso != iso) {
            days.push(DayGroup {
                heading: dates.day(day),
                iso,
                events: Vec::new(),
            });
        }
        let shown = event_in(stored, view.lang.code());
        let w = whereabouts_as_shown(&stored.event, &shown);
        let row = EventRow {
            uid: stored.uid.clone(),
            title: shown.title.to_string(),
            title_lang: shown.foreign(view.lang.code()).map(str::to_string),
            only_key: only_key(&shown),
            when: when(dates, view.zone, stored, false),
            departments: departments(view.lang, stored),
            whereabouts: whereabouts_text(view.lang, &w),
            mode_class: mode_class(&w),
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
    let mut departments: Vec<(String, String)> = view
        .facets
        .departments
        .iter()
        .map(|d| (d.clone(), department_name(view.lang, d).to_string()))
        .collect();
    departments.sort_by_key(|d| d.1.to_lowercase());
    let active = view.form.active();
    let active_filters = match active {
        0 => String::new(),
        1 => view.lang.t("filters.active.one").to_string(),
        n => view.lang.t("filters.active").replace("{n}", &n.to_string()),
    };
    let page = EventsPage {
        lang: view.lang,
        modified: Modified::latest(
            dates,
            view.events.iter().map(|e| e.changed),
            view.now,
            view.zone,
        ),
        nav,
        switch_url: view.switch_url,
        title_key,
        intro_key,
        form_action,
        form: view.form,
        active_filters,
        departments,
        facets: view.facets,
        subscribe: view.subscribe,
        count: count_text(dates, view.total, view.offset, view.events.len()),
        quick: if view.archive {
            Vec::new()
        } else {
            quick_links(view)
        },
        days,
        previous_page: view.previous_page.clone(),
        next_page: view.next_page.clone(),
        posts: view.posts,
        digest_form: view.digest_form,
    };
    page.render()
        .expect("templates render plain data")
        .into_bytes()
}

#[derive(Template)]
#[template(path = "event.html")]
struct EventPage<'a> {
    lang: Lang,
    modified: Modified,
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
    whereabouts: String,
    mode_class: &'static str,
    online_url: Option<&'a str>,
    event_url: Option<&'a str>,
    sources: Vec<(String, String, String)>,
    description: Option<String>,
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
    pub style: Style,
    pub zone: Tz,
    pub switch_url: &'a str,
    pub event: &'a StoredEvent,
    pub add: &'a AddLinks,
    pub department_calendar: Option<&'a SubscriptionLinks>,
}

pub fn event_page(view: &EventView<'_>) -> Vec<u8> {
    let dates = Dates::new(view.lang, view.style);
    let stored = view.event;
    let e = &stored.event;
    let shown = event_in(stored, view.lang.code());
    let w = whereabouts_as_shown(e, &shown);
    let page = EventPage {
        lang: view.lang,
        modified: Modified::new(dates, stored.changed, view.zone),
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
        when: when(dates, view.zone, stored, true),
        whereabouts: whereabouts_text(view.lang, &w),
        mode_class: mode_class(&w),
        online_url: e.online_url.as_deref(),
        event_url: shown.url,
        sources: stored
            .sources
            .iter()
            .map(|s| {
                (
                    s.source_id.clone(),
                    s.source_name.clone(),
                    department_name(view.lang, &s.department).to_string(),
                )
            })
            .collect(),
        description: description_html_of(shown.description_html, shown.description_text),
        add: view.add,
        department_calendar: view.department_calendar,
    };
    page.render()
        .expect("templates render plain data")
        .into_bytes()
}

#[cfg(test)]
mod tests;
