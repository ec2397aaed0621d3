//! Refreshing a source, read top to bottom: fetch (conditionally) → detect the format →
//! extract → normalise → store, recording the attempt whatever happens. A failure at any
//! stage is recorded on the source's health line and stores no post, so what the source
//! gave before stays. [`Refresher::refresh_all`] runs many sources at once; the fetcher
//! bounds how many touch the network together.

use std::sync::Arc;
use std::time::{Duration, Instant};

use std::panic::AssertUnwindSafe;

use chrono::{DateTime, Utc};
use futures_util::FutureExt;
use tokio::task::JoinSet;

use crate::fetch::{Fetched, Fetcher};
pub use crate::harvest::{Context, Harvest};
use crate::harvest::{follow_links, harvest};
use crate::model::{
    FetchOutcome, FetchRecord, Location, Source, SourceKind, SourceState, Validators,
};
use crate::schedule;
use crate::store::{FetchWrite, Store};

mod claim;
pub mod key;
mod yielding;

pub use claim::{LEASE, RENEW_EVERY};

/// What one attempt at a source found, before anything is stored.
#[derive(Debug)]
pub enum Attempt {
    /// New content, extracted and normalised.
    Found {
        url: String,
        status: u16,
        bytes: u64,
        harvest: Box<Harvest>,
        validators: Validators,
        moved_to: Option<String>,
        parse_time: Duration,
        /// Its [`key`]; stored with what it gave.
        content_key: String,
    },
    /// Sent whole, but the document already read, under the same conditions: not read.
    Unchanged {
        url: String,
        status: u16,
        bytes: u64,
        validators: Validators,
        moved_to: Option<String>,
    },
    /// Unchanged since the last fetch.
    NotModified {
        url: String,
        status: u16,
        moved_to: Option<String>,
    },
    /// Nothing usable; the error names the URL.
    Failed {
        url: String,
        status: Option<u16>,
        bytes: u64,
        error: String,
        retry_after: Option<Duration>,
        parse_time: Duration,
    },
}

/// Runs refreshes against one fetcher and one store. Cheap to clone.
#[derive(Clone)]
pub struct Refresher {
    fetcher: Fetcher,
    store: Store,
    context: Context,
    /// The sources this refresher's process is refreshing.
    running: claim::Running,
    /// Its name on the store's leases.
    holder: String,
    /// A source whose refresh panics, for the test of what a panic leaves behind.
    #[cfg(test)]
    crash_on: Option<String>,
    /// Bounds whole refreshes (fetch, parse, store), so a pass over thousands of sources
    /// holds only this many bodies in memory and parses at most this many at once.
    slots: Arc<tokio::sync::Semaphore>,
    /// Where finished fetches are counted (`/metrics`), when the process serves them.
    metrics: Option<Arc<crate::metrics::Metrics>>,
}

impl Refresher {
    pub fn new(fetcher: Fetcher, store: Store, context: Context) -> Refresher {
        let slots = Arc::new(tokio::sync::Semaphore::new(fetcher.max_concurrent()));
        Refresher {
            fetcher,
            store,
            context,
            running: claim::Running::default(),
            holder: claim::holder(),
            #[cfg(test)]
            crash_on: None,
            slots,
            metrics: None,
        }
    }

    /// Counts every fetch this refresher finishes in `metrics`.
    pub fn with_metrics(mut self, metrics: Arc<crate::metrics::Metrics>) -> Refresher {
        self.metrics = Some(metrics);
        self
    }
}

/// Sets aside the listed posts whose own pages were read at an earlier refresh (see
/// [`crate::harvest::reuse_stored_posts`]). A store that cannot be read costs only the
/// reuse, and says so: the pages are read again.
async fn reuse_stored(store: &Store, source: &Source, harvest: &mut crate::harvest::Harvest) {
    let ids: Vec<String> = harvest
        .follow
        .iter()
        .filter_map(|f| match f {
            crate::harvest::FollowUp::PostPage { listing } => listing.url.clone(),
            _ => None,
        })
        .collect();
    if ids.is_empty() {
        return;
    }
    let store = store.clone();
    let id = source.id.clone();
    match tokio::task::spawn_blocking(move || store.stored_posts(&id, &ids)).await {
        Ok(Ok(stored)) => crate::harvest::reuse_stored_posts(harvest, &stored),
        Ok(Err(error)) => harvest.warnings.push(format!(
            "{error}; the listed posts' own pages are read again"
        )),
        Err(panic) => harvest.warnings.push(format!(
            "reading the stored posts crashed: {panic}; the listed posts' own pages are read again"
        )),
    }
}

/// Fetches, extracts and normalises a source without storing anything. The state's
/// validators make the request conditional when its rows were read under today's
/// conditions (see [`key`]); its `fetch_url` follows an earlier move; a document whose
/// key is the state's is [`Attempt::Unchanged`] and not read.
pub async fn attempt(
    fetcher: &Fetcher,
    source: &Source,
    state: &SourceState,
    context: &Context,
) -> Attempt {
    attempt_with_store(fetcher, source, state, context, None).await
}

/// [`attempt`] for a source whose earlier posts are in `store`: a page's listed posts
/// completed from their own pages before take what was read then, and those pages are
/// not read again (only reads the store).
pub async fn attempt_with_store(
    fetcher: &Fetcher,
    source: &Source,
    state: &SourceState,
    context: &Context,
    store: Option<&Store>,
) -> Attempt {
    {
        let location = match (&source.location, &state.fetch_url) {
            (Location::Url(_), Some(moved)) => match moved.parse() {
                Ok(url) => Location::Url(url),
                Err(_) => source.location.clone(),
            },
            (location, _) => location.clone(),
        };
        let reading = key::reading(source, state.detected_kind, context);
        let validators = match &state.content_key {
            Some(stored) if key::read_under(stored, &reading) => state.validators.clone(),
            _ => Validators::default(),
        };
        let fetched = match fetcher.fetch(&location, &validators).await {
            Ok(fetched) => fetched,
            Err(error) => {
                return Attempt::Failed {
                    url: location.to_string(),
                    status: error.http_status(),
                    bytes: 0,
                    error: error.to_string(),
                    retry_after: error.retry_after(),
                    parse_time: Duration::ZERO,
                };
            }
        };
        let document = match fetched {
            Fetched::NotModified {
                url,
                status,
                moved_permanently_to,
            } => {
                return Attempt::NotModified {
                    url,
                    status,
                    moved_to: moved_permanently_to.map(|u| u.to_string()),
                };
            }
            Fetched::Document(document) => document,
        };
        let read_as = crate::extract::detect(source.kind, &document);
        let content_key = key::of(
            &key::reading(source, Some(read_as), context),
            &document.body,
        );
        if state.content_key.as_deref() == Some(content_key.as_str()) {
            return Attempt::Unchanged {
                bytes: document.body.len() as u64,
                url: document.url,
                status: document.status,
                validators: document.validators,
                moved_to: document.moved_permanently_to.map(|u| u.to_string()),
            };
        }
        let owned_source = source.clone();
        let owned_context = *context;
        let parse_started = Instant::now();
        let bytes = document.body.len() as u64;
        // Below the writer's and the web workers' priority (`yielding`).
        let parsed = yielding::read_below(move || {
            let result = harvest(&owned_source, &document, &owned_context);
            (document, result)
        })
        .await;
        let parse_time = parse_started.elapsed();
        match parsed {
            Ok((document, Ok(mut harvest))) => {
                if let Some(store) = store {
                    reuse_stored(store, source, &mut harvest).await;
                }
                if !harvest.follow.is_empty() {
                    follow_links(fetcher, source, context, &mut harvest).await;
                }
                Attempt::Found {
                    url: document.url,
                    status: document.status,
                    bytes,
                    harvest: Box::new(harvest),
                    validators: document.validators,
                    moved_to: document.moved_permanently_to.map(|u| u.to_string()),
                    parse_time,
                    content_key,
                }
            }
            Ok((document, Err(error))) => Attempt::Failed {
                url: document.url,
                status: Some(document.status),
                bytes,
                error: error.to_string(),
                retry_after: None,
                parse_time,
            },
            Err(panic) => Attempt::Failed {
                url: location.to_string(),
                status: None,
                bytes,
                error: format!("{location}: the parser crashed: {panic}"),
                retry_after: None,
                parse_time,
            },
        }
    }
}

impl Refresher {
    /// On shutdown: releases the leases of refreshes this process will not finish, so the
    /// next run (or another process) fetches those sources at once. A refresh already
    /// writing finishes its transaction whole; one still fetching is abandoned.
    pub async fn release_leases(&self) {
        let (store, holder) = (self.store.clone(), self.holder.clone());
        match tokio::task::spawn_blocking(move || store.release_all_sources(&holder)).await {
            Ok(Ok(())) => {}
            Ok(Err(error)) => tracing::warn!(%error, "cannot release the refresh leases"),
            Err(error) => tracing::warn!(%error, "releasing the refresh leases failed"),
        }
    }

    /// Refreshes one source through [`Refresher::refresh_all`]; `None` when it is being
    /// refreshed already (by the schedule, an approval or a start-up pass).
    pub async fn refresh_source(
        &self,
        source: &Source,
        state: &SourceState,
    ) -> Option<FetchRecord> {
        self.refresh_all(vec![(source.clone(), state.clone())], |_| {})
            .await
            .into_iter()
            .next()
    }

    /// Fetches, reads and stores one claimed source; says whether the record was stored
    /// (which released the lease).
    async fn refresh_claimed(&self, source: &Source, state: &SourceState) -> (FetchRecord, bool) {
        #[cfg(test)]
        if self.crash_on.as_deref() == Some(source.id.as_str()) {
            panic!("a test made refreshing `{}` panic", source.id);
        }
        let started = self.context.now();
        let clock = Instant::now();
        let attempt = attempt_with_store(
            &self.fetcher,
            source,
            state,
            &self.context,
            Some(&self.store),
        )
        .await;
        let duration_ms = clock.elapsed().as_millis() as u64;
        let outcome = outcome(source, state, attempt, started, duration_ms);
        let fallback = outcome.record.clone();
        let zone = source.timezone.unwrap_or(self.context.display_zone);
        self.store_outcome(outcome, zone, fallback).await
    }

    /// Stores what an attempt gave, releasing the source's lease in the same
    /// transaction; says whether it was stored (else the lease is still held).
    async fn store_outcome(
        &self,
        outcome: Outcome,
        zone: chrono_tz::Tz,
        fallback: FetchRecord,
    ) -> (FetchRecord, bool) {
        let store = self.store.clone();
        let now = self.context.now();
        let holder = self.holder.clone();
        let saved = tokio::task::spawn_blocking(move || {
            let write = FetchWrite {
                record: outcome.record,
                posts: &outcome.harvest.posts,
                events: &outcome.harvest.events,
                events_complete: outcome.harvest.events_complete,
                detected_kind: outcome.harvest.kind,
                home_link: outcome.harvest.home_link.clone(),
                alternates: &outcome.harvest.alternates,
                zone,
                validators: outcome.validators,
                moved_to: outcome.moved_to,
                next_attempt_after: outcome.next_attempt_after,
                content_key: outcome.content_key,
                lease_holder: Some(holder),
            };
            store.save_fetch(write, now)
        })
        .await;
        match saved {
            Ok(Ok(record)) => (record, true),
            Ok(Err(error)) => (failed_to_store(fallback, error.to_string()), false),
            Err(panic) => (
                failed_to_store(fallback, format!("storing crashed: {panic}")),
                false,
            ),
        }
    }

    /// The one way sources are refreshed — the start-up pass, the schedule's tick, an
    /// administrator's approval and the command line all come here: concurrently within
    /// the refresh slots, a source already being refreshed is skipped (in this process,
    /// or — by the store's lease — in another, which is logged), and `progress` hears of
    /// each as it finishes. Records come back in completion order. Sources are started
    /// host by host in turn, so one busy host does not hold every slot. A panic while
    /// refreshing a source is caught, logged with its id and recorded on its health line;
    /// the source is released whatever happens.
    pub async fn refresh_all(
        &self,
        sources: Vec<(Source, SourceState)>,
        progress: impl Fn(&FetchRecord),
    ) -> Vec<FetchRecord> {
        let mut tasks = JoinSet::new();
        let mut claimed = Vec::new();
        let mut claims = Vec::new();
        for (source, state) in interleave_hosts(sources) {
            if let Some(claim) = self.running.claim(&source.id) {
                claimed.push((source, state));
                claims.push(claim);
            }
        }
        // The store's leases for the whole pass in one transaction; a source whose lease
        // is old by the time it gets a slot takes it again then.
        let leased =
            claim::lease_all(&mut claims, &self.store, &self.holder, self.context.now()).await;
        for (((source, state), claim), leased) in claimed.into_iter().zip(claims).zip(leased) {
            if let Err(claim::Refused::HeldBy { holder, until }) = leased {
                tracing::warn!(
                    source = %source.id, %holder, %until,
                    "{}: being refreshed by another process; skipped", source.location
                );
                continue;
            }
            let refresher = self.clone();
            tasks.spawn(async move { refresher.refresh_one(claim, source, state).await });
        }
        let mut records = Vec::new();
        while let Some(joined) = tasks.join_next().await {
            match joined {
                Ok(Some(record)) => {
                    progress(&record);
                    records.push(record);
                }
                Ok(None) => {}
                Err(error) => tracing::error!(%error, "a refresh task failed"),
            }
        }
        records
    }

    /// One source claimed in this process: waits for a slot, takes the store's lease
    /// (`None` when another process holds it), refreshes while renewing it, releases it.
    async fn refresh_one(
        &self,
        mut claim: claim::Claim,
        source: Source,
        state: SourceState,
    ) -> Option<FetchRecord> {
        let _slot = self
            .slots
            .clone()
            .acquire_owned()
            .await
            .expect("never closed");
        let now = self.context.now();
        let leased = if claim.fresh_lease(now) {
            Ok(())
        } else {
            claim.lease(&self.store, &self.holder, now).await
        };
        match leased {
            Ok(()) => {}
            Err(claim::Refused::HeldBy { holder, until }) => {
                tracing::warn!(
                    source = %source.id, %holder, %until,
                    "{}: being refreshed by another process; skipped", source.location
                );
                return None;
            }
            Err(error) => {
                let attempt = Attempt::Failed {
                    url: source.location.to_string(),
                    status: None,
                    bytes: 0,
                    error: format!(
                        "{}: source `{}` could not be claimed for refreshing: {error}",
                        source.location, source.id
                    ),
                    retry_after: None,
                    parse_time: Duration::ZERO,
                };
                let record = outcome(&source, &state, attempt, self.context.now(), 0).record;
                if let Some(metrics) = &self.metrics {
                    metrics.fetched(source.kind.or(state.detected_kind), &record);
                }
                return Some(record);
            }
        }
        let work = AssertUnwindSafe(self.refresh_claimed(&source, &state)).catch_unwind();
        let (record, stored) = match claim.renewing(work, self.context.clock).await {
            Ok(done) => done,
            Err(panic) => self.record_crash(&source, &state, panic).await,
        };
        if stored {
            claim.lease_released();
        }
        claim.release().await;
        if let Some(metrics) = &self.metrics {
            metrics.fetched(source.kind.or(state.detected_kind), &record);
        }
        log_health_change(&source, &state, &record);
        Some(record)
    }

    /// Records a crash on the source's health line, backing off as for any failure.
    async fn record_crash(
        &self,
        source: &Source,
        state: &SourceState,
        panic: Box<dyn std::any::Any + Send>,
    ) -> (FetchRecord, bool) {
        let message = panic
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| panic.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "an unexpected error".to_string());
        tracing::error!(source = %source.id, %message, "refreshing the source crashed");
        let attempt = Attempt::Failed {
            url: source.location.to_string(),
            status: None,
            bytes: 0,
            error: format!(
                "{}: Bulletin crashed while refreshing source `{}` ({message}); nothing was stored",
                source.location, source.id
            ),
            retry_after: None,
            parse_time: Duration::ZERO,
        };
        let outcome = outcome(source, state, attempt, self.context.now(), 0);
        let fallback = outcome.record.clone();
        let zone = source.timezone.unwrap_or(self.context.display_zone);
        self.store_outcome(outcome, zone, fallback).await
    }
}

/// Orders sources so that consecutive ones are on different hosts where possible.
fn interleave_hosts(sources: Vec<(Source, SourceState)>) -> Vec<(Source, SourceState)> {
    let mut by_host: Vec<(String, std::collections::VecDeque<(Source, SourceState)>)> = Vec::new();
    for entry in sources {
        let host = match &entry.0.location {
            Location::Url(url) => url.host_str().unwrap_or_default().to_string(),
            Location::File(_) => String::new(),
        };
        match by_host.iter_mut().find(|(h, _)| *h == host) {
            Some((_, queue)) => queue.push_back(entry),
            None => by_host.push((host, std::collections::VecDeque::from([entry]))),
        }
    }
    let mut out = Vec::new();
    while !by_host.is_empty() {
        for (_, queue) in &mut by_host {
            if let Some(entry) = queue.pop_front() {
                out.push(entry);
            }
        }
        by_host.retain(|(_, queue)| !queue.is_empty());
    }
    out
}

/// Everything one attempt writes.
struct Outcome {
    record: FetchRecord,
    harvest: Harvest,
    validators: Option<Validators>,
    moved_to: Option<String>,
    next_attempt_after: Option<DateTime<Utc>>,
    content_key: Option<String>,
}

fn outcome(
    source: &Source,
    state: &SourceState,
    attempt: Attempt,
    started: DateTime<Utc>,
    duration_ms: u64,
) -> Outcome {
    let mut record = FetchRecord {
        source_id: source.id.clone(),
        url: String::new(),
        started,
        duration_ms,
        parse_ms: 0,
        http_status: None,
        bytes: 0,
        items_found: 0,
        items_new: 0,
        items_updated: 0,
        outcome: FetchOutcome::Failed,
        error: None,
        warnings: None,
    };
    let mut outcome = match attempt {
        Attempt::Found {
            url,
            status,
            bytes,
            mut harvest,
            validators,
            moved_to,
            parse_time,
            content_key,
        } => {
            // A feed or calendar that now answers with a web page has probably moved:
            // say so, and read nothing from the page.
            if source.kind.is_none()
                && harvest.kind == Some(SourceKind::Html)
                && let Some(was @ (SourceKind::Feed | SourceKind::Ical)) = state.detected_kind
            {
                let was = if was == SourceKind::Feed {
                    "a feed"
                } else {
                    "a calendar"
                };
                let attempt = Attempt::Failed {
                    url: url.clone(),
                    status: Some(status),
                    bytes,
                    error: format!(
                        "{url}: the address now returns a web page where {was} was; the source may have moved"
                    ),
                    retry_after: None,
                    parse_time,
                };
                return outcome(source, state, attempt, started, duration_ms);
            }
            let found = harvest.posts.len() + harvest.events.len();
            if found == 0 && state.last_items > 0 {
                harvest.warnings.insert(
                    0,
                    format!(
                        "{url}: the document lists nothing now, where it gave {} items before; the source may have moved or broken",
                        state.last_items
                    ),
                );
            }
            record.url = url;
            record.http_status = Some(status);
            record.bytes = bytes;
            record.parse_ms = parse_time.as_millis() as u64;
            record.items_found = (harvest.posts.len() + harvest.events.len()) as u32;
            record.outcome = FetchOutcome::Ok;
            record.warnings = (!harvest.warnings.is_empty()).then(|| harvest.warnings.join("; "));
            Outcome {
                record,
                harvest: *harvest,
                validators: Some(validators),
                moved_to,
                next_attempt_after: None,
                content_key: Some(content_key),
            }
        }
        Attempt::Unchanged {
            url,
            status,
            bytes,
            validators,
            moved_to,
        } => {
            record.url = url;
            record.http_status = Some(status);
            record.bytes = bytes;
            record.items_found = state.last_items;
            record.outcome = FetchOutcome::Unchanged;
            Outcome {
                record,
                harvest: Harvest::default(),
                validators: Some(validators),
                moved_to,
                next_attempt_after: None,
                content_key: None,
            }
        }
        Attempt::NotModified {
            url,
            status,
            moved_to,
        } => {
            record.url = url;
            record.http_status = Some(status);
            record.outcome = FetchOutcome::NotModified;
            Outcome {
                record,
                harvest: Harvest::default(),
                validators: None,
                moved_to,
                next_attempt_after: None,
                content_key: None,
            }
        }
        Attempt::Failed {
            url,
            status,
            bytes,
            error,
            retry_after,
            parse_time,
        } => {
            let wait = schedule::backoff(state.consecutive_failures + 1, retry_after);
            record.url = url;
            record.http_status = status;
            record.bytes = bytes;
            record.parse_ms = parse_time.as_millis() as u64;
            record.error = Some(error);
            Outcome {
                record,
                harvest: Harvest::default(),
                validators: None,
                moved_to: None,
                next_attempt_after: chrono::TimeDelta::from_std(wait)
                    .ok()
                    .and_then(|wait| started.checked_add_signed(wait))
                    .or(Some(started)),
                content_key: None,
            }
        }
    };
    // A local file has no HTTP status, whatever the reader reports.
    if matches!(source.location, crate::model::Location::File(_)) {
        outcome.record.http_status = None;
    }
    outcome
}

fn failed_to_store(mut record: FetchRecord, error: String) -> FetchRecord {
    tracing::error!(source = %record.source_id, %error, "could not store a fetch");
    record.outcome = FetchOutcome::Failed;
    record.error = Some(error);
    record
}

/// One log line per pass.
pub fn log_pass(label: &str, records: &[FetchRecord]) {
    let count = |o| records.iter().filter(|r| r.outcome == o).count();
    tracing::info!(
        pass = label,
        sources = records.len(),
        ok = count(FetchOutcome::Ok),
        unchanged = count(FetchOutcome::Unchanged),
        not_modified = count(FetchOutcome::NotModified),
        failed = count(FetchOutcome::Failed),
        new = records.iter().map(|r| r.items_new).sum::<u32>(),
        "fetch pass done"
    );
}

/// How a source's health moved with one fetch: logged only when it changes, so a source
/// failing for a week says so once (and once more when it recovers), not every pass.
#[derive(Debug, PartialEq, Eq)]
pub enum HealthChange {
    /// It worked last time (or has never been fetched) and failed now.
    Failing,
    /// It had failed this many times in a row and works again.
    Recovered { failures: u32 },
}

/// The change `record` makes to a source that had failed `failures` times in a row.
pub fn health_change(failures: u32, record: &FetchRecord) -> Option<HealthChange> {
    match (failures > 0, record.outcome == FetchOutcome::Failed) {
        (false, true) => Some(HealthChange::Failing),
        (true, false) => Some(HealthChange::Recovered { failures }),
        _ => None,
    }
}

fn log_health_change(source: &Source, state: &SourceState, record: &FetchRecord) {
    match health_change(state.consecutive_failures, record) {
        Some(HealthChange::Failing) => tracing::warn!(
            source = %source.id,
            error = record.error.as_deref().unwrap_or(""),
            "source failing (logged again when it recovers)"
        ),
        Some(HealthChange::Recovered { failures }) => tracing::info!(
            source = %source.id,
            failures,
            "source recovered"
        ),
        None => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn health_is_logged_on_changes_only() {
        let mut record = FetchRecord {
            source_id: "a".into(),
            url: String::new(),
            started: chrono::DateTime::UNIX_EPOCH,
            duration_ms: 0,
            parse_ms: 0,
            http_status: None,
            bytes: 0,
            items_found: 0,
            items_new: 0,
            items_updated: 0,
            outcome: FetchOutcome::Failed,
            error: Some("down".into()),
            warnings: None,
        };
        assert_eq!(health_change(0, &record), Some(HealthChange::Failing));
        assert_eq!(health_change(3, &record), None, "still failing: quiet");
        record.outcome = FetchOutcome::NotModified;
        assert_eq!(
            health_change(3, &record),
            Some(HealthChange::Recovered { failures: 3 })
        );
        assert_eq!(health_change(0, &record), None, "still fine: quiet");
    }
    use crate::model::Location;

    fn at(id: &str, url: &str) -> (Source, SourceState) {
        let source = Source {
            id: id.into(),
            name: id.into(),
            department: String::new(),
            tags: vec![],
            kind: None,
            location: Location::Url(url.parse().unwrap()),
            schedule: None,
            timezone: None,
            selectors: None,
            post_selectors: None,
            events_from_links: false,
            language: None,
            translation_of: None,
        };
        (source, SourceState::default())
    }

    #[test]
    fn hosts_take_turns() {
        let sources = vec![
            at("a1", "https://a.example/1"),
            at("a2", "https://a.example/2"),
            at("a3", "https://a.example/3"),
            at("b1", "https://b.example/1"),
            at("c1", "https://c.example/1"),
        ];
        let order: Vec<String> = interleave_hosts(sources)
            .into_iter()
            .map(|(s, _)| s.id)
            .collect();
        assert_eq!(order, ["a1", "b1", "c1", "a2", "a3"]);
    }
}

#[cfg(test)]
mod crash_tests;
