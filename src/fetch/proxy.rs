//! Which requests go through a proxy, and the private-network guard for them. A proxy
//! resolves the names it is asked for, so the resolver's guard (`guard.rs`) never sees
//! them: the fetcher resolves them itself first, with the same lookup, and refuses an
//! internal address before sending, with the same error.

use std::sync::Arc;

use hyper_util::client::proxy::matcher::Matcher;
use url::Url;

use super::{BlockedAddress, FetchError, Fetcher, is_internal};

/// The proxy choice reqwest makes: its client is built without a proxy of its own, so it
/// reads `HTTPS_PROXY`, `HTTP_PROXY`, `ALL_PROXY` and `NO_PROXY` (either case) with this
/// same matcher when it is built — as this is, beside it.
#[derive(Clone)]
pub(super) struct Proxies(Arc<Matcher>);

impl Proxies {
    pub(super) fn from_env() -> Proxies {
        Proxies(Arc::new(Matcher::from_system()))
    }

    /// Whether a request for `url` goes through a proxy.
    pub(super) fn intercept(&self, url: &Url) -> bool {
        url.as_str()
            .parse::<http::Uri>()
            .is_ok_and(|uri| self.0.intercept(&uri).is_some())
    }
}

impl Fetcher {
    /// Through a proxy, the proxy resolves the name and the resolver's guard never sees
    /// it: so the name is resolved here, with the same lookup, and an internal address is
    /// refused before anything is sent, with the error the guard gives without a proxy.
    /// Requests that go direct (`NO_PROXY`) are left to the resolver's guard, IP literals
    /// and `localhost` to [`Fetcher::check_address`]. A name that does not resolve here
    /// is left to the proxy: inside many departments only the proxy resolves outside
    /// names, and its own policy then applies.
    pub(super) async fn check_proxied(&self, url: &Url) -> Result<(), FetchError> {
        let Some(proxies) = &self.proxies else {
            return Ok(());
        };
        let Some(url::Host::Domain(host)) = url.host() else {
            return Ok(());
        };
        if !proxies.intercept(url) {
            return Ok(());
        }
        let lookup = self.lookup.addresses(host);
        let found = match tokio::time::timeout(self.settings.connect_timeout, lookup).await {
            Ok(Ok(found)) => found,
            Ok(Err(error)) => {
                tracing::debug!(%url, %error, "not resolved here; the proxy resolves it");
                return Ok(());
            }
            Err(_) => {
                tracing::debug!(%url, "resolving timed out; the proxy resolves it");
                return Ok(());
            }
        };
        // The proxy may pick any of the addresses, so one internal address is enough.
        let internal: Vec<std::net::IpAddr> =
            found.into_iter().filter(|ip| is_internal(*ip)).collect();
        if internal.is_empty() {
            return Ok(());
        }
        Err(FetchError::Blocked {
            url: url.to_string(),
            reason: BlockedAddress {
                host: host.to_string(),
                addresses: internal,
            }
            .to_string(),
        })
    }
}
