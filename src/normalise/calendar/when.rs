//! Times of a calendar's events as the reference readers compute with them: a date, or a
//! wall-clock time on a clock (UTC, floating, or a zone). Adding a length moves the wall
//! clock (a one-hour event that starts at 01:30 on the night the clocks go back ends at
//! 02:30 local); the length between two times on one clock is their wall-clock
//! difference, between different clocks the real time between them. All arithmetic is
//! checked: no value a file holds can overflow or panic.

use chrono::{DateTime, NaiveDate, NaiveDateTime, TimeDelta, Utc};

use crate::normalise::zones::Zone;

/// The clock a date-time is written on.
#[derive(Debug, Clone)]
pub enum Clock {
    Utc,
    /// No zone: read in the calendar's floating zone.
    Floating,
    Zoned(Zone),
}

impl Clock {
    fn same(&self, other: &Clock) -> bool {
        match (self, other) {
            (Clock::Utc, Clock::Utc) | (Clock::Floating, Clock::Floating) => true,
            (Clock::Zoned(a), Clock::Zoned(b)) => a.same_as(b),
            _ => false,
        }
    }
}

/// A date, or a time on a clock.
#[derive(Debug, Clone)]
pub enum When {
    Date(NaiveDate),
    At { local: NaiveDateTime, clock: Clock },
}

impl When {
    pub fn is_date(&self) -> bool {
        matches!(self, When::Date(_))
    }

    /// The instant, with floating times read in `floating`.
    pub fn instant(&self, floating: &Zone) -> Option<DateTime<Utc>> {
        match self {
            When::Date(date) => floating.to_utc(date.and_hms_opt(0, 0, 0)?),
            When::At { local, clock } => match clock {
                Clock::Utc => Some(local.and_utc()),
                Clock::Floating => floating.to_utc(*local),
                Clock::Zoned(zone) => zone.to_utc(*local),
            },
        }
    }

    /// The wall-clock time (dates at midnight).
    pub fn local(&self) -> Option<NaiveDateTime> {
        match self {
            When::Date(date) => date.and_hms_opt(0, 0, 0),
            When::At { local, .. } => Some(*local),
        }
    }

    pub fn date(&self) -> Option<NaiveDate> {
        self.local().map(|l| l.date())
    }

    /// Moved by `delta` on its own clock (dates by whole days).
    pub fn plus(&self, delta: TimeDelta) -> Option<When> {
        Some(match self {
            When::Date(date) => {
                When::Date(date.checked_add_signed(TimeDelta::try_days(delta.num_days())?)?)
            }
            When::At { local, clock } => When::At {
                local: local.checked_add_signed(delta)?,
                clock: clock.clone(),
            },
        })
    }

    /// `self - earlier`: wall-clock on one clock, real time across clocks.
    pub fn since(&self, earlier: &When, floating: &Zone) -> Option<TimeDelta> {
        match (self, earlier) {
            (When::Date(a), When::Date(b)) => Some(a.signed_duration_since(*b)),
            (
                When::At {
                    local: a,
                    clock: ca,
                },
                When::At {
                    local: b,
                    clock: cb,
                },
            ) if ca.same(cb) => Some(a.signed_duration_since(*b)),
            _ => Some(
                self.instant(floating)?
                    .signed_duration_since(earlier.instant(floating)?),
            ),
        }
    }

    /// The same time on another clock (the instant kept), for comparing values a file
    /// wrote in different zones.
    pub fn on_clock(&self, clock: &Clock, floating: &Zone) -> Option<When> {
        match self {
            When::Date(_) => Some(self.clone()),
            When::At { clock: own, .. } if own.same(clock) => Some(self.clone()),
            When::At { .. } => {
                let instant = self.instant(floating)?;
                let local = match clock {
                    Clock::Utc => instant.naive_utc(),
                    Clock::Floating => floating.to_local(instant),
                    Clock::Zoned(zone) => zone.to_local(instant),
                };
                Some(When::At {
                    local,
                    clock: clock.clone(),
                })
            }
        }
    }

    /// The keys a recurrence is recognised by, as recurring_ical_events forms them: a
    /// zoned time by its UTC and its local reading, a floating time by its local reading,
    /// a date by its midnight.
    pub fn ids(&self, floating: &Zone) -> Vec<NaiveDateTime> {
        match self {
            When::Date(date) => date.and_hms_opt(0, 0, 0).into_iter().collect(),
            When::At {
                local,
                clock: Clock::Floating,
            } => vec![*local],
            When::At { local, .. } => {
                let mut ids: Vec<NaiveDateTime> = self
                    .instant(floating)
                    .map(|i| i.naive_utc())
                    .into_iter()
                    .collect();
                if ids.first() != Some(local) {
                    ids.push(*local);
                }
                ids
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toronto() -> Zone {
        Zone::Iana(chrono_tz::America::Toronto)
    }

    fn at(text: &str, clock: Clock) -> When {
        When::At {
            local: NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M").unwrap(),
            clock,
        }
    }

    #[test]
    fn lengths_are_wall_clock_on_one_clock_and_real_across_clocks() {
        let zoned = Clock::Zoned(toronto());
        let start = at("2026-11-01 00:30", zoned.clone());
        let end = at("2026-11-01 03:30", zoned.clone());
        assert_eq!(end.since(&start, &toronto()), Some(TimeDelta::hours(3)));
        let utc_end = at("2026-11-01 08:30", Clock::Utc);
        assert_eq!(utc_end.since(&start, &toronto()), Some(TimeDelta::hours(4)));
        assert!(start.plus(TimeDelta::MAX).is_none());
        assert_eq!(
            When::Date(NaiveDate::MAX)
                .plus(TimeDelta::days(1))
                .map(|w| w.date()),
            None
        );
    }

    #[test]
    fn ids_name_a_recurrence_by_utc_and_local_reading() {
        let zoned = at("2026-03-12 12:00", Clock::Zoned(toronto()));
        let ids = zoned.ids(&toronto());
        assert_eq!(ids.len(), 2);
        assert_eq!(ids[0].to_string(), "2026-03-12 16:00:00");
        assert_eq!(ids[1].to_string(), "2026-03-12 12:00:00");
        let utc = at("2026-03-12 16:00", Clock::Utc);
        assert_eq!(utc.ids(&toronto()).len(), 1);
    }
}
