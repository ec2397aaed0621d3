//! Time zones: naming them and turning wall-clock times into instants.
//!
//! A TZID in the wild is an IANA name, a name the calendar's own VTIMEZONE defines (then
//! that definition is the truth, as the reference readers take it: Outlook's "Customized
//! Time Zone", Windows ids and display names, Mozilla path names, anything else), or a
//! Windows id or display name written without a definition ([`windows`]). An unknown,
//! undefined TZID is reported by the caller, naming the zone.
//!
//! A [`Zone`] is either an IANA zone or a [`DefinedZone`]. A defined zone is shown as an
//! IANA zone only where one keeps exactly the same offsets over the span the calendar
//! covers.

mod defined;
mod windows;

use std::sync::Arc;

use chrono::{DateTime, FixedOffset, NaiveDateTime, Offset, TimeZone, Utc};
use chrono_tz::Tz;

pub use defined::DefinedZone;

use crate::budget::Budget;
use crate::extract::ical::VTimezone;

/// A zone wall-clock times are written in.
#[derive(Debug, Clone)]
pub enum Zone {
    Iana(Tz),
    /// A VTIMEZONE's own rules, with the IANA zone that agrees with them over the span,
    /// if there is one.
    Defined(Arc<DefinedZone>, Option<Tz>),
}

impl Zone {
    /// The instant of a local time (gap: forward by the gap; repeated hour: the first).
    pub fn to_utc(&self, local: NaiveDateTime) -> Option<DateTime<Utc>> {
        match self {
            Zone::Iana(tz) => local_to_utc_checked(local, *tz),
            Zone::Defined(zone, _) => zone.to_utc(local),
        }
    }

    /// The wall-clock time at an instant.
    pub fn to_local(&self, at: DateTime<Utc>) -> NaiveDateTime {
        match self {
            Zone::Iana(tz) => at.with_timezone(tz).naive_local(),
            Zone::Defined(zone, _) => at.naive_utc() + zone.offset_at(at),
        }
    }

    /// The offset at an instant.
    pub fn offset_at(&self, at: DateTime<Utc>) -> FixedOffset {
        match self {
            Zone::Iana(tz) => tz.offset_from_utc_datetime(&at.naive_utc()).fix(),
            Zone::Defined(zone, _) => zone.offset_at(at),
        }
    }

    /// The IANA zone to show times in, when there is one.
    pub fn iana(&self) -> Option<Tz> {
        match self {
            Zone::Iana(tz) => Some(*tz),
            Zone::Defined(_, iana) => *iana,
        }
    }

    /// Whether two zones are the same zone (for "same TZID" arithmetic).
    pub fn same_as(&self, other: &Zone) -> bool {
        match (self, other) {
            (Zone::Iana(a), Zone::Iana(b)) => a == b,
            (Zone::Defined(a, _), Zone::Defined(b, _)) => Arc::ptr_eq(a, b),
            _ => false,
        }
    }
}

/// Resolves TZIDs for one calendar, caching each answer.
pub struct ZoneResolver<'a> {
    vtimezones: &'a [VTimezone],
    /// The source's own zone: chosen over an equivalent zone a Windows name maps to
    /// ("Eastern Standard Time" is America/New_York in CLDR; a Canadian source means
    /// America/Toronto, which keeps the same clock).
    preferred: Option<Tz>,
    /// The span the calendar's events are read for.
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    cache: std::collections::HashMap<String, Option<Zone>>,
}

impl<'a> ZoneResolver<'a> {
    pub fn new(
        vtimezones: &'a [VTimezone],
        preferred: Option<Tz>,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> ZoneResolver<'a> {
        ZoneResolver {
            vtimezones,
            preferred,
            from,
            to,
            cache: Default::default(),
        }
    }

    /// The zone a TZID names, or `None` when it is neither known nor defined.
    pub fn resolve(&mut self, tzid: &str, budget: &mut Budget) -> Option<Zone> {
        if let Some(known) = self.cache.get(tzid) {
            return known.clone();
        }
        let zone = self.lookup(tzid, budget);
        self.cache.insert(tzid.to_string(), zone.clone());
        zone
    }

    fn lookup(&self, tzid: &str, budget: &mut Budget) -> Option<Zone> {
        let name = tzid.trim().trim_matches('"').trim();
        if let Some(zone) = iana(name) {
            return Some(Zone::Iana(zone));
        }
        let definition = self
            .vtimezones
            .iter()
            .find(|v| v.tzid.trim() == name)
            .or_else(|| {
                self.vtimezones
                    .iter()
                    .find(|v| v.tzid.trim().eq_ignore_ascii_case(name))
            });
        if let Some(definition) = definition
            && let Some(defined) = DefinedZone::new(definition, self.from, self.to, budget)
        {
            let shown = self.equivalent(&defined, definition, name);
            return Some(Zone::Defined(Arc::new(defined), shown));
        }
        named_zone(name).map(|zone| {
            Zone::Iana(match self.preferred {
                Some(preferred) if same_clock(preferred, zone) => preferred,
                _ => zone,
            })
        })
    }

    /// An IANA zone that keeps the definition's offsets over the whole span: the one its
    /// name or X-LIC-LOCATION suggests, the source's own, or one with matching offsets.
    fn equivalent(&self, zone: &DefinedZone, definition: &VTimezone, name: &str) -> Option<Tz> {
        let agrees = |tz: &Tz| defined::agrees_with(zone, tz.name(), self.from, self.to);
        let named = [
            self.preferred,
            definition.location.as_deref().and_then(named_zone),
            named_zone(name),
        ];
        if let Some(tz) = named.iter().flatten().find(|tz| agrees(tz)) {
            return Some(*tz);
        }
        let (standard, daylight) = definition.latest_offsets();
        let offsets = [standard, daylight];
        PREFERRED
            .iter()
            .filter_map(|name| name.parse::<Tz>().ok())
            .chain(chrono_tz::TZ_VARIANTS.iter().copied())
            .filter(|tz| {
                let now = tz.offset_from_utc_datetime(&self.from.naive_utc()).fix();
                offsets.contains(&Some(now))
            })
            .find(agrees)
    }
}

/// An IANA name (also `UTC`, `GMT`, `Z`).
fn iana(name: &str) -> Option<Tz> {
    if let Ok(zone) = name.parse::<Tz>() {
        return Some(zone);
    }
    matches!(name, "Z" | "UTC" | "GMT").then_some(chrono_tz::UTC)
}

/// An IANA name, a Windows id or display name, or a path whose tail is an IANA name.
pub fn named_zone(name: &str) -> Option<Tz> {
    let name = name.trim().trim_matches('"');
    if let Some(zone) = iana(name) {
        return Some(zone);
    }
    if let Some(iana) = windows::to_iana(name) {
        return iana.parse().ok();
    }
    // "/mozilla.org/20050126_1/America/New_York", "/softwarestudio.org/Olson_20011030_5/America/Toronto"
    let parts: Vec<&str> = name.split('/').filter(|p| !p.is_empty()).collect();
    for take in [3, 2] {
        if parts.len() >= take
            && let Ok(zone) = parts[parts.len() - take..].join("/").parse::<Tz>()
        {
            return Some(zone);
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
    "Europe/Berlin",
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

/// The instant of a wall-clock time in `zone`. In the hour skipped by a spring change the
/// time is moved forward by the gap (RFC 5545 §3.3.5); in the repeated autumn hour the
/// first occurrence is taken. Times at the ends of chrono's range saturate.
pub fn local_to_utc(time: NaiveDateTime, zone: Tz) -> DateTime<Utc> {
    local_to_utc_checked(time, zone).unwrap_or_else(|| time.and_utc())
}

/// [`local_to_utc`], `None` at the ends of the representable range.
pub fn local_to_utc_checked(time: NaiveDateTime, zone: Tz) -> Option<DateTime<Utc>> {
    match zone.from_local_datetime(&time) {
        chrono::LocalResult::Single(t) => Some(t.with_timezone(&Utc)),
        chrono::LocalResult::Ambiguous(first, _) => Some(first.with_timezone(&Utc)),
        chrono::LocalResult::None => {
            // Read with the offset in force before the gap: the instant after the change.
            let before = zone
                .offset_from_utc_datetime(&time.checked_sub_signed(chrono::TimeDelta::hours(12))?)
                .fix();
            time.checked_sub_signed(chrono::TimeDelta::seconds(i64::from(
                before.local_minus_utc(),
            )))
            .map(|t| t.and_utc())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::extract::ical::Observance;

    fn far() -> (DateTime<Utc>, DateTime<Utc>) {
        (
            "2026-01-01T00:00:00Z".parse().unwrap(),
            "2028-01-01T00:00:00Z".parse().unwrap(),
        )
    }

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

    fn observance(daylight: bool, start: &str, from: i32, to: i32, rrule: &str) -> Observance {
        Observance {
            daylight,
            start: NaiveDateTime::parse_from_str(start, "%Y%m%dT%H%M%S").unwrap(),
            offset_from: FixedOffset::east_opt(from * 3600).unwrap(),
            offset_to: FixedOffset::east_opt(to * 3600).unwrap(),
            rrule: Some(rrule.to_string()),
            rdates: vec![],
            name: None,
        }
    }

    #[test]
    fn a_definition_is_the_truth_and_shown_as_the_iana_zone_that_agrees() {
        let vtimezones = [VTimezone {
            tzid: "Eastern Time (US & Canada)".into(),
            location: None,
            observances: vec![
                observance(
                    false,
                    "16011104T020000",
                    -4,
                    -5,
                    "FREQ=YEARLY;BYDAY=1SU;BYMONTH=11",
                ),
                observance(
                    true,
                    "16010311T020000",
                    -5,
                    -4,
                    "FREQ=YEARLY;BYDAY=2SU;BYMONTH=3",
                ),
            ],
        }];
        let (from, to) = far();
        let mut resolver =
            ZoneResolver::new(&vtimezones, Some(chrono_tz::America::Toronto), from, to);
        let zone = resolver
            .resolve("Eastern Time (US & Canada)", &mut Budget::unlimited())
            .unwrap();
        assert!(matches!(zone, Zone::Defined(..)));
        assert_eq!(zone.iana(), Some(chrono_tz::America::Toronto));
        // A definition that disagrees with every real zone is used as written.
        let odd = [VTimezone {
            tzid: "Western/Central Europe".into(),
            location: None,
            observances: vec![
                observance(
                    false,
                    "16011028T030000",
                    3,
                    2,
                    "FREQ=YEARLY;BYDAY=-1SU;BYMONTH=10",
                ),
                observance(
                    true,
                    "16010325T020000",
                    2,
                    3,
                    "FREQ=YEARLY;BYDAY=-1SU;BYMONTH=3",
                ),
            ],
        }];
        let mut resolver = ZoneResolver::new(&odd, None, from, to);
        let zone = resolver
            .resolve("Western/Central Europe", &mut Budget::unlimited())
            .unwrap();
        let noon = NaiveDateTime::parse_from_str("20260115T120000", "%Y%m%dT%H%M%S").unwrap();
        assert_eq!(
            zone.to_utc(noon).unwrap().to_rfc3339(),
            "2026-01-15T10:00:00+00:00"
        );
    }

    #[test]
    fn a_windows_name_prefers_the_sources_equivalent_zone() {
        let (from, to) = far();
        let mut resolver = ZoneResolver::new(&[], Some(chrono_tz::America::Toronto), from, to);
        let mut budget = Budget::unlimited();
        assert_eq!(
            resolver
                .resolve("Eastern Standard Time", &mut budget)
                .unwrap()
                .iana(),
            Some(chrono_tz::America::Toronto)
        );
        assert_eq!(
            resolver
                .resolve("Pacific Standard Time", &mut budget)
                .unwrap()
                .iana(),
            Some(chrono_tz::America::Los_Angeles)
        );
        assert_eq!(
            resolver
                .resolve("America/New_York", &mut budget)
                .unwrap()
                .iana(),
            Some(chrono_tz::America::New_York),
            "explicit IANA names are kept"
        );
        assert!(resolver.resolve("Nowhere/Special", &mut budget).is_none());
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
