//! The weekly digest, rendered: as an email (HTML built for Outlook — tables and inline
//! styles, nothing loaded from anywhere — and plain text, `email.rs`), as a printable page
//! and an RSS item (`page.rs`), and the subscription's own emails and pages
//! (`subscription.rs`). Pure: the digest's content comes in as plain data ([`Content`]),
//! and [`Doc`] is what every form of it shows, worded once in the reader's language.

mod email;
mod page;
mod subscription;

use chrono::NaiveDate;
use chrono_tz::Tz;

pub use email::{email_html, email_text, subject};
pub use page::{DigestPageView, FeedWeek, digest_page, digest_rss};
pub use subscription::{
    AdminDigestView, AdminFailureRow, AdminFilterRow, ConfirmEmail, MessagePage, PageAction,
    SubscribeForm, admin_digest_page, confirm_email_html, confirm_email_text, message_page,
};

use super::dates::{Dates, Style, event_when};
use super::html::department_name;
use super::html::events::{
    departments, status_key, whereabouts, whereabouts_as_shown, whereabouts_text,
};
use super::links::SubscriptionLinks;
use super::versions::{event_in, post_in};
use crate::i18n::Lang;
use crate::model::{EventTime, StoredPost};
use crate::store::StoredEvent;
use crate::web::routes;

/// What changed in an event since the previous digest.
#[derive(Debug, Clone, PartialEq)]
pub enum ChangeKind {
    Cancelled,
    Postponed,
    /// Its source stopped listing it.
    Unlisted,
    /// It starts at another time than it did.
    Moved {
        from: EventTime,
    },
    /// It is held at another place than it was.
    Relocated {
        from: String,
    },
}

/// One changed event.
#[derive(Debug, Clone, PartialEq)]
pub struct Change {
    pub event: StoredEvent,
    pub kind: ChangeKind,
}

/// What one digest holds.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Content {
    /// The week's events, by start (at most the email's limit).
    pub events: Vec<StoredEvent>,
    /// How many events the week has in all.
    pub total_events: u64,
    /// Posts new since the previous digest, newest first.
    pub posts: Vec<StoredPost>,
    /// More posts than the digest lists (it links to the blog roll for them).
    pub more_posts: bool,
    pub changes: Vec<Change>,
}

impl Content {
    /// Nothing to tell: no event, post or change.
    pub fn is_empty(&self) -> bool {
        self.events.is_empty() && self.posts.is_empty() && self.changes.is_empty()
    }
}

/// The absolute links a digest carries.
#[derive(Debug, Clone, PartialEq)]
pub struct Links {
    /// `https://host[:port]`, no trailing slash.
    pub origin: String,
    /// The web view of this digest (all its events).
    pub web_view: String,
    /// The listing with the same filters.
    pub listing: String,
    /// The blog roll with the same filters.
    pub posts: String,
    /// The calendar with the same filters.
    pub calendar: SubscriptionLinks,
    /// One-click unsubscribe and the manage page (emails only).
    pub unsubscribe: Option<String>,
    pub manage: Option<String>,
}

/// The inputs of every form of a digest.
pub struct DigestView<'a> {
    pub lang: Lang,
    pub style: Style,
    pub zone: Tz,
    pub first_day: NaiveDate,
    pub last_day: NaiveDate,
    /// The subscription's filters as (catalogue key of the filter's name, value).
    pub filters: &'a [(&'static str, String)],
    pub content: &'a Content,
    pub links: &'a Links,
}

/// One event as a digest lists it.
pub struct EventLine {
    pub title: String,
    pub title_lang: Option<String>,
    pub status: Option<&'static str>,
    pub when: String,
    pub whereabouts: String,
    pub listed_by: String,
    pub page: String,
    pub ics: String,
    pub online: Option<String>,
}

/// One day of events.
pub struct DayBlock {
    pub heading: String,
    pub iso: String,
    pub events: Vec<EventLine>,
}

/// One new post.
pub struct PostLine {
    pub title: String,
    pub link: Option<String>,
    pub from: String,
    pub date: String,
}

/// One change, in words.
pub struct ChangeLine {
    /// "Cancelled", "Moved"…
    pub what: &'static str,
    pub title: String,
    pub page: String,
    /// "was Tuesday, January 12, 2027, 1:00 pm ET; now …".
    pub detail: String,
}

/// A digest worded in its language: what the email, the page and the feed all show.
pub struct Doc {
    pub lang: Lang,
    pub title: String,
    pub week: String,
    pub filters: String,
    pub days: Vec<DayBlock>,
    /// "12 more events this week are in the web view", when the email stops short.
    pub more_events: Option<String>,
    pub posts: Vec<PostLine>,
    /// "More posts are on the blog roll", when the digest stops short.
    pub more_posts: Option<&'static str>,
    pub changes: Vec<ChangeLine>,
    pub empty: bool,
}

fn local_day(time: EventTime, zone: Tz) -> NaiveDate {
    match time {
        EventTime::Date(date) => date,
        EventTime::At(at) => at.with_timezone(&zone).date_naive(),
    }
}

fn event_page(links: &Links, lang: Lang, stored: &StoredEvent) -> String {
    format!(
        "{}{}?lang={}",
        links.origin,
        routes::event_page(&stored.uid),
        lang.code()
    )
}

/// Words a digest shows, in `view.lang`.
pub fn doc(view: &DigestView<'_>) -> Doc {
    let lang = view.lang;
    let dates = Dates::new(lang, view.style);
    let week = dates.date_range(view.first_day, view.last_day);
    let mut days: Vec<DayBlock> = Vec::new();
    for stored in &view.content.events {
        let day = local_day(stored.event.start, view.zone);
        let iso = day.format("%Y-%m-%d").to_string();
        if days.last().is_none_or(|d| d.iso != iso) {
            days.push(DayBlock {
                heading: dates.day(day),
                iso,
                events: Vec::new(),
            });
        }
        let shown = event_in(stored, lang.code());
        let listed_by = departments(lang, stored);
        days.last_mut()
            .expect("pushed above")
            .events
            .push(EventLine {
                title: shown.title.to_string(),
                title_lang: shown.foreign(lang.code()).map(str::to_string),
                status: status_key(stored).map(|key| lang.t(key)),
                when: event_when(dates, view.zone, &stored.event, false),
                whereabouts: whereabouts_text(lang, &whereabouts_as_shown(&stored.event, &shown)),
                listed_by,
                page: event_page(view.links, lang, stored),
                ics: format!("{}{}", view.links.origin, routes::event_ics(&stored.uid)),
                online: stored.event.online_url.clone(),
            });
    }
    let shown = view.content.events.len() as u64;
    let more_events = (view.content.total_events > shown).then(|| {
        lang.t("digest.more_events")
            .replace("{n}", &dates.number(view.content.total_events - shown))
    });
    let posts = view
        .content
        .posts
        .iter()
        .map(|post| {
            let post = post_in(post.clone(), lang.code());
            let from = if post.department.is_empty() {
                post.source_name.clone()
            } else {
                format!(
                    "{} ({})",
                    post.source_name,
                    department_name(lang, &post.department)
                )
            };
            PostLine {
                date: dates.date(post.date().with_timezone(&view.zone).date_naive()),
                title: post.post.title,
                link: post.post.link,
                from,
            }
        })
        .collect();
    let changes = view
        .content
        .changes
        .iter()
        .map(|change| change_line(dates, view, change))
        .collect();
    let filters = view
        .filters
        .iter()
        .map(|(key, value)| format!("{} {value}", lang.t(key)))
        .collect::<Vec<_>>()
        .join(", ");
    Doc {
        lang,
        title: lang.t("digest.title").replace("{week}", &week),
        week,
        filters: if filters.is_empty() {
            lang.t("digest.filters.none").to_string()
        } else {
            lang.t("digest.filters").replace("{filters}", &filters)
        },
        days,
        more_events,
        posts,
        more_posts: view.content.more_posts.then(|| lang.t("digest.more_posts")),
        changes,
        empty: view.content.is_empty(),
    }
}

fn change_line(dates: Dates, view: &DigestView<'_>, change: &Change) -> ChangeLine {
    let lang = view.lang;
    let stored = &change.event;
    let now_when = event_when(dates, view.zone, &stored.event, true);
    let (what, detail) = match &change.kind {
        ChangeKind::Cancelled => ("digest.change.cancelled", now_when),
        ChangeKind::Postponed => ("digest.change.postponed", now_when),
        ChangeKind::Unlisted => ("digest.change.unlisted", now_when),
        ChangeKind::Moved { from } => {
            let mut before = stored.event.clone();
            before.start = *from;
            before.end = None;
            (
                "digest.change.moved",
                lang.t("digest.change.was")
                    .replace("{before}", &event_when(dates, view.zone, &before, true))
                    .replace("{after}", &now_when),
            )
        }
        ChangeKind::Relocated { from } => (
            "digest.change.relocated",
            lang.t("digest.change.was")
                .replace("{before}", from)
                .replace(
                    "{after}",
                    &whereabouts_text(lang, &whereabouts(&stored.event)),
                ),
        ),
    };
    ChangeLine {
        what: lang.t(what),
        title: event_in(stored, lang.code()).title.to_string(),
        page: event_page(view.links, lang, stored),
        detail,
    }
}

#[cfg(test)]
pub(crate) mod tests;
