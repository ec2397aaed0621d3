//! HTML pages, from askama templates compiled into the binary (`templates/`). The page
//! structs here are the templates' whole input: text is escaped by the engine, and the
//! only HTML passed through (`|safe`) is post bodies the normaliser already sanitised and
//! event descriptions sanitised again for display (`description.rs`). Every page ends
//! with Canada.ca's "Date modified": when the data it shows last changed.

pub mod description;
pub mod embed;
pub mod error;
pub mod events;
pub mod problems;
pub mod registration;
pub mod sources;
pub mod submit;

use askama::Template;
use chrono::{DateTime, Utc};
use chrono_tz::Tz;

use crate::i18n::Lang;
use crate::model::StoredPost;
use crate::render::dates::{Dates, Style};
use crate::web::routes;

/// The footer's "Date modified": the date the page's data last changed, in the display
/// zone, written as the style writes it (`2027-01-13` on Canada.ca).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Modified {
    /// "Date modified:" (Canada.ca) or "Last updated:" (GOV.UK).
    pub label_key: &'static str,
    pub iso: String,
    pub text: String,
}

impl Modified {
    pub fn new(dates: Dates, at: DateTime<Utc>, zone: Tz) -> Modified {
        let day = at.with_timezone(&zone).date_naive();
        Modified {
            label_key: match dates.style {
                Style::CanadaCa => "footer.modified",
                Style::GovUk => "footer.updated",
            },
            iso: day.format("%Y-%m-%d").to_string(),
            text: dates.modified(day),
        }
    }

    /// The newest of `changes`, else `now` (a page showing nothing changed when it was
    /// asked for).
    pub fn latest(
        dates: Dates,
        changes: impl IntoIterator<Item = DateTime<Utc>>,
        now: DateTime<Utc>,
        zone: Tz,
    ) -> Modified {
        Modified::new(dates, changes.into_iter().max().unwrap_or(now), zone)
    }
}

/// A department's name in the reader's language, where the source gives it in both as
/// "English name / Nom français" (the Federal Identity Program's order: English first);
/// any other name is shown as given.
pub fn department_name(lang: Lang, name: &str) -> &str {
    let mut parts = name.split(" / ");
    match (parts.next(), parts.next(), parts.next()) {
        (Some(en), Some(fr), None) if !en.trim().is_empty() && !fr.trim().is_empty() => {
            match lang {
                Lang::En => en.trim(),
                Lang::Fr => fr.trim(),
            }
        }
        _ => name,
    }
}

/// Links to the same view as a feed, in each format.
#[derive(Debug, Clone, PartialEq)]
pub struct FeedLinks {
    pub rss: String,
    pub atom: String,
    pub json: String,
}

/// One post as the blog-roll page shows it.
pub struct PostRow {
    pub title: String,
    pub link: Option<String>,
    pub author: Option<String>,
    pub source_id: String,
    pub source_name: String,
    pub department: String,
    /// The department in the reader's language.
    pub department_label: String,
    pub date_iso: String,
    pub date_text: String,
    pub summary_html: Option<String>,
    pub language: Option<String>,
    /// The post in other languages: (language, label key, title, link).
    pub others: Vec<(String, String, String, Option<String>)>,
}

#[derive(Template)]
#[template(path = "posts.html")]
struct PostsPage<'a> {
    lang: Lang,
    modified: Modified,
    nav: &'static str,
    switch_url: &'a str,
    filters: &'a [(&'static str, String)],
    feeds: &'a FeedLinks,
    posts: Vec<PostRow>,
    q: &'a str,
}

/// Inputs of the blog-roll page.
pub struct PostsView<'a> {
    pub lang: Lang,
    pub style: Style,
    pub zone: Tz,
    /// When the posts this view can show last changed (None: never).
    pub last_changed: Option<DateTime<Utc>>,
    pub now: DateTime<Utc>,
    /// The same page in the other language.
    pub switch_url: &'a str,
    /// Active filters as (catalogue key of the filter's name, value).
    pub filters: &'a [(&'static str, String)],
    pub feeds: &'a FeedLinks,
    pub posts: &'a [StoredPost],
    /// The search in the form.
    pub q: &'a str,
}

pub fn posts_page(view: &PostsView<'_>) -> Vec<u8> {
    let dates = Dates::new(view.lang, view.style);
    let posts = view
        .posts
        .iter()
        .map(|stored| PostRow {
            title: stored.post.title.clone(),
            link: stored.post.link.clone(),
            author: stored.post.author.clone(),
            source_id: stored.post.source_id.clone(),
            source_name: stored.source_name.clone(),
            department: stored.department.clone(),
            department_label: department_name(view.lang, &stored.department).to_string(),
            date_iso: stored.date().to_rfc3339(),
            date_text: dates.date_time(stored.date(), view.zone),
            summary_html: stored
                .post
                .summary_html
                .clone()
                .or_else(|| stored.post.content_html.clone()),
            language: stored.post.language.clone(),
            others: stored
                .versions
                .iter()
                .map(|v| {
                    (
                        v.language.clone(),
                        format!("versions.other.{}", v.language),
                        v.title.clone(),
                        v.link.clone(),
                    )
                })
                .collect(),
        })
        .collect();
    let page = PostsPage {
        lang: view.lang,
        modified: Modified::latest(dates, view.last_changed, view.now, view.zone),
        nav: "posts",
        switch_url: view.switch_url,
        filters: view.filters,
        feeds: view.feeds,
        posts,
        q: view.q,
    };
    page.render()
        .expect("templates render plain data")
        .into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::fixtures;

    #[test]
    fn escapes_titles_and_speaks_french() {
        let feeds = FeedLinks {
            rss: "/feed.rss".into(),
            atom: "/feed.atom".into(),
            json: "/feed.json".into(),
        };
        let mut posts = fixtures::posts();
        posts[0].post.title = "<img src=x onerror=alert(1)>".into();
        let filters = [("filter.tag", "digital".to_string())];
        let view = PostsView {
            lang: Lang::Fr,
            style: Style::CanadaCa,
            zone: chrono_tz::America::Toronto,
            last_changed: Some("2026-11-03T16:30:00Z".parse().unwrap()),
            now: "2026-12-01T12:00:00Z".parse().unwrap(),
            switch_url: "/posts?tag=digital&lang=en",
            filters: &filters,
            feeds: &feeds,
            posts: &posts,
            q: "",
        };
        let html = String::from_utf8(posts_page(&view)).unwrap();
        assert!(
            html.contains("&#60;img src=x onerror=alert(1)&#62;")
                || html.contains("&lt;img src=x onerror=alert(1)&gt;"),
            "{html}"
        );
        assert!(!html.contains("<img src=x"));
        assert!(html.contains(r#"<html lang="fr">"#));
        assert!(html.contains("mardi 3 novembre 2026"), "{html}");
        assert!(html.contains("étiquette: digital"));
        assert!(html.contains("mardi 3 novembre 2026, 9 h 30 HE"), "{html}");
        assert!(
            html.contains(r#"<time datetime="2026-11-03">2026-11-03</time>"#),
            "the date the posts last changed, not today: {html}"
        );
    }

    #[test]
    fn bilingual_department_names_follow_the_reader() {
        let both = "Statistics Canada / Statistique Canada";
        assert_eq!(department_name(Lang::En, both), "Statistics Canada");
        assert_eq!(department_name(Lang::Fr, both), "Statistique Canada");
        assert_eq!(department_name(Lang::Fr, "Health Canada"), "Health Canada");
        assert_eq!(department_name(Lang::Fr, "A / B / C"), "A / B / C");
        assert_eq!(
            department_name(Lang::En, "Cabinet Office (UK)"),
            "Cabinet Office (UK)"
        );
    }
}
