//! Page posts to posts, as feed entries become posts: a stable id (the post's absolute
//! link, else a hash of title and date), the link made absolute against the page, dates
//! read (markup's ISO 8601 as for events, or page text in English or French) and turned
//! into instants in the source's zone, a summary escaped into paragraphs. [`choose`]
//! takes the most trusted method that found posts; a post whose listing gives no date,
//! or neither author nor summary, and whose own page is on the same site, is named for
//! reading that page ([`complete_from_detail`]).

use chrono::{DateTime, NaiveTime, Utc};
use url::Url;

use super::dates::{When, parse_markup, parse_text};
use super::dedup::language::same_page;
use super::page::PageSource;
use super::zones::local_to_utc;
use super::{body_html, derived_id, resolve};
use crate::extract::html::DateStyle;
use crate::extract::html::PageDocument;
use crate::extract::html::posts::{PagePost, PostMethod};
use crate::markup::TextBody;
use crate::model::Post;

/// A page's posts, read.
#[derive(Debug, Default)]
pub struct PagePosts {
    pub method: Option<PostMethod>,
    pub posts: Vec<Post>,
    /// Posts whose own page (same site) may give what the listing lacks: each with the
    /// listing as written, its link made absolute.
    pub incomplete: Vec<PagePost>,
    pub warnings: Vec<String>,
}

/// The posts of the most trusted method that found any. On a page that gives events, a
/// schema.org article without a link of its own (or linking the page itself) is the page
/// describing itself — GOV.UK marks every page up as a `NewsArticle`, Drupal's metatag
/// module as an `Article` — and not a post.
pub fn choose(context: &PageSource<'_>, page: &PageDocument, page_has_events: bool) -> PagePosts {
    for (method, found) in &page.posts {
        let describes_itself = |post: &PagePost| {
            page_has_events
                && matches!(method, PostMethod::JsonLd | PostMethod::Microdata)
                && post.url.as_deref().is_none_or(|u| {
                    resolve(u, Url::parse(context.page_url).ok().as_ref())
                        .is_none_or(|u| same_page(&u, context.page_url))
                })
        };
        let found: Vec<PagePost> = found
            .iter()
            .filter(|p| !describes_itself(p))
            .cloned()
            .collect();
        let mut read = posts_from_page(context, &found);
        if !read.posts.is_empty() {
            read.method = Some(*method);
            return read;
        }
    }
    PagePosts::default()
}

/// Converts the posts one method found on a page.
pub fn posts_from_page(context: &PageSource<'_>, found: &[PagePost]) -> PagePosts {
    let base = Url::parse(context.page_url).ok();
    let mut out = PagePosts::default();
    let mut seen = std::collections::HashSet::new();
    for page_post in found {
        let mut page_post = page_post.clone();
        page_post.url = page_post
            .url
            .as_deref()
            .and_then(|u| resolve(u, base.as_ref()));
        // The page describing itself beside the articles it lists is not one of them.
        if found.len() > 1
            && page_post
                .url
                .as_deref()
                .is_some_and(|u| same_page(u, context.page_url))
        {
            continue;
        }
        let Some(post) = post(context, &page_post, &mut out.warnings) else {
            continue;
        };
        if !seen.insert(post.entry_id.clone()) {
            continue;
        }
        let lacking = post.published.is_none() && post.updated.is_none()
            || post.author.is_none() && post.summary_html.is_none();
        if lacking
            && let Some(url) = &page_post.url
            && same_host(url, base.as_ref())
            && !same_page(url, context.page_url)
        {
            out.incomplete.push(page_post);
        }
        out.posts.push(post);
    }
    out
}

/// Fills what a listing lacks from the post its own page describes (the first post the
/// page gives, by the most trusted method).
pub fn complete_from_detail(listing: &PagePost, detail: &PagePost) -> PagePost {
    let mut out = listing.clone();
    if out.published.is_none() && out.updated.is_none() {
        out.published = detail.published.clone();
        out.updated = detail.updated.clone();
        out.date_style = detail.date_style;
    }
    macro_rules! fill {
        ($($field:ident),*) => {$( if out.$field.is_none() { out.$field = detail.$field.clone(); } )*};
    }
    fill!(author, summary, language);
    if out.categories.is_empty() {
        out.categories = detail.categories.clone();
    }
    out
}

fn same_host(url: &str, base: Option<&Url>) -> bool {
    let host = Url::parse(url)
        .ok()
        .and_then(|u| u.host_str().map(str::to_ascii_lowercase));
    host.is_some() && host == base.and_then(|b| b.host_str().map(str::to_ascii_lowercase))
}

/// A date as the page wrote it, as an instant: a date alone is its midnight in the
/// source's zone, a time without an offset is read in that zone.
fn instant(context: &PageSource<'_>, text: &str, style: DateStyle) -> Option<DateTime<Utc>> {
    let when = match style {
        DateStyle::Iso => parse_markup(text)?,
        DateStyle::Text => parse_text(text, context.date_format, context.today)?.0,
    };
    Some(match when {
        When::Date(date) => local_to_utc(date.and_time(NaiveTime::MIN), context.zone),
        When::Local(local) => local_to_utc(local, context.zone),
        When::Instant(at) => at.with_timezone(&Utc),
    })
}

fn post(context: &PageSource<'_>, found: &PagePost, warnings: &mut Vec<String>) -> Option<Post> {
    let title = found.title.clone()?;
    let mut date = |text: &Option<String>, what: &str| -> Option<DateTime<Utc>> {
        let text = text.as_deref()?;
        let read = instant(context, text, found.date_style);
        if read.is_none() {
            warnings.push(format!(
                "{}: post “{title}”: its {what} date “{text}” cannot be read; when Bulletin first saw it is used",
                context.page_url
            ));
        }
        read
    };
    let published = date(&found.published, "published");
    let updated = date(&found.updated, "updated");
    let stamp = published
        .or(updated)
        .map(|d| d.to_rfc3339())
        .or_else(|| found.published.clone())
        .unwrap_or_default();
    let summary_html = found.summary.as_ref().and_then(|text| {
        body_html(
            &TextBody {
                text: text.clone(),
                is_html: false,
            },
            None,
        )
        .ok()
        .filter(|h| !h.is_empty())
    });
    Some(Post {
        source_id: context.source_id.to_string(),
        entry_id: found
            .url
            .clone()
            .unwrap_or_else(|| derived_id(&title, &stamp)),
        link: found.url.clone(),
        title,
        author: found.author.clone(),
        published,
        updated,
        summary_html,
        content_html: None,
        language: found
            .language
            .as_deref()
            .or(context.page_language)
            .and_then(super::language::code),
        categories: found.categories.clone(),
        translations: Vec::new(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn context(page_url: &str) -> PageSource<'_> {
        PageSource {
            source_id: "s",
            page_url,
            page_language: Some("fr"),
            zone: chrono_tz::America::Toronto,
            date_format: None,
            today: chrono::NaiveDate::from_ymd_opt(2026, 12, 7).unwrap(),
            alternates: Vec::new(),
        }
    }

    #[test]
    fn text_dates_links_ids_and_what_to_complete() {
        let page = "https://ex.gc.ca/fr/nouvelles.html";
        let found = [
            PagePost {
                title: Some("Daté".into()),
                url: Some("/fr/a.html".into()),
                published: Some("le 3 décembre 2026".into()),
                date_style: DateStyle::Text,
                summary: Some("a < b".into()),
                author: Some("Équipe".into()),
                ..PagePost::default()
            },
            PagePost {
                title: Some("Sans date".into()),
                url: Some("b.html".into()),
                ..PagePost::default()
            },
            PagePost {
                title: Some("Ailleurs".into()),
                url: Some("https://other.example/c".into()),
                ..PagePost::default()
            },
            PagePost {
                title: Some("Sans lien".into()),
                published: Some("bientôt".into()),
                date_style: DateStyle::Text,
                ..PagePost::default()
            },
        ];
        let read = posts_from_page(&context(page), &found);
        let posts = &read.posts;
        assert_eq!(posts.len(), 4);
        assert_eq!(posts[0].entry_id, "https://ex.gc.ca/fr/a.html");
        assert_eq!(
            posts[0].published.unwrap().to_rfc3339(),
            "2026-12-03T05:00:00+00:00"
        );
        assert_eq!(posts[0].summary_html.as_deref(), Some("<p>a &lt; b</p>"));
        assert_eq!(posts[0].language.as_deref(), Some("fr"));
        assert_eq!(posts[1].link.as_deref(), Some("https://ex.gc.ca/fr/b.html"));
        assert!(
            posts[3].entry_id.starts_with("sha256:"),
            "{}",
            posts[3].entry_id
        );
        assert_eq!(posts[3].published, None);
        assert!(
            read.warnings[0].contains("“bientôt” cannot be read"),
            "{:?}",
            read.warnings
        );
        // Only the undated post on the same site is to be completed from its page.
        let urls: Vec<_> = read.incomplete.iter().map(|p| p.url.as_deref()).collect();
        assert_eq!(urls, [Some("https://ex.gc.ca/fr/b.html")]);
    }
}
