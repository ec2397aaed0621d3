//! The web layer: the only module that knows HTTP routes. Handlers are thin: read the
//! query, ask the store (always on the blocking pool: `tests/invariants_web.rs` checks),
//! call a renderer, answer with validators. [`configure`] registers every route of
//! [`routes`]; [`server`] starts on a given listener, so tests bind port 0 and never wait
//! on a fixed port.

mod api;
mod body;
mod cache;
mod calendar;
mod conditional;
mod digest;
mod embed;
mod error;
mod event_feeds;
mod event_pages;
mod feeds;
mod lenient;
mod metrics;
mod page;
mod pages;
mod query;
mod registration;
pub mod routes;
mod source_pages;
mod submissions;
mod taken;

use std::net::TcpListener;
use std::time::Duration;

use actix_web::{App, HttpRequest, middleware, web};
use chrono_tz::Tz;
use url::Url;

pub use cache::DEFAULT_BUDGET_BYTES as DEFAULT_RENDER_CACHE_BYTES;
pub use calendar::{DEFAULT_MAX_EVENTS as DEFAULT_CALENDAR_MAX_EVENTS, TRUNCATED_HEADER};
pub use embed::parse_origin as parse_embed_origin;
pub use error::{Problem, WebError};
pub use metrics::{MetricsAccess, parse_network};

use crate::clock::Clock;
use crate::store::Store;

/// The log target of the access log (one line per request).
const ACCESS_LOG: &str = "bulletin::web";

/// How many registration previews run at once, server-wide.
pub const MAX_PREVIEWS: usize = 2;
/// How long a preview waits for one of those before the form answers 429.
pub const PREVIEW_WAIT: Duration = Duration::from_secs(3);

/// What every handler shares.
pub struct AppState {
    pub store: Store,
    /// The public address, for self links; taken from the request when absent.
    pub base_url: Option<Url>,
    /// The zone dates are shown in.
    pub timezone: Tz,
    /// Whose conventions pages write dates and times in.
    pub style: crate::render::dates::Style,
    /// How many days of past events calendars keep, so finished events do not vanish mid-day.
    pub calendar_past_days: i64,
    /// The most events one calendar serves; a calendar cut here says so.
    pub calendar_max_events: u32,
    /// The schedule of sources without their own, for "next fetch".
    pub default_schedule: crate::schedule::Schedule,
    /// What registration and moderation need; without it, both are turned off.
    pub registration: Option<Registration>,
    /// Where every "now" of the web layer comes from.
    pub clock: Clock,
    /// The weekly email digest, when `[digest]` sets up its mail (the web view works without).
    pub digest: Option<std::sync::Arc<crate::digest::Digests>>,
    /// The origins allowed to frame `/embed` (`settings.embed_origins`), serialised.
    pub embed_origins: Vec<String>,
    /// This process's counters, shown at `/metrics` (give the refresher the same).
    pub metrics: std::sync::Arc<crate::metrics::Metrics>,
    /// Who may read `/metrics`.
    pub metrics_access: MetricsAccess,
    cache: cache::RenderCache,
    limiter: registration::Limiter,
    /// At most [`MAX_PREVIEWS`] previews at once.
    previews: std::sync::Arc<tokio::sync::Semaphore>,
    /// The runtime previews run on (the one the state was made in), off the HTTP workers.
    runtime: Option<tokio::runtime::Handle>,
    /// The install's key for CSRF tokens, read from the store on first use.
    csrf_key: tokio::sync::OnceCell<Vec<u8>>,
}

/// The services behind registration (previews, the first fetch of an approved source)
/// and moderation (the administrator's token).
pub struct Registration {
    pub fetcher: crate::fetch::Fetcher,
    pub refresher: crate::refresh::Refresher,
    pub context: crate::harvest::Context,
    pub admin_token: Option<String>,
}

impl AppState {
    pub fn new(store: Store, base_url: Option<Url>, timezone: Tz) -> AppState {
        AppState {
            store,
            base_url,
            timezone,
            style: crate::render::dates::Style::default(),
            calendar_past_days: 30,
            calendar_max_events: DEFAULT_CALENDAR_MAX_EVENTS,
            default_schedule: crate::schedule::Schedule::parse(crate::schedule::DEFAULT)
                .expect("the default schedule is valid"),
            registration: None,
            clock: Clock::system(),
            digest: None,
            embed_origins: Vec::new(),
            metrics: Default::default(),
            metrics_access: MetricsAccess::default(),
            cache: cache::RenderCache::default(),
            limiter: registration::limiter(),
            previews: std::sync::Arc::new(tokio::sync::Semaphore::new(MAX_PREVIEWS)),
            runtime: tokio::runtime::Handle::try_current().ok(),
            csrf_key: tokio::sync::OnceCell::new(),
        }
    }

    /// Bounds the render cache to `bytes` (default [`DEFAULT_RENDER_CACHE_BYTES`]).
    pub fn set_render_cache_bytes(&mut self, bytes: usize) {
        self.cache = cache::RenderCache::new(bytes);
    }

    /// Where bodies too large for memory are spooled: beside the database, which is on
    /// a disk the operator chose (the temporary folder may be memory).
    fn spool_dir(&self) -> std::sync::Arc<std::path::Path> {
        self.store
            .path()
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(std::path::Path::new("."))
            .into()
    }

    /// What the render cache holds now, in bytes (for operators and tests).
    pub fn render_cache_bytes(&self) -> usize {
        self.cache.bytes()
    }
}

/// Every route of the service, and how the extractors' refusals are answered.
pub fn configure(cfg: &mut web::ServiceConfig) {
    use routes::*;
    cfg.app_data(web::FormConfig::default().error_handler(error::form_error))
        .app_data(web::QueryConfig::default().error_handler(error::query_error))
        .app_data(web::PathConfig::default().error_handler(error::path_error))
        .service(get_or_head(FEED_RSS, feeds::rss))
        .service(get_or_head(FEED_ATOM, feeds::atom))
        .service(get_or_head(FEED_JSON, feeds::json))
        .service(get_or_head(BLOGROLL_OPML, feeds::opml))
        .service(get_or_head(CALENDAR, calendar::events_ics))
        .service(get_or_head(EVENTS_RSS, event_feeds::rss))
        .service(get_or_head(EVENTS_ATOM, event_feeds::atom))
        .service(get_or_head(EVENTS_JSON, event_feeds::json))
        .service(get_or_head(EMBED, embed::page))
        .service(get_or_head(EMBED_FRAGMENT, embed::fragment))
        .service(
            web::resource(SUBMIT_EVENT)
                .route(web::get().to(submissions::form))
                .route(web::head().to(submissions::form))
                .route(web::post().to(submissions::submit)),
        )
        .service(
            web::resource(SUBMISSION)
                .route(web::get().to(submissions::private_page))
                .route(web::head().to(submissions::private_page))
                .route(web::post().to(submissions::private_post)),
        )
        .service(
            web::resource(ADMIN_SUBMISSION)
                .route(web::get().to(submissions::admin_page))
                .route(web::post().to(submissions::admin_post)),
        )
        .service(get_or_head(EVENT, event_pages::event))
        .service(get_or_head(ARCHIVE, event_pages::archive))
        .service(get_or_head(SOURCES, source_pages::sources))
        .service(
            web::resource(SOURCE_NEW)
                .route(web::get().to(registration::form))
                .route(web::head().to(registration::form))
                .route(web::post().to(registration::submit)),
        )
        .service(get_or_head(ADMIN, registration::admin))
        .route(ADMIN_LOGIN, web::post().to(registration::login))
        .route(ADMIN_LOGOUT, web::post().to(registration::logout))
        .route(ADMIN_DECIDE, web::post().to(registration::decide))
        .service(get_or_head(API_EVENTS, api::events))
        .service(get_or_head(API_POSTS, api::posts))
        .service(get_or_head(API_SOURCES, api::sources))
        .service(get_or_head(POSTS, pages::posts))
        .service(get_or_head(HEALTHZ, pages::healthz))
        .service(get_or_head(METRICS, metrics::metrics))
        .service(get_or_head(STYLESHEET, pages::stylesheet))
        .service(get_or_head(DIGEST, digest::digest))
        .service(get_or_head(DIGEST_RSS, digest::rss))
        .route(DIGEST_SUBSCRIBE, web::post().to(digest::subscribe))
        .service(
            web::resource(DIGEST_CONFIRM)
                .route(web::get().to(digest::confirm_form))
                .route(web::post().to(digest::confirm)),
        )
        .service(
            web::resource(DIGEST_UNSUBSCRIBE)
                .route(web::get().to(digest::unsubscribe_form))
                .route(web::post().to(digest::unsubscribe)),
        )
        .service(
            web::resource(DIGEST_MANAGE)
                .route(web::get().to(digest::manage_form))
                .route(web::post().to(digest::manage)),
        )
        .service(
            web::resource(ADMIN_DIGEST)
                .route(web::get().to(digest::admin))
                .route(web::post().to(digest::admin_toggle)),
        )
        .service(get_or_head(LISTING, event_pages::upcoming))
        .default_service(web::to(not_found));
}

/// Any address no route answers.
async fn not_found(req: HttpRequest) -> Result<actix_web::HttpResponse, WebError> {
    Err(WebError::no_such_page(&req))
}

/// A resource answering GET and HEAD with the same handler (HEAD sends no body).
fn get_or_head<F, Args>(path: &str, handler: F) -> actix_web::Resource
where
    F: actix_web::Handler<Args> + Clone,
    Args: actix_web::FromRequest + 'static,
    F::Output: actix_web::Responder + 'static,
{
    web::resource(path)
        .route(web::get().to(handler.clone()))
        .route(web::head().to(handler))
}

/// Builds the HTTP server on `listener`; await the returned server to run it, and use
/// its handle (or SIGTERM, or SIGINT) to stop it. Connections are read through [`lenient::Lenient`], so a raw
/// UTF-8 query is answered rather than refused by the HTTP decoder.
pub fn server(
    listener: TcpListener,
    state: AppState,
    workers: usize,
) -> std::io::Result<actix_web::dev::Server> {
    use actix_service::{ServiceFactoryExt, fn_service, map_config};
    // Other processes (a cron `bulletin fetch`, a CLI approval) write the same database.
    state.store.watch_foreign_writes();
    let data = web::Data::new(state);
    let server = actix_server::Server::build()
        .listen("bulletin", listener, move || {
            let data = data.clone();
            // The access log is formatted only when someone receives it: with no logger
            // (or one filtering these lines out) every request would format a line, its
            // peer address and request line included, to throw it away.
            let access_log = log::log_enabled!(target: ACCESS_LOG, log::Level::Info);
            // No Compress middleware: `conditional` encodes, with an ETag per encoding.
            let app = App::new()
                .app_data(data)
                .wrap(
                    middleware::DefaultHeaders::new()
                        .add(("X-Content-Type-Options", "nosniff"))
                        .add(("Referrer-Policy", "same-origin"))
                        // Pages load nothing from another server (departmental firewalls
                        // block it) and run no script: a source's markup cannot either.
                        // `/embed` alone sets its own, naming the origins that may frame it.
                        .add(("Content-Security-Policy", embed::csp_not_framed())),
                )
                .wrap(middleware::Condition::new(
                    access_log,
                    middleware::Logger::new("%a \"%r\" %s %b %Dms").log_target(ACCESS_LOG),
                ))
                .wrap(middleware::from_fn(metrics::count_requests))
                .configure(configure);
            let app = map_config(app, |_| actix_web::dev::AppConfig::default())
                .map_err(|error: actix_web::Error| error.error_response());
            fn_service(|stream: actix_rt::net::TcpStream| async move {
                let peer = stream.peer_addr().ok();
                Ok::<_, actix_http::error::DispatchError>((lenient::Lenient::new(stream), peer))
            })
            .and_then(actix_http::HttpService::build().h1(app))
        })?
        .workers(workers.max(1))
        .shutdown_timeout(5)
        // SIGTERM and SIGINT alike stop it gracefully (actix's own handling drops the
        // requests under way on SIGINT).
        .shutdown_signal(async {
            crate::shutdown::requested().await;
        })
        .run();
    Ok(server)
}
