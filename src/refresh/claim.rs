//! Claims: a source is refreshed by one refresher at a time. Within a process, a set of
//! the ids being refreshed; across processes sharing the database (`bulletin serve` and a
//! cron `bulletin fetch`), a lease in the store ([`Store::claim_source`]) that runs out
//! after [`LEASE`] unless renewed, every [`RENEW_EVERY`], while the refresh lasts — so a
//! process killed mid-refresh holds its sources for minutes, not for ever. A claim is
//! released when the refresh ends, and by its drop guard however it ends.

use std::collections::HashSet;
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::clock::Clock;
use crate::store::{SourceClaim, Store, StoreError};

/// How long a lease lasts unless renewed.
pub const LEASE: Duration = Duration::from_secs(5 * 60);
/// How often a refresh still running renews its lease.
pub const RENEW_EVERY: Duration = Duration::from_secs(60);

/// Why the store's lease could not be taken.
#[derive(Debug, thiserror::Error)]
pub enum Refused {
    #[error("being refreshed by another process ({holder}, until {until})")]
    HeldBy {
        holder: String,
        until: DateTime<Utc>,
    },
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("claiming it crashed: {0}")]
    Crashed(String),
}

/// This process's name on its leases: its id and a random tag (ids are reused).
pub fn holder() -> String {
    let mut tag = [0u8; 4];
    if getrandom::fill(&mut tag).is_err() {
        tracing::warn!("no randomness for the refresh lease tag; the process id alone is used");
    }
    let tag: String = tag.iter().map(|b| format!("{b:02x}")).collect();
    format!("pid {} #{tag}", std::process::id())
}

/// The ids this process is refreshing.
#[derive(Clone, Default)]
pub struct Running(Arc<Mutex<HashSet<String>>>);

impl Running {
    /// Claims `id` in this process; `None` when it is being refreshed here already.
    pub fn claim(&self, id: &str) -> Option<Claim> {
        let fresh = self
            .0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(id.to_string());
        fresh.then(|| Claim {
            running: self.clone(),
            id: id.to_string(),
            lease: None,
            leased_at: None,
        })
    }
}

/// A source being refreshed; released when dropped, however the refresh ended.
pub struct Claim {
    running: Running,
    id: String,
    lease: Option<Lease>,
    /// When the store's lease was last taken or renewed.
    leased_at: Option<DateTime<Utc>>,
}

/// The store's lease held for a claim.
#[derive(Clone)]
struct Lease {
    store: Store,
    holder: String,
}

impl Claim {
    /// Takes the store's lease for `holder`, valid for [`LEASE`] from `now`.
    pub async fn lease(
        &mut self,
        store: &Store,
        holder: &str,
        now: DateTime<Utc>,
    ) -> Result<(), Refused> {
        let lease = Lease {
            store: store.clone(),
            holder: holder.to_string(),
        };
        let claim = take(&lease, &self.id, now).await?;
        self.took(lease, claim, now)
    }

    /// Whether the lease was taken recently enough to start refreshing on it (a lease
    /// taken with the pass's others, before the source got a slot, may be too old).
    pub fn fresh_lease(&self, now: DateTime<Utc>) -> bool {
        let since = self.leased_at.and_then(|at| (now - at).to_std().ok());
        self.lease.is_some() && since.is_some_and(|since| since < RENEW_EVERY)
    }

    fn took(
        &mut self,
        lease: Lease,
        claim: SourceClaim,
        now: DateTime<Utc>,
    ) -> Result<(), Refused> {
        match claim {
            SourceClaim::Taken => {
                self.lease = Some(lease);
                self.leased_at = Some(now);
                Ok(())
            }
            SourceClaim::HeldBy { holder, until } => Err(Refused::HeldBy { holder, until }),
        }
    }

    /// Runs `work`, renewing the lease every [`RENEW_EVERY`] until it is done.
    pub async fn renewing<F: Future>(&self, work: F, clock: Clock) -> F::Output {
        tokio::pin!(work);
        loop {
            tokio::select! {
                biased;
                done = &mut work => return done,
                () = tokio::time::sleep(RENEW_EVERY) => self.renew(clock.now()).await,
            }
        }
    }

    async fn renew(&self, now: DateTime<Utc>) {
        let Some(lease) = &self.lease else {
            return;
        };
        match take(lease, &self.id, now).await {
            Ok(SourceClaim::Taken) => {}
            Ok(SourceClaim::HeldBy { holder, .. }) => tracing::warn!(
                source = %self.id, %holder,
                "the refresh lease ran out and another process took the source"
            ),
            Err(error) => {
                tracing::warn!(source = %self.id, %error, "cannot renew the refresh lease")
            }
        }
    }

    /// The store's lease was released with the fetch's write (see `FetchWrite`).
    pub fn lease_released(&mut self) {
        self.lease = None;
    }

    /// Releases the store's lease (waiting for it) and the claim.
    pub async fn release(mut self) {
        if let Some(lease) = self.lease.take() {
            let id = self.id.clone();
            let released =
                tokio::task::spawn_blocking(move || lease.store.release_source(&id, &lease.holder))
                    .await;
            if !matches!(released, Ok(Ok(()))) {
                tracing::warn!(source = %self.id, "cannot release the refresh lease; it runs out by itself");
            }
        }
    }
}

/// Takes the store's leases for a whole pass in one transaction: each claim's answer,
/// in order. When the store cannot answer, every claim is left without its lease (each
/// then tries on its own when it gets a slot).
pub async fn lease_all(
    claims: &mut [Claim],
    store: &Store,
    holder: &str,
    now: DateTime<Utc>,
) -> Vec<Result<(), Refused>> {
    let ids: Vec<String> = claims.iter().map(|c| c.id.clone()).collect();
    let (owned, who, until) = (store.clone(), holder.to_string(), lease_end(now));
    let answers = tokio::task::spawn_blocking(move || {
        let ids: Vec<&str> = ids.iter().map(String::as_str).collect();
        owned.claim_sources(&ids, &who, now, until)
    })
    .await;
    match answers {
        Ok(Ok(answers)) if answers.len() == claims.len() => claims
            .iter_mut()
            .zip(answers)
            .map(|(claim, answer)| {
                let lease = Lease {
                    store: store.clone(),
                    holder: holder.to_string(),
                };
                claim.took(lease, answer, now)
            })
            .collect(),
        _ => claims.iter().map(|_| Ok(())).collect(),
    }
}

fn lease_end(now: DateTime<Utc>) -> DateTime<Utc> {
    chrono::TimeDelta::from_std(LEASE)
        .ok()
        .and_then(|lease| now.checked_add_signed(lease))
        .unwrap_or(DateTime::<Utc>::MAX_UTC)
}

/// Claims the source in the store, on the blocking pool.
async fn take(lease: &Lease, id: &str, now: DateTime<Utc>) -> Result<SourceClaim, Refused> {
    let owned = lease.clone();
    let id = id.to_string();
    let until = lease_end(now);
    tokio::task::spawn_blocking(move || owned.store.claim_source(&id, &owned.holder, now, until))
        .await
        .map_err(|panic| Refused::Crashed(panic.to_string()))?
        .map_err(Refused::from)
}

impl Drop for Claim {
    fn drop(&mut self) {
        self.running
            .0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&self.id);
        // A refresh that did not end normally (its task was cancelled): release the lease
        // on the blocking pool if a runtime is there, else it runs out by itself.
        if let Some(lease) = self.lease.take() {
            let id = self.id.clone();
            match tokio::runtime::Handle::try_current() {
                Ok(runtime) => {
                    runtime.spawn_blocking(move || lease.store.release_source(&id, &lease.holder));
                }
                Err(_) => tracing::warn!(source = %id, "the refresh lease runs out by itself"),
            }
        }
    }
}
