//! `/sources`: every source's health.

use actix_web::{HttpRequest, HttpResponse, web};
use chrono::Utc;

use super::event_pages::html;
use super::pages::{language, switch_url};
use super::query::ViewQuery;
use super::{AppState, WebError};
use crate::render::html::sources::{SourcesView, sources_page};
use crate::schedule;

pub async fn sources(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, WebError> {
    let query = ViewQuery::parse(req.query_string())?;
    let lang = language(&req, &query);
    let store = state.store.clone();
    let health = web::block(move || store.source_health()).await??;
    let default_schedule = state.default_schedule.clone();
    let now = Utc::now();
    let next =
        move |h: &crate::store::SourceHealth| schedule::next_run(&h.source, &default_schedule, now);
    let body = sources_page(&SourcesView {
        lang,
        zone: state.timezone,
        switch_url: &switch_url("/sources", &query, lang),
        health: &health,
        next: &next,
    });
    Ok(html(&req, body, lang, None))
}
