//! Reading the dates pages write: ISO 8601 from markup, exactly as dateutil's `isoparse`
//! (the reference readers' rule) reads it — [`parse_markup`] — and the text of pages
//! without markup, in English or French — "12 March 2026, 12:00 to 13:00", "le 12 mars
//! 2026, de 12 h à 13 h", "March 12, 2026 12 pm". The calendar arithmetic is chrono's;
//! this module only splits ISO strings into their fields as `isoparse` does, and brings
//! French words and the many ways of writing times to the forms chrono reads.

use std::sync::LazyLock;

use chrono::{DateTime, Datelike, FixedOffset, NaiveDate, NaiveDateTime, NaiveTime};
use regex::Regex;

/// A point in time as written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum When {
    Date(NaiveDate),
    /// A wall-clock time in the source's zone.
    Local(NaiveDateTime),
    /// A time with its offset.
    Instant(DateTime<FixedOffset>),
}

/// A markup date as dateutil reads it: `None` when it cannot be read.
///
/// A value is a date (all day) when `isoparser().parse_isodate` takes the whole of it —
/// `YYYY-MM-DD`, `YYYYMMDD`, `YYYY-MM`, `YYYY`, `YYYY-Www`, `YYYY-Www-D`, `YYYY-DDD` —
/// else it is `isoparse`'s date-time: any one character between date and time; `hh`,
/// `hh:mm`, `hhmm`, `hh:mm:ss`, fractions after `.` or `,` (beyond microseconds dropped);
/// `24:00` as the next midnight; `Z`, `±hh`, `±hhmm`, `±hh:mm`. Leading and trailing
/// white space is ignored.
pub fn parse_markup(text: &str) -> Option<When> {
    let text = text.trim_matches(char::is_whitespace);
    if !text.is_ascii() || text.is_empty() {
        return None;
    }
    let (date, pos) = iso::date(text)?;
    if pos >= text.len() {
        return Some(When::Date(date));
    }
    let time = iso::time(text.get(pos + 1..)?)?;
    let midnight_after = time.hour == 24;
    let naive = date.and_time(NaiveTime::from_hms_micro_opt(
        if midnight_after { 0 } else { time.hour },
        time.minute,
        time.second,
        time.micro,
    )?);
    let naive = if midnight_after {
        naive.checked_add_signed(chrono::TimeDelta::days(1))?
    } else {
        naive
    };
    Some(match time.offset {
        None => When::Local(naive),
        Some(offset) => When::Instant(naive.and_local_timezone(offset).single()?),
    })
}

/// The calendar date a markup value names, before any zone is applied (for `24:00`, the
/// next day).
pub fn written_date(when: &When) -> NaiveDate {
    match when {
        When::Date(date) => *date,
        When::Local(local) => local.date(),
        When::Instant(at) => at.date_naive(),
    }
}

mod iso;

/// ISO 8601 / RFC 3339 and their common relaxations.
pub fn parse_iso(text: &str) -> Option<When> {
    let text = text.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Some(When::Instant(t));
    }
    for format in [
        "%Y-%m-%dT%H:%M%:z",
        "%Y-%m-%dT%H:%M:%S%z",
        "%Y-%m-%dT%H:%M%z",
        "%Y-%m-%d %H:%M:%S%:z",
        "%Y-%m-%dT%H:%M:%S%.f%:z",
    ] {
        if let Ok(t) = DateTime::parse_from_str(text, format) {
            return Some(When::Instant(t));
        }
    }
    if let Some(utc) = text.strip_suffix('Z').or(text.strip_suffix('z')) {
        for format in ["%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M"] {
            if let Ok(t) = NaiveDateTime::parse_from_str(utc, format) {
                return Some(When::Instant(t.and_utc().fixed_offset()));
            }
        }
    }
    for format in [
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%d %H:%M",
        "%Y-%m-%dT%H:%M:%S%.f",
    ] {
        if let Ok(t) = NaiveDateTime::parse_from_str(text, format) {
            return Some(When::Local(t));
        }
    }
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .ok()
        .map(When::Date)
}

const FRENCH_MONTHS: &[(&str, &str)] = &[
    ("janvier", "january"),
    ("janv.", "january"),
    ("février", "february"),
    ("fevrier", "february"),
    ("févr.", "february"),
    ("mars", "march"),
    ("avril", "april"),
    ("avr.", "april"),
    ("mai", "may"),
    ("juin", "june"),
    ("juillet", "july"),
    ("juil.", "july"),
    ("août", "august"),
    ("aout", "august"),
    ("septembre", "september"),
    ("sept.", "september"),
    ("octobre", "october"),
    ("oct.", "october"),
    ("novembre", "november"),
    ("nov.", "november"),
    ("décembre", "december"),
    ("decembre", "december"),
    ("déc.", "december"),
];

const NOISE_WORDS: &[&str] = &[
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
    "mon",
    "tue",
    "tues",
    "wed",
    "thu",
    "thur",
    "thurs",
    "fri",
    "sat",
    "sun",
    "lundi",
    "mardi",
    "mercredi",
    "jeudi",
    "vendredi",
    "samedi",
    "dimanche",
    "le",
    "the",
    "on",
    "from",
    "de",
    "du",
    "to",
    "à",
    "a",
    "au",
    "until",
    "till",
    "and",
    "et",
    "at",
    "h",
    "time",
    "heure",
    "date",
    "when",
    "quand",
    "et",
    "or",
];

static FRENCH_TIME: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\b(\d{1,2})\s*h(?:\s*(\d{2}))?\b").expect("static regex"));
static TIME: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\b(\d{1,2})(?::(\d{2}))?\s*(am|pm)\b|\b(\d{1,2}):(\d{2})\b").expect("static regex")
});
static ORDINAL: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\b(\d{1,2})(st|nd|rd|th|er|e)\b").expect("static regex"));

/// Text brought to what chrono reads: lower case, English month names, `HH:MM` times.
fn normalised(text: &str) -> String {
    let lowered = text.to_lowercase().replace(['\u{a0}', '\u{202f}'], " ");
    // Month names are replaced word by word, so "mai" in "domaine" stays as it is.
    let mut t = lowered
        .split(' ')
        .map(|word| {
            let bare = word.trim_end_matches([',', ';']);
            let tail = &word[bare.len()..];
            match FRENCH_MONTHS
                .iter()
                .find(|(french, _)| *french == bare || french.trim_end_matches('.') == bare)
            {
                Some((_, english)) => format!("{english}{tail}"),
                None => word.to_string(),
            }
        })
        .collect::<Vec<_>>()
        .join(" ");
    t = t
        .replace("a.m.", "am")
        .replace("p.m.", "pm")
        .replace("noon", "12:00")
        .replace("midi", "12:00");
    t = FRENCH_TIME
        .replace_all(&t, |c: &regex::Captures| {
            format!("{}:{}", &c[1], c.get(2).map_or("00", |m| m.as_str()))
        })
        .into_owned();
    ORDINAL.replace_all(&t, "$1").into_owned()
}

fn times(text: &str) -> Vec<NaiveTime> {
    TIME.captures_iter(text)
        .filter_map(|c| {
            if let Some(hour) = c.get(1) {
                let mut hour: u32 = hour.as_str().parse().ok()?;
                let minute: u32 = c.get(2).map_or(Ok(0), |m| m.as_str().parse()).ok()?;
                match (&c[3], hour) {
                    ("pm", h) if h < 12 => hour += 12,
                    ("am", 12) => hour = 0,
                    _ => {}
                }
                NaiveTime::from_hms_opt(hour, minute, 0)
            } else {
                NaiveTime::from_hms_opt(c[4].parse().ok()?, c[5].parse().ok()?, 0)
            }
        })
        .collect()
}

fn date_part(text: &str, reference: NaiveDate) -> Option<NaiveDate> {
    let without_times = TIME.replace_all(text, " ");
    let words: Vec<&str> = without_times
        .split(|c: char| c.is_whitespace() || matches!(c, ',' | '–' | '—' | '-' | '|' | '(' | ')'))
        .map(|w| w.trim_matches('.'))
        .filter(|w| !w.is_empty() && !NOISE_WORDS.contains(w))
        .collect();
    let cleaned = words.join(" ");
    for format in [
        "%d %B %Y", "%B %d %Y", "%d %b %Y", "%b %d %Y", "%Y %m %d", "%Y %B %d",
    ] {
        if let Ok(date) = NaiveDate::parse_from_str(&cleaned, format) {
            return Some(date);
        }
    }
    // Pages often leave out the year: take the next such date from the reference.
    for format in ["%d %B %Y", "%B %d %Y", "%d %b %Y", "%b %d %Y"] {
        let with_year = format!("{cleaned} {}", reference.year());
        let format_with_year = if format.ends_with("%Y") {
            format.to_string()
        } else {
            format!("{format} %Y")
        };
        if let Ok(date) = NaiveDate::parse_from_str(&with_year, &format_with_year) {
            let date = if date < reference - chrono::Duration::days(60) {
                date.with_year(date.year() + 1)?
            } else {
                date
            };
            return Some(date);
        }
    }
    None
}

/// Reads a page's text date, possibly a range of times on one day. With `format` (a chrono
/// format the operator gave), that format is tried first on the normalised text.
pub fn parse_text(
    text: &str,
    format: Option<&str>,
    reference: NaiveDate,
) -> Option<(When, Option<When>)> {
    if let Some(iso) = parse_iso(text) {
        return Some((iso, None));
    }
    let t = normalised(text);
    if let Some(format) = format {
        let format = format.to_lowercase();
        if let Ok(at) = NaiveDateTime::parse_from_str(t.trim(), &format) {
            return Some((When::Local(at), None));
        }
        if let Ok(date) = NaiveDate::parse_from_str(t.trim(), &format) {
            return Some((When::Date(date), None));
        }
    }
    let date = date_part(&t, reference)?;
    let found = times(&t);
    Some(match found.as_slice() {
        [] => (When::Date(date), None),
        [start] => (When::Local(date.and_time(*start)), None),
        [start, end, ..] => {
            let end_date = if end < start { date.succ_opt()? } else { date };
            (
                When::Local(date.and_time(*start)),
                Some(When::Local(end_date.and_time(*end))),
            )
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reference() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 1, 15).unwrap()
    }

    fn local(s: &str) -> When {
        When::Local(NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap())
    }

    #[test]
    fn iso_forms() {
        assert!(matches!(
            parse_iso("2026-11-18T12:00:00-05:00"),
            Some(When::Instant(_))
        ));
        assert!(matches!(
            parse_iso("2026-11-18T12:00-05:00"),
            Some(When::Instant(_))
        ));
        assert!(matches!(
            parse_iso("2026-11-18T17:00Z"),
            Some(When::Instant(_))
        ));
        assert_eq!(
            parse_iso("2026-11-18T12:00"),
            Some(local("2026-11-18 12:00"))
        );
        assert_eq!(
            parse_iso("2026-12-03"),
            Some(When::Date(NaiveDate::from_ymd_opt(2026, 12, 3).unwrap()))
        );
    }

    #[test]
    fn markup_dates_as_isoparse_reads_them() {
        let date = |y, m, d| Some(When::Date(NaiveDate::from_ymd_opt(y, m, d).unwrap()));
        assert_eq!(parse_markup("2026-03-12"), date(2026, 3, 12));
        assert_eq!(parse_markup("20260312"), date(2026, 3, 12));
        assert_eq!(parse_markup(" 2026-03 "), date(2026, 3, 1));
        assert_eq!(parse_markup("2026"), date(2026, 1, 1));
        assert_eq!(parse_markup("2026-W12"), date(2026, 3, 16));
        assert_eq!(parse_markup("2026W123"), date(2026, 3, 18));
        assert_eq!(parse_markup("2026-071"), date(2026, 3, 12));
        assert_eq!(
            parse_markup("2026-03-12T13:00"),
            Some(local("2026-03-12 13:00"))
        );
        assert_eq!(
            parse_markup("2026-03-12 1300"),
            Some(local("2026-03-12 13:00"))
        );
        assert_eq!(
            parse_markup("2026-03-12T24:00"),
            Some(local("2026-03-13 00:00"))
        );
        let instant = |s: &str| Some(When::Instant(DateTime::parse_from_rfc3339(s).unwrap()));
        assert_eq!(
            parse_markup("2026-03-12T13:00:00.1234567-05"),
            instant("2026-03-12T13:00:00.123456-05:00")
        );
        assert_eq!(
            parse_markup("2026-03-12t13:00z"),
            instant("2026-03-12T13:00:00Z")
        );
        assert_eq!(
            parse_markup("2026-03-12T13:00:00,5+0530"),
            instant("2026-03-12T13:00:00.5+05:30")
        );
        for unreadable in [
            "2026-03-12 13:00 -05:00",
            "2026-02-30",
            "2026-3-12",
            "March 12, 2026",
            "2026-03-12T23:59:60",
            "2026-03-12T13:00,5",
            "2026-03-12T24:30",
            "2026-03T13:00",
            "2026-03-12T13:00+5",
        ] {
            assert_eq!(parse_markup(unreadable), None, "{unreadable}");
        }
    }

    #[test]
    fn english_and_french_text() {
        let cases = [
            (
                "12 March 2026, 12:00 to 13:00",
                local("2026-03-12 12:00"),
                Some(local("2026-03-12 13:00")),
            ),
            (
                "le 12 mars 2026, de 12 h à 13 h",
                local("2026-03-12 12:00"),
                Some(local("2026-03-12 13:00")),
            ),
            (
                "Thursday, March 12, 2026 12 pm – 1:30 pm",
                local("2026-03-12 12:00"),
                Some(local("2026-03-12 13:30")),
            ),
            (
                "le 3 avril de 12 h à 13 h 30",
                local("2026-04-03 12:00"),
                Some(local("2026-04-03 13:30")),
            ),
            (
                "jeudi 1er octobre 2026, 9 h 30",
                local("2026-10-01 09:30"),
                None,
            ),
            (
                "November 5th, 2026 at noon",
                local("2026-11-05 12:00"),
                None,
            ),
        ];
        for (text, start, end) in cases {
            assert_eq!(
                parse_text(text, None, reference()),
                Some((start, end)),
                "{text}"
            );
        }
        assert_eq!(
            parse_text("14 décembre 2026", None, reference()),
            Some((
                When::Date(NaiveDate::from_ymd_opt(2026, 12, 14).unwrap()),
                None
            ))
        );
        assert_eq!(parse_text("to be confirmed", None, reference()), None);
    }

    #[test]
    fn an_operator_format_is_tried_first() {
        assert_eq!(
            parse_text("12 mars 2026 12:00", Some("%d %B %Y %H:%M"), reference()),
            Some((local("2026-03-12 12:00"), None))
        );
    }
}
