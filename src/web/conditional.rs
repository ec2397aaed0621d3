//! Answers with ETag and Last-Modified, and with 304 Not Modified when the client's
//! copy is current (RFC 9110 §13: If-None-Match takes precedence over If-Modified-Since).
//!
//! Compression happens here, not in a middleware, because each encoding is its own
//! representation with its own validator (RFC 9110 §8.8.3): the identity body's ETag is
//! its digest, the gzip body's the digest with `-gz`, the brotli body's with `-br`.
//! Compressed forms are made once per rendered view (on the blocking pool when large, one
//! request making it while the others wait) and kept beside it. Every answer carries
//! exactly one `Vary` header. Bodies larger than a slice are sent as a stream of slices
//! of the one shared copy (files read on the blocking pool), never copied whole per
//! response.

use std::io::Write;
use std::sync::Arc;

use actix_web::http::header::{
    self, AcceptEncoding, Encoding, EntityTag, Header, HeaderValue, IfModifiedSince, IfNoneMatch,
};
use actix_web::web::Bytes;
use actix_web::{HttpRequest, HttpResponse};

use super::body::{self, Body, Part, SLICE, SPOOL_THRESHOLD, SpoolWriter, Written};
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
        // No Accept-Encoding: any coding is acceptable, and identity is what we send
        // (what the negotiation below answers too, without building its sets).
        if !req.headers().contains_key(header::ACCEPT_ENCODING) {
            return Coding::Identity;
        }
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

    /// The `ETag` header value of `rendered` in this coding (written once per view).
    fn etag_header(self, rendered: &Rendered) -> &HeaderValue {
        &rendered.headers.etags[match self {
            Coding::Identity => 0,
            Coding::Gzip => 1,
            Coding::Brotli => 2,
        }]
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

/// Whether the client's copy (named by its validators) is `rendered` in `coding`.
fn fresh(req: &HttpRequest, rendered: &Rendered, coding: Coding) -> bool {
    // What a client revalidating its copy sends: one If-None-Match naming exactly that
    // tag. Compared as bytes; any other form is parsed below.
    let mut tags = req.headers().get_all(header::IF_NONE_MATCH);
    if let (Some(only), None) = (tags.next(), tags.next())
        && only == coding.etag_header(rendered)
    {
        return true;
    }
    let etag = coding.etag(rendered);
    match IfNoneMatch::parse(req) {
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
    let mut coding = Coding::negotiate(req);
    let fresh = fresh(req, &rendered, coding);
    let mut body = None;
    if !fresh {
        body = Some(match encoded(rendered.clone(), coding).await {
            Ok(body) => body,
            Err(error) => {
                tracing::error!(%error, "cannot compress a response; sending it uncompressed");
                coding = Coding::Identity;
                rendered.body.clone()
            }
        });
    }
    let mut builder = if fresh {
        HttpResponse::NotModified()
    } else {
        HttpResponse::Ok()
    };
    // Header values made once per view: an answer copies them, it does not format them.
    builder
        .insert_header((header::ETAG, coding.etag_header(&rendered).clone()))
        .insert_header((header::CACHE_CONTROL, cache_control))
        .insert_header((header::VARY, vary.value()));
    if let Some(modified) = &rendered.headers.last_modified {
        builder.insert_header((header::LAST_MODIFIED, modified.clone()));
    }
    let Some(body) = body else {
        return builder.finish();
    };
    if let Some(name) = coding.header() {
        builder.insert_header((header::CONTENT_ENCODING, name));
    }
    builder.content_type(rendered.content_type);
    match body {
        Body::Memory(bytes) if bytes.len() <= SLICE => builder.body(bytes),
        body => {
            let len = body.len();
            builder.body(actix_web::body::SizedStream::new(len, slices(body)))
        }
    }
}

/// `body` a slice at a time: memory slices share the body's bytes, file slices are read
/// on the blocking pool.
fn slices(body: Body) -> impl futures_util::Stream<Item = Result<Bytes, std::io::Error>> + 'static {
    futures_util::stream::try_unfold((body, 0u64), |(body, offset)| async move {
        let slice = if body.in_memory_at(offset) {
            body.slice_at(offset, SLICE)?
        } else {
            let reader = body.clone();
            actix_web::web::block(move || reader.slice_at(offset, SLICE))
                .await
                .map_err(std::io::Error::other)??
        };
        if slice.is_empty() {
            return Ok(None);
        }
        let next = offset + slice.len() as u64;
        Ok(Some((slice, (body, next))))
    })
}

/// The body of `rendered` in `coding`, compressed the first time it is asked for (once:
/// simultaneous requests wait for the first).
async fn encoded(rendered: Arc<Rendered>, coding: Coding) -> std::io::Result<Body> {
    let slot = match coding {
        Coding::Identity => return Ok(rendered.body.clone()),
        Coding::Gzip => &rendered.gzip,
        Coding::Brotli => &rendered.brotli,
    };
    if let Some(body) = slot.get() {
        return Ok(body.clone());
    }
    let small = matches!(&rendered.body, Body::Memory(b) if b.len() <= COMPRESS_INLINE_MAX);
    let made = slot
        .get_or_try_init(|| async {
            if small {
                return compress(coding, &rendered.body);
            }
            let _turn = body::turn_to_make().await;
            let worker = rendered.clone();
            actix_web::web::block(move || compress(coding, &worker.body))
                .await
                .map_err(std::io::Error::other)?
        })
        .await?;
    Ok(made.clone())
}

/// `body` compressed with `coding` (gzip at the default level, brotli at quality 5:
/// each view is compressed once, so a little more effort than a per-request encoder pays),
/// spooled beside the body when it comes out large. Blocking when `body` is spooled.
fn compress(coding: Coding, body: &Body) -> std::io::Result<Body> {
    let dir = body
        .spool_dir()
        .cloned()
        .unwrap_or_else(|| std::env::temp_dir().into());
    let out = SpoolWriter::new(SPOOL_THRESHOLD, dir);
    let out = match coding {
        Coding::Identity => return Ok(body.clone()),
        Coding::Gzip => {
            let mut encoder = flate2::write::GzEncoder::new(out, flate2::Compression::default());
            body.for_each_chunk(|chunk| encoder.write_all(chunk))?;
            encoder.finish()?
        }
        Coding::Brotli => {
            let mut encoder = brotli::CompressorWriter::new(out, 16 * 1024, 5, 22);
            body.for_each_chunk(|chunk| encoder.write_all(chunk))?;
            // Taking the writer back finishes the stream (a failed write stays in `out`).
            encoder.into_inner()
        }
    };
    Ok(match out.finish()? {
        Written::Memory(bytes) => Body::Memory(bytes.into()),
        Written::File(spool, _) => Body::Parts(vec![Part::File(Arc::new(spool))].into()),
    })
}
