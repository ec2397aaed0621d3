//! The merged calendar: `/events.ics` (filtered like every listing) and one event as
//! `/events/{uid}.ics`. Rendered once per view until the store changes; validators and
//! 304s as for the feeds; compressed only when the client asks.
//!
//! Every event the filters and window select is served: a calendar is read from the
//! store a page at a time and rendered page by page on the blocking pool (two at once,
//! server-wide; a large one in two runs of events, each on a thread of its own), its
//! body spooled to disk once large, so its size never decides the
//! server's memory. Only the operator's ceiling (`calendar_max_events`) cuts one, and a
//! cut calendar says so in its description and in an `X-Bulletin-Truncated` header.

use std::sync::{Arc, Mutex};

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use chrono::Duration;

use super::body::{self, SPOOL_THRESHOLD, SpoolWriter};
use super::cache::{Keep, Rendered};
use super::conditional::{self, Vary};
use super::error::Problem;
use super::query::ViewQuery;
use super::{AppState, WebError, routes};
use crate::i18n::Lang;
use crate::render::ics::{CalendarMeta, TAIL, UID_DOMAIN, ZoneSpans, head, render, vevents};
use crate::store::StoredEvent;

/// Calendar clients poll; intermediaries may keep a copy for a few minutes.
const CALENDAR_CACHE: &str = "public, max-age=300";
/// The most events one calendar carries unless the operator says otherwise: a safety
/// ceiling far above any real window.
pub const DEFAULT_MAX_EVENTS: u32 = 1_000_000;
/// Events read from the store (and rendered) at once.
const PAGE_EVENTS: u32 = 1_000;
/// Runs a large calendar is read and rendered in, at once (`Store::event_pages_in_runs`).
const RUNS: usize = 2;
/// The header saying a calendar was cut at the ceiling: "served of total events".
pub const TRUNCATED_HEADER: &str = "X-Bulletin-Truncated";
const CONTENT_TYPE: &str = "text/calendar; charset=utf-8";

fn meta(query: &ViewQuery, state: &AppState) -> CalendarMeta {
    let lang = query.lang.unwrap_or(Lang::En);
    let filters = query.described(lang);
    let mut name = lang.t("calendar.title").to_string();
    if !filters.is_empty() {
        let described: Vec<String> = filters
            .iter()
            .map(|(k, v)| format!("{}: {v}", lang.t(k)))
            .collect();
        name = format!("{name} ({})", described.join(", "));
    }
    CalendarMeta {
        name,
        description: lang.t("calendar.description").to_string(),
        timezone: state.timezone,
        refresh: Duration::hours(1),
        uid_domain: UID_DOMAIN.to_string(),
        language: lang,
    }
}

/// What one run of a calendar rendered so far.
struct RunOut {
    out: SpoolWriter,
    spans: ZoneSpans,
    served: u64,
    last_modified: Option<chrono::DateTime<chrono::Utc>>,
    /// The write that failed; the run stops there.
    failed: Option<std::io::Error>,
}

impl RunOut {
    fn new(threshold: usize, dir: Arc<std::path::Path>) -> RunOut {
        RunOut {
            out: SpoolWriter::new(threshold, dir),
            spans: ZoneSpans::default(),
            served: 0,
            last_modified: None,
            failed: None,
        }
    }

    /// Renders `page` after what the run holds; false once a write failed.
    fn add(&mut self, meta: &CalendarMeta, page: &[StoredEvent]) -> bool {
        self.served += page.len() as u64;
        self.spans.add(page);
        self.last_modified = page
            .iter()
            .map(|e| e.changed)
            .chain(self.last_modified)
            .max();
        if let Err(error) = std::io::Write::write_all(&mut self.out, vevents(meta, page).as_bytes())
        {
            self.failed = Some(error);
        }
        self.failed.is_none()
    }
}

/// The `Content-Disposition` of `/events.ics`, written once.
const CALENDAR_DISPOSITION: &str = "inline; filename=\"bulletin-events.ics\"";

/// The answer for `rendered`, with its `Content-Disposition` value (`inline` and the
/// file name) and the truncation header when it was cut.
async fn respond(
    req: &HttpRequest,
    rendered: Arc<Rendered>,
    disposition: header::HeaderValue,
) -> HttpResponse {
    let truncated = rendered
        .truncated
        .as_deref()
        .and_then(|t| header::HeaderValue::from_str(t).ok());
    let mut response = conditional::respond(req, rendered, CALENDAR_CACHE, Vary::Encoding).await;
    if let Some(value) = truncated {
        response.headers_mut().insert(
            header::HeaderName::from_static("x-bulletin-truncated"),
            value,
        );
    }
    response
        .headers_mut()
        .insert(header::CONTENT_DISPOSITION, disposition);
    response
}

/// `/events.ics`: upcoming events plus the recent past, filtered by the query.
pub async fn events_ics(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, WebError> {
    let query = ViewQuery::read(&req, state.timezone)?;
    let generation = state.store.generation();
    let key = format!("{}|{}", routes::CALENDAR, query.canonical());
    // A window the client chose has endless variants: keep only small ones.
    let keep = if query.has_window() {
        Keep::OnlySmall
    } else {
        Keep::View
    };
    let rendered = state
        .cache
        .get_or_render(generation, key, keep, || render_calendar(&state, query))
        .await?;
    let disposition = header::HeaderValue::from_static(CALENDAR_DISPOSITION);
    Ok(respond(&req, rendered, disposition).await)
}

/// The calendar `query` selects, read and rendered a page of events at a time.
async fn render_calendar(state: &AppState, query: ViewQuery) -> Result<Rendered, WebError> {
    let now = state.clock.now();
    let default_from = now
        .checked_sub_signed(Duration::days(state.calendar_past_days))
        .unwrap_or(now);
    let ceiling = state.calendar_max_events.max(1);
    // A `limit=` the client asked for is a choice, not a cut.
    let cut_is_ours = query.limit.is_none();
    let mut filter = query.event_filter(state.timezone, Some(default_from), ceiling);
    // An event joined into another's language versions is still published, cancelled.
    filter.retired = true;
    let lang = query.lang.unwrap_or(Lang::En);
    let meta = meta(&query, state);
    let store = state.store.clone();
    let dir = state.spool_dir();
    let _turn = body::turn_to_make().await;
    // A large calendar is read and rendered in runs of consecutive events, each on a
    // thread of its own with its own reader (`Store::event_pages_in_runs`): a thread reads
    // a page, renders it and frees it, so pages are never freed on another thread than
    // the one that allocated them (each free then took the other's malloc arena lock).
    // Each run keeps at most its share of the memory a body may hold before it spools.
    let written = web::block(move || {
        let runs: Vec<Mutex<RunOut>> = (0..RUNS)
            .map(|_| Mutex::new(RunOut::new(SPOOL_THRESHOLD / RUNS, dir.clone())))
            .collect();
        let total = store.event_pages_in_runs(&filter, PAGE_EVENTS, RUNS, |run, page| {
            let mut out = runs[run].lock().unwrap_or_else(|e| e.into_inner());
            out.add(&meta, &page)
        })?;
        let (mut spans, mut served, mut last_modified) = (ZoneSpans::default(), 0u64, None);
        let mut middles = Vec::with_capacity(RUNS);
        for run in runs {
            let run = run.into_inner().unwrap_or_else(|e| e.into_inner());
            spans.merge(run.spans);
            served += run.served;
            last_modified = last_modified.max(run.last_modified);
            if let Some(error) = run.failed {
                return Ok(Err(error));
            }
            match run.out.finish() {
                Ok(middle) => middles.push(middle),
                Err(error) => return Ok(Err(error)),
            }
        }
        Ok::<_, crate::store::StoreError>(Ok((middles, spans, served, total, last_modified, meta)))
    })
    .await??;
    let (spooled, spans, served, total, last_modified, mut meta) = written
        .map_err(|error| WebError::Internal(format!("cannot spool the calendar: {error}")))?;
    web::block(move || {
        let truncated = (cut_is_ours && total > served).then_some((served, total));
        if let Some((served, total)) = truncated {
            meta.description = format!(
                "{} {}",
                meta.description,
                lang.t("calendar.truncated")
                    .replace("{served}", &served.to_string())
                    .replace("{total}", &total.to_string())
            );
        }
        let mut rendered = Rendered::assembled(
            head(&meta, &spans),
            spooled,
            TAIL,
            CONTENT_TYPE,
            last_modified,
        );
        rendered.truncated = truncated.map(|(served, total)| format!("{served} of {total} events"));
        Ok(rendered)
    })
    .await?
}

/// 404 for an unknown event, in both languages.
fn no_such_event(req: &HttpRequest) -> WebError {
    WebError::not_found(
        req,
        Problem::new("No such event.", "Cet événement n’existe pas."),
    )
}

/// `/events/{uid}.ics`: one event, for "add to calendar".
pub async fn event_ics(
    req: HttpRequest,
    path: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, WebError> {
    let file = path.into_inner();
    let Some(uid) = file
        .strip_suffix(".ics")
        .filter(|u| !u.is_empty() && u.chars().all(|c| c.is_ascii_alphanumeric()))
    else {
        return Err(no_such_event(&req));
    };
    let uid = uid.to_string();
    let store = state.store.clone();
    let lookup = uid.clone();
    let Some(event) = web::block(move || store.event(&lookup)).await?? else {
        return match super::page::moved_event(&req, &state, &uid, routes::event_ics).await? {
            Some(redirect) => Ok(redirect),
            None => Err(no_such_event(&req)),
        };
    };
    let query = ViewQuery::read(&req, state.timezone)?;
    let mut meta = meta(&query, &state);
    meta.name = crate::render::versions::event_in(&event, meta.language.code())
        .title
        .to_string();
    let body = render(&meta, std::slice::from_ref(&event));
    let rendered = Arc::new(Rendered::new(body, CONTENT_TYPE, Some(event.changed)));
    // The uid is ASCII letters and digits, so the value is always a valid header.
    let disposition = header::HeaderValue::from_str(&format!("inline; filename=\"{uid}.ics\""))
        .map_err(|error| WebError::Internal(format!("content disposition: {error}")))?;
    Ok(respond(&req, rendered, disposition).await)
}
