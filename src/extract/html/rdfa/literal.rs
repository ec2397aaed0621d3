//! Literal values as rdflib stores them once pyRdfa has made them: a typed literal's
//! lexical form is rewritten for the date types, which changes how some dates read.

use super::terms::Term;

pub const XML_LITERAL: &str = "http://www.w3.org/1999/02/22-rdf-syntax-ns#XMLLiteral";
pub const HTML_LITERAL: &str = "http://www.w3.org/1999/02/22-rdf-syntax-ns#HTML";
const XSD_DATE_TIME: &str = "http://www.w3.org/2001/XMLSchema#dateTime";
const XSD_DATE: &str = "http://www.w3.org/2001/XMLSchema#date";

/// A typed literal's text as rdflib keeps it: an `xsd:dateTime` that Python's
/// `datetime.fromisoformat` reads as a bare date becomes that date's midnight
/// (`2026-03-12T00:00:00`); an `xsd:date` loses any time (`2026-03-12T13:00` →
/// `2026-03-12`). Other values are kept as written (rdflib's other rewritings of dates
/// name the same instant).
pub fn typed_literal(text: &str, datatype: Option<&Term>) -> String {
    let Some(Term::Iri(datatype)) = datatype else {
        return text.to_string();
    };
    match datatype.as_str() {
        XSD_DATE_TIME => match iso_calendar_date(text) {
            Some(date) => format!("{date}T00:00:00"),
            None => text.to_string(),
        },
        XSD_DATE => {
            // rdflib's `parse_xsd_date`: a trailing `Z`, a time, or an offset dropped.
            let date = text.strip_suffix(['Z', 'z']).unwrap_or(text);
            let date = if date.contains('T') {
                date.split('T').next().unwrap_or(date)
            } else if let Some(plus) = date.rfind('+').filter(|p| *p > 0) {
                &date[..plus]
            } else {
                match date.rsplit_once('-') {
                    Some((day, zone)) if zone.contains(':') => day,
                    _ => date,
                }
            };
            match iso_calendar_date(date) {
                Some(day) if date.contains('-') => day.to_string(),
                _ => text.to_string(),
            }
        }
        _ => text.to_string(),
    }
}

/// A whole date as Python's `date.fromisoformat` reads one: `YYYY-MM-DD`, `YYYYMMDD`,
/// `YYYY-Www[-D]`, `YYYYWww[D]`.
fn iso_calendar_date(text: &str) -> Option<chrono::NaiveDate> {
    use chrono::NaiveDate;
    if !text.is_ascii() || !text.get(..4)?.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let shapes: &[(usize, &str)] = &[
        (10, "%Y-%m-%d"),
        (8, "%Y%m%d"),
        (10, "%G-W%V-%u"),
        (8, "%GW%V%u"),
    ];
    for (length, format) in shapes {
        if text.len() == *length
            && let Ok(date) = NaiveDate::parse_from_str(text, format)
        {
            return Some(date);
        }
    }
    // A week without its day is its Monday.
    match text.len() {
        8 if text.as_bytes()[4] == b'-' => {
            NaiveDate::parse_from_str(&format!("{text}-1"), "%G-W%V-%u").ok()
        }
        7 if text.as_bytes()[4] == b'W' => {
            NaiveDate::parse_from_str(&format!("{text}1"), "%GW%V%u").ok()
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typed_dates_as_rdflib_keeps_them() {
        let date_time = Term::Iri(XSD_DATE_TIME.into());
        let date = Term::Iri(XSD_DATE.into());
        assert_eq!(
            typed_literal("2026-03-12", Some(&date_time)),
            "2026-03-12T00:00:00"
        );
        assert_eq!(
            typed_literal("2026-W11", Some(&date_time)),
            "2026-03-09T00:00:00"
        );
        assert_eq!(typed_literal("2026-03", Some(&date_time)), "2026-03");
        assert_eq!(typed_literal("2026-071", Some(&date_time)), "2026-071");
        assert_eq!(
            typed_literal("2026-03-12T13:00-05:00", Some(&date_time)),
            "2026-03-12T13:00-05:00"
        );
        assert_eq!(
            typed_literal("2026-03-12T13:00Z", Some(&date)),
            "2026-03-12"
        );
        assert_eq!(typed_literal("20260312", Some(&date)), "20260312");
        assert_eq!(typed_literal("2026-03-12+05:00", Some(&date)), "2026-03-12");
        assert_eq!(typed_literal("2026-03-12-05:00", Some(&date)), "2026-03-12");
        assert_eq!(typed_literal("2026-03-12", None), "2026-03-12");
    }
}
