//! A zone defined by a calendar's own VTIMEZONE: offsets computed from its STANDARD and
//! DAYLIGHT observances (DTSTART, RRULE, RDATE, TZOFFSETFROM/TO), the way dateutil's
//! `tzical` (the reference readers' engine) reads them: at a local time, the observance
//! with the latest onset at or before it applies; before every onset, the first
//! STANDARD one; a zone with one observance keeps its offset forever. One difference, on
//! purpose: a local time inside a spring-forward gap is moved forward by the gap, as RFC
//! 5545 §3.3.5 says (dateutil moves it back).
//!
//! Onsets are expanded for the span a calendar covers (with two years' margin before it,
//! so the observance in force at its start is known), not from the observance's 1601
//! DTSTART to the end of time.

use chrono::{DateTime, FixedOffset, NaiveDateTime, TimeDelta, Utc};

use crate::budget::Budget;
use crate::extract::ical::VTimezone;
use crate::normalise::recurrence::{self, Rule};

/// At most this many onsets are kept per observance (two a year for centuries).
const MAX_ONSETS: usize = 2_000;

#[derive(Debug, Clone)]
struct Part {
    daylight: bool,
    from: FixedOffset,
    to: FixedOffset,
    /// Local onset times (in `from`), ascending.
    onsets: Vec<NaiveDateTime>,
}

/// A VTIMEZONE's offsets over a span.
#[derive(Debug, Clone)]
pub struct DefinedZone {
    pub tzid: String,
    parts: Vec<Part>,
}

impl DefinedZone {
    /// Builds the zone from its definition for the span `[from, to]`; `None` when the
    /// definition has no usable observance.
    pub fn new(
        definition: &VTimezone,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        budget: &mut Budget,
    ) -> Option<DefinedZone> {
        let margin_from = (from - TimeDelta::days(731)).naive_utc();
        let margin_to = (to + TimeDelta::days(366)).naive_utc();
        let parts: Vec<Part> = definition
            .observances
            .iter()
            .map(|observance| {
                let mut onsets = vec![observance.start];
                match observance
                    .rrule
                    .as_deref()
                    .map(Rule::parse)
                    .transpose()
                    .ok()
                    .flatten()
                {
                    Some(rule) => {
                        // tzical reads UNTIL ignoring its `Z`: a local time like the onsets.
                        let until = rule.until_text.as_deref().and_then(|text| {
                            crate::extract::ical::values::time(text, false, None).map(|t| match t {
                                crate::extract::ical::IcalTime::Date(d) => {
                                    d.and_hms_opt(0, 0, 0).unwrap_or_default()
                                }
                                crate::extract::ical::IcalTime::Utc(t)
                                | crate::extract::ical::IcalTime::Local { time: t, .. } => t,
                            })
                        });
                        let expansion = recurrence::expand(
                            &rule,
                            observance.start,
                            until,
                            recurrence::Bounds::new(margin_from, margin_to, MAX_ONSETS),
                            budget,
                        );
                        onsets.extend(expansion.starts);
                        onsets.extend(observance.rdates.iter().copied());
                    }
                    None => onsets.extend(observance.rdates.iter().copied()),
                }
                onsets.sort_unstable();
                onsets.dedup();
                Part {
                    daylight: observance.daylight,
                    from: observance.offset_from,
                    to: observance.offset_to,
                    onsets,
                }
            })
            .collect();
        (!parts.is_empty()).then(|| DefinedZone {
            tzid: definition.tzid.clone(),
            parts,
        })
    }

    /// The part in force before every onset: the first STANDARD, else the first.
    fn fallback(&self) -> &Part {
        self.parts
            .iter()
            .find(|p| !p.daylight)
            .unwrap_or(&self.parts[0])
    }

    /// The part whose latest onset at or before `local` is the latest, and that onset.
    fn part_at_local(&self, local: NaiveDateTime) -> (&Part, Option<NaiveDateTime>) {
        if self.parts.len() == 1 {
            return (&self.parts[0], None);
        }
        self.parts
            .iter()
            .filter_map(|part| {
                let index = part.onsets.partition_point(|onset| *onset <= local);
                index.checked_sub(1).map(|i| (part, part.onsets[i]))
            })
            .max_by_key(|(_, onset)| *onset)
            .map_or((self.fallback(), None), |(part, onset)| (part, Some(onset)))
    }

    /// The instant of a local time; in a spring-forward gap, moved forward by the gap.
    pub fn to_utc(&self, local: NaiveDateTime) -> Option<DateTime<Utc>> {
        let (part, onset) = self.part_at_local(local);
        let gap = part.to.local_minus_utc() - part.from.local_minus_utc();
        let in_gap = onset
            .is_some_and(|onset| gap > 0 && local < onset + TimeDelta::seconds(i64::from(gap)));
        let offset = if in_gap { part.from } else { part.to };
        local
            .checked_sub_signed(TimeDelta::seconds(i64::from(offset.local_minus_utc())))
            .map(|utc| utc.and_utc())
    }

    /// The offset in force at an instant.
    pub fn offset_at(&self, at: DateTime<Utc>) -> FixedOffset {
        if self.parts.len() == 1 {
            return self.parts[0].to;
        }
        let at = at.naive_utc();
        self.parts
            .iter()
            .filter_map(|part| {
                let shift = TimeDelta::seconds(i64::from(part.from.local_minus_utc()));
                let index = part.onsets.partition_point(|onset| *onset - shift <= at);
                index.checked_sub(1).map(|i| (part, part.onsets[i] - shift))
            })
            .max_by_key(|(_, onset)| *onset)
            .map_or(self.fallback().to, |(part, _)| part.to)
    }

    /// The changes of offset within `[from, to]` (UTC instant, new offset in seconds),
    /// and the offset in force at `from`.
    pub fn transitions(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> (i32, Vec<(i64, i32)>) {
        let mut all: Vec<(i64, i32)> = self
            .parts
            .iter()
            .flat_map(|part| {
                part.onsets.iter().map(move |onset| {
                    let utc = *onset - TimeDelta::seconds(i64::from(part.from.local_minus_utc()));
                    (utc.and_utc().timestamp(), part.to.local_minus_utc())
                })
            })
            .collect();
        all.sort_unstable();
        let initial = self.offset_at(from).local_minus_utc();
        let mut current = initial;
        let mut changes = Vec::new();
        for (at, offset) in all {
            if at <= from.timestamp() || at > to.timestamp() || offset == current {
                continue;
            }
            changes.push((at, offset));
            current = offset;
        }
        (initial, changes)
    }
}

/// Whether an IANA zone keeps exactly the same offsets as `zone` over `[from, to]`.
pub fn agrees_with(zone: &DefinedZone, iana: &str, from: DateTime<Utc>, to: DateTime<Utc>) -> bool {
    let Ok(tz) = jiff::tz::TimeZone::get(iana) else {
        return false;
    };
    let Ok(begin) = jiff::Timestamp::from_second(from.timestamp()) else {
        return false;
    };
    let (initial, changes) = zone.transitions(from, to);
    if tz.to_offset(begin).seconds() != initial {
        return false;
    }
    let mut theirs = Vec::new();
    let mut current = initial;
    for transition in tz.following(begin) {
        let at = transition.timestamp().as_second();
        if at > to.timestamp() {
            break;
        }
        let offset = transition.offset().seconds();
        if offset != current {
            theirs.push((at, offset));
            current = offset;
        }
    }
    theirs == changes
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::extract::ical::Observance;
    use chrono::TimeZone;

    fn at(text: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M").unwrap()
    }

    fn utc(text: &str) -> DateTime<Utc> {
        at(text).and_utc()
    }

    fn observance(
        daylight: bool,
        start: &str,
        from: i32,
        to: i32,
        rrule: Option<&str>,
    ) -> Observance {
        Observance {
            daylight,
            start: at(start),
            offset_from: FixedOffset::east_opt(from * 60).unwrap(),
            offset_to: FixedOffset::east_opt(to * 60).unwrap(),
            rrule: rrule.map(str::to_string),
            rdates: vec![],
            name: None,
        }
    }

    fn eastern() -> VTimezone {
        VTimezone {
            tzid: "Eastern Time (custom)".into(),
            location: None,
            observances: vec![
                observance(
                    false,
                    "1601-11-04 02:00",
                    -240,
                    -300,
                    Some("FREQ=YEARLY;BYDAY=1SU;BYMONTH=11"),
                ),
                observance(
                    true,
                    "1601-03-11 02:00",
                    -300,
                    -240,
                    Some("FREQ=YEARLY;BYDAY=2SU;BYMONTH=3"),
                ),
            ],
        }
    }

    #[test]
    fn offsets_match_the_tz_database_for_a_real_zone() {
        let zone = DefinedZone::new(
            &eastern(),
            utc("2025-01-01 00:00"),
            utc("2028-01-01 00:00"),
            &mut Budget::unlimited(),
        )
        .unwrap();
        let toronto = chrono_tz::America::Toronto;
        let mut hour = utc("2025-01-01 00:00");
        while hour < utc("2028-01-01 00:00") {
            use chrono::Offset;
            let expected = hour.with_timezone(&toronto).offset().fix();
            assert_eq!(zone.offset_at(hour), expected, "at {hour}");
            let local = hour.with_timezone(&toronto).naive_local();
            // Every local time that exists once maps back to its instant.
            if toronto.from_local_datetime(&local).single().is_some() {
                assert_eq!(zone.to_utc(local), Some(hour), "local {local}");
            }
            hour += TimeDelta::hours(1);
        }
        assert!(agrees_with(
            &zone,
            "America/Toronto",
            utc("2025-01-01 00:00"),
            utc("2028-01-01 00:00")
        ));
        assert!(!agrees_with(
            &zone,
            "America/Winnipeg",
            utc("2025-01-01 00:00"),
            utc("2028-01-01 00:00")
        ));
        assert!(!agrees_with(
            &zone,
            "Europe/London",
            utc("2025-01-01 00:00"),
            utc("2028-01-01 00:00")
        ));
    }

    #[test]
    fn gaps_move_forward_and_repeated_hours_take_the_first() {
        let zone = DefinedZone::new(
            &eastern(),
            utc("2026-01-01 00:00"),
            utc("2027-01-01 00:00"),
            &mut Budget::unlimited(),
        )
        .unwrap();
        assert_eq!(
            zone.to_utc(at("2026-03-08 02:30")),
            Some(utc("2026-03-08 07:30"))
        );
        assert_eq!(
            zone.to_utc(at("2026-11-01 01:30")),
            Some(utc("2026-11-01 05:30"))
        );
    }

    #[test]
    fn a_made_up_zone_with_history_and_one_observance() {
        // +03:00 until 2026-06-01 03:00, then +02:00 (no daylight part at all).
        let zone = VTimezone {
            tzid: "Ville imaginaire".into(),
            location: None,
            observances: vec![
                observance(false, "1990-01-01 00:00", 180, 180, None),
                Observance {
                    rdates: vec![],
                    ..observance(false, "2026-06-01 03:00", 180, 120, None)
                },
            ],
        };
        let zone = DefinedZone::new(
            &zone,
            utc("2026-01-01 00:00"),
            utc("2027-01-01 00:00"),
            &mut Budget::unlimited(),
        )
        .unwrap();
        assert_eq!(
            zone.to_utc(at("2026-05-31 12:00")),
            Some(utc("2026-05-31 09:00"))
        );
        assert_eq!(
            zone.to_utc(at("2026-06-02 12:00")),
            Some(utc("2026-06-02 10:00"))
        );
        let single = VTimezone {
            tzid: "Fixe".into(),
            location: None,
            observances: vec![observance(false, "1970-01-01 00:00", 330, 330, None)],
        };
        let single = DefinedZone::new(
            &single,
            utc("2026-01-01 00:00"),
            utc("2027-01-01 00:00"),
            &mut Budget::unlimited(),
        )
        .unwrap();
        assert_eq!(
            single.to_utc(at("1900-01-01 05:30")),
            Some(utc("1900-01-01 00:00"))
        );
    }
}
