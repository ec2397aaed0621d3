//! Feed dates read as feedparser reads them, so a post is dated as every feed reader
//! dates it: W3C-DTF first (`2026-03-12T16:00:00-05:00`, a date alone at midnight UTC,
//! the MSSQL-style space), then RFC 822 (with or without weekday, two- or four-digit
//! years, day and month either way round, numeric zones and the names US readers know —
//! any other name is read as UTC, as feedparser does), then ISO 8601's other forms
//! (basic `20260312`, ordinals, `YYYY-MM`; a basic time without colons is dropped, as
//! feedparser drops it), then asctime and Perforce's `2006/09/15 08:19:53 EDT`.
//! Out-of-range fields roll over (month 13 is next January) where feedparser's ISO
//! reader lets `mktime` normalise them, and are refused elsewhere. Built on chrono;
//! never panics.

use chrono::{DateTime, Datelike, Months, NaiveDate, NaiveDateTime, NaiveTime, TimeDelta, Utc};

/// The instant a feed's date text names, if any reader takes it.
pub fn parse(text: &str) -> Option<DateTime<Utc>> {
    let text = text.trim();
    if text.is_empty() {
        return None;
    }
    w3dtf(text)
        .or_else(|| rfc822(text))
        .or_else(|| iso8601(text))
        .or_else(|| asctime(text))
        .or_else(|| perforce(text))
}

/// Zone names feedparser knows, in hours east of UTC.
fn zone_hours(name: &str, rfc822: bool) -> i64 {
    match name {
        "ut" | "gmt" | "z" => 0,
        "adt" => -3,
        "ast" | "at" => -4,
        "edt" => -4,
        "est" | "et" => -5,
        "cdt" => -5,
        "cst" | "ct" => -6,
        "mdt" => -6,
        "mst" | "mt" => -7,
        "pdt" => -7,
        "pst" | "pt" => -8,
        "a" => -1,
        "n" => 1,
        "m" => -12,
        "y" => 12,
        "met" if rfc822 => 1,
        "mest" if rfc822 => 2,
        _ => 0,
    }
}

/// A civil date and time less an offset, as UTC; `None` when the fields are no date.
fn utc(
    year: i64,
    month: i64,
    day: i64,
    (hour, minute, second): (i64, i64, i64),
    offset_minutes: i64,
) -> Option<DateTime<Utc>> {
    let date = NaiveDate::from_ymd_opt(
        i32::try_from(year).ok()?,
        u32::try_from(month).ok()?,
        u32::try_from(day).ok()?,
    )?;
    let time = NaiveTime::from_hms_opt(
        u32::try_from(hour).ok()?,
        u32::try_from(minute).ok()?,
        u32::try_from(second).ok()?,
    )?;
    let local = NaiveDateTime::new(date, time);
    local
        .checked_sub_signed(TimeDelta::try_minutes(offset_minutes)?)
        .map(|t| t.and_utc())
}

fn int(text: &str) -> Option<i64> {
    let text = text.trim();
    if text.is_empty()
        || !text
            .trim_start_matches(['-', '+'])
            .bytes()
            .all(|b| b.is_ascii_digit())
    {
        return None;
    }
    text.parse().ok()
}

/// Python's `int(float(x))`: `"05.5"` → 5.
fn int_of_float(text: &str) -> Option<i64> {
    int(text).or_else(|| {
        let value: f64 = text.trim().parse().ok()?;
        value.is_finite().then_some(value.trunc() as i64)
    })
}

fn w3dtf(text: &str) -> Option<DateTime<Utc>> {
    let lower = text.to_lowercase();
    let mut parts: Vec<String> = lower.split('t').map(str::to_string).collect();
    if parts.len() == 1 {
        parts = parts[0].split_whitespace().map(str::to_string).collect();
        if parts.len() == 1 {
            parts.push("00:00:00z".into());
        }
    } else if parts.len() > 2 {
        return None;
    }
    if parts.len() < 2 {
        return None;
    }
    let mut date: Vec<&str> = parts[0].splitn(3, '-').collect();
    if date.first().is_none_or(|y| y.chars().count() != 4) {
        return None;
    }
    while date.len() < 3 {
        date.push("1");
    }
    let year = int(date[0])?;
    let month = int(date[1])?;
    let day = int(date[2])?;
    if parts[1].ends_with('z') {
        parts[1].pop();
        parts.push("z".into());
    }
    let time_part = parts[1].clone();
    let loc = time_part
        .find('-')
        .or_else(|| time_part.find('+'))
        .unwrap_or(time_part.len());
    let zone = if parts.len() > 2 {
        parts[2].clone()
    } else {
        time_part[loc..].to_string()
    };
    let clock = &time_part[..loc];
    let mut time: Vec<&str> = clock.splitn(3, ':').collect();
    while time.len() < 3 {
        time.push("0");
    }
    let offset = if zone.starts_with(['-', '+']) {
        let hours = int(zone.get(1..3)?)?;
        let minutes = int(zone.get(4..).filter(|m| !m.is_empty()).unwrap_or("0"))?;
        let sign = if zone.starts_with('-') { -1 } else { 1 };
        sign * (hours * 60 + minutes)
    } else {
        zone_hours(&zone, false) * 60
    };
    let hour = int_of_float(time[0])?;
    let minute = int_of_float(time[1])?;
    let second = int_of_float(time[2])?;
    utc(year, month, day, (hour, minute, second), offset)
}

const MONTHS: [&str; 12] = [
    "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
];
const DAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

fn month_number(text: &str) -> Option<i64> {
    let prefix: String = text.chars().take(3).collect();
    MONTHS
        .iter()
        .position(|m| *m == prefix)
        .map(|i| i as i64 + 1)
}

fn rfc822(text: &str) -> Option<DateTime<Utc>> {
    let lower = text.to_lowercase();
    let mut parts: Vec<String> = lower.split_whitespace().map(str::to_string).collect();
    if parts.len() < 5 {
        parts.push("00:00:00".into());
        parts.push("0000".into());
    }
    let day_name: String = parts[0].chars().take(3).collect();
    if DAYS.contains(&day_name.as_str()) {
        parts.remove(0);
    }
    if parts.len() < 5 {
        return None;
    }
    let (day, month) = match int(&parts[0]) {
        Some(day) => (day, month_number(&parts[1])?),
        None => (int(&parts[1])?, month_number(&parts[0])?),
    };
    let mut year = int(&parts[2])?;
    if parts[2].chars().count() <= 2 {
        year += if year < 90 { 2000 } else { 1900 };
    }
    let mut time: Vec<&str> = parts[3].split(':').collect();
    while time.len() < 3 {
        time.push("0");
    }
    if time.len() > 3 {
        return None;
    }
    let (hour, minute, second) = (int(time[0])?, int(time[1])?, int(time[2])?);
    let mut zone = parts[4].clone();
    if let Some(rest) = zone.strip_prefix("etc/") {
        zone = rest.to_string();
    }
    if let Some(rest) = zone.strip_prefix("gmt") {
        let joined: String = rest.split(':').collect();
        zone = if joined.is_empty() {
            "gmt".into()
        } else {
            joined
        };
    }
    let offset = if zone.starts_with(['-', '+']) {
        let hours = int(zone.get(1..3)?)?;
        let minutes = if zone.contains(':') {
            int(zone.get(4..)?)
        } else {
            int(zone.get(3..).filter(|m| !m.is_empty()).unwrap_or("0"))
        }?;
        let sign = if zone.starts_with('-') { -1 } else { 1 };
        sign * (hours * 60 + minutes)
    } else {
        zone_hours(&zone, true) * 60
    };
    utc(year, month, day, (hour, minute, second), offset)
}

/// feedparser's ISO 8601 reader: the first of its templates that matches at the start.
fn iso8601(text: &str) -> Option<DateTime<Utc>> {
    use std::sync::OnceLock;
    static PATTERNS: OnceLock<Vec<regex::Regex>> = OnceLock::new();
    let patterns = PATTERNS.get_or_init(|| {
        let time = r"(T?(?P<hour>\d{2}):(?P<minute>\d{2})(:(?P<second>\d{2}))?(\.(?P<fraction>\d+))?(?P<tz>[+-](?P<tzhour>\d{2})(:(?P<tzmin>\d{2}))?|Z)?)?";
        [
            r"(?P<year>\d{4})-?(?P<month>[01]\d)-?(?P<day>[0123]\d)",
            r"(?P<year>\d{4})-0(?P<month>[01]\d)?-?(?P<day>[0123]\d)",
            r"(?P<year>\d{4})-(?P<month>[01]\d)",
            r"(?P<year>\d{4})-?(?P<ordinal>[0123]\d\d)",
            r"(?P<year>\d\d)-?(?P<month>[01]\d)-?(?P<day>[0123]\d)",
            r"(?P<year>\d\d)-?(?P<ordinal>[0123]\d\d)",
            r"(?P<year>\d{4})",
        ]
        .iter()
        .filter_map(|date| regex::Regex::new(&format!("^{date}{time}")).ok())
        .collect()
    });
    let captures = patterns.iter().find_map(|p| p.captures(text))?;
    let field = |name: &str| captures.name(name).and_then(|m| int(m.as_str()));
    let year_text = captures.name("year")?.as_str();
    let year = if year_text.len() == 2 {
        // ISO 8601's two-digit years are in the current century (feedparser reads the
        // clock; this century is fixed here, so reading stays pure).
        2000 + int(year_text)?
    } else {
        int(year_text)?
    };
    let ordinal = field("ordinal").unwrap_or(0);
    let (month, day) = match (field("month"), field("day")) {
        (Some(month), Some(day)) => (month, day),
        (Some(month), None) => (month, 1),
        (None, _) if ordinal > 0 => (1, ordinal),
        (None, Some(day)) => (1, day),
        (None, None) => (1, 1),
    };
    let hour = field("hour").unwrap_or(0);
    let minute = field("minute").unwrap_or(0);
    let second = field("second").unwrap_or(0);
    let offset = match captures.name("tz").map(|m| m.as_str()) {
        Some(tz) if tz.starts_with(['+', '-']) => {
            let sign = if tz.starts_with('-') { -1 } else { 1 };
            sign * (field("tzhour").unwrap_or(0) * 60 + field("tzmin").unwrap_or(0))
        }
        _ => 0,
    };
    normalised(year, month, day, hour, minute, second, offset)
}

/// Fields added up from the first of the year, as C's `mktime` normalises them.
fn normalised(
    year: i64,
    month: i64,
    day: i64,
    hour: i64,
    minute: i64,
    second: i64,
    offset_minutes: i64,
) -> Option<DateTime<Utc>> {
    let start = NaiveDate::from_ymd_opt(i32::try_from(year).ok()?, 1, 1)?;
    let months = u32::try_from(month.checked_sub(1)?).ok()?;
    let date = start.checked_add_months(Months::new(months))?;
    let at = date
        .and_hms_opt(0, 0, 0)?
        .checked_add_signed(TimeDelta::try_days(day.checked_sub(1)?)?)?
        .checked_add_signed(TimeDelta::try_hours(hour)?)?
        .checked_add_signed(TimeDelta::try_minutes(minute.checked_sub(offset_minutes)?)?)?
        .checked_add_signed(TimeDelta::try_seconds(second)?)?;
    (at.year() > 0).then(|| at.and_utc())
}

fn asctime(text: &str) -> Option<DateTime<Utc>> {
    let mut parts: Vec<&str> = text.split_whitespace().collect();
    if parts.len() == 5 {
        parts.insert(4, "+0000");
    }
    if parts.len() != 6 {
        return None;
    }
    rfc822(&[parts[0], parts[2], parts[1], parts[5], parts[3], parts[4]].join(" "))
}

fn perforce(text: &str) -> Option<DateTime<Utc>> {
    use std::sync::OnceLock;
    static PATTERN: OnceLock<Option<regex::Regex>> = OnceLock::new();
    let pattern = PATTERN
        .get_or_init(|| {
            regex::Regex::new(
                r"(\w{0,3}), (\d{0,4})/(\d{0,2})/(\d{2}) (\d{0,2}):(\d{2}):(\d{2}) (\w{0,3})",
            )
            .ok()
        })
        .as_ref()?;
    let c = pattern.captures(text)?;
    let month = int(&c[3])?;
    let name = MONTHS.get(usize::try_from(month.checked_sub(1)?).ok()?)?;
    rfc822(&format!(
        "{}, {} {} {} {}:{}:{} {}",
        &c[1], &c[4], name, &c[2], &c[5], &c[6], &c[7], &c[8]
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> Option<String> {
        parse(text).map(|t| t.format("%Y-%m-%dT%H:%M:%SZ").to_string())
    }

    #[test]
    fn the_forms_feeds_use() {
        assert_eq!(
            at("2026-03-12T12:00:00-04:00").as_deref(),
            Some("2026-03-12T16:00:00Z")
        );
        assert_eq!(
            at("2026-03-12T16:00:00.123Z").as_deref(),
            Some("2026-03-12T16:00:00Z")
        );
        assert_eq!(at("2026-03-12").as_deref(), Some("2026-03-12T00:00:00Z"));
        assert_eq!(
            at("2026-03-12 16:00:00").as_deref(),
            Some("2026-03-12T16:00:00Z")
        );
        assert_eq!(
            at("Thu, 12 Mar 2026 12:00:00 EDT").as_deref(),
            Some("2026-03-12T16:00:00Z")
        );
        assert_eq!(
            at("12 Mar 2026 16:00:00 +0000").as_deref(),
            Some("2026-03-12T16:00:00Z")
        );
        assert_eq!(
            at("Thu, 12 Mar 26 16:00:00 GMT").as_deref(),
            Some("2026-03-12T16:00:00Z")
        );
        assert_eq!(
            at("Mar 12 2026 16:00:00 GMT").as_deref(),
            Some("2026-03-12T16:00:00Z")
        );
        assert_eq!(
            at("Wed, 12 Mar 2026 16:00:00 GMT").as_deref(),
            Some("2026-03-12T16:00:00Z"),
            "a wrong weekday is ignored"
        );
        assert_eq!(
            at("Thu, 12 Mar 2026 16:00:00 BST").as_deref(),
            Some("2026-03-12T16:00:00Z"),
            "unknown names are UTC"
        );
        assert_eq!(
            at("Thu, 12 Mar 2026 16:00:00 GMT-05:00").as_deref(),
            Some("2026-03-12T21:00:00Z")
        );
        assert_eq!(at("20260312").as_deref(), Some("2026-03-12T00:00:00Z"));
        assert_eq!(
            at("20260312T160000Z").as_deref(),
            Some("2026-03-12T00:00:00Z"),
            "feedparser drops a basic time"
        );
        assert_eq!(at("2026071").as_deref(), Some("2026-03-12T00:00:00Z"));
        assert_eq!(
            at("2026-071").as_deref(),
            Some("2026-07-01T00:00:00Z"),
            "YYYY-MM comes first"
        );
        assert_eq!(
            at("Thu Mar 12 16:00:00 2026").as_deref(),
            Some("2026-03-12T16:00:00Z")
        );
        assert_eq!(
            at("Fri, 2006/09/15 08:19:53 EDT").as_deref(),
            Some("2006-09-15T12:19:53Z")
        );
    }

    #[test]
    fn nonsense_is_no_date_and_never_panics() {
        for text in [
            "",
            "soon",
            "Jeudi, 12 mars 2026",
            "9999999999-99-99",
            "Thu, 32 Mar 2026 16:00 GMT",
            "-0000-00-00",
            "2026-13-45",
            "T",
            "t-",
            "+99999999999999999999",
        ] {
            let _ = parse(text);
        }
        assert_eq!(parse("soon"), None);
        assert_eq!(parse("Thu, 32 Mar 2026 16:00:00 GMT"), None);
    }
}
