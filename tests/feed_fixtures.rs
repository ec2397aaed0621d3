//! Every fixture feed in `fixtures/feeds/`, served over loopback HTTP and taken through a
//! real refresh, must store exactly what its `NAME.expected.json` says: ids, absolute
//! links, titles, authors, UTC dates, and sanitised content. One `check` drives them all.

mod common;

use bulletin::model::FetchOutcome;
use serde_json::Value;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use common::{Harness, fixture};

async fn check(name: &str, content_type: &str) {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(format!("/feeds/{name}")))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_raw(fixture(&format!("feeds/{name}")), content_type),
        )
        .mount(&server)
        .await;
    let stem = name.rsplit_once('.').unwrap().0;
    let expected: Value =
        serde_json::from_slice(&fixture(&format!("feeds/{stem}.expected.json"))).unwrap();

    let harness = Harness::new();
    let url = format!("{}/feeds/{name}", server.uri());
    harness.add_source("s", &url);
    let record = harness.refresh("s").await;

    if expected["error"] == Value::Bool(true) {
        assert_eq!(record.outcome, FetchOutcome::Failed, "{name}: {record:?}");
        let error = record.error.expect("an error message");
        assert!(
            error.contains(&url),
            "{name}: the error names the URL: {error}"
        );
        assert!(harness.posts("s").is_empty());
        return;
    }
    assert_eq!(record.outcome, FetchOutcome::Ok, "{name}: {record:?}");
    let entries = expected["entries"].as_array().unwrap();
    assert_eq!(
        record.items_found as usize,
        entries.len(),
        "{name}: items found"
    );
    assert_eq!(
        record.items_new as usize,
        entries.len(),
        "{name}: items new"
    );
    let posts = harness.posts("s");
    assert_eq!(posts.len(), entries.len(), "{name}: stored posts");
    for want in entries {
        let title = want["title"].as_str().unwrap();
        let stored = posts
            .iter()
            .find(|p| p.post.title == title)
            .unwrap_or_else(|| {
                panic!(
                    "{name}: no post titled {title:?}; have {:?}",
                    posts.iter().map(|p| &p.post.title).collect::<Vec<_>>()
                )
            });
        let post = &stored.post;
        match want["entry_id"].as_str() {
            Some(id) => assert_eq!(post.entry_id, id, "{name}: id of {title}"),
            None => assert!(
                post.entry_id.starts_with("sha256:"),
                "{name}: derived id of {title}: {}",
                post.entry_id
            ),
        }
        assert_eq!(
            post.link.as_deref(),
            want["link"].as_str(),
            "{name}: link of {title}"
        );
        assert_eq!(
            post.author.as_deref(),
            want["author"].as_str(),
            "{name}: author of {title}"
        );
        let date = |d: Option<chrono::DateTime<chrono::Utc>>| {
            d.map(|d| d.format("%Y-%m-%dT%H:%M:%SZ").to_string())
        };
        assert_eq!(
            date(post.published).as_deref(),
            want["published"].as_str(),
            "{name}: published of {title}"
        );
        assert_eq!(
            date(post.updated).as_deref(),
            want["updated"].as_str(),
            "{name}: updated of {title}"
        );
        if post.published.is_none() && post.updated.is_none() {
            assert_eq!(
                stored.date(),
                stored.first_seen,
                "{name}: undated entries keep first-seen time"
            );
        }
        let body = post
            .content_html
            .clone()
            .or(post.summary_html.clone())
            .unwrap_or_default();
        let everything = format!(
            "{} {}",
            post.summary_html.as_deref().unwrap_or(""),
            post.content_html.as_deref().unwrap_or("")
        );
        for needle in want["content_contains"].as_array().unwrap() {
            let needle = needle.as_str().unwrap();
            assert!(
                body.contains(needle),
                "{name}: content of {title} lacks {needle:?}:\n{body}"
            );
        }
        for needle in want["content_excludes"].as_array().unwrap() {
            let needle = needle.as_str().unwrap();
            assert!(
                !everything.contains(needle),
                "{name}: content of {title} keeps {needle:?}:\n{everything}"
            );
        }
    }
}

#[tokio::test]
async fn rss2_wordpress() {
    check("rss2-wordpress.xml", "application/rss+xml; charset=UTF-8").await;
}

#[tokio::test]
async fn rss1_rdf() {
    check("rss1-rdf.xml", "application/rdf+xml").await;
}

#[tokio::test]
async fn atom_with_xml_base() {
    check("atom.xml", "application/atom+xml").await;
}

#[tokio::test]
async fn json_feed() {
    check("jsonfeed.json", "application/feed+json").await;
}

#[tokio::test]
async fn wordpress_relative_links_and_unsafe_html() {
    check("wordpress-unsafe.xml", "text/xml").await;
}

#[tokio::test]
async fn entries_missing_guid_and_dates() {
    check("missing-fields.xml", "application/rss+xml").await;
}

#[tokio::test]
async fn latin1_encoded_feed() {
    // Served with a wrong, generic type: the bytes and the XML declaration decide.
    check("latin1.xml", "application/octet-stream").await;
}

#[tokio::test]
async fn malformed_feed_is_reported() {
    check("malformed.xml", "application/rss+xml").await;
}

#[tokio::test]
async fn html_page_instead_of_feed_is_reported() {
    check("not-a-feed.html", "text/html; charset=utf-8").await;
}
