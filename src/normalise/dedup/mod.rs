//! When two listings are the same event, and what the merged event says.
//!
//! Matching is deliberately conservative and deterministic: the starts must agree to the
//! minute (time zones already resolved), the titles must be near-identical once case,
//! punctuation and filler words are set aside, and where both give a place or a page, one
//! of them must agree. Two different sessions at the same time in the same building
//! therefore stay two events. Merging keeps, field by field, the richest value, and
//! records which source each came from. Another language's version of an event is paired
//! by other evidence (`language`), and kept as a version of its own.

use std::collections::BTreeMap;

use crate::model::{Event, EventTime};

pub mod language;
mod similarity;

/// How alike two titles must be (Sørensen–Dice over character bigrams) to be one event.
const TITLE_THRESHOLD: f64 = 0.72;

/// Words that vary between departments' wordings of the same title.
const FILLER: &[&str] = &[
    "the",
    "a",
    "an",
    "of",
    "and",
    "le",
    "la",
    "les",
    "de",
    "des",
    "du",
    "et",
    "session",
    "event",
    "événement",
];

/// The comparable core of a title: lower case, letters and digits, filler words dropped,
/// common spellings unified ("meet-up" = "meetup", "CoP" = "community of practice").
pub fn title_key(title: &str) -> String {
    let lowered = title
        .to_lowercase()
        .replace("community of practice", "cop")
        .replace("communauté de pratique", "cop");
    let spaced: String = lowered
        .chars()
        .map(|c| {
            if c.is_alphanumeric() {
                c
            } else if c == '-' {
                '\u{0}'
            } else {
                ' '
            }
        })
        .collect::<String>()
        .replace('\u{0}', "");
    spaced
        .split_whitespace()
        .filter(|w| !FILLER.contains(w))
        .collect::<Vec<_>>()
        .join(" ")
}

/// Words that tell otherwise alike titles apart: numbers, months, days, parts; each
/// once, sorted.
fn distinguishing(key: &str) -> std::collections::BTreeSet<&str> {
    marks(key).collect()
}

/// A title key's distinguishing words, sorted, each once, joined by spaces (`""` for
/// none): stored beside the key, so candidates whose words conflict with a listing's are
/// passed over inside the index, without being read (see [`Probe::marks_key`]).
pub fn title_marks(key: &str) -> String {
    distinguishing(key)
        .into_iter()
        .collect::<Vec<_>>()
        .join(" ")
}

/// Whether a title key's distinguishing words conflict with `mine` (sorted, each once):
/// both have some, and they are not the same set. Allocates nothing, since it runs for
/// every candidate at the same minute.
fn marks_conflict(mine: &[String], other_key: &str) -> bool {
    if mine.is_empty() {
        return false;
    }
    let mut theirs_any = false;
    let mut matched = vec_bits::Bits::new(mine.len());
    for word in marks(other_key) {
        theirs_any = true;
        match mine.binary_search_by(|m| m.as_str().cmp(word)) {
            Ok(i) => matched.set(i),
            Err(_) => return true,
        }
    }
    theirs_any && !matched.all()
}

/// A fixed set of flags, on the stack for up to 64.
mod vec_bits {
    pub enum Bits {
        Small(u64, usize),
        Large(Vec<bool>),
    }

    impl Bits {
        pub fn new(len: usize) -> Bits {
            if len <= 64 {
                Bits::Small(0, len)
            } else {
                Bits::Large(vec![false; len])
            }
        }

        pub fn set(&mut self, i: usize) {
            match self {
                Bits::Small(bits, _) => *bits |= 1 << i,
                Bits::Large(flags) => flags[i] = true,
            }
        }

        pub fn all(&self) -> bool {
            match self {
                Bits::Small(bits, len) => bits.count_ones() as usize == *len,
                Bits::Large(flags) => flags.iter().all(|f| *f),
            }
        }
    }
}

fn marks(key: &str) -> impl Iterator<Item = &str> {
    const MARKERS: &[&str] = &[
        "january",
        "february",
        "march",
        "april",
        "may",
        "june",
        "july",
        "august",
        "september",
        "october",
        "november",
        "december",
        "janvier",
        "février",
        "mars",
        "avril",
        "mai",
        "juin",
        "juillet",
        "août",
        "septembre",
        "octobre",
        "novembre",
        "décembre",
        "monday",
        "tuesday",
        "wednesday",
        "thursday",
        "friday",
        "lundi",
        "mardi",
        "mercredi",
        "jeudi",
        "vendredi",
        "part",
        "partie",
        "i",
        "ii",
        "iii",
        "iv",
        "first",
        "second",
        "third",
        "final",
        "premier",
        "deuxième",
        "troisième",
        "beginner",
        "advanced",
        "débutant",
        "avancé",
        "english",
        "french",
        "anglais",
        "français",
    ];
    key.split_whitespace()
        .filter(|w| w.chars().any(|c| c.is_ascii_digit()) || MARKERS.contains(w))
}

/// Title similarity in 0..=1.
pub fn title_similarity(a: &str, b: &str) -> f64 {
    let (a, b) = (title_key(a), title_key(b));
    if a == b {
        return 1.0;
    }
    strsim::sorensen_dice(&a, &b)
}

fn place_key(text: &str) -> String {
    title_key(text)
}

/// Whether `a` and `b` describe the same event; the score orders candidates.
pub fn match_score(a: &Event, b: &Event) -> Option<f64> {
    Probe::new(a).score(&Candidate::of(b))
}

/// What matching needs of an event already stored.
#[derive(Debug, Clone, Copy)]
pub struct Candidate<'a> {
    pub title: &'a str,
    /// Its [`title_key`], when the store kept it.
    pub title_key: Option<&'a str>,
    pub start: EventTime,
    pub location_name: Option<&'a str>,
    pub location_address: Option<&'a str>,
    pub url: Option<&'a str>,
    pub online_url: Option<&'a str>,
}

impl<'a> Candidate<'a> {
    pub fn of(event: &'a Event) -> Candidate<'a> {
        Candidate {
            title: &event.title,
            title_key: None,
            start: event.start,
            location_name: event.location_name.as_deref(),
            location_address: event.location_address.as_deref(),
            url: event.url.as_deref(),
            online_url: event.online_url.as_deref(),
        }
    }

    fn place(&self) -> Option<&'a str> {
        self.location_name.or(self.location_address)
    }
}

/// An event about to be compared with many candidates, its keys worked out once.
pub struct Probe<'a> {
    event: Candidate<'a>,
    key: String,
    bigrams: similarity::Bigrams,
    /// `distinguishing(key)`, computed once for every candidate.
    marks: Vec<String>,
    place: Option<String>,
}

impl<'a> Probe<'a> {
    pub fn new(event: &'a Event) -> Probe<'a> {
        let event = Candidate::of(event);
        let key = title_key(event.title);
        Probe {
            bigrams: similarity::Bigrams::of(&key),
            marks: distinguishing(&key).into_iter().map(String::from).collect(),
            key,
            place: event.place().map(place_key),
            event,
        }
    }

    /// [`title_marks`] of this title: a candidate whose marks are neither empty nor
    /// these cannot agree (`None` when the title has none, so any candidate may).
    pub fn marks_key(&self) -> Option<String> {
        (!self.marks.is_empty()).then(|| self.marks())
    }

    /// The title's key ([`title_key`]).
    pub fn key(&self) -> &str {
        &self.key
    }

    /// The title's distinguishing words as [`title_marks`] writes them (`""` for none).
    pub fn marks(&self) -> String {
        self.marks.join(" ")
    }

    /// Whether a title with this key can be the same event's: alike enough, and no
    /// conflicting numbers, months or parts. [`Probe::score`] asks the same first, so a
    /// candidate this refuses need not be read whole.
    pub fn title_agrees(&self, other_key: &str) -> bool {
        self.title_score(other_key).is_some()
    }

    fn title_score(&self, other_key: &str) -> Option<f64> {
        // The cheaper test first; both must pass.
        if marks_conflict(&self.marks, other_key) {
            return None;
        }
        let title = if self.key == other_key {
            1.0
        } else {
            self.bigrams.dice(other_key)
        };
        (title >= TITLE_THRESHOLD).then_some(title)
    }

    /// Whether the candidate is the same event; the score orders candidates.
    pub fn score(&self, other: &Candidate<'_>) -> Option<f64> {
        let (a, b) = (&self.event, other);
        let same_start = match (a.start, b.start) {
            (EventTime::At(x), EventTime::At(y)) => (x - y).num_seconds().abs() < 60,
            (EventTime::Date(x), EventTime::Date(y)) => x == y,
            _ => false,
        };
        if !same_start {
            return None;
        }
        let computed;
        let other_key = match b.title_key {
            Some(key) => key,
            None => {
                computed = title_key(b.title);
                computed.as_str()
            }
        };
        let title = self.title_score(other_key)?;
        // Evidence from place and page: where both sides give one, one must agree.
        let same_url =
            both(a.url, b.url).map(|(x, y)| x.trim_end_matches('/') == y.trim_end_matches('/'));
        let same_online = both(a.online_url, b.online_url).map(|(x, y)| x == y);
        let same_place = match (&self.place, b.place()) {
            (Some(x), Some(y)) => {
                let y = place_key(y);
                Some(
                    x.contains(&y) || y.contains(x.as_str()) || strsim::sorensen_dice(x, &y) >= 0.6,
                )
            }
            _ => None,
        };
        let evidence = [same_url, same_online, same_place];
        if evidence.contains(&Some(true)) || evidence.iter().all(Option::is_none) {
            let bonus = evidence.iter().filter(|e| **e == Some(true)).count() as f64 * 0.1;
            Some(title + bonus)
        } else {
            None
        }
    }
}

fn both<'a>(a: Option<&'a str>, b: Option<&'a str>) -> Option<(&'a str, &'a str)> {
    Some((a?, b?))
}

/// One source's version of an event.
#[derive(Debug, Clone)]
pub struct Listing {
    pub source_id: String,
    pub event: Event,
    /// Still listed by its source (not missing from its recent fetches).
    pub listed: bool,
}

/// The merged event and, per field, the source it came from.
#[derive(Debug, Clone, PartialEq)]
pub struct Merged {
    pub event: Event,
    pub provenance: BTreeMap<&'static str, String>,
    /// The event in the languages other than the lead's, and the translation links given.
    pub versions: language::Versions,
}

/// Merges listings, given in priority order (first registered first). The first listing
/// that still lists the event leads: its title, times, status and language; descriptions
/// take the longest in the lead's language, the page the first in it; other fields the
/// first listing that has them. Listings in other languages make the other versions.
pub fn merge(listings: &[Listing]) -> Option<Merged> {
    let mut ordered: Vec<&Listing> = listings.iter().filter(|l| l.listed).collect();
    if ordered.is_empty() {
        ordered = listings.iter().collect();
    }
    let lead = *ordered.first()?;
    let lead_language = language::of(lead);
    let versions = language::Versions::of(&ordered, lead_language.as_deref());
    let own: Vec<&Listing> = ordered
        .iter()
        .copied()
        .filter(|l| language::belongs(lead_language.as_deref(), language::of(l).as_deref()))
        .collect();
    let mut event = lead.event.clone();
    let mut provenance = BTreeMap::new();
    for field in ["title", "start", "end", "status"] {
        provenance.insert(field, lead.source_id.clone());
    }
    macro_rules! first_with {
        ($field:ident, $name:literal) => {
            first_with!($field, $name, ordered)
        };
        ($field:ident, $name:literal, $among:ident) => {
            if let Some(l) = $among.iter().find(|l| l.event.$field.is_some()) {
                event.$field = l.event.$field.clone();
                provenance.insert($name, l.source_id.clone());
            }
        };
    }
    first_with!(end, "end");
    first_with!(timezone, "timezone");
    first_with!(location_name, "location_name");
    first_with!(location_address, "location_address");
    first_with!(online_url, "online_url");
    first_with!(url, "url", own);
    first_with!(organiser, "organiser");
    first_with!(language, "language");
    let longest = |get: fn(&Event) -> Option<&String>| {
        own.iter()
            .filter_map(|l| get(&l.event).map(|text| (text.chars().count(), l)))
            .max_by(|a, b| {
                a.0.cmp(&b.0)
                    .then_with(|| b.1.source_id.cmp(&a.1.source_id))
            })
            .map(|(_, l)| *l)
    };
    if let Some(l) = longest(|e| e.description_text.as_ref()) {
        event.description_text = l.event.description_text.clone();
        provenance.insert("description_text", l.source_id.clone());
    }
    if let Some(l) = longest(|e| e.description_html.as_ref()) {
        event.description_html = l.event.description_html.clone();
        provenance.insert("description_html", l.source_id.clone());
    }
    let mut categories: Vec<String> = Vec::new();
    for l in &ordered {
        for c in &l.event.categories {
            if !categories.iter().any(|x| x.eq_ignore_ascii_case(c)) {
                categories.push(c.clone());
            }
        }
    }
    event.categories = categories;
    Some(Merged {
        event,
        provenance,
        versions,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::EventStatus;

    fn event(title: &str, start: &str, place: Option<&str>) -> Event {
        Event {
            source_id: "s".into(),
            uid: title.into(),
            series_uid: None,
            title: title.into(),
            description_text: None,
            description_html: None,
            start: EventTime::At(start.parse().unwrap()),
            end: None,
            timezone: None,
            location_name: place.map(str::to_string),
            location_address: None,
            online_url: None,
            url: None,
            organiser: None,
            language: None,
            status: EventStatus::Confirmed,
            categories: vec![],
            translations: vec![],
        }
    }

    #[test]
    fn reworded_titles_of_one_event_match() {
        let a = event(
            "Data Science Community of Practice: November meetup",
            "2026-11-18T17:00:00Z",
            Some("90 Elgin Street, Ottawa"),
        );
        let b = event(
            "Data science CoP — November meet-up",
            "2026-11-18T17:00:00Z",
            Some("90 Elgin St., Ottawa, Room 101"),
        );
        assert!(
            match_score(&a, &b).is_some(),
            "similarity {}",
            title_similarity(&a.title, &b.title)
        );
    }

    #[test]
    fn near_misses_stay_apart() {
        let a = event(
            "Data Science Community of Practice: November meetup",
            "2026-11-18T17:00:00Z",
            Some("90 Elgin Street"),
        );
        let other_session = event(
            "Accessibility lunch and learn",
            "2026-11-18T17:00:00Z",
            Some("90 Elgin Street"),
        );
        let other_time = event(
            "Data Science Community of Practice: November meetup",
            "2026-11-18T18:00:00Z",
            Some("90 Elgin Street"),
        );
        let other_place = event(
            "Data Science Community of Practice: November meetup",
            "2026-11-18T17:00:00Z",
            Some("Harbour Centre, Vancouver"),
        );
        let next_month = event(
            "Data Science Community of Practice: December meetup",
            "2026-11-18T17:00:00Z",
            Some("90 Elgin Street"),
        );
        assert!(match_score(&a, &other_session).is_none());
        assert!(match_score(&a, &other_time).is_none());
        assert!(match_score(&a, &other_place).is_none());
        assert!(
            match_score(&a, &next_month).is_none(),
            "similarity {}",
            title_similarity(&a.title, &next_month.title)
        );
    }

    #[test]
    fn merging_keeps_the_richest_fields_and_says_where_from() {
        let mut first = event("CoP meetup", "2026-11-18T17:00:00Z", None);
        first.description_text = Some("Short.".into());
        let mut second = event(
            "Data science CoP meetup",
            "2026-11-18T17:00:00Z",
            Some("90 Elgin"),
        );
        second.source_id = "t".into();
        second.description_text = Some("A much longer description of the meetup.".into());
        second.categories = vec!["data".into()];
        let merged = merge(&[
            Listing {
                source_id: "s".into(),
                event: first,
                listed: true,
            },
            Listing {
                source_id: "t".into(),
                event: second,
                listed: true,
            },
        ])
        .unwrap();
        assert_eq!(merged.event.title, "CoP meetup");
        assert_eq!(merged.event.location_name.as_deref(), Some("90 Elgin"));
        assert_eq!(
            merged.event.description_text.as_deref(),
            Some("A much longer description of the meetup.")
        );
        assert_eq!(merged.provenance["location_name"], "t");
        assert_eq!(merged.provenance["title"], "s");
        assert_eq!(merged.event.categories, ["data"]);
    }

    proptest::proptest! {
        /// The store passes over candidates by their marks (`store::listings`); that may
        /// only drop candidates the probe refuses anyway.
        #[test]
        fn candidates_passed_over_by_marks_are_refused(
            a in "(lunch|learn|[0-9]{1,3}|march|mars|part|friday|q[1-4]|[a-zé]{1,6}| ){0,8}",
            b in "(lunch|learn|[0-9]{1,3}|march|mars|part|friday|q[1-4]|[a-zé]{1,6}| ){0,8}",
        ) {
            let probe_event = event(&a, "2026-11-18T17:00:00Z", None);
            let probe = Probe::new(&probe_event);
            let theirs = title_marks(&title_key(&b));
            let passed_over = probe
                .marks_key()
                .is_some_and(|mine| !theirs.is_empty() && theirs != mine);
            if passed_over {
                proptest::prop_assert!(!probe.title_agrees(&title_key(&b)), "{a} / {b}");
            }
        }
    }
}
