//! One event in two languages: a department's English and French publications of one
//! event become one event with two versions — paired by configuration (two calendars),
//! by the pages' own links (Canada.ca event pages with the GCWeb language toggle and
//! JSON-LD, listing pages with hreflang alternates), and a blog and its translation show
//! each post once. Fixtures in `fixtures/bilingual/` (see its README), served on 127.0.0.1.

mod common;

use bulletin::model::{Location, Selectors, SourceKind};
use bulletin::store::StoredEvent;
use serde_json::Value;
use wiremock::matchers::path;
use wiremock::{Mock, MockServer, ResponseTemplate};

use common::{Harness, Site, fixture, ical_unescape, source, test_context, test_fetch_settings};

const EN_PAGE: &str = "/en/department-example/events/lunch-learn-plain-language.html";
const FR_PAGE: &str = "/fr/ministere-exemple/evenements/diner-causerie-langage-clair.html";

fn harness() -> Harness {
    let mut context = test_context();
    context.clock = bulletin::clock::Clock::fixed("2026-12-01T12:00:00Z".parse().unwrap());
    Harness::with(test_fetch_settings(), context)
}

async fn serve(server: &MockServer, at: &str, file: &str, content_type: &str) {
    Mock::given(path(at))
        .respond_with(ResponseTemplate::new(200).set_body_raw(fixture(file), content_type))
        .mount(server)
        .await;
}

fn url_source(
    id: &str,
    server: &MockServer,
    at: &str,
    kind: SourceKind,
) -> bulletin::model::Source {
    let mut s = source(
        id,
        Location::Url(format!("{}{at}", server.uri()).parse().unwrap()),
        Some(kind),
    );
    s.department = "Department of Example Services".into();
    s.timezone = Some(chrono_tz::America::Toronto);
    s
}

/// The events of a calendar as (UID, SEQUENCE, SUMMARY line, DESCRIPTION) in order.
fn vevents(ics: &str) -> Vec<(String, u32, String, String)> {
    let unfolded = ics.replace("\r\n ", "");
    unfolded
        .split("BEGIN:VEVENT")
        .skip(1)
        .map(|block| {
            let field = |name: &str| {
                block
                    .lines()
                    .find(|l| {
                        l.starts_with(&format!("{name}:")) || l.starts_with(&format!("{name};"))
                    })
                    .map(|l| l.to_string())
                    .unwrap_or_default()
            };
            let value = |name: &str| {
                let line = field(name);
                line.split_once(':')
                    .map(|(_, v)| v.to_string())
                    .unwrap_or_default()
            };
            (
                value("UID"),
                value("SEQUENCE").parse().unwrap_or(0),
                field("SUMMARY"),
                ical_unescape(&value("DESCRIPTION")),
            )
        })
        .collect()
}

async fn text(site: &Site, path: &str) -> String {
    let response = site.get(path).await;
    assert_eq!(response.status(), 200, "{path}");
    response.text().await.unwrap()
}

async fn json(site: &Site, path: &str) -> Value {
    serde_json::from_str(&text(site, path).await).unwrap()
}

fn only(events: &[StoredEvent]) -> &StoredEvent {
    assert_eq!(
        events.len(),
        1,
        "one event: {:#?}",
        events
            .iter()
            .map(|e| (&e.event.title, &e.sources))
            .collect::<Vec<_>>()
    );
    &events[0]
}

#[actix_web::test]
async fn canada_ca_event_pages_are_one_event_in_two_languages_without_configuration() {
    let h = harness();
    let server = MockServer::start().await;
    serve(
        &server,
        EN_PAGE,
        "bilingual/canada-event-en.html",
        "text/html; charset=utf-8",
    )
    .await;
    serve(
        &server,
        FR_PAGE,
        "bilingual/canada-event-fr.html",
        "text/html; charset=utf-8",
    )
    .await;
    h.add(url_source("page-en", &server, EN_PAGE, SourceKind::Html));
    h.add(url_source("page-fr", &server, FR_PAGE, SourceKind::Html));

    let record = h.refresh("page-en").await;
    assert_eq!(record.items_new, 1, "{record:?}");
    let english = only(&h.events()).clone();
    assert!(english.versions.is_empty());
    let site = Site::start(&h.store);
    let before = vevents(&text(&site, "/events.ics?lang=fr").await);

    let record = h.refresh("page-fr").await;
    assert_eq!(
        (record.items_new, record.items_updated),
        (0, 1),
        "{record:?}"
    );
    let events = h.events();
    let event = only(&events);
    assert_eq!(event.uid, english.uid, "the event keeps its UID");
    assert!(
        event.revision > english.revision,
        "and its revision goes up"
    );
    assert_eq!(
        event.event.title,
        "Lunch and learn: Writing in plain language"
    );
    assert_eq!(event.event.language.as_deref(), Some("en-CA"));
    let ids: Vec<&str> = event.sources.iter().map(|s| s.source_id.as_str()).collect();
    assert_eq!(ids, ["page-en", "page-fr"]);
    assert_eq!(event.versions.len(), 1);
    let french = &event.versions[0];
    assert_eq!(french.language, "fr");
    assert_eq!(french.title, "Dîner-causerie : Rédiger en langage clair");
    assert!(
        french
            .description_text
            .as_deref()
            .unwrap()
            .starts_with("Apportez votre dîner")
    );
    assert_eq!(
        french.url.as_deref(),
        Some(
            "https://www.canada.ca/fr/ministere-exemple/evenements/diner-causerie-langage-clair.html"
        )
    );
    assert!(
        event
            .event
            .description_text
            .as_deref()
            .unwrap()
            .starts_with("Bring your lunch"),
        "the English description stays English"
    );

    // Reading both again changes nothing.
    for id in ["page-en", "page-fr"] {
        let record = h.refresh(id).await;
        assert_eq!(
            (record.items_new, record.items_updated),
            (0, 0),
            "{id}: {record:?}"
        );
    }
    assert_eq!(&h.events(), &events);

    // Calendars: the reader's language, the same UID, a higher SEQUENCE.
    let site = Site::start(&h.store);
    let fr = vevents(&text(&site, "/events.ics?lang=fr").await);
    let en = vevents(&text(&site, "/events.ics?lang=en").await);
    let default = vevents(&text(&site, "/events.ics").await);
    assert_eq!((fr.len(), en.len()), (1, 1));
    assert_eq!(fr[0].0, before[0].0, "UID unchanged for subscribers");
    assert!(
        fr[0].1 > before[0].1,
        "SEQUENCE went up: {} then {}",
        before[0].1,
        fr[0].1
    );
    assert_eq!(fr[0].2, "SUMMARY:Dîner-causerie : Rédiger en langage clair");
    assert!(fr[0].3.starts_with("Apportez votre dîner"), "{}", fr[0].3);
    assert!(
        fr[0].3.contains("En anglais : Lunch and learn"),
        "{}",
        fr[0].3
    );
    assert_eq!(
        en[0].2,
        "SUMMARY:Lunch and learn: Writing in plain language"
    );
    assert!(en[0].3.contains("In French: Dîner-causerie"), "{}", en[0].3);
    assert_eq!(default, en, "the default calendar is the English one");
    assert_eq!(
        before[0].2,
        "SUMMARY;LANGUAGE=en:Lunch and learn: Writing in plain language"
    );

    // The API gives both versions.
    let api: Value = json(&site, "/api/events").await;
    let listed = api["events"].as_array().unwrap();
    assert_eq!(listed.len(), 1);
    let versions = listed[0]["versions"].as_array().unwrap();
    assert_eq!(versions.len(), 2);
    assert_eq!(versions[0]["language"], "en");
    assert_eq!(versions[0]["sources"], serde_json::json!(["page-en"]));
    assert_eq!(versions[1]["language"], "fr");
    assert_eq!(
        versions[1]["title"],
        "Dîner-causerie : Rédiger en langage clair"
    );
    assert_eq!(versions[1]["sources"], serde_json::json!(["page-fr"]));

    // Both pages: the reader's version, and a link to the other.
    let page = format!("/events/{}", event.uid);
    let english_page = text(&site, &format!("{page}?lang=en")).await;
    assert!(
        english_page.contains(r#"<h1 lang="en">Lunch and learn: Writing in plain language</h1>"#)
    );
    assert!(english_page.contains(&format!(
        r#"<a href="{page}?lang=fr" lang="fr" hreflang="fr">Dîner-causerie : Rédiger en langage clair</a>"#
    )));
    let french_page = text(&site, &format!("{page}?lang=fr")).await;
    assert!(
        french_page.contains(r#"<h1 lang="fr">Dîner-causerie : Rédiger en langage clair</h1>"#)
    );
    assert!(french_page.contains("Apportez votre dîner"));
    assert!(french_page.contains(&format!(
        r#"<a href="{page}?lang=en" lang="en" hreflang="en">Lunch and learn: Writing in plain language</a>"#
    )));
    assert!(
        french_page.contains("https://www.canada.ca/fr/ministere-exemple/evenements/diner-causerie-langage-clair.html"),
        "the French page links the department's French page"
    );
    let listing = text(&site, "/?lang=fr").await;
    assert!(listing.contains("Dîner-causerie : Rédiger en langage clair"));
    assert!(!listing.contains("Lunch and learn"), "one event, in French");
    assert!(
        listing.contains("lang=fr"),
        "subscribe links carry the language"
    );
    assert!(listing.contains("/events.ics?lang=fr"), "{listing}");
    site.handle.stop(true).await;
}

#[actix_web::test]
async fn a_departments_two_calendars_pair_by_configuration_whatever_the_titles() {
    let h = harness();
    let server = MockServer::start().await;
    serve(
        &server,
        "/en.ics",
        "bilingual/dept-calendar-en.ics",
        "text/calendar",
    )
    .await;
    serve(
        &server,
        "/fr.ics",
        "bilingual/dept-calendar-fr.ics",
        "text/calendar",
    )
    .await;
    let mut en = url_source("cal-en", &server, "/en.ics", SourceKind::Ical);
    en.language = Some("en".into());
    let mut fr = url_source("cal-fr", &server, "/fr.ics", SourceKind::Ical);
    fr.language = Some("fr".into());
    fr.translation_of = Some("cal-en".into());
    h.add(en);
    h.add(fr);
    // The French calendar first; the English events join them.
    assert_eq!(h.refresh("cal-fr").await.items_new, 4);
    let record = h.refresh("cal-en").await;
    assert_eq!(
        record.items_new, 1,
        "only the English-only event is new: {record:?}"
    );
    let events = h.events();
    let versions = |e: &StoredEvent| -> Vec<(String, String)> {
        let mut all = vec![(
            e.event.language.clone().unwrap_or_default(),
            e.event.title.clone(),
        )];
        all.extend(
            e.versions
                .iter()
                .map(|v| (v.language.clone(), v.title.clone())),
        );
        all.sort();
        all
    };
    assert_eq!(
        events.len(),
        5,
        "{:#?}",
        events.iter().map(versions).collect::<Vec<_>>()
    );
    let by_title = |title: &str| {
        events
            .iter()
            .find(|e| versions(e).iter().any(|(_, t)| t == title))
            .unwrap_or_else(|| {
                panic!(
                    "no {title} in {:?}",
                    events.iter().map(versions).collect::<Vec<_>>()
                )
            })
    };
    for (french, english) in [
        (
            "Communauté de pratique en littératie des données : rencontre de janvier",
            "Data literacy community of practice: January meeting",
        ),
        (
            "Assemblée publique sur le gouvernement ouvert",
            "Open government town hall",
        ),
        (
            "Atelier A : documents accessibles",
            "Workshop A: accessible documents",
        ),
        (
            "Atelier B : formulaires accessibles",
            "Workshop B: accessible forms",
        ),
    ] {
        let event = by_title(french);
        assert_eq!(
            versions(event),
            [
                ("en".to_string(), english.to_string()),
                ("fr".to_string(), french.to_string())
            ],
            "one event in two languages (parallel workshops pair by room)"
        );
        assert_eq!(event.sources.len(), 2);
    }
    let english_only = by_title("Retirement planning webinar (presented in English)");
    assert!(english_only.versions.is_empty());
    assert_eq!(english_only.event.language.as_deref(), Some("en"));

    let site = Site::start(&h.store);
    let en = vevents(&text(&site, "/events.ics?lang=en").await);
    let fr = vevents(&text(&site, "/events.ics?lang=fr").await);
    assert_eq!((en.len(), fr.len()), (5, 5));
    assert!(
        en.iter()
            .any(|e| e.2 == "SUMMARY:Workshop B: accessible forms")
    );
    assert!(
        fr.iter()
            .any(|e| e.2 == "SUMMARY:Atelier B : formulaires accessibles")
    );
    assert!(
        fr.iter().any(
            |e| e.2 == "SUMMARY;LANGUAGE=en:Retirement planning webinar (presented in English)"
        ),
        "an English-only event says its language in the French calendar"
    );
    let api: Value = json(&site, "/api/events").await;
    assert_eq!(api["events"].as_array().unwrap().len(), 5);
    let listing = text(&site, "/?lang=fr").await;
    assert!(listing.contains(
        r#"lang="en">Retirement planning webinar (presented in English)</a> <span class="only-in">(en anglais seulement)</span>"#
    ), "{listing}");
    let listing = text(&site, "/?lang=en").await;
    assert!(listing.contains("Workshop A: accessible documents"));
    assert!(!listing.contains("Atelier A"));
    site.handle.stop(true).await;
}

#[tokio::test]
async fn a_listing_page_and_its_translation_pair_their_events_by_time_and_place() {
    let h = harness();
    let server = MockServer::start().await;
    let en_path = "/en/department-example/events.html";
    let fr_path = "/fr/ministere-exemple/evenements.html";
    serve(
        &server,
        en_path,
        "html/bilingual-no-markup-en.html",
        "text/html",
    )
    .await;
    serve(
        &server,
        fr_path,
        "html/bilingual-no-markup-fr.html",
        "text/html",
    )
    .await;
    let selectors = Selectors {
        item: "li.event".into(),
        title: Some("h3".into()),
        start: Some(".when".into()),
        location: Some(".where".into()),
        link: Some("h3 a@href".into()),
        description: Some(".summary".into()),
        ..Selectors::default()
    };
    let mut en = url_source("list-en", &server, en_path, SourceKind::Html);
    en.selectors = Some(selectors.clone());
    let mut fr = url_source("list-fr", &server, fr_path, SourceKind::Html);
    fr.selectors = Some(selectors);
    h.add(en);
    h.add(fr);
    assert_eq!(h.refresh("list-en").await.items_new, 5);
    let record = h.refresh("list-fr").await;
    assert_eq!(
        record.items_new, 0,
        "every French event is a version: {record:?}"
    );
    let events = h.events();
    assert_eq!(events.len(), 5);
    for event in &events {
        assert_eq!(event.versions.len(), 1, "{}", event.event.title);
        assert_eq!(event.versions[0].language, "fr");
    }
    let open_house = events
        .iter()
        .find(|e| e.event.title == "National Public Service Week: open house")
        .unwrap();
    assert_eq!(
        open_house.versions[0].title,
        "Semaine nationale de la fonction publique : portes ouvertes"
    );
}

#[actix_web::test]
async fn a_blog_and_its_translation_show_each_post_once_with_both_links() {
    let h = harness();
    let server = MockServer::start().await;
    serve(
        &server,
        "/en/feed.xml",
        "bilingual/blog-en.xml",
        "application/atom+xml",
    )
    .await;
    serve(
        &server,
        "/fr/feed.xml",
        "bilingual/blog-fr.xml",
        "application/atom+xml",
    )
    .await;
    h.add(url_source(
        "blog-en",
        &server,
        "/en/feed.xml",
        SourceKind::Feed,
    ));
    h.add(url_source(
        "blog-fr",
        &server,
        "/fr/feed.xml",
        SourceKind::Feed,
    ));
    assert_eq!(h.refresh("blog-en").await.items_new, 2);
    assert_eq!(h.refresh("blog-fr").await.items_new, 2);
    let site = Site::start(&h.store);
    let api: Value = json(&site, "/api/posts").await;
    let posts = api["posts"].as_array().unwrap();
    assert_eq!(posts.len(), 2, "{api:#}");
    assert_eq!(
        posts[0]["title"],
        "A plain language checklist for your next web page"
    );
    assert_eq!(posts[0]["versions"][0]["language"], "fr");
    assert_eq!(
        posts[0]["versions"][0]["link"],
        "https://numerique.exemple.gc.ca/fr/blogue/2026/11/30/langage-clair-liste-de-verification.html"
    );
    let atom = text(&site, "/feed.atom?lang=fr").await;
    let feed = feed_rs::parser::parse(atom.as_bytes()).unwrap();
    assert_eq!(feed.entries.len(), 2);
    let first = &feed.entries[0];
    assert_eq!(
        first.title.as_ref().unwrap().content,
        "Une liste de vérification en langage clair pour votre prochaine page Web"
    );
    assert!(first.links.iter().any(|l| l.href_lang.as_deref() == Some("en")
        && l.href == "https://digital.example.gc.ca/en/blog/2026/11/30/plain-language-checklist.html"));
    let page = text(&site, "/posts?lang=fr").await;
    assert!(page.contains("Une liste de vérification en langage clair"));
    assert!(page.contains(
        r#"En anglais : <a href="https://digital.example.gc.ca/en/blog/2026/11/30/plain-language-checklist.html" lang="en" hreflang="en">A plain language checklist for your next web page</a>"#
    ), "{page}");
    // A filter on the French blog alone still shows its posts.
    let api: Value = json(&site, "/api/posts?source=blog-fr").await;
    assert_eq!(api["posts"].as_array().unwrap().len(), 2);
    site.handle.stop(true).await;
}

/// A department's two calendars, both fetched before anyone said they are each other's
/// translation: 9 events, English ones stored first.
async fn calendars_stored_apart(h: &Harness, server: &MockServer) {
    serve(
        server,
        "/en.ics",
        "bilingual/dept-calendar-en.ics",
        "text/calendar",
    )
    .await;
    serve(
        server,
        "/fr.ics",
        "bilingual/dept-calendar-fr.ics",
        "text/calendar",
    )
    .await;
    let mut en = url_source("cal-en", server, "/en.ics", SourceKind::Ical);
    en.language = Some("en".into());
    let mut fr = url_source("cal-fr", server, "/fr.ics", SourceKind::Ical);
    fr.language = Some("fr".into());
    h.add(en);
    h.add(fr);
    assert_eq!(h.refresh("cal-en").await.items_new, 5);
    assert_eq!(h.refresh("cal-fr").await.items_new, 4);
    assert_eq!(h.events().len(), 9, "unpaired: two events each");
}

#[actix_web::test]
async fn events_stored_apart_become_one_when_their_sources_are_paired_later() {
    let h = harness();
    let server = MockServer::start().await;
    calendars_stored_apart(&h, &server).await;
    let before = h.events();
    let uid_of = |title: &str| {
        before
            .iter()
            .find(|e| e.event.title == title)
            .unwrap_or_else(|| panic!("no {title}"))
            .clone()
    };
    let english = uid_of("Open government town hall");
    let french = uid_of("Assemblée publique sur le gouvernement ouvert");

    // `translation_of` is added to the running deployment; the French calendar's next
    // fetch reads the same document again, and still joins the two.
    let mut fr = url_source("cal-fr", &server, "/fr.ics", SourceKind::Ical);
    fr.language = Some("fr".into());
    fr.translation_of = Some("cal-en".into());
    h.add(fr);
    let record = h.refresh("cal-fr").await;
    assert_eq!(record.items_updated, 4, "{record:?}");
    let events = h.events();
    assert_eq!(events.len(), 5, "one event per event, in two languages");
    let kept = events.iter().find(|e| e.uid == english.uid).expect("kept");
    assert_eq!(
        kept.event.title, "Open government town hall",
        "the older (English) event keeps its UID and leads"
    );
    assert_eq!(kept.versions.len(), 1);
    assert_eq!(
        kept.versions[0].title,
        "Assemblée publique sur le gouvernement ouvert"
    );
    assert_eq!(kept.sources.len(), 2);
    assert!(kept.revision > english.revision, "its SEQUENCE goes up");
    assert!(!events.iter().any(|e| e.uid == french.uid));
    // Again: nothing more to do.
    let again = h.refresh("cal-en").await;
    assert_eq!((again.items_new, again.items_updated), (0, 0), "{again:?}");
    assert_eq!(h.events().len(), 5);

    let site = Site::start(&h.store);
    // Calendars still publish the retired UID, cancelled, with a higher SEQUENCE.
    for (lang, replaced) in [("en", "Replaced: "), ("fr", "Remplacé\u{a0}: ")] {
        let ics = vevents(&text(&site, &format!("/events.ics?lang={lang}")).await);
        assert_eq!(ics.len(), 9, "5 events and the 4 retired UIDs");
        let retired = ics
            .iter()
            .find(|e| e.0.starts_with(&format!("{}@", french.uid)))
            .expect("the retired UID is still published");
        assert!(retired.1 > french.revision, "higher SEQUENCE: {retired:?}");
        assert!(
            retired.2.ends_with(&format!(
                "{replaced}Assemblée publique sur le gouvernement ouvert"
            )),
            "{retired:?}"
        );
        let kept_line = ics
            .iter()
            .find(|e| e.0.starts_with(&format!("{}@", english.uid)))
            .unwrap();
        assert_eq!(kept_line.1, kept.revision);
    }
    let ics = text(&site, "/events.ics?lang=fr&source=cal-fr").await;
    assert!(
        ics.contains(&format!("UID:{}@", french.uid)),
        "a source's calendar keeps its retired UIDs"
    );
    assert!(ics.matches("STATUS:CANCELLED").count() >= 4);
    // Pages, the API and feeds list each event once.
    let api = json(&site, "/api/events").await;
    assert_eq!(api["events"].as_array().unwrap().len(), 5);
    let listing = text(&site, "/?lang=fr").await;
    assert_eq!(
        listing
            .matches("Assemblée publique sur le gouvernement ouvert")
            .count(),
        1,
        "{listing}"
    );
    // The retired event's page (and its calendar file) redirect to the kept event's.
    let no_redirects = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let response = no_redirects
        .get(format!("{}/events/{}?lang=fr", site.base, french.uid))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 308);
    assert_eq!(
        response.headers()["location"],
        format!("/events/{}?lang=fr", english.uid).as_str()
    );
    let response = no_redirects
        .get(format!("{}/events/{}.ics", site.base, french.uid))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 308);
    assert_eq!(
        response.headers()["location"],
        format!("/events/{}.ics", english.uid).as_str()
    );
    let page = text(&site, &format!("/events/{}?lang=fr", french.uid)).await;
    assert!(page.contains("Assemblée publique sur le gouvernement ouvert"));
    assert_eq!(site.get("/events/nosuchevent").await.status(), 404);
    site.handle.stop(true).await;
}

#[tokio::test]
async fn an_english_listing_from_a_third_department_joins_an_event_led_in_french() {
    let h = harness();
    let server = MockServer::start().await;
    serve(
        &server,
        "/en.ics",
        "bilingual/dept-calendar-en.ics",
        "text/calendar",
    )
    .await;
    serve(
        &server,
        "/fr.ics",
        "bilingual/dept-calendar-fr.ics",
        "text/calendar",
    )
    .await;
    // Another department lists the town hall in English, in a Google Calendar export.
    let third = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Google Inc//Google Calendar 70.9054//EN\r\n\
BEGIN:VEVENT\r\nDTSTART:20270127T183000Z\r\nDTEND:20270127T200000Z\r\nDTSTAMP:20261201T120000Z\r\n\
UID:townhall-2027@google.com\r\nSUMMARY:Open Government Town Hall\r\n\
LOCATION:Room 310\\, 30 Victoria St.\\, Gatineau QC\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";
    Mock::given(path("/other.ics"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(third, "text/calendar"))
        .mount(&server)
        .await;
    let mut en = url_source("cal-en", &server, "/en.ics", SourceKind::Ical);
    en.language = Some("en".into());
    let mut fr = url_source("agenda-fr", &server, "/fr.ics", SourceKind::Ical);
    fr.language = Some("fr".into());
    fr.translation_of = Some("cal-en".into());
    let mut other = url_source("other", &server, "/other.ics", SourceKind::Ical);
    other.department = "Privy Council Office".into();
    other.language = Some("en".into());
    h.add(en);
    h.add(fr);
    h.add(other);
    // French first (and first by id, as the clock stands still): the events lead in
    // French, with English versions.
    h.refresh("agenda-fr").await;
    h.refresh("cal-en").await;
    let record = h.refresh("other").await;
    assert_eq!(
        record.items_new, 0,
        "joins the French-led event: {record:?}"
    );
    let events = h.events();
    assert_eq!(events.len(), 5);
    let town_hall = events
        .iter()
        .find(|e| e.event.title == "Assemblée publique sur le gouvernement ouvert")
        .unwrap();
    assert_eq!(
        town_hall
            .sources
            .iter()
            .map(|s| s.source_id.as_str())
            .collect::<Vec<_>>(),
        ["agenda-fr", "cal-en", "other"]
    );
    assert_eq!(town_hall.versions[0].language, "en");
    assert_eq!(
        town_hall.versions[0].sources,
        ["cal-en", "other"],
        "the English listing is the English version's"
    );
}

/// A department's English and French calendars, paired by configuration, refreshed with
/// `first` ("cal-en" or "cal-fr") first, so that its language leads the merged events.
async fn paired_calendars(h: &Harness, server: &MockServer, first: &str) {
    for (at, file) in [
        ("/en.ics", "bilingual/dept-calendar-en.ics"),
        ("/fr.ics", "bilingual/dept-calendar-fr.ics"),
    ] {
        serve(server, at, file, "text/calendar").await;
    }
    let mut en = url_source("cal-en", server, "/en.ics", SourceKind::Ical);
    en.language = Some("en".into());
    let mut fr = url_source("cal-fr", server, "/fr.ics", SourceKind::Ical);
    fr.language = Some("fr".into());
    fr.translation_of = Some("cal-en".into());
    h.add(en);
    h.add(fr);
    let second = if first == "cal-en" {
        "cal-fr"
    } else {
        "cal-en"
    };
    h.refresh(first).await;
    h.refresh(second).await;
}

const TOWN_HALL_EN: &str = "Room 310, 30 Victoria Street, Gatineau";
const TOWN_HALL_FR: &str = "Salle 310, 30, rue Victoria, Gatineau";

#[actix_web::test]
async fn each_language_shows_its_own_versions_place_whichever_leads() {
    for first in ["cal-en", "cal-fr"] {
        let h = harness();
        let server = MockServer::start().await;
        paired_calendars(&h, &server, first).await;
        let events = h.events();
        let town_hall = events
            .iter()
            .find(|e| e.event.title == "Open government town hall")
            .or_else(|| {
                events
                    .iter()
                    .find(|e| e.event.title == "Assemblée publique sur le gouvernement ouvert")
            })
            .expect("the town hall");
        assert_eq!(town_hall.versions.len(), 1, "one event in two languages");
        let page = format!("/events/{}", town_hall.uid);
        let site = Site::start(&h.store);
        for (lang, own, other) in [
            ("en", TOWN_HALL_EN, TOWN_HALL_FR),
            ("fr", TOWN_HALL_FR, TOWN_HALL_EN),
        ] {
            for path in [
                format!("/?lang={lang}"),
                format!("{page}?lang={lang}"),
                format!("/embed.html?lang={lang}"),
                format!("/events.rss?lang={lang}"),
                format!("/events.atom?lang={lang}"),
                format!("/events.json?lang={lang}"),
            ] {
                let body = text(&site, &path).await;
                assert!(
                    body.contains(own) && !body.contains(other),
                    "{first} leads, {path} shows the {lang} place: {body}"
                );
            }
            // The event page's "add to calendar" links carry the same place.
            let event = text(&site, &format!("{page}?lang={lang}")).await;
            let encoded = |place: &str| {
                url::form_urlencoded::byte_serialize(place.as_bytes()).collect::<String>()
            };
            assert!(
                event.contains(&encoded(own)) && !event.contains(&encoded(other)),
                "{first} leads, the {lang} page's links carry the {lang} place: {event}"
            );
        }
        // The API gives each version with its own place.
        let api: Value = json(&site, "/api/events").await;
        let listed = api["events"].as_array().unwrap();
        let town_hall = listed
            .iter()
            .find(|e| e["id"] == town_hall.uid.as_str())
            .expect("the town hall in the API");
        let places: Vec<(String, String)> = town_hall["versions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| {
                (
                    v["language"].as_str().unwrap_or_default().to_string(),
                    v["location_name"].as_str().unwrap_or_default().to_string(),
                )
            })
            .collect();
        for (lang, own) in [("en", TOWN_HALL_EN), ("fr", TOWN_HALL_FR)] {
            assert!(
                places.iter().any(|(l, place)| l == lang && place == own),
                "{first} leads, the API's {lang} version has the {lang} place: {places:?}"
            );
        }
        site.handle.stop(true).await;
    }
}

/// LOCATION lines of the VEVENT whose SUMMARY line is `summary`.
fn location_of(ics: &str, summary: &str) -> String {
    let unfolded = ics.replace("\r\n ", "");
    let block = unfolded
        .split("BEGIN:VEVENT")
        .find(|b| b.lines().any(|l| l == summary))
        .unwrap_or_else(|| panic!("no {summary} in {unfolded}"));
    block
        .lines()
        .find_map(|l| l.strip_prefix("LOCATION:"))
        .map(ical_unescape)
        .unwrap_or_default()
}

#[actix_web::test]
async fn each_languages_calendar_gives_its_own_versions_place() {
    for first in ["cal-en", "cal-fr"] {
        let h = harness();
        let server = MockServer::start().await;
        paired_calendars(&h, &server, first).await;
        let site = Site::start(&h.store);
        let en = text(&site, "/events.ics?lang=en").await;
        let fr = text(&site, "/events.ics?lang=fr").await;
        assert_eq!(
            location_of(&en, "SUMMARY:Open government town hall"),
            TOWN_HALL_EN,
            "{first} leads"
        );
        assert_eq!(
            location_of(&fr, "SUMMARY:Assemblée publique sur le gouvernement ouvert"),
            TOWN_HALL_FR,
            "{first} leads"
        );
        site.handle.stop(true).await;
    }
}
