//! VTIMEZONE components from the time-zone database (jiff's bundled copy), for the span a
//! calendar's events cover: a yearly STANDARD and DAYLIGHT where every change follows one
//! rule (Outlook reads those best), else each change listed.

use std::collections::BTreeMap;

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveDateTime, Utc};

use super::line::Lines;

/// One change of offset, as a VTIMEZONE observance describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Onset {
    /// Local wall-clock time of the change, in the offset before it.
    local: NaiveDateTime,
    from: i32,
    to: i32,
    name: String,
    daylight: bool,
}

fn offset_text(seconds: i32) -> String {
    let sign = if seconds < 0 { '-' } else { '+' };
    let s = seconds.abs();
    if s % 60 == 0 {
        format!("{sign}{:02}{:02}", s / 3600, (s % 3600) / 60)
    } else {
        format!("{sign}{:02}{:02}{:02}", s / 3600, (s % 3600) / 60, s % 60)
    }
}

/// The changes of offset of `zone` from a year before `from` to `to`, and the offset in
/// force at the start of that period.
fn onsets(
    zone: &str,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Option<(Vec<Onset>, (i32, String, bool))> {
    let tz = jiff::tz::TimeZone::get(zone).ok()?;
    let begin =
        jiff::Timestamp::from_second(from.checked_sub_signed(Duration::days(366))?.timestamp())
            .ok()?;
    let end = to.timestamp();
    let initial = tz.to_offset_info(begin);
    let initial = (
        initial.offset().seconds(),
        initial.abbreviation().to_string(),
        initial.dst().is_dst(),
    );
    let mut previous = initial.0;
    let mut list = Vec::new();
    for transition in tz.following(begin) {
        let at = transition.timestamp().as_second();
        if at > end {
            break;
        }
        let to_offset = transition.offset().seconds();
        let local = DateTime::from_timestamp(at + i64::from(previous), 0)?.naive_utc();
        list.push(Onset {
            local,
            from: previous,
            to: to_offset,
            name: transition.abbreviation().to_string(),
            daylight: transition.dst().is_dst(),
        });
        previous = to_offset;
    }
    Some((list, initial))
}

/// `BYMONTH=11;BYDAY=1SU` for the day of an onset.
fn yearly_rule(local: NaiveDateTime) -> String {
    let date = local.date();
    let weekday = match date.weekday() {
        chrono::Weekday::Mon => "MO",
        chrono::Weekday::Tue => "TU",
        chrono::Weekday::Wed => "WE",
        chrono::Weekday::Thu => "TH",
        chrono::Weekday::Fri => "FR",
        chrono::Weekday::Sat => "SA",
        chrono::Weekday::Sun => "SU",
    };
    let last = date
        .checked_add_signed(Duration::days(7))
        .is_none_or(|later| later.month() != date.month());
    let ordinal = if last {
        -1
    } else {
        (date.day() as i32 - 1) / 7 + 1
    };
    format!(
        "FREQ=YEARLY;BYMONTH={};BYDAY={ordinal}{weekday}",
        date.month()
    )
}

/// The VTIMEZONE of `zone` for events from `from` to `to`; nothing for a zone the
/// database does not know.
pub(super) fn vtimezone(out: &mut Lines, zone: &str, from: DateTime<Utc>, to: DateTime<Utc>) {
    let Some((onsets, initial)) = onsets(zone, from, to) else {
        return;
    };
    out.raw("BEGIN", "VTIMEZONE");
    out.escaped("TZID", &[zone]);
    out.escaped("X-LIC-LOCATION", &[zone]);
    let observance = |out: &mut Lines, onset: &Onset, rule: Option<&str>| {
        let kind = if onset.daylight {
            "DAYLIGHT"
        } else {
            "STANDARD"
        };
        out.raw("BEGIN", kind);
        out.line("DTSTART", None, |v| v.local(onset.local));
        if let Some(rule) = rule {
            out.raw("RRULE", rule);
        }
        out.raw("TZOFFSETFROM", &offset_text(onset.from));
        out.raw("TZOFFSETTO", &offset_text(onset.to));
        out.text("TZNAME", &onset.name);
        out.raw("END", kind);
    };
    if onsets.is_empty() {
        let fixed = Onset {
            local: NaiveDate::from_ymd_opt(1970, 1, 1)
                .expect("valid")
                .and_hms_opt(0, 0, 0)
                .expect("valid"),
            from: initial.0,
            to: initial.0,
            name: initial.1,
            daylight: false,
        };
        observance(out, &fixed, None);
    } else {
        // Outlook reads a yearly rule best: one STANDARD and one DAYLIGHT with RRULEs, when
        // every change of each kind in the period follows the same rule; otherwise each
        // change is listed.
        let mut kinds: BTreeMap<(bool, i32, i32), Vec<&Onset>> = BTreeMap::new();
        for onset in &onsets {
            kinds
                .entry((onset.daylight, onset.from, onset.to))
                .or_default()
                .push(onset);
        }
        let regular = kinds.len() == 2
            && kinds.values().all(|group| {
                let rule = yearly_rule(group[0].local);
                group.iter().all(|o| {
                    yearly_rule(o.local) == rule && o.local.time() == group[0].local.time()
                })
            });
        if regular {
            for group in kinds.values() {
                observance(out, group[0], Some(&yearly_rule(group[0].local)));
            }
        } else {
            let start = Onset {
                local: onsets[0]
                    .local
                    .checked_sub_signed(Duration::days(366))
                    .unwrap_or(onsets[0].local),
                from: initial.0,
                to: initial.0,
                name: initial.1.clone(),
                daylight: initial.2,
            };
            observance(out, &start, None);
            for onset in &onsets {
                observance(out, onset, None);
            }
        }
    }
    out.raw("END", "VTIMEZONE");
}
