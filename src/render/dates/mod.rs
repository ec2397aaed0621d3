//! Dates, times and zones written the way government sites write them: the Canada.ca
//! Content Style Guide in English ("January 13, 2027", "1:00 pm to 2:00 pm ET") and
//! French (« 13 janvier 2027 », « 13 h à 14 h HE »), or GOV.UK's style for a UK
//! deployment ("13 January 2027", "1pm to 2pm GMT"). chrono and chrono-tz do the
//! arithmetic and name the months and days; the patterns here are style rules. Pure: the
//! instant and the zones come in as data.
//!
//! French follows Canadian French usage whatever the style (24-hour clock, « 1er »), since
//! GOV.UK's guide covers English only. `zones.rs` names zones ("ET", « HE », "GMT");
//! `when.rs` writes an event's time, in the display zone and, when it is held elsewhere,
//! in its own ("9:30 am NT (8:00 am ET)").

mod when;
mod zones;

use chrono::{DateTime, Datelike, NaiveDate, NaiveTime, Timelike, Utc};
use chrono_tz::Tz;

use crate::i18n::Lang;

pub use when::event_when;
pub use zones::zone_label;

/// Whose conventions pages follow (`settings.style`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Style {
    /// The Canada.ca Content Style Guide (the default).
    #[default]
    CanadaCa,
    /// The GOV.UK style guide.
    GovUk,
}

impl Style {
    /// `canada.ca` or `gov.uk`, as `settings.style` spells them.
    pub fn parse(name: &str) -> Option<Style> {
        match name.trim().to_ascii_lowercase().as_str() {
            "canada.ca" => Some(Style::CanadaCa),
            "gov.uk" => Some(Style::GovUk),
            _ => None,
        }
    }
}

/// Writes dates and times in one language and style.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Dates {
    pub lang: Lang,
    pub style: Style,
}

/// The three ways of writing a date or time these pages use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Voice {
    CanadaEn,
    UkEn,
    Fr,
}

/// Month abbreviations for tables: The Canadian Style's, GOV.UK's (no full stops,
/// "Sept"), and the Office québécois de la langue française's.
const MONTHS_SHORT_CA: [&str; 12] = [
    "Jan.", "Feb.", "Mar.", "Apr.", "May", "June", "July", "Aug.", "Sept.", "Oct.", "Nov.", "Dec.",
];
const MONTHS_SHORT_UK: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sept", "Oct", "Nov", "Dec",
];
const MONTHS_SHORT_FR: [&str; 12] = [
    "janv.", "févr.", "mars", "avr.", "mai", "juin", "juill.", "août", "sept.", "oct.", "nov.",
    "déc.",
];

impl Dates {
    pub fn new(lang: Lang, style: Style) -> Dates {
        Dates { lang, style }
    }

    fn voice(self) -> Voice {
        match (self.lang, self.style) {
            (Lang::Fr, _) => Voice::Fr,
            (Lang::En, Style::CanadaCa) => Voice::CanadaEn,
            (Lang::En, Style::GovUk) => Voice::UkEn,
        }
    }

    fn locale(self) -> chrono::Locale {
        match self.lang {
            Lang::En => chrono::Locale::en_CA,
            Lang::Fr => chrono::Locale::fr_CA,
        }
    }

    fn month(self, date: NaiveDate) -> String {
        date.format_localized("%B", self.locale()).to_string()
    }

    fn weekday(self, date: NaiveDate) -> String {
        date.format_localized("%A", self.locale()).to_string()
    }

    /// The day of the month as French writes it: « 1er », « 2 ».
    fn day_number(self, date: NaiveDate) -> String {
        match (self.voice(), date.day()) {
            (Voice::Fr, 1) => "1er".to_string(),
            (_, day) => day.to_string(),
        }
    }

    /// "January 13, 2027" / "13 January 2027" / « 13 janvier 2027 ».
    pub fn date(self, date: NaiveDate) -> String {
        let (day, month, year) = (self.day_number(date), self.month(date), date.year());
        match self.voice() {
            Voice::CanadaEn => format!("{month} {day}, {year}"),
            Voice::UkEn | Voice::Fr => format!("{day} {month} {year}"),
        }
    }

    /// "Wednesday, January 13, 2027" / "Wednesday 13 January 2027" /
    /// « mercredi 13 janvier 2027 ».
    pub fn day(self, date: NaiveDate) -> String {
        let weekday = self.weekday(date);
        match self.voice() {
            Voice::CanadaEn => format!("{weekday}, {}", self.date(date)),
            Voice::UkEn | Voice::Fr => format!("{weekday} {}", self.date(date)),
        }
    }

    /// A date short enough for a table cell: "Jan. 13" / "13 Jan" / « 13 janv. », with the
    /// year when `with_year`.
    pub fn short_date(self, date: NaiveDate, with_year: bool) -> String {
        let index = date.month0() as usize;
        let day = self.day_number(date);
        let year = date.year();
        match (self.voice(), with_year) {
            (Voice::CanadaEn, false) => format!("{} {day}", MONTHS_SHORT_CA[index]),
            (Voice::CanadaEn, true) => format!("{} {day}, {year}", MONTHS_SHORT_CA[index]),
            (Voice::UkEn, false) => format!("{day} {}", MONTHS_SHORT_UK[index]),
            (Voice::UkEn, true) => format!("{day} {} {year}", MONTHS_SHORT_UK[index]),
            (Voice::Fr, false) => format!("{day} {}", MONTHS_SHORT_FR[index]),
            (Voice::Fr, true) => format!("{day} {} {year}", MONTHS_SHORT_FR[index]),
        }
    }

    /// A time of day: "1:00 pm", "12:00 am" / "1pm", "1:30pm", "midday", "midnight" /
    /// « 13 h », « 13 h 30 », « 0 h ». `ends_day` writes a midnight that ends a range
    /// (« 24 h » in French; English says midnight either way).
    pub fn time(self, time: NaiveTime, ends_day: bool) -> String {
        let (hour, minute) = (time.hour(), time.minute());
        match self.voice() {
            Voice::CanadaEn => {
                let (twelve, half) = twelve_hour(hour);
                format!("{twelve}:{minute:02} {half}")
            }
            Voice::UkEn => match (hour, minute) {
                (0, 0) => self.lang.t("when.midnight").to_string(),
                (12, 0) => self.lang.t("when.midday").to_string(),
                (_, 0) => {
                    let (twelve, half) = twelve_hour(hour);
                    format!("{twelve}{half}")
                }
                _ => {
                    let (twelve, half) = twelve_hour(hour);
                    format!("{twelve}:{minute:02}{half}")
                }
            },
            Voice::Fr => {
                let hour = if ends_day && hour == 0 && minute == 0 {
                    24
                } else {
                    hour
                };
                if minute == 0 {
                    format!("{hour} h")
                } else {
                    format!("{hour} h {minute:02}")
                }
            }
        }
    }

    /// "1:00 pm to 2:00 pm" / "1pm to 2pm" / « 13 h à 14 h ».
    pub fn time_range(self, start: NaiveTime, end: NaiveTime) -> String {
        format!(
            "{} {} {}",
            self.time(start, false),
            self.lang.t("when.to_time"),
            self.time(end, true)
        )
    }

    /// A span of whole days: "January 13 to 15, 2027" / "13 to 15 January 2027" /
    /// « du 13 au 15 janvier 2027 », with the month and year written once where shared.
    pub fn date_range(self, first: NaiveDate, last: NaiveDate) -> String {
        if first == last {
            return self.date(first);
        }
        let to = self.lang.t("when.to_date");
        let same_year = first.year() == last.year();
        let same_month = same_year && first.month() == last.month();
        let text = match (self.voice(), same_month, same_year) {
            (Voice::CanadaEn, true, _) => format!(
                "{} {} {to} {}, {}",
                self.month(first),
                first.day(),
                last.day(),
                last.year()
            ),
            (Voice::CanadaEn, false, true) => format!(
                "{} {} {to} {} {}, {}",
                self.month(first),
                first.day(),
                self.month(last),
                last.day(),
                last.year()
            ),
            (Voice::UkEn | Voice::Fr, true, _) => format!(
                "{} {to} {} {} {}",
                self.day_number(first),
                self.day_number(last),
                self.month(last),
                last.year()
            ),
            (Voice::UkEn | Voice::Fr, false, true) => format!(
                "{} {} {to} {} {} {}",
                self.day_number(first),
                self.month(first),
                self.day_number(last),
                self.month(last),
                last.year()
            ),
            (_, _, false) => format!("{} {to} {}", self.date(first), self.date(last)),
        };
        match self.voice() {
            Voice::Fr => format!("{} {text}", self.lang.t("when.from_date")),
            Voice::CanadaEn | Voice::UkEn => text,
        }
    }

    /// A date and time in `zone` with its label, for tables: "Jan. 13, 1:05 pm ET" (the
    /// year only when it is not `now`'s).
    pub fn short_date_time(self, at: DateTime<Utc>, zone: Tz, now: DateTime<Utc>) -> String {
        let local = at.with_timezone(&zone);
        let with_year = local.year() != now.with_timezone(&zone).year();
        format!(
            "{}, {} {}",
            self.short_date(local.date_naive(), with_year),
            self.time(local.time(), false),
            zone_label(self.lang, zone, at)
        )
    }

    /// A date and time in `zone` with its label: "Tuesday, November 3, 2026, 9:30 am ET".
    pub fn date_time(self, at: DateTime<Utc>, zone: Tz) -> String {
        let local = at.with_timezone(&zone);
        format!(
            "{}, {} {}",
            self.day(local.date_naive()),
            self.time(local.time(), false),
            zone_label(self.lang, zone, at)
        )
    }

    /// The "Date modified" of a page: Canada.ca writes it all-numeric ("2027-01-13"),
    /// GOV.UK in words ("13 January 2027").
    pub fn modified(self, date: NaiveDate) -> String {
        match self.style {
            Style::CanadaCa => date.format("%Y-%m-%d").to_string(),
            Style::GovUk => self.date(date),
        }
    }

    /// A count: "1,234" in English, « 1 234 » in French (a no-break space, so it never
    /// wraps).
    pub fn number(self, n: u64) -> String {
        let separator = match self.lang {
            Lang::En => ",",
            Lang::Fr => "\u{a0}",
        };
        let digits = n.to_string();
        let mut out = String::with_capacity(digits.len() + digits.len() / 3 * 2);
        for (i, c) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i) % 3 == 0 {
                out.push_str(separator);
            }
            out.push(c);
        }
        out
    }
}

/// (1 to 12, "am"/"pm") for an hour of 0 to 23.
fn twelve_hour(hour: u32) -> (u32, &'static str) {
    let half = if hour < 12 { "am" } else { "pm" };
    let twelve = match hour % 12 {
        0 => 12,
        h => h,
    };
    (twelve, half)
}

#[cfg(test)]
mod tests;
