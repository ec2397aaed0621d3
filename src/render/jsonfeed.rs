//! JSON Feed 1.1 for the merged blog roll, written with serde. Each item carries a
//! `_bulletin` extension object naming its source and department (JSON Feed reserves
//! keys starting with an underscore for extensions).

use serde::Serialize;

use super::{FeedMeta, post_id};
use crate::model::StoredPost;

#[derive(Serialize)]
struct JsonFeed<'a> {
    version: &'static str,
    title: &'a str,
    description: &'a str,
    home_page_url: &'a str,
    feed_url: &'a str,
    language: &'a str,
    items: Vec<JsonItem<'a>>,
}

#[derive(Serialize)]
struct JsonItem<'a> {
    id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    url: Option<&'a str>,
    title: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    content_html: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    summary: Option<String>,
    date_published: String,
    date_modified: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    authors: Vec<JsonAuthor<'a>>,
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    tags: &'a [String],
    #[serde(skip_serializing_if = "Option::is_none")]
    language: Option<&'a str>,
    _bulletin: JsonSource<'a>,
}

#[derive(Serialize)]
struct JsonAuthor<'a> {
    name: &'a str,
}

#[derive(Serialize)]
struct JsonSource<'a> {
    source_id: &'a str,
    source_name: &'a str,
    department: &'a str,
}

pub fn render(meta: &FeedMeta, posts: &[StoredPost]) -> Vec<u8> {
    let feed = JsonFeed {
        version: "https://jsonfeed.org/version/1.1",
        title: &meta.title,
        description: &meta.description,
        home_page_url: &meta.page_url,
        feed_url: &meta.self_url,
        language: &meta.language,
        items: posts.iter().map(item).collect(),
    };
    serde_json::to_vec_pretty(&feed).expect("serialising plain data cannot fail")
}

/// One post as the blog roll's items are written, as a JSON value (an export adds its own
/// fields to the item's `_bulletin` object).
pub fn item_value(stored: &StoredPost) -> serde_json::Value {
    serde_json::to_value(item(stored)).expect("serialising plain data cannot fail")
}

fn item(stored: &StoredPost) -> JsonItem<'_> {
    let post = &stored.post;
    let content_html = super::body_html(stored);
    JsonItem {
        id: post_id(stored),
        url: post.link.as_deref(),
        title: &post.title,
        // JSON Feed needs content_html or content_text; the title stands in when a post
        // has no body at all.
        content_html: Some(content_html.unwrap_or(&post.title)),
        summary: post.summary_html.as_deref().map(|html| {
            crate::markup::plain_text(&crate::markup::TextBody {
                text: html.to_string(),
                is_html: true,
            })
        }),
        date_published: stored.date().to_rfc3339(),
        date_modified: stored.updated().to_rfc3339(),
        authors: post.author.iter().map(|name| JsonAuthor { name }).collect(),
        tags: &post.categories,
        language: post.language.as_deref(),
        _bulletin: JsonSource {
            source_id: &post.source_id,
            source_name: &stored.source_name,
            department: &stored.department,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::fixtures;

    #[test]
    fn is_valid_json_feed_read_back_by_feed_rs() {
        let bytes = render(&fixtures::meta(), &fixtures::posts());
        let value: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
        assert_eq!(value["version"], "https://jsonfeed.org/version/1.1");
        assert_eq!(
            value["items"][0]["_bulletin"]["department"],
            "Cabinet Office (UK)"
        );
        let feed = feed_rs::parser::parse(bytes.as_slice()).expect("feed-rs reads our JSON Feed");
        assert_eq!(
            feed.entries[1].title.as_ref().unwrap().content,
            "Café-causerie sur l'accessibilité"
        );
        assert_eq!(
            feed.entries[0].published.unwrap().to_rfc3339(),
            "2026-11-03T14:30:00+00:00"
        );
    }
}
