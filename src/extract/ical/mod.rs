//! iCalendar (.ics): the file's components and properties read into plain records.
//!
//! [`structure`] groups content lines into components without recursion (a depth bound,
//! recovery from missing END lines) and parses properties through the icalendar crate;
//! [`values`] reads dates, periods, durations and offsets. Values come back as the file
//! wrote them (times with their TZID, rules as text); resolving zones and expanding
//! recurrences is the normaliser's job. One unreadable component or property is a
//! warning naming its line, never the loss of the calendar.

pub mod structure;
pub mod values;

use chrono::{FixedOffset, NaiveDateTime};

use structure::{Comp, Prop};
pub use values::{Dur, IcalTime, PeriodEnd, RDate};

/// One STANDARD or DAYLIGHT part of a VTIMEZONE.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Observance {
    pub daylight: bool,
    /// Local time (in `offset_from`) of the first onset.
    pub start: NaiveDateTime,
    pub offset_from: FixedOffset,
    pub offset_to: FixedOffset,
    /// The RRULE of later onsets, as written.
    pub rrule: Option<String>,
    /// Further onsets (RDATE), local time in `offset_from`.
    pub rdates: Vec<NaiveDateTime>,
    pub name: Option<String>,
}

/// A VTIMEZONE: what its TZID means, by its own definition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VTimezone {
    pub tzid: String,
    /// `X-LIC-LOCATION`, an IANA name some exporters add.
    pub location: Option<String>,
    pub observances: Vec<Observance>,
}

impl VTimezone {
    /// The most recent TZOFFSETTO of each kind (for matching against known zones).
    pub fn latest_offsets(&self) -> (Option<FixedOffset>, Option<FixedOffset>) {
        let latest = |daylight: bool| {
            self.observances
                .iter()
                .filter(|o| o.daylight == daylight)
                .max_by_key(|o| o.start)
                .map(|o| o.offset_to)
        };
        (latest(false), latest(true))
    }
}

/// One VEVENT.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct IcalEvent {
    pub uid: Option<String>,
    pub summary: Option<String>,
    pub description: Option<String>,
    /// `X-ALT-DESC;FMTTYPE=text/html` (Outlook) — an HTML description.
    pub description_html: Option<String>,
    pub location: Option<String>,
    pub url: Option<String>,
    pub organizer: Option<String>,
    pub status: Option<String>,
    pub categories: Vec<String>,
    pub sequence: Option<i64>,
    pub language: Option<String>,
    pub start: Option<IcalTime>,
    pub end: Option<IcalTime>,
    pub duration: Option<Dur>,
    /// RRULE values as written; several are a union.
    pub rrules: Vec<String>,
    /// EXRULE values as written (RFC 2445, still exported by some tools).
    pub exrules: Vec<String>,
    pub rdates: Vec<RDate>,
    pub exdates: Vec<IcalTime>,
    pub recurrence_id: Option<IcalTime>,
    /// `RECURRENCE-ID;RANGE=THISANDFUTURE`: the change applies to later occurrences too.
    pub this_and_future: bool,
    /// Online-meeting links some exporters put in their own properties.
    pub conference: Option<String>,
    /// The line of its BEGIN:VEVENT, for warnings.
    pub line: usize,
    /// Date, time or rule properties that could not be read, as warnings: the reference
    /// readers drop such an event whole, and so does the normaliser.
    pub unreadable: Vec<String>,
}

impl IcalEvent {
    /// How warnings name this event: its UID, else its line.
    pub fn label(&self) -> String {
        match &self.uid {
            Some(uid) => format!("event {uid}"),
            None => format!("the event at line {}", self.line),
        }
    }
}

/// A parsed calendar.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct CalendarDocument {
    pub name: Option<String>,
    /// `X-WR-TIMEZONE`: the zone for floating times, where the file says.
    pub timezone: Option<String>,
    pub timezones: Vec<VTimezone>,
    pub events: Vec<IcalEvent>,
    /// What could not be read, each naming its line.
    pub skipped: Vec<String>,
}

/// Reads a fetched calendar: folds are joined on the bytes, before decoding (exporters
/// fold inside UTF-8 characters), then the text is decoded as any document is and
/// parsed. Warnings name the file's own line numbers.
pub fn read(document: &crate::model::FetchedDocument) -> Result<CalendarDocument, String> {
    let (bytes, lines) = unfold_bytes(&document.body);
    let text = super::decode_bytes(&bytes, document.content_type.as_deref());
    parse_unfolded(text.trim_start_matches('\u{feff}'), &lines)
}

/// Parses calendar text. Fails only when there is no calendar component at all.
pub fn parse(text: &str) -> Result<CalendarDocument, String> {
    let (bytes, lines) = unfold_bytes(text.as_bytes());
    let unfolded = String::from_utf8_lossy(&bytes);
    parse_unfolded(unfolded.trim_start_matches('\u{feff}'), &lines)
}

/// A UTF-8 calendar's components with all their properties, `X-` ones included, for a
/// reader that needs more than [`parse`] keeps (an export's own state): folds joined on
/// the bytes, lines numbered as in the file. Fails when the unfolded text is not UTF-8,
/// naming the line.
pub fn components(body: &[u8]) -> Result<structure::Structure, String> {
    let (bytes, lines) = unfold_bytes(body);
    let text = String::from_utf8(bytes).map_err(|error| {
        let valid = &error.as_bytes()[..error.utf8_error().valid_up_to()];
        let index = valid.iter().filter(|b| **b == b'\n').count();
        let line = lines.get(index).copied().unwrap_or(index + 1);
        format!("line {line}: not UTF-8 text")
    })?;
    Ok(structure::read(text.trim_start_matches('\u{feff}'), &lines))
}

/// Content lines joined (a line break followed by a space or tab continues the line),
/// with the physical line each unfolded line starts on.
fn unfold_bytes(body: &[u8]) -> (Vec<u8>, Vec<usize>) {
    let mut out = Vec::with_capacity(body.len());
    let mut starts = vec![1];
    let mut physical = 1;
    let mut index = 0;
    while index < body.len() {
        let byte = body[index];
        let break_len = match (byte, body.get(index + 1)) {
            (b'\r', Some(b'\n')) => 2,
            (b'\n', _) => 1,
            _ => 0,
        };
        if break_len == 0 {
            out.push(byte);
            index += 1;
            continue;
        }
        physical += 1;
        let next = body.get(index + break_len);
        if matches!(next, Some(b' ' | b'\t')) {
            index += break_len + 1;
            continue;
        }
        out.push(b'\n');
        starts.push(physical);
        index += break_len;
    }
    (out, starts)
}

fn parse_unfolded(unfolded: &str, lines: &[usize]) -> Result<CalendarDocument, String> {
    let structure = structure::read(unfolded, lines);
    let has_component = structure.components.iter().any(|c| {
        matches!(
            c.name.as_str(),
            "VEVENT" | "VTIMEZONE" | "VTODO" | "VJOURNAL"
        )
    });
    if !structure.saw_calendar && !has_component {
        return Err("no BEGIN:VCALENDAR".to_string());
    }
    let header = Comp {
        props: structure.calendar_props,
        ..Comp::default()
    };
    let mut document = CalendarDocument {
        name: header.text("X-WR-CALNAME"),
        timezone: header.text("X-WR-TIMEZONE"),
        skipped: structure.warnings,
        ..CalendarDocument::default()
    };
    for component in &structure.components {
        match component.name.as_str() {
            "VEVENT" => document.events.push(event(component)),
            "VTIMEZONE" => match timezone(component) {
                Some(zone) => document.timezones.push(zone),
                None => document.skipped.push(format!(
                    "line {}: VTIMEZONE without a TZID; ignored",
                    component.line
                )),
            },
            _ => {}
        }
    }
    Ok(document)
}

fn event(component: &Comp) -> IcalEvent {
    let mut event = IcalEvent {
        uid: component.text("UID"),
        summary: component.text("SUMMARY"),
        description: component.text("DESCRIPTION"),
        location: component.text("LOCATION"),
        // A URI, not TEXT: a backslash or comma in it is the address's own.
        url: component.value("URL"),
        status: component.text("STATUS").map(|s| s.to_ascii_uppercase()),
        sequence: component.value("SEQUENCE").and_then(|s| s.parse().ok()),
        line: component.line,
        ..IcalEvent::default()
    };
    let label = event.label();
    let unreadable = |prop: &Prop, event: &mut IcalEvent| {
        event.unreadable.push(format!(
            "line {}: {label}: {} `{}` is not readable",
            prop.line,
            prop.name,
            prop.value.trim()
        ));
    };
    for prop in &component.props {
        match prop.name.as_str() {
            "DTSTART" | "DTEND" | "RECURRENCE-ID" => {
                let Some(time) = values::first_time(prop) else {
                    unreadable(prop, &mut event);
                    continue;
                };
                match prop.name.as_str() {
                    "DTSTART" => event.start = Some(time),
                    "DTEND" => event.end = Some(time),
                    _ => {
                        event.recurrence_id = Some(time);
                        event.this_and_future = prop
                            .param("RANGE")
                            .is_some_and(|r| r.eq_ignore_ascii_case("THISANDFUTURE"));
                    }
                }
            }
            "DURATION" => match values::duration(&prop.value) {
                Some(duration) => event.duration = Some(duration),
                None => unreadable(prop, &mut event),
            },
            // An empty RULE is no rule (as the reference readers take it).
            "RRULE" if !prop.value.trim().is_empty() => {
                event.rrules.push(prop.value.trim().to_string())
            }
            "EXRULE" if !prop.value.trim().is_empty() => {
                event.exrules.push(prop.value.trim().to_string())
            }
            "EXDATE" => match values::times(prop) {
                Some(times) => event.exdates.extend(times),
                None => unreadable(prop, &mut event),
            },
            "RDATE" => match values::rdates(prop) {
                Some(rdates) => event.rdates.extend(rdates),
                None => unreadable(prop, &mut event),
            },
            "CATEGORIES" => event.categories.extend(
                prop.text_list()
                    .into_iter()
                    .map(|c| c.trim().to_string())
                    .filter(|c| !c.is_empty()),
            ),
            "ORGANIZER" => {
                let name = prop.param("CN").map(str::to_string);
                let address = prop.value.trim();
                let address = address
                    .get(..7)
                    .filter(|scheme| scheme.eq_ignore_ascii_case("mailto:"))
                    .map_or(address, |_| &address[7..]);
                event.organizer = name
                    .filter(|n| !n.is_empty())
                    .or_else(|| Some(address.to_string()).filter(|a| !a.is_empty()));
            }
            "X-ALT-DESC"
                if prop
                    .param("FMTTYPE")
                    .is_some_and(|t| t.eq_ignore_ascii_case("text/html")) =>
            {
                event.description_html = Some(prop.text().trim().to_string());
            }
            "X-MICROSOFT-SKYPETEAMSMEETINGURL"
            | "X-MICROSOFT-ONLINEMEETINGCONFLINK"
            | "X-GOOGLE-CONFERENCE" => {
                // An `X-` property is TEXT unless it says otherwise (RFC 5545 §3.8.8.2).
                event.conference = Some(prop.text().trim().to_string());
            }
            "SUMMARY" | "DESCRIPTION" => {
                if let Some(lang) = prop.param("LANGUAGE") {
                    event.language.get_or_insert_with(|| lang.to_string());
                }
            }
            _ => {}
        }
    }
    event
}

fn timezone(component: &Comp) -> Option<VTimezone> {
    let tzid = component.text("TZID")?.trim_matches('"').trim().to_string();
    let observances = component
        .children
        .iter()
        .filter_map(|part| {
            let daylight = match part.name.as_str() {
                "STANDARD" => false,
                "DAYLIGHT" => true,
                _ => return None,
            };
            let local = |time: IcalTime| match time {
                IcalTime::Local { time, .. } | IcalTime::Utc(time) => Some(time),
                IcalTime::Date(date) => date.and_hms_opt(0, 0, 0),
            };
            let start = part
                .prop("DTSTART")
                .and_then(values::first_time)
                .and_then(local)?;
            let offset_to = part
                .prop("TZOFFSETTO")
                .and_then(|p| values::offset(&p.value))?;
            let offset_from = part
                .prop("TZOFFSETFROM")
                .and_then(|p| values::offset(&p.value))
                .unwrap_or(offset_to);
            let rdates = part
                .all("RDATE")
                .filter_map(values::times)
                .flatten()
                .filter_map(local)
                .collect();
            Some(Observance {
                daylight,
                start,
                offset_from,
                offset_to,
                rrule: part.prop("RRULE").map(|p| p.value.trim().to_string()),
                rdates,
                name: part.text("TZNAME"),
            })
        })
        .collect();
    Some(VTimezone {
        tzid,
        location: component.text("X-LIC-LOCATION"),
        observances,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    const SAMPLE: &str = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nX-WR-CALNAME:Team\r\nX-WR-TIMEZONE:America/Toronto\r\nBEGIN:VTIMEZONE\r\nTZID:Eastern Standard Time\r\nBEGIN:STANDARD\r\nDTSTART:16010101T020000\r\nTZOFFSETFROM:-0400\r\nTZOFFSETTO:-0500\r\nEND:STANDARD\r\nBEGIN:DAYLIGHT\r\nDTSTART:16010101T020000\r\nTZOFFSETFROM:-0500\r\nTZOFFSETTO:-0400\r\nEND:DAYLIGHT\r\nEND:VTIMEZONE\r\nBEGIN:VEVENT\r\nUID:a@example\r\nSUMMARY:Lunch\\, and learn\r\nDTSTART;TZID=\"Eastern Standard Time\":20260312T120000\r\nDTEND;TZID=\"Eastern Standard Time\":20260312T130000\r\nEXDATE;TZID=Eastern Standard Time:20260319T120000,20260326T120000\r\nDESCRIPTION:Line one\\nline t\r\n wo\r\nCATEGORIES:Data\\, AI,Training\r\nEND:VEVENT\r\nBEGIN:VEVENT\r\nUID:broken\r\nDTSTART;;;:\r\nTHIS IS NOT A PROPERTY\r\nEND:VEVENT\r\nBEGIN:VEVENT\r\nUID:b@example\r\nDTSTART;VALUE=DATE:20261211\r\nSUMMARY:All day\r\nRDATE;VALUE=PERIOD:20261212T090000Z/PT2H,20261213T090000Z/20261213T100000Z\r\nRECURRENCE-ID;RANGE=THISANDFUTURE:20261211\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";

    #[test]
    fn reads_events_times_and_zones_and_names_what_it_skips() {
        let doc = parse(SAMPLE).unwrap();
        assert_eq!(doc.name.as_deref(), Some("Team"));
        assert_eq!(doc.timezone.as_deref(), Some("America/Toronto"));
        assert_eq!(doc.events.len(), 3, "{:?}", doc.skipped);
        assert!(
            doc.skipped.iter().any(|w| w.contains("line 31")),
            "{:?}",
            doc.skipped
        );
        let lunch = &doc.events[0];
        assert_eq!(lunch.summary.as_deref(), Some("Lunch, and learn"));
        assert_eq!(lunch.description.as_deref(), Some("Line one\nline two"));
        assert_eq!(lunch.categories, ["Data, AI", "Training"]);
        let at = |d: &str| NaiveDateTime::parse_from_str(d, "%Y%m%dT%H%M%S").unwrap();
        assert_eq!(
            lunch.start,
            Some(IcalTime::Local {
                time: at("20260312T120000"),
                tzid: Some("Eastern Standard Time".into())
            })
        );
        assert_eq!(lunch.exdates.len(), 2);
        let all_day = &doc.events[2];
        assert_eq!(
            all_day.start,
            Some(IcalTime::Date(
                NaiveDate::from_ymd_opt(2026, 12, 11).unwrap()
            ))
        );
        assert_eq!(all_day.rdates.len(), 2);
        assert!(all_day.this_and_future);
        let zone = &doc.timezones[0];
        assert_eq!(
            zone.latest_offsets(),
            (
                FixedOffset::west_opt(5 * 3600),
                FixedOffset::west_opt(4 * 3600)
            )
        );
    }

    #[test]
    fn text_without_a_calendar_is_refused() {
        assert!(parse("<html></html>").is_err());
    }
}
