//! The fetcher's limits and manners, as the settings give them.

use std::path::PathBuf;
use std::time::Duration;

/// Limits and manners of the fetcher.
#[derive(Debug, Clone)]
pub struct FetchSettings {
    pub timeout: Duration,
    pub connect_timeout: Duration,
    pub max_body_bytes: u64,
    pub max_concurrent: usize,
    pub max_per_host: usize,
    pub retries: u32,
    pub retry_base_delay: Duration,
    pub max_redirects: usize,
    /// Extra PEM certificates to trust besides the system store.
    pub ca_bundle: Option<PathBuf>,
    pub allow_private_networks: bool,
}

impl Default for FetchSettings {
    fn default() -> Self {
        FetchSettings {
            timeout: Duration::from_secs(30),
            connect_timeout: Duration::from_secs(10),
            max_body_bytes: 10 * 1024 * 1024,
            max_concurrent: 16,
            max_per_host: 2,
            retries: 2,
            retry_base_delay: Duration::from_millis(500),
            max_redirects: 10,
            ca_bundle: None,
            allow_private_networks: false,
        }
    }
}
