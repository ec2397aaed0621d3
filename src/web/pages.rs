//! HTML pages (the blog roll for now), the stylesheet, and the health check.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};

use super::cache::Rendered;
use super::feeds::load_posts;
use super::query::{ViewQuery, with_query};
use super::{AppState, WebError, conditional};
use crate::i18n::Lang;
use crate::render::html::{FeedLinks, PostsView, posts_page};

/// The reader's language: `?lang=`, else Accept-Language.
pub fn language(req: &HttpRequest, query: &ViewQuery) -> Lang {
    query.lang.unwrap_or_else(|| {
        let header = req
            .headers()
            .get(header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok());
        Lang::negotiate(header)
    })
}

/// The same page, filters kept, in the other language.
pub fn switch_url(path: &str, query: &ViewQuery, lang: Lang) -> String {
    let other = if lang == Lang::En { Lang::Fr } else { Lang::En };
    let filters = query.filter_query();
    if filters.is_empty() {
        format!("{path}?lang={}", other.code())
    } else {
        format!("{path}?{filters}&lang={}", other.code())
    }
}

pub async fn posts(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, WebError> {
    let query = ViewQuery::parse(req.query_string())?;
    let lang = language(&req, &query);
    let (posts, last_changed) = load_posts(&state, &query).await?;
    let filter_query = query.filter_query();
    let feed_query = {
        let mut q = filter_query.clone();
        if lang != Lang::En {
            if !q.is_empty() {
                q.push('&');
            }
            q.push_str("lang=");
            q.push_str(lang.code());
        }
        q
    };
    let feeds = FeedLinks {
        rss: with_query("/feed.rss", &feed_query),
        atom: with_query("/feed.atom", &feed_query),
        json: with_query("/feed.json", &feed_query),
    };
    let switch_url = switch_url("/posts", &query, lang);
    let filters = query.described();
    let body = posts_page(&PostsView {
        lang,
        zone: state.timezone,
        switch_url: &switch_url,
        filters: &filters,
        feeds: &feeds,
        posts: &posts,
        q: query.text.as_deref().unwrap_or_default(),
    });
    Ok(super::event_pages::html(&req, body, lang, last_changed))
}

pub async fn stylesheet(req: HttpRequest) -> HttpResponse {
    static CSS: std::sync::LazyLock<Rendered> = std::sync::LazyLock::new(|| {
        Rendered::new(
            include_bytes!("../../static/style.css").to_vec(),
            "text/css; charset=utf-8",
            None,
        )
    });
    conditional::respond(&req, &CSS, "public, max-age=3600")
}

/// Liveness and a glance at the store: 200 when the database answers.
pub async fn healthz(state: web::Data<AppState>) -> Result<HttpResponse, WebError> {
    let store = state.store.clone();
    let sources = web::block(move || store.active_sources()).await??;
    let failing = sources
        .iter()
        .filter(|(_, s)| s.consecutive_failures > 0)
        .count();
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(serde_json::json!({
            "status": "ok",
            "sources": sources.len(),
            "failing_sources": failing,
        })))
}
