//! When sources are fetched: cron schedules (six fields, seconds first, UTC), parsed once
//! into a [`Schedule`]; which sources are due at a tick; and how a failing source backs
//! off. Policy only (no I/O): the job that ticks every minute and hands due sources to
//! the refresher is [`crate::tick`].

use std::time::Duration;

use chrono::{DateTime, Utc};
use croner::Cron;
use croner::parser::{CronParser, Seconds};

/// The default refresh: every half hour.
pub const DEFAULT: &str = "0 */30 * * * *";

/// Backoff after the first failure; doubles with each further failure.
const FIRST_BACKOFF: Duration = Duration::from_secs(5 * 60);
/// A failing source is still tried at least this often: we never give up for good.
const MAX_BACKOFF: Duration = Duration::from_secs(12 * 60 * 60);

/// A six-field cron schedule (seconds first, UTC), parsed once — as tokio-cron-scheduler
/// reads it, through croner.
#[derive(Clone)]
pub struct Schedule {
    expression: String,
    cron: Cron,
}

impl Schedule {
    /// Parses a six-field cron expression; the error says what is wrong with it.
    pub fn parse(expression: &str) -> Result<Schedule, String> {
        let fields = expression.split_whitespace().count();
        if fields != 6 {
            return Err(format!(
                "`{expression}` has {fields} fields; write six, seconds first, as in \"0 */30 * * * *\""
            ));
        }
        let cron = CronParser::builder()
            .seconds(Seconds::Required)
            .dom_and_dow(true)
            .build()
            .parse(expression)
            .map_err(|e| format!("`{expression}` is not a cron schedule: {e}"))?;
        Ok(Schedule {
            expression: expression.to_string(),
            cron,
        })
    }

    /// The expression as written.
    pub fn as_str(&self) -> &str {
        &self.expression
    }

    /// The next time the schedule fires after `after` (whole seconds: a last attempt
    /// at 10:30:00.300 must not push the next run to 10:31:00.300).
    pub fn next_after(&self, after: DateTime<Utc>) -> Option<DateTime<Utc>> {
        self.cron
            .find_next_occurrence(&whole_seconds(after), false)
            .ok()
    }
}

impl PartialEq for Schedule {
    fn eq(&self, other: &Schedule) -> bool {
        self.expression == other.expression
    }
}

impl std::fmt::Debug for Schedule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Schedule({:?})", self.expression)
    }
}

impl std::fmt::Display for Schedule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.expression)
    }
}

/// How long to leave a source alone after `failures` consecutive failures, at least as
/// long as the server's Retry-After. A server's Retry-After is honoured up to
/// [`max_backoff`], never beyond.
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

/// A time with its fraction of a second dropped: schedules fire on whole seconds.
pub fn whole_seconds(time: DateTime<Utc>) -> DateTime<Utc> {
    DateTime::from_timestamp(time.timestamp(), 0).unwrap_or(time)
}

/// The tick's nominal time: the minute it fired for, however late the job ran.
pub fn tick_time(time: DateTime<Utc>) -> DateTime<Utc> {
    DateTime::from_timestamp(time.timestamp() - time.timestamp().rem_euclid(60), 0).unwrap_or(time)
}

/// Whether a scheduled pass at `now` should fetch a source on `schedule`: never
/// attempted, or its schedule has fired since the last attempt, and any backoff has run
/// out.
pub fn is_due(
    schedule: &Schedule,
    last_attempt: Option<DateTime<Utc>>,
    next_attempt_after: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> bool {
    let now = whole_seconds(now);
    if next_attempt_after.is_some_and(|until| whole_seconds(until) > now) {
        return false;
    }
    match last_attempt {
        None => true,
        Some(last) => schedule.next_after(last).is_some_and(|next| next <= now),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn every(expression: &str) -> Schedule {
        Schedule::parse(expression).unwrap()
    }

    #[test]
    fn cron_needs_six_fields() {
        assert!(Schedule::parse("0 */30 * * * *").is_ok());
        assert!(
            Schedule::parse("*/30 * * * *")
                .unwrap_err()
                .contains("5 fields")
        );
        assert!(Schedule::parse("0 99 * * * *").is_err());
        assert_eq!(every("0 0 * * * *"), every("0 0 * * * *"));
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
        assert!(is_due(
            &every("0 * * * * *"),
            Some(at("2026-11-24T10:30:00.300Z")),
            None,
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
        let hourly = every("0 0 * * * *");
        assert!(is_due(&hourly, None, None, at(10, 5)));
        assert!(!is_due(&hourly, Some(at(10, 1)), None, at(10, 59)));
        assert!(is_due(&hourly, Some(at(10, 1)), None, at(11, 0)));
        assert!(!is_due(
            &hourly,
            Some(at(10, 1)),
            Some(at(12, 0)),
            at(11, 30)
        ));
    }
}
