//! Which schema.org items are posts, and what each says: every item typed one of
//! [`POST_TYPES`] wherever it sits (alone, in `@graph`, in an `ItemList`'s elements),
//! titled by its first string `headline`, else `name`; dated by `datePublished` (else
//! `dateCreated`) and `dateModified`. A `WebPage` is a post only with a `headline` and a
//! date (most pages describe themselves as one, by `name`); an article without a date is
//! kept when it links somewhere, so its own page can say when.

use super::PagePost;
use crate::budget::Budget;
use crate::extract::html::DateStyle;
use crate::extract::html::schema::{Graph, Item, Syntax, local_name};

/// Article and the article types government and blog pages use, plus `Report` and
/// `WebPage` (exact, case-sensitive local names).
pub const POST_TYPES: &[&str] = &[
    "Article",
    "AnalysisNewsArticle",
    "BackgroundNewsArticle",
    "BlogPosting",
    "LiveBlogPosting",
    "NewsArticle",
    "OpinionNewsArticle",
    "ReportageNewsArticle",
    "Report",
    "ScholarlyArticle",
    "TechArticle",
    "WebPage",
];

/// The posts of a graph, in the graph's order.
pub fn posts(graph: &Graph, budget: &mut Budget) -> Vec<PagePost> {
    let mut out = Vec::new();
    for item in &graph.items {
        if budget.check().is_err() {
            break;
        }
        let locals: Vec<&str> = item.types.iter().map(|t| local_name(t)).collect();
        if !locals.iter().any(|t| POST_TYPES.contains(t)) {
            continue;
        }
        let only_page = locals
            .iter()
            .all(|t| *t == "WebPage" || !POST_TYPES.contains(t));
        if let Some(post) = read(graph, item, only_page)
            && (post.published.is_some()
                || post.updated.is_some()
                || (!only_page && post.url.is_some()))
        {
            out.push(post);
        }
    }
    out
}

fn trimmed(text: Option<&str>) -> Option<String> {
    text.map(|t| t.trim_matches(char::is_whitespace).to_string())
        .filter(|t| !t.is_empty())
}

fn read(graph: &Graph, item: &Item, only_page: bool) -> Option<PagePost> {
    let headline = graph
        .first_text(item, "headline")
        .map(|t| graph.clean(t))
        .filter(|t| !t.is_empty());
    // A page names itself; only a page with a headline is an article.
    let title = match only_page {
        true => headline?,
        false => headline.or_else(|| {
            graph
                .first_text(item, "name")
                .map(|t| graph.clean(t))
                .filter(|t| !t.is_empty())
        })?,
    };
    let summary = ["description", "abstract"].iter().find_map(|name| {
        graph
            .first_text(item, name)
            .map(|t| graph.clean(t))
            .filter(|t| !t.is_empty())
    });
    Some(PagePost {
        title: Some(title),
        url: trimmed(graph.first_link(item, "url")),
        author: person(graph, item),
        published: trimmed(graph.first_text(item, "datePublished"))
            .or_else(|| trimmed(graph.first_text(item, "dateCreated"))),
        updated: trimmed(graph.first_text(item, "dateModified")),
        date_style: DateStyle::Iso,
        summary,
        language: trimmed(graph.first_text(item, "inLanguage")),
        categories: keywords(graph, item),
    })
}

/// The first `author` (else `creator`): its text, or the named item's `name`.
fn person(graph: &Graph, item: &Item) -> Option<String> {
    ["author", "creator"].iter().find_map(|name| {
        graph
            .values(item, name)
            .into_iter()
            .find_map(|v| match (&v.text, graph.item_of(v)) {
                (Some(text), _) => Some(graph.clean(text)),
                (None, Some(person)) => graph.first_text(person, "name").map(|n| graph.clean(n)),
                (None, None) => None,
            })
            .filter(|a| !a.is_empty())
    })
}

fn keywords(graph: &Graph, item: &Item) -> Vec<String> {
    let words: Vec<String> = graph
        .values(item, "keywords")
        .into_iter()
        .filter_map(|v| v.text.as_deref())
        .map(|t| match graph.syntax {
            Syntax::JsonLd => crate::extract::html::text::unescape(t),
            _ => t.to_string(),
        })
        .collect();
    let split: Vec<String> = if words.len() == 1 {
        words[0]
            .split(',')
            .map(crate::extract::html::collapse)
            .collect()
    } else {
        words
            .iter()
            .map(|w| crate::extract::html::collapse(w))
            .collect()
    };
    split.into_iter().filter(|w| !w.is_empty()).collect()
}
