//! Which network addresses the fetcher may reach. Unless the operator allows private
//! networks, loopback, private, link-local (cloud metadata), shared and unspecified
//! addresses are refused, both for IP literals in URLs and for whatever a host name
//! resolves to (the check sits inside the DNS resolver, so a name cannot be re-pointed
//! between the check and the connection).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

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

/// A resolver that drops internal addresses and fails when nothing public is left.
///
/// The proxies named in the environment are exempt: a departmental proxy usually sits on a
/// private address, and through a proxy the destination is resolved by the proxy, whose
/// own policy then applies.
#[derive(Debug, Clone, Default)]
pub struct PublicOnlyResolver {
    proxy_hosts: std::sync::Arc<Vec<String>>,
}

impl PublicOnlyResolver {
    /// Exempts the hosts of `HTTPS_PROXY`, `HTTP_PROXY` and `ALL_PROXY` (either case).
    pub fn from_env() -> PublicOnlyResolver {
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
        PublicOnlyResolver {
            proxy_hosts: std::sync::Arc::new(hosts),
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

impl Resolve for PublicOnlyResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let exempt = self
            .proxy_hosts
            .iter()
            .any(|h| h.eq_ignore_ascii_case(name.as_str()));
        Box::pin(async move {
            let host = name.as_str().to_string();
            let found: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            if exempt {
                return Ok(Box::new(found.into_iter()) as Addrs);
            }
            let public: Vec<SocketAddr> = found
                .iter()
                .copied()
                .filter(|a| !is_internal(a.ip()))
                .collect();
            if public.is_empty() && !found.is_empty() {
                return Err(
                    Box::new(BlockedAddress(host)) as Box<dyn std::error::Error + Send + Sync>
                );
            }
            Ok(Box::new(public.into_iter()) as Addrs)
        })
    }
}

/// The error a refused name resolves to; its text is what the health line shows.
#[derive(Debug, thiserror::Error)]
#[error(
    "{0} resolves only to private or internal addresses, which sources may not reach (settings.allow_private_networks)"
)]
pub struct BlockedAddress(pub String);

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
