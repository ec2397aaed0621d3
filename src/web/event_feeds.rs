//! Upcoming events as feeds: `/events.rss`, `/events.atom`, `/events.json`. The same
//! filters (`source`, `tag`, `department`, `q`, `lang`, `limit`), window (`from`/`to`),
//! ceiling, validators and caching as `/events.ics`; by default the events not yet over,
//! soonest first — a feed reader follows what is coming, and an event drops out once it
//! has ended. Rendered by `render::event_feeds`, once per view until the store changes.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use chrono::{DateTime, Utc};

use super::cache::{Keep, Rendered};
use super::conditional::{self, Vary};
use super::feeds::Format;
use super::page::origin;
use super::query::ViewQuery;
use super::{AppState, WebError, routes};
use crate::i18n::Lang;
use crate::render::FeedMeta;
use crate::render::event_feeds::{self, EntryContext};

/// As the calendar: readers poll; intermediaries may keep a copy for a few minutes.
const FEED_CACHE: &str = "public, max-age=300";

/// The events feed's route in `format`.
fn path(format: Format) -> &'static str {
    match format {
        Format::Rss => routes::EVENTS_RSS,
        Format::Atom => routes::EVENTS_ATOM,
        Format::Json => routes::EVENTS_JSON,
    }
}

pub async fn rss(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, WebError> {
    feed(req, state, Format::Rss).await
}

pub async fn atom(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, WebError> {
    feed(req, state, Format::Atom).await
}

pub async fn json(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, WebError> {
    feed(req, state, Format::Json).await
}

async fn feed(
    req: HttpRequest,
    state: web::Data<AppState>,
    format: Format,
) -> Result<HttpResponse, WebError> {
    let query = ViewQuery::read(&req, state.timezone)?;
    let origin = origin(&req, &state);
    let key = format!("{}|{}|{}", path(format), origin, query.canonical());
    let generation = state.store.generation();
    // A window the client chose has endless variants: keep only small ones.
    let keep = if query.has_window() {
        Keep::OnlySmall
    } else {
        Keep::View
    };
    let rendered = state
        .cache
        .get_or_render(generation, key, keep, || {
            render(&state, query, origin, format)
        })
        .await?;
    let truncated = rendered
        .truncated
        .as_deref()
        .and_then(|t| header::HeaderValue::from_str(t).ok());
    let mut response = conditional::respond(&req, rendered, FEED_CACHE, Vary::Encoding).await;
    if let Some(value) = truncated {
        response.headers_mut().insert(
            header::HeaderName::from_static("x-bulletin-truncated"),
            value,
        );
    }
    Ok(response)
}

async fn render(
    state: &AppState,
    query: ViewQuery,
    origin: String,
    format: Format,
) -> Result<Rendered, WebError> {
    let now = state.clock.now();
    let ceiling = state.calendar_max_events.max(1);
    let cut_is_ours = query.limit.is_none();
    let filter = query.event_filter(state.timezone, Some(now), ceiling);
    let count_filter = filter.clone();
    let store = state.store.clone();
    let (events, total) = web::block(move || {
        let events = store.events(&filter)?;
        let total = if events.len() as u64 >= u64::from(filter.limit) {
            store.count_events(&count_filter)?
        } else {
            events.len() as u64
        };
        Ok::<_, WebError>((events, total))
    })
    .await??;
    let lang = query.lang.unwrap_or(Lang::En);
    let last_changed = events.iter().map(|e| e.changed).max();
    let served = events.len() as u64;
    let truncated = (cut_is_ours && total > served).then_some((served, total));
    let mut meta = meta(&query, &origin, format, last_changed);
    if let Some((served, total)) = truncated {
        meta.description = format!(
            "{} {}",
            meta.description,
            lang.t("calendar.truncated")
                .replace("{served}", &served.to_string())
                .replace("{total}", &total.to_string())
        );
    }
    let ctx = EntryContext {
        origin,
        lang,
        style: state.style,
        zone: state.timezone,
    };
    let body = web::block(move || match format {
        Format::Rss => event_feeds::rss(&meta, &ctx, &events),
        Format::Atom => event_feeds::atom(&meta, &ctx, &events),
        Format::Json => event_feeds::json(&meta, &ctx, &events),
    })
    .await?;
    let mut rendered = Rendered::new(body, format.content_type(), last_changed);
    rendered.truncated = truncated.map(|(served, total)| format!("{served} of {total} events"));
    Ok(rendered)
}

fn meta(
    query: &ViewQuery,
    origin: &str,
    format: Format,
    last_changed: Option<DateTime<Utc>>,
) -> FeedMeta {
    let lang = query.lang.unwrap_or(Lang::En);
    let filters = query.described(lang);
    let mut title = lang.t("calendar.title").to_string();
    if !filters.is_empty() {
        let described: Vec<String> = filters
            .iter()
            .map(|(k, v)| format!("{}: {v}", lang.t(k)))
            .collect();
        title = format!("{title} ({})", described.join(", "));
    }
    let canonical = query.canonical();
    let filter_query = query.filter_query();
    let mut page_query = filter_query.clone();
    if !page_query.is_empty() {
        page_query.push('&');
    }
    page_query.push_str(&format!("lang={}", lang.code()));
    FeedMeta {
        title,
        description: lang.t("calendar.description").to_string(),
        self_url: format!("{origin}{}", routes::with_query(path(format), &canonical)),
        page_url: format!("{origin}{}", routes::listing(&page_query)),
        id: format!("urn:bulletin:feed:events?{canonical}"),
        updated: last_changed.unwrap_or(DateTime::<Utc>::UNIX_EPOCH),
        language: lang.code().to_string(),
    }
}
