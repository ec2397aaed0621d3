//! The digest's email parts and page, checked with scraper (an independent HTML parser):
//! nothing loaded from anywhere, no script, layout in tables with inline styles; the
//! words in the subscription's language; changes and posts said.

use chrono::{NaiveDate, TimeZone, Utc};
use scraper::{Html, Selector};

use super::*;
use crate::model::{EventStatus, EventTime};
use crate::render::fixtures;
use crate::render::links::subscription;
use crate::store::{ListedBy, StoredEvent};
use crate::web::routes;

fn stored(uid: &str, title: &str, start: &str) -> StoredEvent {
    let start = EventTime::At(start.parse().unwrap());
    let mut event = fixtures::event(start, None, Some("America/Toronto"));
    event.title = title.into();
    event.location_name = Some("Room 101, 90 Elgin Street".into());
    event.online_url = Some("https://teams.example.gc.ca/join/1".into());
    let now = Utc.with_ymd_and_hms(2027, 1, 1, 0, 0, 0).unwrap();
    StoredEvent {
        uid: uid.into(),
        event,
        listed: true,
        revision: 1,
        sources: vec![ListedBy {
            source_id: "hc".into(),
            source_name: "HC events".into(),
            department: "Health Canada / Santé Canada".into(),
            source_uid: uid.into(),
            listed: true,
        }],
        tags: vec![],
        provenance: Default::default(),
        versions: vec![],
        merged_into: None,
        first_seen: now,
        last_seen: now,
        changed: now,
    }
}

pub(crate) fn content() -> Content {
    let mut cancelled = stored("c1", "Data <b>day</b>", "2027-01-13T18:00:00Z");
    cancelled.event.status = EventStatus::Cancelled;
    Content {
        events: vec![
            stored("e1", "Lunch & learn: open data", "2027-01-12T17:00:00Z"),
            cancelled.clone(),
        ],
        total_events: 3,
        posts: fixtures::posts(),
        more_posts: false,
        changes: vec![
            Change {
                event: cancelled,
                kind: ChangeKind::Cancelled,
            },
            Change {
                event: stored("m1", "Moved talk", "2027-01-14T15:00:00Z"),
                kind: ChangeKind::Moved {
                    from: EventTime::At("2027-01-13T15:00:00Z".parse().unwrap()),
                },
            },
        ],
    }
}

fn links() -> Links {
    let origin = "https://bulletin.example.gc.ca";
    Links {
        origin: origin.into(),
        web_view: format!("{origin}/digest?lang=fr&week=2027-01-11"),
        listing: format!("{origin}/?lang=fr"),
        posts: format!("{origin}{}", routes::posts("lang=fr")),
        calendar: subscription(origin, "lang=fr", "Bulletin"),
        unsubscribe: Some(format!("{origin}/digest/unsubscribe?token=abc")),
        manage: Some(format!("{origin}/digest/manage?token=def")),
    }
}

fn view<'a>(lang: Lang, content: &'a Content, links: &'a Links) -> DigestView<'a> {
    DigestView {
        lang,
        style: Style::CanadaCa,
        zone: chrono_tz::America::Toronto,
        first_day: NaiveDate::from_ymd_opt(2027, 1, 11).unwrap(),
        last_day: NaiveDate::from_ymd_opt(2027, 1, 17).unwrap(),
        filters: &[],
        content,
        links,
    }
}

#[test]
fn the_html_part_loads_nothing_and_runs_nothing() {
    let (content, links) = (content(), links());
    for lang in [Lang::En, Lang::Fr] {
        let html = email_html(&view(lang, &content, &links));
        let doc = Html::parse_document(&html);
        let any = |css: &str| doc.select(&Selector::parse(css).unwrap()).count();
        assert_eq!(
            any(
                "script, img, link, iframe, object, embed, style, video, audio, picture, source, form"
            ),
            0
        );
        assert_eq!(any("[src], [background], [srcset]"), 0);
        let layout = Selector::parse("table[role=presentation]").unwrap();
        assert!(doc.select(&layout).count() >= 3, "laid out in tables");
        for td in doc.select(&Selector::parse("td").unwrap()) {
            assert!(
                td.value().attr("style").is_some(),
                "inline styles: {}",
                td.html()
            );
        }
        let html_tag = doc
            .select(&Selector::parse("html").unwrap())
            .next()
            .unwrap();
        assert_eq!(html_tag.value().attr("lang"), Some(lang.code()));
        let hrefs: Vec<&str> = doc
            .select(&Selector::parse("a[href]").unwrap())
            .map(|a| a.value().attr("href").unwrap())
            .collect();
        let ics = format!("https://bulletin.example.gc.ca{}", routes::event_ics("e1"));
        assert!(hrefs.contains(&ics.as_str()));
        let page = format!("{}?lang=", routes::event_page("e1"));
        assert!(hrefs.iter().any(|h| h.contains(&page)));
        assert!(hrefs.contains(&"https://bulletin.example.gc.ca/digest/unsubscribe?token=abc"));
        assert!(!html.contains("<b>day</b>"), "titles escaped");
    }
}

#[test]
fn words_follow_the_subscription_language() {
    let (content, links) = (content(), links());
    let fr = email_text(&view(Lang::Fr, &content, &links));
    assert!(fr.contains("MARDI 12 JANVIER 2027"), "{fr}");
    assert!(fr.contains("12 h HE"), "times in French, zone named: {fr}");
    assert!(fr.contains("Annulé : Data <b>day</b>"), "{fr}");
    assert!(fr.contains("Déplacé"), "{fr}");
    assert!(fr.contains("Santé Canada"), "department in French: {fr}");
    assert!(
        fr.contains("Se désabonner https://bulletin.example.gc.ca/digest/unsubscribe?token=abc")
    );
    assert!(
        fr.contains("figurent dans la version Web : https://"),
        "{fr}"
    );
    let en = email_text(&view(Lang::En, &content, &links));
    assert!(en.contains("TUESDAY, JANUARY 12, 2027"), "{en}");
    assert!(en.contains("12:00 pm"), "{en}");
    assert!(en.contains("Health Canada"));
    assert!(en.contains("Moved: Moved talk"), "{en}");
    assert!(en.contains("was Wednesday, January 13, 2027, 10:00 am ET; now Thursday, January 14, 2027, 10:00 am ET"), "{en}");
    assert!(en.contains("In person") || en.contains("Hybrid"), "{en}");
    assert_eq!(
        subject(&view(Lang::En, &content, &links)),
        "What’s on across government: January 11 to 17, 2027"
    );
}

#[test]
fn an_empty_week_says_so() {
    let links = links();
    let empty = Content::default();
    let text = email_text(&view(Lang::En, &empty, &links));
    assert!(text.contains("Nothing this week matches"), "{text}");
    assert!(!text.contains("Events this week"));
}
