//! Language versions of one event. Canadian departments publish every event twice, an
//! English and a French page (or calendar), whose titles share nothing; so a listing is
//! another language's version of a stored event not by its title but by what pairs the
//! two publications:
//!
//! - its source and one of the event's sources are each other's translation (the
//!   operator said so with `translation_of`, or their documents link each other with
//!   `hreflang` alternates or a language toggle), and the event starts and ends at the same
//!   minutes, agreeing on place and online link wherever both give one;
//! - or one of the two links the other's page as its translation (schema.org
//!   `workTranslation`/`translationOfWork`/`sameAs`, or the event page's own toggle), and
//!   the event starts (and, where both give one, ends) at the same minute.
//!
//! The merged event then keeps one version per language: the version it leads with (the
//! first lister's, as for any merge) in its own row, and the others here, each from the
//! listings in that language.

use std::collections::BTreeSet;

use sha2::{Digest, Sha256};

use super::{Listing, title_key};
use crate::model::{Event, EventTime, EventVersion};
use crate::normalise::language;

/// A translation scores below any title match, so that where a reworded listing in the
/// same language and a translation both qualify, the same-language event wins.
const TRANSLATION_SCORE: f64 = 0.5;

/// What the store knows of an event a listing may be another language's version of.
#[derive(Debug, Clone, Default)]
pub struct Counterpart<'a> {
    pub start: Option<EventTime>,
    pub end: Option<EventTime>,
    pub location_name: Option<&'a str>,
    pub location_address: Option<&'a str>,
    pub online_url: Option<&'a str>,
    /// The event's own pages: its url and each version's.
    pub urls: Vec<&'a str>,
    /// The translation links its listings gave.
    pub links: Vec<&'a str>,
    /// Whether a source paired with the listing's lists it.
    pub listed_by_partner: bool,
}

/// How a listing is another language's version of `other`, scored; `None` when it is not.
pub fn translation_score(listing: &Event, other: &Counterpart<'_>) -> Option<f64> {
    let start = other.start?;
    if !same_minute(listing.start, start) {
        return None;
    }
    let linked = listing
        .translations
        .iter()
        .any(|t| other.urls.iter().any(|u| same_page(&t.url, u)))
        || listing
            .url
            .as_deref()
            .is_some_and(|mine| other.links.iter().any(|l| same_page(mine, l)));
    let ends_agree = match (listing.end, other.end) {
        (Some(a), Some(b)) => same_minute(a, b),
        (None, None) => true,
        // A page may leave the end out; only an explicit link between the two says
        // enough without it.
        _ => linked,
    };
    if !(ends_agree && (linked || other.listed_by_partner)) {
        return None;
    }
    fn place<'x>(name: Option<&'x str>, address: Option<&'x str>) -> Option<&'x str> {
        name.or(address)
    }
    let same_place = match (
        place(
            listing.location_name.as_deref(),
            listing.location_address.as_deref(),
        ),
        place(other.location_name, other.location_address),
    ) {
        (Some(a), Some(b)) => Some(places_agree(a, b)),
        _ => None,
    };
    let same_online = match (listing.online_url.as_deref(), other.online_url) {
        (Some(a), Some(b)) => Some(same_page(a, b)),
        _ => None,
    };
    if same_place == Some(false) || same_online == Some(false) {
        return None;
    }
    let agreeing = [same_place, same_online, linked.then_some(true)]
        .iter()
        .filter(|e| **e == Some(true))
        .count();
    Some(TRANSLATION_SCORE + 0.05 * agreeing as f64)
}

fn same_minute(a: EventTime, b: EventTime) -> bool {
    match (a, b) {
        (EventTime::At(x), EventTime::At(y)) => (x - y).num_seconds().abs() < 60,
        (EventTime::Date(x), EventTime::Date(y)) => x == y,
        _ => false,
    }
}

/// Two addresses of one page: the same once the fragment, a trailing slash and the case
/// of the scheme and host are set aside.
pub fn same_page(a: &str, b: &str) -> bool {
    page_key(a) == page_key(b)
}

/// An address as [`same_page`] compares it.
pub fn page_key(url: &str) -> String {
    let url = url.trim();
    let without_fragment = url.split('#').next().unwrap_or(url);
    match url::Url::parse(without_fragment) {
        Ok(parsed) => parsed.as_str().trim_end_matches('/').to_string(),
        Err(_) => without_fragment.trim_end_matches('/').to_string(),
    }
}

/// Words a place shares with its translation that say nothing about which place it is.
const GENERIC_PLACE_WORDS: &[&str] = &[
    "street",
    "st",
    "avenue",
    "ave",
    "road",
    "rd",
    "boulevard",
    "blvd",
    "drive",
    "room",
    "floor",
    "building",
    "suite",
    "centre",
    "center",
    "hall",
    "tower",
    "rue",
    "salle",
    "étage",
    "édifice",
    "immeuble",
    "bureau",
    "pièce",
    "place",
    "promenade",
    "chemin",
    "tour",
    "local",
    "canada",
];

/// Words that say an event is held online, in either language.
const ONLINE_WORDS: &[&str] = &[
    "online",
    "virtual",
    "ligne",
    "virtuel",
    "virtuelle",
    "teams",
    "zoom",
    "webex",
    "webinar",
    "webinaire",
];

/// Whether two places, perhaps written in two languages, are one: alike as the same
/// language's places are (one holds the other, or near-identical), else the same numbers
/// (street and room) and, without numbers, a distinctive word in common ("Elgin",
/// "Gatineau"); two online places are one.
pub fn places_agree(a: &str, b: &str) -> bool {
    let (ka, kb) = (title_key(a), title_key(b));
    if ka.is_empty() || kb.is_empty() {
        return true;
    }
    if ka.contains(&kb) || kb.contains(&ka) || strsim::sorensen_dice(&ka, &kb) >= 0.6 {
        return true;
    }
    let online = |k: &str| k.split_whitespace().any(|w| ONLINE_WORDS.contains(&w));
    if online(&ka) && online(&kb) {
        return true;
    }
    let numbers = |k: &str| -> BTreeSet<String> {
        k.split_whitespace()
            .filter(|w| w.chars().any(|c| c.is_ascii_digit()))
            .map(|w| w.chars().filter(char::is_ascii_digit).collect())
            .collect()
    };
    let words = |k: &str| -> BTreeSet<String> {
        k.split_whitespace()
            .filter(|w| {
                w.chars().count() >= 4
                    && w.chars().all(char::is_alphabetic)
                    && !GENERIC_PLACE_WORDS.contains(w)
            })
            .map(str::to_string)
            .collect()
    };
    let (na, nb) = (numbers(&ka), numbers(&kb));
    if !na.is_empty() && !nb.is_empty() {
        // Every number of the shorter address is in the longer one (a room number may be
        // left out of one of them).
        return na.is_subset(&nb) || nb.is_subset(&na);
    }
    words(&ka).intersection(&words(&kb)).next().is_some()
}

/// The language code of a listing, when it has a readable one.
pub fn of(listing: &Listing) -> Option<String> {
    listing.event.language.as_deref().and_then(language::code)
}

/// Whether a listing in `language` belongs to the version in `lead` (an unknown language on
/// either side belongs to it).
pub fn belongs(lead: Option<&str>, language: Option<&str>) -> bool {
    match (lead, language) {
        (Some(lead), Some(language)) => lead == language,
        _ => true,
    }
}

/// An event's versions besides its own, and the translation links its listings give.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Versions {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub versions: Vec<EventVersion>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub links: Vec<String>,
}

impl Versions {
    /// The versions of `ordered` (listed listings first, in priority order) in other
    /// languages than `lead`: per language, the first listing's title and page, the
    /// longest description in that language, the place's name and address each from the
    /// first listing in that language giving one; and every translation link, each once.
    pub fn of(ordered: &[&Listing], lead: Option<&str>) -> Versions {
        let mut versions: Vec<EventVersion> = Vec::new();
        for listing in ordered {
            let Some(code) = of(listing) else { continue };
            if Some(code.as_str()) == lead {
                continue;
            }
            match versions.iter_mut().find(|v| v.language == code) {
                Some(version) => {
                    let longer = |mine: &Option<String>, theirs: &Option<String>| {
                        theirs.as_ref().is_some_and(|t| {
                            mine.as_ref()
                                .is_none_or(|m| t.chars().count() > m.chars().count())
                        })
                    };
                    if longer(&version.description_text, &listing.event.description_text) {
                        version.description_text = listing.event.description_text.clone();
                    }
                    if longer(&version.description_html, &listing.event.description_html) {
                        version.description_html = listing.event.description_html.clone();
                    }
                    if version.url.is_none() {
                        version.url = listing.event.url.clone();
                    }
                    if version.location_name.is_none() {
                        version.location_name = place(&listing.event.location_name);
                    }
                    if version.location_address.is_none() {
                        version.location_address = place(&listing.event.location_address);
                    }
                    if !version.sources.contains(&listing.source_id) {
                        version.sources.push(listing.source_id.clone());
                    }
                }
                None => versions.push(EventVersion {
                    language: code,
                    title: listing.event.title.clone(),
                    description_text: listing.event.description_text.clone(),
                    description_html: listing.event.description_html.clone(),
                    url: listing.event.url.clone(),
                    location_name: place(&listing.event.location_name),
                    location_address: place(&listing.event.location_address),
                    sources: vec![listing.source_id.clone()],
                }),
            }
        }
        let links: BTreeSet<String> = ordered
            .iter()
            .flat_map(|l| l.event.translations.iter().map(|t| t.url.clone()))
            .collect();
        Versions {
            versions,
            links: links.into_iter().collect(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.versions.is_empty() && self.links.is_empty()
    }

    /// The [`title_key`]s of the other versions' titles, one a line (`None` without
    /// other versions): what a listing in one of those languages is matched by.
    pub fn title_keys(&self) -> Option<String> {
        (!self.versions.is_empty()).then(|| {
            self.versions
                .iter()
                .map(|v| title_key(&v.title))
                .collect::<Vec<_>>()
                .join("\n")
        })
    }

    /// As the store keeps it: JSON, or `None` for an event in one language that links
    /// nothing (as every event was before versions were kept).
    pub fn to_column(&self) -> Option<String> {
        (!self.is_empty()).then(|| serde_json::to_string(self).unwrap_or_default())
    }

    /// The digest a calendar's view of the event is compared by, given its one-language
    /// digest: unchanged for an event without other versions, so adding this changed no
    /// stored event's revision; another version's title, description, page or place
    /// changes it.
    pub fn calendar_hash(&self, own: String) -> String {
        if self.versions.is_empty() {
            return own;
        }
        let mut hasher = Sha256::new();
        hasher.update(own.as_bytes());
        for v in &self.versions {
            for field in [
                Some(v.language.as_str()),
                Some(v.title.as_str()),
                v.description_text.as_deref(),
                v.url.as_deref(),
            ] {
                hasher.update(field.unwrap_or("\u{0}").as_bytes());
                hasher.update([0xff]);
            }
            // Only a version with a place of its own adds it, so that the digest of every
            // version kept before places were is unchanged.
            if v.location_name.is_some() || v.location_address.is_some() {
                for field in [v.location_name.as_deref(), v.location_address.as_deref()] {
                    hasher.update(b"place");
                    hasher.update(field.unwrap_or("\u{0}").as_bytes());
                    hasher.update([0xff]);
                }
            }
        }
        format!("{:x}", hasher.finalize())
    }
}

/// A listing's place field, when it says something.
fn place(field: &Option<String>) -> Option<String> {
    field.as_ref().filter(|p| !p.trim().is_empty()).cloned()
}

/// The stored column read back (an unreadable one is no versions).
pub fn stored(column: &str) -> Versions {
    serde_json::from_str(column).unwrap_or_default()
}

/// The other-language versions of a stored column.
pub fn stored_versions(column: &str) -> Vec<EventVersion> {
    stored(column).versions
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{EventStatus, Translation};

    fn event(title: &str, start: &str, end: &str, place: Option<&str>) -> Event {
        Event {
            source_id: "s".into(),
            uid: title.into(),
            series_uid: None,
            title: title.into(),
            description_text: None,
            description_html: None,
            start: EventTime::At(start.parse().unwrap()),
            end: Some(EventTime::At(end.parse().unwrap())),
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

    fn counterpart<'a>(other: &'a Event, partner: bool) -> Counterpart<'a> {
        Counterpart {
            start: Some(other.start),
            end: other.end,
            location_name: other.location_name.as_deref(),
            location_address: other.location_address.as_deref(),
            online_url: other.online_url.as_deref(),
            urls: other.url.as_deref().into_iter().collect(),
            links: vec![],
            listed_by_partner: partner,
        }
    }

    #[test]
    fn paired_sources_pair_by_time_and_place_whatever_the_titles() {
        let en = event(
            "Lunch and learn: plain language",
            "2026-11-18T17:00:00Z",
            "2026-11-18T18:00:00Z",
            Some("Room 101, 90 Elgin Street, Ottawa"),
        );
        let fr = event(
            "Dîner-causerie : le langage clair",
            "2026-11-18T17:00:00Z",
            "2026-11-18T18:00:00Z",
            Some("Salle 101, 90, rue Elgin, Ottawa"),
        );
        assert!(translation_score(&fr, &counterpart(&en, true)).is_some());
        assert!(
            translation_score(&fr, &counterpart(&en, false)).is_none(),
            "unpaired sources need a link"
        );
        let later_end = event(
            "Dîner-causerie",
            "2026-11-18T17:00:00Z",
            "2026-11-18T18:30:00Z",
            None,
        );
        assert!(translation_score(&later_end, &counterpart(&en, true)).is_none());
        let elsewhere = event(
            "Dîner-causerie",
            "2026-11-18T17:00:00Z",
            "2026-11-18T18:00:00Z",
            Some("Salle 305, 200, promenade du Portage, Gatineau"),
        );
        assert!(translation_score(&elsewhere, &counterpart(&en, true)).is_none());
    }

    #[test]
    fn a_page_linking_its_translation_pairs_without_configuration() {
        let mut en = event(
            "Open house",
            "2026-11-18T17:00:00Z",
            "2026-11-18T18:00:00Z",
            None,
        );
        en.url = Some("https://www.canada.ca/en/dept/events/open-house.html".into());
        let mut fr = event(
            "Portes ouvertes",
            "2026-11-18T17:00:00Z",
            "2026-11-18T18:00:00Z",
            None,
        );
        fr.url = Some("https://www.canada.ca/fr/min/evenements/portes-ouvertes.html".into());
        fr.translations = vec![Translation {
            language: "en".into(),
            url: "https://www.canada.ca/en/dept/events/open-house.html#main".into(),
        }];
        assert!(translation_score(&fr, &counterpart(&en, false)).is_some());
        fr.start = EventTime::At("2026-11-18T18:00:00Z".parse().unwrap());
        assert!(
            translation_score(&fr, &counterpart(&en, false)).is_none(),
            "a link does not pair different times"
        );
    }

    #[test]
    fn places_in_two_languages() {
        assert!(places_agree(
            "90 Elgin Street, Room 101",
            "90, rue Elgin, salle 101"
        ));
        assert!(places_agree("90 Elgin St.", "Salle 101, 90, rue Elgin"));
        assert!(places_agree(
            "Online (Microsoft Teams)",
            "En ligne (Microsoft Teams)"
        ));
        assert!(places_agree("Online", "Virtuel"));
        assert!(places_agree(
            "Ottawa Convention Centre",
            "Centre des congrès d'Ottawa"
        ));
        assert!(!places_agree(
            "90 Elgin Street",
            "200, promenade du Portage"
        ));
        assert!(!places_agree("Room 101", "Salle 305"));
    }

    #[test]
    fn versions_per_language_and_the_hash_of_a_one_language_event_is_its_own() {
        let listing = |source: &str, title: &str, language: &str, description: &str| Listing {
            source_id: source.into(),
            event: Event {
                language: Some(language.into()),
                description_text: Some(description.into()),
                ..event(title, "2026-11-18T17:00:00Z", "2026-11-18T18:00:00Z", None)
            },
            listed: true,
        };
        let en = listing("en", "Lunch and learn", "en-CA", "Bring lunch.");
        let fr = listing("fr", "Dîner-causerie", "fr-CA", "Apportez votre dîner.");
        let fr2 = listing("fr2", "Dîner causerie", "fr", "Apportez votre dîner, svp.");
        let versions = Versions::of(&[&en, &fr, &fr2], Some("en"));
        assert_eq!(versions.versions.len(), 1);
        let french = &versions.versions[0];
        assert_eq!(
            (french.language.as_str(), french.title.as_str()),
            ("fr", "Dîner-causerie")
        );
        assert_eq!(
            french.description_text.as_deref(),
            Some("Apportez votre dîner, svp.")
        );
        assert_eq!(french.sources, ["fr", "fr2"]);
        assert_eq!(Versions::default().calendar_hash("abc".into()), "abc");
        assert_ne!(versions.calendar_hash("abc".into()), "abc");
        assert_eq!(Versions::default().to_column(), None);
        assert_eq!(
            stored(&versions.to_column().unwrap()),
            versions,
            "kept as it was"
        );
    }

    #[test]
    fn a_version_keeps_the_place_its_own_listings_give() {
        let listing = |source: &str, title: &str, language: &str, place: Option<&str>| Listing {
            source_id: source.into(),
            event: Event {
                language: Some(language.into()),
                ..event(title, "2026-11-18T17:00:00Z", "2026-11-18T18:00:00Z", place)
            },
            listed: true,
        };
        let en = listing("en", "Town hall", "en", Some("Room 310"));
        let fr_without = listing("fr", "Assemblée publique", "fr", Some(" "));
        let mut fr_with = listing("fr2", "Assemblée publique", "fr", Some("Salle 310"));
        fr_with.event.location_address = Some("30, rue Victoria".into());
        let placeless = Versions::of(&[&en, &fr_without], Some("en"));
        assert_eq!(
            placeless.versions[0].location_name, None,
            "blank is no place"
        );
        let placed = Versions::of(&[&en, &fr_without, &fr_with], Some("en"));
        let french = &placed.versions[0];
        assert_eq!(french.location_name.as_deref(), Some("Salle 310"));
        assert_eq!(french.location_address.as_deref(), Some("30, rue Victoria"));
        assert_eq!(
            placeless.versions[0].title, french.title,
            "the same version but for its place"
        );
        assert_ne!(
            placed.calendar_hash("abc".into()),
            placeless.calendar_hash("abc".into()),
            "a version's place is part of the calendars' view"
        );
        assert_eq!(stored(&placed.to_column().unwrap()), placed);
        let column = placeless.to_column().unwrap();
        assert!(!column.contains("location"), "no place, no key: {column}");
    }
}
