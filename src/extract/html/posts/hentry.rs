//! h-entry items to posts: every item typed `h-entry` (classic `hentry` included, read by
//! mf2 backcompat), at any depth — top level, inside an `h-feed`, a property's value, a
//! child — in the order item, its property values, its children. Title is `name[0]`, the
//! link `url[0]`, dates `published[0]`/`updated[0]` as mf2 normalised them, the author
//! `author[0]` (a nested card's name, else its value), the summary `summary[0]`, else the
//! text of `content[0]`.

use super::PagePost;
use crate::extract::html::mf2::{Document, Item, PropValue, trimmed};
use crate::extract::html::{DateStyle, collapse};

/// The page's h-entries.
pub fn posts(document: &Document) -> Vec<PagePost> {
    document
        .items_of_type("h-entry")
        .into_iter()
        .filter_map(|item| read(document, item))
        .collect()
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
    let title = collapse(&item.first_text("name")?);
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
        url: trimmed(item.first_text("url")),
        author: author(document, item),
        published: trimmed(item.first_text("published")),
        updated: trimmed(item.first_text("updated")),
        date_style: DateStyle::Iso,
        summary: item
            .first_text("summary")
            .or_else(|| item.first_text("content"))
            .map(|s| collapse(&s))
            .filter(|s| !s.is_empty()),
        language: None,
        categories,
    })
}
