//! A zone's name as a reader expects it beside a time: never the database's
//! "America/Toronto", but the abbreviation Canada.ca writes — ET, PT, MT, CT, AT, NT in
//! English and HE, HP, HR, HC, HA, HT in French. Those generic labels cover daylight and
//! standard time alike (the reader's clock does the rest), so they are used for zones that
//! keep the continent's daylight-saving rule; a zone on standard time all year
//! (Saskatchewan, Yukon, Mexico City) is named by its standard time instead ("CST",
//! « HNC »), since "CT" in July would mean an hour it is not. Other zones keep the time-zone
//! database's abbreviation ("GMT", "BST", "CET"), or "UTC+3" where it has only numbers.

use chrono::{DateTime, Datelike, Offset, TimeZone, Utc};
use chrono_tz::{OffsetComponents, OffsetName, Tz};

use crate::i18n::Lang;

/// The North American zones, by the letter(s) of their abbreviations: the standard
/// offset in minutes, then the generic and standard labels in English and in French.
struct Region {
    letter: &'static str,
    standard_minutes: i64,
    generic: (&'static str, &'static str),
    standard: (&'static str, &'static str),
}

const REGIONS: &[Region] = &[
    Region {
        letter: "N",
        standard_minutes: -210,
        generic: ("NT", "HT"),
        standard: ("NST", "HNT"),
    },
    Region {
        letter: "A",
        standard_minutes: -240,
        generic: ("AT", "HA"),
        standard: ("AST", "HNA"),
    },
    Region {
        letter: "E",
        standard_minutes: -300,
        generic: ("ET", "HE"),
        standard: ("EST", "HNE"),
    },
    Region {
        letter: "C",
        standard_minutes: -360,
        generic: ("CT", "HC"),
        standard: ("CST", "HNC"),
    },
    Region {
        letter: "M",
        standard_minutes: -420,
        generic: ("MT", "HR"),
        standard: ("MST", "HNR"),
    },
    Region {
        letter: "P",
        standard_minutes: -480,
        generic: ("PT", "HP"),
        standard: ("PST", "HNP"),
    },
    Region {
        letter: "AK",
        standard_minutes: -540,
        generic: ("AKT", "AKT"),
        standard: ("AKST", "AKST"),
    },
    Region {
        letter: "H",
        standard_minutes: -600,
        generic: ("HT", "HST"),
        standard: ("HST", "HST"),
    },
];

/// The label of `zone` at the instant `at`, in `lang`.
pub fn zone_label(lang: Lang, zone: Tz, at: DateTime<Utc>) -> String {
    let offset = zone.offset_from_utc_datetime(&at.naive_utc());
    let abbreviation = offset.abbreviation().unwrap_or_default();
    let name = zone.name();
    let north_american = ["America/", "Canada/", "US/", "Pacific/Honolulu"]
        .iter()
        .any(|prefix| name.starts_with(prefix));
    if north_american && let Some(region) = region_of(abbreviation, &offset) {
        let (en, fr) = if keeps_daylight_time(zone, at) {
            region.generic
        } else {
            region.standard
        };
        return match lang {
            Lang::En => en,
            Lang::Fr => fr,
        }
        .to_string();
    }
    if matches!(
        name,
        "UTC" | "Etc/UTC" | "Etc/GMT" | "GMT" | "Etc/Universal" | "Universal" | "Etc/Zulu" | "Zulu"
    ) {
        return "UTC".to_string();
    }
    if !abbreviation.is_empty() && abbreviation.chars().all(|c| c.is_ascii_alphabetic()) {
        return abbreviation.to_string();
    }
    numeric(offset.fix().local_minus_utc())
}

/// The region an abbreviation such as "EDT" or "NST" names, when its standard offset is
/// the region's (Cuba's "CST" is five hours behind, not six, and is not Central Time).
fn region_of(abbreviation: &str, offset: &chrono_tz::TzOffset) -> Option<&'static Region> {
    let letter = abbreviation
        .strip_suffix("ST")
        .or_else(|| abbreviation.strip_suffix("DT"))?;
    let standard = offset.base_utc_offset().num_minutes();
    REGIONS
        .iter()
        .find(|r| r.letter == letter && r.standard_minutes == standard)
}

/// Whether `zone` moves its clocks in the year of `at` (its offsets in January and July
/// differ).
fn keeps_daylight_time(zone: Tz, at: DateTime<Utc>) -> bool {
    let year = at.with_timezone(&zone).year();
    let offset_on = |month: u32| {
        Utc.with_ymd_and_hms(year, month, 1, 12, 0, 0)
            .single()
            .map(|t| zone.offset_from_utc_datetime(&t.naive_utc()).fix())
    };
    offset_on(1) != offset_on(7)
}

/// "UTC+3", "UTC−3:30" (a minus sign, not a hyphen).
fn numeric(seconds: i32) -> String {
    if seconds == 0 {
        return "UTC".to_string();
    }
    let sign = if seconds < 0 { '\u{2212}' } else { '+' };
    let minutes = seconds.unsigned_abs() / 60;
    match minutes % 60 {
        0 => format!("UTC{sign}{}", minutes / 60),
        m => format!("UTC{sign}{}:{m:02}", minutes / 60),
    }
}
