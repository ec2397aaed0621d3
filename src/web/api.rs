//! The JSON API, with the same filters as the pages.

use std::sync::Arc;

use actix_web::{HttpRequest, HttpResponse, web};

use super::cache::Rendered;
use super::conditional::{self, Vary};
use super::query::ViewQuery;
use super::{AppState, WebError};
use crate::render::api;

const JSON: &str = "application/json; charset=utf-8";

/// `/api/events`: upcoming events (or `from`/`to`), `limit` (default 100) and `page`.
pub async fn events(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, WebError> {
    let query = ViewQuery::read(&req, state.timezone)?;
    let mut filter = query.event_filter(state.timezone, Some(state.clock.now()), 100);
    filter.offset = (query.page.unwrap_or(1) - 1) * filter.limit;
    let store = state.store.clone();
    let events = web::block(move || store.events(&filter)).await??;
    let rendered = Rendered::new(
        api::events(&events),
        JSON,
        events.iter().map(|e| e.changed).max(),
    );
    Ok(conditional::respond(&req, Arc::new(rendered), "no-cache", Vary::Encoding).await)
}

/// `/api/posts`: the blog roll, filtered like the feeds.
pub async fn posts(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, WebError> {
    let query = ViewQuery::read(&req, state.timezone)?;
    let filter = query.filter();
    let store = state.store.clone();
    let posts = web::block(move || store.posts(&filter)).await??;
    let rendered = Rendered::new(
        api::posts(&posts),
        JSON,
        posts.iter().map(|p| p.changed).max(),
    );
    Ok(conditional::respond(&req, Arc::new(rendered), "no-cache", Vary::Encoding).await)
}

/// `/api/sources`: every source's health.
pub async fn sources(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, WebError> {
    let store = state.store.clone();
    let health = web::block(move || store.source_health()).await??;
    let rendered = Rendered::new(api::sources(&health), JSON, None);
    Ok(conditional::respond(&req, Arc::new(rendered), "no-cache", Vary::Encoding).await)
}
