//! Refreshing a source, read top to bottom: fetch (conditionally) → detect the format →
//! extract → normalise → store, recording the attempt whatever happens. A failure at any
//! stage is recorded on the source's health line and stores no post, so what the source
//! gave before stays. [`Refresher::refresh_all`] runs many sources at once; the fetcher
//! bounds how many touch the network together.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use tokio::task::JoinSet;

use crate::fetch::{Fetched, Fetcher};
pub use crate::harvest::{Context, Harvest};
use crate::harvest::{follow_links, harvest};
use crate::model::{FetchOutcome, FetchRecord, Location, Source, SourceState, Validators};
use crate::schedule;
use crate::store::{FetchWrite, Store};

/// What one attempt at a source found, before anything is stored.
#[derive(Debug)]
pub enum Attempt {
    /// New content, extracted and normalised.
    Found {
        url: String,
        status: u16,
        bytes: u64,
        harvest: Harvest,
        validators: Validators,
        moved_to: Option<String>,
        parse_time: Duration,
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
    running: Arc<Mutex<HashSet<String>>>,
    /// Bounds whole refreshes (fetch, parse, store), so a pass over thousands of sources
    /// holds only this many bodies in memory and parses at most this many at once.
    slots: Arc<tokio::sync::Semaphore>,
}

impl Refresher {
    pub fn new(fetcher: Fetcher, store: Store, context: Context) -> Refresher {
        let slots = Arc::new(tokio::sync::Semaphore::new(fetcher.max_concurrent()));
        Refresher {
            fetcher,
            store,
            context,
            running: Arc::default(),
            slots,
        }
    }
}

/// Fetches, extracts and normalises a source without storing anything. The state's
/// validators make the request conditional; its `fetch_url` follows an earlier move.
pub async fn attempt(
    fetcher: &Fetcher,
    source: &Source,
    state: &SourceState,
    context: &Context,
) -> Attempt {
    {
        let location = match (&source.location, &state.fetch_url) {
            (Location::Url(_), Some(moved)) => match moved.parse() {
                Ok(url) => Location::Url(url),
                Err(_) => source.location.clone(),
            },
            (location, _) => location.clone(),
        };
        let fetched = match fetcher.fetch(&location, &state.validators).await {
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
        let owned_source = source.clone();
        let owned_context = *context;
        let parse_started = Instant::now();
        let bytes = document.body.len() as u64;
        let parsed = tokio::task::spawn_blocking(move || {
            let result = harvest(&owned_source, &document, &owned_context);
            (document, result)
        })
        .await;
        let parse_time = parse_started.elapsed();
        match parsed {
            Ok((document, Ok(mut harvest))) => {
                if !harvest.follow.is_empty() {
                    follow_links(fetcher, source, context, &mut harvest).await;
                }
                Attempt::Found {
                    url: document.url,
                    status: document.status,
                    bytes,
                    harvest,
                    validators: document.validators,
                    moved_to: document.moved_permanently_to.map(|u| u.to_string()),
                    parse_time,
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
    /// Refreshes one source and stores the outcome; returns the stored record.
    pub async fn refresh_source(&self, source: &Source, state: &SourceState) -> FetchRecord {
        let started = Utc::now();
        let clock = Instant::now();
        let attempt = attempt(&self.fetcher, source, state, &self.context).await;
        let duration_ms = clock.elapsed().as_millis() as u64;
        let outcome = outcome(source, state, attempt, started, duration_ms);
        let store = self.store.clone();
        let fallback = outcome.record.clone();
        let zone = source.timezone.unwrap_or(self.context.display_zone);
        let now = self.context.now();
        let saved = tokio::task::spawn_blocking(move || {
            let write = FetchWrite {
                record: outcome.record,
                posts: &outcome.harvest.posts,
                events: &outcome.harvest.events,
                events_complete: outcome.harvest.events_complete,
                zone,
                validators: outcome.validators,
                moved_to: outcome.moved_to,
                next_attempt_after: outcome.next_attempt_after,
            };
            store.save_fetch(write, now)
        })
        .await;
        match saved {
            Ok(Ok(record)) => record,
            Ok(Err(error)) => failed_to_store(fallback, error.to_string()),
            Err(panic) => failed_to_store(fallback, format!("storing crashed: {panic}")),
        }
    }

    /// Refreshes the given sources concurrently (skipping any already being refreshed) and
    /// calls `progress` as each finishes. Records come back in completion order. Sources
    /// are started host by host in turn, so one busy host does not hold every slot.
    pub async fn refresh_all(
        &self,
        sources: Vec<(Source, SourceState)>,
        progress: impl Fn(&FetchRecord),
    ) -> Vec<FetchRecord> {
        let mut tasks = JoinSet::new();
        for (source, state) in interleave_hosts(sources) {
            if !self.claim(&source.id) {
                continue;
            }
            let refresher = self.clone();
            let slots = self.slots.clone();
            tasks.spawn(async move {
                let _slot = slots.acquire_owned().await.expect("never closed");
                let record = refresher.refresh_source(&source, &state).await;
                refresher.release(&source.id);
                record
            });
        }
        let mut records = Vec::new();
        while let Some(joined) = tasks.join_next().await {
            if let Ok(record) = joined {
                progress(&record);
                records.push(record);
            }
        }
        records
    }

    fn claim(&self, id: &str) -> bool {
        self.running
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(id.to_string())
    }

    fn release(&self, id: &str) {
        self.running
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(id);
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
    match attempt {
        Attempt::Found {
            url,
            status,
            bytes,
            harvest,
            validators,
            moved_to,
            parse_time,
        } => {
            record.url = url;
            record.http_status = Some(status);
            record.bytes = bytes;
            record.parse_ms = parse_time.as_millis() as u64;
            record.items_found = (harvest.posts.len() + harvest.events.len()) as u32;
            record.outcome = FetchOutcome::Ok;
            record.warnings = (!harvest.warnings.is_empty()).then(|| harvest.warnings.join("; "));
            Outcome {
                record,
                harvest,
                validators: Some(validators),
                moved_to,
                next_attempt_after: None,
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
                next_attempt_after: Some(
                    started + chrono::Duration::from_std(wait).unwrap_or_default(),
                ),
            }
        }
    }
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
        not_modified = count(FetchOutcome::NotModified),
        failed = count(FetchOutcome::Failed),
        new = records.iter().map(|r| r.items_new).sum::<u32>(),
        "fetch pass done"
    );
    for record in records.iter().filter(|r| r.outcome == FetchOutcome::Failed) {
        tracing::warn!(source = %record.source_id, error = record.error.as_deref().unwrap_or(""), "fetch failed");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
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
            events_from_links: false,
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
