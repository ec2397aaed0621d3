//! `/metrics` for the operators' Prometheus, and the middleware that counts every
//! request for it ([`crate::metrics`] keeps the numbers and writes the text).
//!
//! Who may read it is `settings.metrics_allow` (networks; loopback when unset) and
//! `settings.metrics_token` (a bearer token, from anywhere). A request relayed by a
//! proxy (one carrying `Forwarded` or `X-Forwarded-For`) is not taken as coming from the
//! proxy's address: behind a reverse proxy on the same machine every visitor would be
//! 127.0.0.1. It needs the token.

use std::net::IpAddr;
use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header;
use actix_web::middleware::Next;
use actix_web::{HttpRequest, HttpResponse, web};
use ipnet::IpNet;
use sha2::{Digest, Sha256};

use super::{AppState, WebError};

/// Who may read `/metrics` (`settings.metrics_allow`, `settings.metrics_token`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MetricsAccess {
    /// Peers in these networks may read it without a token.
    pub allow: Vec<IpNet>,
    /// A bearer token that lets any peer read it.
    pub token: Option<String>,
}

impl Default for MetricsAccess {
    /// This machine only.
    fn default() -> Self {
        MetricsAccess {
            allow: vec![
                "127.0.0.0/8".parse().expect("literal network"),
                "::1/128".parse().expect("literal network"),
            ],
            token: None,
        }
    }
}

/// Reads `10.0.0.0/8`, `2001:db8::/32`, or a bare address (one host).
pub fn parse_network(text: &str) -> Result<IpNet, String> {
    let text = text.trim();
    text.parse::<IpNet>()
        .or_else(|_| text.parse::<IpAddr>().map(IpNet::from))
        .map_err(|_| format!("`{text}` is not an address or a network such as 10.0.0.0/8"))
}

/// How a request for `/metrics` was judged.
#[derive(Debug, PartialEq, Eq)]
enum Verdict {
    Allowed,
    /// A token was sent and is wrong (or none is configured).
    BadToken,
    Refused,
}

fn judge(access: &MetricsAccess, req: &HttpRequest) -> Verdict {
    if let Some(sent) = bearer(req) {
        return match &access.token {
            Some(token) if same_secret(token, sent) => Verdict::Allowed,
            _ => Verdict::BadToken,
        };
    }
    let relayed = req.headers().contains_key(header::FORWARDED)
        || req.headers().contains_key("x-forwarded-for");
    let peer = req.peer_addr().map(|addr| canonical(addr.ip()));
    match peer {
        Some(ip) if !relayed && access.allow.iter().any(|net| net.contains(&ip)) => {
            Verdict::Allowed
        }
        _ => Verdict::Refused,
    }
}

/// An IPv4 peer on a dual-stack socket arrives as `::ffff:a.b.c.d`.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

fn bearer(req: &HttpRequest) -> Option<&str> {
    let value = req.headers().get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then_some(token.trim())
}

/// Compares digests, so the time taken says nothing of how much of the token matched.
fn same_secret(expected: &str, sent: &str) -> bool {
    Sha256::digest(expected.as_bytes()) == Sha256::digest(sent.as_bytes())
}

/// `GET /metrics`.
pub async fn metrics(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, WebError> {
    match judge(&state.metrics_access, &req) {
        Verdict::Allowed => {}
        Verdict::BadToken => {
            return Ok(HttpResponse::Unauthorized()
                .insert_header((header::WWW_AUTHENTICATE, "Bearer realm=\"metrics\""))
                .content_type("text/plain; charset=utf-8")
                .body("That token does not open /metrics.\n"));
        }
        Verdict::Refused => {
            return Ok(HttpResponse::Forbidden()
                .content_type("text/plain; charset=utf-8")
                .body(
                    "/metrics is open to the addresses in settings.metrics_allow, \
                     or with settings.metrics_token as a bearer token.\n",
                ));
        }
    }
    let store = state.store.clone();
    let inventory = web::block(move || store.inventory()).await??;
    let text = state
        .metrics
        .encode(&inventory, state.cache.lookups(), state.clock.now());
    Ok(HttpResponse::Ok()
        .content_type(crate::metrics::CONTENT_TYPE)
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(text))
}

/// Counts each request by its route pattern (`unmatched` for an address no route
/// answers) and status, and times it.
pub async fn count_requests(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let started = Instant::now();
    let state = req.app_data::<web::Data<AppState>>().cloned();
    let answered = next.call(req).await;
    if let Some(state) = state {
        let (route, status) = match &answered {
            Ok(response) => (
                response.request().match_pattern(),
                response.status().as_u16(),
            ),
            Err(error) => (None, error.as_response_error().status_code().as_u16()),
        };
        let route = route.unwrap_or_else(|| "unmatched".to_string());
        state
            .metrics
            .http_request(&route, status, started.elapsed());
    }
    answered
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::test::TestRequest;

    fn from(peer: &str) -> TestRequest {
        TestRequest::default().peer_addr(peer.parse().unwrap())
    }

    #[test]
    fn networks_addresses_and_tokens_decide() {
        let access = MetricsAccess {
            allow: vec![
                parse_network("10.1.0.0/16").unwrap(),
                parse_network("192.0.2.7").unwrap(),
            ],
            token: Some("a-long-enough-token".into()),
        };
        assert_eq!(
            judge(&access, &from("10.1.2.3:5000").to_http_request()),
            Verdict::Allowed
        );
        assert_eq!(
            judge(&access, &from("192.0.2.7:5000").to_http_request()),
            Verdict::Allowed
        );
        assert_eq!(
            judge(&access, &from("192.0.2.8:5000").to_http_request()),
            Verdict::Refused
        );
        assert_eq!(
            judge(&access, &from("[::ffff:10.1.9.9]:5000").to_http_request()),
            Verdict::Allowed,
            "a mapped IPv4 peer is its IPv4 address"
        );
        let relayed = from("10.1.2.3:5000")
            .insert_header(("X-Forwarded-For", "203.0.113.9"))
            .to_http_request();
        assert_eq!(judge(&access, &relayed), Verdict::Refused);
        let with_token = from("203.0.113.9:5000")
            .insert_header(("Authorization", "Bearer a-long-enough-token"))
            .to_http_request();
        assert_eq!(judge(&access, &with_token), Verdict::Allowed);
        let wrong = from("10.1.2.3:5000")
            .insert_header(("Authorization", "Bearer nope"))
            .to_http_request();
        assert_eq!(judge(&access, &wrong), Verdict::BadToken);
        assert!(parse_network("10.0.0.0/33").is_err());
        assert!(parse_network("intranet").is_err());
    }

    #[test]
    fn loopback_only_by_default() {
        let access = MetricsAccess::default();
        assert_eq!(
            judge(&access, &from("127.0.0.1:1").to_http_request()),
            Verdict::Allowed
        );
        assert_eq!(
            judge(&access, &from("[::1]:1").to_http_request()),
            Verdict::Allowed
        );
        assert_eq!(
            judge(&access, &from("10.0.0.1:1").to_http_request()),
            Verdict::Refused
        );
    }
}
