//! Time zones: naming them and turning wall-clock times into instants.
//!
//! A TZID in the wild is an IANA name, a Windows name ("Eastern Standard Time", mapped
//! through CLDR's windowsZones table as the `localzone` crate ships it), a path-like
//! Mozilla name ending in an IANA name, or a label defined only by the file's VTIMEZONE —
//! then its X-LIC-LOCATION, or an IANA zone with the same standard and daylight offsets.

use chrono::{DateTime, NaiveDateTime, Offset, TimeZone, Utc};
use chrono_tz::Tz;

use crate::extract::ical::VTimezone;

/// Resolves TZIDs for one calendar.
pub struct ZoneResolver<'a> {
    pub vtimezones: &'a [VTimezone],
    /// The source's own zone: chosen over an equivalent zone a Windows name maps to
    /// ("Eastern Standard Time" is America/New_York in CLDR; a Canadian source means
    /// America/Toronto, which keeps the same clock).
    pub preferred: Option<Tz>,
}

impl ZoneResolver<'_> {
    pub fn resolve(&self, tzid: &str) -> Option<Tz> {
        let tzid = tzid.trim().trim_matches('"');
        if let Ok(zone) = tzid.parse::<Tz>() {
            return Some(zone);
        }
        if let Some(zone) = named_zone(tzid) {
            return Some(match self.preferred {
                Some(preferred) if same_clock(preferred, zone) => preferred,
                _ => zone,
            });
        }
        let definition = self
            .vtimezones
            .iter()
            .find(|v| v.tzid.eq_ignore_ascii_case(tzid))?;
        if let Some(zone) = definition.location.as_deref().and_then(named_zone) {
            return Some(zone);
        }
        zone_with_offsets(definition)
    }
}

/// An IANA or Windows name, or a path whose tail is an IANA name.
pub fn named_zone(name: &str) -> Option<Tz> {
    let name = name.trim().trim_matches('"');
    if let Ok(zone) = name.parse::<Tz>() {
        return Some(zone);
    }
    if let Some(iana) = localzone::win_zone_to_iana(name, None) {
        return iana.parse().ok();
    }
    // "/mozilla.org/20050126_1/America/New_York", "/softwarestudio.org/Olson_20011030_5/America/Toronto"
    let parts: Vec<&str> = name.split('/').filter(|p| !p.is_empty()).collect();
    for take in [3, 2] {
        if parts.len() >= take {
            if let Ok(zone) = parts[parts.len() - take..].join("/").parse::<Tz>() {
                return Some(zone);
            }
        }
    }
    None
}

/// Zones tried first when only offsets identify a zone, so the answer is the one a
/// Canadian or UK reader expects among equivalent zones.
const PREFERRED: &[&str] = &[
    "America/Toronto",
    "America/Vancouver",
    "America/Winnipeg",
    "America/Edmonton",
    "America/Halifax",
    "America/St_Johns",
    "America/Regina",
    "Europe/London",
    "Europe/Paris",
    "America/New_York",
    "America/Chicago",
    "America/Denver",
    "America/Los_Angeles",
    "UTC",
];

/// Whether two zones keep the same offsets and change them on the same days, over the
/// years a feed covers.
fn same_clock(a: Tz, b: Tz) -> bool {
    (2024..=2030).all(|year| {
        (1..=12).all(|month| {
            [1, 8, 15, 22].iter().all(|day| {
                let at = NaiveDateTime::new(
                    chrono::NaiveDate::from_ymd_opt(year, month, *day).expect("valid"),
                    chrono::NaiveTime::MIN,
                );
                a.offset_from_utc_datetime(&at).fix() == b.offset_from_utc_datetime(&at).fix()
            })
        })
    })
}

/// An IANA zone whose offsets in January and July match the VTIMEZONE's.
fn zone_with_offsets(definition: &VTimezone) -> Option<Tz> {
    let standard = definition
        .standard
        .or(definition.daylight)?
        .local_minus_utc();
    let daylight = definition
        .daylight
        .or(definition.standard)?
        .local_minus_utc();
    let probe = |zone: &Tz| {
        let offset_at = |month| {
            zone.from_utc_datetime(&NaiveDateTime::new(
                chrono::NaiveDate::from_ymd_opt(2026, month, 15).expect("valid"),
                chrono::NaiveTime::MIN,
            ))
            .offset()
            .fix()
            .local_minus_utc()
        };
        let (january, july) = (offset_at(1), offset_at(7));
        (january == standard && july == daylight) || (january == daylight && july == standard)
    };
    PREFERRED
        .iter()
        .filter_map(|name| name.parse::<Tz>().ok())
        .find(probe)
        .or_else(|| chrono_tz::TZ_VARIANTS.iter().copied().find(|z| probe(z)))
}

/// The instant of a wall-clock time in `zone`. In the hour skipped by a spring change the
/// time is moved forward by the gap (RFC 5545 §3.3.5); in the repeated autumn hour the
/// first occurrence is taken.
pub fn local_to_utc(time: NaiveDateTime, zone: Tz) -> DateTime<Utc> {
    match zone.from_local_datetime(&time) {
        chrono::LocalResult::Single(t) => t.with_timezone(&Utc),
        chrono::LocalResult::Ambiguous(first, _) => first.with_timezone(&Utc),
        chrono::LocalResult::None => {
            let before = zone
                .from_utc_datetime(&(time - chrono::Duration::hours(12)))
                .offset()
                .fix();
            let after = zone
                .from_utc_datetime(&(time + chrono::Duration::hours(12)))
                .offset()
                .fix();
            let gap = after.local_minus_utc() - before.local_minus_utc();
            let shifted = time + chrono::Duration::seconds(i64::from(gap.max(3600)));
            local_to_utc(shifted, zone)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::FixedOffset;

    #[test]
    fn windows_iana_and_path_names_resolve() {
        assert_eq!(
            named_zone("Eastern Standard Time"),
            Some(chrono_tz::America::New_York)
        );
        assert_eq!(
            named_zone("\"Pacific Standard Time\""),
            Some(chrono_tz::America::Los_Angeles)
        );
        assert_eq!(
            named_zone("GMT Standard Time"),
            Some(chrono_tz::Europe::London)
        );
        assert_eq!(
            named_zone("America/Toronto"),
            Some(chrono_tz::America::Toronto)
        );
        assert_eq!(
            named_zone("/mozilla.org/20050126_1/America/New_York"),
            Some(chrono_tz::America::New_York)
        );
        assert_eq!(named_zone("Somewhere Standard Time"), None);
    }

    #[test]
    fn a_custom_label_resolves_through_its_vtimezone() {
        let vtimezones = [VTimezone {
            tzid: "Eastern Time (US & Canada)".into(),
            location: None,
            standard: FixedOffset::west_opt(5 * 3600),
            daylight: FixedOffset::west_opt(4 * 3600),
        }];
        let resolver = ZoneResolver {
            vtimezones: &vtimezones,
            preferred: None,
        };
        assert_eq!(
            resolver.resolve("Eastern Time (US & Canada)"),
            Some(chrono_tz::America::Toronto)
        );
        let fixed = [VTimezone {
            tzid: "India".into(),
            location: None,
            standard: FixedOffset::east_opt(5 * 3600 + 1800),
            daylight: None,
        }];
        let resolver = ZoneResolver {
            vtimezones: &fixed,
            preferred: None,
        };
        let india = resolver.resolve("India").expect("a +05:30 zone");
        assert!(
            same_clock(india, chrono_tz::Asia::Kolkata),
            "{}",
            india.name()
        );
    }

    #[test]
    fn a_windows_name_prefers_the_sources_equivalent_zone() {
        let resolver = ZoneResolver {
            vtimezones: &[],
            preferred: Some(chrono_tz::America::Toronto),
        };
        assert_eq!(
            resolver.resolve("Eastern Standard Time"),
            Some(chrono_tz::America::Toronto)
        );
        assert_eq!(
            resolver.resolve("Pacific Standard Time"),
            Some(chrono_tz::America::Los_Angeles)
        );
        assert_eq!(
            resolver.resolve("America/New_York"),
            Some(chrono_tz::America::New_York),
            "explicit IANA names are kept"
        );
    }

    #[test]
    fn gaps_move_forward_and_repeats_take_the_first() {
        let toronto = chrono_tz::America::Toronto;
        let at = |s| NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap();
        assert_eq!(
            local_to_utc(at("2026-03-08 02:30"), toronto).to_rfc3339(),
            "2026-03-08T07:30:00+00:00"
        );
        assert_eq!(
            local_to_utc(at("2026-11-01 01:30"), toronto).to_rfc3339(),
            "2026-11-01T05:30:00+00:00"
        );
        assert_eq!(
            local_to_utc(at("2026-07-01 12:00"), toronto).to_rfc3339(),
            "2026-07-01T16:00:00+00:00"
        );
    }
}
