//! A single event without a website, through actix's test harness: the form with its
//! errors beside the fields (and nothing stored), CSRF refusal, the preview, submission
//! with a private link, the administrator's approval, the event in the listing and in
//! `/events.ics` under "Submitted events", the private link's edit (SEQUENCE up) and
//! cancellation (STATUS:CANCELLED, SEQUENCE up again), a rejection with its reason, the
//! bilingual pairing, and merging with a department's own listing of the same event.

mod common;

use std::collections::HashMap;

use actix_web::cookie::Cookie;
use actix_web::dev::ServiceResponse;
use actix_web::http::StatusCode;
use actix_web::{App, test, web};
use bulletin::fetch::Fetcher;
use bulletin::model::{Location, SourceKind};
use bulletin::refresh::Refresher;
use bulletin::store::SubmissionState;
use bulletin::web::{AppState, Registration, configure};
use wiremock::matchers::path;
use wiremock::{Mock, MockServer, ResponseTemplate};

use common::{Harness, source, test_context, test_fetch_settings};

const TOKEN: &str = "correct horse battery staple";
const NOW: &str = "2026-10-01T12:00:00Z";

fn state(h: &Harness) -> AppState {
    let mut state = AppState::new(h.store.clone(), None, chrono_tz::America::Toronto);
    let fetcher = Fetcher::new(test_fetch_settings()).unwrap();
    let mut context = test_context();
    context.clock = bulletin::clock::Clock::fixed(NOW.parse().unwrap());
    state.clock = bulletin::clock::Clock::fixed(NOW.parse().unwrap());
    state.registration = Some(Registration {
        refresher: Refresher::new(fetcher.clone(), h.store.clone(), context),
        fetcher,
        context,
        admin_token: Some(TOKEN.into()),
    });
    state
}

async fn body(response: ServiceResponse) -> String {
    String::from_utf8(test::read_body(response).await.to_vec()).unwrap()
}

macro_rules! app {
    ($state:expr) => {
        test::init_service(
            App::new()
                .app_data(web::Data::new($state))
                .configure(configure),
        )
        .await
    };
}

macro_rules! csrf {
    ($app:expr, $uri:expr) => {{
        let response =
            test::call_service(&$app, test::TestRequest::get().uri($uri).to_request()).await;
        assert_eq!(response.status(), StatusCode::OK, "{}", $uri);
        let cookie: Cookie<'static> = response
            .response()
            .cookies()
            .find(|c| c.name() == "bulletin_csrf")
            .expect("csrf cookie")
            .into_owned();
        let html = body(response).await;
        let token = html
            .split("name=\"csrf\" value=\"")
            .nth(1)
            .and_then(|rest| rest.split('"').next())
            .unwrap()
            .to_string();
        (cookie, token, html)
    }};
}

macro_rules! post {
    ($app:expr, $uri:expr, $cookies:expr, $form:expr) => {{
        let mut request = test::TestRequest::post().uri($uri).set_form($form);
        for cookie in $cookies {
            request = request.cookie(cookie.clone());
        }
        test::call_service(&$app, request.to_request()).await
    }};
}

/// Logs in as the administrator: the /admin page's cookie and CSRF token, the session
/// cookie, and the login's response.
macro_rules! admin_login {
    ($app:expr) => {{
        let (admin_cookie, admin_csrf, _) = csrf!($app, "/admin?lang=en");
        let login = post!(
            $app,
            "/admin/login",
            [&admin_cookie],
            [("csrf", admin_csrf.as_str()), ("token", TOKEN)]
        );
        let session = login
            .response()
            .cookies()
            .find(|c| c.name() == "bulletin_admin")
            .unwrap()
            .into_owned();
        (admin_cookie, admin_csrf, session, login)
    }};
}

fn form(csrf: &str, action: &str, extra: &[(&str, &str)]) -> HashMap<String, String> {
    let mut values: HashMap<String, String> = [
        ("csrf", csrf),
        ("action", action),
        ("title_en", "Data community of practice"),
        ("title_fr", "Communauté de pratique des données"),
        ("description_en", "Monthly meeting.\n\nAll welcome."),
        ("start_date", "2026-11-18"),
        ("start_time", "12:00"),
        ("end_time", "13:00"),
        ("timezone", "America/Toronto"),
        ("place", "Room 2, 90 Elgin St"),
        ("online_url", "https://teams.example/meet/1"),
        ("department", "Health Canada"),
        ("tags", "data, networking"),
        ("contact", "organiser@example.gc.ca"),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    for (k, v) in extra {
        values.insert(k.to_string(), v.to_string());
    }
    values
}

/// The VEVENT with this SUMMARY: its properties by name.
fn vevent(ics: &str, summary: &str) -> HashMap<String, String> {
    let unfolded = ics.replace("\r\n ", "");
    for block in unfolded.split("BEGIN:VEVENT").skip(1) {
        let props: HashMap<String, String> = block
            .lines()
            .filter_map(|l| {
                let (name, value) = l.split_once(':')?;
                Some((name.split(';').next()?.to_string(), value.to_string()))
            })
            .collect();
        if props.get("SUMMARY").is_some_and(|s| s.contains(summary)) {
            return props;
        }
    }
    panic!("no VEVENT for {summary} in\n{ics}");
}

#[actix_web::test]
async fn submit_approve_edit_and_cancel() {
    let h = Harness::new();
    let app = app!(state(&h));
    let (cookie, token, html) = csrf!(app, "/submit-event?lang=en");
    assert!(html.contains("Submit an event"));

    // A bad form: errors beside the fields, nothing stored.
    let bad = post!(
        app,
        "/submit-event?lang=en",
        [&cookie],
        form(
            &token,
            "submit",
            &[
                ("title_en", ""),
                ("title_fr", ""),
                ("description_en", ""),
                ("end_time", "11:00"),
                ("contact", "nobody")
            ]
        )
    );
    assert_eq!(bad.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = body(bad).await;
    for field in ["title_en", "contact", "end_date"] {
        assert!(
            html.contains(&format!("<span class=\"error-message\" id=\"e-{field}\">")),
            "{field}"
        );
        assert!(
            html.contains(&format!("href=\"#f-{field}\"")),
            "{field} in the summary"
        );
    }
    assert!(
        h.store
            .submissions(SubmissionState::Pending)
            .unwrap()
            .is_empty()
    );

    // No CSRF token, or another session's: refused, nothing stored.
    let forged = post!(
        app,
        "/submit-event?lang=en",
        [&cookie],
        form("0".repeat(64).as_str(), "submit", &[])
    );
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);
    let cookieless = post!(
        app,
        "/submit-event?lang=en",
        Vec::<&Cookie>::new(),
        form(&token, "submit", &[])
    );
    assert_eq!(cookieless.status(), StatusCode::FORBIDDEN);
    assert!(
        h.store
            .submissions(SubmissionState::Pending)
            .unwrap()
            .is_empty()
    );

    // A preview shows it and stores nothing.
    let previewed = post!(
        app,
        "/submit-event?lang=en",
        [&cookie],
        form(&token, "preview", &[])
    );
    assert_eq!(previewed.status(), StatusCode::OK);
    let html = body(previewed).await;
    assert!(html.contains("How your event would appear"));
    assert!(html.contains("12:00 pm to 1:00 pm ET"), "{html}");
    assert!(
        h.store
            .submissions(SubmissionState::Pending)
            .unwrap()
            .is_empty()
    );

    // Submitted: pending, with a private link whose token is not stored.
    let sent = post!(
        app,
        "/submit-event?lang=en",
        [&cookie],
        form(&token, "submit", &[])
    );
    assert_eq!(sent.status(), StatusCode::OK);
    let html = body(sent).await;
    let link = html
        .split("id=\"private-link\" type=\"text\" readonly value=\"")
        .nth(1)
        .and_then(|r| r.split('"').next())
        .unwrap()
        .replace("&#38;", "&");
    let private = link
        .split_once("/submit-event/")
        .unwrap()
        .1
        .split('?')
        .next()
        .unwrap()
        .to_string();
    assert_eq!(private.len(), 64);
    let pending = h.store.submissions(SubmissionState::Pending).unwrap();
    assert_eq!(pending.len(), 1);
    let db = std::fs::read(h.store.path()).unwrap();
    assert!(
        !db.windows(64).any(|w| w == private.as_bytes()),
        "only a digest of the token is kept"
    );
    let calendar = |app_body: String| app_body;
    let ics = test::call_service(
        &app,
        test::TestRequest::get().uri("/events.ics").to_request(),
    )
    .await;
    assert!(
        !calendar(body(ics).await).contains("Data community"),
        "not listed before approval"
    );

    // The administrator approves it from /admin.
    let (admin_cookie, admin_csrf, session, login) = admin_login!(app);
    let admin_html = body(login).await;
    assert!(admin_html.contains("Submitted events waiting for approval"));
    assert!(admin_html.contains("Data community of practice"));
    let id = pending[0].id;
    let uri = format!("/admin/submissions/{id}?lang=en");
    let anonymous = post!(
        app,
        &uri,
        [&admin_cookie],
        [("csrf", admin_csrf.as_str()), ("action", "approve")]
    );
    assert_eq!(anonymous.status(), StatusCode::FORBIDDEN);
    let approved = post!(
        app,
        &uri,
        [&admin_cookie, &session],
        [("csrf", admin_csrf.as_str()), ("action", "approve")]
    );
    assert_eq!(approved.status(), StatusCode::OK);
    assert!(body(approved).await.contains("Approved and listed"));

    // Listed under "Submitted events" of its department, in both languages.
    let listing = body(
        test::call_service(&app, test::TestRequest::get().uri("/?lang=fr").to_request()).await,
    )
    .await;
    assert!(
        listing.contains("Communauté de pratique des données"),
        "{listing}"
    );
    let events = h.events();
    assert_eq!(events.len(), 1, "two versions, one event");
    let event = &events[0];
    assert_eq!(event.sources[0].source_name, "Submitted events");
    assert_eq!(event.sources[0].department, "Health Canada");
    assert_eq!(event.versions.len(), 1, "{:?}", event.versions);
    assert_eq!(
        event.versions[0].title,
        "Communauté de pratique des données"
    );
    let ics = body(
        test::call_service(
            &app,
            test::TestRequest::get().uri("/events.ics").to_request(),
        )
        .await,
    )
    .await;
    let first = vevent(&ics, "Data community of practice");
    let first_sequence: u32 = first.get("SEQUENCE").map_or(0, |s| s.parse().unwrap());
    assert_eq!(first.get("STATUS").map(String::as_str), Some("CONFIRMED"));
    assert!(
        !h.store
            .active_sources()
            .unwrap()
            .iter()
            .any(|(s, _)| s.id.starts_with("submitted-")),
        "submitted sources are never fetched"
    );

    // The private link: edit (SEQUENCE up), then cancel (STATUS:CANCELLED, up again).
    let private_uri = format!("/submit-event/{private}?lang=en");
    let (p_cookie, p_token, page) = csrf!(app, &private_uri);
    assert!(page.contains("Approved and listed"));
    assert!(page.contains("value=\"Data community of practice\""));
    let wrong = test::call_service(
        &app,
        test::TestRequest::get()
            .uri(&format!("/submit-event/{}", "a".repeat(64)))
            .to_request(),
    )
    .await;
    assert_eq!(wrong.status(), StatusCode::NOT_FOUND);
    let edited = post!(
        app,
        &private_uri,
        [&p_cookie],
        form(
            &p_token,
            "save",
            &[("start_time", "12:30"), ("end_time", "13:30")]
        )
    );
    assert_eq!(edited.status(), StatusCode::OK);
    let ics = body(
        test::call_service(
            &app,
            test::TestRequest::get().uri("/events.ics").to_request(),
        )
        .await,
    )
    .await;
    let second = vevent(&ics, "Data community of practice");
    let second_sequence: u32 = second["SEQUENCE"].parse().unwrap();
    assert!(second_sequence > first_sequence, "{first:?} {second:?}");
    assert!(second["DTSTART"].ends_with("T123000"), "{second:?}");
    assert_eq!(second["UID"], first["UID"], "the same event");

    let cancelled = post!(
        app,
        &private_uri,
        [&p_cookie],
        form(&p_token, "cancel", &[])
    );
    assert_eq!(cancelled.status(), StatusCode::OK);
    let ics = body(
        test::call_service(
            &app,
            test::TestRequest::get().uri("/events.ics").to_request(),
        )
        .await,
    )
    .await;
    let third = vevent(&ics, "Data community of practice");
    assert_eq!(third["STATUS"], "CANCELLED");
    assert!(third["SEQUENCE"].parse::<u32>().unwrap() > second_sequence);
    let again = post!(app, &private_uri, [&p_cookie], form(&p_token, "save", &[]));
    assert!(body(again).await.contains("can no longer be changed"));
}

#[actix_web::test]
async fn rejection_needs_a_reason_and_merging_works_like_any_listing() {
    let upstream = MockServer::start().await;
    let calendar = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Dept//EN\r\nBEGIN:VEVENT\r\n\
        UID:dept-1@hc\r\nDTSTAMP:20260901T000000Z\r\nDTSTART;TZID=America/Toronto:20261118T120000\r\n\
        DTEND;TZID=America/Toronto:20261118T130000\r\nSUMMARY:Data community of practice\r\n\
        LOCATION:Room 2\\, 90 Elgin St\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";
    Mock::given(path("/hc.ics"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(calendar, "text/calendar"))
        .mount(&upstream)
        .await;
    let mut context = test_context();
    context.clock = bulletin::clock::Clock::fixed(NOW.parse().unwrap());
    let h = Harness::with(test_fetch_settings(), context);
    let mut s = source(
        "hc",
        Location::Url(format!("{}/hc.ics", upstream.uri()).parse().unwrap()),
        Some(SourceKind::Ical),
    );
    s.department = "Health Canada".into();
    h.add(s);
    h.refresh("hc").await;
    let app = app!(state(&h));
    let (cookie, token, _) = csrf!(app, "/submit-event?lang=en");
    let mut links = Vec::new();
    for title in ["Data community of practice", "Spam"] {
        let sent = post!(
            app,
            "/submit-event?lang=en",
            [&cookie],
            form(&token, "submit", &[("title_en", title), ("title_fr", "")])
        );
        assert_eq!(sent.status(), StatusCode::OK);
        let html = body(sent).await;
        let link = html
            .split("/submit-event/")
            .nth(1)
            .and_then(|r| r.split(['?', '"']).next())
            .unwrap()
            .to_string();
        links.push(link);
    }
    let pending = h.store.submissions(SubmissionState::Pending).unwrap();
    let (admin_cookie, admin_csrf, session, _) = admin_login!(app);
    let spam = format!("/admin/submissions/{}?lang=en", pending[1].id);
    let no_reason = post!(
        app,
        &spam,
        [&admin_cookie, &session],
        [
            ("csrf", admin_csrf.as_str()),
            ("action", "reject"),
            ("reason", " ")
        ]
    );
    assert_eq!(no_reason.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let rejected = post!(
        app,
        &spam,
        [&admin_cookie, &session],
        [
            ("csrf", admin_csrf.as_str()),
            ("action", "reject"),
            ("reason", "Not a government event")
        ]
    );
    assert_eq!(rejected.status(), StatusCode::OK);
    let stored = h.store.submission(pending[1].id).unwrap().unwrap();
    assert_eq!(stored.state, SubmissionState::Rejected);
    assert_eq!(stored.reason.as_deref(), Some("Not a government event"));
    let private = test::call_service(
        &app,
        test::TestRequest::get()
            .uri(&format!("/submit-event/{}?lang=en", links[1]))
            .to_request(),
    )
    .await;
    let private = body(private).await;
    assert!(private.contains("Rejected") && private.contains("Not a government event"));

    let approve = format!("/admin/submissions/{}?lang=en", pending[0].id);
    let approved = post!(
        app,
        &approve,
        [&admin_cookie, &session],
        [("csrf", admin_csrf.as_str()), ("action", "approve")]
    );
    assert_eq!(approved.status(), StatusCode::OK);
    let events = h.events();
    assert_eq!(events.len(), 1, "merged with the department's own listing");
    let names: Vec<&str> = events[0]
        .sources
        .iter()
        .map(|s| s.source_name.as_str())
        .collect();
    assert_eq!(
        names,
        ["Source hc", "Submitted events"],
        "the first lister leads"
    );
}

/// The filter's department options on a listing page (value, label).
fn department_options(html: &str) -> Vec<(String, String)> {
    let Some(select) = html
        .split("<select id=\"f-department\"")
        .nth(1)
        .and_then(|rest| rest.split("</select>").next())
    else {
        return Vec::new();
    };
    select
        .split("<option value=\"")
        .skip(1)
        .filter_map(|option| {
            let (value, rest) = option.split_once('"')?;
            let label = rest.split_once('>')?.1.split('<').next()?;
            Some((value.to_string(), label.to_string()))
        })
        .filter(|(value, _)| !value.is_empty())
        .collect()
}

#[actix_web::test]
async fn a_department_with_only_submitted_events_is_offered_in_the_filter() {
    let h = Harness::new();
    let app = app!(state(&h));
    let department = "Statistics Canada / Statistique Canada";
    let (cookie, token, _) = csrf!(app, "/submit-event?lang=en");
    let sent = post!(
        app,
        "/submit-event?lang=en",
        [&cookie],
        form(&token, "submit", &[("department", department)])
    );
    assert_eq!(sent.status(), StatusCode::OK);
    let page = |uri: &'static str| {
        let app = &app;
        async move {
            let response =
                test::call_service(app, test::TestRequest::get().uri(uri).to_request()).await;
            assert_eq!(response.status(), StatusCode::OK, "{uri}");
            body(response).await
        }
    };
    assert!(
        department_options(&page("/?lang=en").await).is_empty(),
        "nothing listed before approval"
    );

    let pending = h.store.submissions(SubmissionState::Pending).unwrap();
    let (admin_cookie, admin_csrf, session, _) = admin_login!(app);
    let approved = post!(
        app,
        &format!("/admin/submissions/{}?lang=en", pending[0].id),
        [&admin_cookie, &session],
        [("csrf", admin_csrf.as_str()), ("action", "approve")]
    );
    assert_eq!(approved.status(), StatusCode::OK);

    for (uri, label) in [
        ("/?lang=en", "Statistics Canada"),
        ("/?lang=fr", "Statistique Canada"),
        ("/archive?lang=en", "Statistics Canada"),
    ] {
        let html = page(uri).await;
        assert_eq!(
            department_options(&html),
            [(department.to_string(), label.to_string())],
            "{uri}"
        );
    }
    // Choosing it selects the submitted event.
    let filtered = page("/?lang=en&department=Statistics+Canada+%2F+Statistique+Canada").await;
    assert!(
        filtered.contains("Data community of practice"),
        "{filtered}"
    );
    assert!(filtered.contains(" selected>Statistics Canada</option>"));
}
