//! The merged blog roll as a reader's client sees it: the real server on a loopback
//! port, fed by real refreshes of fixture feeds. Every feed we serve is read back by
//! parsers that did not write it (feed-rs for RSS/Atom/JSON Feed, roxmltree for OPML)
//! and compared field by field with the store.

mod common;

use std::collections::HashMap;

use bulletin::model::{Location, StoredPost};
use bulletin::render::post_id;
use bulletin::store::PostFilter;
use reqwest::StatusCode;

use common::{Harness, Site, fixture_path, source};

struct Running {
    harness: Harness,
    site: Site,
}

impl Drop for Running {
    fn drop(&mut self) {
        let handle = self.site.handle.clone();
        actix_web::rt::spawn(async move { handle.stop(false).await });
    }
}

/// Three sources from three departments, refreshed for real, served on port 0.
async fn start() -> Running {
    let harness = Harness::new();
    let mut wp = source(
        "team-blog",
        Location::File(fixture_path("feeds/rss2-wordpress.xml")),
        None,
    );
    wp.department = "Cabinet Office".into();
    wp.tags = vec!["digital".into(), "blogs".into()];
    let mut atom = source(
        "cds-blog",
        Location::File(fixture_path("feeds/atom.xml")),
        None,
    );
    atom.department = "Treasury Board Secretariat".into();
    atom.tags = vec!["digital".into()];
    let mut json = source(
        "research",
        Location::Url("https://research.example.gc.ca/feed.json".parse().unwrap()),
        None,
    );
    json.department = "Health Canada".into();
    json.tags = vec!["research".into()];
    for s in [wp, atom] {
        harness.add(s);
    }
    harness.refresh("team-blog").await;
    harness.refresh("cds-blog").await;
    // The third is registered by URL (for OPML) but its posts come from a file export.
    let mut json_file = json.clone();
    json_file.location = Location::File(fixture_path("feeds/jsonfeed.json"));
    harness.add(json_file);
    harness.refresh("research").await;
    harness.add(json);

    let site = Site::start(&harness.store);
    Running { harness, site }
}

impl Running {
    async fn get(&self, path: &str) -> reqwest::Response {
        self.site.get(path).await
    }

    fn stored(&self, filter: PostFilter) -> Vec<StoredPost> {
        self.harness
            .store
            .posts(&PostFilter {
                limit: 500,
                ..filter
            })
            .unwrap()
    }
}

/// The fields every format must carry, compared with the store.
fn assert_matches_store(feed: &feed_rs::model::Feed, stored: &[StoredPost], format: &str) {
    assert_eq!(feed.entries.len(), stored.len(), "{format}: entry count");
    let by_id: HashMap<&str, &feed_rs::model::Entry> =
        feed.entries.iter().map(|e| (e.id.as_str(), e)).collect();
    for (position, post) in stored.iter().enumerate() {
        let id = post_id(post);
        let entry = by_id
            .get(id.as_str())
            .unwrap_or_else(|| panic!("{format}: no entry {id}"));
        assert_eq!(feed.entries[position].id, id, "{format}: newest first");
        assert_eq!(
            entry.title.as_ref().unwrap().content,
            post.post.title,
            "{format}: title"
        );
        let link = entry
            .links
            .iter()
            .find(|l| l.rel.as_deref() != Some("self"))
            .map(|l| l.href.as_str());
        assert_eq!(
            link,
            post.post.link.as_deref(),
            "{format}: link of {}",
            post.post.title
        );
        assert_eq!(
            entry.published,
            Some(post.date()),
            "{format}: date of {}",
            post.post.title
        );
        let author = entry.authors.first().and_then(|a| a.name.as_deref());
        // Atom entries always name an author (RFC 4287 §4.1.2): the post's, else its blog.
        let expected_author = match (format, post.post.author.as_deref()) {
            ("atom", None) => Some(post.source_name.as_str()),
            (_, author) => author,
        };
        assert_eq!(
            author, expected_author,
            "{format}: author of {}",
            post.post.title
        );
        let body = entry
            .content
            .as_ref()
            .and_then(|c| c.body.clone())
            .or_else(|| entry.summary.as_ref().map(|s| s.content.clone()))
            .unwrap_or_default();
        let expected = post
            .post
            .content_html
            .as_deref()
            .or(post.post.summary_html.as_deref())
            .unwrap_or_default();
        assert_eq!(
            body.trim(),
            expected.trim(),
            "{format}: body of {}",
            post.post.title
        );
    }
}

#[actix_web::test]
async fn rss_reads_back_field_by_field() {
    let app = start().await;
    let response = app.get("/feed.rss").await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        response.headers()["content-type"],
        "application/rss+xml; charset=utf-8"
    );
    let bytes = response.bytes().await.unwrap();
    let feed = feed_rs::parser::parse(bytes.as_ref()).expect("feed-rs reads our RSS");
    assert_matches_store(&feed, &app.stored(PostFilter::default()), "rss");
    let text = String::from_utf8(bytes.to_vec()).unwrap();
    assert!(
        text.contains(&format!(
            r#"<atom:link href="{}/feed.rss" rel="self" type="application/rss+xml"/>"#,
            app.site.base
        )),
        "self link"
    );
    assert!(text.contains(r#"<guid isPermaLink="false">urn:bulletin:post:"#));
    assert!(
        text.contains(
            r#"<source url="https://research.example.gc.ca/feed.json">Source research</source>"#
        ),
        "source named"
    );
    // And the `rss` crate's own reader agrees on the channel.
    let channel = rss::Channel::read_from(bytes.as_ref()).unwrap();
    assert_eq!(channel.items().len(), feed.entries.len());
}

#[actix_web::test]
async fn atom_reads_back_field_by_field() {
    let app = start().await;
    let bytes = app
        .get("/feed.atom?tag=digital")
        .await
        .bytes()
        .await
        .unwrap();
    let feed = feed_rs::parser::parse(bytes.as_ref()).expect("feed-rs reads our Atom");
    let stored = app.stored(PostFilter {
        tags: vec!["digital".into()],
        ..Default::default()
    });
    assert_eq!(
        stored.len(),
        7,
        "wordpress (4) and atom (3) sources are tagged digital"
    );
    assert_matches_store(&feed, &stored, "atom");
    for (entry, post) in feed.entries.iter().zip(&stored) {
        assert_eq!(entry.updated, Some(post.updated()), "atom: updated");
    }
    assert_eq!(feed.id, "urn:bulletin:feed:posts?tag=digital");
    let newest_change = stored.iter().map(|p| p.changed).max().unwrap();
    assert_eq!(
        feed.updated.unwrap().timestamp_millis(),
        newest_change.timestamp_millis()
    );
    assert!(feed.links.iter().any(|l| l.rel.as_deref() == Some("self")
        && l.href == format!("{}/feed.atom?tag=digital", app.site.base)));
    let independent = atom_syndication::Feed::read_from(bytes.as_ref()).unwrap();
    assert_eq!(independent.entries().len(), 7);
    assert!(
        independent
            .entries()
            .iter()
            .all(|e| !e.authors().is_empty() && !e.authors()[0].name().is_empty()),
        "every Atom entry has an author"
    );
}

#[actix_web::test]
async fn json_feed_reads_back_field_by_field() {
    let app = start().await;
    let response = app.get("/feed.json?department=Health%20Canada").await;
    assert_eq!(
        response.headers()["content-type"],
        "application/feed+json; charset=utf-8"
    );
    let bytes = response.bytes().await.unwrap();
    let feed = feed_rs::parser::parse(bytes.as_ref()).expect("feed-rs reads our JSON Feed");
    let stored = app.stored(PostFilter {
        departments: vec!["Health Canada".into()],
        ..Default::default()
    });
    assert_eq!(stored.len(), 3);
    assert_matches_store(&feed, &stored, "json");
    let value: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
    assert_eq!(value["version"], "https://jsonfeed.org/version/1.1");
    assert_eq!(value["items"][0]["_bulletin"]["source_id"], "research");
}

#[actix_web::test]
async fn filters_combine_and_limit_is_checked() {
    let app = start().await;
    let count = |bytes: &[u8]| feed_rs::parser::parse(bytes).unwrap().entries.len();
    let cases = [
        ("/feed.rss?source=cds-blog", 3),
        ("/feed.rss?source=cds-blog&source=research", 6),
        ("/feed.rss?tag=digital&department=Cabinet%20Office", 4),
        ("/feed.rss?tag=research&tag=blogs", 7),
        ("/feed.rss?department=cabinet%20office", 4),
        ("/feed.rss?limit=2", 2),
        ("/feed.rss?source=nope", 0),
    ];
    for (path, expected) in cases {
        let bytes = app.get(path).await.bytes().await.unwrap();
        assert_eq!(count(&bytes), expected, "{path}");
    }
    let bad = app.get("/feed.atom?limit=lots").await;
    assert_eq!(bad.status(), StatusCode::BAD_REQUEST);
    assert_eq!(
        bad.text().await.unwrap(),
        "limit: `lots` is not a whole number of 1 or more\n\n\
         limit : « lots » n’est pas un nombre entier d’au moins 1\n",
        "a feed reader shows plain text, in both languages"
    );
}

#[actix_web::test]
async fn conditional_requests_get_304_until_the_store_changes() {
    let app = start().await;
    let first = app.get("/feed.atom").await;
    let etag = first.headers()["etag"].to_str().unwrap().to_string();
    let modified = first.headers()["last-modified"]
        .to_str()
        .unwrap()
        .to_string();
    let url = format!("{}/feed.atom", app.site.base);

    let same = app
        .site
        .client
        .get(&url)
        .header("If-None-Match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(same.status(), StatusCode::NOT_MODIFIED);
    assert_eq!(same.headers()["etag"].to_str().unwrap(), etag);
    assert!(same.bytes().await.unwrap().is_empty());
    let since = app
        .site
        .client
        .get(&url)
        .header("If-Modified-Since", &modified)
        .send()
        .await
        .unwrap();
    assert_eq!(since.status(), StatusCode::NOT_MODIFIED);
    let other = app
        .site
        .client
        .get(&url)
        .header("If-None-Match", "\"something-else\"")
        .send()
        .await
        .unwrap();
    assert_eq!(other.status(), StatusCode::OK);

    // A new post arrives: the same validators now get the new feed.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("latin1.xml");
    std::fs::copy(fixture_path("feeds/latin1.xml"), &file).unwrap();
    app.harness
        .add(source("latin1", Location::File(file), None));
    app.harness.refresh("latin1").await;
    let changed = app
        .site
        .client
        .get(&url)
        .header("If-None-Match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(changed.status(), StatusCode::OK);
    assert_ne!(changed.headers()["etag"].to_str().unwrap(), etag);
}

#[actix_web::test]
async fn gzip_only_when_asked_and_head_has_no_body() {
    let app = start().await;
    let url = format!("{}/feed.rss", app.site.base);
    let plain = app.site.client.get(&url).send().await.unwrap();
    assert!(plain.headers().get("content-encoding").is_none());
    assert!(
        plain.headers()["vary"]
            .to_str()
            .unwrap()
            .to_ascii_lowercase()
            .contains("accept-encoding")
    );
    let plain_body = plain.bytes().await.unwrap();

    let zipped = app
        .site
        .client
        .get(&url)
        .header("Accept-Encoding", "gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(zipped.headers()["content-encoding"], "gzip");
    let compressed = zipped.bytes().await.unwrap();
    let mut decoded = Vec::new();
    std::io::Read::read_to_end(
        &mut flate2::read::GzDecoder::new(compressed.as_ref()),
        &mut decoded,
    )
    .unwrap();
    assert_eq!(
        decoded,
        plain_body.to_vec(),
        "the same feed, compressed once"
    );

    let head = app.site.client.head(&url).send().await.unwrap();
    assert_eq!(head.status(), StatusCode::OK);
    assert!(head.headers().contains_key("etag"));
    assert!(head.bytes().await.unwrap().is_empty());
}

#[actix_web::test]
async fn opml_lists_feed_sources_with_urls() {
    let app = start().await;
    let response = app.get("/blogroll.opml").await;
    assert_eq!(
        response.headers()["content-type"],
        "text/x-opml; charset=utf-8"
    );
    let text = response.text().await.unwrap();
    let doc = roxmltree::Document::parse(&text).expect("well-formed OPML");
    assert_eq!(doc.root_element().attribute("version"), Some("2.0"));
    let feeds: Vec<(&str, &str)> = doc
        .descendants()
        .filter_map(|n| Some((n.attribute("text")?, n.attribute("xmlUrl")?)))
        .collect();
    // File sources have no public URL, so only the URL source is listed.
    assert_eq!(
        feeds,
        [(
            "Source research",
            "https://research.example.gc.ca/feed.json"
        )]
    );
}

#[actix_web::test]
async fn posts_page_is_bilingual_and_escapes_source_text() {
    let app = start().await;
    let en = app.get("/posts?source=cds-blog").await;
    assert_eq!(en.headers()["content-language"], "en");
    let html = en.text().await.unwrap();
    assert!(html.contains("<html lang=\"en\">"));
    assert!(html.contains("Blog roll"));
    assert!(
        html.contains(r#"href="/feed.rss?source=cds-blog""#),
        "feed links keep the filters"
    );
    let fr = app
        .site
        .client
        .get(format!("{}/posts", app.site.base))
        .header("Accept-Language", "fr-CA,fr;q=0.9,en;q=0.5")
        .send()
        .await
        .unwrap();
    assert_eq!(fr.headers()["content-language"], "fr");
    let html = fr.text().await.unwrap();
    assert!(html.contains("Billets de blogue"));
    assert!(
        html.contains("Café-causerie") || html.contains("Caf&#233;"),
        "French content shown"
    );
    assert!(!html.contains("<script"), "no script reaches the page");
    let toggled = app.get("/posts?lang=en").await;
    assert_eq!(toggled.headers()["content-language"], "en");
}

#[actix_web::test]
async fn healthz_answers() {
    let app = start().await;
    let value: serde_json::Value =
        serde_json::from_slice(&app.get("/healthz").await.bytes().await.unwrap()).unwrap();
    assert_eq!(value["status"], "ok");
    assert_eq!(value["sources"], 3);
}
