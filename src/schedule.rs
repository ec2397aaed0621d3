//! When sources are fetched: cron schedules (six fields, seconds first, UTC), which
//! sources are due at a tick, and how a failing source backs off.
//!
//! The scheduler itself is small, as in Miniflux: one job ticks every minute, asks the
//! store for active sources, keeps those whose own schedule has come round since their
//! last attempt and whose backoff has passed, and hands them to the refresher. A source
//! added while the service runs is therefore picked up at the next tick.

use std::time::Duration;

use chrono::{DateTime, Utc};
use croner::Cron;
use croner::parser::{CronParser, Seconds};

use crate::model::{Source, SourceState};

/// The tick of the scheduler job (every minute, at second 0).
pub const TICK: &str = "0 * * * * *";

/// Backoff after the first failure; doubles with each further failure.
const FIRST_BACKOFF: Duration = Duration::from_secs(5 * 60);
/// A failing source is still tried at least this often: we never give up for good.
const MAX_BACKOFF: Duration = Duration::from_secs(12 * 60 * 60);

/// Parses a six-field cron expression the way the scheduler reads it.
pub fn parse_cron(expression: &str) -> Result<Cron, String> {
    let fields = expression.split_whitespace().count();
    if fields != 6 {
        return Err(format!(
            "`{expression}` has {fields} fields; write six, seconds first, as in \"0 */30 * * * *\""
        ));
    }
    CronParser::builder()
        .seconds(Seconds::Required)
        .dom_and_dow(true)
        .build()
        .parse(expression)
        .map_err(|e| format!("`{expression}` is not a cron schedule: {e}"))
}

/// How long to leave a source alone after `failures` consecutive failures, at least as
/// long as the server's Retry-After.
/// A server's Retry-After is honoured up to [`MAX_BACKOFF`], never beyond.
pub fn backoff(failures: u32, retry_after: Option<Duration>) -> Duration {
    let exponent = failures.saturating_sub(1).min(16);
    let doubled = FIRST_BACKOFF.saturating_mul(1 << exponent).min(MAX_BACKOFF);
    retry_after
        .map_or(doubled, |wait| wait.max(doubled))
        .min(MAX_BACKOFF)
}

/// The longest a source is left alone: the backoff's ceiling, and Retry-After's.
pub const fn max_backoff() -> Duration {
    MAX_BACKOFF
}

/// A time with its fraction of a second dropped: schedules fire on whole seconds, and a
/// last attempt at 10:30:00.300 must not push the next run to 10:31:00.300.
fn whole_seconds(time: DateTime<Utc>) -> DateTime<Utc> {
    DateTime::from_timestamp(time.timestamp(), 0).unwrap_or(time)
}

/// The tick's nominal time: the minute it fired for, however late the job ran.
fn tick_time(time: DateTime<Utc>) -> DateTime<Utc> {
    DateTime::from_timestamp(time.timestamp() - time.timestamp().rem_euclid(60), 0).unwrap_or(time)
}

/// The next time the source's schedule (or the default) fires after `after`.
pub fn next_run(
    source: &Source,
    default_schedule: &str,
    after: DateTime<Utc>,
) -> Option<DateTime<Utc>> {
    let expression = source.schedule.as_deref().unwrap_or(default_schedule);
    parse_cron(expression)
        .ok()?
        .find_next_occurrence(&whole_seconds(after), false)
        .ok()
}

/// Whether a scheduled pass at `now` should fetch the source: never attempted, or its
/// schedule has fired since the last attempt, and any backoff has run out.
pub fn is_due(
    source: &Source,
    state: &SourceState,
    default_schedule: &str,
    now: DateTime<Utc>,
) -> bool {
    let now = whole_seconds(now);
    if state
        .next_attempt_after
        .is_some_and(|until| whole_seconds(until) > now)
    {
        return false;
    }
    match state.last_attempt {
        None => true,
        Some(last) => next_run(source, default_schedule, last).is_some_and(|next| next <= now),
    }
}

/// A scheduling problem at start-up.
#[derive(Debug, thiserror::Error)]
#[error("scheduler: {0}")]
pub struct ScheduleError(#[from] tokio_cron_scheduler::JobSchedulerError);

/// Starts the minute tick that refreshes due sources. Shut the returned scheduler down
/// on exit.
pub async fn start(
    refresher: crate::refresh::Refresher,
    store: crate::store::Store,
    default_schedule: String,
    clock: crate::clock::Clock,
) -> Result<tokio_cron_scheduler::JobScheduler, ScheduleError> {
    use tokio_cron_scheduler::{Job, JobScheduler};
    let scheduler = JobScheduler::new().await?;
    let job = Job::new_async(TICK, move |_id, _scheduler| {
        let refresher = refresher.clone();
        let store = store.clone();
        let default_schedule = default_schedule.clone();
        Box::pin(async move {
            let now = tick_time(clock.now());
            let listed = tokio::task::spawn_blocking(move || store.active_sources()).await;
            let sources = match listed {
                Ok(Ok(sources)) => sources,
                Ok(Err(error)) => return tracing::error!(%error, "scheduler cannot list sources"),
                Err(error) => return tracing::error!(%error, "scheduler task failed"),
            };
            let due: Vec<_> = sources
                .into_iter()
                .filter(|(source, state)| is_due(source, state, &default_schedule, now))
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Location;
    use chrono::TimeZone;

    fn source(schedule: Option<&str>) -> Source {
        Source {
            id: "s".into(),
            name: "S".into(),
            department: String::new(),
            tags: vec![],
            kind: None,
            location: Location::Url("https://example.org/feed".parse().unwrap()),
            schedule: schedule.map(str::to_string),
            timezone: None,
            selectors: None,
            events_from_links: false,
        }
    }

    #[test]
    fn cron_needs_six_fields() {
        assert!(parse_cron("0 */30 * * * *").is_ok());
        assert!(parse_cron("*/30 * * * *").unwrap_err().contains("5 fields"));
        assert!(parse_cron("0 99 * * * *").is_err());
    }

    #[test]
    fn backoff_doubles_and_is_capped() {
        assert_eq!(backoff(1, None), Duration::from_secs(300));
        assert_eq!(backoff(2, None), Duration::from_secs(600));
        assert_eq!(backoff(30, None), MAX_BACKOFF);
        assert_eq!(
            backoff(1, Some(Duration::from_secs(3600))),
            Duration::from_secs(3600)
        );
    }

    #[test]
    fn retry_after_is_honoured_up_to_twelve_hours() {
        assert_eq!(
            backoff(1, Some(Duration::from_secs(99_999_999_999_999))),
            MAX_BACKOFF
        );
        assert_eq!(backoff(1, Some(Duration::MAX)), MAX_BACKOFF);
    }

    #[test]
    fn fractions_of_a_second_never_skip_a_run() {
        let at = |s: &str| s.parse::<DateTime<Utc>>().unwrap();
        let every_minute = source(Some("0 * * * * *"));
        let state = SourceState {
            last_attempt: Some(at("2026-11-24T10:30:00.300Z")),
            ..SourceState::default()
        };
        assert!(is_due(
            &every_minute,
            &state,
            "0 */30 * * * *",
            at("2026-11-24T10:31:00Z")
        ));
        assert_eq!(
            tick_time(at("2026-11-24T10:31:00.450Z")),
            at("2026-11-24T10:31:00Z")
        );
        assert_eq!(
            tick_time(at("2026-11-24T10:31:59.999Z")),
            at("2026-11-24T10:31:00Z")
        );
    }

    #[test]
    fn due_follows_schedule_and_backoff() {
        let at = |h, m| Utc.with_ymd_and_hms(2026, 11, 24, h, m, 0).unwrap();
        let hourly = source(Some("0 0 * * * *"));
        let mut state = SourceState::default();
        assert!(is_due(&hourly, &state, "0 */30 * * * *", at(10, 5)));
        state.last_attempt = Some(at(10, 1));
        assert!(!is_due(&hourly, &state, "0 */30 * * * *", at(10, 59)));
        assert!(is_due(&hourly, &state, "0 */30 * * * *", at(11, 0)));
        state.next_attempt_after = Some(at(12, 0));
        assert!(!is_due(&hourly, &state, "0 */30 * * * *", at(11, 30)));
        // The default schedule applies when the source has none.
        let default = source(None);
        let state = SourceState {
            last_attempt: Some(at(10, 1)),
            ..SourceState::default()
        };
        assert!(is_due(&default, &state, "0 */30 * * * *", at(10, 30)));
    }
}
