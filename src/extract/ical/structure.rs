//! The shape of an iCalendar file: content lines grouped into components, read without
//! recursion so no file can exhaust the stack.
//!
//! The icalendar crate parses properties; its component parser is recursive and refuses a
//! whole calendar for one bad line, so this module does the grouping itself (BEGIN/END,
//! with a depth bound and recovery from missing or mismatched END lines) and hands the
//! crate one flat block of property lines per component — or, when a block is refused,
//! one line at a time, after the small repairs real files need (white space around names,
//! parameters and the value separator). What the crate cannot read even then is skipped
//! with a warning naming the line.
//!
//! TEXT values (RFC 5545 §3.3.11) are unescaped exactly once. The crate already unescapes
//! the value of a property it reads as TEXT (by its value type: the name as written, or a
//! `VALUE=` parameter) and leaves the others as written (dates, rules, URIs, TEXT lists,
//! names it does not know or that are not upper case). Which of the two it did is asked of
//! the crate itself, once per name and `VALUE=` (see [`Unescapes`]), and kept in
//! [`Prop::unescaped`]; [`Prop::text`] unescapes, with the crate's own unescaping, only a
//! value the crate has not.

use std::collections::HashMap;

use icalendar::parser::{ParseString, Property, read_components};
use icalendar::{Component as _, EventLike as _};

/// Components nest at most this deep (VCALENDAR › VEVENT › VALARM is 3; RFC 9073's
/// PARTICIPANT › VLOCATION adds two). Deeper nesting is refused, naming the line.
pub const MAX_DEPTH: usize = 8;

/// A property as the icalendar crate read it: upper-cased name and parameter keys,
/// parameter values as written, and the value as written unless the crate has unescaped
/// it as TEXT already ([`Prop::unescaped`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Prop {
    pub name: String,
    pub params: Vec<(String, String)>,
    /// The value: as written for dates, times, rules, URIs, numbers and TEXT lists; TEXT
    /// the crate has unescaped when [`Prop::unescaped`]. Read TEXT with [`Prop::text`].
    pub value: String,
    /// The crate has unescaped `value` as TEXT already.
    pub unescaped: bool,
    /// Line of the unfolded file, from 1.
    pub line: usize,
}

impl Prop {
    /// A parameter's value, without surrounding quotes.
    pub fn param(&self, key: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.trim().trim_matches('"'))
    }

    /// The value as TEXT, unescaped exactly once (`\\` `\;` `\,` `\n` `\N`, and the
    /// lenient `\:`; any other backslash is kept, as Python's icalendar keeps it), nothing
    /// trimmed: as the crate gives it when it has unescaped it, else through the crate's
    /// own unescaping.
    pub fn text(&self) -> String {
        if self.unescaped {
            return self.value.clone();
        }
        ParseString::from(self.value.as_str())
            .unescape_text()
            .as_str()
            .to_string()
    }

    /// The value as a TEXT list (CATEGORIES, RESOURCES): split at the commas that are not
    /// escaped, each item unescaped once, by the crate's own list reading. Nothing trimmed
    /// or dropped. A value the crate has unescaped already has lost the difference between
    /// a separator and an escaped comma, so it is one item.
    pub fn text_list(&self) -> Vec<String> {
        if self.unescaped {
            return vec![self.value.clone()];
        }
        icalendar::Event::new()
            .add_property("CATEGORIES", self.value.as_str())
            .get_categories()
            .unwrap_or_default()
    }
}

/// A component with its properties and sub-components.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Comp {
    pub name: String,
    pub props: Vec<Prop>,
    pub children: Vec<Comp>,
    /// The line of its BEGIN, from 1.
    pub line: usize,
}

impl Comp {
    pub fn prop(&self, name: &str) -> Option<&Prop> {
        self.props.iter().find(|p| p.name == name)
    }

    pub fn all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Prop> + 'a {
        self.props.iter().filter(move |p| p.name == name)
    }

    /// A TEXT property's value, unescaped once and trimmed (as Bulletin keeps titles,
    /// places and descriptions); `None` when absent or blank.
    pub fn text(&self, name: &str) -> Option<String> {
        self.prop(name)
            .map(|p| p.text().trim().to_string())
            .filter(|t| !t.is_empty())
    }

    /// A property's value as written (a URI, a number: not TEXT), trimmed; `None` when
    /// absent or blank.
    pub fn value(&self, name: &str) -> Option<String> {
        self.prop(name)
            .map(|p| p.value.trim().to_string())
            .filter(|v| !v.is_empty())
    }
}

/// A file's top-level components (those of every VCALENDAR, and any written outside
/// one), the VCALENDAR's own properties, and what could not be read.
#[derive(Debug, Default)]
pub struct Structure {
    pub calendar_props: Vec<Prop>,
    pub components: Vec<Comp>,
    pub saw_calendar: bool,
    pub warnings: Vec<String>,
}

/// Components that only ever stand at the top of a calendar: a BEGIN of one of these
/// inside another means the other was never ended.
const TOP_LEVEL: &[&str] = &[
    "VEVENT",
    "VTODO",
    "VJOURNAL",
    "VFREEBUSY",
    "VTIMEZONE",
    "VAVAILABILITY",
];

/// A component being read: its lines, not yet parsed.
struct Open {
    name: String,
    line: usize,
    lines: Vec<(usize, String)>,
    children: Vec<Comp>,
}

/// Groups unfolded text into components; `lines[i]` is the file's line number of
/// unfolded line `i + 1` (for warnings).
pub fn read(unfolded: &str, lines: &[usize]) -> Structure {
    let mut out = Structure::default();
    let mut unescapes = Unescapes::default();
    let mut stack: Vec<Open> = Vec::new();
    // Inside a component refused for its depth: skip until its END brings us back.
    let mut skipping: Option<(usize, String, usize)> = None;
    for (index, raw) in unfolded.split('\n').enumerate() {
        let number = lines.get(index).copied().unwrap_or(index + 1);
        let line = raw.trim_end_matches('\r');
        if line.trim().is_empty() {
            continue;
        }
        let (name, value) = name_and_value(line);
        let is_begin = name == "BEGIN";
        let is_end = name == "END";
        if let Some((depth, skipped_name, begun)) = &mut skipping {
            if is_begin {
                *depth += 1;
            } else if is_end {
                *depth -= 1;
                if *depth == 0 {
                    out.warnings.push(format!(
                        "line {begun}: {skipped_name} nests components deeper than {MAX_DEPTH} levels; skipped"
                    ));
                    skipping = None;
                }
            }
            continue;
        }
        if is_begin {
            let component = value.trim().to_ascii_uppercase();
            out.saw_calendar |= component == "VCALENDAR";
            if TOP_LEVEL.contains(&component.as_str()) {
                // An unterminated component ends where the next top-level one begins.
                while stack.last().is_some_and(|open| open.name != "VCALENDAR") {
                    let open = stack.pop().expect("checked");
                    out.warnings.push(format!(
                        "line {}: {} has no END:{}; read up to line {}",
                        open.line,
                        open.name,
                        open.name,
                        number - 1
                    ));
                    close(open, &mut stack, &mut out, &mut unescapes);
                }
            }
            let depth = stack.len() + 1;
            if depth > MAX_DEPTH {
                // Refuse the whole top-level component this belongs to, and skip to its END.
                let base = usize::from(stack.first().is_some_and(|o| o.name == "VCALENDAR"));
                let top = stack.drain(base..).next();
                let (name, begun) = top.map_or((component, number), |t| (t.name, t.line));
                skipping = Some((depth - base, name, begun));
                continue;
            }
            stack.push(Open {
                name: component,
                line: number,
                lines: Vec::new(),
                children: Vec::new(),
            });
            continue;
        }
        if is_end {
            let component = value.trim().to_ascii_uppercase();
            match stack.iter().rposition(|open| open.name == component) {
                Some(position) => {
                    while stack.len() > position + 1 {
                        let open = stack.pop().expect("checked");
                        out.warnings.push(format!(
                            "line {}: {} has no END:{}; read up to line {}",
                            open.line,
                            open.name,
                            open.name,
                            number - 1
                        ));
                        close(open, &mut stack, &mut out, &mut unescapes);
                    }
                    let open = stack.pop().expect("position is in the stack");
                    close(open, &mut stack, &mut out, &mut unescapes);
                }
                None => out.warnings.push(format!(
                    "line {number}: END:{component} without a BEGIN; ignored"
                )),
            }
            continue;
        }
        // Text outside any component has nothing to read.
        if let Some(open) = stack.last_mut() {
            open.lines.push((number, line.to_string()));
        }
    }
    if let Some((_, name, begun)) = skipping {
        out.warnings.push(format!(
            "line {begun}: {name} nests components deeper than {MAX_DEPTH} levels; skipped"
        ));
    }
    while let Some(open) = stack.pop() {
        if open.name != "VCALENDAR" {
            out.warnings.push(format!(
                "line {}: {} has no END:{}; read to the end of the file",
                open.line, open.name, open.name
            ));
        }
        close(open, &mut stack, &mut out, &mut unescapes);
    }
    out
}

/// Parses a finished component's lines and attaches it to its parent. A VCALENDAR's
/// components are top-level wherever it stands (a calendar pasted inside another too).
fn close(open: Open, stack: &mut [Open], out: &mut Structure, unescapes: &mut Unescapes) {
    let props = parse_props(&open.name, &open.lines, &mut out.warnings, unescapes);
    if open.name == "VCALENDAR" {
        out.calendar_props.extend(props);
        out.components.extend(open.children);
        return;
    }
    let comp = Comp {
        name: open.name,
        props,
        children: open.children,
        line: open.line,
    };
    match stack.last_mut() {
        Some(parent) if parent.name != "VCALENDAR" => parent.children.push(comp),
        _ => out.components.push(comp),
    }
}

/// The upper-cased name of a content line and what follows its first `:` (for BEGIN/END).
fn name_and_value(line: &str) -> (String, &str) {
    let trimmed = line.trim_start();
    let end = trimmed.find([';', ':']).unwrap_or(trimmed.len());
    let name = trimmed[..end].trim().to_ascii_uppercase();
    let value = trimmed[end..].strip_prefix(':').unwrap_or("");
    (name, value)
}

/// Parses property lines through the icalendar crate: the whole block at once, else
/// line by line with repairs.
fn parse_props(
    component: &str,
    lines: &[(usize, String)],
    warnings: &mut Vec<String>,
    unescapes: &mut Unescapes,
) -> Vec<Prop> {
    if lines.is_empty() {
        return Vec::new();
    }
    let mut block =
        String::with_capacity(lines.iter().map(|(_, l)| l.len() + 2).sum::<usize>() + 32);
    // CRLF, as the RFC writes it: the crate finds a value's end by looking for "\r\n"
    // first, so with bare LF it would scan the rest of the block for every property.
    block.push_str("BEGIN:X\r\n");
    for (_, line) in lines {
        block.push_str(line);
        block.push_str("\r\n");
    }
    block.push_str("END:X\r\n");
    if let Some(props) = crate_props(&block, lines, unescapes) {
        return props;
    }
    let mut props = Vec::with_capacity(lines.len());
    for (number, line) in lines {
        let mut one = |text: &str| {
            crate_props(
                &format!("BEGIN:X\r\n{text}\r\nEND:X\r\n"),
                &[(*number, String::new())],
                unescapes,
            )
        };
        match one(line).or_else(|| repair(line).and_then(|fixed| one(&fixed))) {
            Some(mut parsed) if parsed.len() == 1 => props.append(&mut parsed),
            _ => warnings.push(format!(
                "line {number}: unreadable property in {component}: `{}`; skipped",
                shorten(line)
            )),
        }
    }
    props
}

/// Runs the crate's parser on a block of `lines.len()` property lines.
fn crate_props(
    block: &str,
    lines: &[(usize, String)],
    unescapes: &mut Unescapes,
) -> Option<Vec<Prop>> {
    let components = read_components(block).ok()?;
    let component = components.into_iter().next()?;
    if component.properties.len() != lines.len() || !component.components.is_empty() {
        return None;
    }
    Some(
        component
            .properties
            .into_iter()
            .zip(lines)
            .map(|(property, (number, _))| Prop {
                name: property.name.as_str().trim().to_ascii_uppercase(),
                params: property
                    .params
                    .iter()
                    .map(|p| {
                        (
                            p.key.as_str().trim().to_ascii_uppercase(),
                            p.val
                                .as_ref()
                                .map(|v| v.as_str().to_string())
                                .unwrap_or_default(),
                        )
                    })
                    .collect(),
                unescaped: unescapes.of(&property),
                value: property.val.as_str().to_string(),
                line: *number,
            })
            .collect(),
    )
}

/// Whether the crate unescapes a property's value as TEXT, which depends on the property's
/// value type: its name as written and its `VALUE=` parameter. The crate is asked, once
/// per name and `VALUE=` in a file, by reading a property of that name and parameter whose
/// value is one escape (`\;`).
#[derive(Default)]
struct Unescapes(HashMap<String, bool>);

impl Unescapes {
    fn of(&mut self, property: &Property) -> bool {
        let value_params = property
            .params
            .iter()
            .filter(|p| p.key.as_str().eq_ignore_ascii_case("VALUE"));
        let mut key = property.name.as_str().to_string();
        for param in value_params {
            key.push(';');
            key.push_str(param.key.as_str());
            if let Some(value) = &param.val {
                let value = value.as_str();
                key.push('=');
                if value.contains([':', ';', ',']) {
                    key.push('"');
                    key.push_str(value);
                    key.push('"');
                } else {
                    key.push_str(value);
                }
            }
        }
        if let Some(known) = self.0.get(&key) {
            return *known;
        }
        // Unanswered (it cannot be, the crate has read this name and parameter once): taken
        // as unescaped, so a value is never unescaped twice.
        let answer = read_components(&format!("BEGIN:X\r\n{key}:\\;\r\nEND:X\r\n"))
            .ok()
            .and_then(|components| components.into_iter().next())
            .and_then(|component| component.properties.into_iter().next())
            .is_none_or(|probe| probe.val.as_str() != "\\;");
        self.0.insert(key, answer);
        answer
    }
}

/// White space around the name, each parameter and the value separator removed (outside
/// quoted parameter values); `None` when there is nothing to repair.
fn repair(line: &str) -> Option<String> {
    let mut in_quotes = false;
    let mut separator = None;
    for (at, c) in line.char_indices() {
        match c {
            '"' => in_quotes = !in_quotes,
            ':' if !in_quotes => {
                separator = Some(at);
                break;
            }
            _ => {}
        }
    }
    let separator = separator?;
    let (head, value) = (&line[..separator], &line[separator + 1..]);
    let mut parts = Vec::new();
    let mut current = String::new();
    in_quotes = false;
    for c in head.chars() {
        match c {
            '"' => {
                in_quotes = !in_quotes;
                current.push(c);
            }
            ';' if !in_quotes => parts.push(std::mem::take(&mut current)),
            _ => current.push(c),
        }
    }
    parts.push(current);
    let mut fixed = String::with_capacity(line.len());
    for (index, part) in parts.iter().enumerate() {
        let part = part.trim();
        if index > 0 {
            if part.is_empty() {
                continue;
            }
            fixed.push(';');
            match part.split_once('=') {
                Some((key, val)) => {
                    fixed.push_str(key.trim());
                    fixed.push('=');
                    fixed.push_str(val.trim());
                }
                None => fixed.push_str(part),
            }
        } else {
            fixed.push_str(part);
        }
    }
    fixed.push(':');
    fixed.push_str(value.trim_start());
    (fixed != line).then_some(fixed)
}

fn shorten(line: &str) -> String {
    let mut short: String = line.chars().take(60).collect();
    if short.len() < line.len() {
        short.push('…');
    }
    short
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read_all(text: &str) -> Structure {
        read(text, &[])
    }

    fn names(structure: &Structure) -> Vec<String> {
        structure
            .components
            .iter()
            .map(|c| c.name.clone())
            .collect()
    }

    #[test]
    fn components_properties_and_children() {
        let s = read_all(
            "BEGIN:VCALENDAR\nVERSION:2.0\nBEGIN:VEVENT\nUID:a\nSUMMARY:Hi\\, there\nBEGIN:VALARM\nACTION:DISPLAY\nEND:VALARM\nEND:VEVENT\nEND:VCALENDAR\n",
        );
        assert!(s.saw_calendar);
        assert_eq!(s.calendar_props[0].name, "VERSION");
        assert_eq!(names(&s), ["VEVENT"]);
        let event = &s.components[0];
        assert_eq!(event.text("SUMMARY").as_deref(), Some("Hi, there"));
        assert_eq!(event.children[0].name, "VALARM");
        assert_eq!(event.line, 3);
        assert!(s.warnings.is_empty(), "{:?}", s.warnings);
    }

    #[test]
    fn deep_nesting_is_refused_without_recursion() {
        let mut text = String::from("BEGIN:VCALENDAR\nBEGIN:VEVENT\nUID:deep\n");
        for _ in 0..100_000 {
            text.push_str("BEGIN:X\n");
        }
        for _ in 0..100_000 {
            text.push_str("END:X\n");
        }
        text.push_str("END:VEVENT\nBEGIN:VEVENT\nUID:fine\nEND:VEVENT\nEND:VCALENDAR\n");
        let s = read_all(&text);
        assert_eq!(names(&s), ["VEVENT"]);
        assert_eq!(s.components[0].text("UID").as_deref(), Some("fine"));
        assert!(
            s.warnings[0].contains("deeper than 8 levels"),
            "{:?}",
            s.warnings
        );
    }

    #[test]
    fn an_unterminated_event_ends_where_the_next_begins() {
        let s = read_all(
            "BEGIN:VCALENDAR\nBEGIN:VEVENT\nUID:a\nBEGIN:VEVENT\nUID:b\nEND:VEVENT\nBEGIN:VEVENT\nUID:c\nEND:VCALENDAR\n",
        );
        let uids: Vec<_> = s
            .components
            .iter()
            .map(|c| c.text("UID").unwrap())
            .collect();
        assert_eq!(uids, ["a", "b", "c"]);
        assert_eq!(s.warnings.len(), 2, "{:?}", s.warnings);
        assert!(s.warnings[0].starts_with("line 2: VEVENT has no END:VEVENT"));
    }

    #[test]
    fn lenient_lines_are_repaired_and_bad_ones_named() {
        let s = read_all(
            "BEGIN:VCALENDAR\nbegin:vevent\nuid:x\nDTSTART ; TZID = \"Eastern: Time\" : 20260312T120000\nSUMMARY:ok\nEND:VEVENT\nEND:VCALENDAR\n",
        );
        let event = &s.components[0];
        assert_eq!(event.text("UID").as_deref(), Some("x"));
        let start = event.prop("DTSTART").expect("repaired");
        assert_eq!(start.param("TZID"), Some("Eastern: Time"));
        assert_eq!(start.value.trim(), "20260312T120000");
        assert_eq!(event.text("SUMMARY").as_deref(), Some("ok"));
    }

    #[test]
    fn components_outside_a_calendar_are_read() {
        let s = read_all("BEGIN:VEVENT\nUID:loose\nEND:VEVENT\n");
        assert!(!s.saw_calendar);
        assert_eq!(names(&s), ["VEVENT"]);
    }

    /// A VEVENT of `lines` (LF-separated, as `read` gets them after unfolding).
    fn event(lines: &str) -> Comp {
        let s = read_all(&format!(
            "BEGIN:VCALENDAR\nBEGIN:VEVENT\n{lines}\nEND:VEVENT\nEND:VCALENDAR\n"
        ));
        assert!(s.warnings.is_empty(), "{:?}", s.warnings);
        s.components.into_iter().next().expect("one VEVENT")
    }

    fn texts(comp: &Comp) -> Vec<String> {
        comp.props.iter().map(Prop::text).collect()
    }

    #[test]
    fn text_is_unescaped_exactly_once_whoever_reads_the_name() {
        // As written in a file: `\\n` is a backslash and an n, `\\,` a backslash and a
        // comma, `C:\\temp\\new` a Windows path, a final `\\` one backslash.
        let value = r"a\\nb c\\,d C:\\temp\\new e\Nf g\nh i\;j k\,l m\:n o\tp q\\\\r end\\";
        let want = "a\\nb c\\,d C:\\temp\\new e\nf g\nh i;j k,l m:n o\\tp q\\\\r end\\";
        // The crate unescapes the first three (TEXT by name, X-, VALUE=TEXT) and leaves the
        // others (not upper case, a name it does not know): each is unescaped once.
        let comp = event(
            &[
                format!("SUMMARY:{value}"),
                format!("X-WR-CALDESC:{value}"),
                format!("NAME;VALUE=TEXT:{value}"),
                format!("Description:{value}"),
                format!("NAME:{value}"),
                format!("x-alt-desc:{value}"),
            ]
            .join("\n"),
        );
        assert_eq!(texts(&comp), vec![want; 6]);
        let unescaped: Vec<_> = comp.props.iter().map(|p| p.unescaped).collect();
        assert_eq!(unescaped, [true, true, true, false, false, false]);
        // A lone backslash at the very end is kept, as Python's icalendar keeps it.
        let comp = event("LOCATION:Room 1\\, Bldg\\; 2 \\\nlocation:Room 1\\, Bldg\\; 2 \\");
        assert_eq!(texts(&comp), vec!["Room 1, Bldg; 2 \\"; 2]);
    }

    #[test]
    fn repaired_and_single_lines_are_unescaped_once_too() {
        // A line the crate refuses in the block is read alone, after repair.
        let comp = event(
            "UID:x\nSUMMARY ; LANGUAGE = fr : C:\\\\temp\\\\new\\, \\\\n\nDTSTART;;;:\nLOCATION:a\\\\,b",
        );
        assert_eq!(comp.text("SUMMARY").as_deref(), Some("C:\\temp\\new, \\n"));
        assert_eq!(comp.text("LOCATION").as_deref(), Some("a\\,b"));
    }

    #[test]
    fn values_that_are_not_text_are_as_written() {
        let comp = event(
            "URL:https://x.example/a\\,b\\\\c?d=1,2;e=3\nATTACH;FMTTYPE=application/pdf:https://x.example/f\\,g\\\\h.pdf\nGEO:45.42;-75.69\nDTSTART;TZID=\"C:\\\\zones\\, odd\":20260312T120000\nRRULE:FREQ=WEEKLY;BYDAY=MO,WE\nurl:http://y.example/\\n",
        );
        let value = |name: &str| comp.prop(name).map(|p| p.value.as_str());
        assert_eq!(value("URL"), Some("https://x.example/a\\,b\\\\c?d=1,2;e=3"));
        assert_eq!(comp.value("URL").as_deref(), value("URL"));
        assert_eq!(value("ATTACH"), Some("https://x.example/f\\,g\\\\h.pdf"));
        assert_eq!(value("GEO"), Some("45.42;-75.69"));
        assert_eq!(value("RRULE"), Some("FREQ=WEEKLY;BYDAY=MO,WE"));
        let start = comp.prop("DTSTART").unwrap();
        assert_eq!(start.value, "20260312T120000");
        assert_eq!(start.param("TZID"), Some("C:\\\\zones\\, odd"));
        assert!(
            !comp
                .props
                .iter()
                .any(|p| p.unescaped && p.name != "SUMMARY")
        );
        assert_eq!(comp.props[5].value, "http://y.example/\\n");
    }

    #[test]
    fn a_text_list_splits_at_unescaped_commas_only() {
        let comp = event(
            "CATEGORIES:One\\, two,Three\\\\,Four\\;x,Five\\\\\\,six,C:\\\\p,\\N, sp ace ,\ncategories:Low\\,case,b",
        );
        let lists: Vec<_> = comp.props.iter().map(Prop::text_list).collect();
        assert_eq!(
            lists,
            [
                vec![
                    "One, two",
                    "Three\\",
                    "Four;x",
                    "Five\\,six",
                    "C:\\p",
                    "\n",
                    " sp ace ",
                    ""
                ],
                vec!["Low,case", "b"],
            ]
        );
    }
}
