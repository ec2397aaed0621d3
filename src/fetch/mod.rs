//! Retrieval of a source's document over HTTP(S) or from a local file, politely and within
//! limits: conditional GET, a body-size cap, timeouts, redirects followed by hand (so a
//! permanent move can be remembered and every hop is checked), retries with backoff for
//! transient failures, and a bound on fetches at once overall and per host.
//!
//! The fetcher never parses and never stores: it returns a [`FetchedDocument`] or says
//! the document has not changed.

mod guard;
mod proxy;
mod settings;
mod stale;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::Utc;
use reqwest::StatusCode;
use reqwest::header::{self, HeaderMap};
use sha2::{Digest, Sha256};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use url::Url;

pub use guard::{BlockedAddress, Lookup, is_internal, is_localhost};
pub use settings::FetchSettings;

use crate::model::{FetchedDocument, Location, Validators};

/// Retry-After delays up to this long are waited out inside one fetch; longer ones end
/// the fetch and postpone the source instead.
const MAX_INLINE_RETRY_AFTER: Duration = Duration::from_secs(30);

/// Why a fetch brought nothing back. Every variant names the URL or file concerned.
#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    #[error("cannot set up the HTTP client: {0}")]
    Client(String),
    #[error("{url}: timed out")]
    Timeout { url: String },
    #[error("{url}: cannot connect: {message}")]
    Connect { url: String, message: String },
    #[error("{url}: {message}")]
    Request { url: String, message: String },
    /// The TLS handshake failed: an untrusted, expired or mismatched certificate, or no
    /// common protocol. Trying again does not help.
    #[error("{url}: TLS: {message}")]
    Tls { url: String, message: String },
    #[error("{url}: HTTP {status}")]
    Status {
        url: String,
        status: u16,
        retry_after: Option<Duration>,
    },
    #[error("{url}: the body is larger than the {limit}-byte limit")]
    TooLarge { url: String, limit: u64 },
    #[error("{url}: more than {limit} redirects")]
    TooManyRedirects { url: String, limit: usize },
    #[error("{url}: bad redirect: {message}")]
    BadRedirect { url: String, message: String },
    #[error("{url}: refused: {reason}")]
    Blocked { url: String, reason: String },
    #[error("{path}: {source}")]
    File {
        path: String,
        source: std::io::Error,
    },
}

impl FetchError {
    /// Whether trying again shortly may succeed.
    pub fn is_transient(&self) -> bool {
        match self {
            FetchError::Timeout { .. } | FetchError::Connect { .. } => true,
            FetchError::Status { status, .. } => *status == 429 || *status >= 500,
            _ => false,
        }
    }

    /// How long the server asked us to wait, if it did.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            FetchError::Status { retry_after, .. } => *retry_after,
            _ => None,
        }
    }

    /// The HTTP status behind the error, if there was a response.
    pub fn http_status(&self) -> Option<u16> {
        match self {
            FetchError::Status { status, .. } => Some(*status),
            _ => None,
        }
    }
}

/// What a fetch found.
#[derive(Debug)]
pub enum Fetched {
    /// A new or changed document.
    Document(FetchedDocument),
    /// Unchanged since the validators were issued (HTTP 304, or the same file content).
    NotModified {
        url: String,
        status: u16,
        moved_permanently_to: Option<Url>,
    },
}

/// The shared HTTP client with its limits. Cheap to clone.
#[derive(Clone)]
pub struct Fetcher {
    client: reqwest::Client,
    /// How host names are looked up (by the client's resolver and the proxy check).
    lookup: Lookup,
    /// Which requests go through a proxy: the environment read as reqwest reads it, at
    /// the same moment. `None` when private networks are allowed (nothing to check).
    proxies: Option<proxy::Proxies>,
    clock: crate::clock::Clock,
    settings: Arc<FetchSettings>,
    overall: Arc<Semaphore>,
    per_host: Arc<Mutex<HashMap<String, Arc<Semaphore>>>>,
}

/// The User-Agent every request carries.
pub fn user_agent() -> String {
    format!(
        "Bulletin/{} (government events and blog aggregator; feed fetcher)",
        env!("CARGO_PKG_VERSION")
    )
}

/// Installs the process-wide TLS provider; safe to call more than once.
pub fn install_tls_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

impl Fetcher {
    /// Builds the client. Proxies come from `HTTPS_PROXY`/`HTTP_PROXY`/`NO_PROXY`.
    pub fn new(settings: FetchSettings) -> Result<Fetcher, FetchError> {
        Fetcher::build(settings, Lookup::System)
    }

    /// A fetcher whose host names resolve from `hosts` alone (lower-case names), never
    /// the system's resolver: for tests, where names must lead to chosen addresses
    /// without a query leaving the machine.
    pub fn with_hosts(
        settings: FetchSettings,
        hosts: HashMap<String, Vec<std::net::IpAddr>>,
    ) -> Result<Fetcher, FetchError> {
        Fetcher::build(settings, Lookup::Table(Arc::new(hosts)))
    }

    fn build(settings: FetchSettings, lookup: Lookup) -> Result<Fetcher, FetchError> {
        install_tls_provider();
        let mut builder = reqwest::Client::builder()
            .user_agent(user_agent())
            .gzip(true)
            .brotli(true)
            .connect_timeout(settings.connect_timeout)
            .timeout(settings.timeout)
            .redirect(reqwest::redirect::Policy::none());
        let guard = !settings.allow_private_networks;
        if guard || matches!(lookup, Lookup::Table(_)) {
            builder = builder.dns_resolver(guard::GuardedResolver::from_env(lookup.clone(), guard));
        }
        let proxies = guard.then(proxy::Proxies::from_env);
        if let Some(path) = &settings.ca_bundle {
            let pem = std::fs::read(path)
                .map_err(|e| FetchError::Client(format!("CA bundle {}: {e}", path.display())))?;
            let certs = reqwest::Certificate::from_pem_bundle(&pem)
                .map_err(|e| FetchError::Client(format!("CA bundle {}: {e}", path.display())))?;
            builder = builder.tls_certs_merge(certs);
        }
        let client = builder
            .build()
            .map_err(|e| FetchError::Client(e.to_string()))?;
        Ok(Fetcher {
            client,
            lookup,
            proxies,
            clock: crate::clock::Clock::system(),
            overall: Arc::new(Semaphore::new(settings.max_concurrent)),
            per_host: Arc::default(),
            settings: Arc::new(settings),
        })
    }

    /// The same fetcher reading "now" (for Retry-After dates) from `clock`.
    pub fn with_clock(mut self, clock: crate::clock::Clock) -> Fetcher {
        self.clock = clock;
        self
    }

    /// How many fetches may run at once.
    pub fn max_concurrent(&self) -> usize {
        self.settings.max_concurrent
    }

    /// Fetches a source's document, sending `validators` for a conditional request.
    pub async fn fetch(
        &self,
        location: &Location,
        validators: &Validators,
    ) -> Result<Fetched, FetchError> {
        match location {
            Location::File(path) => read_file(path, validators, self.settings.max_body_bytes).await,
            Location::Url(url) => {
                let _permits = self.permits(url).await;
                self.fetch_with_retries(url, validators).await
            }
        }
    }

    async fn permits(&self, url: &Url) -> (OwnedSemaphorePermit, OwnedSemaphorePermit) {
        let host = url.host_str().unwrap_or_default().to_ascii_lowercase();
        let host_semaphore = {
            let mut map = self.per_host.lock().unwrap_or_else(|e| e.into_inner());
            map.entry(host)
                .or_insert_with(|| Arc::new(Semaphore::new(self.settings.max_per_host)))
                .clone()
        };
        // Take the host's permit first, so a busy host does not hold overall places.
        let host_permit = host_semaphore.acquire_owned().await.expect("never closed");
        let overall = self
            .overall
            .clone()
            .acquire_owned()
            .await
            .expect("never closed");
        (overall, host_permit)
    }

    async fn fetch_with_retries(
        &self,
        url: &Url,
        validators: &Validators,
    ) -> Result<Fetched, FetchError> {
        let mut attempt = 0;
        loop {
            match self.fetch_once(url, validators).await {
                Err(error) if error.is_transient() && attempt < self.settings.retries => {
                    let backoff = self.settings.retry_base_delay * 2u32.pow(attempt);
                    let delay = match error.retry_after() {
                        Some(wait) if wait <= MAX_INLINE_RETRY_AFTER => wait.max(backoff),
                        Some(_) => return Err(error),
                        None => backoff,
                    };
                    tracing::debug!(%url, %error, ?delay, "retrying");
                    tokio::time::sleep(delay).await;
                    attempt += 1;
                }
                result => return result,
            }
        }
    }

    async fn fetch_once(
        &self,
        start: &Url,
        validators: &Validators,
    ) -> Result<Fetched, FetchError> {
        let mut url = start.clone();
        let mut all_permanent = true;
        let mut redirects = 0;
        let response = loop {
            self.check_address(&url)?;
            self.check_proxied(&url).await?;
            let mut request = self.client.get(url.clone());
            if let Some(etag) = &validators.etag {
                request = request.header(header::IF_NONE_MATCH, etag);
            }
            if let Some(modified) = &validators.last_modified {
                request = request.header(header::IF_MODIFIED_SINCE, modified);
            }
            let response = stale::send(request)
                .await
                .map_err(|e| request_error(&url, e))?;
            if !response.status().is_redirection() || response.status() == StatusCode::NOT_MODIFIED
            {
                break response;
            }
            redirects += 1;
            if redirects > self.settings.max_redirects {
                return Err(FetchError::TooManyRedirects {
                    url: start.to_string(),
                    limit: self.settings.max_redirects,
                });
            }
            all_permanent &= matches!(
                response.status(),
                StatusCode::MOVED_PERMANENTLY | StatusCode::PERMANENT_REDIRECT
            );
            url = redirect_target(&url, response.headers())?;
        };
        let moved_permanently_to = (redirects > 0 && all_permanent).then(|| url.clone());
        let status = response.status();
        if status == StatusCode::NOT_MODIFIED {
            return Ok(Fetched::NotModified {
                url: url.to_string(),
                status: status.as_u16(),
                moved_permanently_to,
            });
        }
        if !status.is_success() {
            return Err(FetchError::Status {
                url: url.to_string(),
                status: status.as_u16(),
                retry_after: retry_after(response.headers(), self.clock.now()),
            });
        }
        let headers = response.headers().clone();
        let body = read_capped(response, &url, self.settings.max_body_bytes).await?;
        Ok(Fetched::Document(FetchedDocument {
            url: url.to_string(),
            status: status.as_u16(),
            content_type: header_text(&headers, header::CONTENT_TYPE),
            content_language: header_text(&headers, header::CONTENT_LANGUAGE),
            body,
            validators: Validators {
                etag: header_text(&headers, header::ETAG),
                last_modified: header_text(&headers, header::LAST_MODIFIED),
            },
            moved_permanently_to,
        }))
    }

    fn check_address(&self, url: &Url) -> Result<(), FetchError> {
        if !matches!(url.scheme(), "http" | "https") {
            return Err(FetchError::Blocked {
                url: url.to_string(),
                reason: format!("the {} scheme is not fetched", url.scheme()),
            });
        }
        if self.settings.allow_private_networks {
            return Ok(());
        }
        let ip = match url.host() {
            Some(url::Host::Ipv4(ip)) => Some(std::net::IpAddr::V4(ip)),
            Some(url::Host::Ipv6(ip)) => Some(std::net::IpAddr::V6(ip)),
            Some(url::Host::Domain(name)) if is_localhost(name) => {
                Some(std::net::IpAddr::V4(std::net::Ipv4Addr::LOCALHOST))
            }
            _ => None,
        };
        match ip {
            Some(ip) if is_internal(ip) => Err(FetchError::Blocked {
                url: url.to_string(),
                reason: format!(
                    "{ip} is a private or internal address (settings.allow_private_networks)"
                ),
            }),
            _ => Ok(()),
        }
    }
}

fn request_error(url: &Url, error: reqwest::Error) -> FetchError {
    let url = url.to_string();
    if error.is_timeout() {
        return FetchError::Timeout { url };
    }
    // The resolver's refusal travels inside the connect error; surface it plainly.
    let mut cause: Option<&dyn std::error::Error> = Some(&error);
    while let Some(err) = cause {
        if let Some(blocked) = err.downcast_ref::<BlockedAddress>() {
            return FetchError::Blocked {
                url,
                reason: blocked.to_string(),
            };
        }
        if let Some(tls) = rustls_error(err) {
            return FetchError::Tls {
                url,
                message: tls_message(tls),
            };
        }
        cause = err.source();
    }
    let message = error_chain(&error);
    if error.is_connect() {
        FetchError::Connect { url, message }
    } else {
        FetchError::Request { url, message }
    }
}

/// The TLS error inside an I/O error (where rustls reports through tokio), if any.
fn rustls_error<'a>(err: &'a (dyn std::error::Error + 'static)) -> Option<&'a rustls::Error> {
    if let Some(tls) = err.downcast_ref::<rustls::Error>() {
        return Some(tls);
    }
    err.downcast_ref::<std::io::Error>()?
        .get_ref()?
        .downcast_ref::<rustls::Error>()
}

/// What went wrong in the handshake, with what the operator can do about an unknown CA
/// (a proxy that re-signs TLS is the usual cause inside a department).
fn tls_message(error: &rustls::Error) -> String {
    use rustls::{CertificateError, Error};
    match error {
        Error::InvalidCertificate(CertificateError::UnknownIssuer) => format!(
            "{error} (the certificate is not signed by a trusted CA; if a proxy re-signs \
             TLS, add its CA certificate to the ca_bundle setting)"
        ),
        _ => error.to_string(),
    }
}

/// The innermost cause of an error chain ("Connection refused", not "error sending
/// request for url …"), which is what an operator can act on.
fn error_chain(error: &dyn std::error::Error) -> String {
    let mut deepest = error.to_string();
    let mut cause = error.source();
    while let Some(err) = cause {
        deepest = err.to_string();
        cause = err.source();
    }
    deepest
}

fn redirect_target(from: &Url, headers: &HeaderMap) -> Result<Url, FetchError> {
    let location = headers
        .get(header::LOCATION)
        .and_then(|v| v.to_str().ok())
        .ok_or_else(|| FetchError::BadRedirect {
            url: from.to_string(),
            message: "no Location header".into(),
        })?;
    from.join(location).map_err(|e| FetchError::BadRedirect {
        url: from.to_string(),
        message: format!("Location `{location}`: {e}"),
    })
}

fn header_text(headers: &HeaderMap, name: header::HeaderName) -> Option<String> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
}

/// Reads Retry-After as seconds or as an HTTP date, at most the longest backoff (a
/// server asking for a year, or for 2099, is waited out for 12 hours).
fn retry_after(headers: &HeaderMap, now: chrono::DateTime<Utc>) -> Option<Duration> {
    let value = header_text(headers, header::RETRY_AFTER)?;
    let ceiling = crate::schedule::max_backoff();
    if let Ok(seconds) = value.trim().parse::<u64>() {
        return Some(Duration::from_secs(seconds).min(ceiling));
    }
    let when = chrono::DateTime::parse_from_rfc2822(value.trim()).ok()?;
    let wait = when.with_timezone(&Utc).signed_duration_since(now);
    Some(wait.to_std().unwrap_or(Duration::ZERO).min(ceiling))
}

async fn read_capped(
    mut response: reqwest::Response,
    url: &Url,
    limit: u64,
) -> Result<Vec<u8>, FetchError> {
    let too_large = || FetchError::TooLarge {
        url: url.to_string(),
        limit,
    };
    if response.content_length().is_some_and(|len| len > limit) {
        return Err(too_large());
    }
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(|e| request_error(url, e))? {
        if body.len() as u64 + chunk.len() as u64 > limit {
            return Err(too_large());
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// Files are "not modified" when their content hash matches the stored validator.
async fn read_file(
    path: &std::path::Path,
    validators: &Validators,
    limit: u64,
) -> Result<Fetched, FetchError> {
    let file_error = |source| FetchError::File {
        path: path.display().to_string(),
        source,
    };
    let size = tokio::fs::metadata(path).await.map_err(file_error)?.len();
    if size > limit {
        return Err(FetchError::TooLarge {
            url: path.display().to_string(),
            limit,
        });
    }
    let body = tokio::fs::read(path).await.map_err(file_error)?;
    let etag = format!("\"sha256:{:x}\"", Sha256::digest(&body));
    let url = path.display().to_string();
    if validators.etag.as_deref() == Some(etag.as_str()) {
        return Ok(Fetched::NotModified {
            url,
            status: 304,
            moved_permanently_to: None,
        });
    }
    let content_type = match path.extension().and_then(|e| e.to_str()) {
        Some("ics") => Some("text/calendar".to_string()),
        Some("json") => Some("application/feed+json".to_string()),
        Some("html" | "htm") => Some("text/html".to_string()),
        Some("xml" | "rss" | "atom") => Some("application/xml".to_string()),
        _ => None,
    };
    Ok(Fetched::Document(FetchedDocument {
        url,
        status: 200,
        content_type,
        content_language: None,
        body,
        validators: Validators {
            etag: Some(etag),
            last_modified: None,
        },
        moved_permanently_to: None,
    }))
}
