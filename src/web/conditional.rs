//! Answers with ETag and Last-Modified, and with 304 Not Modified when the client's
//! copy is current (RFC 9110 §13: If-None-Match takes precedence over If-Modified-Since).
//!
//! Compression happens here, not in a middleware, because each encoding is its own
//! representation with its own validator (RFC 9110 §8.8.3): the identity body's ETag is
//! its digest, the gzip body's the digest with `-gz`, the brotli body's with `-br`.
//! Compressed forms are made once per rendered view (on the blocking pool when large) and
//! kept beside it. Every answer carries exactly one `Vary` header.

use std::io::Write;
use std::sync::Arc;

use actix_web::http::header::{
    self, AcceptEncoding, Encoding, EntityTag, Header, HttpDate, IfModifiedSince, IfNoneMatch,
};
use actix_web::web::Bytes;
use actix_web::{HttpRequest, HttpResponse};

use super::cache::Rendered;

/// Bodies larger than this are compressed on the blocking pool, not on a worker.
const COMPRESS_INLINE_MAX: usize = 16 * 1024;
/// What the service encodes, in order of preference at equal quality.
const SUPPORTED: [Encoding; 3] = [Encoding::brotli(), Encoding::gzip(), Encoding::identity()];

/// The content coding of one answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Coding {
    Identity,
    Gzip,
    Brotli,
}

impl Coding {
    /// The coding the client prefers among the ones served (identity when it names none).
    pub fn negotiate(req: &HttpRequest) -> Coding {
        let Ok(accept) = AcceptEncoding::parse(req) else {
            return Coding::Identity;
        };
        match accept.negotiate(SUPPORTED.iter()) {
            Some(encoding) if encoding == Encoding::brotli() => Coding::Brotli,
            Some(encoding) if encoding == Encoding::gzip() => Coding::Gzip,
            _ => Coding::Identity,
        }
    }

    /// The ETag of `rendered` in this coding.
    pub fn etag(self, rendered: &Rendered) -> EntityTag {
        EntityTag::new_strong(match self {
            Coding::Identity => rendered.etag.clone(),
            Coding::Gzip => format!("{}-gz", rendered.etag),
            Coding::Brotli => format!("{}-br", rendered.etag),
        })
    }

    fn header(self) -> Option<&'static str> {
        match self {
            Coding::Identity => None,
            Coding::Gzip => Some("gzip"),
            Coding::Brotli => Some("br"),
        }
    }
}

/// What the answer varies on besides the encoding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Vary {
    Encoding,
    EncodingAndLanguage,
}

impl Vary {
    fn value(self) -> &'static str {
        match self {
            Vary::Encoding => "Accept-Encoding",
            Vary::EncodingAndLanguage => "Accept-Encoding, Accept-Language",
        }
    }
}

/// Whether the client's copy (named by its validators) is the one `etag` names.
fn fresh(req: &HttpRequest, rendered: &Rendered, etag: &EntityTag) -> bool {
    match IfNoneMatch::parse(req) {
        Ok(IfNoneMatch::Any) => true,
        Ok(IfNoneMatch::Items(tags)) if !tags.is_empty() => tags.iter().any(|t| t.weak_eq(etag)),
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
    }
}

/// The answer to `req` for `rendered`: 304 when the client's copy is current, else the
/// body in the coding it prefers.
pub async fn respond(
    req: &HttpRequest,
    rendered: Arc<Rendered>,
    cache_control: &'static str,
    vary: Vary,
) -> HttpResponse {
    let coding = Coding::negotiate(req);
    let etag = coding.etag(&rendered);
    let fresh = fresh(req, &rendered, &etag);
    let mut builder = if fresh {
        HttpResponse::NotModified()
    } else {
        HttpResponse::Ok()
    };
    builder
        .insert_header(header::ETag(etag))
        .insert_header((header::CACHE_CONTROL, cache_control))
        .insert_header((header::VARY, vary.value()));
    if let Some(modified) = rendered.last_modified {
        let date = HttpDate::from(std::time::SystemTime::from(modified));
        builder.insert_header(header::LastModified(date));
    }
    if fresh {
        return builder.finish();
    }
    if let Some(name) = coding.header() {
        builder.insert_header((header::CONTENT_ENCODING, name));
    }
    let body = encoded(rendered.clone(), coding).await;
    builder.content_type(rendered.content_type).body(body)
}

/// The body of `rendered` in `coding`, compressed the first time it is asked for.
async fn encoded(rendered: Arc<Rendered>, coding: Coding) -> Bytes {
    let slot = match coding {
        Coding::Identity => return rendered.body.clone(),
        Coding::Gzip => &rendered.gzip,
        Coding::Brotli => &rendered.brotli,
    };
    if let Some(body) = slot.get() {
        return body.clone();
    }
    if rendered.body.len() <= COMPRESS_INLINE_MAX {
        return slot
            .get_or_init(|| compress(coding, &rendered.body))
            .clone();
    }
    let worker = rendered.clone();
    let made = actix_web::web::block(move || compress(coding, &worker.body)).await;
    match made {
        Ok(body) => slot.get_or_init(|| body).clone(),
        // The blocking pool is gone (shutting down): compress here rather than fail.
        Err(_) => slot
            .get_or_init(|| compress(coding, &rendered.body))
            .clone(),
    }
}

/// `body` compressed with `coding` (gzip at the default level, brotli at quality 5:
/// each view is compressed once, so a little more effort than a per-request encoder pays).
fn compress(coding: Coding, body: &[u8]) -> Bytes {
    let mut out = Vec::with_capacity(body.len() / 4);
    match coding {
        Coding::Identity => return Bytes::copy_from_slice(body),
        Coding::Gzip => {
            let mut encoder =
                flate2::write::GzEncoder::new(&mut out, flate2::Compression::default());
            encoder
                .write_all(body)
                .and_then(|()| encoder.finish().map(|_| ()))
                .expect("writing to memory cannot fail");
        }
        Coding::Brotli => {
            let mut encoder = brotli::CompressorWriter::new(&mut out, 16 * 1024, 5, 22);
            encoder
                .write_all(body)
                .expect("writing to memory cannot fail");
            // Taking the writer back finishes the stream.
            encoder.into_inner();
        }
    }
    out.into()
}
