//! Which network addresses the fetcher may reach. Unless the operator allows private
//! networks, loopback, private, link-local (cloud metadata), shared and unspecified
//! addresses are refused, both for IP literals in URLs and for whatever a host name
//! resolves to (the check sits inside the DNS resolver, so a name cannot be re-pointed
//! between the check and the connection). Through a proxy, which resolves names itself,
//! the fetcher resolves the name with the same [`Lookup`] before sending and refuses an
//! internal address the same way.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;

use reqwest::dns::{Addrs, Name, Resolve, Resolving};

/// True when the address is one a public source must never make us reach.
pub fn is_internal(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_internal_v4(v4),
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_internal_v4(v4);
            }
            is_internal_v6(v6)
        }
    }
}

fn is_internal_v4(ip: Ipv4Addr) -> bool {
    let [a, b, ..] = ip.octets();
    ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_unspecified()
        || ip.is_broadcast()
        || ip.is_multicast()
        || a == 0
        || (a == 100 && (64..128).contains(&b)) // shared address space (carrier NAT)
        || (a == 192 && b == 0 && ip.octets()[2] == 0) // IETF protocol assignments
        || a >= 240
}

fn is_internal_v6(ip: Ipv6Addr) -> bool {
    let first = ip.segments()[0];
    ip.is_loopback()
        || ip.is_unspecified()
        || ip.is_multicast()
        || (first & 0xfe00) == 0xfc00 // unique local
        || (first & 0xffc0) == 0xfe80 // link-local
}

/// Where host names are looked up: the system's resolver, or a fixed table (tests, so that
/// names resolve to chosen addresses and no query leaves the machine).
#[derive(Debug, Clone, Default)]
pub enum Lookup {
    #[default]
    System,
    /// Names in the table resolve to its addresses; any other name is not found.
    Table(Arc<HashMap<String, Vec<IpAddr>>>),
}

impl Lookup {
    /// The addresses `host` resolves to.
    pub async fn addresses(&self, host: &str) -> std::io::Result<Vec<IpAddr>> {
        match self {
            Lookup::System => Ok(tokio::net::lookup_host((host, 0))
                .await?
                .map(|a| a.ip())
                .collect()),
            Lookup::Table(table) => {
                table
                    .get(&host.to_ascii_lowercase())
                    .cloned()
                    .ok_or_else(|| {
                        std::io::Error::new(
                            std::io::ErrorKind::NotFound,
                            format!("{host}: not in the test's table of names"),
                        )
                    })
            }
        }
    }
}

/// The fetcher's resolver: looks names up with a [`Lookup`] and, when `guard` is set,
/// drops internal addresses and fails when nothing public is left.
///
/// The proxies named in the environment are exempt: a departmental proxy usually sits on a
/// private address. The destinations a proxy resolves are checked before the request is
/// sent instead (`Fetcher::check_proxied`).
#[derive(Debug, Clone)]
pub struct GuardedResolver {
    lookup: Lookup,
    guard: bool,
    proxy_hosts: Arc<Vec<String>>,
}

impl GuardedResolver {
    /// Exempts the hosts of `HTTPS_PROXY`, `HTTP_PROXY` and `ALL_PROXY` (either case).
    pub fn from_env(lookup: Lookup, guard: bool) -> GuardedResolver {
        let hosts = [
            "HTTPS_PROXY",
            "https_proxy",
            "HTTP_PROXY",
            "http_proxy",
            "ALL_PROXY",
            "all_proxy",
        ]
        .iter()
        .filter_map(|var| std::env::var(var).ok())
        .filter_map(|value| proxy_host(&value))
        .collect();
        GuardedResolver {
            lookup,
            guard,
            proxy_hosts: Arc::new(hosts),
        }
    }
}

/// The host of a proxy setting, which may lack a scheme ("proxy.dept.gc.ca:3128").
fn proxy_host(value: &str) -> Option<String> {
    let value = value.trim();
    let with_scheme = if value.contains("://") {
        value.to_string()
    } else {
        format!("http://{value}")
    };
    url::Url::parse(&with_scheme)
        .ok()?
        .host_str()
        .filter(|h| !h.is_empty())
        .map(|h| h.to_ascii_lowercase())
}

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let exempt = !self.guard
            || self
                .proxy_hosts
                .iter()
                .any(|h| h.eq_ignore_ascii_case(name.as_str()));
        let lookup = self.lookup.clone();
        Box::pin(async move {
            let host = name.as_str().to_string();
            let found = lookup.addresses(&host).await?;
            let to_socket = |ips: Vec<IpAddr>| -> Addrs {
                Box::new(ips.into_iter().map(|ip| SocketAddr::new(ip, 0)))
            };
            if exempt {
                return Ok(to_socket(found));
            }
            let (internal, public): (Vec<IpAddr>, Vec<IpAddr>) =
                found.into_iter().partition(|ip| is_internal(*ip));
            if public.is_empty() && !internal.is_empty() {
                return Err(Box::new(BlockedAddress {
                    host,
                    addresses: internal,
                })
                    as Box<dyn std::error::Error + Send + Sync>);
            }
            Ok(to_socket(public))
        })
    }
}

/// The refusal of a name that resolves to internal addresses; its text (with the URL
/// before it) is what the health line shows, with or without a proxy.
#[derive(Debug, thiserror::Error)]
#[error(
    "{host} resolves to a private or internal address ({}), which sources may not reach (settings.allow_private_networks)",
    list(.addresses)
)]
pub struct BlockedAddress {
    pub host: String,
    /// The internal addresses it resolved to.
    pub addresses: Vec<IpAddr>,
}

fn list(addresses: &[IpAddr]) -> String {
    addresses
        .iter()
        .map(IpAddr::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

/// Whether a host name means this machine by definition (RFC 6761: `localhost` and the
/// names under it), whatever a resolver or a proxy would make of it.
pub fn is_localhost(name: &str) -> bool {
    let name = name.trim_end_matches('.').to_ascii_lowercase();
    name == "localhost" || name.ends_with(".localhost")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn internal_ranges_are_refused() {
        for ip in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "::1",
            "fd00::1",
            "fe80::1",
            "::ffff:127.0.0.1",
        ] {
            assert!(is_internal(ip.parse().unwrap()), "{ip} should be internal");
        }
    }

    #[test]
    fn localhost_and_the_names_under_it_are_this_machine() {
        for name in ["localhost", "LocalHost.", "api.localhost", "a.b.localhost."] {
            assert!(is_localhost(name), "{name}");
        }
        for name in ["localhost.example", "notlocalhost", "example.gc.ca"] {
            assert!(!is_localhost(name), "{name}");
        }
    }

    #[test]
    fn proxy_hosts_are_read_with_or_without_scheme() {
        assert_eq!(
            proxy_host("http://proxy.dept.example:3128").as_deref(),
            Some("proxy.dept.example")
        );
        assert_eq!(
            proxy_host("Proxy.Dept.Example:8080").as_deref(),
            Some("proxy.dept.example")
        );
        assert_eq!(proxy_host(""), None);
    }

    #[test]
    fn public_addresses_are_allowed() {
        for ip in [
            "8.8.8.8",
            "151.101.1.1",
            "2001:4860:4860::8888",
            "172.32.0.1",
        ] {
            assert!(!is_internal(ip.parse().unwrap()), "{ip} should be public");
        }
    }
}
