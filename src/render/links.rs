//! Links that hand a calendar or an event to people's calendar apps: the subscription
//! link in https and webcal:// forms (Outlook and Apple open webcal:// as a subscription;
//! Google's "add by URL" wants https), Google Calendar's and Outlook.com's "add" pages,
//! and per-event "add to calendar" links. Pure string building, tested here.

use url::form_urlencoded::byte_serialize;

use crate::model::{Event, EventTime};
use crate::web::routes;

fn encode(text: &str) -> String {
    byte_serialize(text.as_bytes()).collect()
}

/// Where to subscribe to one filtered calendar.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubscriptionLinks {
    pub https: String,
    pub webcal: String,
    /// Google Calendar's subscribe page for this calendar.
    pub google: String,
    /// Outlook.com's "add from web" page for this calendar.
    pub outlook: String,
    /// The same events as feeds for feed readers (RSS, Atom, JSON Feed).
    pub rss: String,
    pub atom: String,
    pub json: String,
    /// The compact listing for an `<iframe>`, and its HTML fragment.
    pub embed: String,
    pub embed_fragment: String,
    /// The `<iframe>` element to paste into a page (HTML, its attributes escaped).
    pub embed_snippet: String,
}

/// `origin` is `https://host[:port]`; `query` the view's filter query (may be empty).
pub fn subscription(origin: &str, query: &str, name: &str) -> SubscriptionLinks {
    let path = routes::calendar(query);
    let https = format!("{}{path}", origin.trim_end_matches('/'));
    let webcal = match https.split_once("://") {
        Some((_, rest)) => format!("webcal://{rest}"),
        None => https.clone(),
    };
    let embed = format!("{}{}", origin.trim_end_matches('/'), routes::embed(query));
    let embed_snippet = format!(
        "<iframe src=\"{}\" title=\"{}\" width=\"100%\" height=\"600\" style=\"border:0\" loading=\"lazy\"></iframe>",
        crate::markup::escape_html(&embed),
        crate::markup::escape_html(name)
    );
    SubscriptionLinks {
        embed_snippet,
        google: format!(
            "https://calendar.google.com/calendar/render?cid={}",
            encode(&webcal)
        ),
        outlook: format!(
            "https://outlook.live.com/calendar/0/addfromweb?url={}&name={}",
            encode(&https),
            encode(name)
        ),
        rss: format!(
            "{}{}",
            origin.trim_end_matches('/'),
            routes::events_rss(query)
        ),
        atom: format!(
            "{}{}",
            origin.trim_end_matches('/'),
            routes::events_atom(query)
        ),
        json: format!(
            "{}{}",
            origin.trim_end_matches('/'),
            routes::events_json(query)
        ),
        embed,
        embed_fragment: format!(
            "{}{}",
            origin.trim_end_matches('/'),
            routes::embed_fragment(query)
        ),
        https,
        webcal,
    }
}

/// "Add to calendar" for one event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AddLinks {
    pub ics: String,
    pub google: String,
    pub outlook: String,
}

pub fn add_to_calendar(origin: &str, uid: &str, event: &Event) -> AddLinks {
    let ics = format!("{}{}", origin.trim_end_matches('/'), routes::event_ics(uid));
    let (google_dates, outlook_start, outlook_end, all_day) = match (event.start, event.end) {
        (EventTime::Date(start), end) => {
            let end = match end {
                Some(EventTime::Date(end)) => end,
                _ => start.succ_opt().unwrap_or(start),
            };
            (
                format!("{}/{}", start.format("%Y%m%d"), end.format("%Y%m%d")),
                start.format("%Y-%m-%d").to_string(),
                end.format("%Y-%m-%d").to_string(),
                true,
            )
        }
        (EventTime::At(start), end) => {
            let end = match end {
                Some(EventTime::At(end)) => end,
                _ => start
                    .checked_add_signed(chrono::TimeDelta::hours(1))
                    .unwrap_or(start),
            };
            (
                format!(
                    "{}/{}",
                    start.format("%Y%m%dT%H%M%SZ"),
                    end.format("%Y%m%dT%H%M%SZ")
                ),
                start.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                end.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                false,
            )
        }
    };
    let place: Vec<&str> = [
        event.location_name.as_deref(),
        event.location_address.as_deref(),
        event.online_url.as_deref(),
    ]
    .into_iter()
    .flatten()
    .collect();
    let location = place.join(", ");
    let mut details = event.description_text.clone().unwrap_or_default();
    if let Some(url) = &event.url {
        if !details.is_empty() {
            details.push_str("\n\n");
        }
        details.push_str(url);
    }
    let details: String = details.chars().take(1500).collect();
    let mut google = format!(
        "https://calendar.google.com/calendar/render?action=TEMPLATE&text={}&dates={google_dates}&details={}&location={}",
        encode(&event.title),
        encode(&details),
        encode(&location)
    );
    if let Some(zone) = &event.timezone {
        google.push_str(&format!("&ctz={}", encode(zone)));
    }
    let outlook = format!(
        "https://outlook.live.com/calendar/0/deeplink/compose?path=%2Fcalendar%2Faction%2Fcompose&rru=addevent&subject={}&startdt={}&enddt={}&allday={all_day}&body={}&location={}",
        encode(&event.title),
        encode(&outlook_start),
        encode(&outlook_end),
        encode(&details),
        encode(&location)
    );
    AddLinks {
        ics,
        google,
        outlook,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::EventStatus;

    #[test]
    fn subscription_links_in_every_form() {
        let links = subscription(
            "https://bulletin.example.gc.ca",
            "department=Health+Canada",
            "Bulletin — Health Canada",
        );
        assert_eq!(
            links.https,
            "https://bulletin.example.gc.ca/events.ics?department=Health+Canada"
        );
        assert_eq!(
            links.webcal,
            "webcal://bulletin.example.gc.ca/events.ics?department=Health+Canada"
        );
        assert_eq!(
            links.google,
            "https://calendar.google.com/calendar/render?cid=webcal%3A%2F%2Fbulletin.example.gc.ca%2Fevents.ics%3Fdepartment%3DHealth%2BCanada"
        );
        assert!(links.outlook.starts_with("https://outlook.live.com/calendar/0/addfromweb?url=https%3A%2F%2Fbulletin.example.gc.ca%2Fevents.ics%3Fdepartment%3DHealth%2BCanada&name=Bulletin+"));
    }

    #[test]
    fn add_links_for_timed_and_all_day_events() {
        let mut event = Event {
            source_id: "s".into(),
            uid: "u".into(),
            series_uid: None,
            title: "Lunch & learn".into(),
            description_text: Some("Bring lunch.".into()),
            description_html: None,
            start: EventTime::At("2026-11-05T17:00:00Z".parse().unwrap()),
            end: Some(EventTime::At("2026-11-05T18:00:00Z".parse().unwrap())),
            timezone: Some("America/Toronto".into()),
            location_name: Some("Room 101".into()),
            location_address: None,
            online_url: None,
            url: None,
            organiser: None,
            language: None,
            status: EventStatus::Confirmed,
            categories: vec![],
            translations: vec![],
        };
        let links = add_to_calendar("http://127.0.0.1:8080/", "abc", &event);
        assert_eq!(links.ics, "http://127.0.0.1:8080/events/abc.ics");
        assert!(
            links
                .google
                .contains("text=Lunch+%26+learn&dates=20261105T170000Z/20261105T180000Z"),
            "{}",
            links.google
        );
        assert!(links.google.ends_with("&ctz=America%2FToronto"));
        assert!(
            links.outlook.contains(
                "startdt=2026-11-05T17%3A00%3A00Z&enddt=2026-11-05T18%3A00%3A00Z&allday=false"
            ),
            "{}",
            links.outlook
        );
        event.start = EventTime::Date(chrono::NaiveDate::from_ymd_opt(2026, 12, 11).unwrap());
        event.end = None;
        let links = add_to_calendar("http://127.0.0.1:8080", "abc", &event);
        assert!(links.google.contains("dates=20261211/20261212"));
        assert!(links.outlook.contains("allday=true"));
    }
}
