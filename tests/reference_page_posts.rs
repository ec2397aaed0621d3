//! Differential test: the posts of every page in fixtures/reference/page-posts as Bulletin
//! reads them, against what the independent readers found (extruct, mf2py and
//! BeautifulSoup's selectors, scripts/reference/page_posts.py): the same method chosen,
//! the same count per method, and the same posts — titles, absolute links, authors,
//! dates as instants and summaries.

mod common;

use std::path::Path;

use bulletin::model::{FetchedDocument, Location, PostSelectors, SourceKind, Validators};
use serde_json::Value;

fn folder() -> &'static Path {
    Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/fixtures/reference/page-posts"
    ))
}

fn plain(html: &str) -> String {
    let fragment = scraper::Html::parse_fragment(html);
    fragment
        .root_element()
        .text()
        .collect::<String>()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

#[test]
fn page_posts_match_the_reference_readers() {
    let sources: Value =
        serde_json::from_str(&std::fs::read_to_string(folder().join("sources.json")).unwrap())
            .unwrap();
    let mut failures = Vec::new();
    for (name, config) in sources.as_object().unwrap() {
        let html = std::fs::read(folder().join(format!("{name}.html"))).unwrap();
        let expected: Value = serde_json::from_str(
            &std::fs::read_to_string(folder().join(format!("{name}.expected.json"))).unwrap(),
        )
        .unwrap();
        let mut context = common::test_context();
        context.clock = bulletin::clock::Clock::fixed("2026-12-07T12:00:00Z".parse().unwrap());
        let mut source = common::source(
            name,
            Location::File(format!("{name}.html").into()),
            Some(SourceKind::Html),
        );
        source.timezone = Some("America/Toronto".parse().unwrap());
        source.post_selectors = config
            .get("post_selectors")
            .map(|s| serde_json::from_value::<PostSelectors>(s.clone()).unwrap());
        let url = config["url"].as_str().unwrap();
        let document = FetchedDocument {
            url: url.to_string(),
            status: 200,
            content_type: Some("text/html; charset=utf-8".into()),
            content_language: None,
            body: html,
            validators: Validators::default(),
            moved_permanently_to: None,
        };
        let harvest = bulletin::harvest::harvest(&source, &document, &context).unwrap();
        let counts = ["JSON-LD", "microdata", "h-entry", "selectors"]
            .iter()
            .filter_map(|m| expected["counts"].get(*m).map(|n| format!("{m} {n}")))
            .collect::<Vec<_>>()
            .join(", ");
        if harvest.post_methods.as_deref() != Some(counts.as_str()) {
            failures.push(format!(
                "{name}: counts {:?}, expected {counts}",
                harvest.post_methods
            ));
        }
        if harvest.best_post_method != expected["method"].as_str() {
            failures.push(format!(
                "{name}: method {:?}, expected {}",
                harvest.best_post_method, expected["method"]
            ));
        }
        let want = expected["posts"].as_array().unwrap();
        if harvest.posts.len() != want.len() {
            failures.push(format!(
                "{name}: {} posts, expected {}",
                harvest.posts.len(),
                want.len()
            ));
            continue;
        }
        for (post, want) in harvest.posts.iter().zip(want) {
            let ours = serde_json::json!({
                "title": post.title,
                "link": post.link,
                "author": post.author,
                "published": post.published.map(|d| d.to_rfc3339()),
                "updated": post.updated.map(|d| d.to_rfc3339()),
                "summary": post.summary_html.as_deref().map(plain),
            });
            if &ours != want {
                failures.push(format!("{name}: ours {ours}\n  expected {want}"));
            }
            assert_eq!(
                post.entry_id,
                post.link.clone().unwrap(),
                "{name}: id is the link"
            );
        }
        if name == "govuk-list-of-links" {
            // The listings giving only a title, a link (and a date) have their own
            // pages read for what they lack; the one with a summary does not.
            assert_eq!(harvest.follow.len(), 2, "{name}: {:?}", harvest.follow);
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// An events page's article markup that describes the page itself is not a post; a blog
/// post that mentions an event is one.
#[test]
fn an_event_page_describing_itself_is_not_a_post() {
    let read = |name: &str| {
        let html = std::fs::read(
            Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("fixtures/reference/pages/{name}")),
        )
        .unwrap();
        let source = common::source("s", Location::File(name.into()), Some(SourceKind::Html));
        let document = FetchedDocument {
            url: "https://www.gov.uk/government/news/page".to_string(),
            status: 200,
            content_type: Some("text/html; charset=utf-8".into()),
            content_language: None,
            body: html,
            validators: Validators::default(),
            moved_permanently_to: None,
        };
        bulletin::harvest::harvest(&source, &document, &common::test_context()).unwrap()
    };
    let event_page = read("govuk-event-jsonld.html");
    assert!(!event_page.events.is_empty());
    assert!(event_page.posts.is_empty(), "{:?}", event_page.posts);
    assert_eq!(
        event_page.post_methods.as_deref(),
        Some("JSON-LD 1, microdata 0, h-entry 0")
    );
    let blog = read("hevent-value-class.html");
    assert!(!blog.events.is_empty());
    let titles: Vec<_> = blog.posts.iter().map(|p| p.title.as_str()).collect();
    assert_eq!(titles, ["Recap: our winter sessions"]);
}
