//! HTML event pages. Five ways to find events, tried in order of trust: schema.org in
//! JSON-LD, in microdata and in RDFa, h-event microformats (with classic hCalendar read
//! as microformats2 backcompat does), and — for pages with no markup — the CSS selectors
//! the operator gave for the source. Every method is run and counted (so an operator can
//! see why a page yields nothing).
//!
//! The three schema.org syntaxes each build the same [`schema::Graph`] of items, and one
//! reader ([`schema::events`]) decides which items are events and what their title, dates,
//! place, link and status are, so JSON-LD, microdata and RDFa agree by construction. The
//! rules are those of the reference readers (extruct and mf2py, see
//! `fixtures/reference/pages/README.md`). Values stay as the page wrote them; dates are
//! read when normalising.

mod hevent;
mod jsonld;
mod links;
mod mf2;
mod microdata;
pub mod posts;
mod rdfa;
mod schema;
mod selectors;
mod text;

use scraper::{Html, Selector};

use crate::budget::Budget;
use crate::model::{PostSelectors, Selectors};
use posts::{PagePost, PostMethod};

/// The operator's selectors for a source's page: for its events and for its posts.
#[derive(Debug, Clone, Copy, Default)]
pub struct PageSelectors<'a> {
    pub events: Option<&'a Selectors>,
    pub posts: Option<&'a PostSelectors>,
}

/// How an event was found on a page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    JsonLd,
    Microdata,
    Rdfa,
    HEvent,
    Selectors,
}

impl Method {
    pub fn name(self) -> &'static str {
        match self {
            Method::JsonLd => "JSON-LD",
            Method::Microdata => "microdata",
            Method::Rdfa => "RDFa",
            Method::HEvent => "h-event",
            Method::Selectors => "selectors",
        }
    }
}

/// How an event's dates are written.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum DateStyle {
    /// ISO 8601, as schema.org and microformats require: read as dateutil's `isoparse`
    /// reads it, and nothing else.
    #[default]
    Iso,
    /// Whatever the page shows (selectors): English or French text as well.
    Text,
}

/// An event as a page wrote it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PageEvent {
    pub id: Option<String>,
    /// The title, final: entities decoded once where the syntax needs it, white space
    /// collapsed.
    pub name: Option<String>,
    pub description: Option<String>,
    /// Date text as written.
    pub start: Option<String>,
    pub end: Option<String>,
    pub date_style: DateStyle,
    pub location_name: Option<String>,
    pub location_address: Option<String>,
    pub online_url: Option<String>,
    /// Absolute where the syntax resolves links (microdata, RDFa, microformats); JSON-LD
    /// and selector links are resolved against the page when normalising.
    pub url: Option<String>,
    pub organiser: Option<String>,
    pub language: Option<String>,
    /// schema.org eventStatus (a URL or a bare name).
    pub status: Option<String>,
    pub attendance_mode: Option<String>,
    pub categories: Vec<String>,
    /// The event's versions in other languages, as (language as written, link as
    /// written): schema.org `workTranslation`, `translationOfWork` and `sameAs`.
    pub translations: Vec<(Option<String>, String)>,
}

/// What a page held.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PageDocument {
    pub title: Option<String>,
    /// `<html lang>`.
    pub language: Option<String>,
    /// Events found by each method, in order of trust.
    pub found: Vec<(Method, Vec<PageEvent>)>,
    /// Posts found by each method, in order of trust.
    pub posts: Vec<(PostMethod, Vec<PagePost>)>,
    /// What the page says of itself in `<meta>` and `<time>` (see [`posts::page_meta`]).
    pub own_post: Box<PagePost>,
    /// Feeds the page advertises (`<link rel="alternate" type="application/rss+xml">`).
    pub feed_links: Vec<String>,
    /// The page in other languages, as (language, link) as written: `<link
    /// rel="alternate" hreflang>` and the language toggle of a WET/GCWeb header
    /// (`<a lang="fr" hreflang="fr" href>` in `#wb-lng`), in document order.
    pub alternates: Vec<(String, String)>,
    pub warnings: Vec<String>,
}

impl PageDocument {
    /// The events of the most trusted method that found any, and which method it was.
    pub fn best(&self) -> Option<(Method, &[PageEvent])> {
        self.found
            .iter()
            .find(|(_, events)| !events.is_empty())
            .map(|(method, events)| (*method, events.as_slice()))
    }

    /// "JSON-LD 3, microdata 0, RDFa 0, h-event 0, selectors 0": per method, the events
    /// with a title and a start.
    pub fn method_counts(&self) -> String {
        self.found
            .iter()
            .map(|(method, events)| {
                let listed = events
                    .iter()
                    .filter(|e| e.name.is_some() && e.start.is_some())
                    .count();
                format!("{} {listed}", method.name())
            })
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// Reads a page found at `page_url`; `selectors` are the source's own, if it has any.
/// Markup too deep or too large to build a tree from is refused (see
/// [`crate::markup::shape`]); a page that takes too long to read keeps what was found.
pub fn parse(
    body: &str,
    page_url: &str,
    selectors: PageSelectors<'_>,
) -> Result<PageDocument, crate::markup::TooComplex> {
    crate::markup::shape::check(body)?;
    let page = parse_without_scripting(body);
    let mut budget = Budget::document();
    let mut document = PageDocument {
        title: first_text(&page, "title"),
        language: select_one(&page, "html")
            .and_then(|h| h.value().attr("lang").map(str::to_string)),
        ..PageDocument::default()
    };
    let mut cut = None;
    let (graph, json_warnings) = jsonld::graph(&page, page_url);
    document.warnings.extend(json_warnings);
    document
        .found
        .push((Method::JsonLd, schema::events(&graph, &mut budget)));
    document
        .posts
        .push((PostMethod::JsonLd, posts::schema_posts(&graph, &mut budget)));
    let graph = microdata::graph(&page, page_url, &mut budget).unwrap_or_else(|e| {
        cut = Some(e);
        schema::Graph::empty(schema::Syntax::Microdata)
    });
    document
        .found
        .push((Method::Microdata, schema::events(&graph, &mut budget)));
    document.posts.push((
        PostMethod::Microdata,
        posts::schema_posts(&graph, &mut budget),
    ));
    let graph = rdfa::graph(&page, page_url, &mut budget).unwrap_or_else(|e| {
        cut = Some(e);
        schema::Graph::empty(schema::Syntax::Rdfa)
    });
    document
        .found
        .push((Method::Rdfa, schema::events(&graph, &mut budget)));
    let items = mf2::parse(&page, page_url, &mut budget).unwrap_or_else(|e| {
        cut = Some(e);
        mf2::Document::default()
    });
    document
        .found
        .push((Method::HEvent, hevent::events(&items)));
    document
        .posts
        .push((PostMethod::HEntry, posts::hentry_posts(&items)));
    if let Some(exhausted) = cut {
        document.warnings.push(format!(
            "{page_url}: reading the page's markup {exhausted}; what was read before is kept"
        ));
    }
    if let Some(selectors) = selectors.events {
        match selectors::events(&page, selectors) {
            Ok(events) => document.found.push((Method::Selectors, events)),
            Err(error) => document.warnings.push(error),
        }
    }
    if let Some(selectors) = selectors.posts {
        match posts::selector_posts(&page, selectors) {
            Ok(found) => document.posts.push((PostMethod::Selectors, found)),
            Err(error) => document.warnings.push(error),
        }
    }
    let feeds = Selector::parse(r#"link[rel~="alternate"][href]"#).expect("static selector");
    document.feed_links = page
        .select(&feeds)
        .filter(|l| {
            l.value().attr("type").is_some_and(|t| {
                matches!(
                    t.trim(),
                    "application/rss+xml"
                        | "application/atom+xml"
                        | "application/feed+json"
                        | "application/json"
                        | "text/calendar"
                )
            })
        })
        .filter_map(|l| l.value().attr("href").map(str::to_string))
        .collect();
    document.alternates = alternates(&page);
    document.own_post = Box::new(posts::page_meta(&page));
    Ok(document)
}

/// The page's links to its versions in other languages: `<link rel="alternate"
/// hreflang>` (not feeds, not `x-default`), then the language toggle of a WET/GCWeb
/// header, whose links say their language with `hreflang` or `lang`.
fn alternates(page: &Html) -> Vec<(String, String)> {
    let links = Selector::parse(r#"link[rel~="alternate"][hreflang][href]"#).expect("static");
    let toggle = Selector::parse("#wb-lng a[href], a[hreflang][lang][href]").expect("static");
    let mut out: Vec<(String, String)> = Vec::new();
    let found = page
        .select(&links)
        .filter(|l| l.value().attr("type").is_none_or(|t| t.contains("html")))
        .chain(page.select(&toggle));
    for element in found {
        let value = element.value();
        let language = value
            .attr("hreflang")
            .or_else(|| value.attr("lang"))
            .unwrap_or_default()
            .trim();
        let href = value.attr("href").unwrap_or_default().trim();
        if language.is_empty()
            || language.eq_ignore_ascii_case("x-default")
            || href.is_empty()
            || href.starts_with('#')
        {
            continue;
        }
        let pair = (language.to_string(), href.to_string());
        if !out.contains(&pair) {
            out.push(pair);
        }
    }
    out
}

/// The document tree as a reader that runs no scripts builds it (as lxml and html5lib
/// do): `<noscript>` content is markup, not text.
fn parse_without_scripting(body: &str) -> Html {
    use html5ever::driver::{self, ParseOpts};
    use html5ever::tendril::TendrilSink;
    use html5ever::tree_builder::TreeBuilderOpts;
    let options = ParseOpts {
        tree_builder: TreeBuilderOpts {
            scripting_enabled: false,
            ..TreeBuilderOpts::default()
        },
        ..ParseOpts::default()
    };
    driver::parse_document(scraper::HtmlTreeSink::new(Html::new_document()), options).one(body)
}

fn select_one<'a>(page: &'a Html, css: &str) -> Option<scraper::ElementRef<'a>> {
    let selector = Selector::parse(css).ok()?;
    page.select(&selector).next()
}

fn first_text(page: &Html, css: &str) -> Option<String> {
    select_one(page, css)
        .map(|e| collapse(&e.text().collect::<String>()))
        .filter(|t| !t.is_empty())
}

/// White space collapsed to single spaces and trimmed: every run of Unicode White_Space
/// (`char::is_whitespace`) becomes one space.
pub(crate) fn collapse(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_syntax_is_counted_and_noscript_content_is_markup() {
        let page = r#"<!doctype html><html><head><title>Events</title></head><body>
            <noscript><div itemscope itemtype="https://schema.org/Event"><span itemprop="name">Hidden</span>
              <meta itemprop="startDate" content="2026-03-01"></div></noscript>
            <div vocab="https://schema.org/" typeof="Event"><span property="name">Lite</span>
              <time property="startDate" datetime="2026-03-02T10:00">2 March</time></div>
            <div class="vevent"><span class="summary">Classic</span><abbr class="dtstart" title="2026-03-03">3 March</abbr></div>
            </body></html>"#;
        let document = parse(page, "https://ex.gc.ca/events", PageSelectors::default()).unwrap();
        assert_eq!(
            document.method_counts(),
            "JSON-LD 0, microdata 1, RDFa 1, h-event 1"
        );
        let (method, events) = document.best().unwrap();
        assert_eq!(method, Method::Microdata);
        assert_eq!(events[0].name.as_deref(), Some("Hidden"));
    }

    #[test]
    fn alternates_come_from_hreflang_links_and_the_gcweb_toggle() {
        let page = r#"<!doctype html><html lang="en"><head>
            <link rel="alternate" hreflang="fr" href="https://www.canada.ca/fr/min/evenement.html">
            <link rel="alternate" hreflang="x-default" href="https://www.canada.ca/">
            <link rel="alternate" type="application/rss+xml" hreflang="en" href="/feed.xml">
            </head><body><header><section id="wb-lng"><h2>Language selection</h2><ul>
            <li><a lang="fr" hreflang="fr" href="/fr/min/evenement.html"><span>Français</span></a></li>
            </ul></section></header><main><a href="/fr/" lang="fr">Other</a></main></body></html>"#;
        let document = parse(
            page,
            "https://www.canada.ca/en/dept/event.html",
            PageSelectors::default(),
        )
        .unwrap();
        assert_eq!(
            document.alternates,
            [
                (
                    "fr".to_string(),
                    "https://www.canada.ca/fr/min/evenement.html".to_string()
                ),
                ("fr".to_string(), "/fr/min/evenement.html".to_string())
            ]
        );
    }
}
