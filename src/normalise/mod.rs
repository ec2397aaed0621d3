//! Normalising: from extracted, format-shaped records to the pipeline's [`Post`]s.
//!
//! Owns the rules every format shares: stable entry ids, absolute links, sanitised HTML,
//! plain-text titles. Pure functions; the clock and the store are not consulted (an entry
//! without a date keeps `None` here, and the store keeps its first-seen time).

pub mod calendar;
pub mod dates;
pub mod dedup;
mod html;
pub mod language;
pub mod page;
pub mod page_posts;
pub mod recurrence;
pub mod zones;

pub use crate::markup::{escape_html, plain_text};
pub use html::sanitise_html;

use sha2::{Digest, Sha256};
use url::Url;

use crate::budget::{Budget, EntriesCut};
use crate::extract::{FeedDocument, FeedEntry};
use crate::markup::{TextBody, TooComplex};
use crate::model::Post;

/// At most this many entries whose markup was left out are named; the rest are counted.
pub const MAX_NAMED_ENTRIES: usize = 20;

/// What a feed's entries gave: posts, and a warning for each entry (up to
/// [`MAX_NAMED_ENTRIES`]) whose title, summary or content was too complex to read.
#[derive(Debug, Default)]
pub struct FeedPosts {
    pub posts: Vec<Post>,
    pub warnings: Vec<String>,
}

/// Turns a parsed feed into posts for `source_id`. `document_url` is where the feed was
/// read from: the base of last resort for relative links. The document's `budget` is
/// checked before each entry (sanitising is most of a feed's work).
pub fn posts_from_feed(
    source_id: &str,
    document_url: &str,
    feed: &FeedDocument,
    budget: &mut Budget,
) -> Result<FeedPosts, EntriesCut> {
    let document_base = Url::parse(document_url).ok();
    let home_base = feed
        .home_link
        .as_deref()
        .and_then(|home| resolve(home, document_base.as_ref()))
        .and_then(|home| Url::parse(&home).ok());
    let feed_base = home_base.or(document_base);
    let mut out = FeedPosts {
        posts: Vec::with_capacity(feed.entries.len()),
        warnings: Vec::new(),
    };
    let mut unnamed = 0usize;
    let mut seen = std::collections::HashSet::new();
    for (index, entry) in feed.entries.iter().enumerate() {
        budget.check_now().map_err(|exhausted| EntriesCut {
            exhausted,
            read: index,
            total: feed.entries.len(),
        })?;
        let (post, refused) = post_from_entry(
            source_id,
            entry,
            feed_base.as_ref(),
            feed.language.as_deref(),
        );
        if let Some(warning) = refused.warning(entry, index) {
            if out.warnings.len() < MAX_NAMED_ENTRIES {
                out.warnings.push(warning);
            } else {
                unnamed += 1;
            }
        }
        // A feed that repeats an entry id keeps the first occurrence (it is the newest).
        if seen.insert(post.entry_id.clone()) {
            out.posts.push(post);
        }
    }
    if unnamed > 0 {
        out.warnings.push(format!(
            "… and {unnamed} more entries whose markup was too complex to read"
        ));
    }
    Ok(out)
}

/// The parts of an entry left out because their markup was too complex to read.
#[derive(Default)]
struct Refused {
    parts: Vec<&'static str>,
    reason: Option<TooComplex>,
}

impl Refused {
    fn note<T>(&mut self, part: &'static str, read: Result<T, TooComplex>) -> Option<T> {
        match read {
            Ok(value) => Some(value),
            Err(reason) => {
                self.parts.push(part);
                self.reason.get_or_insert(reason);
                None
            }
        }
    }

    /// "entry “Deep”: its content is left out: its markup nests …".
    fn warning(&self, entry: &FeedEntry, index: usize) -> Option<String> {
        let reason = self.reason.as_ref()?;
        let name = entry
            .title
            .as_ref()
            .and_then(|t| crate::markup::try_plain_text(t).ok())
            .filter(|t| !t.is_empty())
            .or_else(|| entry.id.clone())
            .or_else(|| entry.link.clone())
            .unwrap_or_else(|| format!("number {}", index + 1));
        let (parts, verb) = match self.parts.as_slice() {
            [one] => (one.to_string(), "is"),
            [rest @ .., last] => (format!("{} and {last}", rest.join(", ")), "are"),
            [] => return None,
        };
        Some(format!(
            "entry “{name}”: its {parts} {verb} left out: {reason}"
        ))
    }
}

fn post_from_entry(
    source_id: &str,
    entry: &FeedEntry,
    feed_base: Option<&Url>,
    feed_language: Option<&str>,
) -> (Post, Refused) {
    let mut refused = Refused::default();
    let base = entry
        .base
        .as_deref()
        .and_then(|b| resolve(b, feed_base))
        .and_then(|b| Url::parse(&b).ok())
        .or_else(|| feed_base.cloned());
    let link = entry
        .link
        .as_deref()
        .and_then(|l| resolve(l, base.as_ref()));
    let title = entry
        .title
        .as_ref()
        .and_then(|t| refused.note("title", crate::markup::try_plain_text(t)))
        .filter(|t| !t.is_empty())
        .unwrap_or_else(|| untitled(entry));
    let entry_id = entry
        .id
        .clone()
        .or_else(|| link.clone())
        .unwrap_or_else(|| entry_derived_id(&title, entry));
    let summary_html = entry
        .summary
        .as_ref()
        .and_then(|s| refused.note("summary", body_html(s, base.as_ref())));
    let content_html = entry
        .content
        .as_ref()
        .and_then(|c| refused.note("content", body_html(c, base.as_ref())));
    let post = Post {
        source_id: source_id.to_string(),
        entry_id,
        link,
        title,
        author: entry.author.clone(),
        published: entry.published,
        updated: entry.updated,
        summary_html,
        content_html,
        language: entry
            .language
            .clone()
            .or_else(|| feed_language.map(str::to_string)),
        categories: entry.categories.clone(),
        translations: entry
            .translations
            .iter()
            .filter_map(|(tag, href)| {
                Some(crate::model::Translation {
                    language: language::code(tag)?,
                    url: resolve(href, base.as_ref())?,
                })
            })
            .collect(),
    };
    (post, refused)
}

/// The absolute URLs of the iCalendar files a feed's entries carry.
pub fn calendar_links_from_feed(document_url: &str, feed: &FeedDocument) -> Vec<String> {
    let base = Url::parse(document_url).ok();
    let mut links: Vec<String> = feed
        .entries
        .iter()
        .flat_map(|e| e.calendar_links.iter())
        .filter_map(|link| resolve(link, base.as_ref()))
        .collect();
    links.dedup();
    links
}

/// An entry without a title is named by the start of its text, as feed readers do.
fn untitled(entry: &FeedEntry) -> String {
    let text = entry
        .summary
        .as_ref()
        .or(entry.content.as_ref())
        .map(plain_text)
        .unwrap_or_default();
    let words: String = text.chars().take(80).collect();
    if words.is_empty() {
        "(untitled)".to_string()
    } else {
        words
    }
}

/// A stable id for an entry with neither id nor link: a hash of its title and date.
fn entry_derived_id(title: &str, entry: &FeedEntry) -> String {
    let date = entry
        .published
        .or(entry.updated)
        .map(|d| d.to_rfc3339())
        .unwrap_or_default();
    derived_id(title, &date)
}

/// A stable id from a title and a date: what identifies a record that has no id.
pub fn derived_id(title: &str, date: &str) -> String {
    let digest = Sha256::digest(format!("{title}\n{date}").as_bytes());
    let hex: String = digest.iter().take(16).map(|b| format!("{b:02x}")).collect();
    format!("sha256:{hex}")
}

/// Text from a calendar or page: line ends normalised, runs of blank lines and trailing
/// spaces removed.
pub fn clean_text(text: &str) -> String {
    let text = text.replace("\r\n", "\n").replace('\r', "\n");
    let mut out: Vec<&str> = Vec::new();
    for line in text.lines().map(str::trim_end) {
        if line.trim().is_empty() && out.last().is_none_or(|l| l.trim().is_empty()) {
            continue;
        }
        out.push(line);
    }
    while out.last().is_some_and(|l| l.trim().is_empty()) {
        out.pop();
    }
    out.join("\n").trim().to_string()
}

/// Hosts of online-meeting services, whose links are an event's online location.
const MEETING_HOSTS: &[&str] = &[
    "teams.microsoft.com",
    "teams.live.com",
    "zoom.us",
    "zoomgov.com",
    "meet.google.com",
    "webex.com",
    "gotomeeting.com",
    "whereby.com",
    "meet.jit.si",
    "gcmeet",
    "msteams",
];

/// The first online-meeting link in these texts.
pub fn find_online_link<'a>(texts: impl IntoIterator<Item = Option<&'a str>>) -> Option<String> {
    let finder = linkify::LinkFinder::new();
    texts.into_iter().flatten().find_map(|text| {
        finder
            .links(text)
            .filter(|l| *l.kind() == linkify::LinkKind::Url)
            .map(|l| l.as_str().to_string())
            .find(|url| {
                Url::parse(url)
                    .ok()
                    .and_then(|u| u.host_str().map(|h| h.to_ascii_lowercase()))
                    .is_some_and(|host| {
                        MEETING_HOSTS.iter().any(|m| {
                            host == *m || host.ends_with(&format!(".{m}")) || host.contains(m)
                        })
                    })
            })
    })
}

fn body_html(body: &TextBody, base: Option<&Url>) -> Result<String, TooComplex> {
    if body.is_html {
        html::try_sanitise_html(&body.text, base)
    } else {
        let text = body.text.replace("\r\n", "\n");
        Ok(text
            .split("\n\n")
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .map(|p| format!("<p>{}</p>", escape_html(p).replace('\n', "<br>")))
            .collect())
    }
}

/// Resolves `href` against `base`; only http(s) results are kept.
pub fn resolve(href: &str, base: Option<&Url>) -> Option<String> {
    let href = href.trim();
    let url = match Url::parse(href) {
        Ok(url) => url,
        Err(url::ParseError::RelativeUrlWithoutBase) => base?.join(href).ok()?,
        Err(_) => return None,
    };
    matches!(url.scheme(), "http" | "https").then(|| url.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry() -> FeedEntry {
        FeedEntry {
            id: None,
            link: None,
            base: None,
            title: Some(TextBody {
                text: "Hello".into(),
                is_html: false,
            }),
            author: None,
            published: None,
            updated: None,
            summary: None,
            content: None,
            language: None,
            categories: vec![],
            calendar_links: vec![],
            translations: vec![],
        }
    }

    fn feed(entries: Vec<FeedEntry>) -> FeedDocument {
        FeedDocument {
            title: Some("T".into()),
            home_link: Some("https://blog.example.gov.uk/".into()),
            language: Some("en-GB".into()),
            entries,
            ..FeedDocument::default()
        }
    }

    fn read(feed: FeedDocument) -> Vec<Post> {
        posts_from_feed(
            "s",
            "https://feeds.example.org/f.xml",
            &feed,
            &mut Budget::unlimited(),
        )
        .unwrap()
        .posts
    }

    #[test]
    fn entries_whose_markup_is_too_deep_are_named_not_dropped_silently() {
        let deep = TextBody {
            text: "<div>".repeat(1_000),
            is_html: true,
        };
        let entries: Vec<FeedEntry> = (0..25)
            .map(|n| FeedEntry {
                id: Some(format!("urn:{n}")),
                title: Some(TextBody {
                    text: format!("Post {n}"),
                    is_html: false,
                }),
                summary: Some(deep.clone()),
                content: Some(deep.clone()),
                ..entry()
            })
            .collect();
        let read = posts_from_feed(
            "s",
            "https://feeds.example.org/f.xml",
            &feed(entries),
            &mut Budget::unlimited(),
        )
        .unwrap();
        assert_eq!(read.posts.len(), 25, "the entries are kept");
        assert_eq!(read.posts[0].content_html, None);
        assert_eq!(
            read.warnings.len(),
            MAX_NAMED_ENTRIES + 1,
            "{:?}",
            read.warnings
        );
        assert_eq!(
            read.warnings[0],
            "entry “Post 0”: its summary and content are left out: its markup nests elements more than 512 levels deep"
        );
        assert_eq!(
            read.warnings[MAX_NAMED_ENTRIES],
            "… and 5 more entries whose markup was too complex to read"
        );
    }

    #[test]
    fn a_spent_budget_stops_the_entries_by_name() {
        let mut budget = Budget::new(std::time::Duration::ZERO);
        while budget.used().is_zero() {
            std::hint::black_box(derived_id("spin", ""));
        }
        let cut = posts_from_feed(
            "s",
            "https://feeds.example.org/f.xml",
            &feed(vec![entry(), entry(), entry()]),
            &mut budget,
        )
        .unwrap_err();
        assert_eq!((cut.read, cut.total), (0, 3));
        assert!(
            cut.to_string().ends_with("abandoned after 0 of 3 entries"),
            "{cut}"
        );
    }

    #[test]
    fn ids_fall_back_from_guid_to_link_to_hash() {
        let with_id = FeedEntry {
            id: Some("urn:1".into()),
            link: Some("/a".into()),
            ..entry()
        };
        let with_link = FeedEntry {
            link: Some("/b".into()),
            ..entry()
        };
        let bare = entry();
        let posts = read(feed(vec![with_id, with_link, bare]));
        assert_eq!(posts[0].entry_id, "urn:1");
        assert_eq!(
            posts[0].link.as_deref(),
            Some("https://blog.example.gov.uk/a")
        );
        assert_eq!(posts[1].entry_id, "https://blog.example.gov.uk/b");
        assert!(posts[2].entry_id.starts_with("sha256:"));
        // Derived ids are stable.
        let again = read(feed(vec![entry()]));
        assert_eq!(again[0].entry_id, posts[2].entry_id);
        assert_eq!(posts[2].language.as_deref(), Some("en-GB"));
    }

    #[test]
    fn javascript_links_are_dropped() {
        let e = FeedEntry {
            link: Some("javascript:alert(1)".into()),
            ..entry()
        };
        let posts = read(feed(vec![e]));
        assert_eq!(posts[0].link, None);
    }

    #[test]
    fn plain_text_bodies_are_escaped_into_paragraphs() {
        let body = TextBody {
            text: "a < b\n\nsecond".into(),
            is_html: false,
        };
        assert_eq!(
            body_html(&body, None).unwrap(),
            "<p>a &lt; b</p><p>second</p>"
        );
    }
}
