//! The two languages of every page, English and French: one catalogue of strings per
//! language (`i18n/en.toml`, `i18n/fr.toml`, compiled in), the choice of language from a
//! request's explicit choice or its Accept-Language, and dates written in that language.

use std::collections::HashMap;
use std::sync::LazyLock;

use chrono::{DateTime, Locale, Utc};
use chrono_tz::Tz;

/// A language Bulletin speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Lang {
    En,
    Fr,
}

static EN: LazyLock<HashMap<String, String>> =
    LazyLock::new(|| load(include_str!("../i18n/en.toml")));
static FR: LazyLock<HashMap<String, String>> =
    LazyLock::new(|| load(include_str!("../i18n/fr.toml")));

fn load(text: &str) -> HashMap<String, String> {
    toml::from_str(text).expect("the compiled-in catalogue is valid TOML of strings")
}

impl Lang {
    /// The BCP 47 code, for `lang` attributes and feeds.
    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Fr => "fr",
        }
    }

    /// The other official language: error summaries say what was wrong in both.
    pub fn other(self) -> Lang {
        match self {
            Lang::En => Lang::Fr,
            Lang::Fr => Lang::En,
        }
    }

    pub fn from_code(code: &str) -> Option<Lang> {
        match code.get(..2).map(str::to_ascii_lowercase).as_deref() {
            Some("en") => Some(Lang::En),
            Some("fr") => Some(Lang::Fr),
            _ => None,
        }
    }

    /// The language preferred by an Accept-Language header (highest q first), English
    /// when it names neither of ours.
    pub fn negotiate(accept_language: Option<&str>) -> Lang {
        let Some(header) = accept_language else {
            return Lang::En;
        };
        let mut best: Option<(f32, usize, Lang)> = None;
        for (position, part) in header.split(',').enumerate() {
            let mut pieces = part.trim().split(';');
            let tag = pieces.next().unwrap_or_default().trim();
            let quality = pieces
                .find_map(|p| p.trim().strip_prefix("q="))
                .and_then(|q| q.parse::<f32>().ok())
                .unwrap_or(1.0);
            let Some(lang) = Lang::from_code(tag) else {
                continue;
            };
            if quality <= 0.0 {
                continue;
            }
            let better = match best {
                None => true,
                Some((q, p, _)) => quality > q || (quality == q && position < p),
            };
            if better {
                best = Some((quality, position, lang));
            }
        }
        best.map_or(Lang::En, |(_, _, lang)| lang)
    }

    /// The string for `key`; a missing key shows as itself (and a test catches it).
    pub fn t(self, key: &str) -> &'static str {
        let catalogue: &'static HashMap<String, String> = match self {
            Lang::En => &EN,
            Lang::Fr => &FR,
        };
        catalogue.get(key).map(String::as_str).unwrap_or_else(|| {
            tracing::warn!(key, lang = self.code(), "missing translation");
            ""
        })
    }

    fn locale(self) -> Locale {
        match self {
            Lang::En => Locale::en_CA,
            Lang::Fr => Locale::fr_CA,
        }
    }

    /// A day heading: "Thursday, November 5, 2026" / "jeudi 5 novembre 2026".
    pub fn day(self, date: chrono::NaiveDate) -> String {
        let pattern = match self {
            Lang::En => "%A, %B %-d, %Y",
            Lang::Fr => "%A %-d %B %Y",
        };
        date.format_localized(pattern, self.locale()).to_string()
    }

    /// A time of day in `zone`: "12:30 p.m." / "12 h 30".
    pub fn time(self, time: DateTime<Utc>, zone: Tz) -> String {
        let local = time.with_timezone(&zone);
        match self {
            Lang::En => local
                .format_localized("%-I:%M %p", self.locale())
                .to_string(),
            Lang::Fr => local.format("%-H h %M").to_string(),
        }
    }

    /// A long date with time in `zone`: "Tuesday, November 3, 2026, 9:30 a.m." style.
    pub fn date_time(self, time: DateTime<Utc>, zone: Tz) -> String {
        let local = time.with_timezone(&zone);
        let pattern = match self {
            Lang::En => "%A, %B %-d, %Y, %-I:%M %p %Z",
            Lang::Fr => "%A %-d %B %Y, %-H h %M %Z",
        };
        local.format_localized(pattern, self.locale()).to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn catalogues_have_the_same_keys() {
        let mut en: Vec<_> = EN.keys().collect();
        let mut fr: Vec<_> = FR.keys().collect();
        en.sort();
        fr.sort();
        assert_eq!(en, fr);
        assert!(FR.values().all(|v| !v.is_empty()));
    }

    #[test]
    fn accept_language_is_negotiated_by_quality() {
        assert_eq!(Lang::negotiate(Some("fr-CA,fr;q=0.9,en;q=0.8")), Lang::Fr);
        assert_eq!(Lang::negotiate(Some("de-DE,en;q=0.5,fr;q=0.7")), Lang::Fr);
        assert_eq!(Lang::negotiate(Some("en-GB")), Lang::En);
        assert_eq!(Lang::negotiate(Some("de")), Lang::En);
        assert_eq!(Lang::negotiate(Some("fr;q=0")), Lang::En);
        assert_eq!(Lang::negotiate(None), Lang::En);
    }

    #[test]
    fn days_and_times() {
        let t = Utc.with_ymd_and_hms(2026, 11, 5, 17, 30, 0).unwrap();
        let zone = chrono_tz::America::Toronto;
        assert_eq!(Lang::Fr.time(t, zone), "12 h 30");
        assert_eq!(Lang::En.day(t.date_naive()), "Thursday, November 5, 2026");
        assert_eq!(Lang::Fr.day(t.date_naive()), "jeudi 5 novembre 2026");
        assert!(Lang::En.time(t, zone).starts_with("12:30"));
    }

    #[test]
    fn dates_are_written_in_the_readers_language() {
        let t = Utc.with_ymd_and_hms(2026, 3, 12, 16, 30, 0).unwrap();
        let zone = chrono_tz::America::Toronto;
        assert_eq!(
            Lang::Fr.date_time(t, zone),
            "jeudi 12 mars 2026, 12 h 30 EDT"
        );
        assert!(
            Lang::En
                .date_time(t, zone)
                .starts_with("Thursday, March 12, 2026, 12:30")
        );
    }
}
