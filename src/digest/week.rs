//! Which week a digest is for. A digest goes out on the configured day and time in the
//! display zone and covers the seven days starting that day (Monday to Sunday by
//! default); it is named by its first day (`2027-01-11`). Posts and changes it reports
//! are those since the previous digest's sending time.

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveTime, Utc, Weekday};
use chrono_tz::Tz;

use crate::normalise::zones::local_to_utc;

/// One digest's week.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Week {
    /// The day it goes out, the first of the seven it covers (local).
    pub first_day: NaiveDate,
    /// Midnight starting the first day, and seven days later.
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    /// When it goes out.
    pub send_at: DateTime<Utc>,
    zone: Tz,
    time: NaiveTime,
}

impl Week {
    /// The week of the digest going out on `first_day` at `time` in `zone`.
    pub fn starting(first_day: NaiveDate, time: NaiveTime, zone: Tz) -> Week {
        let midnight = |day: NaiveDate| local_to_utc(day.and_time(NaiveTime::MIN), zone);
        Week {
            first_day,
            start: midnight(first_day),
            end: midnight(first_day + Duration::days(7)),
            send_at: local_to_utc(first_day.and_time(time), zone),
            zone,
            time,
        }
    }

    /// The latest digest due at `now`: the last `weekday` at `time` not after `now`.
    pub fn due_at(now: DateTime<Utc>, weekday: Weekday, time: NaiveTime, zone: Tz) -> Week {
        let local = now.with_timezone(&zone).date_naive();
        let back =
            (7 + local.weekday().num_days_from_monday() - weekday.num_days_from_monday()) % 7;
        let candidate = Week::starting(local - Duration::days(i64::from(back)), time, zone);
        if candidate.send_at <= now {
            candidate
        } else {
            candidate.previous()
        }
    }

    /// The digest a week before.
    pub fn previous(&self) -> Week {
        Week::starting(self.first_day - Duration::days(7), self.time, self.zone)
    }

    /// Its name: the first day, `2027-01-11`.
    pub fn key(&self) -> String {
        self.first_day.format("%Y-%m-%d").to_string()
    }

    /// The first day back from its name.
    pub fn parse_key(key: &str) -> Option<NaiveDate> {
        NaiveDate::parse_from_str(key, "%Y-%m-%d").ok()
    }

    /// The last day it covers.
    pub fn last_day(&self) -> NaiveDate {
        self.first_day + Duration::days(6)
    }

    /// Since when posts and changes are "new" in it: the previous digest's sending time.
    pub fn news_since(&self) -> DateTime<Utc> {
        self.previous().send_at
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> DateTime<Utc> {
        text.parse().unwrap()
    }

    #[test]
    fn the_due_week_is_the_last_monday_seven_oclock_in_the_display_zone() {
        let zone = chrono_tz::America::Toronto;
        let seven = NaiveTime::from_hms_opt(7, 0, 0).unwrap();
        // Monday 2027-01-11 06:59 in Toronto (11:59 UTC): last week's is still the latest.
        let week = Week::due_at(at("2027-01-11T11:59:00Z"), Weekday::Mon, seven, zone);
        assert_eq!(week.key(), "2027-01-04");
        let week = Week::due_at(at("2027-01-11T12:00:00Z"), Weekday::Mon, seven, zone);
        assert_eq!(week.key(), "2027-01-11");
        assert_eq!(week.send_at, at("2027-01-11T12:00:00Z"));
        assert_eq!(week.start, at("2027-01-11T05:00:00Z"));
        assert_eq!(week.end, at("2027-01-18T05:00:00Z"));
        assert_eq!(week.news_since(), at("2027-01-04T12:00:00Z"));
        // Sunday evening still belongs to the week that began on Monday.
        let week = Week::due_at(at("2027-01-18T03:00:00Z"), Weekday::Mon, seven, zone);
        assert_eq!(week.key(), "2027-01-11");
        // Across the spring change the send time stays 07:00 local.
        let week = Week::due_at(at("2027-03-15T12:00:00Z"), Weekday::Mon, seven, zone);
        assert_eq!(week.send_at, at("2027-03-15T11:00:00Z"));
        assert_eq!(week.previous().send_at, at("2027-03-08T12:00:00Z"));
        let friday = Week::due_at(at("2027-01-13T12:00:00Z"), Weekday::Fri, seven, zone);
        assert_eq!(friday.key(), "2027-01-08");
        assert_eq!(friday.last_day().to_string(), "2027-01-14");
    }
}
