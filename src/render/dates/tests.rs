//! Dates and times in each style, checked against the style guides' own examples, and
//! event times at the edges: midnight, noon, all day, across days, clocks changing, and
//! Newfoundland's half hour.

use chrono::{NaiveDate, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;

use super::*;
use crate::model::{Event, EventTime};

const CA_EN: Dates = Dates {
    lang: Lang::En,
    style: Style::CanadaCa,
};
const CA_FR: Dates = Dates {
    lang: Lang::Fr,
    style: Style::CanadaCa,
};
const UK_EN: Dates = Dates {
    lang: Lang::En,
    style: Style::GovUk,
};

const TORONTO: Tz = chrono_tz::America::Toronto;
const LONDON: Tz = chrono_tz::Europe::London;

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

fn hm(h: u32, m: u32) -> NaiveTime {
    NaiveTime::from_hms_opt(h, m, 0).unwrap()
}

/// An instant given as a wall-clock time in `zone`.
fn local(zone: Tz, y: i32, mo: u32, d: u32, h: u32, mi: u32) -> chrono::DateTime<Utc> {
    zone.with_ymd_and_hms(y, mo, d, h, mi, 0)
        .earliest()
        .unwrap()
        .with_timezone(&Utc)
}

fn utc(text: &str) -> chrono::DateTime<Utc> {
    text.parse().unwrap()
}

fn event(start: EventTime, end: Option<EventTime>, zone: Option<&str>) -> Event {
    crate::render::fixtures::event(start, end, zone)
}

fn timed(start: chrono::DateTime<Utc>, end: chrono::DateTime<Utc>, zone: &str) -> Event {
    event(EventTime::At(start), Some(EventTime::At(end)), Some(zone))
}

#[test]
fn the_style_is_named_as_settings_spell_it() {
    assert_eq!(Style::parse("canada.ca"), Some(Style::CanadaCa));
    assert_eq!(Style::parse(" GOV.UK "), Some(Style::GovUk));
    assert_eq!(Style::parse("gov-uk"), None);
    assert_eq!(Style::default(), Style::CanadaCa);
}

#[test]
fn dates_as_each_guide_writes_them() {
    let d = date(2027, 1, 13);
    assert_eq!(CA_EN.date(d), "January 13, 2027");
    assert_eq!(CA_FR.date(d), "13 janvier 2027");
    assert_eq!(UK_EN.date(d), "13 January 2027");
    assert_eq!(CA_EN.day(d), "Wednesday, January 13, 2027");
    assert_eq!(CA_FR.day(d), "mercredi 13 janvier 2027");
    assert_eq!(UK_EN.day(d), "Wednesday 13 January 2027");
    // French writes the first of the month as an ordinal.
    assert_eq!(CA_FR.date(date(2027, 4, 1)), "1er avril 2027");
    assert_eq!(CA_EN.date(date(2027, 4, 1)), "April 1, 2027");
    assert_eq!(CA_FR.day(date(2027, 8, 15)), "dimanche 15 août 2027");
}

#[test]
fn short_dates_for_tables() {
    let d = date(2027, 9, 3);
    assert_eq!(CA_EN.short_date(d, false), "Sept. 3");
    assert_eq!(CA_EN.short_date(d, true), "Sept. 3, 2027");
    assert_eq!(CA_FR.short_date(d, false), "3 sept.");
    assert_eq!(UK_EN.short_date(d, true), "3 Sept 2027");
    assert_eq!(CA_EN.short_date(date(2027, 5, 20), false), "May 20");
    assert_eq!(CA_FR.short_date(date(2027, 7, 1), false), "1er juill.");
    let now = utc("2027-01-20T12:00:00Z");
    assert_eq!(
        CA_EN.short_date_time(utc("2027-01-13T18:05:00Z"), TORONTO, now),
        "Jan. 13, 1:05 pm ET"
    );
    assert_eq!(
        CA_FR.short_date_time(utc("2026-12-30T18:05:00Z"), TORONTO, now),
        "30 déc. 2026, 13 h 05 HE"
    );
}

#[test]
fn times_midnight_and_noon() {
    assert_eq!(CA_EN.time(hm(13, 0), false), "1:00 pm");
    assert_eq!(CA_EN.time(hm(9, 30), false), "9:30 am");
    assert_eq!(CA_EN.time(hm(12, 0), false), "12:00 pm");
    assert_eq!(CA_EN.time(hm(0, 0), false), "12:00 am");
    assert_eq!(CA_EN.time(hm(0, 15), false), "12:15 am");
    assert_eq!(CA_FR.time(hm(13, 0), false), "13 h");
    assert_eq!(CA_FR.time(hm(13, 30), false), "13 h 30");
    assert_eq!(CA_FR.time(hm(9, 5), false), "9 h 05");
    assert_eq!(CA_FR.time(hm(0, 0), false), "0 h");
    assert_eq!(CA_FR.time(hm(0, 0), true), "24 h");
    assert_eq!(CA_FR.time(hm(12, 0), false), "12 h");
    assert_eq!(UK_EN.time(hm(13, 0), false), "1pm");
    assert_eq!(UK_EN.time(hm(13, 30), false), "1:30pm");
    assert_eq!(UK_EN.time(hm(9, 5), false), "9:05am");
    assert_eq!(UK_EN.time(hm(12, 0), false), "midday");
    assert_eq!(UK_EN.time(hm(0, 0), true), "midnight");
    assert_eq!(UK_EN.time(hm(12, 30), false), "12:30pm");
}

#[test]
fn time_ranges() {
    assert_eq!(CA_EN.time_range(hm(13, 0), hm(14, 0)), "1:00 pm to 2:00 pm");
    assert_eq!(CA_FR.time_range(hm(13, 0), hm(14, 0)), "13 h à 14 h");
    assert_eq!(CA_FR.time_range(hm(13, 30), hm(15, 0)), "13 h 30 à 15 h");
    assert_eq!(UK_EN.time_range(hm(13, 0), hm(14, 0)), "1pm to 2pm");
    assert_eq!(UK_EN.time_range(hm(23, 0), hm(0, 0)), "11pm to midnight");
    assert_eq!(CA_FR.time_range(hm(22, 0), hm(0, 0)), "22 h à 24 h");
}

#[test]
fn ranges_of_days_write_shared_parts_once() {
    let (a, b) = (date(2027, 1, 13), date(2027, 1, 15));
    assert_eq!(CA_EN.date_range(a, b), "January 13 to 15, 2027");
    assert_eq!(CA_FR.date_range(a, b), "du 13 au 15 janvier 2027");
    assert_eq!(UK_EN.date_range(a, b), "13 to 15 January 2027");
    let (a, b) = (date(2027, 1, 30), date(2027, 2, 2));
    assert_eq!(CA_EN.date_range(a, b), "January 30 to February 2, 2027");
    assert_eq!(CA_FR.date_range(a, b), "du 30 janvier au 2 février 2027");
    assert_eq!(UK_EN.date_range(a, b), "30 January to 2 February 2027");
    let (a, b) = (date(2026, 12, 30), date(2027, 1, 1));
    assert_eq!(
        CA_EN.date_range(a, b),
        "December 30, 2026 to January 1, 2027"
    );
    assert_eq!(
        CA_FR.date_range(a, b),
        "du 30 décembre 2026 au 1er janvier 2027"
    );
    assert_eq!(UK_EN.date_range(a, b), "30 December 2026 to 1 January 2027");
    assert_eq!(CA_EN.date_range(a, a), "December 30, 2026");
}

#[test]
fn canadian_zones_by_canada_ca_labels_in_both_languages() {
    let winter = utc("2027-01-13T18:00:00Z");
    let summer = utc("2027-07-13T18:00:00Z");
    for (zone, en, fr) in [
        ("America/Toronto", "ET", "HE"),
        ("America/Montreal", "ET", "HE"),
        ("America/Vancouver", "PT", "HP"),
        ("America/Edmonton", "MT", "HR"),
        ("America/Winnipeg", "CT", "HC"),
        ("America/Halifax", "AT", "HA"),
        ("America/Moncton", "AT", "HA"),
        ("America/St_Johns", "NT", "HT"),
        ("America/New_York", "ET", "HE"),
    ] {
        let tz: Tz = zone.parse().unwrap();
        for at in [winter, summer] {
            assert_eq!(zone_label(Lang::En, tz, at), en, "{zone} {at}");
            assert_eq!(zone_label(Lang::Fr, tz, at), fr, "{zone} {at}");
        }
    }
}

#[test]
fn zones_without_daylight_time_are_named_by_their_standard_time() {
    let summer = utc("2027-07-13T18:00:00Z");
    for (zone, en, fr) in [
        ("America/Regina", "CST", "HNC"),
        ("America/Whitehorse", "MST", "HNR"),
        ("America/Creston", "MST", "HNR"),
        ("America/Atikokan", "EST", "HNE"),
    ] {
        let tz: Tz = zone.parse().unwrap();
        assert_eq!(zone_label(Lang::En, tz, summer), en, "{zone}");
        assert_eq!(zone_label(Lang::Fr, tz, summer), fr, "{zone}");
    }
}

#[test]
fn other_zones_keep_their_abbreviation_or_an_offset() {
    let winter = utc("2027-01-13T18:00:00Z");
    let summer = utc("2027-07-13T18:00:00Z");
    assert_eq!(zone_label(Lang::En, LONDON, winter), "GMT");
    assert_eq!(zone_label(Lang::En, LONDON, summer), "BST");
    assert_eq!(zone_label(Lang::Fr, LONDON, summer), "BST");
    assert_eq!(
        zone_label(Lang::En, chrono_tz::Europe::Paris, summer),
        "CEST"
    );
    assert_eq!(zone_label(Lang::En, chrono_tz::UTC, summer), "UTC");
    // China's "CST" is not Central Time, nor is Cuba's.
    assert_eq!(
        zone_label(Lang::En, chrono_tz::Asia::Shanghai, summer),
        "CST"
    );
    assert_eq!(
        zone_label(Lang::Fr, chrono_tz::America::Havana, winter),
        "CST"
    );
    assert_eq!(
        zone_label(Lang::En, chrono_tz::America::Sao_Paulo, winter),
        "UTC\u{2212}3"
    );
    assert_eq!(
        zone_label(Lang::En, chrono_tz::Asia::Kathmandu, winter),
        "UTC+5:45"
    );
}

#[test]
fn an_event_in_the_display_zone() {
    let e = timed(
        local(TORONTO, 2027, 1, 13, 13, 0),
        local(TORONTO, 2027, 1, 13, 14, 0),
        "America/Toronto",
    );
    assert_eq!(
        event_when(CA_EN, TORONTO, &e, false),
        "1:00 pm to 2:00 pm ET"
    );
    assert_eq!(
        event_when(CA_EN, TORONTO, &e, true),
        "Wednesday, January 13, 2027, 1:00 pm to 2:00 pm ET"
    );
    assert_eq!(event_when(CA_FR, TORONTO, &e, false), "13 h à 14 h HE");
    assert_eq!(
        event_when(CA_FR, TORONTO, &e, true),
        "mercredi 13 janvier 2027, 13 h à 14 h HE"
    );
    // A zone with the same clock is not named twice.
    let montreal = timed(
        local(TORONTO, 2027, 1, 13, 13, 30),
        local(TORONTO, 2027, 1, 13, 15, 0),
        "America/Montreal",
    );
    assert_eq!(
        event_when(CA_FR, TORONTO, &montreal, false),
        "13 h 30 à 15 h HE"
    );
    // Times written in UTC are shown in the display zone alone.
    let utc_written = timed(
        utc("2027-01-13T18:00:00Z"),
        utc("2027-01-13T19:00:00Z"),
        "UTC",
    );
    assert_eq!(
        event_when(CA_EN, TORONTO, &utc_written, false),
        "1:00 pm to 2:00 pm ET"
    );
}

#[test]
fn an_event_held_elsewhere_shows_its_own_time_first() {
    // Newfoundland is half an hour off the hour from everyone else.
    let e = timed(
        local(chrono_tz::America::St_Johns, 2027, 1, 13, 9, 30),
        local(chrono_tz::America::St_Johns, 2027, 1, 13, 10, 30),
        "America/St_Johns",
    );
    assert_eq!(
        event_when(CA_EN, TORONTO, &e, false),
        "9:30 am to 10:30 am NT (8:00 am to 9:00 am ET)"
    );
    assert_eq!(
        event_when(CA_FR, TORONTO, &e, false),
        "9 h 30 à 10 h 30 HT (8 h à 9 h HE)"
    );
    assert_eq!(
        event_when(CA_EN, TORONTO, &e, true),
        "Wednesday, January 13, 2027, 9:30 am to 10:30 am NT (8:00 am to 9:00 am ET)"
    );
    let no_end = event(
        EventTime::At(local(chrono_tz::America::St_Johns, 2027, 1, 13, 9, 30)),
        None,
        Some("America/St_Johns"),
    );
    assert_eq!(
        event_when(CA_EN, TORONTO, &no_end, false),
        "9:30 am NT (8:00 am ET)"
    );
}

#[test]
fn an_event_elsewhere_on_another_day_names_both_days() {
    let vancouver = chrono_tz::America::Vancouver;
    let e = timed(
        local(vancouver, 2027, 1, 13, 22, 0),
        local(vancouver, 2027, 1, 13, 23, 0),
        "America/Vancouver",
    );
    // The listing groups it under the display zone's day (January 14).
    assert_eq!(
        event_when(CA_EN, TORONTO, &e, false),
        "January 13, 2027, 10:00 pm to 11:00 pm PT (1:00 am to 2:00 am ET)"
    );
    assert_eq!(
        event_when(CA_EN, TORONTO, &e, true),
        "Wednesday, January 13, 2027, 10:00 pm to 11:00 pm PT (January 14, 2027, 1:00 am to 2:00 am ET)"
    );
}

#[test]
fn noon_and_midnight_events() {
    let noon = timed(
        local(TORONTO, 2027, 1, 13, 12, 0),
        local(TORONTO, 2027, 1, 13, 13, 0),
        "America/Toronto",
    );
    assert_eq!(
        event_when(CA_EN, TORONTO, &noon, false),
        "12:00 pm to 1:00 pm ET"
    );
    assert_eq!(event_when(CA_FR, TORONTO, &noon, false), "12 h à 13 h HE");
    let late = timed(
        local(TORONTO, 2027, 1, 13, 22, 0),
        local(TORONTO, 2027, 1, 14, 0, 0),
        "America/Toronto",
    );
    assert_eq!(
        event_when(CA_EN, TORONTO, &late, false),
        "10:00 pm to 12:00 am ET",
        "ending at midnight is still the same evening"
    );
    assert_eq!(event_when(CA_FR, TORONTO, &late, false), "22 h à 24 h HE");
    let london_late = timed(
        local(LONDON, 2027, 1, 13, 23, 0),
        local(LONDON, 2027, 1, 14, 0, 0),
        "Europe/London",
    );
    assert_eq!(
        event_when(UK_EN, LONDON, &london_late, true),
        "Wednesday 13 January 2027, 11pm to midnight GMT"
    );
    let midnight_start = timed(
        local(TORONTO, 2027, 1, 14, 0, 0),
        local(TORONTO, 2027, 1, 14, 1, 0),
        "America/Toronto",
    );
    assert_eq!(
        event_when(CA_FR, TORONTO, &midnight_start, false),
        "0 h à 1 h HE"
    );
}

#[test]
fn all_day_events() {
    let one = event(
        EventTime::Date(date(2027, 1, 13)),
        Some(EventTime::Date(date(2027, 1, 14))),
        None,
    );
    assert_eq!(event_when(CA_EN, TORONTO, &one, false), "All day");
    assert_eq!(
        event_when(CA_EN, TORONTO, &one, true),
        "Wednesday, January 13, 2027, all day"
    );
    assert_eq!(
        event_when(CA_FR, TORONTO, &one, true),
        "mercredi 13 janvier 2027, toute la journée"
    );
    let no_end = event(EventTime::Date(date(2027, 1, 13)), None, None);
    assert_eq!(
        event_when(CA_FR, TORONTO, &no_end, false),
        "Toute la journée"
    );
    let three = event(
        EventTime::Date(date(2027, 1, 13)),
        Some(EventTime::Date(date(2027, 1, 16))),
        None,
    );
    assert_eq!(
        event_when(CA_EN, TORONTO, &three, false),
        "January 13 to 15, 2027"
    );
    assert_eq!(
        event_when(CA_FR, TORONTO, &three, true),
        "du 13 au 15 janvier 2027"
    );
    assert_eq!(
        event_when(UK_EN, LONDON, &three, true),
        "13 to 15 January 2027"
    );
}

#[test]
fn timed_events_across_days_write_both_dates() {
    let e = timed(
        local(TORONTO, 2027, 1, 13, 9, 0),
        local(TORONTO, 2027, 1, 14, 17, 0),
        "America/Toronto",
    );
    assert_eq!(
        event_when(CA_EN, TORONTO, &e, false),
        "January 13, 2027, 9:00 am to January 14, 2027, 5:00 pm ET"
    );
    assert_eq!(
        event_when(CA_FR, TORONTO, &e, false),
        "13 janvier 2027, 9 h au 14 janvier 2027, 17 h HE"
    );
    assert_eq!(
        event_when(CA_EN, TORONTO, &e, true),
        "Wednesday, January 13, 2027, 9:00 am to Thursday, January 14, 2027, 5:00 pm ET"
    );
    let london = timed(
        local(LONDON, 2027, 1, 13, 9, 0),
        local(LONDON, 2027, 1, 15, 16, 30),
        "Europe/London",
    );
    assert_eq!(
        event_when(UK_EN, LONDON, &london, false),
        "13 January 2027, 9am to 15 January 2027, 4:30pm GMT"
    );
}

#[test]
fn clocks_changing_during_an_event() {
    // Toronto falls back at 2:00 am on November 1, 2026: 12:30 am EDT to 3:00 am EST is
    // three and a half hours, and "ET" covers both.
    let fall = timed(
        utc("2026-11-01T04:30:00Z"),
        utc("2026-11-01T08:00:00Z"),
        "America/Toronto",
    );
    assert_eq!(
        event_when(CA_EN, TORONTO, &fall, false),
        "12:30 am to 3:00 am ET"
    );
    // Spring forward: 1:30 am EST to 3:30 am EDT.
    let spring = timed(
        utc("2027-03-14T06:30:00Z"),
        utc("2027-03-14T07:30:00Z"),
        "America/Toronto",
    );
    assert_eq!(
        event_when(CA_FR, TORONTO, &spring, false),
        "1 h 30 à 3 h 30 HE"
    );
    // London's labels change with its clocks, so each time keeps its own.
    let london = timed(
        utc("2026-10-24T23:30:00Z"),
        utc("2026-10-25T03:00:00Z"),
        "Europe/London",
    );
    assert_eq!(
        event_when(UK_EN, LONDON, &london, false),
        "12:30am BST to 3am GMT"
    );
    // Newfoundland in summer: still NT, and still half an hour off.
    let summer = timed(
        local(chrono_tz::America::St_Johns, 2027, 7, 13, 12, 0),
        local(chrono_tz::America::St_Johns, 2027, 7, 13, 13, 0),
        "America/St_Johns",
    );
    assert_eq!(
        event_when(CA_EN, TORONTO, &summer, false),
        "12:00 pm to 1:00 pm NT (10:30 am to 11:30 am ET)"
    );
}

#[test]
fn no_internal_zone_name_is_ever_written() {
    for zone in [
        "America/Toronto",
        "America/St_Johns",
        "Europe/London",
        "Asia/Kolkata",
    ] {
        let tz: Tz = zone.parse().unwrap();
        let e = timed(
            local(tz, 2027, 6, 1, 10, 0),
            local(tz, 2027, 6, 1, 11, 0),
            zone,
        );
        for dates in [CA_EN, CA_FR, UK_EN] {
            for with_day in [false, true] {
                let text = event_when(dates, TORONTO, &e, with_day);
                assert!(!text.contains('/'), "{text}");
            }
        }
    }
}

#[test]
fn numbers_and_modified_dates() {
    assert_eq!(CA_EN.number(1234567), "1,234,567");
    assert_eq!(CA_FR.number(1234), "1\u{a0}234");
    assert_eq!(CA_EN.number(12), "12");
    assert_eq!(CA_EN.number(0), "0");
    assert_eq!(CA_EN.modified(date(2027, 1, 13)), "2027-01-13");
    assert_eq!(CA_FR.modified(date(2027, 1, 13)), "2027-01-13");
    assert_eq!(UK_EN.modified(date(2027, 1, 13)), "13 January 2027");
}

#[test]
fn a_post_date_with_time() {
    assert_eq!(
        CA_EN.date_time(utc("2026-11-03T14:30:00Z"), TORONTO),
        "Tuesday, November 3, 2026, 9:30 am ET"
    );
    assert_eq!(
        CA_FR.date_time(utc("2026-11-03T14:30:00Z"), TORONTO),
        "mardi 3 novembre 2026, 9 h 30 HE"
    );
}
