//! Posts read from pages without a feed, end to end: listing pages served on 127.0.0.1
//! (a GOV.UK-style list whose undated items' own pages are read, a Drupal view with
//! microdata, a WordPress index with h-entry), refreshed for real, then the
//! merged feeds served on a loopback port and read back by feed-rs, `/posts` and its
//! search listing them like feed posts, and the OPML blog roll naming the pages as pages.

mod common;

use bulletin::model::{Location, PostSelectors, SourceKind};
use wiremock::matchers::path;
use wiremock::{Mock, MockServer, ResponseTemplate};

use common::{Harness, Site, fixture, fixture_path, source};

const ONE_LOGIN: &str = r#"<!DOCTYPE html><html lang="en"><head><title>One Login reaches ten million users - GOV.UK</title>
<meta name="description" content="The single sign-on for government services passed ten million users in November.">
<meta name="author" content="Government Digital Service">
<link rel="alternate" hreflang="fr" href="/government/news/one-login-dix-millions.fr">
</head><body><main><h1>One Login reaches ten million users</h1><p>Text.</p></main></body></html>"#;

const ACCESSIBILITY: &str = r#"<!DOCTYPE html><html lang="en"><head><title>Accessibility monitoring: annual report</title>
<script type="application/ld+json">{"@context":"https://schema.org","@type":"Report","headline":"Accessibility monitoring: annual report",
"datePublished":"2026-11-19T09:30:00+00:00","author":{"@type":"Organization","name":"Central Digital and Data Office"},
"description":"What 1,200 audits of public sector websites found."}</script>
</head><body><main><h1>Accessibility monitoring: annual report</h1></main></body></html>"#;

async fn listing_server() -> MockServer {
    let server = MockServer::start().await;
    for (at, body) in [
        (
            "/latest",
            String::from_utf8(fixture("reference/page-posts/govuk-list-of-links.html")).unwrap(),
        ),
        (
            "/government/news/one-login-reaches-ten-million-users",
            ONE_LOGIN.to_string(),
        ),
        (
            "/government/news/accessibility-monitoring-report",
            ACCESSIBILITY.to_string(),
        ),
        (
            "/news",
            String::from_utf8(fixture(
                "reference/page-posts/drupal-news-view-microdata.html",
            ))
            .unwrap(),
        ),
        (
            "/blogue/",
            String::from_utf8(fixture("reference/page-posts/wordpress-blog-hentry.html")).unwrap(),
        ),
    ] {
        Mock::given(path(at))
            .respond_with(ResponseTemplate::new(200).set_body_raw(body, "text/html; charset=utf-8"))
            .mount(&server)
            .await;
    }
    server
}

#[actix_web::test]
async fn page_posts_are_stored_completed_and_served_like_feed_posts() {
    let server = listing_server().await;
    let harness = Harness::new();
    let mut gds = source(
        "gds-latest",
        Location::Url(format!("{}/latest", server.uri()).parse().unwrap()),
        Some(SourceKind::Html),
    );
    gds.department = "Cabinet Office".into();
    gds.post_selectors = Some(PostSelectors {
        item: "li.gem-c-document-list__item".into(),
        title: Some("a.gem-c-document-list__item-title".into()),
        summary: Some(".gem-c-document-list__item-description".into()),
        ..PostSelectors::default()
    });
    harness.add(gds);
    let record = harness.refresh("gds-latest").await;
    assert_eq!(record.items_found, 3, "{record:?}");
    for (id, at) in [("policy-cop", "/news"), ("donnees", "/blogue/")] {
        let url = format!("{}{at}", server.uri()).parse().unwrap();
        harness.add(source(id, Location::Url(url), Some(SourceKind::Html)));
        let record = harness.refresh(id).await;
        assert_eq!(record.items_found, 2, "{id}: {record:?}");
        assert!(record.warnings.is_none(), "{id}: {record:?}");
    }

    // The listing's own pages completed what it lacked.
    let posts = harness.posts("gds-latest");
    let find = |title: &str| {
        posts
            .iter()
            .find(|p| p.post.title == title)
            .unwrap_or_else(|| panic!("{title} in {posts:?}"))
    };
    let one_login = find("One Login reaches ten million users");
    assert_eq!(
        one_login.post.author.as_deref(),
        Some("Government Digital Service")
    );
    assert_eq!(
        one_login.post.published.map(|d| d.to_rfc3339()).as_deref(),
        Some("2026-12-03T05:00:00+00:00"),
        "the listing's date stays"
    );
    assert!(
        one_login
            .post
            .summary_html
            .as_deref()
            .unwrap()
            .contains("ten million users in November")
    );
    // Its page links its French version, which a French page source lists: one post in
    // two languages.
    let french = format!(
        r#"<html lang="fr"><head><script type="application/ld+json">{{"@type":"NewsArticle",
        "headline":"GOV.UK One Login atteint dix millions d'utilisateurs","datePublished":"2026-12-03",
        "url":"{}/government/news/one-login-dix-millions.fr"}}</script></head><body></body></html>"#,
        server.uri()
    );
    Mock::given(path("/fr/latest"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(french, "text/html; charset=utf-8"))
        .mount(&server)
        .await;
    let mut gds_fr = source(
        "gds-fr",
        Location::Url(format!("{}/fr/latest", server.uri()).parse().unwrap()),
        Some(SourceKind::Html),
    );
    gds_fr.language = Some("fr".into());
    harness.add(gds_fr);
    harness.refresh("gds-fr").await;
    let paired = harness
        .posts("gds-latest")
        .into_iter()
        .chain(harness.posts("gds-fr"))
        .flat_map(|p| p.versions)
        .map(|v| (v.language, v.title))
        .collect::<Vec<_>>();
    assert!(
        paired
            .iter()
            .any(|(l, t)| l == "fr" && t.contains("dix millions"))
            || paired
                .iter()
                .any(|(l, t)| l == "en" && t.starts_with("One Login")),
        "{paired:?}"
    );
    let report = find("Accessibility monitoring: annual report");
    assert_eq!(
        report.post.published.map(|d| d.to_rfc3339()).as_deref(),
        Some("2026-11-19T09:30:00+00:00")
    );
    assert_eq!(
        report.post.author.as_deref(),
        Some("Central Digital and Data Office")
    );
    assert_eq!(
        report.post.link.as_deref(),
        Some(
            format!(
                "{}/government/news/accessibility-monitoring-report",
                server.uri()
            )
            .as_str()
        )
    );

    // The next refresh of a changed listing takes what the articles' pages gave from the
    // store: they are not read again (here they are gone), and nothing is lost.
    server.reset().await;
    let changed = String::from_utf8(fixture("reference/page-posts/govuk-list-of-links.html"))
        .unwrap()
        .replace("</main>", "<!-- changed --></main>");
    Mock::given(path("/latest"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(changed, "text/html; charset=utf-8"))
        .mount(&server)
        .await;
    for (at, file) in [
        (
            "/news",
            "reference/page-posts/drupal-news-view-microdata.html",
        ),
        (
            "/blogue/",
            "reference/page-posts/wordpress-blog-hentry.html",
        ),
    ] {
        Mock::given(path(at))
            .respond_with(
                ResponseTemplate::new(200).set_body_raw(fixture(file), "text/html; charset=utf-8"),
            )
            .mount(&server)
            .await;
    }
    let again = harness.refresh("gds-latest").await;
    // Read, and found to give exactly what is stored.
    assert_eq!(
        again.outcome,
        bulletin::model::FetchOutcome::Unchanged,
        "{again:?}"
    );
    assert!(again.warnings.is_none(), "{again:?}");
    let posts = harness.posts("gds-latest");
    let kept = posts
        .iter()
        .find(|p| p.post.title == "Accessibility monitoring: annual report")
        .unwrap();
    assert_eq!(
        kept.post.author.as_deref(),
        Some("Central Digital and Data Office")
    );
    assert_eq!(
        kept.post.published.map(|d| d.to_rfc3339()).as_deref(),
        Some("2026-11-19T09:30:00+00:00")
    );

    let site = Site::start(&harness.store);
    let titles = [
        "One Login reaches ten million users",
        "Accessibility monitoring: annual report",
        "Evidence briefs that get read",
        "Hackathon : les résultats",
    ];
    for feed in ["/feed.rss", "/feed.atom", "/feed.json"] {
        let bytes = site.get(feed).await.bytes().await.unwrap();
        let parsed = feed_rs::parser::parse(&bytes[..]).unwrap_or_else(|e| panic!("{feed}: {e}"));
        for title in titles {
            let entry = parsed
                .entries
                .iter()
                .find(|e| e.title.as_ref().is_some_and(|t| t.content == title))
                .unwrap_or_else(|| panic!("{feed}: {title} missing"));
            assert!(!entry.links.is_empty(), "{feed}: {title} has a link");
            assert!(
                entry.published.is_some() || entry.updated.is_some(),
                "{feed}: {title} dated"
            );
        }
        let report = parsed
            .entries
            .iter()
            .find(|e| e.title.as_ref().is_some_and(|t| t.content == titles[1]))
            .unwrap();
        assert_eq!(
            report
                .published
                .or(report.updated)
                .map(|d| d.to_rfc3339())
                .as_deref(),
            Some("2026-11-19T09:30:00+00:00"),
            "{feed}"
        );
    }
    let listed = site
        .get("/posts?source=donnees")
        .await
        .text()
        .await
        .unwrap();
    assert!(listed.contains("Hackathon : les résultats"), "{listed}");
    let searched = site.get("/posts?q=foresight").await.text().await.unwrap();
    assert!(
        searched.contains("Foresight workshop: a recap &#38; the slides"),
        "{searched}"
    );
    // The blog roll lists the pages as pages, not as feeds.
    let opml = site.get("/blogroll.opml").await.text().await.unwrap();
    let doc = roxmltree::Document::parse(&opml).unwrap();
    for (id, at) in [
        ("gds-latest", "/latest"),
        ("policy-cop", "/news"),
        ("donnees", "/blogue/"),
    ] {
        let outline = doc
            .descendants()
            .find(|n| n.attribute("text") == Some(format!("Source {id}").as_str()))
            .unwrap_or_else(|| panic!("{id} in {opml}"));
        assert_eq!(outline.attribute("type"), Some("link"), "{opml}");
        assert_eq!(
            outline.attribute("url"),
            Some(format!("{}{at}", server.uri()).as_str())
        );
        assert_eq!(outline.attribute("xmlUrl"), None);
    }
    let handle = site.handle.clone();
    actix_web::rt::spawn(async move { handle.stop(false).await });
}

#[actix_web::test]
async fn a_page_with_neither_posts_nor_events_says_what_was_tried() {
    let harness = Harness::new();
    harness.add(source(
        "empty",
        Location::File(fixture_path(
            "reference/page-posts/govuk-list-of-links.html",
        )),
        Some(SourceKind::Html),
    ));
    let record = harness.refresh("empty").await;
    let warnings = record.warnings.unwrap_or_default();
    assert!(
        warnings.contains("no posts or events found (events by JSON-LD 0, microdata 0, RDFa 0, h-event 0; posts by JSON-LD 0, microdata 0, h-entry 0; no selectors are configured for this source)"),
        "{warnings}"
    );
}
