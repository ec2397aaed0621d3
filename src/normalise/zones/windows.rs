//! Windows time zones as Outlook and Exchange name them in a TZID: the zone id
//! ("W. Europe Standard Time", mapped to IANA by CLDR's windowsZones table as the
//! `localzone` crate ships it), the display name ("(UTC+01:00) Amsterdam, Berlin, Bern,
//! Rome, Stockholm, Vienna", older "(GMT+01.00) …"), and the short labels older Outlook
//! versions wrote ("Western/Central Europe").
//!
//! The display names below are data: Windows' own "Display" strings for the zones
//! Canadian and UK departments and their partners use, each with the Windows id it
//! belongs to. A display name is matched by its offset and the words of its place list,
//! so reordered or older variants ("Greenwich Mean Time : Dublin, Edinburgh, Lisbon,
//! London") still match.

/// (Windows id, display text after the offset, standard offset in minutes).
const DISPLAY: &[(&str, &str, i32)] = &[
    (
        "Dateline Standard Time",
        "International Date Line West",
        -720,
    ),
    ("Hawaiian Standard Time", "Hawaii", -600),
    ("Alaskan Standard Time", "Alaska", -540),
    ("Pacific Standard Time (Mexico)", "Baja California", -480),
    ("Pacific Standard Time", "Pacific Time (US & Canada)", -480),
    (
        "Pacific Standard Time",
        "Pacific Time (US & Canada); Tijuana",
        -480,
    ),
    ("US Mountain Standard Time", "Arizona", -420),
    (
        "Mountain Standard Time (Mexico)",
        "Chihuahua, La Paz, Mazatlan",
        -420,
    ),
    (
        "Mountain Standard Time",
        "Mountain Time (US & Canada)",
        -420,
    ),
    ("Yukon Standard Time", "Yukon", -420),
    ("Central America Standard Time", "Central America", -360),
    ("Central Standard Time", "Central Time (US & Canada)", -360),
    (
        "Central Standard Time (Mexico)",
        "Guadalajara, Mexico City, Monterrey",
        -360,
    ),
    ("Canada Central Standard Time", "Saskatchewan", -360),
    (
        "SA Pacific Standard Time",
        "Bogota, Lima, Quito, Rio Branco",
        -300,
    ),
    ("Eastern Standard Time", "Eastern Time (US & Canada)", -300),
    ("US Eastern Standard Time", "Indiana (East)", -300),
    ("Atlantic Standard Time", "Atlantic Time (Canada)", -240),
    (
        "SA Western Standard Time",
        "Georgetown, La Paz, Manaus, San Juan",
        -240,
    ),
    ("Pacific SA Standard Time", "Santiago", -240),
    ("Newfoundland Standard Time", "Newfoundland", -210),
    (
        "Newfoundland Standard Time",
        "Newfoundland and Labrador",
        -210,
    ),
    ("E. South America Standard Time", "Brasilia", -180),
    ("Argentina Standard Time", "City of Buenos Aires", -180),
    ("Greenland Standard Time", "Greenland", -180),
    ("UTC", "Coordinated Universal Time", 0),
    ("GMT Standard Time", "Dublin, Edinburgh, Lisbon, London", 0),
    (
        "GMT Standard Time",
        "Greenwich Mean Time : Dublin, Edinburgh, Lisbon, London",
        0,
    ),
    ("Greenwich Standard Time", "Monrovia, Reykjavik", 0),
    (
        "Greenwich Standard Time",
        "Casablanca, Monrovia, Reykjavik",
        0,
    ),
    (
        "W. Europe Standard Time",
        "Amsterdam, Berlin, Bern, Rome, Stockholm, Vienna",
        60,
    ),
    (
        "Central Europe Standard Time",
        "Belgrade, Bratislava, Budapest, Ljubljana, Prague",
        60,
    ),
    (
        "Romance Standard Time",
        "Brussels, Copenhagen, Madrid, Paris",
        60,
    ),
    (
        "Central European Standard Time",
        "Sarajevo, Skopje, Warsaw, Zagreb",
        60,
    ),
    ("W. Central Africa Standard Time", "West Central Africa", 60),
    ("GTB Standard Time", "Athens, Bucharest", 120),
    ("GTB Standard Time", "Athens, Bucharest, Istanbul", 120),
    (
        "FLE Standard Time",
        "Helsinki, Kyiv, Riga, Sofia, Tallinn, Vilnius",
        120,
    ),
    (
        "FLE Standard Time",
        "Helsinki, Kiev, Riga, Sofia, Tallinn, Vilnius",
        120,
    ),
    ("Israel Standard Time", "Jerusalem", 120),
    ("South Africa Standard Time", "Harare, Pretoria", 120),
    ("Egypt Standard Time", "Cairo", 120),
    ("E. Europe Standard Time", "Chisinau", 120),
    ("Russian Standard Time", "Moscow, St. Petersburg", 180),
    (
        "Russian Standard Time",
        "Moscow, St. Petersburg, Volgograd",
        180,
    ),
    ("Turkey Standard Time", "Istanbul", 180),
    ("Arab Standard Time", "Kuwait, Riyadh", 180),
    ("E. Africa Standard Time", "Nairobi", 180),
    ("Iran Standard Time", "Tehran", 210),
    ("Arabian Standard Time", "Abu Dhabi, Muscat", 240),
    ("Pakistan Standard Time", "Islamabad, Karachi", 300),
    (
        "India Standard Time",
        "Chennai, Kolkata, Mumbai, New Delhi",
        330,
    ),
    ("Nepal Standard Time", "Kathmandu", 345),
    ("Bangladesh Standard Time", "Dhaka", 360),
    ("SE Asia Standard Time", "Bangkok, Hanoi, Jakarta", 420),
    (
        "China Standard Time",
        "Beijing, Chongqing, Hong Kong, Urumqi",
        480,
    ),
    ("Singapore Standard Time", "Kuala Lumpur, Singapore", 480),
    ("W. Australia Standard Time", "Perth", 480),
    ("Taipei Standard Time", "Taipei", 480),
    ("Tokyo Standard Time", "Osaka, Sapporo, Tokyo", 540),
    ("Korea Standard Time", "Seoul", 540),
    ("Cen. Australia Standard Time", "Adelaide", 570),
    ("AUS Central Standard Time", "Darwin", 570),
    ("E. Australia Standard Time", "Brisbane", 600),
    (
        "AUS Eastern Standard Time",
        "Canberra, Melbourne, Sydney",
        600,
    ),
    ("Tasmania Standard Time", "Hobart", 600),
    ("New Zealand Standard Time", "Auckland, Wellington", 720),
];

/// Short labels older Outlook and Exchange versions wrote as TZIDs.
const LABELS: &[(&str, &str)] = &[
    ("Western/Central Europe", "W. Europe Standard Time"),
    ("Central Europe", "Central Europe Standard Time"),
    ("Romance", "Romance Standard Time"),
    ("GMT", "GMT Standard Time"),
    ("Greenwich Mean Time", "GMT Standard Time"),
    ("Eastern Time", "Eastern Standard Time"),
    ("Central Time", "Central Standard Time"),
    ("Mountain Time", "Mountain Standard Time"),
    ("Pacific Time", "Pacific Standard Time"),
    ("Atlantic Time", "Atlantic Standard Time"),
    ("Newfoundland", "Newfoundland Standard Time"),
    ("Saskatchewan", "Canada Central Standard Time"),
];

/// The IANA name a Windows id, display name or Outlook label stands for.
pub fn to_iana(name: &str) -> Option<String> {
    let name = name.trim();
    if let Some(iana) = localzone::win_zone_to_iana(name, None) {
        return Some(iana.to_string());
    }
    if let Some((_, id)) = LABELS
        .iter()
        .find(|(label, _)| label.eq_ignore_ascii_case(name))
    {
        return localzone::win_zone_to_iana(id, None).map(str::to_string);
    }
    let (offset, text) = split_offset(name);
    let words = words(text);
    if words.is_empty() {
        return None;
    }
    let best = DISPLAY
        .iter()
        .filter(|(_, _, minutes)| offset.is_none_or(|o| o == *minutes))
        .map(|(id, display, _)| (id, overlap(&words, &self::words(display))))
        .filter(|(_, score)| *score >= 0.6)
        .max_by(|a, b| a.1.total_cmp(&b.1))?;
    localzone::win_zone_to_iana(best.0, None).map(str::to_string)
}

/// "(UTC-05:00) Eastern Time" → (Some(-300), "Eastern Time"); also `(GMT+01.00)`, `(UTC)`,
/// `(GMT)` and the bare `GMT-05:00 ` prefix.
fn split_offset(name: &str) -> (Option<i32>, &str) {
    let inner_end = name.find(')');
    let (head, rest) = match (name.strip_prefix('('), inner_end) {
        (Some(_), Some(end)) => (&name[1..end], &name[end + 1..]),
        _ => return (None, name),
    };
    let head = head.trim();
    let digits = head
        .strip_prefix("UTC")
        .or_else(|| head.strip_prefix("GMT"))
        .map(str::trim);
    let Some(digits) = digits else {
        return (None, name);
    };
    if digits.is_empty() {
        return (Some(0), rest);
    }
    let sign = match digits.chars().next() {
        Some('+') => 1,
        Some('-') => -1,
        _ => return (None, rest),
    };
    let mut parts = digits[1..].split([':', '.']);
    let hours: i32 = parts
        .next()
        .and_then(|h| h.trim().parse().ok())
        .unwrap_or(0);
    let minutes: i32 = parts
        .next()
        .and_then(|m| m.trim().parse().ok())
        .unwrap_or(0);
    (Some(sign * (hours * 60 + minutes)), rest)
}

fn words(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .filter(|w| !matches!(w.as_str(), "and" | "time" | "us" | "of"))
        .collect()
}

/// Dice coefficient of two word lists.
fn overlap(a: &[String], b: &[String]) -> f64 {
    if a.is_empty() || b.is_empty() {
        return 0.0;
    }
    let shared = a.iter().filter(|w| b.contains(w)).count();
    2.0 * shared as f64 / (a.len() + b.len()) as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_display_names_and_labels() {
        assert_eq!(
            to_iana("Eastern Standard Time").as_deref(),
            Some("America/New_York")
        );
        assert_eq!(
            to_iana("(UTC-05:00) Eastern Time (US & Canada)").as_deref(),
            Some("America/New_York")
        );
        assert_eq!(
            to_iana("(GMT) Greenwich Mean Time : Dublin, Edinburgh, Lisbon, London").as_deref(),
            Some("Europe/London")
        );
        assert_eq!(
            to_iana("(UTC+01:00) Amsterdam, Berlin, Bern, Rome, Stockholm, Vienna").as_deref(),
            Some("Europe/Berlin")
        );
        assert_eq!(
            to_iana("Western/Central Europe").as_deref(),
            Some("Europe/Berlin")
        );
        assert_eq!(
            to_iana("(UTC-03:30) Newfoundland").as_deref(),
            Some("America/St_Johns")
        );
        assert_eq!(
            to_iana("(UTC-04:00) Newfoundland"),
            None,
            "offset disagrees"
        );
        assert_eq!(to_iana("Customized Time Zone"), None);
        assert_eq!(to_iana("Somewhere"), None);
    }
}
