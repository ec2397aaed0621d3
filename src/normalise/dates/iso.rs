//! dateutil's `isoparser` grammar, field by field, as the reference readers apply it to
//! markup dates: a date (`YYYY`, `YYYY-MM`, `YYYY-MM-DD`, `YYYYMMDD`, ISO weeks, ordinal
//! days), then, after any one separator character, a time with an optional fraction and
//! offset. Python's slicing is kept (a slice past the end is short, not an error), and
//! chrono builds and checks every value.

use chrono::{Datelike, FixedOffset, NaiveDate, TimeDelta};

/// `s[from..to]` as Python slices it: clamped, never failing.
fn slice(s: &str, from: usize, to: usize) -> &str {
    let len = s.len();
    &s[from.min(len)..to.min(len)]
}

/// Python's `int()` of a slice, for ASCII digits only.
fn int(s: &str) -> Option<u32> {
    (!s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()))
        .then(|| s.parse().ok())
        .flatten()
}

fn at(s: &str, i: usize) -> Option<u8> {
    s.as_bytes().get(i).copied()
}

/// The date at the start of `s` and where it ends.
pub fn date(s: &str) -> Option<(NaiveDate, usize)> {
    match common(s) {
        Common::Date(ymd, pos) => Some((NaiveDate::from_ymd_opt(ymd.0, ymd.1, ymd.2)?, pos)),
        Common::NotCommon => uncommon(s),
    }
}

enum Common {
    Date((i32, u32, u32), usize),
    NotCommon,
}

/// `YYYY`, `YYYY-MM`, `YYYY-MM-DD`, `YYYYMMDD` (unchecked values: a wrong day is an
/// error, not another form).
fn common(s: &str) -> Common {
    let len = s.len();
    if len < 4 {
        return Common::NotCommon;
    }
    let Some(year) = int(slice(s, 0, 4)).filter(|y| *y >= 1) else {
        return Common::NotCommon;
    };
    let year = year as i32;
    let mut pos = 4;
    if pos >= len {
        return Common::Date((year, 1, 1), pos);
    }
    let sep = at(s, pos) == Some(b'-');
    if sep {
        pos += 1;
    }
    if len - pos < 2 {
        return Common::NotCommon;
    }
    let Some(month) = int(slice(s, pos, pos + 2)) else {
        return Common::NotCommon;
    };
    pos += 2;
    if pos >= len {
        return if sep {
            Common::Date((year, month, 1), pos)
        } else {
            Common::NotCommon
        };
    }
    if sep {
        if at(s, pos) != Some(b'-') {
            return Common::NotCommon;
        }
        pos += 1;
    }
    if len - pos < 2 {
        return Common::NotCommon;
    }
    match int(slice(s, pos, pos + 2)) {
        Some(day) => Common::Date((year, month, day), pos + 2),
        None => Common::NotCommon,
    }
}

/// `YYYY-Www`, `YYYYWww`, `YYYY-Www-D`, `YYYYWwwD`, `YYYY-DDD`, `YYYYDDD`.
fn uncommon(s: &str) -> Option<(NaiveDate, usize)> {
    if s.len() < 4 {
        return None;
    }
    let year = int(slice(s, 0, 4)).filter(|y| *y >= 1)? as i32;
    let sep = at(s, 4) == Some(b'-');
    let mut pos = 4 + usize::from(sep);
    if at(s, pos) == Some(b'W') {
        pos += 1;
        let week = int(slice(s, pos, pos + 2))?;
        pos += 2;
        let mut day = 1;
        if s.len() > pos {
            if (at(s, pos) == Some(b'-')) != sep {
                return None;
            }
            pos += usize::from(sep);
            day = int(slice(s, pos, pos + 1))?;
            pos += 1;
        }
        if !(1..=53).contains(&week) || !(1..=7).contains(&day) {
            return None;
        }
        let january_4 = NaiveDate::from_ymd_opt(year, 1, 4)?;
        let week_1 =
            january_4 - TimeDelta::days(i64::from(january_4.weekday().num_days_from_monday()));
        let date = week_1.checked_add_signed(TimeDelta::days(
            i64::from(week - 1) * 7 + i64::from(day - 1),
        ))?;
        return Some((date, pos));
    }
    if s.len().saturating_sub(pos) < 3 {
        return None;
    }
    let ordinal = int(slice(s, pos, pos + 3))?;
    Some((NaiveDate::from_yo_opt(year, ordinal)?, pos + 3))
}

pub struct Time {
    pub hour: u32,
    pub minute: u32,
    pub second: u32,
    pub micro: u32,
    pub offset: Option<FixedOffset>,
}

/// The time after the separator.
pub fn time(s: &str) -> Option<Time> {
    let len = s.len();
    if len < 2 {
        return None;
    }
    let mut fields = [0u32; 4];
    let mut offset = None;
    let (mut pos, mut component, mut sep) = (0usize, -1i32, false);
    while pos < len && component < 5 {
        component += 1;
        if matches!(at(s, pos), Some(b'-' | b'+' | b'Z' | b'z')) {
            offset = Some(zone(&s[pos..])?);
            pos = len;
            break;
        }
        if component == 1 && at(s, pos) == Some(b':') {
            sep = true;
            pos += 1;
        } else if component == 2 && sep {
            if at(s, pos) != Some(b':') {
                return None;
            }
            pos += 1;
        }
        if component < 3 {
            fields[component as usize] = int(slice(s, pos, pos + 2))?;
            pos += 2;
        }
        if component == 3 {
            let rest = slice(s, pos, len);
            let digits = rest
                .strip_prefix(['.', ','])
                .map(|r| r.bytes().take_while(u8::is_ascii_digit).count())
                .unwrap_or(0);
            if digits == 0 {
                continue;
            }
            let kept = &rest[1..1 + digits.min(6)];
            fields[3] = int(kept)? * 10u32.pow(6 - kept.len() as u32);
            pos += 1 + digits;
        }
    }
    if pos < len {
        return None;
    }
    let [hour, minute, second, micro] = fields;
    if hour == 24 && (minute, second, micro) != (0, 0, 0) {
        return None;
    }
    Some(Time {
        hour,
        minute,
        second,
        micro,
        offset,
    })
}

/// `Z`, `±HH`, `±HHMM`, `±HH:MM` (`-00:00` is UTC).
fn zone(s: &str) -> Option<FixedOffset> {
    if s == "Z" || s == "z" {
        return FixedOffset::east_opt(0);
    }
    if ![3, 5, 6].contains(&s.len()) {
        return None;
    }
    let sign = match at(s, 0) {
        Some(b'-') => -1,
        Some(b'+') => 1,
        _ => return None,
    };
    let hours = int(slice(s, 1, 3))?;
    let minutes = if s.len() == 3 {
        0
    } else {
        int(slice(
            s,
            if at(s, 3) == Some(b':') { 4 } else { 3 },
            s.len(),
        ))?
    };
    if minutes > 59 || hours > 23 {
        return None;
    }
    FixedOffset::east_opt(sign * (hours as i32 * 3600 + minutes as i32 * 60))
}
