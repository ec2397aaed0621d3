//! Which language's version of an event or post a reader gets: the version in the reader's
//! language where there is one, else the one the event leads with; and what to say about
//! the others (a link to each, or that the event is known in one other language only).
//! Pure: the web layer and every renderer ask here.

use crate::model::{PostVersion, StoredPost};
use crate::normalise::language;
use crate::store::StoredEvent;

/// An event as a reader in one language sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct Shown<'a> {
    pub title: &'a str,
    pub description_text: Option<&'a str>,
    pub description_html: Option<&'a str>,
    /// The event's own page in the language shown.
    pub url: Option<&'a str>,
    /// The place's name and address as the version shown gives them, each falling back
    /// to the event's where that version gives none.
    pub location_name: Option<&'a str>,
    pub location_address: Option<&'a str>,
    /// The language shown, when known (a code: `en`, `fr`).
    pub language: Option<String>,
    /// The versions not shown: (language, title, page).
    pub others: Vec<(String, &'a str, Option<&'a str>)>,
    /// Set when the event is known in one language only and it is not the reader's.
    pub only_in: Option<String>,
}

impl Shown<'_> {
    /// The language shown, when it is not `reader` (pages mark it with `lang`).
    pub fn foreign(&self, reader: &str) -> Option<&str> {
        self.language.as_deref().filter(|l| *l != reader)
    }
}

/// `stored` for a reader of `reader` (a language code).
pub fn event_in<'a>(stored: &'a StoredEvent, reader: &str) -> Shown<'a> {
    let e = &stored.event;
    let own = e.language.as_deref().and_then(language::code);
    let lead = || {
        (
            e.title.as_str(),
            e.description_text.as_deref(),
            e.description_html.as_deref(),
            e.url.as_deref(),
        )
    };
    let wanted = stored.versions.iter().find(|v| v.language == reader);
    let wanted = wanted.filter(|_| own.as_deref() != Some(reader));
    let (title, description_text, description_html, url, shown_language) = match wanted {
        Some(v) => (
            v.title.as_str(),
            v.description_text.as_deref(),
            v.description_html.as_deref(),
            v.url.as_deref(),
            Some(v.language.clone()),
        ),
        None => {
            let (t, d, h, u) = lead();
            (t, d, h, u, own.clone())
        }
    };
    let location_name = wanted
        .and_then(|v| v.location_name.as_deref())
        .or(e.location_name.as_deref());
    let location_address = wanted
        .and_then(|v| v.location_address.as_deref())
        .or(e.location_address.as_deref());
    let mut others: Vec<(String, &str, Option<&str>)> = Vec::new();
    if let Some(own) = &own
        && shown_language.as_ref() != Some(own)
    {
        others.push((own.clone(), e.title.as_str(), e.url.as_deref()));
    }
    for v in &stored.versions {
        if shown_language.as_deref() != Some(v.language.as_str()) {
            others.push((v.language.clone(), v.title.as_str(), v.url.as_deref()));
        }
    }
    let only_in = match (&shown_language, others.is_empty()) {
        (Some(shown), true) if shown != reader => Some(shown.clone()),
        _ => None,
    };
    Shown {
        title,
        description_text,
        description_html,
        url,
        location_name,
        location_address,
        language: shown_language,
        others,
        only_in,
    }
}

/// The event as a reader of `reader` is shown it ([`event_in`]): title, descriptions,
/// page and place from that version, for what is built from a whole event (the "add to
/// calendar" links).
pub fn event_as_shown(stored: &StoredEvent, reader: &str) -> crate::model::Event {
    let shown = event_in(stored, reader);
    let owned = |text: Option<&str>| text.map(str::to_string);
    crate::model::Event {
        title: shown.title.to_string(),
        description_text: owned(shown.description_text),
        description_html: owned(shown.description_html),
        url: owned(shown.url),
        location_name: owned(shown.location_name),
        location_address: owned(shown.location_address),
        language: shown
            .language
            .clone()
            .or_else(|| stored.event.language.clone()),
        ..stored.event.clone()
    }
}

/// `post` for a reader of `reader`: its version in that language takes its place (title,
/// link, summary, language), and the version it had joins the others.
pub fn post_in(mut post: StoredPost, reader: &str) -> StoredPost {
    let own = post.post.language.as_deref().and_then(language::code);
    if own.as_deref() == Some(reader) {
        return post;
    }
    let Some(index) = post.versions.iter().position(|v| v.language == reader) else {
        return post;
    };
    let wanted = post.versions.remove(index);
    let previous = PostVersion {
        language: own.unwrap_or_default(),
        title: std::mem::replace(&mut post.post.title, wanted.title),
        link: std::mem::replace(&mut post.post.link, wanted.link),
        summary_html: std::mem::replace(&mut post.post.summary_html, wanted.summary_html),
        source_id: post.post.source_id.clone(),
        source_name: post.source_name.clone(),
    };
    // The full content is the original's; a translation's own is its summary.
    post.post.content_html = None;
    post.post.language = Some(wanted.language);
    post.versions.insert(0, previous);
    post
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Event, EventStatus, EventTime, EventVersion};

    fn stored(language: Option<&str>, versions: Vec<EventVersion>) -> StoredEvent {
        let at = "2026-11-01T12:00:00Z".parse().unwrap();
        StoredEvent {
            uid: "u".into(),
            event: Event {
                source_id: String::new(),
                uid: "x".into(),
                series_uid: None,
                title: "Lunch and learn".into(),
                description_text: Some("Bring lunch.".into()),
                description_html: None,
                start: EventTime::At(at),
                end: None,
                timezone: None,
                location_name: None,
                location_address: None,
                online_url: None,
                url: Some("https://www.canada.ca/en/e.html".into()),
                organiser: None,
                language: language.map(str::to_string),
                status: EventStatus::Confirmed,
                categories: vec![],
                translations: vec![],
            },
            listed: true,
            revision: 0,
            sources: vec![],
            tags: vec![],
            provenance: Default::default(),
            versions,
            first_seen: at,
            last_seen: at,
            changed: at,
            merged_into: None,
        }
    }

    /// The French version of the lunch and learn, at `place` when given.
    fn lunch_in_french(place: Option<&str>) -> EventVersion {
        EventVersion {
            language: "fr".into(),
            title: "Dîner-causerie".into(),
            description_text: Some("Apportez votre dîner.".into()),
            description_html: None,
            url: Some("https://www.canada.ca/fr/e.html".into()),
            location_name: place.map(str::to_string),
            location_address: None,
            sources: vec!["fr".into()],
        }
    }

    #[test]
    fn the_readers_version_with_the_other_beside_it() {
        let both = stored(Some("en-CA"), vec![lunch_in_french(None)]);
        let fr = event_in(&both, "fr");
        assert_eq!(fr.title, "Dîner-causerie");
        assert_eq!(fr.url, Some("https://www.canada.ca/fr/e.html"));
        assert_eq!(
            fr.others,
            [(
                "en".to_string(),
                "Lunch and learn",
                Some("https://www.canada.ca/en/e.html")
            )]
        );
        assert_eq!(fr.only_in, None);
        let en = event_in(&both, "en");
        assert_eq!(en.title, "Lunch and learn");
        assert_eq!(en.others[0].0, "fr");
        let english_only = stored(Some("en"), vec![]);
        assert_eq!(event_in(&english_only, "fr").only_in.as_deref(), Some("en"));
        assert_eq!(event_in(&english_only, "fr").foreign("fr"), Some("en"));
        assert_eq!(event_in(&stored(None, vec![]), "fr").only_in, None);
    }

    #[test]
    fn the_whole_event_as_the_reader_is_shown_it() {
        let mut both = stored(Some("en-CA"), vec![lunch_in_french(Some("Salle 310"))]);
        both.event.location_name = Some("Room 310".into());
        both.event.location_address = Some("30 Victoria Street".into());
        let fr = event_as_shown(&both, "fr");
        assert_eq!(fr.title, "Dîner-causerie");
        assert_eq!(
            fr.description_text.as_deref(),
            Some("Apportez votre dîner.")
        );
        assert_eq!(fr.url.as_deref(), Some("https://www.canada.ca/fr/e.html"));
        assert_eq!(fr.location_name.as_deref(), Some("Salle 310"));
        // A field the version does not give falls back to the event's.
        assert_eq!(fr.location_address.as_deref(), Some("30 Victoria Street"));
        assert_eq!(fr.language.as_deref(), Some("fr"));
        assert_eq!(fr.start, both.event.start);
        let en = event_as_shown(&both, "en");
        assert_eq!(en.title, "Lunch and learn");
        assert_eq!(en.location_name.as_deref(), Some("Room 310"));
    }

    #[test]
    fn the_readers_version_gives_its_place_where_it_has_one() {
        let french = |name: Option<&str>, address: Option<&str>| EventVersion {
            language: "fr".into(),
            title: "Assemblée publique".into(),
            description_text: None,
            description_html: None,
            url: None,
            location_name: name.map(str::to_string),
            location_address: address.map(str::to_string),
            sources: vec!["fr".into()],
        };
        let with_place = |version: EventVersion| {
            let mut both = stored(Some("en"), vec![version]);
            both.event.location_name = Some("Room 310".into());
            both.event.location_address = Some("30 Victoria Street".into());
            both
        };
        let placed = with_place(french(Some("Salle 310"), Some("30, rue Victoria")));
        let fr = event_in(&placed, "fr");
        assert_eq!(
            (fr.location_name, fr.location_address),
            (Some("Salle 310"), Some("30, rue Victoria"))
        );
        let en = event_in(&placed, "en");
        assert_eq!(
            (en.location_name, en.location_address),
            (Some("Room 310"), Some("30 Victoria Street"))
        );
        let named_only = with_place(french(Some("Salle 310"), None));
        let fr = event_in(&named_only, "fr");
        assert_eq!(
            (fr.location_name, fr.location_address),
            (Some("Salle 310"), Some("30 Victoria Street")),
            "what the version does not give, the event does"
        );
        let placeless = with_place(french(None, None));
        assert_eq!(event_in(&placeless, "fr").location_name, Some("Room 310"));
    }
}
