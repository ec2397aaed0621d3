//! The scheduler's one job, as in Miniflux: a tick every minute (tokio-cron-scheduler)
//! that asks the store for active sources, keeps those whose own schedule has come round
//! since their last attempt and whose backoff has passed ([`crate::schedule`]), and hands
//! them to the refresher. A source added while the service runs is picked up at the next
//! tick. Due times are computed from the tick's nominal minute, so a late-running job
//! neither skips nor drifts.

use crate::clock::Clock;
use crate::refresh::Refresher;
use crate::schedule::{self, Schedule};
use crate::store::Store;

/// The tick of the scheduler job (every minute, at second 0).
pub const TICK: &str = "0 * * * * *";

/// A scheduling problem at start-up.
#[derive(Debug, thiserror::Error)]
#[error("scheduler: {0}")]
pub struct TickError(#[from] tokio_cron_scheduler::JobSchedulerError);

/// Starts the minute tick that refreshes due sources. Shut the returned scheduler down
/// on exit.
pub async fn start(
    refresher: Refresher,
    store: Store,
    default_schedule: Schedule,
    clock: Clock,
) -> Result<tokio_cron_scheduler::JobScheduler, TickError> {
    use tokio_cron_scheduler::{Job, JobScheduler};
    let scheduler = JobScheduler::new().await?;
    let job = Job::new_async(TICK, move |_id, _scheduler| {
        let refresher = refresher.clone();
        let store = store.clone();
        let default_schedule = default_schedule.clone();
        Box::pin(async move {
            let now = schedule::tick_time(clock.now());
            let listed = tokio::task::spawn_blocking(move || store.active_sources()).await;
            let sources = match listed {
                Ok(Ok(sources)) => sources,
                Ok(Err(error)) => return tracing::error!(%error, "scheduler cannot list sources"),
                Err(error) => return tracing::error!(%error, "scheduler task failed"),
            };
            let due: Vec<_> = sources
                .into_iter()
                .filter(|(source, state)| {
                    schedule::is_due(
                        source.schedule.as_ref().unwrap_or(&default_schedule),
                        state.last_attempt,
                        state.next_attempt_after,
                        now,
                    )
                })
                .collect();
            if due.is_empty() {
                return;
            }
            let records = refresher.refresh_all(due, |_| {}).await;
            crate::refresh::log_pass("scheduled", &records);
        })
    })?;
    scheduler.add(job).await?;
    scheduler.start().await?;
    Ok(scheduler)
}

/// When old fetch records are pruned: hourly, at minute 17 (off the minute tick's
/// busiest second), and once at start.
pub const PRUNE: &str = "0 17 * * * *";

/// Adds to `scheduler` the hourly job that prunes fetch records older than `days`
/// ([`Store::prune_fetches`]: each source's latest of each outcome stays; events and
/// posts are never pruned), and prunes once now in the background.
pub async fn add_pruning(
    scheduler: &tokio_cron_scheduler::JobScheduler,
    store: Store,
    days: u32,
    clock: Clock,
) -> Result<(), TickError> {
    use tokio_cron_scheduler::Job;
    let prune = move |store: Store| async move {
        let before = crate::store::fetch_records_cutoff(clock.now(), days);
        match tokio::task::spawn_blocking(move || store.prune_fetches(before)).await {
            Ok(Ok(0)) => {}
            Ok(Ok(n)) => tracing::info!("pruned {n} fetch records older than {days} days"),
            Ok(Err(error)) => tracing::error!(%error, "pruning fetch records"),
            Err(error) => tracing::error!(%error, "pruning fetch records failed"),
        }
    };
    tokio::spawn(prune(store.clone()));
    let job = Job::new_async(PRUNE, move |_id, _scheduler| Box::pin(prune(store.clone())))?;
    scheduler.add(job).await?;
    Ok(())
}
