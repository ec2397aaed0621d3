//! The web layer: the only module that knows HTTP routes. Handlers are thin: read the
//! query, ask the store (on the blocking pool), call a renderer, answer with validators.
//! [`configure`] lists every route; [`server`] starts on a given listener, so tests bind
//! port 0 and never wait on a fixed port.

mod api;
mod cache;
mod calendar;
mod conditional;
mod error;
mod event_pages;
mod feeds;
mod pages;
mod query;
mod registration;
mod source_pages;

use std::net::TcpListener;

use actix_web::{App, HttpServer, middleware, web};
use chrono_tz::Tz;
use url::Url;

pub use error::WebError;

use crate::store::Store;

/// What every handler shares.
pub struct AppState {
    pub store: Store,
    /// The public address, for self links; taken from the request when absent.
    pub base_url: Option<Url>,
    /// The zone dates are shown in.
    pub timezone: Tz,
    /// How many days of past events calendars keep, so finished events do not vanish mid-day.
    pub calendar_past_days: i64,
    /// The schedule of sources without their own, for "next fetch".
    pub default_schedule: String,
    /// What registration and moderation need; without it, both are turned off.
    pub registration: Option<Registration>,
    cache: cache::RenderCache,
    limiter: registration::Limiter,
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
            calendar_past_days: 30,
            default_schedule: crate::config::DEFAULT_SCHEDULE.to_string(),
            registration: None,
            cache: cache::RenderCache::default(),
            limiter: registration::limiter(),
        }
    }
}

/// Every route of the service.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(get_or_head("/feed.rss", feeds::rss))
        .service(get_or_head("/feed.atom", feeds::atom))
        .service(get_or_head("/feed.json", feeds::json))
        .service(get_or_head("/blogroll.opml", feeds::opml))
        .service(get_or_head("/events.ics", calendar::events_ics))
        .service(get_or_head("/events/{file}", event_pages::event))
        .service(get_or_head("/archive", event_pages::archive))
        .service(get_or_head("/sources", source_pages::sources))
        .service(
            web::resource("/sources/new")
                .route(web::get().to(registration::form))
                .route(web::head().to(registration::form))
                .route(web::post().to(registration::submit)),
        )
        .service(get_or_head("/admin", registration::admin))
        .route("/admin/login", web::post().to(registration::login))
        .route("/admin/logout", web::post().to(registration::logout))
        .route("/admin/sources/{id}", web::post().to(registration::decide))
        .service(get_or_head("/api/events", api::events))
        .service(get_or_head("/api/posts", api::posts))
        .service(get_or_head("/api/sources", api::sources))
        .service(get_or_head("/posts", pages::posts))
        .service(get_or_head("/healthz", pages::healthz))
        .service(get_or_head("/static/style.css", pages::stylesheet))
        .service(get_or_head("/", event_pages::upcoming));
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
/// its handle to stop it.
pub fn server(
    listener: TcpListener,
    state: AppState,
    workers: usize,
) -> std::io::Result<actix_web::dev::Server> {
    let data = web::Data::new(state);
    let server = HttpServer::new(move || {
        App::new()
            .app_data(data.clone())
            .wrap(middleware::Compress::default())
            .wrap(
                middleware::DefaultHeaders::new()
                    .add(("X-Content-Type-Options", "nosniff"))
                    .add(("Referrer-Policy", "same-origin"))
                    // Pages load nothing from another server (departmental firewalls block it)
                    // and run no script: a source's markup cannot either.
                    .add((
                        "Content-Security-Policy",
                        "default-src 'self'; img-src 'self'; style-src 'self'; script-src 'none'; \
                         frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
                    )),
            )
            .wrap(middleware::Logger::new("%a \"%r\" %s %b %Dms").log_target("bulletin::web"))
            .configure(configure)
    })
    .workers(workers.max(1))
    .listen(listener)?
    .shutdown_timeout(5)
    .run();
    Ok(server)
}
