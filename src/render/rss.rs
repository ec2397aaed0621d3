//! RSS 2.0 for the merged blog roll, written with the `rss` crate: `atom:link rel="self"`,
//! RFC 822 dates with a numeric zone, `guid isPermaLink="false"` (our ids are URNs),
//! `<source>` naming the originating blog, `dc:creator` for authors (RSS's own `author`
//! wants an email address), and HTML escaped inside `description`.

use std::collections::BTreeMap;

use rss::extension::atom::{AtomExtension, Link};
use rss::extension::dublincore::DublinCoreExtension;
use rss::{Category, Channel, Guid, Item, Source};

use super::{FeedMeta, body_html, post_id, xml_safe};
use crate::model::StoredPost;

/// Renders the feed; `source_urls` maps source ids to their own feed URLs for `<source>`.
pub fn render(
    meta: &FeedMeta,
    posts: &[StoredPost],
    source_urls: &BTreeMap<String, String>,
) -> Vec<u8> {
    let items: Vec<Item> = posts.iter().map(|p| item(p, source_urls)).collect();
    channel_bytes(meta, items)
}

/// An RSS 2.0 channel of `items` described by `meta` (with `atom:link rel="self"` and the
/// Dublin Core namespace), written out; the events feed writes its channel here too.
pub(super) fn channel_bytes(meta: &FeedMeta, items: Vec<Item>) -> Vec<u8> {
    let capacity = 4096 + items.len() * 2048;
    let mut self_link = Link::default();
    self_link.set_href(meta.self_url.clone());
    self_link.set_rel("self".to_string());
    self_link.set_mime_type(Some("application/rss+xml".to_string()));
    let mut atom = AtomExtension::default();
    atom.set_links(vec![self_link]);
    let mut namespaces = BTreeMap::new();
    namespaces.insert(
        "atom".to_string(),
        "http://www.w3.org/2005/Atom".to_string(),
    );
    namespaces.insert(
        "dc".to_string(),
        "http://purl.org/dc/elements/1.1/".to_string(),
    );
    let channel = Channel {
        title: xml_safe(&meta.title).into_owned(),
        link: meta.page_url.clone(),
        description: xml_safe(&meta.description).into_owned(),
        language: Some(meta.language.clone()),
        last_build_date: Some(meta.updated.to_rfc2822()),
        generator: Some(format!("Bulletin {}", env!("CARGO_PKG_VERSION"))),
        ttl: Some("30".to_string()),
        items,
        atom_ext: Some(atom),
        namespaces,
        ..Channel::default()
    };
    let mut bytes = Vec::with_capacity(capacity);
    channel
        .pretty_write_to(&mut bytes, b' ', 1)
        .expect("writing to memory cannot fail");
    bytes
}

fn item(stored: &StoredPost, source_urls: &BTreeMap<String, String>) -> Item {
    let post = &stored.post;
    let dublin_core = post.author.as_ref().map(|author| {
        let mut dc = DublinCoreExtension::default();
        dc.set_creators(vec![xml_safe(author).into_owned()]);
        dc
    });
    let source = source_urls.get(&post.source_id).map(|url| Source {
        url: url.clone(),
        title: Some(xml_safe(&stored.source_name).into_owned()),
    });
    let mut categories: Vec<Category> = post
        .categories
        .iter()
        .map(|c| Category {
            name: xml_safe(c).into_owned(),
            domain: None,
        })
        .collect();
    if !stored.department.is_empty() {
        categories.push(Category {
            name: xml_safe(&stored.department).into_owned(),
            domain: Some("department".to_string()),
        });
    }
    Item {
        title: Some(xml_safe(&post.title).into_owned()),
        link: post.link.clone(),
        description: body_html(stored).map(|html| xml_safe(html).into_owned()),
        guid: Some(Guid {
            value: post_id(stored),
            permalink: false,
        }),
        pub_date: Some(stored.date().to_rfc2822()),
        source,
        categories,
        dublin_core_ext: dublin_core,
        ..Item::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::fixtures;

    #[test]
    fn reads_back_with_an_independent_parser() {
        let mut urls = BTreeMap::new();
        urls.insert(
            "gds-blog".to_string(),
            "https://gds.blog.example.gov.uk/feed/".to_string(),
        );
        let bytes = render(&fixtures::meta(), &fixtures::posts(), &urls);
        let text = String::from_utf8(bytes.clone()).unwrap();
        assert!(text.contains(r#"<atom:link href="https://bulletin.example.gc.ca/feed.rss?tag=digital" rel="self" type="application/rss+xml"/>"#), "{text}");
        assert!(
            text.contains("<pubDate>Tue, 3 Nov 2026 14:30:00 +0000</pubDate>"),
            "{text}"
        );
        assert!(!text.contains('\u{1}'));
        let feed = feed_rs::parser::parse(bytes.as_slice()).expect("feed-rs reads our RSS");
        assert_eq!(feed.entries.len(), 2);
        let first = &feed.entries[0];
        assert_eq!(
            first.title.as_ref().unwrap().content,
            "Design systems & <you>"
        );
        assert_eq!(first.authors[0].name.as_deref(), Some("Jane Smith"));
        assert!(first.id.starts_with("urn:bulletin:post:gds-blog:"));
        // The second post has no date: its first-seen time is published instead.
        assert_eq!(
            feed.entries[1].published.unwrap().to_rfc3339(),
            "2026-11-02T09:30:00+00:00"
        );
    }
}
