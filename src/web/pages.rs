//! HTML pages (the blog roll for now), the stylesheet, and the health check.

use std::sync::Arc;

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};

use super::cache::Rendered;
use super::conditional::{self, Vary};
use super::feeds::load_posts;
use super::page::{html, language, switch_url};
use super::query::ViewQuery;
use super::{AppState, WebError, routes};
use crate::i18n::Lang;
use crate::render::html::{FeedLinks, PostsView, posts_page};

pub async fn posts(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, WebError> {
    let query = ViewQuery::read(&req, state.timezone)?;
    let lang = language(&req, &query);
    let (posts, last_changed) = load_posts(&state, &query, lang).await?;
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
        rss: routes::feed_rss(&feed_query),
        atom: routes::feed_atom(&feed_query),
        json: routes::feed_json(&feed_query),
    };
    let switch_url = switch_url(routes::POSTS, &query, lang);
    let filters = query.described(lang);
    let body = posts_page(&PostsView {
        lang,
        style: state.style,
        zone: state.timezone,
        last_changed,
        now: state.clock.now(),
        switch_url: &switch_url,
        filters: &filters,
        feeds: &feeds,
        posts: &posts,
        q: query.text.as_deref().unwrap_or_default(),
    });
    Ok(html(&req, body, lang, last_changed).await)
}

pub async fn stylesheet(req: HttpRequest) -> HttpResponse {
    static CSS: std::sync::LazyLock<Arc<Rendered>> = std::sync::LazyLock::new(|| {
        Arc::new(Rendered::new(
            include_bytes!("../../static/style.css").to_vec(),
            "text/css; charset=utf-8",
            None,
        ))
    });
    conditional::respond(&req, CSS.clone(), "public, max-age=3600", Vary::Encoding).await
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
