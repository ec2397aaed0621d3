//! HTML pages, from askama templates compiled into the binary (`templates/`). The page
//! structs here are the templates' whole input: text is escaped by the engine, and the
//! only HTML passed through (`|safe`) is post bodies the normaliser already sanitised.

pub mod description;
pub mod error;
pub mod events;
pub mod registration;
pub mod sources;

use askama::Template;
use chrono_tz::Tz;

use crate::i18n::Lang;
use crate::model::StoredPost;
use crate::web::routes;

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
    pub date_iso: String,
    pub date_text: String,
    pub summary_html: Option<String>,
    pub language: Option<String>,
}

#[derive(Template)]
#[template(path = "posts.html")]
struct PostsPage<'a> {
    lang: Lang,
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
    pub zone: Tz,
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
            date_iso: stored.date().to_rfc3339(),
            date_text: view.lang.date_time(stored.date(), view.zone),
            summary_html: stored
                .post
                .summary_html
                .clone()
                .or_else(|| stored.post.content_html.clone()),
            language: stored.post.language.clone(),
        })
        .collect();
    let page = PostsPage {
        lang: view.lang,
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
            zone: chrono_tz::America::Toronto,
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
    }
}
