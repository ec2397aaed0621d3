//! Embeds as an intranet page meets them: `/embed` framed only by the configured origins
//! (CSP `frame-ancestors`; every other page still refuses framing), no script, either
//! language, `limit` with a link to the rest, the dark theme; `/embed.html` a fragment.

mod common;

use bulletin::model::{Location, SourceKind};
use bulletin::store::EventFilter;
use reqwest::StatusCode;
use wiremock::matchers::path;
use wiremock::{Mock, MockServer, ResponseTemplate};

use common::{Harness, Site, fixture, source, test_context, test_fetch_settings};

const NOW: &str = "2026-01-01T00:00:00Z";
const INTRANET: &str = "https://intranet.example.gc.ca";

async fn start(origins: &[&str]) -> (Harness, Site, MockServer) {
    let mut context = test_context();
    context.clock = bulletin::clock::Clock::fixed(NOW.parse().unwrap());
    context.events.window_past_days = 0;
    context.events.window_future_days = 729;
    let harness = Harness::with(test_fetch_settings(), context);
    let upstream = MockServer::start().await;
    Mock::given(path("/outlook.ics"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_raw(fixture("ics/outlook-export.ics"), "text/calendar"),
        )
        .mount(&upstream)
        .await;
    let mut s = source(
        "outlook",
        Location::Url(format!("{}/outlook.ics", upstream.uri()).parse().unwrap()),
        Some(SourceKind::Ical),
    );
    s.department = "Health Canada / Santé Canada".into();
    harness.add(s);
    harness.refresh("outlook").await;
    let origins: Vec<String> = origins.iter().map(|o| o.to_string()).collect();
    let site = Site::start_with(&harness.store, |state| {
        state.clock = bulletin::clock::Clock::fixed(NOW.parse().unwrap());
        state.embed_origins = origins;
    });
    (harness, site, upstream)
}

fn frame_ancestors(response: &reqwest::Response) -> String {
    let policy = response.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(policy.contains("script-src 'none'"), "{policy}");
    policy
        .split(';')
        .map(str::trim)
        .find_map(|d| d.strip_prefix("frame-ancestors "))
        .unwrap_or_else(|| panic!("no frame-ancestors in {policy}"))
        .to_string()
}

#[actix_web::test]
async fn only_the_embed_may_be_framed_and_only_by_listed_origins() {
    let (_harness, site, _upstream) = start(&[INTRANET, "http://127.0.0.1:9"]).await;
    let embed = site.get("/embed?lang=en").await;
    assert_eq!(embed.status(), StatusCode::OK);
    assert_eq!(
        frame_ancestors(&embed),
        "https://intranet.example.gc.ca http://127.0.0.1:9"
    );
    for page in [
        "/",
        "/archive",
        "/sources",
        "/sources/new",
        "/embed.html",
        "/events.rss",
    ] {
        let response = site.get(page).await;
        assert_eq!(frame_ancestors(&response), "'none'", "{page}");
    }
    let (_harness, site, _upstream) = start(&[]).await;
    assert_eq!(
        frame_ancestors(&site.get("/embed").await),
        "'none'",
        "no origin configured: nobody may frame it"
    );
}

#[actix_web::test]
async fn the_embed_is_compact_scriptless_and_bilingual() {
    let (harness, site, _upstream) = start(&[INTRANET]).await;
    let upcoming = harness
        .store
        .events(&EventFilter {
            from: Some(NOW.parse().unwrap()),
            limit: 1000,
            ..Default::default()
        })
        .unwrap();
    assert!(upcoming.len() > 3);
    let en = site.get("/embed?lang=en").await.text().await.unwrap();
    assert!(!en.to_lowercase().contains("<script"), "no script");
    assert!(!en.contains("<header") && !en.contains("<footer") && !en.contains("<nav"));
    let first = &upcoming[0];
    let link = format!(
        "href=\"{}/events/{}?lang=en\" target=\"_blank\" rel=\"noopener\"",
        site.base, first.uid
    );
    assert!(en.contains(&link), "{link} in\n{en}");
    assert!(en.contains(" ET"), "times carry their zone");
    assert!(en.contains("<html lang=\"en\""));
    let fr = site.get("/embed?lang=fr").await;
    assert_eq!(fr.headers()["content-language"], "fr");
    let fr = fr.text().await.unwrap();
    assert!(fr.contains("<html lang=\"fr\""));
    assert!(
        fr.contains(" h") && fr.contains("HE") || fr.contains("HN"),
        "{fr}"
    );
    assert!(fr.contains("s’ouvre dans un nouvel onglet"));

    // A limit shows that many, and links to the rest.
    let two = site
        .get("/embed?lang=en&limit=2")
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(two.matches("class=\"embed-title\"").count(), 2);
    assert!(two.contains("More events"));
    let all = site
        .get("/embed?lang=en&limit=500")
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(all.matches("class=\"embed-title\"").count(), upcoming.len());
    assert!(!all.contains("More events"));

    // Themes.
    let dark = site.get("/embed?theme=dark").await.text().await.unwrap();
    assert!(dark.contains("class=\"embed theme-dark\""));
    assert_eq!(
        site.get("/embed?theme=purple").await.status(),
        StatusCode::BAD_REQUEST
    );

    // The fragment: the same list, no document around it.
    let fragment = site.get("/embed.html?lang=en&limit=2").await;
    assert_eq!(
        fragment.headers()["content-type"],
        "text/html; charset=utf-8"
    );
    let fragment = fragment.text().await.unwrap();
    assert!(
        fragment
            .trim_start()
            .starts_with("<div class=\"bulletin-embed")
    );
    assert!(!fragment.contains("<html") && !fragment.contains("<script"));
    assert_eq!(fragment.matches("class=\"embed-title\"").count(), 2);

    // The listing offers the snippet.
    let listing = site.get("/?lang=en&tag=data").await.text().await.unwrap();
    assert!(
        listing.contains("&#60;iframe src=&#34;http")
            && listing.contains("embed?tag=data&#38;amp;lang=en&#34;"),
        "{listing}"
    );
    assert!(listing.contains("/embed.html?tag=data&#38;lang=en"));
}
