//! Whether an address is already a source — in the sources file, or registered and
//! approved or waiting for approval — so that `bulletin sources add` and the registration
//! form refuse the same addresses: each asks here before reading an address, and again
//! for where reading it led (a redirect, a page's advertised feed).

use crate::model::{Location, Source};
use crate::preview::Preview;
use crate::store::{Standing, Store, StoreError, Taken};

/// An address in the form sources are stored in: parsed and written back by the `url`
/// crate (scheme and host in lower case, a default port dropped, an empty path as `/`).
/// Text that is not a URL is kept as it is.
pub fn normalise(url: &str) -> String {
    url.trim()
        .parse::<url::Url>()
        .map_or_else(|_| url.to_string(), |u| u.to_string())
}

/// Where a preview's reading led: the address a registration would keep (after
/// redirects), and the page it was found from when that page advertised it.
pub fn reached(found: &Preview) -> Vec<String> {
    let mut urls = vec![found.url.clone()];
    urls.extend(found.discovered_from.clone());
    urls
}

/// The source already at one of `urls`: first among `configured` (the sources file as
/// read now, which may be newer than the store), then in the store.
pub fn find(
    configured: &[Source],
    store: &Store,
    urls: &[String],
) -> Result<Option<Taken>, StoreError> {
    let urls: Vec<String> = urls.iter().map(|u| normalise(u)).collect();
    let in_file = configured.iter().find_map(|source| match &source.location {
        Location::Url(url) if urls.contains(&url.to_string()) => Some(Taken {
            id: source.id.clone(),
            name: source.name.clone(),
            url: url.to_string(),
            standing: Standing::Configured,
        }),
        _ => None,
    });
    match in_file {
        Some(taken) => Ok(Some(taken)),
        None => store.source_at_urls(&urls),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_compare_as_stored() {
        assert_eq!(
            normalise(" HTTPS://Events.Example.GC.CA:443"),
            "https://events.example.gc.ca/"
        );
        assert_eq!(
            normalise("http://example.gc.ca:80/a/../feed.xml"),
            "http://example.gc.ca/feed.xml"
        );
        assert_eq!(normalise("not a url"), "not a url");
    }

    #[test]
    fn the_sources_file_comes_first_then_the_store() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("t.db")).unwrap();
        let now = "2026-11-20T10:00:00Z".parse().unwrap();
        let mut pending = crate::model::Source {
            id: "team".into(),
            name: "Team events".into(),
            department: "Health Canada".into(),
            tags: Vec::new(),
            kind: None,
            location: Location::Url("https://events.example.gc.ca/feed".parse().unwrap()),
            schedule: None,
            timezone: None,
            selectors: None,
            post_selectors: None,
            events_from_links: false,
            language: None,
            translation_of: None,
        };
        store.register_source(&pending, None, now).unwrap();
        let found = find(&[], &store, &["HTTPS://EVENTS.example.gc.ca/feed".into()])
            .unwrap()
            .expect("the pending registration");
        assert_eq!(
            (found.id.as_str(), found.standing),
            ("team", Standing::Pending)
        );
        pending.id = "configured".into();
        let found = find(
            std::slice::from_ref(&pending),
            &store,
            &["https://events.example.gc.ca/feed".into()],
        )
        .unwrap()
        .unwrap();
        assert_eq!(found.standing, Standing::Configured);
        assert_eq!(
            find(&[], &store, &["https://other.example.gc.ca/".into()]).unwrap(),
            None
        );
        // The store refuses a second registration of the address by itself too.
        pending.id = "again".into();
        assert!(matches!(
            store.register_source(&pending, None, now),
            Err(crate::store::ModerationError::UrlTaken { id, .. }) if id == "team"
        ));
    }
}
