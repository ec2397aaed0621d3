//! A single event submitted through the "Submit an event" form by an organiser whose team
//! has no events page or calendar: the form's fields checked one by one (each error named
//! by its field, so the page shows it beside the field), and the events the submission
//! becomes once approved — one listing per language it was written in, under the
//! "Submitted events" sources of its department (English and French, each other's
//! translation), so it is stored, merged and served like any fetched listing. Pure.

use std::collections::HashMap;

use chrono::{Duration, NaiveDate, NaiveDateTime, NaiveTime};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
use url::Url;

use crate::model::{Event, EventStatus, EventTime};
use crate::normalise::zones::local_to_utc_checked;

/// The name of the English source holding a department's submitted events.
pub const SOURCE_NAME_EN: &str = "Submitted events";
/// The name of its French counterpart.
pub const SOURCE_NAME_FR: &str = "Événements soumis";

/// What an organiser submitted, checked.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EventSubmission {
    pub title_en: Option<String>,
    pub title_fr: Option<String>,
    pub description_en: Option<String>,
    pub description_fr: Option<String>,
    /// Wall-clock start and end in `timezone` (for an all-day event, midnights of its
    /// first and last days).
    pub start: NaiveDateTime,
    pub end: NaiveDateTime,
    pub all_day: bool,
    /// An IANA zone.
    pub timezone: String,
    pub place: Option<String>,
    pub online_url: Option<String>,
    pub department: String,
    pub tags: Vec<String>,
    /// For the administrators only; never shown or served.
    pub contact: String,
    pub registration_url: Option<String>,
}

/// Errors by field name: the catalogue key of the message shown beside it.
pub type FieldErrors = HashMap<&'static str, &'static str>;

const TITLE_MAX: usize = 200;
const DESCRIPTION_MAX: usize = 5_000;

fn http_url(text: &str) -> Option<String> {
    Url::parse(text)
        .ok()
        .filter(|u| matches!(u.scheme(), "http" | "https") && u.host_str().is_some())
        .map(|u| u.to_string())
}

fn valid_email(contact: &str) -> bool {
    contact.len() <= 254
        && !contact.contains(char::is_whitespace)
        && contact.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
        })
}

/// Checks the form's `values`; the submission when every field is right, and the errors
/// by field otherwise (with what could be read, for the preview).
pub fn check(
    values: &HashMap<String, String>,
) -> Result<EventSubmission, (FieldErrors, Option<Box<EventSubmission>>)> {
    let get = |name: &str| {
        values
            .get(name)
            .map(|v| v.trim().to_string())
            .unwrap_or_default()
    };
    let optional = |name: &str| Some(get(name)).filter(|v| !v.is_empty());
    let mut errors = FieldErrors::new();
    let title_en = optional("title_en");
    let title_fr = optional("title_fr");
    if title_en.is_none() && title_fr.is_none() {
        errors.insert("title_en", "submit.errors.title");
    }
    for (name, title) in [("title_en", &title_en), ("title_fr", &title_fr)] {
        if title
            .as_ref()
            .is_some_and(|t| t.chars().count() > TITLE_MAX)
        {
            errors.insert(name, "submit.errors.title_long");
        }
    }
    let description_en = optional("description_en");
    let description_fr = optional("description_fr");
    for (name, text) in [
        ("description_en", &description_en),
        ("description_fr", &description_fr),
    ] {
        if text
            .as_ref()
            .is_some_and(|t| t.chars().count() > DESCRIPTION_MAX)
        {
            errors.insert(name, "submit.errors.description");
        }
    }
    if description_en.is_some() && title_en.is_none() {
        errors.insert("title_en", "submit.errors.title_for_description");
    }
    if description_fr.is_some() && title_fr.is_none() {
        errors.insert("title_fr", "submit.errors.title_for_description");
    }
    let all_day = matches!(get("all_day").as_str(), "on" | "true" | "1" | "yes");
    let date = |name: &'static str, errors: &mut FieldErrors| {
        let parsed = NaiveDate::parse_from_str(&get(name), "%Y-%m-%d").ok();
        if parsed.is_none() {
            errors.insert(name, "submit.errors.date");
        }
        parsed
    };
    let time = |name: &'static str, errors: &mut FieldErrors| {
        if all_day {
            return Some(NaiveTime::MIN);
        }
        let text = get(name);
        let parsed = NaiveTime::parse_from_str(&text, "%H:%M")
            .or_else(|_| NaiveTime::parse_from_str(&text, "%H:%M:%S"))
            .ok();
        if parsed.is_none() {
            errors.insert(name, "submit.errors.time");
        }
        parsed
    };
    let start_date = date("start_date", &mut errors);
    let start_time = time("start_time", &mut errors);
    let end_date = optional("end_date")
        .map(|_| date("end_date", &mut errors))
        .unwrap_or(start_date);
    let end_time = time("end_time", &mut errors);
    let zone_text = get("timezone");
    let zone: Option<Tz> = zone_text.parse().ok();
    if zone.is_none() {
        errors.insert("timezone", "submit.errors.timezone");
    }
    let start = start_date.zip(start_time).map(|(d, t)| d.and_time(t));
    let end = end_date.zip(end_time).map(|(d, t)| d.and_time(t));
    if let (Some(start), Some(end), Some(zone)) = (start, end, zone) {
        let instants = local_to_utc_checked(start, zone).zip(local_to_utc_checked(end, zone));
        match instants {
            None => {
                errors.insert("start_time", "submit.errors.time_gap");
            }
            Some((s, e)) if (all_day && end < start) || (!all_day && e <= s) => {
                errors.insert("end_date", "submit.errors.end_before_start");
            }
            Some((s, e)) if e - s > Duration::days(31) => {
                errors.insert("end_date", "submit.errors.too_long");
            }
            Some(_) => {}
        }
    }
    let place = optional("place");
    if place.as_ref().is_some_and(|p| p.chars().count() > 300) {
        errors.insert("place", "submit.errors.place");
    }
    let online_text = optional("online_url");
    let online_url = online_text.as_deref().and_then(http_url);
    if online_text.is_some() && online_url.is_none() {
        errors.insert("online_url", "errors.url");
    }
    if place.is_none() && online_text.is_none() {
        errors.insert("place", "submit.errors.where");
    }
    let registration_text = optional("registration_url");
    let registration_url = registration_text.as_deref().and_then(http_url);
    if registration_text.is_some() && registration_url.is_none() {
        errors.insert("registration_url", "errors.url");
    }
    let department = get("department");
    if department.is_empty() || department.chars().count() > 200 {
        errors.insert("department", "errors.department");
    }
    let tags: Vec<String> = get("tags")
        .split(',')
        .map(|t| t.trim().to_lowercase())
        .filter(|t| !t.is_empty())
        .collect();
    if tags.len() > 10 || tags.iter().any(|t| t.chars().count() > 40) {
        errors.insert("tags", "errors.tags");
    }
    let contact = get("contact");
    if !valid_email(&contact) {
        errors.insert("contact", "errors.contact");
    }
    let submission = start
        .zip(end)
        .zip(zone)
        .map(|((start, end), zone)| EventSubmission {
            title_en,
            title_fr,
            description_en,
            description_fr,
            start,
            end,
            all_day,
            timezone: zone.name().to_string(),
            place,
            online_url,
            department,
            tags,
            contact,
            registration_url,
        });
    match submission {
        Some(s) if errors.is_empty() => Ok(s),
        other => Err((errors, other.map(Box::new))),
    }
}

impl EventSubmission {
    /// The form's values for this submission (to edit it).
    pub fn values(&self) -> HashMap<String, String> {
        let mut v = HashMap::new();
        let mut put = |k: &str, value: Option<&str>| {
            if let Some(value) = value {
                v.insert(k.to_string(), value.to_string());
            }
        };
        put("title_en", self.title_en.as_deref());
        put("title_fr", self.title_fr.as_deref());
        put("description_en", self.description_en.as_deref());
        put("description_fr", self.description_fr.as_deref());
        put(
            "start_date",
            Some(&self.start.format("%Y-%m-%d").to_string()),
        );
        put("end_date", Some(&self.end.format("%Y-%m-%d").to_string()));
        if !self.all_day {
            put("start_time", Some(&self.start.format("%H:%M").to_string()));
            put("end_time", Some(&self.end.format("%H:%M").to_string()));
        } else {
            put("all_day", Some("on"));
        }
        put("timezone", Some(&self.timezone));
        put("place", self.place.as_deref());
        put("online_url", self.online_url.as_deref());
        put("registration_url", self.registration_url.as_deref());
        put("department", Some(&self.department));
        put("tags", Some(&self.tags.join(", ")));
        put("contact", Some(&self.contact));
        v
    }

    /// The title it leads with (English, else French).
    pub fn title(&self) -> &str {
        self.title_en
            .as_deref()
            .or(self.title_fr.as_deref())
            .unwrap_or_default()
    }

    /// The events it becomes: one per language it was written in, each under that
    /// language's "Submitted events" source of its department (`source_ids`), with the
    /// uid `submission-{id}` in both, so they pair as one event's versions.
    pub fn events(&self, id: i64, status: EventStatus) -> Vec<Event> {
        let zone: Tz = self.timezone.parse().unwrap_or(chrono_tz::UTC);
        let (start, end) = if self.all_day {
            let last = self.end.date().max(self.start.date());
            (
                EventTime::Date(self.start.date()),
                Some(EventTime::Date(last.succ_opt().unwrap_or(last))),
            )
        } else {
            let at = |t: NaiveDateTime| {
                EventTime::At(local_to_utc_checked(t, zone).unwrap_or_else(|| t.and_utc()))
            };
            (at(self.start), Some(at(self.end)))
        };
        let (en_source, fr_source) = source_ids(&self.department);
        let versions = [
            (
                "en",
                en_source,
                self.title_en.as_ref(),
                self.description_en.as_ref(),
            ),
            (
                "fr",
                fr_source,
                self.title_fr.as_ref(),
                self.description_fr.as_ref(),
            ),
        ];
        versions
            .into_iter()
            .filter_map(|(language, source_id, title, description)| {
                Some(Event {
                    source_id,
                    uid: format!("submission-{id}"),
                    series_uid: None,
                    title: title?.clone(),
                    description_text: description.cloned(),
                    description_html: None,
                    start,
                    end,
                    timezone: (!self.all_day).then(|| self.timezone.clone()),
                    location_name: self.place.clone(),
                    location_address: None,
                    online_url: self.online_url.clone(),
                    url: self.registration_url.clone(),
                    organiser: None,
                    language: Some(language.to_string()),
                    status,
                    categories: self.tags.clone(),
                    translations: Vec::new(),
                })
            })
            .collect()
    }
}

/// The ids of a department's "Submitted events" sources: (English, French).
pub fn source_ids(department: &str) -> (String, String) {
    let slug: String = department
        .to_lowercase()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect::<String>()
        .split('-')
        .filter(|p| !p.is_empty())
        .collect::<Vec<_>>()
        .join("-");
    let slug = if slug.is_empty() {
        "department".to_string()
    } else {
        slug.chars().take(60).collect()
    };
    (format!("submitted-{slug}"), format!("submitted-{slug}-fr"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn good() -> HashMap<String, String> {
        form(&[
            ("title_en", "Data community of practice"),
            ("title_fr", "Communauté de pratique des données"),
            ("start_date", "2027-01-13"),
            ("start_time", "12:00"),
            ("end_time", "13:00"),
            ("timezone", "America/Toronto"),
            ("place", "Room 2, 90 Elgin St"),
            ("department", "Health Canada"),
            ("tags", "Data, networking"),
            ("contact", "organiser@example.gc.ca"),
        ])
    }

    #[test]
    fn a_good_form_becomes_two_versions_of_one_event() {
        let s = check(&good()).unwrap();
        assert_eq!(s.tags, ["data", "networking"]);
        let events = s.events(7, EventStatus::Confirmed);
        assert_eq!(events.len(), 2);
        assert_eq!(events[0].source_id, "submitted-health-canada");
        assert_eq!(events[1].source_id, "submitted-health-canada-fr");
        assert_eq!(events[0].uid, "submission-7");
        assert_eq!(
            events[0].start,
            EventTime::At("2027-01-13T17:00:00Z".parse().unwrap())
        );
        assert_eq!(check(&s.values()).unwrap(), s, "values round-trip");
    }

    #[test]
    fn errors_are_named_by_field() {
        let mut bad = good();
        bad.remove("title_en");
        bad.remove("title_fr");
        bad.insert("end_time".into(), "11:00".into());
        bad.insert("online_url".into(), "teams".into());
        bad.insert("contact".into(), "nobody".into());
        bad.insert("timezone".into(), "Mars/Olympus".into());
        let (errors, _) = check(&bad).unwrap_err();
        for field in ["title_en", "online_url", "contact", "timezone"] {
            assert!(errors.contains_key(field), "{field}: {errors:?}");
        }
        let mut backwards = good();
        backwards.insert("end_time".into(), "11:00".into());
        let (errors, _) = check(&backwards).unwrap_err();
        assert_eq!(
            errors.get("end_date"),
            Some(&"submit.errors.end_before_start")
        );
    }

    #[test]
    fn all_day_events_end_the_day_after_their_last() {
        let mut f = good();
        f.insert("all_day".into(), "on".into());
        f.insert("end_date".into(), "2027-01-14".into());
        let s = check(&f).unwrap();
        let e = &s.events(1, EventStatus::Confirmed)[0];
        assert_eq!(e.start, EventTime::Date("2027-01-13".parse().unwrap()));
        assert_eq!(e.end, Some(EventTime::Date("2027-01-15".parse().unwrap())));
        assert_eq!(e.timezone, None);
    }
}
