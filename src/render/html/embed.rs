//! The listing in a compact form for other sites: `/embed` (a whole page, meant for an
//! `<iframe>`: no header, footer or navigation, a light or dark theme, no script) and
//! `/embed.html` (the same list as an HTML fragment, for intranets that include HTML
//! server-side). Days as headings, each event's time with its zone, its title linking to
//! its page on this site in a new tab, and its place. Pure.

use askama::Template;
use chrono_tz::Tz;

use super::events::{local_day, status_key, when, whereabouts_as_shown, whereabouts_text};
use crate::i18n::Lang;
use crate::render::dates::{Dates, Style};
use crate::render::versions::event_in;
use crate::store::StoredEvent;
use crate::web::routes;

/// The two looks an embed comes in (`theme=light|dark`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Theme {
    #[default]
    Light,
    Dark,
}

impl Theme {
    pub fn parse(name: &str) -> Option<Theme> {
        match name {
            "light" => Some(Theme::Light),
            "dark" => Some(Theme::Dark),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Theme::Light => "light",
            Theme::Dark => "dark",
        }
    }
}

pub struct EmbedRow {
    /// The event's page on this site (absolute).
    pub url: String,
    pub title: String,
    pub title_lang: Option<String>,
    pub when: String,
    pub place: String,
    pub status_key: Option<&'static str>,
}

pub struct EmbedDay {
    pub heading: String,
    pub iso: String,
    pub events: Vec<EmbedRow>,
}

/// What an embed shows.
pub struct EmbedView<'a> {
    pub lang: Lang,
    pub style: Style,
    pub zone: Tz,
    pub theme: Theme,
    /// `https://host[:port]`: links are absolute, since the list is shown elsewhere.
    pub origin: &'a str,
    pub events: &'a [StoredEvent],
    /// The full listing for the same filters, when more events match than are shown.
    pub more: Option<String>,
    /// The listing's title for these filters (the frame's title).
    pub title: &'a str,
}

#[derive(Template)]
#[template(path = "embed_list.html")]
struct EmbedList<'a> {
    lang: Lang,
    theme: &'static str,
    title: &'a str,
    days: Vec<EmbedDay>,
    more: Option<String>,
    listing: String,
}

#[derive(Template)]
#[template(path = "embed.html")]
struct EmbedPage<'a> {
    lang: Lang,
    theme: &'static str,
    title: &'a str,
    list: String,
}

fn days(view: &EmbedView<'_>) -> Vec<EmbedDay> {
    let dates = Dates::new(view.lang, view.style);
    let mut days: Vec<EmbedDay> = Vec::new();
    for stored in view.events {
        let day = local_day(stored.event.start, view.zone);
        let iso = day.format("%Y-%m-%d").to_string();
        if days.last().is_none_or(|d| d.iso != iso) {
            days.push(EmbedDay {
                heading: dates.day(day),
                iso,
                events: Vec::new(),
            });
        }
        let shown = event_in(stored, view.lang.code());
        let page = routes::with_query(
            &routes::event_page(&stored.uid),
            &format!("lang={}", view.lang.code()),
        );
        let row = EmbedRow {
            url: format!("{}{page}", view.origin),
            title: shown.title.to_string(),
            title_lang: shown.foreign(view.lang.code()).map(str::to_string),
            when: when(dates, view.zone, stored, false),
            place: whereabouts_text(view.lang, &whereabouts_as_shown(&stored.event, &shown)),
            status_key: status_key(stored),
        };
        days.last_mut().expect("pushed above").events.push(row);
    }
    days
}

/// The list alone: the fragment `/embed.html` serves, and the body of `/embed`.
pub fn embed_fragment(view: &EmbedView<'_>) -> String {
    EmbedList {
        lang: view.lang,
        theme: view.theme.name(),
        title: view.title,
        days: days(view),
        more: view.more.clone(),
        listing: format!(
            "{}{}",
            view.origin,
            routes::listing(&format!("lang={}", view.lang.code()))
        ),
    }
    .render()
    .expect("templates render plain data")
}

/// The page `/embed` serves: the list, the stylesheet, nothing else.
pub fn embed_page(view: &EmbedView<'_>) -> Vec<u8> {
    EmbedPage {
        lang: view.lang,
        theme: view.theme.name(),
        title: view.title,
        list: embed_fragment(view),
    }
    .render()
    .expect("templates render plain data")
    .into_bytes()
}
