//! Property values by the microformats2 parsing rules, as mf2py 2.0.2 reads them: `p-*`
//! (value-class pattern, `abbr`/`link` title, `data`/`input` value, `img`/`area` alt,
//! else the text), `u-*` (`href`, `src`, `data`…, then as `p-*`, made absolute), `dt-*`
//! (value-class date and time parts joined, `time`/`ins`/`del` datetime, `abbr` title,
//! `data` value, else the text; a time alone takes the date of the last dt-* read before
//! it in the same microformat) and `e-*` (the text).
//!
//! One deliberate difference: the value-class `value-title` pattern reads the `title` of
//! the `value-title` element, as the pattern says. mf2py reads the `title` of the dt-*
//! element itself (a bug that loses such dates).
//!
//! The date normalisation (`7pm` → `19:00`, `-08:00` → `-0800`, ordinal dates inside a
//! date-time) is mf2py's, on its own regular expressions; chrono converts ordinal dates.

use std::sync::LazyLock;

use chrono::NaiveDate;
use regex::{Captures, Regex};
use scraper::ElementRef;

use super::text::{Images, get_text, stripped, text_content};
use crate::budget::{Budget, Exhausted};
use crate::extract::html::links;

const DATE: &str = r"(\d{4}-\d{2}-\d{2})|(\d{4}-\d{3})";
const SECONDS: &str = r"(:(?P<second>\d{2})(\.\d+)?)";
const AMPM: &str = r"am|pm|a\.m\.|p\.m\.|AM|PM|A\.M\.|P\.M\.";
const ZONE: &str = r"Z|[+-]\d{1,2}:?\d{2}?";

fn time_re() -> String {
    let raw = format!(r"(?P<hour>\d{{1,2}})(:(?P<minute>\d{{2}}){SECONDS}?)?");
    format!(r"(?P<rawtime>{raw})( ?(?P<ampm>{AMPM}))?( ?(?P<tz>{ZONE}))?")
}

/// `re.match(X + "$", s)`: anchored at the start; `$` also matches before a final line
/// break; and an alternation at the top of X binds looser than `$` (so `DATE + "$"`
/// accepts anything that starts with a full date).
static DATETIME: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(&format!(
        r"^(?P<date>{DATE})(?P<separator>[T ])(?P<time>{})$",
        time_re()
    ))
    .expect("static regex")
});
static TIME: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(&format!("^{}$", time_re())).expect("static regex"));
static DATE_ONLY: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^(?:\d{4}-\d{2}-\d{2}|\d{4}-\d{3}$)").expect("static regex"));
static ZONE_ONLY: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^(?:Z|[+-]\d{1,2}:?\d{2}$)").expect("static regex"));

/// The text without one final line break, as Python's `$` allows.
fn dollar(text: &str) -> &str {
    text.strip_suffix('\n').unwrap_or(text)
}

fn datetime_match(text: &str) -> Option<Captures<'_>> {
    DATETIME.captures(dollar(text))
}

fn is_time(text: &str) -> bool {
    TIME.is_match(dollar(text))
}

/// mf2py's `normalize_datetime`.
pub fn normalise(text: &str) -> String {
    let Some(found) = datetime_match(text) else {
        return text.to_string();
    };
    let mut date = found["date"].to_string();
    if let Ok(ordinal) = NaiveDate::parse_from_str(&date, "%Y-%j") {
        date = ordinal.format("%Y-%m-%d").to_string();
    }
    let mut hour = found["hour"].to_string();
    let minute = found.name("minute").map_or("00", |m| m.as_str());
    if let Some(ampm) = found.name("ampm").map(|m| m.as_str()) {
        let value: u32 = hour.parse().unwrap_or(0);
        if ampm.starts_with(['a', 'A']) && value == 12 {
            hour = "00".into();
        }
        if ampm.starts_with(['p', 'P']) && value < 12 {
            hour = (value + 12).to_string();
        }
    }
    let mut out = format!("{date}{}{hour}:{minute}", &found["separator"]);
    if let Some(second) = found.name("second") {
        out.push(':');
        out.push_str(second.as_str());
    }
    if let Some(zone) = found.name("tz") {
        out.push_str(&zone.as_str().replace(':', ""));
    }
    out
}

/// The element's direct children with class `value` or `value-title`.
fn value_parts<'a>(
    element: ElementRef<'a>,
    classes: &dyn Fn(ElementRef) -> Vec<String>,
) -> Vec<ElementRef<'a>> {
    element
        .children()
        .filter_map(ElementRef::wrap)
        .filter(|c| c.value().name() != "template")
        .filter(|c| {
            classes(*c)
                .iter()
                .any(|k| k == "value" || k == "value-title")
        })
        .collect()
}

fn is_value_title(element: ElementRef, classes: &dyn Fn(ElementRef) -> Vec<String>) -> bool {
    classes(element).iter().any(|k| k == "value-title")
}

/// What a `p-*` (and the value-class part of a `u-*`) reads.
pub fn text(
    element: ElementRef,
    base: &str,
    classes: &dyn Fn(ElementRef) -> Vec<String>,
    budget: &mut Budget,
) -> Result<String, Exhausted> {
    if let Some(joined) = value_class_text(element, classes) {
        return Ok(joined);
    }
    let el = element.value();
    let attribute = match el.name() {
        "abbr" | "link" => el.attr("title"),
        "data" | "input" => el.attr("value"),
        "img" | "area" => el.attr("alt"),
        _ => None,
    };
    match attribute {
        Some(value) => Ok(value.to_string()),
        None => text_content(
            element,
            Images {
                replace: true,
                to_src: true,
                base,
            },
            budget,
        ),
    }
}

fn value_class_text(
    element: ElementRef,
    classes: &dyn Fn(ElementRef) -> Vec<String>,
) -> Option<String> {
    let parts = value_parts(element, classes);
    if parts.is_empty() {
        return None;
    }
    Some(
        parts
            .into_iter()
            .map(|part| {
                if is_value_title(part, classes) {
                    part.value().attr("title").unwrap_or_default().to_string()
                } else {
                    get_text(part)
                }
            })
            .collect(),
    )
}

/// A `u-*` value: a link, or an image with its alt text.
pub enum Link {
    Url(String),
    Image { src: String },
}

pub fn url(
    element: ElementRef,
    base: &str,
    classes: &dyn Fn(ElementRef) -> Vec<String>,
    budget: &mut Budget,
) -> Result<Link, Exhausted> {
    let el = element.value();
    let name = el.name();
    let mut value: Option<String> = match name {
        "a" | "area" | "link" => el.attr("href").map(str::to_string),
        _ => None,
    };
    if value.is_none() && name == "img" {
        if let Some(src) = el.attr("src") {
            let src = links::join(base, src);
            return Ok(
                if el.attr("alt").is_some() || el.attr("srcset").is_some_and(|s| !s.is_empty()) {
                    Link::Image { src }
                } else {
                    Link::Url(src)
                },
            );
        }
    }
    let attribute = |names: &[&str], attribute: &str| {
        names
            .contains(&name)
            .then(|| el.attr(attribute).map(str::to_string))
            .flatten()
    };
    value = value
        .or_else(|| attribute(&["audio", "video", "source", "iframe"], "src"))
        .or_else(|| attribute(&["video"], "poster"))
        .or_else(|| attribute(&["object"], "data"))
        .or_else(|| value_class_text(element, classes))
        .or_else(|| attribute(&["abbr"], "title"))
        .or_else(|| attribute(&["data", "input"], "value"));
    let value = match value {
        Some(value) => value,
        None => text_content(
            element,
            Images {
                replace: false,
                to_src: false,
                base,
            },
            budget,
        )?,
    };
    Ok(Link::Url(links::join(base, &value)))
}

/// A `dt-*` value and the date it makes the default for later times, given the current
/// default.
pub fn datetime(
    element: ElementRef,
    default_date: Option<&str>,
    classes: &dyn Fn(ElementRef) -> Vec<String>,
    budget: &mut Budget,
) -> Result<(Option<String>, Option<String>), Exhausted> {
    let parts = value_parts(element, classes);
    if !parts.is_empty() {
        return Ok(value_class_datetime(&parts, default_date, classes));
    }
    let el = element.value();
    let attribute = match el.name() {
        "time" | "ins" | "del" => el.attr("datetime"),
        "abbr" => el.attr("title"),
        "data" | "input" => el.attr("value"),
        _ => None,
    };
    let value = match attribute {
        Some(value) => value.to_string(),
        None => text_content(
            element,
            Images {
                replace: false,
                to_src: false,
                base: "",
            },
            budget,
        )?,
    };
    if let Some(date) = default_date.filter(|_| is_time(&value)) {
        return Ok((
            Some(normalise(&format!("{date} {value}"))),
            Some(date.to_string()),
        ));
    }
    let date = datetime_match(&value).map(|m| m["date"].to_string());
    Ok((Some(normalise(&value)), date))
}

fn value_class_datetime(
    parts: &[ElementRef],
    default_date: Option<&str>,
    classes: &dyn Fn(ElementRef) -> Vec<String>,
) -> (Option<String>, Option<String>) {
    let mut texts = Vec::new();
    for part in parts {
        let el = part.value();
        let or_text = |attribute: Option<&str>| {
            attribute
                .filter(|a| !a.is_empty())
                .map(str::to_string)
                .unwrap_or_else(|| get_text(*part))
        };
        let text = if is_value_title(*part, classes) {
            el.attr("title").unwrap_or_default().to_string()
        } else {
            match el.name() {
                "img" | "area" => or_text(el.attr("alt")),
                "data" => or_text(el.attr("value")),
                "abbr" => or_text(el.attr("title")),
                "del" | "ins" | "time" => or_text(el.attr("datetime")),
                _ => get_text(*part),
            }
        };
        if !text.is_empty() {
            texts.push(stripped(&text));
        }
    }
    let (mut date, mut time, mut zone) = (None::<String>, None::<String>, None::<String>);
    for part in texts {
        if let Some(found) = datetime_match(&part) {
            let date = found["date"].to_string();
            return (Some(normalise(&part)), Some(date));
        }
        if is_time(&part) && time.is_none() {
            time = Some(part);
        } else if DATE_ONLY.is_match(dollar(&part)) && date.is_none() {
            date = Some(part);
        } else if ZONE_ONLY.is_match(dollar(&part)) && zone.is_none() {
            zone = Some(part);
        }
    }
    let date = date.or_else(|| default_date.map(str::to_string));
    let mut value = match (&date, &time) {
        (Some(d), Some(t)) => Some(format!("{d} {t}")),
        (d, t) => d.clone().or_else(|| t.clone()),
    };
    if let (Some(v), Some(z)) = (&mut value, &zone) {
        v.push_str(z);
    }
    (value.map(|v| normalise(&v)), date)
}

#[cfg(test)]
mod tests {
    use super::*;
    use scraper::{Html, Selector};

    fn dt(html: &str, default: Option<&str>) -> (Option<String>, Option<String>) {
        let page = Html::parse_fragment(html);
        let el = page
            .select(&Selector::parse(".dt-start").unwrap())
            .next()
            .unwrap();
        let classes =
            |e: ElementRef| -> Vec<String> { e.value().classes().map(str::to_string).collect() };
        datetime(el, default, &classes, &mut Budget::unlimited()).unwrap()
    }

    #[test]
    fn normalisation_as_mf2py() {
        assert_eq!(normalise("2026-03-12 7pm"), "2026-03-12 19:00");
        assert_eq!(
            normalise("2026-03-12T1:30pm-08:00"),
            "2026-03-12T13:30-0800"
        );
        assert_eq!(normalise("2013-034 12:00:05"), "2013-02-03 12:00:05");
        assert_eq!(normalise("2013-034"), "2013-034");
        assert_eq!(normalise("12 am"), "12 am");
        assert_eq!(normalise("2026-03-12T12:00am"), "2026-03-12T00:00");
    }

    #[test]
    fn value_classes_times_and_default_dates() {
        assert_eq!(
            dt(
                r#"<span class="dt-start"><span class="value">2026-03-12</span> <span class="value">12:00</span></span>"#,
                None
            ),
            (Some("2026-03-12 12:00".into()), Some("2026-03-12".into()))
        );
        assert_eq!(
            dt(
                r#"<span class="dt-start"><span class="value">13:30</span></span>"#,
                Some("2026-03-12")
            ),
            (Some("2026-03-12 13:30".into()), Some("2026-03-12".into()))
        );
        assert_eq!(
            dt(r#"<time class="dt-start">20:30</time>"#, None),
            (Some("20:30".into()), None)
        );
        assert_eq!(
            dt(
                r#"<span class="dt-start" title="x"><span class="value-title" title="2026-04-24T17:00:00-05:00"></span>Friday</span>"#,
                None
            ),
            (
                Some("2026-04-24T17:00:00-0500".into()),
                Some("2026-04-24".into())
            ),
            "value-title reads its own title"
        );
        assert_eq!(
            dt(
                r#"<abbr class="dt-start" title="2026-04-29, 13 h">29 avril</abbr>"#,
                None
            ),
            (Some("2026-04-29, 13 h".into()), None)
        );
    }
}
