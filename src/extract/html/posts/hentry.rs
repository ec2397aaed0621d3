//! h-entry items to posts: every item typed `h-entry` (classic `hentry` included, read by
//! mf2 backcompat), at any depth — top level, inside an `h-feed`, a property's value, a
//! child — in the order item, its property values, its children. Title is `name[0]`, the
//! link `url[0]`, dates `published[0]`/`updated[0]` as mf2 normalised them, the author
//! `author[0]` (a nested card's name, else its value), the summary `summary[0]`, else the
//! text of `content[0]`.

use super::PagePost;
use crate::extract::html::mf2::{Document, Item, PropValue};
use crate::extract::html::{DateStyle, collapse};

/// The page's h-entries.
pub fn posts(document: &Document) -> Vec<PagePost> {
    let mut out = Vec::new();
    let mut stack: Vec<usize> = document.top.iter().rev().copied().collect();
    let mut steps = 0usize;
    let limit = document.items.len().saturating_mul(4).max(1024);
    while let Some(index) = stack.pop() {
        steps += 1;
        if steps > limit {
            break;
        }
        let item = &document.items[index];
        if item.types.iter().any(|t| t == "h-entry")
            && let Some(post) = read(document, item)
        {
            out.push(post);
        }
        let mut next: Vec<usize> = item
            .properties
            .iter()
            .flat_map(|(_, values)| values.iter())
            .filter_map(|v| match v {
                PropValue::Item { index, .. } => Some(*index),
                _ => None,
            })
            .collect();
        next.extend(&item.children);
        stack.extend(next.into_iter().rev());
    }
    out
}

fn text(item: &Item, name: &str) -> Option<String> {
    item.first(name)
        .and_then(PropValue::text)
        .map(str::to_string)
}

fn trimmed(value: Option<String>) -> Option<String> {
    value
        .map(|v| v.trim_matches(char::is_whitespace).to_string())
        .filter(|v| !v.is_empty())
}

fn author(document: &Document, item: &Item) -> Option<String> {
    let text = match item.first("author")? {
        PropValue::Item { index, value } => match document.items[*index].first("name") {
            Some(PropValue::Text(name)) if !collapse(name).is_empty() => Some(name.clone()),
            _ => value.clone(),
        },
        other => other.text().map(str::to_string),
    }?;
    Some(collapse(&text)).filter(|t| !t.is_empty())
}

fn read(document: &Document, item: &Item) -> Option<PagePost> {
    let title = collapse(&text(item, "name")?);
    if title.is_empty() {
        return None;
    }
    let categories = item
        .properties
        .iter()
        .filter(|(n, _)| n == "category")
        .flat_map(|(_, values)| values.iter())
        .filter_map(|v| v.text().map(collapse))
        .filter(|v| !v.is_empty())
        .collect();
    Some(PagePost {
        title: Some(title),
        url: trimmed(text(item, "url")),
        author: author(document, item),
        published: trimmed(text(item, "published")),
        updated: trimmed(text(item, "updated")),
        date_style: DateStyle::Iso,
        summary: text(item, "summary")
            .or_else(|| text(item, "content"))
            .map(|s| collapse(&s))
            .filter(|s| !s.is_empty()),
        language: None,
        categories,
    })
}
