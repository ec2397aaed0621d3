//! Posts on pages that publish no feed: a blog's index, a news page, a "latest updates"
//! list. Read, in order of trust, from schema.org articles in JSON-LD and in microdata
//! (the same [`super::schema::Graph`] the event readers use), from h-entry microformats
//! (classic hAtom `hentry` read through mf2 backcompat), and from the CSS selectors the
//! operator gave for the source's posts. Every method is run and counted. Values stay as
//! the page wrote them; dates and links are read when normalising.

mod hentry;
mod schema;
mod selectors;

pub use hentry::posts as hentry_posts;
pub use schema::posts as schema_posts;
pub use selectors::posts as selector_posts;

use super::DateStyle;

/// How a post was found on a page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PostMethod {
    JsonLd,
    Microdata,
    HEntry,
    Selectors,
}

impl PostMethod {
    pub fn name(self) -> &'static str {
        match self {
            PostMethod::JsonLd => "JSON-LD",
            PostMethod::Microdata => "microdata",
            PostMethod::HEntry => "h-entry",
            PostMethod::Selectors => "selectors",
        }
    }
}

/// A post as a page wrote it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PagePost {
    /// The title, final: entities decoded once where the syntax needs it, white space
    /// collapsed.
    pub title: Option<String>,
    /// As written (JSON-LD and selector links are relative to the page).
    pub url: Option<String>,
    pub author: Option<String>,
    /// Date text as written.
    pub published: Option<String>,
    pub updated: Option<String>,
    pub date_style: DateStyle,
    /// Plain text.
    pub summary: Option<String>,
    pub language: Option<String>,
    pub categories: Vec<String>,
}

/// "JSON-LD 3, microdata 0, h-entry 0": per method, the posts with a title.
pub fn counts(found: &[(PostMethod, Vec<PagePost>)]) -> String {
    found
        .iter()
        .map(|(method, posts)| {
            let titled = posts.iter().filter(|p| p.title.is_some()).count();
            format!("{} {titled}", method.name())
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// What a page says of itself outside article markup, as an article's own page does:
/// `<meta>` author, description (or `og:description`) and `article:published_time` /
/// `article:modified_time`, else the first `<time datetime>` in `<main>` or `<article>`,
/// else in the page. Completes a listing's post when the article's page has no markup.
pub fn page_meta(page: &scraper::Html) -> PagePost {
    use scraper::Selector;
    let meta = |names: &[&str]| -> Option<String> {
        names.iter().find_map(|name| {
            let css = format!(r#"meta[name="{name}"][content], meta[property="{name}"][content]"#);
            let selector = Selector::parse(&css).ok()?;
            page.select(&selector)
                .find_map(|m| m.value().attr("content"))
                .map(super::collapse)
                .filter(|c| !c.is_empty())
        })
    };
    let time = [
        "main time[datetime]",
        "article time[datetime]",
        "time[datetime]",
    ]
    .iter()
    .find_map(|css| {
        let selector = Selector::parse(css).expect("static selector");
        page.select(&selector)
            .find_map(|t| t.value().attr("datetime"))
            .map(super::collapse)
            .filter(|t| !t.is_empty())
    });
    PagePost {
        title: meta(&["og:title", "dcterms.title"]),
        url: None,
        author: meta(&["author", "article:author", "dcterms.creator"]),
        published: meta(&["article:published_time", "dcterms.issued"]).or(time),
        updated: meta(&["article:modified_time"]),
        date_style: DateStyle::Iso,
        summary: meta(&["description", "og:description", "dcterms.description"]),
        language: None,
        categories: Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::extract::html::{PageSelectors, parse};

    fn found(page: &str) -> Vec<(PostMethod, Vec<Option<String>>)> {
        parse(page, "https://ex.gc.ca/blog/", PageSelectors::default())
            .unwrap()
            .posts
            .into_iter()
            .map(|(m, posts)| (m, posts.into_iter().map(|p| p.title).collect()))
            .collect()
    }

    #[test]
    fn graph_pages_and_classic_hatom() {
        let page = r#"<html><head><script type="application/ld+json">{"@context":"https://schema.org","@graph":[
            {"@type":"WebPage","name":"Blog","dateModified":"2026-12-01"},
            {"@type":"WebPage","headline":"A page that is an article","datePublished":"2026-11-01"},
            {"@type":"BlogPosting","headline":"In the graph","datePublished":"2026-12-02"},
            {"@type":"Article","name":"Undated, linked","url":"/blog/x"},
            {"@type":"Article","name":"Undated, unlinked"}]}</script></head><body>
            <div itemscope itemtype="http://schema.org/Report"><h2 itemprop="name">A report</h2>
              <meta itemprop="dateCreated" content="2026-10-01"></div>
            <div class="hfeed"><div class="hentry"><h2 class="entry-title">Classic</h2>
              <abbr class="published" title="2026-09-01T10:00:00-04:00">1 Sept</abbr>
              <span class="author vcard"><span class="fn">Ann</span></span></div></div>
            </body></html>"#;
        let s = |t: &str| Some(t.to_string());
        assert_eq!(
            found(page),
            [
                (
                    PostMethod::JsonLd,
                    vec![
                        s("A page that is an article"),
                        s("In the graph"),
                        s("Undated, linked")
                    ]
                ),
                (PostMethod::Microdata, vec![s("A report")]),
                (PostMethod::HEntry, vec![s("Classic")]),
            ]
        );
        let document = parse(page, "https://ex.gc.ca/blog/", PageSelectors::default()).unwrap();
        let classic = &document.posts[2].1[0];
        assert_eq!(classic.author.as_deref(), Some("Ann"));
        assert_eq!(
            classic.published.as_deref(),
            Some("2026-09-01T10:00:00-0400")
        );
        assert_eq!(counts(&document.posts), "JSON-LD 3, microdata 1, h-entry 1");
    }
}
