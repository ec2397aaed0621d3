//! The key of a document as Bulletin read it: what reading depended on (this build, the
//! source's reading settings, the event window, and — for sources whose events depend on
//! the date — the day), then a digest of the bytes. The same key twice means reading the
//! document again would give exactly what is stored, so it is recorded as `unchanged`
//! without being parsed or written. A key whose reading part differs from today's means
//! the stored rows were read under other conditions: the document is then fetched whole
//! (no conditional request), since a 304 would keep them as they were.

use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};

use crate::harvest::Context;
use crate::model::{Source, SourceKind};

/// Changes whenever a change to Bulletin's readers should make every document be read
/// again, even within one released version.
const READERS_REVISION: u32 = 3;

/// What reading a source's document depends on, as a short digest; `kind` is what the
/// document is (or, before it came, what it was last time).
pub fn reading(source: &Source, kind: Option<SourceKind>, context: &Context) -> String {
    let now = context.now();
    let zone = source.timezone.unwrap_or(context.display_zone);
    let mut hasher = Sha256::new();
    let mut part = |text: &str| {
        hasher.update(text.as_bytes());
        hasher.update([0]);
    };
    part(env!("CARGO_PKG_VERSION"));
    part(&READERS_REVISION.to_string());
    part(source.kind.map_or("", SourceKind::as_str));
    part(&source.location.to_string());
    part(zone.name());
    part(
        &source
            .selectors
            .as_ref()
            .and_then(|s| serde_json::to_string(s).ok())
            .unwrap_or_default(),
    );
    part(
        &source
            .post_selectors
            .as_ref()
            .and_then(|s| serde_json::to_string(s).ok())
            .unwrap_or_default(),
    );
    part(if source.events_from_links {
        "links"
    } else {
        ""
    });
    part(source.language.as_deref().unwrap_or_default());
    part(&format!("{:?}", context.events));
    if depends_on_the_day(source, kind) {
        part(&day(now).to_string());
        part(&now.with_timezone(&zone).date_naive().to_string());
    }
    hex(&hasher.finalize()[..12])
}

/// The key of `body` read under `reading`.
pub fn of(reading: &str, body: &[u8]) -> String {
    format!("{reading}:{}", hex(&Sha256::digest(body)[..16]))
}

/// Whether a stored key was read under `reading` (so a 304 keeps its rows right).
pub fn read_under(stored: &str, reading: &str) -> bool {
    stored.split_once(':').is_some_and(|(r, _)| r == reading)
}

/// Events whose series are expanded around today, or whose dates lack a year, change
/// with the day; a plain feed's posts do not.
fn depends_on_the_day(source: &Source, kind: Option<SourceKind>) -> bool {
    source.kind.or(kind) != Some(SourceKind::Feed) || source.events_from_links
}

fn day(now: DateTime<Utc>) -> chrono::NaiveDate {
    now.date_naive()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::Clock;
    use crate::model::Location;
    use chrono::TimeZone;

    fn source(kind: SourceKind) -> Source {
        Source {
            id: "s".into(),
            name: "S".into(),
            department: String::new(),
            tags: vec![],
            kind: Some(kind),
            location: Location::Url("https://example.org/a".parse().unwrap()),
            schedule: None,
            timezone: None,
            selectors: None,
            post_selectors: None,
            events_from_links: false,
            language: None,
            translation_of: None,
        }
    }

    fn context(hour: u32, day: u32) -> Context {
        Context {
            display_zone: chrono_tz::America::Toronto,
            events: crate::harvest::EventSettings::default(),
            clock: Clock::fixed(Utc.with_ymd_and_hms(2026, 3, day, hour, 0, 0).unwrap()),
        }
    }

    #[test]
    fn calendars_are_read_again_each_day_feeds_are_not() {
        let ical = source(SourceKind::Ical);
        let feed = source(SourceKind::Feed);
        let (morning, evening, tomorrow) = (context(12, 10), context(20, 10), context(12, 11));
        assert_eq!(
            reading(&ical, None, &morning),
            reading(&ical, None, &evening)
        );
        assert_ne!(
            reading(&ical, None, &morning),
            reading(&ical, None, &tomorrow)
        );
        assert_eq!(
            reading(&feed, None, &morning),
            reading(&feed, None, &tomorrow)
        );
        let mut zoned = ical.clone();
        zoned.timezone = Some(chrono_tz::Europe::London);
        assert_ne!(
            reading(&ical, None, &morning),
            reading(&zoned, None, &morning)
        );
        let key = of(&reading(&ical, None, &morning), b"BEGIN:VCALENDAR");
        assert!(read_under(&key, &reading(&ical, None, &evening)));
        assert!(!read_under(&key, &reading(&ical, None, &tomorrow)));
        assert_ne!(
            key,
            of(&reading(&ical, None, &morning), b"BEGIN:VCALENDAR ")
        );
    }

    #[test]
    fn post_selectors_are_part_of_the_reading() {
        let page = source(SourceKind::Html);
        let mut selected = page.clone();
        selected.post_selectors = Some(crate::model::PostSelectors {
            item: "li".into(),
            ..Default::default()
        });
        let now = context(12, 10);
        assert_ne!(reading(&page, None, &now), reading(&selected, None, &now));
    }
}
