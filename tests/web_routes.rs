//! Every page and form through actix's test harness: listings and filters, an event's page,
//! the archive, sources, the JSON API, form errors, CSRF refusal, the address guard on
//! previews, rate limits, escaping of hostile source text, and the whole approval flow
//! (register with preview → pending → administrator approves → events appear).

mod common;

use actix_web::cookie::Cookie;
use actix_web::dev::ServiceResponse;
use actix_web::http::StatusCode;
use actix_web::{App, test, web};
use bulletin::fetch::FetchSettings;
use bulletin::fetch::Fetcher;
use bulletin::model::{Location, SourceKind};
use bulletin::refresh::Refresher;
use bulletin::web::{AppState, Registration, configure};
use wiremock::matchers::path;
use wiremock::{Mock, MockServer, ResponseTemplate};

use common::{Harness, fixture, source, test_context, test_fetch_settings};

const TOKEN: &str = "correct horse battery staple";

/// A store with the Drupal events page (one hostile title added) and the WordPress feed.
async fn seeded(upstream: &MockServer) -> Harness {
    let mut context = test_context();
    context.clock = bulletin::clock::Clock::fixed("2026-10-01T12:00:00Z".parse().unwrap());
    let h = Harness::with(test_fetch_settings(), context);
    let page = String::from_utf8(fixture("html/drupal-jsonld-graph.html"))
        .unwrap()
        .replacen(
            "Lunch and learn: Writing for the web",
            "<img src=x onerror=alert(1)> Writing for the web",
            2,
        );
    Mock::given(path("/events.html"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(page, "text/html"))
        .mount(upstream)
        .await;
    Mock::given(path("/feed.xml"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_raw(fixture("feeds/rss2-wordpress.xml"), "application/rss+xml"),
        )
        .mount(upstream)
        .await;
    let mut events = source(
        "dept-events",
        Location::Url(format!("{}/events.html", upstream.uri()).parse().unwrap()),
        Some(SourceKind::Html),
    );
    events.department = "Treasury Board Secretariat".into();
    events.tags = vec!["learning".into()];
    h.add(events);
    let mut blog = source(
        "team-blog",
        Location::Url(format!("{}/feed.xml", upstream.uri()).parse().unwrap()),
        None,
    );
    blog.department = "Cabinet Office".into();
    h.add(blog);
    h.refresh("dept-events").await;
    h.refresh("team-blog").await;
    h
}

fn state(h: &Harness, fetch: FetchSettings) -> AppState {
    let mut state = AppState::new(h.store.clone(), None, chrono_tz::America::Toronto);
    let fetcher = Fetcher::new(fetch).unwrap();
    let mut context = test_context();
    context.clock = bulletin::clock::Clock::fixed("2026-10-01T12:00:00Z".parse().unwrap());
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

/// The CSRF cookie a GET of `uri` sets, and the token in its form.
async fn csrf<S>(app: &S, uri: &str) -> (Cookie<'static>, String)
where
    S: actix_web::dev::Service<
            actix_http::Request,
            Response = ServiceResponse,
            Error = actix_web::Error,
        >,
{
    let response = test::call_service(app, test::TestRequest::get().uri(uri).to_request()).await;
    let cookie = response
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
    assert_ne!(
        cookie.value(),
        token,
        "the form carries the server's signature of the cookie, not the cookie"
    );
    (cookie, token)
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

#[actix_web::test]
async fn pages_render_filter_and_escape() {
    let upstream = MockServer::start().await;
    let h = seeded(&upstream).await;
    let app = app!(state(&h, test_fetch_settings()));
    let get = |uri: &str| test::TestRequest::get().uri(uri).to_request();

    let listing = test::call_service(&app, get("/?from=2026-01-01")).await;
    assert_eq!(listing.status(), StatusCode::OK);
    let html = body(listing).await;
    assert!(html.contains("Industry day: Modernizing procurement for digital services"));
    assert!(
        html.contains("&#60;img src=x onerror=alert(1)&#62;")
            || html.contains("&lt;img src=x onerror=alert(1)&gt;"),
        "hostile titles show as text"
    );
    assert!(!html.contains("<img src=x"));
    assert!(html.contains("webcal://"), "subscription link for the view");

    let filtered =
        body(test::call_service(&app, get("/?from=2026-01-01&department=Cabinet%20Office")).await)
            .await;
    assert!(!filtered.contains("Industry day"), "filter applies");
    assert!(filtered.contains("No events match these filters."));
    let searched =
        body(test::call_service(&app, get("/?from=2026-01-01&q=procurement")).await).await;
    assert!(searched.contains("Industry day") && !searched.contains("Writing for the web"));
    let across = body(test::call_service(&app, get("/?q=accessibility%20audit")).await).await;
    assert!(
        across.contains("Blog posts matching your search")
            && across.contains("Our accessibility audit results"),
        "search covers posts too"
    );
    let french = body(
        test::call_service(
            &app,
            test::TestRequest::get()
                .uri("/?from=2026-01-01")
                .insert_header(("Accept-Language", "fr-CA"))
                .to_request(),
        )
        .await,
    )
    .await;
    assert!(french.contains("Événements à venir") && french.contains("<html lang=\"fr\">"));

    let uid = html
        .split("href=\"/events/")
        .nth(1)
        .and_then(|r| r.split('?').next())
        .unwrap()
        .to_string();
    let event = test::call_service(&app, get(&format!("/events/{uid}"))).await;
    assert_eq!(event.status(), StatusCode::OK);
    let page = body(event).await;
    assert!(
        page.contains(&format!("/events/{uid}.ics")),
        "add to calendar (.ics)"
    );
    assert!(page.contains("calendar.google.com/calendar/render?action=TEMPLATE"));
    assert!(page.contains("outlook.live.com/calendar/0/deeplink/compose"));
    assert!(
        page.contains("events.ics?department=Treasury+Board+Secretariat"),
        "department subscription"
    );
    let ics = test::call_service(&app, get(&format!("/events/{uid}.ics"))).await;
    assert_eq!(
        ics.headers().get("content-type").unwrap(),
        "text/calendar; charset=utf-8"
    );
    assert_eq!(
        test::call_service(&app, get("/events/unknown"))
            .await
            .status(),
        StatusCode::NOT_FOUND
    );

    assert_eq!(
        test::call_service(&app, get("/archive")).await.status(),
        StatusCode::OK
    );
    let sources = body(test::call_service(&app, get("/sources")).await).await;
    assert!(sources.contains("Treasury Board Secretariat") && sources.contains("OK"));
    let posts = body(test::call_service(&app, get("/posts?source=team-blog")).await).await;
    assert!(posts.contains("What we’ve learned from 6 months of user research"));
    let searched_posts = body(test::call_service(&app, get("/posts?q=audit")).await).await;
    assert!(searched_posts.contains("Our accessibility audit results"));
    assert!(
        !searched_posts.contains("Moving our forms to the design system"),
        "the search narrows the blog roll"
    );

    for (uri, key) in [
        ("/api/events?from=2026-01-01", "events"),
        ("/api/posts", "posts"),
        ("/api/sources", "sources"),
    ] {
        let response = test::call_service(&app, get(uri)).await;
        assert_eq!(
            response.headers().get("content-type").unwrap(),
            "application/json; charset=utf-8"
        );
        let value: serde_json::Value = serde_json::from_str(&body(response).await).unwrap();
        assert!(!value[key].as_array().unwrap().is_empty(), "{uri}");
    }
    let filtered: serde_json::Value = serde_json::from_str(
        &body(test::call_service(&app, get("/api/events?from=2026-01-01&q=procurement")).await)
            .await,
    )
    .unwrap();
    assert_eq!(filtered["events"].as_array().unwrap().len(), 1);
    assert_eq!(
        test::call_service(&app, get("/?page=0")).await.status(),
        StatusCode::BAD_REQUEST
    );
}

#[actix_web::test]
async fn the_form_checks_fields_and_refuses_forged_posts() {
    let upstream = MockServer::start().await;
    let h = seeded(&upstream).await;
    let app = app!(state(&h, test_fetch_settings()));
    let (cookie, token) = csrf(&app, "/sources/new").await;

    let forged = test::TestRequest::post()
        .uri("/sources/new")
        .set_form([("url", "https://events.example/events"), ("csrf", "0000")])
        .cookie(cookie.clone())
        .to_request();
    let response = test::call_service(&app, forged).await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert!(
        body(response)
            .await
            .contains("This form has expired or did not come from this site.")
    );
    let without_cookie = test::TestRequest::post()
        .uri("/sources/new")
        .set_form([("csrf", token.as_str())])
        .to_request();
    assert_eq!(
        test::call_service(&app, without_cookie).await.status(),
        StatusCode::FORBIDDEN
    );

    let bad = test::TestRequest::post()
        .uri("/sources/new")
        .set_form([
            ("csrf", token.as_str()),
            ("url", "ftp://x"),
            ("name", ""),
            ("department", "HC"),
            ("contact", "not-an-email"),
            ("action", "submit"),
        ])
        .cookie(cookie.clone())
        .to_request();
    let response = test::call_service(&app, bad).await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = body(response).await;
    for message in [
        "Enter a web address that starts with http:// or https://",
        "Enter a name of 200 characters or fewer",
        "Enter an email address like name@example.gc.ca",
    ] {
        assert!(html.contains(message), "{message}");
    }
    assert!(
        html.contains("aria-invalid=\"true\" aria-describedby=\"e-url\""),
        "errors sit next to their fields"
    );
    assert!(
        html.contains("There is a problem") && html.contains("Il y a un problème"),
        "a 422 says what was wrong in both languages"
    );
    assert!(html.contains("value=\"HC\""), "what was typed is kept");
    assert!(
        h.store.registrations("pending").unwrap().is_empty(),
        "a bad form stores nothing"
    );
}

#[actix_web::test]
async fn previews_refuse_private_addresses_and_posts_are_rate_limited() {
    let upstream = MockServer::start().await;
    let h = seeded(&upstream).await;
    let guarded = FetchSettings {
        allow_private_networks: false,
        ..test_fetch_settings()
    };
    let app = app!(state(&h, guarded));
    let (cookie, token) = csrf(&app, "/sources/new").await;
    let form = [
        ("csrf", token.as_str()),
        ("url", "http://169.254.169.254/latest/meta-data/"),
        ("name", "Metadata"),
        ("department", "Nobody"),
        ("contact", "x@example.gc.ca"),
        ("action", "preview"),
    ];
    let response = test::call_service(
        &app,
        test::TestRequest::post()
            .uri("/sources/new")
            .set_form(form)
            .cookie(cookie.clone())
            .to_request(),
    )
    .await;
    let html = body(response).await;
    assert!(
        html.contains("169.254.169.254 is a private or internal address"),
        "{html}"
    );
    let mut last = StatusCode::OK;
    for _ in 0..25 {
        let request = test::TestRequest::post()
            .uri("/sources/new")
            .set_form(form)
            .cookie(cookie.clone())
            .to_request();
        last = test::call_service(&app, request).await.status();
    }
    assert_eq!(last, StatusCode::TOO_MANY_REQUESTS);
}

#[actix_web::test]
async fn register_preview_approve_and_see_the_events() {
    let upstream = MockServer::start().await;
    let h = seeded(&upstream).await;
    Mock::given(path("/team/calendar.ics"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(
            fixture("ics/cancelled-upstream-before.ics"),
            "text/calendar",
        ))
        .mount(&upstream)
        .await;
    // A blog homepage that only advertises its feed: preview follows the autodiscovery link.
    let home = format!(
        r#"<html><head><link rel="alternate" type="text/calendar" href="{}/team/calendar.ics"></head><body>Team</body></html>"#,
        upstream.uri()
    );
    Mock::given(path("/team/"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(home, "text/html"))
        .mount(&upstream)
        .await;
    let app = app!(state(&h, test_fetch_settings()));
    let (cookie, token) = csrf(&app, "/sources/new").await;
    let url = format!("{}/team/", upstream.uri());
    let fields = |action: &'static str| {
        vec![
            ("csrf", token.clone()),
            ("url", url.clone()),
            ("name", "Open data team".to_string()),
            ("department", "Statistics Canada".to_string()),
            ("tags", "open-data, learning".to_string()),
            ("contact", "team@example.gc.ca".to_string()),
            ("action", action.to_string()),
        ]
    };
    let preview = body(
        test::call_service(
            &app,
            test::TestRequest::post()
                .uri("/sources/new")
                .set_form(fields("preview"))
                .cookie(cookie.clone())
                .to_request(),
        )
        .await,
    )
    .await;
    assert!(
        preview.contains("This page advertises a feed; Bulletin would read the feed."),
        "{}",
        preview.split("<main").nth(1).unwrap_or(&preview)
    );
    assert!(
        preview.contains("Open data lunch and learn"),
        "the events it would take are listed"
    );
    assert!(
        h.store.registrations("pending").unwrap().is_empty(),
        "a preview stores nothing"
    );

    let submitted = body(
        test::call_service(
            &app,
            test::TestRequest::post()
                .uri("/sources/new")
                .set_form(fields("submit"))
                .cookie(cookie.clone())
                .to_request(),
        )
        .await,
    )
    .await;
    assert!(
        submitted.contains("Your source is waiting for an administrator"),
        "{submitted}"
    );
    let pending = h.store.registrations("pending").unwrap();
    assert_eq!(pending.len(), 1);
    assert_eq!(
        pending[0].source.location.to_string(),
        format!("{}/team/calendar.ics", upstream.uri())
    );
    assert_eq!(pending[0].source.tags, ["open-data", "learning"]);

    // The administrator signs in (a wrong token first) and approves.
    let (admin_csrf, admin_token) = csrf(&app, "/admin").await;
    let wrong = test::TestRequest::post()
        .uri("/admin/login")
        .set_form([("csrf", admin_token.as_str()), ("token", "guess")])
        .cookie(admin_csrf.clone())
        .to_request();
    assert_eq!(
        test::call_service(&app, wrong).await.status(),
        StatusCode::FORBIDDEN
    );
    let id = pending[0].source.id.clone();
    let anonymous = test::TestRequest::post()
        .uri(&format!("/admin/sources/{id}"))
        .set_form([("csrf", admin_token.as_str()), ("decision", "approve")])
        .cookie(admin_csrf.clone())
        .to_request();
    assert_eq!(
        test::call_service(&app, anonymous).await.status(),
        StatusCode::FORBIDDEN,
        "approval needs the administrator"
    );
    let login = test::TestRequest::post()
        .uri("/admin/login")
        .set_form([("csrf", admin_token.as_str()), ("token", TOKEN)])
        .cookie(admin_csrf.clone())
        .to_request();
    let signed_in = test::call_service(&app, login).await;
    assert_eq!(signed_in.status(), StatusCode::OK);
    let session = signed_in
        .response()
        .cookies()
        .find(|c| c.name() == "bulletin_admin")
        .unwrap()
        .into_owned();
    assert!(
        !session.value().contains(TOKEN),
        "the token itself is never sent back"
    );
    let admin_html = body(signed_in).await;
    assert!(admin_html.contains("Open data team") && !admin_html.contains(TOKEN));
    let approve = test::TestRequest::post()
        .uri(&format!("/admin/sources/{id}"))
        .set_form([("csrf", admin_token.as_str()), ("decision", "approve")])
        .cookie(admin_csrf.clone())
        .cookie(session.clone())
        .to_request();
    let approved = test::call_service(&app, approve).await;
    assert_eq!(approved.status(), StatusCode::OK);
    assert!(
        body(approved)
            .await
            .contains("Approved and scheduled: Open data team")
    );

    // Fetched at once, without a restart: its events appear in the listing.
    let mut listed = false;
    for _ in 0..50 {
        if h.events()
            .iter()
            .any(|e| e.event.title == "Plain language workshop")
        {
            listed = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(listed, "the approved source was fetched");
    let listing = body(
        test::call_service(
            &app,
            test::TestRequest::get()
                .uri("/?from=2026-01-01&department=Statistics%20Canada")
                .to_request(),
        )
        .await,
    )
    .await;
    assert!(listing.contains("Plain language workshop"));
}

#[actix_web::test]
async fn a_preview_of_a_blog_page_without_a_feed_counts_its_posts_by_method() {
    let upstream = MockServer::start().await;
    let h = seeded(&upstream).await;
    Mock::given(path("/blogue/"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(
            fixture("reference/page-posts/wordpress-blog-hentry.html"),
            "text/html; charset=utf-8",
        ))
        .mount(&upstream)
        .await;
    let app = app!(state(&h, test_fetch_settings()));
    let (cookie, token) = csrf(&app, "/sources/new").await;
    let preview = body(
        test::call_service(
            &app,
            test::TestRequest::post()
                .uri("/sources/new")
                .set_form(vec![
                    ("csrf", token.clone()),
                    ("url", format!("{}/blogue/", upstream.uri())),
                    ("name", "Données ouvertes".to_string()),
                    ("department", "Statistics Canada".to_string()),
                    ("tags", "open-data".to_string()),
                    ("contact", "team@example.gc.ca".to_string()),
                    ("action", "preview".to_string()),
                ])
                .cookie(cookie)
                .to_request(),
        )
        .await,
    )
    .await;
    let main = preview.split("<main").nth(1).unwrap_or(&preview);
    assert!(
        main.contains(
            "JSON-LD 0, microdata 0, RDFa 0, h-event 0; posts: JSON-LD 0, microdata 0, h-entry 2"
        ),
        "{main}"
    );
    assert!(main.contains("Hackathon : les résultats"), "{main}");
}
