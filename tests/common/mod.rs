//! Shared test harness: a store in a temporary folder, a fetcher allowed onto loopback
//! (fixtures are served by wiremock on 127.0.0.1), and helpers to register sources and
//! run real refreshes. No test here reaches beyond 127.0.0.1.
#![allow(dead_code)]

pub mod process;

use std::path::PathBuf;
use std::time::Duration;

use bulletin::fetch::FetchSettings;
use bulletin::fetch::Fetcher;
use bulletin::model::{FetchRecord, Location, Source, SourceKind};
use bulletin::refresh::Refresher;
use bulletin::store::Store;

/// Settings for tests: loopback allowed, short timeouts and retry delays.
pub fn test_fetch_settings() -> FetchSettings {
    FetchSettings {
        timeout: Duration::from_secs(2),
        connect_timeout: Duration::from_secs(1),
        retries: 1,
        retry_base_delay: Duration::from_millis(20),
        allow_private_networks: true,
        ..FetchSettings::default()
    }
}

/// Extraction context for tests: Toronto time, the default event window.
pub fn test_context() -> bulletin::refresh::Context {
    bulletin::refresh::Context {
        display_zone: chrono_tz::America::Toronto,
        events: bulletin::harvest::EventSettings::default(),
        clock: bulletin::clock::Clock::system(),
    }
}

pub fn fixture_path(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join(name)
}

pub fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(fixture_path(name)).unwrap_or_else(|e| panic!("fixture {name}: {e}"))
}

pub struct Harness {
    pub store: Store,
    pub refresher: Refresher,
    sources: std::sync::Mutex<Vec<Source>>,
    _dir: tempfile::TempDir,
}

impl Harness {
    pub fn new() -> Harness {
        Harness::with_settings(test_fetch_settings())
    }

    pub fn with_settings(settings: FetchSettings) -> Harness {
        Harness::with(settings, test_context())
    }

    pub fn with(settings: FetchSettings, context: bulletin::refresh::Context) -> Harness {
        bulletin::fetch::install_tls_provider();
        let dir = tempfile::tempdir().expect("temp dir");
        let store = Store::open(&dir.path().join("bulletin.db")).expect("open store");
        let fetcher = Fetcher::new(settings).expect("fetcher");
        Harness {
            refresher: Refresher::new(fetcher, store.clone(), context),
            store,
            sources: Default::default(),
            _dir: dir,
        }
    }

    /// Registers (or replaces) a feed source at `url`.
    pub fn add_source(&self, id: &str, url: &str) {
        self.add(source(
            id,
            Location::Url(url.parse().expect("url")),
            Some(SourceKind::Feed),
        ));
    }

    pub fn add(&self, source: Source) {
        let mut sources = self.sources.lock().unwrap();
        sources.retain(|s| s.id != source.id);
        sources.push(source);
        self.store
            .sync_config_sources(&sources, chrono::Utc::now())
            .expect("sync sources");
    }

    /// One real refresh of one source, as a scheduled pass would do it.
    pub async fn refresh(&self, id: &str) -> FetchRecord {
        let (source, state) = self.store.source(id).expect("source exists");
        self.refresher
            .refresh_source(&source, &state)
            .await
            .expect("not being refreshed already")
    }

    /// Every stored event.
    pub fn events(&self) -> Vec<bulletin::store::StoredEvent> {
        let filter = bulletin::store::EventFilter {
            limit: 100_000,
            ..Default::default()
        };
        self.store.events(&filter).expect("read events")
    }

    /// Every stored post of a source.
    pub fn posts(&self, id: &str) -> Vec<bulletin::model::StoredPost> {
        let filter = bulletin::store::PostFilter {
            sources: vec![id.to_string()],
            limit: 1000,
            ..Default::default()
        };
        self.store.posts(&filter).expect("read posts")
    }
}

pub fn source(id: &str, location: Location, kind: Option<SourceKind>) -> Source {
    Source {
        id: id.to_string(),
        name: format!("Source {id}"),
        department: "Test Department".to_string(),
        tags: vec!["test".to_string()],
        kind,
        location,
        schedule: None,
        timezone: None,
        selectors: None,
        post_selectors: None,
        events_from_links: false,
        language: None,
        translation_of: None,
    }
}

/// The web server on a loopback port over a store, with a client that asks for no
/// compression unless a test says so.
pub struct Site {
    pub base: String,
    pub client: reqwest::Client,
    pub handle: actix_web::dev::ServerHandle,
}

impl Site {
    /// Starts the server (call inside an actix runtime, e.g. `#[actix_web::test]`).
    pub fn start(store: &Store) -> Site {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind loopback");
        let base = format!("http://{}", listener.local_addr().expect("address"));
        let state = bulletin::web::AppState::new(store.clone(), None, chrono_tz::America::Toronto);
        let server = bulletin::web::server(listener, state, 1).expect("server");
        let handle = server.handle();
        actix_web::rt::spawn(server);
        let client = reqwest::Client::builder()
            .no_gzip()
            .no_brotli()
            .build()
            .expect("client");
        Site {
            base,
            client,
            handle,
        }
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client
            .get(format!("{}{path}", self.base))
            .send()
            .await
            .expect("request")
    }
}

/// RFC 5545 §3.3.11 unescaping, written from the RFC for tests (the `ical` crate leaves
/// values escaped).
pub fn ical_unescape(value: &str) -> String {
    let mut out = String::new();
    let mut chars = value.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            match chars.next() {
                Some('n' | 'N') => out.push('\n'),
                Some(other) => out.push(other),
                None => {}
            }
        } else {
            out.push(c);
        }
    }
    out
}

impl Site {
    /// Starts the server with its state adjusted by `adjust` first (settings under test).
    pub fn start_with(store: &Store, adjust: impl FnOnce(&mut bulletin::web::AppState)) -> Site {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind loopback");
        let base = format!("http://{}", listener.local_addr().expect("address"));
        let mut state =
            bulletin::web::AppState::new(store.clone(), None, chrono_tz::America::Toronto);
        adjust(&mut state);
        bulletin::fetch::install_tls_provider();
        let server = bulletin::web::server(listener, state, 1).expect("server");
        let handle = server.handle();
        actix_web::rt::spawn(server);
        let client = reqwest::Client::builder()
            .no_gzip()
            .no_brotli()
            .build()
            .expect("client");
        Site {
            base,
            client,
            handle,
        }
    }
}
