//! Atom 1.0 for the merged blog roll, written with `atom_syndication`: a stable feed id
//! per view, `updated` on the feed and every entry, `link rel="self"`, HTML content as
//! `type="html"` (escaped), and `<source>` naming the originating blog.

use atom_syndication::{
    Category, Content, Entry, Feed, FixedDateTime, Generator, Link, Person, Source, Text,
};
use chrono::{DateTime, Utc};

use super::{FeedMeta, post_id, xml_safe};
use crate::model::StoredPost;

pub fn render(meta: &FeedMeta, posts: &[StoredPost]) -> Vec<u8> {
    let feed = Feed {
        title: Text::plain(xml_safe(&meta.title).into_owned()),
        id: meta.id.clone(),
        updated: fixed(meta.updated),
        subtitle: Some(Text::plain(xml_safe(&meta.description).into_owned())),
        links: vec![
            link(&meta.self_url, "self", "application/atom+xml"),
            link(&meta.page_url, "alternate", "text/html"),
        ],
        generator: Some(Generator {
            value: "Bulletin".into(),
            uri: None,
            version: Some(env!("CARGO_PKG_VERSION").into()),
        }),
        lang: Some(meta.language.clone()),
        entries: posts.iter().map(entry).collect(),
        ..Feed::default()
    };
    let mut bytes = Vec::with_capacity(4096 + posts.len() * 2048);
    feed.write_to(&mut bytes)
        .expect("writing to memory cannot fail");
    bytes
}

fn entry(stored: &StoredPost) -> Entry {
    let post = &stored.post;
    let html = |s: &str| Text::html(xml_safe(s).into_owned());
    Entry {
        title: Text::plain(xml_safe(&post.title).into_owned()),
        id: post_id(stored),
        updated: fixed(stored.updated()),
        published: Some(fixed(stored.date())),
        // RFC 4287 §4.1.2: every entry has an author — the post's, else its blog's.
        authors: vec![Person {
            name: xml_safe(post.author.as_deref().unwrap_or(&stored.source_name)).into_owned(),
            ..Person::default()
        }],
        // The post's page, then its pages in other languages (RFC 4287 §4.2.7.4).
        links: post
            .link
            .iter()
            .map(|href| link(href, "alternate", "text/html"))
            .chain(stored.versions.iter().filter_map(|v| {
                let href = v.link.as_deref()?;
                Some(Link {
                    hreflang: Some(v.language.clone()).filter(|l| !l.is_empty()),
                    title: Some(xml_safe(&v.title).into_owned()),
                    ..link(href, "alternate", "text/html")
                })
            }))
            .collect(),
        summary: post.summary_html.as_deref().map(html),
        content: post.content_html.as_deref().map(|body| Content {
            value: Some(xml_safe(body).into_owned()),
            content_type: Some("html".into()),
            ..Content::default()
        }),
        categories: post
            .categories
            .iter()
            .map(|term| Category {
                term: xml_safe(term).into_owned(),
                ..Category::default()
            })
            .collect(),
        source: Some(Source {
            title: Text::plain(xml_safe(&stored.source_name).into_owned()),
            id: format!("urn:bulletin:source:{}", post.source_id),
            updated: fixed(stored.changed),
            ..Source::default()
        }),
        ..Entry::default()
    }
}

fn link(href: &str, rel: &str, mime: &str) -> Link {
    Link {
        href: href.to_string(),
        rel: rel.to_string(),
        mime_type: Some(mime.to_string()),
        ..Link::default()
    }
}

fn fixed(time: DateTime<Utc>) -> FixedDateTime {
    time.fixed_offset()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::fixtures;

    #[test]
    fn reads_back_with_an_independent_parser() {
        let bytes = render(&fixtures::meta(), &fixtures::posts());
        let feed = feed_rs::parser::parse(bytes.as_slice()).expect("feed-rs reads our Atom");
        assert_eq!(feed.id, "urn:bulletin:feed:tag=digital");
        assert_eq!(feed.entries.len(), 2);
        let first = &feed.entries[0];
        assert_eq!(
            first.updated.unwrap().to_rfc3339(),
            "2026-11-03T15:30:00+00:00"
        );
        assert_eq!(
            first.published.unwrap().to_rfc3339(),
            "2026-11-03T14:30:00+00:00"
        );
        assert!(
            first
                .content
                .as_ref()
                .unwrap()
                .body
                .as_ref()
                .unwrap()
                .contains("<strong>content</strong>")
        );
        assert!(feed.links.iter().any(|l| l.rel.as_deref() == Some("self")
            && l.href == "https://bulletin.example.gc.ca/feed.rss?tag=digital"));
    }
}
