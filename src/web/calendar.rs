//! The merged calendar: `/events.ics` (filtered like every listing) and one event as
//! `/events/{uid}.ics`. Rendered once per view until the store changes; validators and
//! 304s as for the feeds; compressed only when the client asks.

use std::sync::Arc;

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use chrono::Duration;

use super::cache::{Keep, Rendered};
use super::conditional::{self, Vary};
use super::error::Problem;
use super::query::ViewQuery;
use super::{AppState, WebError, routes};
use crate::i18n::Lang;
use crate::render::ics::{CalendarMeta, render};

/// Calendar clients poll; intermediaries may keep a copy for a few minutes.
const CALENDAR_CACHE: &str = "public, max-age=300";
/// The right-hand side of every event UID: fixed, so UIDs survive a change of host name.
const UID_DOMAIN: &str = "bulletin";
/// The most events one calendar carries; the window keeps real feeds far below it.
const MAX_EVENTS: u32 = 20_000;
const CONTENT_TYPE: &str = "text/calendar; charset=utf-8";

fn meta(query: &ViewQuery, state: &AppState) -> CalendarMeta {
    let lang = query.lang.unwrap_or(Lang::En);
    let filters = query.described();
    let mut name = lang.t("calendar.title").to_string();
    if !filters.is_empty() {
        let described: Vec<String> = filters
            .iter()
            .map(|(k, v)| format!("{}: {v}", lang.t(k)))
            .collect();
        name = format!("{name} ({})", described.join(", "));
    }
    CalendarMeta {
        name,
        description: lang.t("calendar.description").to_string(),
        timezone: state.timezone,
        refresh: Duration::hours(1),
        uid_domain: UID_DOMAIN.to_string(),
    }
}

async fn respond(req: &HttpRequest, rendered: Arc<Rendered>, filename: &str) -> HttpResponse {
    let mut response = conditional::respond(req, rendered, CALENDAR_CACHE, Vary::Encoding).await;
    if let Ok(value) = header::HeaderValue::from_str(&format!("inline; filename=\"{filename}\"")) {
        response
            .headers_mut()
            .insert(header::CONTENT_DISPOSITION, value);
    }
    response
}

/// `/events.ics`: upcoming events plus the recent past, filtered by the query.
pub async fn events_ics(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, WebError> {
    let query = ViewQuery::read(&req, state.timezone)?;
    let generation = state.store.generation();
    let key = format!("{}|{}", routes::CALENDAR, query.canonical());
    // A window the client chose has endless variants: keep only small ones.
    let keep = if query.has_window() {
        Keep::OnlySmall
    } else {
        Keep::View
    };
    let rendered = state
        .cache
        .get_or_render(generation, key, keep, || async {
            let now = state.clock.now();
            let default_from = now
                .checked_sub_signed(Duration::days(state.calendar_past_days))
                .unwrap_or(now);
            let filter = query.event_filter(state.timezone, Some(default_from), MAX_EVENTS);
            let store = state.store.clone();
            let events = web::block(move || store.events(&filter)).await??;
            let last_modified = events.iter().map(|e| e.changed).max();
            let meta = meta(&query, &state);
            let body = web::block(move || render(&meta, &events)).await?;
            Ok::<_, WebError>(Rendered::new(body, CONTENT_TYPE, last_modified))
        })
        .await?;
    Ok(respond(&req, rendered, "bulletin-events.ics").await)
}

/// 404 for an unknown event, in both languages.
fn no_such_event(req: &HttpRequest) -> WebError {
    WebError::not_found(
        req,
        Problem::new("No such event.", "Cet événement n’existe pas."),
    )
}

/// `/events/{uid}.ics`: one event, for "add to calendar".
pub async fn event_ics(
    req: HttpRequest,
    path: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, WebError> {
    let file = path.into_inner();
    let Some(uid) = file
        .strip_suffix(".ics")
        .filter(|u| !u.is_empty() && u.chars().all(|c| c.is_ascii_alphanumeric()))
    else {
        return Err(no_such_event(&req));
    };
    let uid = uid.to_string();
    let store = state.store.clone();
    let lookup = uid.clone();
    let Some(event) = web::block(move || store.event(&lookup)).await?? else {
        return Err(no_such_event(&req));
    };
    let query = ViewQuery::read(&req, state.timezone)?;
    let mut meta = meta(&query, &state);
    meta.name = event.event.title.clone();
    let body = render(&meta, std::slice::from_ref(&event));
    let rendered = Arc::new(Rendered::new(body, CONTENT_TYPE, Some(event.changed)));
    Ok(respond(&req, rendered, &format!("{uid}.ics")).await)
}
