//! Embeds: `/embed` (the listing for a filter as a compact page for an `<iframe>` on an
//! intranet) and `/embed.html` (the same list as an HTML fragment to include
//! server-side). Both take the listing's filters, `lang`, `limit` (default
//! [`DEFAULT_EMBED_LIMIT`]; more matching events are offered as a link to the full
//! listing, never dropped silently) and `theme=light|dark`; neither has a script.
//!
//! Framing: every page refuses to be framed (`frame-ancestors 'none'`, the server's
//! default header) except `/embed`, which may be framed by the origins the operator lists
//! in `settings.embed_origins` and no other (with none listed, it refuses too).

use std::sync::Arc;

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use url::form_urlencoded;

use super::cache::{Keep, Rendered};
use super::conditional::{self, Vary};
use super::error::Problem;
use super::page::{language, origin};
use super::query::ViewQuery;
use super::{AppState, WebError, routes};
use crate::render::html::embed::{EmbedView, Theme, embed_fragment, embed_page};

/// Events an embed shows when the page embedding it asks for no `limit`.
pub const DEFAULT_EMBED_LIMIT: u32 = 20;

/// Every directive of the service's Content-Security-Policy but `frame-ancestors`: pages
/// load nothing from another server and run no script.
pub const CSP_BASE: &str = "default-src 'self'; img-src 'self'; style-src 'self'; \
     script-src 'none'; base-uri 'none'; form-action 'self'";

/// The policy of every page but `/embed`: never framed.
pub fn csp_not_framed() -> String {
    format!("{CSP_BASE}; frame-ancestors 'none'")
}

/// The policy of `/embed`: framed only by `origins` (already checked origins such as
/// `https://intranet.example.gc.ca`); by nobody when there are none.
pub fn csp_framed_by(origins: &[String]) -> String {
    if origins.is_empty() {
        return csp_not_framed();
    }
    format!("{CSP_BASE}; frame-ancestors {}", origins.join(" "))
}

/// An origin as `settings.embed_origins` may list it: `http(s)://host[:port]`, with no
/// path, query or credentials; returned in its serialised form.
pub fn parse_origin(text: &str) -> Result<String, String> {
    let url = url::Url::parse(text.trim()).map_err(|e| format!("`{text}` is not a URL: {e}"))?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return Err(format!(
            "`{text}` is not an origin like https://intranet.example.gc.ca"
        ));
    }
    if url.path() != "/" || url.query().is_some() || url.fragment().is_some() {
        return Err(format!(
            "`{text}` has a path: an origin is only scheme, host and port"
        ));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(format!("`{text}` has credentials"));
    }
    Ok(url.origin().ascii_serialization())
}

/// The `theme` parameter (the listing's own parameters are `ViewQuery`'s).
fn theme(req: &HttpRequest) -> Result<Theme, WebError> {
    let value = form_urlencoded::parse(req.query_string().as_bytes())
        .filter(|(k, _)| k == "theme")
        .map(|(_, v)| v.trim().to_string())
        .filter(|v| !v.is_empty())
        .last();
    match value {
        None => Ok(Theme::default()),
        Some(v) => Theme::parse(&v).ok_or_else(|| {
            WebError::bad_request(
                req,
                Problem::new(
                    format!("theme: `{v}` is not one of light, dark"),
                    format!("theme : « {v} » n’est ni light ni dark"),
                ),
            )
        }),
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Form {
    Page,
    Fragment,
}

pub async fn page(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, WebError> {
    embed(req, state, Form::Page).await
}

pub async fn fragment(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, WebError> {
    embed(req, state, Form::Fragment).await
}

async fn embed(
    req: HttpRequest,
    state: web::Data<AppState>,
    form: Form,
) -> Result<HttpResponse, WebError> {
    let query = ViewQuery::read(&req, state.timezone)?;
    let theme = theme(&req)?;
    let lang = language(&req, &query);
    let origin = origin(&req, &state);
    let path = match form {
        Form::Page => routes::EMBED,
        Form::Fragment => routes::EMBED_FRAGMENT,
    };
    let key = format!(
        "{path}|{origin}|{}|{}|{}",
        query.canonical(),
        lang.code(),
        theme.name()
    );
    let keep = if query.has_window() {
        Keep::OnlySmall
    } else {
        Keep::View
    };
    let generation = state.store.generation();
    let rendered = state
        .cache
        .get_or_render(generation, key, keep, || async {
            let now = state.clock.now();
            let limit = query.limit.unwrap_or(DEFAULT_EMBED_LIMIT);
            let mut filter = query.event_filter(state.timezone, Some(now), limit);
            filter.limit = limit + 1;
            let store = state.store.clone();
            let mut events = web::block(move || store.events(&filter)).await??;
            let more = events.len() > limit as usize;
            events.truncate(limit as usize);
            let mut listing_query = query.filter_query();
            if !listing_query.is_empty() {
                listing_query.push('&');
            }
            listing_query.push_str(&format!("lang={}", lang.code()));
            let described: Vec<String> =
                query.described(lang).into_iter().map(|(_, v)| v).collect();
            let title = if described.is_empty() {
                lang.t("calendar.title").to_string()
            } else {
                format!("{} — {}", lang.t("calendar.title"), described.join(", "))
            };
            let view = EmbedView {
                lang,
                style: state.style,
                zone: state.timezone,
                theme,
                origin: &origin,
                events: &events,
                more: more.then(|| format!("{origin}{}", routes::listing(&listing_query))),
                title: &title,
            };
            let body = match form {
                Form::Page => embed_page(&view),
                Form::Fragment => embed_fragment(&view).into_bytes(),
            };
            let last = events.iter().map(|e| e.changed).max();
            Ok::<_, WebError>(Rendered::new(body, "text/html; charset=utf-8", last))
        })
        .await?;
    let mut response = conditional::respond(
        &req,
        Arc::clone(&rendered),
        "no-cache",
        Vary::EncodingAndLanguage,
    )
    .await;
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_LANGUAGE,
        header::HeaderValue::from_static(lang.code()),
    );
    if form == Form::Page {
        let policy = csp_framed_by(&state.embed_origins);
        if let Ok(value) = header::HeaderValue::from_str(&policy) {
            headers.insert(header::CONTENT_SECURITY_POLICY, value);
        }
    }
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins_are_checked_and_serialised() {
        assert_eq!(
            parse_origin("https://Intranet.Example.gc.ca/").unwrap(),
            "https://intranet.example.gc.ca"
        );
        assert_eq!(
            parse_origin("http://127.0.0.1:8081").unwrap(),
            "http://127.0.0.1:8081"
        );
        assert!(parse_origin("https://intranet.example.gc.ca/page").is_err());
        assert!(parse_origin("ftp://x.example").is_err());
        assert!(parse_origin("intranet").is_err());
        assert!(parse_origin("https://u:p@x.example").is_err());
    }

    #[test]
    fn framing_is_refused_unless_listed() {
        assert!(csp_framed_by(&[]).ends_with("frame-ancestors 'none'"));
        let listed = csp_framed_by(&["https://a.example".into(), "https://b.example".into()]);
        assert!(listed.ends_with("frame-ancestors https://a.example https://b.example"));
        assert!(listed.contains("script-src 'none'"));
    }
}
