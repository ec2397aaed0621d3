//! Previewing a source before it is registered: fetch it once with the fetcher's limits
//! and address guard, detect what it is, follow a blog homepage's feed autodiscovery link
//! when the page itself has no events, and say exactly what Bulletin would take.

use url::Url;

use crate::fetch::Fetcher;
use crate::harvest::{Context, Harvest};
use crate::model::{Location, Source, SourceKind, SourceState};
use crate::refresh::{Attempt, attempt};

/// What a registration would bring.
#[derive(Debug)]
pub struct Preview {
    /// The address to register: the page's advertised feed when one was followed.
    pub url: String,
    pub kind: SourceKind,
    pub harvest: Harvest,
    /// The page the organiser gave, when its feed was followed instead.
    pub discovered_from: Option<String>,
}

/// Fetches and reads `url` as a new source would be read; the error names the URL.
pub async fn preview(fetcher: &Fetcher, url: &Url, context: &Context) -> Result<Preview, String> {
    let first = read(fetcher, url, context).await?;
    let page_without_events = first.kind == SourceKind::Html
        && first.harvest.events.is_empty()
        && first.harvest.posts.is_empty();
    if page_without_events && let Some(feed) = first.harvest.feed_links.first() {
        if let Ok(feed_url) = feed.parse::<Url>() {
            if let Ok(mut followed) = read(fetcher, &feed_url, context).await {
                followed.discovered_from = Some(url.to_string());
                return Ok(followed);
            }
        }
    }
    Ok(first)
}

async fn read(fetcher: &Fetcher, url: &Url, context: &Context) -> Result<Preview, String> {
    let source = Source {
        id: "preview".into(),
        name: "Preview".into(),
        department: String::new(),
        tags: Vec::new(),
        kind: None,
        location: Location::Url(url.clone()),
        schedule: None,
        timezone: None,
        selectors: None,
        post_selectors: None,
        events_from_links: false,
        language: None,
        translation_of: None,
    };
    match attempt(fetcher, &source, &SourceState::default(), context).await {
        Attempt::Found { url, harvest, .. } => Ok(Preview {
            url,
            kind: harvest.kind.unwrap_or(SourceKind::Feed),
            harvest: *harvest,
            discovered_from: None,
        }),
        Attempt::NotModified { url, .. } => Err(format!(
            "{url}: the server answered 304 Not Modified to a plain request"
        )),
        // A preview has no stored state, so no document is known to it.
        Attempt::Unchanged { url, .. } => Err(format!("{url}: read already")),
        Attempt::Failed { error, .. } => Err(error),
    }
}
