//! Recurrence rules (RRULE, EXRULE) expanded in local wall-clock time by the rrule crate.
//!
//! Times here are naive local times: the rule is evaluated on the clock the event was
//! written in, as RFC 5545 and the reference readers (dateutil) do, and the caller turns
//! each occurrence into an instant through its zone. The crate is handed a UTC stand-in
//! for the naive time, so it applies no zone rules of its own.
//!
//! Work is bounded. Expansion starts near the window, not at DTSTART: a rule's start is
//! moved forward by whole periods of its pattern (so `FREQ=SECONDLY` from 1970 does not
//! iterate two billion seconds to reach today), and a `COUNT` rule with one occurrence a
//! period has the skipped occurrences subtracted from its count. Whatever iterating is
//! left is capped per rule ([`MAX_ITERATIONS`]) and by the document's CPU budget, and
//! each series yields at most a given number of occurrences; every cut is reported.

use chrono::{Datelike, Months, NaiveDateTime, TimeDelta, TimeZone};
use rrule::{Frequency, NWeekday, RRule, RRuleSet, Unvalidated};

use crate::budget::Budget;

/// One rule iterates over at most this many occurrences, in and before the window.
pub const MAX_ITERATIONS: usize = 200_000;

/// A rule as written, with its UNTIL taken out (the caller decides what UNTIL means in
/// the event's zone) and COUNT readable.
#[derive(Debug, Clone)]
pub struct Rule {
    rule: RRule<Unvalidated>,
    /// The UNTIL value as written (`20261231`, `20261231T235959Z`…), if any.
    pub until_text: Option<String>,
    /// The written rule, for warnings.
    pub text: String,
}

impl Rule {
    /// Reads a rule's text (`FREQ=WEEKLY;BYDAY=TH;UNTIL=…`), leniently: case, white space
    /// and empty parts are forgiven, and a negative COUNT is ignored (as dateutil's
    /// readers do).
    pub fn parse(text: &str) -> Result<Rule, String> {
        let cleaned: String = text
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect::<String>()
            .to_ascii_uppercase();
        let cleaned = cleaned.strip_prefix("RRULE:").unwrap_or(&cleaned);
        let mut until_text = None;
        let parts: Vec<&str> = cleaned
            .split(';')
            .filter(|part| !part.is_empty())
            .filter(|part| match part.strip_prefix("UNTIL=") {
                Some(value) => {
                    until_text = Some(value.to_string());
                    false
                }
                None => !part.starts_with("COUNT=-"),
            })
            .collect();
        let rule: RRule<Unvalidated> = parts
            .join(";")
            .parse()
            .map_err(|e: rrule::RRuleError| format!("`{text}`: {e}"))?;
        Ok(Rule {
            rule,
            until_text,
            text: text.to_string(),
        })
    }

    pub fn count(&self) -> Option<u32> {
        self.rule.get_count()
    }
}

/// What a rule's expansion gave.
#[derive(Debug, Default)]
pub struct Expansion {
    /// Occurrence starts in `[from, to]`, ascending.
    pub starts: Vec<NaiveDateTime>,
    /// Why the expansion stopped early, if it did.
    pub cut: Option<String>,
}

/// Which occurrences an expansion keeps: those in `[from, to]`, at most `max` of them at
/// or after `count_from` (a margin before the window is read but not counted).
#[derive(Debug, Clone, Copy)]
pub struct Bounds {
    pub from: NaiveDateTime,
    pub to: NaiveDateTime,
    pub count_from: NaiveDateTime,
    pub max: usize,
}

impl Bounds {
    /// `[from, to]`, counting from `from`.
    pub fn new(from: NaiveDateTime, to: NaiveDateTime, max: usize) -> Bounds {
        Bounds {
            from,
            to,
            count_from: from,
            max,
        }
    }
}

/// The occurrences of `rule` from `start` (the series' DTSTART, local), ending at `until`
/// (local, inclusive), within `bounds`.
pub fn expand(
    rule: &Rule,
    start: NaiveDateTime,
    until: Option<NaiveDateTime>,
    bounds: Bounds,
    budget: &mut Budget,
) -> Expansion {
    let Bounds { from, .. } = bounds;
    let mut out = Expansion::default();
    if until.is_some_and(|until| until < start) {
        return out;
    }
    let (start, count) = match skip_ahead(&rule.rule, start, from) {
        Skip::Exhausted => return out,
        Skip::To { start, skipped } => (
            start,
            rule.rule.get_count().map(|c| c.saturating_sub(skipped)),
        ),
    };
    if count == Some(0) {
        return out;
    }
    let mut built = rule.rule.clone();
    if let Some(count) = count {
        built = built.count(count);
    }
    if let Some(until) = until {
        built = built.until(naive_as_utc(until));
    }
    let set = match built.build(naive_as_utc(start)) {
        Ok(set) => set.limit(),
        Err(error) => {
            out.cut = Some(format!("`{}` cannot be expanded: {error}", rule.text));
            return out;
        }
    };
    iterate(set, bounds, budget, &rule.text, &mut out);
    out
}

fn iterate(set: RRuleSet, bounds: Bounds, budget: &mut Budget, text: &str, out: &mut Expansion) {
    let Bounds {
        from,
        to,
        count_from,
        max,
    } = bounds;
    let mut counted = 0;
    for (iterations, occurrence) in set.into_iter().enumerate() {
        let local = occurrence.naive_utc();
        if local > to {
            return;
        }
        if local >= from {
            if local >= count_from {
                counted += 1;
            }
            if counted > max {
                out.cut = Some(format!(
                    "`{text}` has more than {max} occurrences in the window; the first {max} are kept"
                ));
                return;
            }
            out.starts.push(local);
        }
        if iterations >= MAX_ITERATIONS {
            out.cut = Some(format!(
                "`{text}` needs more than {MAX_ITERATIONS} steps to reach the window's end; later occurrences are left out"
            ));
            return;
        }
        if budget.check().is_err() {
            out.cut = Some(format!(
                "`{text}`: the document's processing budget ran out; later occurrences are left out"
            ));
            return;
        }
    }
}

/// The crate's UTC stand-in for a naive local time.
fn naive_as_utc(local: NaiveDateTime) -> chrono::DateTime<rrule::Tz> {
    rrule::Tz::UTC.from_utc_datetime(&local)
}

enum Skip {
    /// Start here instead, having passed over `skipped` occurrences (counted only for
    /// rules with one occurrence a period).
    To { start: NaiveDateTime, skipped: u32 },
    /// A COUNT rule whose every occurrence lies before the window.
    Exhausted,
}

/// How far the rule's start may move forward without changing any occurrence at or
/// after `from`: a whole number of periods of the rule's pattern.
fn skip_ahead(rule: &RRule<Unvalidated>, start: NaiveDateTime, from: NaiveDateTime) -> Skip {
    let unchanged = Skip::To { start, skipped: 0 };
    if from <= start {
        return unchanged;
    }
    let Some((period, simple)) = period(rule, start) else {
        return unchanged;
    };
    if rule.get_count().is_some() && !simple {
        return unchanged;
    }
    let Some((periods, moved)) = whole_periods(period, start, from) else {
        return unchanged;
    };
    match rule.get_count() {
        None => Skip::To {
            start: moved,
            skipped: 0,
        },
        Some(count) => match u32::try_from(periods) {
            Ok(periods) if periods < count => Skip::To {
                start: moved,
                skipped: periods,
            },
            _ => Skip::Exhausted,
        },
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Period {
    Seconds(i64),
    Days(i64),
    Months(u32),
}

/// Days in 400 Gregorian years: calendars repeat exactly with this period.
const GREGORIAN_DAYS: i64 = 146_097;
const GREGORIAN_MONTHS: u32 = 4_800;

/// The rule's period (after which its pattern repeats), and whether each base period
/// holds exactly one occurrence.
fn period(rule: &RRule<Unvalidated>, start: NaiveDateTime) -> Option<(Period, bool)> {
    let interval = i64::from(rule.get_interval().max(1));
    let weekdays = rule.get_by_weekday();
    let ordinal_days = weekdays.iter().any(|d| matches!(d, NWeekday::Nth(..)));
    let calendar_parts = !rule.get_by_month_day().is_empty()
        || !rule.get_by_year_day().is_empty()
        || !rule.get_by_week_no().is_empty()
        || ordinal_days;
    let months = !rule.get_by_month().is_empty();
    let time_parts = !rule.get_by_hour().is_empty()
        || !rule.get_by_minute().is_empty()
        || !rule.get_by_second().is_empty();
    let set_pos = !rule.get_by_set_pos().is_empty();
    let no_parts = !calendar_parts && !months && !time_parts && !set_pos && weekdays.is_empty();
    Some(match rule.get_freq() {
        freq @ (Frequency::Secondly | Frequency::Minutely | Frequency::Hourly) => {
            // The crate restarts a sub-daily lattice on filtered days: only plain rules
            // repeat with a period the start can move by.
            if !no_parts {
                return None;
            }
            let unit = match freq {
                Frequency::Secondly => 1,
                Frequency::Minutely => 60,
                _ => 3600,
            };
            let base = interval * unit;
            (Period::Seconds(base), true)
        }
        Frequency::Daily => {
            let filter = if calendar_parts || months {
                GREGORIAN_DAYS
            } else if !weekdays.is_empty() {
                7
            } else {
                1
            };
            (Period::Days(lcm(interval, filter)), no_parts)
        }
        Frequency::Weekly => {
            let base = 7 * interval;
            let period = if calendar_parts || months {
                lcm(base, GREGORIAN_DAYS)
            } else {
                base
            };
            (Period::Days(period), no_parts)
        }
        Frequency::Monthly => {
            let interval = u32::try_from(interval).ok()?;
            let late_day = start.day() > 28;
            let period = if calendar_parts || set_pos || !weekdays.is_empty() || late_day {
                lcm_u32(interval, GREGORIAN_MONTHS)
            } else if months {
                lcm_u32(interval, 12)
            } else {
                interval
            };
            (Period::Months(period), no_parts && !late_day)
        }
        Frequency::Yearly => {
            let years = u32::try_from(interval).ok()?;
            let leap_day = start.month() == 2 && start.day() == 29;
            let plain = no_parts || (months && !calendar_parts && !set_pos && weekdays.is_empty());
            let period = if plain && !leap_day {
                years.checked_mul(12)?
            } else {
                lcm_u32(years.checked_mul(12)?, GREGORIAN_MONTHS)
            };
            (Period::Months(period), no_parts && !leap_day)
        }
    })
}

/// The largest number of whole periods from `start` that stays at or before `from`, and
/// where that lands.
fn whole_periods(
    period: Period,
    start: NaiveDateTime,
    from: NaiveDateTime,
) -> Option<(i64, NaiveDateTime)> {
    let (periods, moved) = match period {
        Period::Seconds(seconds) => {
            let periods = (from - start).num_seconds() / seconds;
            let moved =
                start.checked_add_signed(TimeDelta::try_seconds(periods.checked_mul(seconds)?)?)?;
            (periods, moved)
        }
        Period::Days(days) => {
            let periods = (from.date() - start.date()).num_days() / days;
            let moved =
                start.checked_add_signed(TimeDelta::try_days(periods.checked_mul(days)?)?)?;
            (periods, moved)
        }
        Period::Months(months) => {
            let elapsed = i64::from(from.year() - start.year()) * 12 + i64::from(from.month())
                - i64::from(start.month());
            let periods = elapsed / i64::from(months);
            let add = u32::try_from(periods.checked_mul(i64::from(months))?).ok()?;
            (periods, start.checked_add_months(Months::new(add))?)
        }
    };
    if periods <= 0 {
        return None;
    }
    if moved <= from {
        return Some((periods, moved));
    }
    // Landed past `from` (a later time of day): one period fewer.
    whole_periods_minus_one(period, start, periods - 1)
}

fn whole_periods_minus_one(
    period: Period,
    start: NaiveDateTime,
    periods: i64,
) -> Option<(i64, NaiveDateTime)> {
    if periods <= 0 {
        return None;
    }
    let moved = match period {
        Period::Seconds(s) => {
            start.checked_add_signed(TimeDelta::try_seconds(periods.checked_mul(s)?)?)?
        }
        Period::Days(d) => {
            start.checked_add_signed(TimeDelta::try_days(periods.checked_mul(d)?)?)?
        }
        Period::Months(m) => start.checked_add_months(Months::new(
            u32::try_from(periods.checked_mul(i64::from(m))?).ok()?,
        ))?,
    };
    Some((periods, moved))
}

fn gcd(a: i64, b: i64) -> i64 {
    if b == 0 { a.abs() } else { gcd(b, a % b) }
}

fn lcm(a: i64, b: i64) -> i64 {
    a / gcd(a, b) * b
}

fn lcm_u32(a: u32, b: u32) -> u32 {
    u32::try_from(lcm(i64::from(a), i64::from(b))).unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S").unwrap()
    }

    fn run(rule: &str, start: &str, from: &str, to: &str) -> Expansion {
        let rule = Rule::parse(rule).unwrap();
        expand(
            &rule,
            at(start),
            None,
            Bounds::new(at(from), at(to), 100_000),
            &mut Budget::unlimited(),
        )
    }

    /// The same occurrences as iterating from DTSTART with no skipping.
    fn slow(rule: &str, start: &str, from: &str, to: &str) -> Vec<NaiveDateTime> {
        let rule = Rule::parse(rule).unwrap();
        let set = rule.rule.clone().build(naive_as_utc(at(start))).unwrap();
        set.into_iter()
            .map(|d| d.naive_utc())
            .take_while(|d| *d <= at(to))
            .filter(|d| *d >= at(from))
            .collect()
    }

    #[test]
    fn skipping_ahead_keeps_every_occurrence() {
        for (rule, start) in [
            ("FREQ=DAILY", "2020-01-01 09:00:00"),
            ("FREQ=DAILY;INTERVAL=3", "2020-01-01 09:00:00"),
            ("FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,TH", "2020-01-02 12:00:00"),
            (
                "FREQ=WEEKLY;BYDAY=TU;WKST=SU;INTERVAL=2",
                "2019-12-31 12:00:00",
            ),
            ("FREQ=MONTHLY;BYDAY=2WE", "2019-01-09 13:00:00"),
            ("FREQ=MONTHLY", "2019-01-31 13:00:00"),
            ("FREQ=MONTHLY;BYMONTHDAY=-1", "2019-01-31 13:00:00"),
            (
                "FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-1",
                "2019-01-31 13:00:00",
            ),
            ("FREQ=YEARLY", "2016-02-29 10:00:00"),
            ("FREQ=YEARLY;BYWEEKNO=20;BYDAY=MO", "2015-05-11 10:00:00"),
            ("FREQ=HOURLY;INTERVAL=5", "2026-01-01 00:30:00"),
            ("FREQ=MINUTELY;INTERVAL=7", "2026-01-03 00:00:10"),
            ("FREQ=DAILY;COUNT=400", "2025-06-01 08:00:00"),
            ("FREQ=WEEKLY;COUNT=100", "2025-06-02 08:00:00"),
        ] {
            let from = "2026-03-01 00:00:00";
            let to = "2026-05-01 00:00:00";
            assert_eq!(
                run(rule, start, from, to).starts,
                slow(rule, start, from, to),
                "{rule} from {start}"
            );
        }
    }

    #[test]
    fn a_secondly_rule_from_1970_costs_nothing_to_reach_today() {
        let out = run(
            "FREQ=SECONDLY",
            "1970-01-01 00:00:00",
            "2026-12-01 00:00:00",
            "2026-12-01 00:00:09",
        );
        assert_eq!(out.starts.len(), 10);
        assert_eq!(out.starts[0], at("2026-12-01 00:00:00"));
        let out = run(
            "FREQ=SECONDLY;COUNT=100000000",
            "1970-01-01 00:00:00",
            "2026-12-01 00:00:00",
            "2027-12-01 00:00:00",
        );
        assert!(out.starts.is_empty(), "every occurrence is in 1970-73");
        assert!(out.cut.is_none());
    }

    #[test]
    fn caps_are_reported() {
        let rule = Rule::parse("FREQ=MINUTELY").unwrap();
        let out = expand(
            &rule,
            at("2026-01-01 00:00:00"),
            None,
            Bounds::new(at("2026-01-01 00:00:00"), at("2026-02-01 00:00:00"), 50),
            &mut Budget::unlimited(),
        );
        assert_eq!(out.starts.len(), 50);
        assert!(out.cut.unwrap().contains("more than 50 occurrences"));
        // A rule that can never match stops at the crate's loop bound.
        let out = run(
            "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30",
            "2026-01-01 00:00:00",
            "2026-01-01 00:00:00",
            "2226-01-01 00:00:00",
        );
        assert!(out.starts.is_empty());
    }

    #[test]
    fn until_before_start_and_lenient_text() {
        let rule = Rule::parse(" freq=weekly; byday=th ;UNTIL=20250101T000000Z;; ").unwrap();
        assert_eq!(rule.until_text.as_deref(), Some("20250101T000000Z"));
        let out = expand(
            &rule,
            at("2026-01-01 12:00:00"),
            Some(at("2025-01-01 00:00:00")),
            Bounds::new(at("2025-01-01 00:00:00"), at("2027-01-01 00:00:00"), 10),
            &mut Budget::unlimited(),
        );
        assert!(out.starts.is_empty());
        assert!(
            Rule::parse("FREQ=WEEKLY;COUNT=-3")
                .unwrap()
                .count()
                .is_none()
        );
        assert!(Rule::parse("BYDAY=TH").is_err(), "no FREQ");
    }
}
