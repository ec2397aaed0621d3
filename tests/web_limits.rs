//! What a visitor sends cannot bloat or confuse the server, and every refusal says what
//! was wrong in both languages: the render cache stays within its byte budget whatever
//! `from=` values a crawler walks, each encoding has its own validator and one `Vary`,
//! CSRF pairs made up by an attacker are refused, errors are bilingual (HTML, JSON or
//! text as fits), `/sources` is paginated at 10,000 sources, and at most two previews
//! run at once.

mod common;

use std::io::Read;

use actix_web::dev::ServiceResponse;
use actix_web::http::StatusCode;
use actix_web::{App, test, web};
use bulletin::fetch::FetchSettings;
use bulletin::fetch::Fetcher;
use bulletin::model::{FetchOutcome, FetchRecord, Location, SourceKind};
use bulletin::refresh::Refresher;
use bulletin::store::FetchWrite;
use bulletin::web::{AppState, Registration, configure};
use wiremock::matchers::path;
use wiremock::{Mock, MockServer, ResponseTemplate};

use common::{Harness, fixture_path, source, test_context, test_fetch_settings};

macro_rules! app {
    ($data:expr) => {
        test::init_service(App::new().app_data($data.clone()).configure(configure)).await
    };
}

async fn body(response: ServiceResponse) -> String {
    String::from_utf8(test::read_body(response).await.to_vec()).unwrap()
}

/// A store with a calendar and a blog, both read from fixture files.
async fn seeded() -> Harness {
    let h = Harness::new();
    h.add(source(
        "calendar",
        Location::File(fixture_path("ics/google-export.ics")),
        Some(SourceKind::Ical),
    ));
    h.add(source(
        "blog",
        Location::File(fixture_path("feeds/rss2-wordpress.xml")),
        Some(SourceKind::Feed),
    ));
    h.refresh("calendar").await;
    h.refresh("blog").await;
    h
}

fn state(h: &Harness) -> AppState {
    AppState::new(h.store.clone(), None, chrono_tz::America::Toronto)
}

fn get(uri: &str) -> test::TestRequest {
    test::TestRequest::get().uri(uri)
}

#[actix_web::test]
async fn a_thousand_from_values_keep_the_cache_within_its_budget() {
    let h = seeded().await;
    let budget = 256 * 1024;
    let mut state = state(&h);
    state.set_render_cache_bytes(budget);
    let data = web::Data::new(state);
    let app = app!(data);
    let plain = test::call_service(&app, get("/events.ics").to_request()).await;
    assert_eq!(plain.status(), StatusCode::OK);
    let kept = data.render_cache_bytes();
    assert!(kept > 0, "the ordinary calendar is kept");
    for i in 0..1_000 {
        let uri = format!(
            "/events.ics?from=2020-01-01T00:{:02}:{:02}Z&utm_source={i}",
            i / 60,
            i % 60
        );
        let response = test::call_service(&app, get(&uri).to_request()).await;
        assert_eq!(response.status(), StatusCode::OK, "{uri}");
        assert!(
            data.render_cache_bytes() <= budget,
            "{} bytes kept after {uri}",
            data.render_cache_bytes()
        );
    }
    // One instant, however written, is one view: the same body and validator.
    let etag = |uri: &str| {
        let uri = uri.to_string();
        let app = &app;
        async move {
            test::call_service(app, get(&uri).to_request())
                .await
                .headers()
                .get("etag")
                .unwrap()
                .clone()
        }
    };
    assert_eq!(
        etag("/events.ics?from=2026-11-01").await,
        etag("/events.ics?from=2026-11-01T00:00:00-04:00&fbclid=x").await
    );
}

fn gunzip(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(bytes)
        .read_to_end(&mut out)
        .unwrap();
    out
}

#[actix_web::test]
async fn each_encoding_has_its_own_etag_and_one_vary() {
    let h = seeded().await;
    let data = web::Data::new(state(&h));
    let app = app!(data);
    let mut tags = Vec::new();
    let mut bodies = Vec::new();
    for encoding in ["identity", "gzip", "br"] {
        let response = test::call_service(
            &app,
            get("/feed.rss")
                .insert_header(("Accept-Encoding", encoding))
                .to_request(),
        )
        .await;
        assert_eq!(response.status(), StatusCode::OK);
        let vary: Vec<_> = response.headers().get_all("vary").collect();
        assert_eq!(vary, ["Accept-Encoding"], "{encoding}: exactly one Vary");
        let etag = response
            .headers()
            .get("etag")
            .unwrap()
            .to_str()
            .unwrap()
            .to_string();
        let coding = response
            .headers()
            .get("content-encoding")
            .map(|v| v.to_str().unwrap().to_string());
        match encoding {
            "identity" => assert_eq!(coding, None),
            other => assert_eq!(coding.as_deref(), Some(other)),
        }
        tags.push(etag);
        bodies.push(test::read_body(response).await.to_vec());
    }
    assert!(
        tags[1].ends_with("-gz\"") && tags[2].ends_with("-br\""),
        "{tags:?}"
    );
    assert!(tags[0] != tags[1] && tags[1] != tags[2] && tags[0] != tags[2]);
    assert_eq!(
        gunzip(&bodies[1]),
        bodies[0],
        "the gzip body is the identity body"
    );
    let mut unbrotli = Vec::new();
    brotli::Decompressor::new(&bodies[2][..], 4096)
        .read_to_end(&mut unbrotli)
        .unwrap();
    assert_eq!(unbrotli, bodies[0], "the brotli body is the identity body");

    let conditional = |etag: &str, encoding: &str| {
        get("/feed.rss")
            .insert_header(("If-None-Match", etag.to_string()))
            .insert_header(("Accept-Encoding", encoding.to_string()))
            .to_request()
    };
    let same = test::call_service(&app, conditional(&tags[1], "gzip")).await;
    assert_eq!(same.status(), StatusCode::NOT_MODIFIED);
    assert_eq!(
        same.headers().get("etag").unwrap().to_str().unwrap(),
        tags[1]
    );
    assert_eq!(same.headers().get_all("vary").count(), 1);
    let other = test::call_service(&app, conditional(&tags[0], "gzip")).await;
    assert_eq!(
        other.status(),
        StatusCode::OK,
        "the identity validator does not match the gzip body"
    );
    let page = test::call_service(
        &app,
        get("/posts")
            .insert_header(("Accept-Encoding", "gzip"))
            .to_request(),
    )
    .await;
    let vary: Vec<_> = page.headers().get_all("vary").collect();
    assert_eq!(
        vary,
        ["Accept-Encoding, Accept-Language"],
        "pages: one Vary"
    );
}

#[actix_web::test]
async fn csrf_pairs_an_attacker_makes_up_are_refused() {
    let h = seeded().await;
    let data = web::Data::new(state(&h));
    let app = app!(data);
    let invented = "a".repeat(64);
    let forged = test::TestRequest::post()
        .uri("/sources/new")
        .cookie(actix_web::cookie::Cookie::new(
            "bulletin_csrf",
            invented.clone(),
        ))
        .set_form([("csrf", invented.as_str()), ("url", "https://x.example/")])
        .to_request();
    let response = test::call_service(&app, forged).await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert!(body(response).await.contains("did not come from this site"));

    // The real pair: the token is the server's signature, not a copy of the cookie.
    let form = test::call_service(&app, get("/sources/new").to_request()).await;
    let cookie = form
        .response()
        .cookies()
        .find(|c| c.name() == "bulletin_csrf")
        .unwrap()
        .into_owned();
    let html = body(form).await;
    let token = html
        .split("name=\"csrf\" value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap()
        .to_string();
    assert_ne!(token, cookie.value());
    let swapped = test::TestRequest::post()
        .uri("/admin/login")
        .cookie(actix_web::cookie::Cookie::new(
            "bulletin_csrf",
            token.clone(),
        ))
        .set_form([("csrf", cookie.value()), ("token", "x")])
        .to_request();
    assert_eq!(
        test::call_service(&app, swapped).await.status(),
        StatusCode::FORBIDDEN,
        "cookie and token are not interchangeable"
    );
}

#[actix_web::test]
async fn errors_say_what_was_wrong_in_english_and_french() {
    let h = seeded().await;
    let data = web::Data::new(state(&h));
    let app = app!(data);
    let cases = [
        (
            "/?page=0",
            StatusCode::BAD_REQUEST,
            "text/html",
            "page: `0`",
            "page : « 0 »",
        ),
        (
            "/api/events?limit=x",
            StatusCode::BAD_REQUEST,
            "application/json",
            "limit: `x`",
            "limit : « x »",
        ),
        (
            "/events.ics?from=someday",
            StatusCode::BAD_REQUEST,
            "text/plain",
            "from: `someday`",
            "from : « someday »",
        ),
        (
            "/nowhere",
            StatusCode::NOT_FOUND,
            "text/html",
            "Nothing is published at /nowhere",
            "Rien n’est publié",
        ),
        (
            "/api/nowhere",
            StatusCode::NOT_FOUND,
            "application/json",
            "/api/nowhere",
            "Rien n’est publié",
        ),
        (
            "/events/unknown",
            StatusCode::NOT_FOUND,
            "text/html",
            "This event does not exist",
            "Cet événement n",
        ),
        (
            "/events/unknown.ics",
            StatusCode::NOT_FOUND,
            "text/plain",
            "No such event.",
            "Cet événement n’existe pas.",
        ),
    ];
    for (uri, status, content_type, en, fr) in cases {
        let response = test::call_service(&app, get(uri).to_request()).await;
        assert_eq!(response.status(), status, "{uri}");
        let kind = response
            .headers()
            .get("content-type")
            .unwrap()
            .to_str()
            .unwrap()
            .to_string();
        assert!(kind.starts_with(content_type), "{uri}: {kind}");
        let text = body(response).await;
        assert!(text.contains(en) && text.contains(fr), "{uri}: {text}");
    }

    let huge = "x".repeat(40 * 1024);
    let too_large = test::TestRequest::post()
        .uri("/sources/new")
        .set_form([("name", huge.as_str())])
        .to_request();
    let response = test::call_service(&app, too_large).await;
    assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
    let text = body(response).await;
    assert!(
        text.contains("larger than the") && text.contains("dépasse les"),
        "{text}"
    );
}

/// A failed fetch recorded for `id`, as a refresh would store it.
fn fail(h: &Harness, id: &str) {
    let now = chrono::Utc::now();
    h.store
        .save_fetch(
            FetchWrite {
                record: FetchRecord {
                    source_id: id.into(),
                    url: format!("https://{id}.example/feed"),
                    started: now,
                    duration_ms: 1,
                    parse_ms: 0,
                    http_status: Some(500),
                    bytes: 0,
                    items_found: 0,
                    items_new: 0,
                    items_updated: 0,
                    outcome: FetchOutcome::Failed,
                    error: Some(format!("https://{id}.example/feed: HTTP 500")),
                    warnings: None,
                },
                posts: &[],
                events: &[],
                events_complete: false,
                zone: chrono_tz::America::Toronto,
                validators: None,
                moved_to: None,
                next_attempt_after: None,
                detected_kind: None,
                home_link: None,
                alternates: &[],
                content_key: None,
                lease_holder: None,
            },
            now,
        )
        .unwrap();
}

#[actix_web::test]
async fn ten_thousand_sources_are_paginated_with_the_failing_ones_first() {
    let h = Harness::new();
    let sources: Vec<_> = (0..10_000)
        .map(|i| {
            source(
                &format!("s{i:05}"),
                Location::Url(format!("https://s{i:05}.example/feed").parse().unwrap()),
                Some(SourceKind::Feed),
            )
        })
        .collect();
    h.store
        .sync_config_sources(&sources, chrono::Utc::now())
        .unwrap();
    fail(&h, "s09999");
    fail(&h, "s05000");
    let data = web::Data::new(state(&h));
    let app = app!(data);
    let first = body(test::call_service(&app, get("/sources").to_request()).await).await;
    assert!(
        first.len() < 300_000,
        "one page, not all: {} bytes",
        first.len()
    );
    assert_eq!(first.matches("<tr id=\"source-").count(), 100);
    assert!(
        first.contains("Failing now (2)"),
        "the summary of failing sources"
    );
    assert!(first.contains("https://s09999.example/feed: HTTP 500"));
    assert!(first.contains("2 of 10,000 sources failing"));
    assert!(first.contains("The server s09999.example had a problem of its own (error 500)"));
    assert!(
        first.contains("rel=\"next\" href=\"/sources?lang=en&#38;page=2\"")
            || first.contains("rel=\"next\" href=\"/sources?lang=en&amp;page=2\""),
        "{}",
        &first[first.len() - 600..]
    );
    let second = body(test::call_service(&app, get("/sources?page=2").to_request()).await).await;
    assert!(
        !second.contains("Failing now"),
        "the summary is on the first page only"
    );
    assert!(second.contains("rel=\"prev\""));
    let last = body(test::call_service(&app, get("/sources?page=100").to_request()).await).await;
    assert_eq!(last.matches("<tr id=\"source-").count(), 100);
    assert!(last.contains("s09999") && !last.contains("rel=\"next\""));
}

#[actix_web::test]
async fn at_most_two_previews_run_at_once() {
    let upstream = MockServer::start().await;
    Mock::given(path("/slow.xml"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_raw(
                    common::fixture("feeds/rss2-wordpress.xml"),
                    "application/rss+xml",
                )
                .set_delay(std::time::Duration::from_secs(5)),
        )
        .mount(&upstream)
        .await;
    let h = Harness::new();
    let mut state = state(&h);
    let fetch = FetchSettings {
        timeout: std::time::Duration::from_secs(10),
        ..test_fetch_settings()
    };
    let fetcher = Fetcher::new(fetch).unwrap();
    state.registration = Some(Registration {
        refresher: Refresher::new(fetcher.clone(), h.store.clone(), test_context()),
        fetcher,
        context: test_context(),
        admin_token: None,
    });
    let data = web::Data::new(state);
    let app = app!(data);
    let form = test::call_service(&app, get("/sources/new").to_request()).await;
    let cookie = form
        .response()
        .cookies()
        .find(|c| c.name() == "bulletin_csrf")
        .unwrap()
        .into_owned();
    let html = body(form).await;
    let token = html
        .split("name=\"csrf\" value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap()
        .to_string();
    let url = format!("{}/slow.xml", upstream.uri());
    let preview = |delay_ms: u64| {
        let request = test::TestRequest::post()
            .uri("/sources/new")
            .cookie(cookie.clone())
            .set_form([
                ("csrf", token.as_str()),
                ("url", url.as_str()),
                ("name", "Slow"),
                ("department", "Waiting"),
                ("contact", "a@example.gc.ca"),
                ("action", "preview"),
            ])
            .to_request();
        let app = &app;
        async move {
            tokio::time::sleep(std::time::Duration::from_millis(delay_ms)).await;
            let response = test::call_service(app, request).await;
            let status = response.status();
            (status, body(response).await)
        }
    };
    let (a, b, c) = tokio::join!(preview(0), preview(0), preview(300));
    let statuses = [a.0, b.0, c.0];
    assert_eq!(
        statuses.iter().filter(|s| **s == StatusCode::OK).count(),
        2,
        "{statuses:?}"
    );
    assert_eq!(
        c.0,
        StatusCode::TOO_MANY_REQUESTS,
        "the third waits, then is refused"
    );
    assert!(
        c.1.contains("previews are already running") && c.1.contains("aperçus sont déjà en cours"),
        "{}",
        c.1
    );
}

/// Sends `request` as raw bytes to the real server and reads the whole answer.
async fn raw(base: &str, request: &[u8]) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let address = base.trim_start_matches("http://");
    let mut stream = tokio::net::TcpStream::connect(address).await.unwrap();
    stream.write_all(request).await.unwrap();
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).await.unwrap();
    String::from_utf8_lossy(&answer).into_owned()
}

#[actix_web::test]
async fn raw_utf8_in_a_query_is_accepted() {
    let h = seeded().await;
    let site = common::Site::start(&h.store);
    for target in ["/?q=café", "/api/events?q=café", "/posts?q=café&lang=fr"] {
        let request = format!("GET {target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
        let answer = raw(&site.base, request.as_bytes()).await;
        assert!(answer.starts_with("HTTP/1.1 200 OK"), "{target}: {answer}");
    }
    let page = raw(
        &site.base,
        "GET /?q=café HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".as_bytes(),
    )
    .await;
    assert!(page.contains("value=\"café\""), "the search reads as typed");
    // Two requests on one connection, the first with a body: both are answered.
    let pipelined = raw(
        &site.base,
        "POST /sources/new HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n\
         Content-Length: 10\r\n\r\nname=café\
         GET /?q=été HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
            .as_bytes(),
    )
    .await;
    assert_eq!(pipelined.matches("HTTP/1.1 ").count(), 2, "{pipelined}");
    assert!(pipelined.contains("value=\"été\""), "{pipelined}");
    site.handle.stop(false).await;
}
