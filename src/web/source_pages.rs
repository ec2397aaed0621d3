//! `/sources`: every source's health, [`PAGE_SIZE`] sources a page (`?page=`), the first
//! page opening with a summary of the sources failing now.

use actix_web::{HttpRequest, HttpResponse, web};

use super::page::{html, language, switch_url};
use super::query::ViewQuery;
use super::{AppState, WebError, routes};
use crate::i18n::Lang;
use crate::render::html::sources::{SourcesView, sources_page};

/// Sources shown on one page.
pub const PAGE_SIZE: u32 = 100;
/// Failing sources the first page's summary names (the rest are in the table).
const FAILING_SHOWN: u32 = 50;

/// The sources page `page` in `lang`.
fn page_url(lang: Lang, page: u32) -> String {
    routes::sources(&format!("lang={}&page={page}", lang.code()))
}

pub async fn sources(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, WebError> {
    let query = ViewQuery::read(&req, state.timezone)?;
    let lang = language(&req, &query);
    let page = query.page.unwrap_or(1);
    let store = state.store.clone();
    let (health, failing, (total, failing_count)) = web::block(move || {
        let health = store.source_health_page((page - 1) * PAGE_SIZE, PAGE_SIZE)?;
        let failing = if page == 1 {
            store.failing_sources(FAILING_SHOWN)?
        } else {
            Vec::new()
        };
        Ok::<_, WebError>((health, failing, store.source_counts()?))
    })
    .await??;
    let default_schedule = state.default_schedule.clone();
    let now = state.clock.now();
    let next = move |h: &crate::store::SourceHealth| {
        h.source
            .schedule
            .as_ref()
            .unwrap_or(&default_schedule)
            .next_after(now)
    };
    let shown_until = u64::from(page) * u64::from(PAGE_SIZE);
    let body = sources_page(&SourcesView {
        lang,
        style: state.style,
        zone: state.timezone,
        switch_url: &switch_url(routes::SOURCES, &query, lang),
        health: &health,
        failing: &failing,
        failing_count,
        total,
        previous_page: (page > 1).then(|| page_url(lang, page - 1)),
        next_page: (shown_until < total).then(|| page_url(lang, page + 1)),
        next: &next,
        now,
    });
    Ok(html(&req, body, lang, None).await)
}
