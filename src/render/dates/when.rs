//! When an event is, in words: "1:00 pm to 2:00 pm ET", "All day", "January 13 to 15,
//! 2027", or across days "January 13, 2027, 9:00 am to January 14, 2027, 5:00 pm ET". The
//! display zone is always named; an event held in another zone is written in its own zone
//! first, with the display zone's time after it: "9:30 am NT (8:00 am ET)".

use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use chrono_tz::Tz;

use super::{Dates, zone_label};
use crate::model::{Event, EventTime};

/// What comes before a time: nothing (a listing's day heading says the day), the date,
/// or the day with its weekday.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Lead {
    None,
    Date,
    Day,
}

/// The event's time as a line of text in `display`; `with_day` adds the day (an event's
/// own page), which a listing grouped by day leaves to its heading.
pub fn event_when(dates: Dates, display: Tz, event: &Event, with_day: bool) -> String {
    let start = match event.start {
        EventTime::Date(first) => return all_day(dates, first, event.end, with_day),
        EventTime::At(start) => start,
    };
    let end = match event.end {
        Some(EventTime::At(end)) if end > start => Some(end),
        _ => None,
    };
    let Some(own) = own_zone(event, display, start, end) else {
        let lead = if with_day { Lead::Day } else { Lead::None };
        return timed(dates, start, end, display, lead);
    };
    let own_day = local_date(start, own);
    let display_day = local_date(start, display);
    let (own_lead, display_lead) = match (with_day, own_day == display_day) {
        (true, true) => (Lead::Day, Lead::None),
        (true, false) => (Lead::Day, Lead::Date),
        (false, true) => (Lead::None, Lead::None),
        (false, false) => (Lead::Date, Lead::None),
    };
    format!(
        "{} ({})",
        timed(dates, start, end, own, own_lead),
        timed(dates, start, end, display, display_lead)
    )
}

/// The zone the event is held in, when it keeps another clock than `display` at its start
/// or end; UTC stands for no zone (a calendar that writes every time in UTC).
fn own_zone(
    event: &Event,
    display: Tz,
    start: DateTime<Utc>,
    end: Option<DateTime<Utc>>,
) -> Option<Tz> {
    let own: Tz = event.timezone.as_deref()?.parse().ok()?;
    if own == display
        || matches!(
            own.name(),
            "UTC"
                | "Etc/UTC"
                | "Etc/GMT"
                | "GMT"
                | "Etc/Universal"
                | "Universal"
                | "Etc/Zulu"
                | "Zulu"
        )
    {
        return None;
    }
    let differs = |at: DateTime<Utc>| {
        at.with_timezone(&own).naive_local() != at.with_timezone(&display).naive_local()
    };
    (differs(start) || end.is_some_and(differs)).then_some(own)
}

fn local_date(at: DateTime<Utc>, zone: Tz) -> NaiveDate {
    at.with_timezone(&zone).date_naive()
}

fn all_day(dates: Dates, first: NaiveDate, end: Option<EventTime>, with_day: bool) -> String {
    // The end of an all-day event is exclusive: the day after its last.
    let last = match end {
        Some(EventTime::Date(end)) if end > first => end.pred_opt().unwrap_or(first),
        _ => first,
    };
    if last > first {
        return dates.date_range(first, last);
    }
    if with_day {
        format!(
            "{}, {}",
            dates.day(first),
            dates.lang.t("when.all_day_after")
        )
    } else {
        dates.lang.t("events.all_day").to_string()
    }
}

fn lead(dates: Dates, lead: Lead, date: NaiveDate) -> String {
    match lead {
        Lead::None => String::new(),
        Lead::Date => format!("{}, ", dates.date(date)),
        Lead::Day => format!("{}, ", dates.day(date)),
    }
}

fn timed(
    dates: Dates,
    start: DateTime<Utc>,
    end: Option<DateTime<Utc>>,
    zone: Tz,
    first: Lead,
) -> String {
    let local_start = start.with_timezone(&zone);
    let start_day = local_start.date_naive();
    let start_label = zone_label(dates.lang, zone, start);
    let Some(end) = end else {
        return format!(
            "{}{} {start_label}",
            lead(dates, first, start_day),
            dates.time(local_start.time(), false)
        );
    };
    let local_end = end.with_timezone(&zone);
    let end_label = zone_label(dates.lang, zone, end);
    let ends_at_midnight_after =
        local_end.time() == NaiveTime::MIN && start_day.succ_opt() == Some(local_end.date_naive());
    let to_time = dates.lang.t("when.to_time");
    if local_end.date_naive() == start_day || ends_at_midnight_after {
        let lead = lead(dates, first, start_day);
        return if start_label == end_label {
            format!(
                "{lead}{} {start_label}",
                dates.time_range(local_start.time(), local_end.time())
            )
        } else {
            // Clocks change during the event, and the label says so.
            format!(
                "{lead}{} {start_label} {to_time} {} {end_label}",
                dates.time(local_start.time(), false),
                dates.time(local_end.time(), true)
            )
        };
    }
    // Across days both dates are written, whatever the listing's heading says.
    let across = |l: Lead| {
        if l == Lead::Day {
            Lead::Day
        } else {
            Lead::Date
        }
    };
    let start_text = format!(
        "{}{}",
        lead(dates, across(first), start_day),
        dates.time(local_start.time(), false)
    );
    let end_text = format!(
        "{}{}",
        lead(dates, across(first), local_end.date_naive()),
        dates.time(local_end.time(), false)
    );
    let to_date = dates.lang.t("when.to_date");
    if start_label == end_label {
        format!("{start_text} {to_date} {end_text} {end_label}")
    } else {
        format!("{start_text} {start_label} {to_date} {end_text} {end_label}")
    }
}
