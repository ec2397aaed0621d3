//! Differential test: the feeds of fixtures/reference/feeds — feedparser's own test
//! corpus, its sanitiser corpus, and feeds written in the shapes real engines emit — read
//! by Bulletin as feedparser (run by scripts/reference/feeds.py) reads them: the same
//! entries with the same titles, links and dates. And the sanitiser corpus served with
//! no live payload.
//!
//! Deliberate differences are listed in `deviations.json` beside the fixtures with their
//! reasons; the test fails if a listed feed agrees after all, or if the share of feeds
//! read identically falls below the bar the issue sets.

mod common;

use std::collections::BTreeMap;
use std::path::Path;

use bulletin::model::{FetchedDocument, Location, Validators};
use serde_json::Value;

/// What the comparison looks at: the title, the link, and the date a reader sees (the
/// published time, else the updated one — feedparser files RSS 1.0's `dc:date` as
/// updated, feed-rs as published; both show it as the entry's date).
#[derive(Debug, Clone, PartialEq, Eq)]
struct Entry {
    title: String,
    link: String,
    date: String,
}

fn text(value: &Value) -> String {
    value.as_str().unwrap_or("").to_string()
}

/// A link as a browser reads it (host in lower case, non-ASCII percent-encoded), so
/// one address written two ways is one link.
fn normal_link(link: String) -> String {
    url::Url::parse(&link).map_or(link, |u| u.to_string())
}

fn expected(entries: &[Value]) -> Vec<Entry> {
    entries
        .iter()
        .map(|e| Entry {
            title: text(&e["title_text"])
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" "),
            link: normal_link(text(&e["link"])),
            date: Some(text(&e["published"]))
                .filter(|d| !d.is_empty())
                .unwrap_or_else(|| text(&e["updated"])),
        })
        .collect()
}

struct Read {
    entries: Vec<Entry>,
    outcome: String,
    payloads: Vec<String>,
}

/// What the script's payload check finds in served HTML.
fn payloads(html: &str) -> Vec<String> {
    let lower = html.to_ascii_lowercase();
    let mut found = Vec::new();
    for needle in [
        "<script",
        "javascript:",
        "vbscript:",
        "<iframe",
        "<object",
        "<embed",
        "<form",
        "expression(",
        "<style",
        "<meta",
        "<link",
        "<base",
    ] {
        if lower.contains(needle) {
            found.push(needle.to_string());
        }
    }
    let handler = regex::Regex::new(r#"(?i)<[^>]*\son[a-z]+\s*="#).unwrap();
    if handler.is_match(html) {
        found.push("on…= handler".into());
    }
    let data = regex::Regex::new(r#"(?i)(href|src)\s*=\s*["']?\s*data:"#).unwrap();
    if data.is_match(html) {
        found.push("data: URL".into());
    }
    found
}

fn ours(path: &str, body: Vec<u8>, http: &Value) -> Read {
    let context = common::test_context();
    let url = http["url"]
        .as_str()
        .map(str::to_string)
        .unwrap_or_else(|| format!("https://feeds.example/{path}"));
    let source = common::source("feed", Location::File(path.into()), None);
    let document = FetchedDocument {
        url,
        status: 200,
        content_type: http["content_type"].as_str().map(str::to_string),
        content_language: http["content_language"].as_str().map(str::to_string),
        body,
        validators: Validators::default(),
        moved_permanently_to: None,
    };
    match bulletin::harvest::harvest(&source, &document, &context) {
        Ok(harvest) => {
            let mut served = Vec::new();
            for post in &harvest.posts {
                for html in [&post.summary_html, &post.content_html]
                    .into_iter()
                    .flatten()
                {
                    served.extend(payloads(html));
                }
                served.extend(payloads(&bulletin::normalise::escape_html(&post.title)));
            }
            Read {
                outcome: if harvest.warnings.is_empty() {
                    format!("ok, {} posts", harvest.posts.len())
                } else {
                    format!(
                        "ok, {} posts, warned: {}",
                        harvest.posts.len(),
                        harvest.warnings.join("; ")
                    )
                },
                entries: harvest
                    .posts
                    .iter()
                    .map(|p| Entry {
                        title: p.title.clone(),
                        link: p.link.clone().unwrap_or_default(),
                        date: p
                            .published
                            .or(p.updated)
                            .map(|t| t.format("%Y-%m-%dT%H:%M:%SZ").to_string())
                            .unwrap_or_default(),
                    })
                    .collect(),
                payloads: served,
            }
        }
        Err(error) => Read {
            entries: Vec::new(),
            outcome: format!("failed: {error}"),
            payloads: Vec::new(),
        },
    }
}

/// Entries agree when the reference's titles (where it has one), web links (where it has
/// one: Bulletin publishes only http(s) links, and gives an RSS 1.0 item its
/// `rdf:about`) and dates are Bulletin's.
fn agree(want: &[Entry], got: &[Entry]) -> bool {
    let web = |link: &str| link.starts_with("http://") || link.starts_with("https://");
    want.len() == got.len()
        && want.iter().zip(got).all(|(w, g)| {
            (w.title.is_empty() || w.title == g.title)
                && (!web(&w.link) || w.link == g.link)
                && w.date == g.date
        })
}

#[test]
fn feeds_are_read_as_feedparser_reads_them_and_served_without_payloads() {
    let folder = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/reference/feeds");
    let manifest: Value =
        serde_json::from_slice(&std::fs::read(folder.join("manifest.json")).unwrap()).unwrap();
    let deviations: BTreeMap<String, Value> = std::fs::read(folder.join("deviations.json"))
        .map(|bytes| serde_json::from_slice(&bytes).unwrap())
        .unwrap_or_default();
    let show = std::env::var("REFERENCE_SHOW").ok();
    let (mut compared, mut identical) = (0, 0);
    let (mut sanitize_with_entries, mut sanitize_served) = (0, 0);
    let mut silent = Vec::new();
    let mut live = Vec::new();
    let mut differ = Vec::new();
    let mut stale = Vec::new();
    for feed in manifest["feeds"].as_array().unwrap() {
        let path = feed["path"].as_str().unwrap();
        let group = feed["group"].as_str().unwrap();
        let body = std::fs::read(folder.join(path)).unwrap();
        let stem = path.rsplit_once('.').map_or(path, |(s, _)| s);
        let want: Value = serde_json::from_slice(
            &std::fs::read(folder.join(format!("{stem}.expected.json"))).unwrap(),
        )
        .unwrap();
        let want_entries = expected(want["entries"].as_array().unwrap());
        let read = ours(path, body, &want["http"]);
        if show.as_deref() == Some(stem.rsplit('/').next().unwrap()) {
            eprintln!(
                "{path}\nexpected: {want_entries:#?}\nread ({}): {:#?}",
                read.outcome, read.entries
            );
        }
        if !want_entries.is_empty()
            && read.entries.is_empty()
            && read.outcome.starts_with("ok")
            && !read.outcome.contains("warned")
        {
            silent.push(format!("{path}: {}", read.outcome));
        }
        if !read.payloads.is_empty() && want["payload_free"].as_bool() != Some(false) {
            live.push(format!("{path}: {:?}", read.payloads));
        }
        if group == "sanitize" {
            if !want_entries.is_empty() {
                sanitize_with_entries += 1;
                if !read.entries.is_empty() {
                    sanitize_served += 1;
                }
            }
            continue;
        }
        if want_entries.is_empty() {
            continue;
        }
        compared += 1;
        let name = stem.rsplit('/').next().unwrap().to_string();
        match (
            agree(&want_entries, &read.entries),
            deviations.contains_key(&name),
        ) {
            (true, false) => identical += 1,
            (true, true) => stale.push(name),
            (false, true) => {}
            (false, false) => {
                let first = want_entries
                    .iter()
                    .zip(read.entries.iter().map(Some).chain(std::iter::repeat(None)))
                    .find(|(w, g)| {
                        g.is_none_or(|g| !agree(std::slice::from_ref(w), std::slice::from_ref(g)))
                    });
                differ.push(format!(
                    "{path} [{}]: {} expected, {} read; first difference: {first:?}",
                    read.outcome,
                    want_entries.len(),
                    read.entries.len()
                ));
            }
        }
    }
    let share = identical as f64 / compared.max(1) as f64;
    let served = sanitize_served as f64 / sanitize_with_entries.max(1) as f64;
    eprintln!(
        "reference feeds: {identical} of {compared} feeds with entries read identically ({:.1}%), {} documented deviations; sanitiser corpus: posts served for {sanitize_served} of {sanitize_with_entries} ({:.1}%)",
        share * 100.0,
        deviations.len(),
        served * 100.0
    );
    if std::env::var("REFERENCE_LIST").is_ok() {
        eprintln!("{}", differ.join("\n"));
    }
    assert!(
        stale.is_empty(),
        "listed as deviations but now identical: {stale:?}"
    );
    assert!(
        live.is_empty(),
        "live payloads served:\n{}",
        live.join("\n")
    );
    assert!(
        silent.is_empty(),
        "\"ok, 0 items\" for feeds with entries:\n{}",
        silent.join("\n")
    );
    assert!(served >= 0.95, "sanitiser corpus served {served:.3}");
    assert!(
        differ.is_empty() || share >= 0.95,
        "{:.3} identical; these differ:\n{}",
        share,
        differ.join("\n")
    );
}

#[test]
fn feed_dates_are_read_as_feedparser_reads_them() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/reference/feeds/dates.json");
    let expected: Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
    let mut differ = Vec::new();
    for case in expected["dates"].as_array().unwrap() {
        let text = case["text"].as_str().unwrap();
        let ours = bulletin::extract::feed::dates::parse(text)
            .map(|t| t.format("%Y-%m-%dT%H:%M:%SZ").to_string());
        if ours.as_deref() != case["utc"].as_str() {
            differ.push(format!(
                "{text:?}: feedparser {:?}, Bulletin {ours:?}",
                case["utc"]
            ));
        }
    }
    assert!(
        differ.is_empty(),
        "dates read differently:\n{}",
        differ.join("\n")
    );
}
