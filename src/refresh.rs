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

use crate::extract::{self, Extracted};
use crate::fetch::{Fetched, Fetcher};
use crate::model::{FetchOutcome, FetchRecord, Location, Post, Source, SourceState, Validators};
use crate::normalise;
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
        posts: Vec<Post>,
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
    running: Arc<Mutex<HashSet<String>>>,
    /// Bounds whole refreshes (fetch, parse, store), so a pass over thousands of sources
    /// holds only this many bodies in memory and parses at most this many at once.
    slots: Arc<tokio::sync::Semaphore>,
}

impl Refresher {
    pub fn new(fetcher: Fetcher, store: Store) -> Refresher {
        let slots = Arc::new(tokio::sync::Semaphore::new(fetcher.max_concurrent()));
        Refresher {
            fetcher,
            store,
            running: Arc::default(),
            slots,
        }
    }
}

/// Fetches, extracts and normalises a source without storing anything. The state's
/// validators make the request conditional; its `fetch_url` follows an earlier move.
pub async fn attempt(fetcher: &Fetcher, source: &Source, state: &SourceState) -> Attempt {
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
        let source_id = source.id.clone();
        let kind = source.kind;
        let parse_started = Instant::now();
        let bytes = document.body.len() as u64;
        let parsed = tokio::task::spawn_blocking(move || {
            let detected = extract::detect(kind, &document);
            let result = extract::extract(detected, &document).map(|extracted| match extracted {
                Extracted::Feed(feed) => {
                    normalise::posts_from_feed(&source_id, &document.url, &feed)
                }
            });
            (document, result)
        })
        .await;
        let parse_time = parse_started.elapsed();
        match parsed {
            Ok((document, Ok(posts))) => Attempt::Found {
                url: document.url,
                status: document.status,
                bytes,
                posts,
                validators: document.validators,
                moved_to: document.moved_permanently_to.map(|u| u.to_string()),
                parse_time,
            },
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
        let attempt = attempt(&self.fetcher, source, state).await;
        let duration_ms = clock.elapsed().as_millis() as u64;
        let (write_record, posts, validators, moved_to, next_attempt_after) =
            into_write(source, state, attempt, started, duration_ms);
        let store = self.store.clone();
        let fallback = write_record.clone();
        let saved = tokio::task::spawn_blocking(move || {
            let write = FetchWrite {
                record: write_record,
                posts: &posts,
                validators,
                moved_to,
                next_attempt_after,
            };
            store.save_fetch(write, Utc::now())
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

type Write = (
    FetchRecord,
    Vec<Post>,
    Option<Validators>,
    Option<String>,
    Option<DateTime<Utc>>,
);

fn into_write(
    source: &Source,
    state: &SourceState,
    attempt: Attempt,
    started: DateTime<Utc>,
    duration_ms: u64,
) -> Write {
    let record =
        |url: String, status, bytes, outcome, error, parse_time: Duration, found| FetchRecord {
            source_id: source.id.clone(),
            url,
            started,
            duration_ms,
            parse_ms: parse_time.as_millis() as u64,
            http_status: status,
            bytes,
            items_found: found,
            items_new: 0,
            items_updated: 0,
            outcome,
            error,
        };
    match attempt {
        Attempt::Found {
            url,
            status,
            bytes,
            posts,
            validators,
            moved_to,
            parse_time,
        } => {
            let found = posts.len() as u32;
            let r = record(
                url,
                Some(status),
                bytes,
                FetchOutcome::Ok,
                None,
                parse_time,
                found,
            );
            (r, posts, Some(validators), moved_to, None)
        }
        Attempt::NotModified {
            url,
            status,
            moved_to,
        } => {
            let r = record(
                url,
                Some(status),
                0,
                FetchOutcome::NotModified,
                None,
                Duration::ZERO,
                0,
            );
            (r, Vec::new(), None, moved_to, None)
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
            let until = started + chrono::Duration::from_std(wait).unwrap_or_default();
            let r = record(
                url,
                status,
                bytes,
                FetchOutcome::Failed,
                Some(error),
                parse_time,
                0,
            );
            (r, Vec::new(), None, None, Some(until))
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
