//! What every page handler shares: the reader's language, the link to the same page in
//! the other language, the origin self links are built on, and the HTML answer with its
//! validators. A leaf: it uses no other handler module, so handler modules never import
//! each other.

use std::sync::Arc;

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse};

use super::AppState;
use super::cache::Rendered;
use super::conditional::{self, Vary};
use super::query::ViewQuery;
use crate::i18n::Lang;

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

/// The origin self links are built on: the configured base URL, else the request's host.
pub fn origin(req: &HttpRequest, state: &AppState) -> String {
    match &state.base_url {
        Some(base) => base.as_str().trim_end_matches('/').to_string(),
        None => {
            let info = req.connection_info();
            format!("{}://{}", info.scheme(), info.host())
        }
    }
}

/// A page in `lang`, with validators (Last-Modified when the data says when it changed).
pub async fn html(
    req: &HttpRequest,
    body: Vec<u8>,
    lang: Lang,
    last_modified: Option<chrono::DateTime<chrono::Utc>>,
) -> HttpResponse {
    let rendered = Arc::new(Rendered::new(
        body,
        "text/html; charset=utf-8",
        last_modified,
    ));
    let mut response =
        conditional::respond(req, rendered, "no-cache", Vary::EncodingAndLanguage).await;
    response.headers_mut().insert(
        header::CONTENT_LANGUAGE,
        header::HeaderValue::from_static(lang.code()),
    );
    response
}

/// The permanent redirect (308) from an event joined into another's language versions
/// (`Store::merged_into`) to the same view of the event that took its place, `to`
/// building its path from that event's UID; `None` when `uid` names no such event.
pub async fn moved_event(
    req: &HttpRequest,
    state: &AppState,
    uid: &str,
    to: fn(&str) -> String,
) -> Result<Option<HttpResponse>, super::WebError> {
    let store = state.store.clone();
    let uid = uid.to_string();
    let Some(successor) = actix_web::web::block(move || store.merged_into(&uid)).await?? else {
        return Ok(None);
    };
    let mut location = to(&successor);
    if !req.query_string().is_empty() {
        location.push('?');
        location.push_str(req.query_string());
    }
    Ok(Some(
        HttpResponse::PermanentRedirect()
            .insert_header((header::LOCATION, location))
            .finish(),
    ))
}
