//! Answers with ETag and Last-Modified, and with 304 Not Modified when the client's
//! copy is current (RFC 9110 §13: If-None-Match takes precedence over If-Modified-Since).

use actix_web::http::header::{self, EntityTag, Header, HttpDate, IfModifiedSince, IfNoneMatch};
use actix_web::{HttpRequest, HttpResponse};

use super::cache::Rendered;

pub fn respond(
    req: &HttpRequest,
    rendered: &Rendered,
    cache_control: &'static str,
) -> HttpResponse {
    let etag = EntityTag::new_strong(rendered.etag.clone());
    let last_modified = rendered
        .last_modified
        .map(|t| HttpDate::from(std::time::SystemTime::from(t)));
    let fresh = match IfNoneMatch::parse(req) {
        Ok(IfNoneMatch::Any) => true,
        Ok(IfNoneMatch::Items(tags)) if !tags.is_empty() => tags.iter().any(|t| t.weak_eq(&etag)),
        _ => match (IfModifiedSince::parse(req), rendered.last_modified) {
            (Ok(IfModifiedSince(since)), Some(modified)) => {
                let since = std::time::SystemTime::from(since);
                // HTTP dates have whole seconds.
                let modified_secs = modified.timestamp();
                let since_secs = since
                    .duration_since(std::time::UNIX_EPOCH)
                    .map(|d| d.as_secs() as i64)
                    .unwrap_or(0);
                modified_secs <= since_secs
            }
            _ => false,
        },
    };
    let mut builder = if fresh {
        HttpResponse::NotModified()
    } else {
        HttpResponse::Ok()
    };
    builder
        .insert_header(header::ETag(etag))
        .insert_header((header::CACHE_CONTROL, cache_control))
        .insert_header((header::VARY, "Accept-Encoding"));
    if let Some(date) = last_modified {
        builder.insert_header(header::LastModified(date));
    }
    if fresh {
        builder.finish()
    } else {
        builder
            .content_type(rendered.content_type)
            .body(rendered.body.clone())
    }
}
