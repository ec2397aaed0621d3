//! iCalendar value types, read with chrono's formats: DATE, DATE-TIME (UTC, with a TZID,
//! floating), PERIOD, DURATION and UTC-OFFSET. Lenient where real files are (white
//! space, lower-case letters, date-times without seconds); never panics, never overflows.

use chrono::{FixedOffset, NaiveDate, NaiveDateTime, NaiveTime};

use super::structure::Prop;

/// A time as written in the file.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum IcalTime {
    Date(NaiveDate),
    /// `...Z`
    Utc(NaiveDateTime),
    /// With a TZID, or floating when `tzid` is `None`.
    Local {
        time: NaiveDateTime,
        tzid: Option<String>,
    },
}

impl IcalTime {
    pub fn is_date(&self) -> bool {
        matches!(self, IcalTime::Date(_))
    }
}

/// A DURATION: nominal days (weeks and days, which keep the wall-clock time across a
/// clock change) and exact seconds, with a sign.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Dur {
    pub negative: bool,
    pub days: i64,
    pub seconds: i64,
}

impl Dur {
    /// The whole duration as a signed time delta (days of 24 hours), if it fits.
    pub fn as_delta(&self) -> Option<chrono::TimeDelta> {
        let total = self.days.checked_mul(86_400)?.checked_add(self.seconds)?;
        let total = if self.negative {
            total.checked_neg()?
        } else {
            total
        };
        chrono::TimeDelta::try_seconds(total)
    }
}

/// The end of a PERIOD.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum PeriodEnd {
    At(IcalTime),
    Lasting(Dur),
}

/// One RDATE value.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum RDate {
    At(IcalTime),
    Period { start: IcalTime, end: PeriodEnd },
}

/// The times of a DATE/DATE-TIME property (EXDATE and RDATE may list several); `None`
/// when any of them is unreadable.
pub fn times(prop: &Prop) -> Option<Vec<IcalTime>> {
    let date_only = prop
        .param("VALUE")
        .is_some_and(|v| v.eq_ignore_ascii_case("DATE"));
    let tzid = tzid(prop);
    prop.value
        .split(',')
        .map(|value| time(value, date_only, tzid.as_deref()))
        .collect()
}

/// The first time of a property, if readable.
pub fn first_time(prop: &Prop) -> Option<IcalTime> {
    times(prop)?.into_iter().next()
}

/// The RDATE values of a property: times or periods; `None` when any is unreadable.
pub fn rdates(prop: &Prop) -> Option<Vec<RDate>> {
    let period = prop
        .param("VALUE")
        .is_some_and(|v| v.eq_ignore_ascii_case("PERIOD"));
    let date_only = prop
        .param("VALUE")
        .is_some_and(|v| v.eq_ignore_ascii_case("DATE"));
    let tzid = tzid(prop);
    prop.value
        .split(',')
        .map(|value| match value.split_once('/') {
            Some((start, end)) => {
                let start = time(start, false, tzid.as_deref())?;
                let end = match duration(end) {
                    Some(lasting) => PeriodEnd::Lasting(lasting),
                    None => PeriodEnd::At(time(end, false, tzid.as_deref())?),
                };
                Some(RDate::Period { start, end })
            }
            None if period => None,
            None => time(value, date_only, tzid.as_deref()).map(RDate::At),
        })
        .collect()
}

fn tzid(prop: &Prop) -> Option<String> {
    prop.param("TZID")
        .map(|t| t.trim().to_string())
        .filter(|t| !t.is_empty())
}

/// One DATE or DATE-TIME value.
pub fn time(value: &str, date_only: bool, tzid: Option<&str>) -> Option<IcalTime> {
    let value = value.trim();
    let date = NaiveDate::parse_from_str(value.get(..8)?, "%Y%m%d").ok()?;
    let rest = &value[8..];
    if rest.is_empty() || date_only {
        return Some(IcalTime::Date(date));
    }
    let rest = rest.strip_prefix(['T', 't'])?;
    let (clock, utc) = match rest.strip_suffix(['Z', 'z']) {
        Some(clock) => (clock, true),
        None => (rest, false),
    };
    let clock = match clock.len() {
        6 => NaiveTime::parse_from_str(clock, "%H%M%S").ok()?,
        4 => NaiveTime::parse_from_str(clock, "%H%M").ok()?,
        // A leap second (`235960`) is read as the last second of the minute.
        _ => return None,
    };
    let time = date.and_time(clock);
    Some(if utc {
        IcalTime::Utc(time)
    } else {
        IcalTime::Local {
            time,
            tzid: tzid.map(str::to_string),
        }
    })
}

/// A DURATION value: `[+-]P…` with weeks, days, hours, minutes and seconds; `None` when
/// unreadable or too large for any calendar.
pub fn duration(value: &str) -> Option<Dur> {
    let value = value.trim().to_ascii_uppercase();
    let (negative, rest) = match value.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, value.strip_prefix('+').unwrap_or(&value)),
    };
    let rest = rest.strip_prefix('P')?;
    if rest.is_empty() {
        return None;
    }
    let parsed = iso8601::duration(&format!("P{rest}")).ok()?;
    let (days, seconds) = match parsed {
        iso8601::Duration::Weeks(weeks) => (i64::from(weeks).checked_mul(7)?, 0),
        iso8601::Duration::YMDHMS {
            year,
            month,
            day,
            hour,
            minute,
            second,
            millisecond: _,
        } => {
            if year != 0 || month != 0 {
                return None;
            }
            let seconds = i64::from(hour)
                .checked_mul(3600)?
                .checked_add(i64::from(minute).checked_mul(60)?)?
                .checked_add(i64::from(second))?;
            (i64::from(day), seconds)
        }
    };
    // Beyond a thousand years nothing is a calendar event.
    if days > 366_000 || seconds > 366_000 * 86_400 {
        return None;
    }
    Some(Dur {
        negative,
        days,
        seconds,
    })
}

/// A UTC-OFFSET: `-0500`, `+0530`, `+013000`.
pub fn offset(text: &str) -> Option<FixedOffset> {
    let text = text.trim();
    let sign = match text.chars().next()? {
        '+' => 1,
        '-' => -1,
        _ => return None,
    };
    let digits = text.get(1..)?;
    if !digits.bytes().all(|b| b.is_ascii_digit()) || !matches!(digits.len(), 4 | 6) {
        return None;
    }
    let hours: i32 = digits.get(0..2)?.parse().ok()?;
    let minutes: i32 = digits.get(2..4)?.parse().ok()?;
    let seconds: i32 = digits.get(4..6).map_or(Some(0), |s| s.parse().ok())?;
    FixedOffset::east_opt(sign * (hours * 3600 + minutes * 60 + seconds))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S").unwrap()
    }

    #[test]
    fn dates_and_times() {
        assert_eq!(
            time("20260312", false, None),
            Some(IcalTime::Date(
                NaiveDate::from_ymd_opt(2026, 3, 12).unwrap()
            ))
        );
        assert_eq!(
            time(" 20260312T120000Z ", false, None),
            Some(IcalTime::Utc(at("2026-03-12 12:00:00")))
        );
        assert_eq!(
            time("20260312t1200", false, Some("Europe/London")),
            Some(IcalTime::Local {
                time: at("2026-03-12 12:00:00"),
                tzid: Some("Europe/London".into())
            })
        );
        assert_eq!(
            time("20260312T120000", true, None),
            Some(IcalTime::Date(
                NaiveDate::from_ymd_opt(2026, 3, 12).unwrap()
            ))
        );
        assert_eq!(time("2026031", false, None), None);
        assert_eq!(time("20261332T120000", false, None), None);
        assert_eq!(time("20260312T250000", false, None), None);
    }

    #[test]
    fn durations_are_signed_and_bounded() {
        assert_eq!(
            duration("PT1H30M"),
            Some(Dur {
                negative: false,
                days: 0,
                seconds: 5400
            })
        );
        assert_eq!(
            duration("-P1W"),
            Some(Dur {
                negative: true,
                days: 7,
                seconds: 0
            })
        );
        assert_eq!(
            duration("P1DT12H").unwrap().as_delta().unwrap().num_hours(),
            36
        );
        assert_eq!(duration("P99999999999D"), None);
        assert_eq!(duration("P"), None);
        assert_eq!(duration("soon"), None);
        assert_eq!(duration("P1Y"), None, "years are not RFC 5545 durations");
    }

    #[test]
    fn offsets() {
        assert_eq!(offset("-0500"), FixedOffset::west_opt(5 * 3600));
        assert_eq!(offset("+013000"), FixedOffset::east_opt(5400));
        assert_eq!(offset("0500"), None);
        assert_eq!(offset("+05"), None);
    }
}
