//! Content lines (RFC 5545 §3.1) written straight into the calendar's text: name,
//! parameter and value in one pass, TEXT escaped as the icalendar crate's `Property`
//! escapes it, then folded by [`fold_into`] — no intermediate string per line.
//!
//! The calendar used to write each line with the crate's `Property`, unfold the crate's
//! folding (it folds every 75 octets of content, one over the limit) and fold again. The
//! bytes are the same; the unit tests hold this writer to that route. The one case where
//! that route did something other than escape-then-fold is a raw CR in a value written
//! without cleaning (a URL, a UID): such a line still goes through the crate, so even
//! those bytes are unchanged.

use std::fmt::Write;

use chrono::{DateTime, Datelike, NaiveDate, NaiveDateTime, Timelike, Utc};
use icalendar::Property;

/// RFC 5545's limit on a physical line, in octets, CRLF not counted.
const LIMIT: usize = 75;

/// A calendar's text, a content line at a time.
pub struct Lines {
    out: String,
    /// A long line's text while it is folded back into `out`.
    scratch: String,
}

impl Lines {
    pub fn with_capacity(capacity: usize) -> Self {
        Lines {
            out: String::with_capacity(capacity),
            scratch: String::new(),
        }
    }

    pub fn into_string(self) -> String {
        self.out
    }

    /// Appends text that is already whole content lines.
    pub fn push_lines(&mut self, lines: &str) {
        self.out.push_str(lines);
    }

    /// `NAME:value`, the value written as given (not TEXT, or escaped already).
    pub fn raw(&mut self, name: &str, value: &str) {
        self.raw_with(name, None, value);
    }

    /// `NAME;KEY=VALUE:value`, the value written as given.
    pub fn raw_with(&mut self, name: &str, param: Option<(&str, &str)>, value: &str) {
        let param_cr = param.is_some_and(|(_, v)| v.contains('\r'));
        if param_cr || value.contains('\r') {
            self.through_crate(name, param, value);
        } else {
            self.line(name, param, |v| v.raw(value));
        }
    }

    /// A TEXT property written as the crate writes one it was handed as is: `\ ; , LF`
    /// escaped, nothing dropped (UID, TZID: the crate escapes them, we never cleaned them).
    /// The value is the concatenation of `parts`.
    pub fn escaped(&mut self, name: &str, parts: &[&str]) {
        if parts.iter().any(|p| p.contains('\r')) {
            self.through_crate(name, None, &parts.concat());
        } else {
            self.line(name, None, |v| parts.iter().for_each(|p| v.escaped(p)));
        }
    }

    /// A TEXT property (SUMMARY, DESCRIPTION, X-…): line ends normalised, other control
    /// characters dropped, then escaped.
    pub fn text(&mut self, name: &str, value: &str) {
        self.line(name, None, |v| v.text(value));
    }

    /// One content line whose value `write` produces.
    pub fn line(
        &mut self,
        name: &str,
        param: Option<(&str, &str)>,
        write: impl FnOnce(&mut Value),
    ) {
        let start = self.out.len();
        self.out.push_str(name);
        if let Some((key, value)) = param {
            self.out.push(';');
            self.out.push_str(key);
            self.out.push('=');
            push_param_value(&mut self.out, value);
        }
        self.out.push(':');
        write(&mut Value {
            out: &mut self.out,
            after_cr: false,
        });
        if self.out.len() - start <= LIMIT {
            self.out.push_str("\r\n");
        } else {
            self.scratch.clear();
            self.scratch.push_str(&self.out[start..]);
            self.out.truncate(start);
            fold_into(&mut self.out, &self.scratch);
        }
    }

    /// The old route, kept for values holding a raw CR: the crate writes and folds the line,
    /// we unfold it (which also takes out any CRLF-space of the value itself, and CRLFs
    /// ending it) and fold it again.
    fn through_crate(&mut self, name: &str, param: Option<(&str, &str)>, value: &str) {
        let mut property = Property::new(name, value);
        if let Some((key, value)) = param {
            property.add_parameter(key, value);
        }
        let written: String = property
            .try_into()
            .expect("writing to a String cannot fail");
        let line = written.trim_end_matches("\r\n").replace("\r\n ", "");
        fold_into(&mut self.out, &line);
    }
}

/// A parameter value, quoted as the crate quotes one holding `: ; ,`.
fn push_param_value(out: &mut String, value: &str) {
    let quoted = value.starts_with('"') && value.ends_with('"');
    if !quoted && value.contains([':', ';', ',']) {
        out.push('"');
        out.push_str(value);
        out.push('"');
    } else {
        out.push_str(value);
    }
}

/// The value of the content line being written.
pub struct Value<'a> {
    out: &'a mut String,
    /// The last character [`Value::text`] read was a CR (a LF right after it is the same
    /// line end, across calls).
    after_cr: bool,
}

impl Value<'_> {
    /// Written as given; it must hold no CR (a CR of a value written as given is left to
    /// the crate, see [`Lines::raw_with`]).
    pub fn raw(&mut self, value: &str) {
        debug_assert!(!value.contains('\r'), "a raw CR takes the crate's route");
        self.out.push_str(value);
        self.after_cr = false;
    }

    /// Escaped as the crate escapes TEXT (`\ ; , LF`); nothing dropped.
    pub fn escaped(&mut self, value: &str) {
        debug_assert!(!value.contains('\r'), "a raw CR takes the crate's route");
        let mut run = 0;
        for (i, byte) in value.bytes().enumerate() {
            let escape = match byte {
                b'\\' => "\\\\",
                b',' => "\\,",
                b';' => "\\;",
                b'\n' => "\\n",
                _ => continue,
            };
            self.out.push_str(&value[run..i]);
            self.out.push_str(escape);
            run = i + 1;
        }
        self.out.push_str(&value[run..]);
        self.after_cr = false;
    }

    /// TEXT as the calendar writes it: CRLF and CR become LF, other control characters
    /// (C0, DEL, C1) are dropped but TAB, then `\ ; , LF` are escaped. Consecutive calls
    /// read as one text (a CR at the end of one and a LF starting the next are one line
    /// end).
    pub fn text(&mut self, text: &str) {
        let bytes = text.as_bytes();
        let mut run = 0;
        let mut i = 0;
        while i < bytes.len() {
            let byte = bytes[i];
            // Most bytes are ordinary: one table look-up each.
            if !TEXT_SPECIAL[usize::from(byte)] {
                i += 1;
                continue;
            }
            let width = match byte {
                // U+0080 to U+009F, the C1 controls, start with 0xC2; other characters
                // starting with it are ordinary.
                0xc2 if bytes.get(i + 1).is_some_and(|b| (0x80..=0x9f).contains(b)) => 2,
                0xc2 => {
                    i += 1;
                    continue;
                }
                _ => 1,
            };
            let after_cr = self.after_cr && run == i;
            self.out.push_str(&text[run..i]);
            match byte {
                b'\\' => self.out.push_str("\\\\"),
                b',' => self.out.push_str("\\,"),
                b';' => self.out.push_str("\\;"),
                b'\r' => self.out.push_str("\\n"),
                b'\n' if !after_cr => self.out.push_str("\\n"),
                _ => {}
            }
            self.after_cr = byte == b'\r';
            i += width;
            run = i;
        }
        if run < bytes.len() {
            self.out.push_str(&text[run..]);
            self.after_cr = false;
        }
    }

    /// A UTC DATE-TIME: `20261105T170000Z`.
    pub fn utc(&mut self, time: DateTime<Utc>) {
        self.local(time.naive_utc());
        self.out.push('Z');
    }

    /// A local DATE-TIME: `20261105T120000`.
    pub fn local(&mut self, time: NaiveDateTime) {
        self.date(time.date());
        self.out.push('T');
        // As chrono's `%S`, a leap second is 60.
        let second = time.second() + time.nanosecond() / 1_000_000_000;
        for part in [time.hour(), time.minute(), second] {
            push_two_digits(self.out, part);
        }
        self.after_cr = false;
    }

    /// A DATE: `20261105`.
    pub fn date(&mut self, date: NaiveDate) {
        let year = date.year();
        if (0..=9999).contains(&year) {
            let year = year as u32;
            push_two_digits(self.out, year / 100);
            push_two_digits(self.out, year % 100);
        } else {
            write!(self.out, "{}", date.format("%Y")).expect("writing to a String cannot fail");
        }
        push_two_digits(self.out, date.month());
        push_two_digits(self.out, date.day());
        self.after_cr = false;
    }

    /// An INTEGER.
    pub fn number(&mut self, number: u32) {
        write!(self.out, "{number}").expect("writing to a String cannot fail");
        self.after_cr = false;
    }
}

/// The bytes [`Value::text`] stops at: `\\ , ;`, CR, LF, the C0 controls but TAB, DEL,
/// and 0xC2 (which starts the C1 controls).
const TEXT_SPECIAL: [bool; 256] = {
    let mut table = [false; 256];
    let mut byte = 0;
    while byte < 0x20 {
        table[byte] = byte != b'\t' as usize;
        byte += 1;
    }
    table[b'\\' as usize] = true;
    table[b',' as usize] = true;
    table[b';' as usize] = true;
    table[0x7f] = true;
    table[0xc2] = true;
    table
};

fn push_two_digits(out: &mut String, n: u32) {
    out.push(char::from(b'0' + (n / 10) as u8));
    out.push(char::from(b'0' + (n % 10) as u8));
}

/// Appends `line` folded as RFC 5545 §3.1 asks: no line longer than 75 octets (the
/// leading space of a continuation counts), never inside a UTF-8 character, CRLF ends.
pub fn fold_into(out: &mut String, line: &str) {
    let mut rest = line;
    let mut limit = LIMIT;
    loop {
        if rest.len() <= limit {
            out.push_str(rest);
            out.push_str("\r\n");
            return;
        }
        let mut cut = limit;
        while !rest.is_char_boundary(cut) {
            cut -= 1;
        }
        // Not next to white space (Unicode's, NBSP included): some readers trim the ends of
        // physical lines, and would lose it. (A run of spaces that long is left to be cut anywhere.)
        let mut careful = cut;
        while careful > limit / 2
            && (ends_in_space(&rest[..careful]) || starts_with_space(&rest[careful..]))
        {
            careful -= 1;
            while !rest.is_char_boundary(careful) {
                careful -= 1;
            }
        }
        if careful > limit / 2 {
            cut = careful;
        }
        out.push_str(&rest[..cut]);
        out.push_str("\r\n ");
        rest = &rest[cut..];
        limit = LIMIT - 1;
    }
}

fn ends_in_space(text: &str) -> bool {
    text.chars().next_back().is_some_and(char::is_whitespace)
}

fn starts_with_space(text: &str) -> bool {
    text.chars().next().is_some_and(char::is_whitespace)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The route every line took before this writer: the crate's `Property`, unfolded and
    /// folded again. `text` values were cleaned first.
    fn old_route(name: &str, param: Option<(&str, &str)>, value: &str) -> String {
        let mut lines = Lines::with_capacity(0);
        lines.through_crate(name, param, value);
        lines.into_string()
    }

    fn old_clean(text: &str) -> String {
        text.replace("\r\n", "\n")
            .replace('\r', "\n")
            .chars()
            .filter(|c| !c.is_control() || *c == '\n' || *c == '\t')
            .collect()
    }

    fn written(write: impl FnOnce(&mut Lines)) -> String {
        let mut lines = Lines::with_capacity(0);
        write(&mut lines);
        lines.into_string()
    }

    /// Text made of what trips writers up: escapes, line ends, controls, wide characters,
    /// white space, long runs.
    fn awkward() -> impl Strategy<Value = String> {
        let piece = prop_oneof![
            Just("\\".to_string()),
            Just(",".to_string()),
            Just(";".to_string()),
            Just(":".to_string()),
            Just("\"".to_string()),
            Just("\r\n".to_string()),
            Just("\r".to_string()),
            Just("\n".to_string()),
            Just("\r\n ".to_string()),
            Just("\t".to_string()),
            Just(" ".to_string()),
            Just("\u{a0}".to_string()),
            Just("\u{1}\u{7f}\u{85}\u{9f}\u{a0}".to_string()),
            Just("é🎉日本".to_string()),
            "[a-z]{1,90}",
            "\\PC{1,20}",
            any::<String>(),
        ];
        proptest::collection::vec(piece, 0..24).prop_map(|parts| parts.concat())
    }

    proptest! {
        #![proptest_config(ProptestConfig {
            cases: 400,
            rng_seed: proptest::test_runner::RngSeed::Fixed(0x11e5),
            failure_persistence: None,
            ..ProptestConfig::default()
        })]

        #[test]
        fn text_lines_are_what_the_crate_route_wrote(a in awkward(), b in awkward()) {
            for name in ["SUMMARY", "DESCRIPTION", "LOCATION", "X-WR-CALNAME", "TZNAME"] {
                prop_assert_eq!(
                    written(|l| l.text(name, &a)),
                    old_route(name, None, &old_clean(&a))
                );
                // Two calls are one text: a CR ending the first and a LF starting the
                // second are one line end.
                let joined = written(|l| l.line(name, None, |v| { v.text(&a); v.text(&b) }));
                prop_assert_eq!(joined, old_route(name, None, &old_clean(&format!("{a}{b}"))));
            }
            // A TEXT list's values are escaped one by one, as `escape_text` does.
            let list = written(|l| l.line("CATEGORIES", None, |v| { v.text(&a); v.raw(","); v.text(&b) }));
            let escaped = format!("{},{}", super::super::escape_text(&a), super::super::escape_text(&b));
            prop_assert_eq!(list, old_route("CATEGORIES", None, &escaped));
        }

        #[test]
        fn escaped_and_raw_lines_are_what_the_crate_route_wrote(a in awkward(), b in awkward()) {
            for name in ["UID", "TZID", "X-WR-TIMEZONE", "X-LIC-LOCATION", "X-PUBLISHED-TTL"] {
                prop_assert_eq!(
                    written(|l| l.escaped(name, &[&a, "@", &b])),
                    old_route(name, None, &format!("{a}@{b}"))
                );
            }
            let raw: [(&str, Option<(&str, &str)>); 6] = [
                ("URL", Some(("VALUE", "URI"))),
                ("CATEGORIES", None),
                ("BEGIN", None),
                ("RRULE", None),
                ("REFRESH-INTERVAL", Some(("VALUE", "DURATION"))),
                ("DTSTART", Some(("TZID", b.as_str()))),
            ];
            for (name, param) in raw {
                prop_assert_eq!(written(|l| l.raw_with(name, param, &a)), old_route(name, param, &a));
            }
        }

        #[test]
        fn dates_are_what_chrono_formats(seconds in -70_000_000_000i64..300_000_000_000, leap in any::<bool>()) {
            // chrono keeps a leap second only in the last second of a minute.
            let (seconds, nanos) = if leap {
                (seconds - seconds.rem_euclid(60) + 59, 1_500_000_000)
            } else {
                (seconds, 0)
            };
            let time = DateTime::from_timestamp(seconds, nanos).unwrap();
            let mut text = String::new();
            let mut value = Value { out: &mut text, after_cr: false };
            value.utc(time);
            value.date(time.date_naive());
            prop_assert_eq!(
                text,
                format!("{}{}", time.format("%Y%m%dT%H%M%SZ"), time.format("%Y%m%d"))
            );
        }
    }

    #[test]
    fn folding_counts_octets_and_respects_characters() {
        let mut out = String::new();
        let line = format!("DESCRIPTION:{}", "é".repeat(60));
        fold_into(&mut out, &line);
        for physical in out.trim_end_matches("\r\n").split("\r\n") {
            assert!(physical.len() <= 75, "{}", physical.len());
        }
        assert_eq!(out.trim_end_matches("\r\n").replace("\r\n ", ""), line);
        let mut short = String::new();
        fold_into(&mut short, "SUMMARY:x");
        assert_eq!(short, "SUMMARY:x\r\n");
    }

    #[test]
    fn folds_avoid_white_space() {
        let value = format!("{} {}", "a".repeat(66), "b".repeat(20));
        assert_eq!(
            written(|l| l.text("SUMMARY", &value)),
            format!("SUMMARY:{}\r\n a {}\r\n", "a".repeat(65), "b".repeat(20))
        );
    }
}
