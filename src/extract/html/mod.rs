//! HTML event pages. Four ways to find events, tried in order of trust: schema.org
//! `Event` in JSON-LD, schema.org microdata, h-event microformats, and — for pages with
//! no markup — the CSS selectors the operator gave for the source. Every method is run
//! and counted (so an operator can see why a page yields nothing); the first that finds
//! events supplies them. Values stay as the page wrote them; dates are read when
//! normalising.

mod hevent;
mod jsonld;
mod microdata;
mod selectors;

use scraper::{Html, Selector};

use crate::model::Selectors;

/// How an event was found on a page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    JsonLd,
    Microdata,
    HEvent,
    Selectors,
}

impl Method {
    pub fn name(self) -> &'static str {
        match self {
            Method::JsonLd => "JSON-LD",
            Method::Microdata => "microdata",
            Method::HEvent => "h-event",
            Method::Selectors => "selectors",
        }
    }
}

/// An event as a page wrote it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PageEvent {
    pub id: Option<String>,
    pub name: Option<String>,
    pub description: Option<String>,
    /// Date text: ISO 8601 from markup, or whatever the page shows for selectors.
    pub start: Option<String>,
    pub end: Option<String>,
    pub location_name: Option<String>,
    pub location_address: Option<String>,
    pub online_url: Option<String>,
    pub url: Option<String>,
    pub organiser: Option<String>,
    pub language: Option<String>,
    /// schema.org eventStatus (a URL or a bare name).
    pub status: Option<String>,
    pub attendance_mode: Option<String>,
    pub categories: Vec<String>,
}

/// What a page held.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PageDocument {
    pub title: Option<String>,
    /// `<html lang>`.
    pub language: Option<String>,
    /// Events found by each method, in order of trust.
    pub found: Vec<(Method, Vec<PageEvent>)>,
    /// Feeds the page advertises (`<link rel="alternate" type="application/rss+xml">`).
    pub feed_links: Vec<String>,
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

    /// "JSON-LD 3, microdata 0, h-event 0, selectors 0".
    pub fn method_counts(&self) -> String {
        self.found
            .iter()
            .map(|(method, events)| format!("{} {}", method.name(), events.len()))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// Reads a page; `selectors` are the source's own, if it has them. Markup too deep or
/// too large to build a tree from is refused (see [`crate::markup::shape`]).
pub fn parse(
    body: &str,
    selectors: Option<&Selectors>,
) -> Result<PageDocument, crate::markup::TooComplex> {
    crate::markup::shape::check(body)?;
    let page = Html::parse_document(body);
    let mut document = PageDocument {
        title: first_text(&page, "title"),
        language: select_one(&page, "html")
            .and_then(|h| h.value().attr("lang").map(str::to_string)),
        ..PageDocument::default()
    };
    let (json_events, json_warnings) = jsonld::events(&page);
    document.warnings.extend(json_warnings);
    document.found.push((Method::JsonLd, json_events));
    document
        .found
        .push((Method::Microdata, microdata::events(&page)));
    document.found.push((Method::HEvent, hevent::events(&page)));
    if let Some(selectors) = selectors {
        match selectors::events(&page, selectors) {
            Ok(events) => document.found.push((Method::Selectors, events)),
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
    Ok(document)
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

/// Whitespace collapsed to single spaces.
pub(crate) fn collapse(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}
