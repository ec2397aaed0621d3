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

use icalendar::parser::{ParseString, read_components};

/// Components nest at most this deep (VCALENDAR › VEVENT › VALARM is 3; RFC 9073's
/// PARTICIPANT › VLOCATION adds two). Deeper nesting is refused, naming the line.
pub const MAX_DEPTH: usize = 8;

/// A property as written: upper-cased name and parameter keys, the raw (escaped) value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Prop {
    pub name: String,
    pub params: Vec<(String, String)>,
    pub value: String,
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

    /// The value as TEXT, unescaped (`\,` `\;` `\n` `\\`), trimmed.
    pub fn text(&self) -> String {
        ParseString::from(self.value.as_str())
            .unescape_text()
            .as_str()
            .trim()
            .to_string()
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

    /// A TEXT property's unescaped value, `None` when absent or blank.
    pub fn text(&self, name: &str) -> Option<String> {
        self.prop(name).map(Prop::text).filter(|t| !t.is_empty())
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
                    close(open, &mut stack, &mut out);
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
                        close(open, &mut stack, &mut out);
                    }
                    let open = stack.pop().expect("position is in the stack");
                    close(open, &mut stack, &mut out);
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
        close(open, &mut stack, &mut out);
    }
    out
}

/// Parses a finished component's lines and attaches it to its parent. A VCALENDAR's
/// components are top-level wherever it stands (a calendar pasted inside another too).
fn close(open: Open, stack: &mut [Open], out: &mut Structure) {
    let props = parse_props(&open.name, &open.lines, &mut out.warnings);
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
    if let Some(props) = crate_props(&block, lines) {
        return props;
    }
    let mut props = Vec::with_capacity(lines.len());
    for (number, line) in lines {
        let one = |text: &str| {
            crate_props(
                &format!("BEGIN:X\r\n{text}\r\nEND:X\r\n"),
                &[(*number, String::new())],
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
fn crate_props(block: &str, lines: &[(usize, String)]) -> Option<Vec<Prop>> {
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
                value: property.val.as_str().to_string(),
                line: *number,
            })
            .collect(),
    )
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
}
