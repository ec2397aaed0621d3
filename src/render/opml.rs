//! OPML 2.0 of the blog roll's sources, grouped by department, for importing every
//! feed into a reader at once. Written with the `opml` crate. Sources that publish a feed
//! at a URL are listed as feeds (`type="rss"`, `xmlUrl`); pages whose posts Bulletin reads
//! without a feed as links to the page (`type="link"`, `url`), which a reader does not
//! subscribe to; calendars are left out.

use opml::{Body, Head, OPML, Outline};

use super::xml_safe;
use crate::model::{Location, Source, SourceKind};

/// One feed of the blog roll.
#[derive(Debug, Clone, PartialEq)]
pub struct BlogrollFeed<'a> {
    pub source: &'a Source,
    /// The site the feed belongs to, when its feed names it.
    pub home: Option<&'a str>,
    /// A page read for posts, not a feed.
    pub page: bool,
}

/// Which sources are blogs without a feed: pages at a web address that gave posts.
pub fn is_page_blog(source: &Source, detected: Option<SourceKind>, has_posts: bool) -> bool {
    has_posts
        && matches!(source.location, Location::Url(_))
        && source.kind.or(detected) == Some(SourceKind::Html)
}

/// Which sources a feed reader can follow: feeds (declared, or found to be feeds at
/// their latest fetch) at a web address. Calendars and pages are not feeds: the blog
/// roll leaves them out.
pub fn is_feed(source: &Source, detected: Option<SourceKind>) -> bool {
    matches!(source.location, Location::Url(_))
        && match source.kind {
            Some(kind) => kind == SourceKind::Feed,
            None => detected == Some(SourceKind::Feed),
        }
}

pub fn render(title: &str, feeds: &[BlogrollFeed<'_>]) -> Vec<u8> {
    let mut departments: Vec<(String, Vec<Outline>)> = Vec::new();
    for feed in feeds {
        let source = feed.source;
        let Location::Url(url) = &source.location else {
            continue;
        };
        let outline = if feed.page {
            Outline {
                text: xml_safe(&source.name).into_owned(),
                title: Some(xml_safe(&source.name).into_owned()),
                r#type: Some("link".into()),
                url: Some(url.to_string()),
                category: (!source.tags.is_empty()).then(|| source.tags.join(",")),
                ..Outline::default()
            }
        } else {
            Outline {
                text: xml_safe(&source.name).into_owned(),
                title: Some(xml_safe(&source.name).into_owned()),
                r#type: Some("rss".into()),
                xml_url: Some(url.to_string()),
                html_url: feed.home.map(|h| xml_safe(h).into_owned()),
                category: (!source.tags.is_empty()).then(|| source.tags.join(",")),
                ..Outline::default()
            }
        };
        let department = if source.department.is_empty() {
            "—".to_string()
        } else {
            source.department.clone()
        };
        match departments.iter_mut().find(|(name, _)| *name == department) {
            Some((_, outlines)) => outlines.push(outline),
            None => departments.push((department, vec![outline])),
        }
    }
    departments.sort_by(|a, b| a.0.cmp(&b.0));
    let document = OPML {
        version: "2.0".into(),
        head: Some(Head {
            title: Some(xml_safe(title).into_owned()),
            ..Head::default()
        }),
        body: Body {
            outlines: departments
                .into_iter()
                .map(|(department, outlines)| Outline {
                    text: xml_safe(&department).into_owned(),
                    title: Some(xml_safe(&department).into_owned()),
                    outlines,
                    ..Outline::default()
                })
                .collect(),
        },
    };
    let xml = document.to_string().expect("plain data always serialises");
    let mut bytes = b"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n".to_vec();
    bytes.extend_from_slice(xml.as_bytes());
    bytes
}

#[cfg(test)]
mod tests {
    use super::*;

    fn source(id: &str, department: &str, location: Location, kind: Option<SourceKind>) -> Source {
        Source {
            id: id.into(),
            name: format!("{id} & co"),
            department: department.into(),
            tags: vec!["digital".into(), "blogs".into()],
            kind,
            location,
            schedule: None,
            timezone: None,
            selectors: None,
            post_selectors: None,
            events_from_links: false,
            language: None,
            translation_of: None,
        }
    }

    #[test]
    fn lists_feed_sources_by_department() {
        let url = |u: &str| Location::Url(u.parse().unwrap());
        let sources = [
            source("b", "Health Canada", url("https://b.example/feed"), None),
            source(
                "a",
                "Cabinet Office",
                url("https://a.example/feed"),
                Some(SourceKind::Feed),
            ),
            source(
                "cal",
                "Cabinet Office",
                url("https://a.example/cal.ics"),
                Some(SourceKind::Ical),
            ),
            source(
                "file",
                "Cabinet Office",
                Location::File("x.xml".into()),
                None,
            ),
        ];
        let detected = [Some(SourceKind::Feed), None, None, Some(SourceKind::Feed)];
        let feeds: Vec<BlogrollFeed<'_>> = sources
            .iter()
            .zip(detected)
            .filter(|(source, detected)| is_feed(source, *detected))
            .map(|(source, _)| BlogrollFeed {
                source,
                home: (source.id == "a").then_some("https://a.example/"),
                page: false,
            })
            .collect();
        let bytes = render("Blog roll", &feeds);
        let text = String::from_utf8(bytes).unwrap();
        // Read back with an XML parser that is not the one that wrote it.
        let doc = roxmltree::Document::parse(&text).unwrap();
        let groups: Vec<_> = doc
            .descendants()
            .filter(|n| n.has_tag_name("outline") && n.attribute("xmlUrl").is_none())
            .map(|n| n.attribute("text").unwrap())
            .collect();
        assert_eq!(groups, ["Cabinet Office", "Health Canada"]);
        let feeds: Vec<_> = doc
            .descendants()
            .filter_map(|n| n.attribute("xmlUrl"))
            .collect();
        assert_eq!(feeds, ["https://a.example/feed", "https://b.example/feed"]);
        assert!(text.contains(r#"text="a &amp; co""#));
        assert!(text.contains(r#"htmlUrl="https://a.example/""#), "{text}");
        assert!(
            !text.contains("cal.ics"),
            "calendars are not offered to feed readers"
        );
    }
}
