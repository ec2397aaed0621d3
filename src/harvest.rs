//! Harvesting: from a fetched document to the posts and events it holds — format
//! detection, extraction and normalising composed — plus the bounded following of links
//! a document points to: an events listing's detail pages (when the listing gives no
//! time) and the iCalendar files a feed's entries carry.

use chrono::{DateTime, Utc};

use crate::budget::Budget;
use crate::clock::Clock;
use crate::extract::html::PageEvent;
use crate::extract::html::posts;
use crate::extract::html::posts::PagePost;
use crate::extract::{self, ExtractError, Extracted};
use crate::fetch::{Fetched, Fetcher};
use crate::model::{
    Event, FetchedDocument, Location, Post, Source, SourceKind, Translation, Validators,
};
use crate::normalise::calendar::{CalendarSource, Window, events_from_calendar};
use crate::normalise::page::{PageSource, choose, complete_from_detail, events_from_page};
use crate::normalise::page_posts;
use crate::normalise::{self, calendar_links_from_feed};

/// At most this many linked documents are fetched for one source per refresh.
pub const MAX_FOLLOWED_LINKS: usize = 10;

/// What a document yielded, extracted and normalised.
#[derive(Debug, Default)]
pub struct Harvest {
    pub posts: Vec<Post>,
    pub events: Vec<Event>,
    /// The document is the source's whole list of events (a calendar or an events page),
    /// so events it no longer lists are counted as missing.
    pub events_complete: bool,
    /// Parts of the document that could not be read; the rest was.
    pub warnings: Vec<String>,
    /// For pages: how many events each extraction method found.
    pub methods: Option<String>,
    /// For pages: the method whose events were taken.
    pub best_method: Option<&'static str>,
    /// For pages: how many posts each extraction method found.
    pub post_methods: Option<String>,
    /// For pages: the method whose posts were taken.
    pub best_post_method: Option<&'static str>,
    /// Linked documents still to read.
    pub follow: Vec<FollowUp>,
    /// What the document turned out to be.
    pub kind: Option<SourceKind>,
    /// Feeds an HTML page advertises (`<link rel="alternate">`), absolute.
    pub feed_links: Vec<String>,
    /// A feed's own home page, absolute.
    pub home_link: Option<String>,
    /// For pages: the page in other languages (its `hreflang` alternates and language
    /// toggle), absolute; a source whose page links another source's pairs with it.
    pub alternates: Vec<Translation>,
}

/// A linked document that may complete the harvest.
#[derive(Debug, Clone)]
pub enum FollowUp {
    /// A listing without a time, and the warning to give if its own page does not help.
    Detail {
        listing: Box<PageEvent>,
        warning: String,
    },
    /// An iCalendar file attached to a feed entry.
    Calendar { url: String },
    /// The page a feed entry links to, for a source whose entries are events.
    EventPage { url: String },
    /// A page's post whose listing gives no date (or neither author nor summary): its
    /// own page may say.
    PostPage { listing: Box<PagePost> },
}

/// How far around today recurring series are expanded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EventSettings {
    pub window_past_days: i64,
    pub window_future_days: i64,
}

impl Default for EventSettings {
    fn default() -> Self {
        EventSettings {
            window_past_days: 30,
            window_future_days: 365,
        }
    }
}

/// What extraction needs besides the document.
#[derive(Debug, Clone, Copy)]
pub struct Context {
    /// The service's display zone: floating times of sources without their own zone.
    pub display_zone: chrono_tz::Tz,
    pub events: EventSettings,
    /// Where "now" comes from (tests and replays fix it).
    pub clock: Clock,
}

impl Context {
    /// The time the pipeline works at.
    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    /// Whole days around today (UTC): reading a document gives the same events all day,
    /// which is what lets `refresh::key` know a document read already.
    fn window(&self) -> Window {
        let now = self.now();
        let midnight = now
            .date_naive()
            .and_hms_opt(0, 0, 0)
            .map_or(now, |t| t.and_utc());
        let mut window = Window::around(
            midnight,
            self.events.window_past_days,
            self.events.window_future_days,
        );
        window.to = window
            .to
            .checked_add_signed(chrono::TimeDelta::days(1))
            .unwrap_or(window.to);
        window
    }
}

/// Extracts and normalises a fetched document for `source`. Pure: the context's clock
/// places the recurrence window.
pub fn harvest(
    source: &Source,
    document: &FetchedDocument,
    context: &Context,
) -> Result<Harvest, ExtractError> {
    harvest_within(source, document, context, Budget::document())
}

/// [`harvest`] within a given budget (started by the caller, on this thread).
pub fn harvest_within(
    source: &Source,
    document: &FetchedDocument,
    context: &Context,
    mut budget: Budget,
) -> Result<Harvest, ExtractError> {
    let kind = extract::detect(source.kind, document);
    let mut harvest = harvest_as(kind, source, document, context, &mut budget)?;
    harvest.kind = Some(kind);
    label(source, &mut harvest.events, &mut harvest.posts);
    Ok(harvest)
}

/// The operator's word on a source's language (`language = "fr"`) is the language of
/// everything it gives, whatever its documents declare.
fn label(source: &Source, events: &mut [Event], posts: &mut [Post]) {
    let Some(language) = &source.language else {
        return;
    };
    for event in events {
        event.language = Some(language.clone());
    }
    for post in posts {
        post.language = Some(language.clone());
    }
}

fn harvest_as(
    kind: SourceKind,
    source: &Source,
    document: &FetchedDocument,
    context: &Context,
    budget: &mut Budget,
) -> Result<Harvest, ExtractError> {
    Ok(
        match extract::extract(
            kind,
            document,
            extract::html::PageSelectors {
                events: source.selectors.as_ref(),
                posts: source.post_selectors.as_ref(),
            },
        )? {
            Extracted::Feed(feed) => {
                let mut links = calendar_links_from_feed(&document.url, &feed);
                let mut warnings = Vec::new();
                if links.len() > MAX_FOLLOWED_LINKS {
                    warnings.push(format!(
                        "{}: {} calendar attachments; the first {MAX_FOLLOWED_LINKS} are read",
                        document.url,
                        links.len()
                    ));
                    links.truncate(MAX_FOLLOWED_LINKS);
                }
                let read = normalise::posts_from_feed(&source.id, &document.url, &feed, budget)
                    .map_err(|cut| ExtractError::Budget {
                        url: document.url.clone(),
                        cut,
                    })?;
                let posts = read.posts;
                warnings.extend(
                    feed.warnings
                        .iter()
                        .chain(&read.warnings)
                        .map(|w| format!("{}: {w}", document.url)),
                );
                let mut follow: Vec<FollowUp> = links
                    .into_iter()
                    .map(|url| FollowUp::Calendar { url })
                    .collect();
                if source.events_from_links {
                    let room = MAX_FOLLOWED_LINKS.saturating_sub(follow.len());
                    follow.extend(
                        posts
                            .iter()
                            .filter_map(|p| p.link.clone())
                            .take(room)
                            .map(|url| FollowUp::EventPage { url }),
                    );
                }
                let home_link = feed.home_link.as_deref().and_then(|home| {
                    normalise::resolve(home, url::Url::parse(&document.url).ok().as_ref())
                });
                Harvest {
                    posts,
                    warnings,
                    follow,
                    home_link,
                    ..Harvest::default()
                }
            }
            Extracted::Calendar(calendar) => {
                let found = calendar_events(source, context, &calendar, budget);
                Harvest {
                    // An empty calendar is more likely broken than cleared: absent events are
                    // only counted as missing when the calendar still lists something.
                    events_complete: !found.events.is_empty(),
                    events: found.events,
                    warnings: found.warnings,
                    ..Harvest::default()
                }
            }
            Extracted::Page(page) => {
                let context = page_source(source, context, &document.url, &page);
                let (method, read) = choose(&context, &page);
                let mut warnings = read.warnings;
                warnings.extend(page.warnings.iter().cloned());
                let methods = page.method_counts();
                let mut follow = Vec::new();
                for (index, (listing, warning)) in read.incomplete.into_iter().enumerate() {
                    if index < MAX_FOLLOWED_LINKS {
                        follow.push(FollowUp::Detail {
                            listing: Box::new(listing),
                            warning,
                        });
                    } else {
                        warnings.push(warning);
                    }
                }
                let events_followed = !follow.is_empty();
                let posts =
                    page_posts::choose(&context, &page, !read.events.is_empty() || events_followed);
                let post_methods = posts::counts(&page.posts);
                warnings.extend(posts.warnings);
                // Bounded when followed, once those completed before are set aside.
                follow.extend(
                    posts
                        .incomplete
                        .into_iter()
                        .map(|listing| FollowUp::PostPage {
                            listing: Box::new(listing),
                        }),
                );
                if read.events.is_empty() && !events_followed && posts.posts.is_empty() {
                    let hint = match (&source.selectors, &source.post_selectors) {
                        (None, None) => "; no selectors are configured for this source",
                        (Some(_), None) => "; no post selectors are configured for this source",
                        (None, Some(_)) => "; no event selectors are configured for this source",
                        (Some(_), Some(_)) => "",
                    };
                    warnings.push(format!(
                        "{}: no posts or events found (events by {methods}; posts by {post_methods}{hint})",
                        document.url
                    ));
                }
                Harvest {
                    posts: posts.posts,
                    post_methods: Some(post_methods),
                    best_post_method: posts.method.map(|m| m.name()),
                    events_complete: !read.events.is_empty() || events_followed,
                    events: read.events,
                    warnings,
                    methods: Some(methods),
                    best_method: method.map(|m| m.name()),
                    alternates: context.alternates.clone(),
                    follow,
                    feed_links: page
                        .feed_links
                        .iter()
                        .filter_map(|l| {
                            normalise::resolve(l, url::Url::parse(&document.url).ok().as_ref())
                        })
                        .collect(),
                    ..Harvest::default()
                }
            }
        },
    )
}

fn calendar_events(
    source: &Source,
    context: &Context,
    calendar: &extract::CalendarDocument,
    budget: &mut Budget,
) -> crate::normalise::calendar::CalendarEvents {
    events_from_calendar(
        &CalendarSource {
            source_id: &source.id,
            source_zone: source.timezone,
            display_zone: context.display_zone,
            window: context.window(),
        },
        calendar,
        budget,
    )
}

fn page_source<'a>(
    source: &'a Source,
    context: &Context,
    url: &'a str,
    page: &'a extract::PageDocument,
) -> PageSource<'a> {
    let zone = source.timezone.unwrap_or(context.display_zone);
    // The operator's word on the source's language wins over the page's.
    let language = source.language.as_deref().or(page.language.as_deref());
    PageSource {
        alternates: crate::normalise::page::alternates(url, language, &page.alternates),
        source_id: &source.id,
        page_url: url,
        page_language: language,
        zone,
        date_format: source
            .selectors
            .as_ref()
            .and_then(|s| s.date_format.as_deref()),
        today: context.now().with_timezone(&zone).date_naive(),
    }
}

/// Completes listed posts from what their own pages gave at an earlier refresh (`stored`,
/// the source's stored posts with those ids), so those pages are not read again; the
/// posts still lacking keep their follow-up.
pub fn reuse_stored_posts(harvest: &mut Harvest, stored: &[Post]) {
    let posts = &mut harvest.posts;
    harvest.follow.retain(|follow| {
        let FollowUp::PostPage { listing } = follow else {
            return true;
        };
        let Some(url) = &listing.url else {
            return true;
        };
        let (Some(post), Some(known)) = (
            posts.iter_mut().find(|p| &p.entry_id == url),
            stored.iter().find(|p| &p.entry_id == url),
        ) else {
            return true;
        };
        let dated = post.published.is_some() || post.updated.is_some();
        let known_dated = known.published.is_some() || known.updated.is_some();
        let described = post.author.is_some() || post.summary_html.is_some();
        let known_described = known.author.is_some() || known.summary_html.is_some();
        if (!dated && !known_dated) || (!described && !known_described) {
            return true;
        }
        if !dated {
            post.published = known.published;
            post.updated = known.updated;
        }
        post.author = post.author.take().or_else(|| known.author.clone());
        post.summary_html = post
            .summary_html
            .take()
            .or_else(|| known.summary_html.clone());
        if post.translations.is_empty() {
            post.translations = known.translations.clone();
        }
        false
    });
}

/// At most [`MAX_FOLLOWED_LINKS`] linked documents a refresh: the posts' own pages get
/// the room the others leave, and those left over are named.
fn bound_post_pages(harvest: &mut Harvest) {
    let others = harvest
        .follow
        .iter()
        .filter(|f| !matches!(f, FollowUp::PostPage { .. }))
        .count();
    let mut room = MAX_FOLLOWED_LINKS.saturating_sub(others);
    let mut unread = 0usize;
    harvest.follow.retain(|f| {
        if !matches!(f, FollowUp::PostPage { .. }) {
            return true;
        }
        if room > 0 {
            room -= 1;
            return true;
        }
        unread += 1;
        false
    });
    if unread > 0 {
        harvest.warnings.push(format!(
            "the own pages of {unread} more listed posts are not read this refresh (at most {MAX_FOLLOWED_LINKS} linked pages a refresh; the next ones read the rest); until then they show as listed"
        ));
    }
}

/// Fetches the documents `harvest.follow` names (unconditionally, within the fetcher's
/// limits, at most [`MAX_FOLLOWED_LINKS`]) and adds what they give. A link that fails
/// becomes a warning.
pub async fn follow_links(
    fetcher: &Fetcher,
    source: &Source,
    context: &Context,
    harvest: &mut Harvest,
) {
    bound_post_pages(harvest);
    let mut calendars = Vec::new();
    for follow in std::mem::take(&mut harvest.follow) {
        let url = match &follow {
            FollowUp::Detail { listing, .. } => listing.url.clone().unwrap_or_default(),
            FollowUp::PostPage { listing } => listing.url.clone().unwrap_or_default(),
            FollowUp::Calendar { url } | FollowUp::EventPage { url } => url.clone(),
        };
        let document = match url.parse() {
            Ok(parsed) => match fetcher
                .fetch(&Location::Url(parsed), &Validators::default())
                .await
            {
                Ok(Fetched::Document(document)) => Ok(document),
                Ok(Fetched::NotModified { url, .. }) => Err(format!("{url}: not modified")),
                Err(error) => Err(error.to_string()),
            },
            Err(_) => Err(format!("{url}: not a URL")),
        };
        let document = match document {
            Ok(document) => document,
            Err(error) => {
                harvest.warnings.push(match &follow {
                    FollowUp::Detail { warning, .. } => format!("{warning} (its page: {error})"),
                    FollowUp::Calendar { .. } => format!("calendar attachment {error}"),
                    FollowUp::EventPage { .. } => format!("linked page {error}"),
                    FollowUp::PostPage { .. } => {
                        format!("post page {error}; the post is kept as its listing gives it")
                    }
                });
                continue;
            }
        };
        // A calendar attachment is parsed here and read with the others at the end, so
        // an override in one file meets its series in another (same UID).
        if let FollowUp::Calendar { url } = &follow {
            let url = url.clone();
            let parsed = tokio::task::spawn_blocking(move || extract::ical::read(&document)).await;
            match parsed {
                Ok(Ok(calendar)) => calendars.push(calendar),
                Ok(Err(error)) => harvest
                    .warnings
                    .push(format!("{url}: calendar attachment not readable: {error}")),
                Err(panic) => harvest.warnings.push(format!(
                    "{url}: reading the calendar attachment crashed: {panic}"
                )),
            }
            continue;
        }
        if let FollowUp::PostPage { listing } = follow {
            let owned_source = source.clone();
            let owned_context = *context;
            let read = tokio::task::spawn_blocking(move || {
                read_post_page(&listing, &document, &owned_source, &owned_context)
            })
            .await;
            match read {
                Ok((post, warnings)) => {
                    if let Some(post) = post
                        && let Some(listed) = harvest
                            .posts
                            .iter_mut()
                            .find(|p| p.entry_id == post.entry_id)
                    {
                        *listed = post;
                    }
                    harvest.warnings.extend(warnings);
                }
                Err(panic) => harvest
                    .warnings
                    .push(format!("{url}: reading the post's page crashed: {panic}")),
            }
            continue;
        }
        let owned_source = source.clone();
        let owned_context = *context;
        // Parsing is CPU work: never on the async workers (previews run here too).
        let read = tokio::task::spawn_blocking(move || {
            read_followed(follow, &document, &owned_source, &owned_context)
        })
        .await;
        match read {
            Ok((events, warnings)) => {
                harvest.events.extend(events);
                harvest.warnings.extend(warnings);
            }
            Err(panic) => harvest.warnings.push(format!(
                "{url}: reading the linked document crashed: {panic}"
            )),
        }
    }
    if !calendars.is_empty() {
        let owned_source = source.clone();
        let owned_context = *context;
        let read = tokio::task::spawn_blocking(move || {
            let merged = merge_calendars(calendars);
            calendar_events(
                &owned_source,
                &owned_context,
                &merged,
                &mut Budget::document(),
            )
        })
        .await;
        match read {
            Ok(found) => {
                harvest.events.extend(found.events);
                harvest.warnings.extend(found.warnings);
            }
            Err(panic) => harvest
                .warnings
                .push(format!("reading the calendar attachments crashed: {panic}")),
        }
    }
    label(source, &mut harvest.events, &mut harvest.posts);
}

/// Several calendars of one source read as one: their events (a series and its
/// overrides may come in different files) and time zones together.
fn merge_calendars(calendars: Vec<extract::CalendarDocument>) -> extract::CalendarDocument {
    let mut merged = extract::CalendarDocument::default();
    for calendar in calendars {
        merged.name = merged.name.or(calendar.name);
        merged.timezone = merged.timezone.or(calendar.timezone);
        merged.timezones.extend(calendar.timezones);
        merged.events.extend(calendar.events);
        merged.skipped.extend(calendar.skipped);
    }
    merged
}

/// A listed post completed from its own page: the first post the page's most trusted
/// method gives, else what the page says of itself (`<meta>`, `<time>`). The post keeps
/// its listing's id and link.
fn read_post_page(
    listing: &PagePost,
    document: &FetchedDocument,
    source: &Source,
    context: &Context,
) -> (Option<Post>, Vec<String>) {
    let text = extract::decode_text(document);
    let page = match extract::html::parse(&text, &document.url, Default::default()) {
        Ok(page) => page,
        Err(reason) => {
            return (
                None,
                vec![format!(
                    "{}: not a page Bulletin can read: {reason}; the post is kept as its listing gives it",
                    document.url
                )],
            );
        }
    };
    let detail = page
        .posts
        .iter()
        .find_map(|(_, posts)| posts.iter().find(|p| p.title.is_some()))
        .unwrap_or(&page.own_post);
    let completed = page_posts::complete_from_detail(listing, detail);
    // Read against the listing's page, so the listing's link keeps its form.
    let mut page_context = page_source(source, context, &document.url, &page);
    page_context.page_url = listing.url.as_deref().unwrap_or(&document.url);
    let read = page_posts::posts_from_page(&page_context, std::slice::from_ref(&completed));
    let mut post = read.posts.into_iter().next();
    // The article's own page links its versions in other languages.
    if let Some(post) = &mut post {
        post.translations = page_context.alternates.clone();
    }
    (post, read.warnings)
}

/// What one followed page adds: events and warnings (calendar attachments are read
/// together, by [`follow_links`]).
fn read_followed(
    follow: FollowUp,
    document: &FetchedDocument,
    source: &Source,
    context: &Context,
) -> (Vec<Event>, Vec<String>) {
    let mut events = Vec::new();
    let mut warnings = Vec::new();
    let page = || {
        let text = extract::decode_text(document);
        extract::html::parse(&text, &document.url, Default::default())
            .map_err(|reason| format!("{}: not a page Bulletin can read: {reason}", document.url))
    };
    match follow {
        FollowUp::Detail { listing, warning } => {
            let read = page().ok().and_then(|page| {
                let detail = page
                    .best()
                    .and_then(|(_, events)| events.first().cloned())?;
                let completed = complete_from_detail(&listing, &detail);
                let context = page_source(source, context, &document.url, &page);
                Some(events_from_page(&context, &[completed]))
            });
            match read {
                Some(read) if !read.events.is_empty() => events.extend(read.events),
                _ => warnings.push(warning),
            }
        }
        FollowUp::EventPage { url } => match page() {
            Ok(page) => {
                let context = page_source(source, context, &document.url, &page);
                match choose(&context, &page) {
                    (Some(_), read) => {
                        events.extend(read.events);
                        warnings.extend(read.warnings);
                    }
                    (None, _) => {
                        warnings.push(format!("{url}: the linked page describes no event"))
                    }
                }
            }
            Err(error) => warnings.push(error),
        },
        FollowUp::Calendar { url } => match extract::ical::read(document) {
            Ok(calendar) => {
                let found = calendar_events(source, context, &calendar, &mut Budget::document());
                events.extend(found.events);
                warnings.extend(found.warnings);
            }
            Err(error) => {
                warnings.push(format!("{url}: calendar attachment not readable: {error}"))
            }
        },
        // Read by `read_post_page`.
        FollowUp::PostPage { .. } => {}
    }
    (events, warnings)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn post_page(n: usize) -> FollowUp {
        FollowUp::PostPage {
            listing: Box::new(PagePost {
                title: Some(format!("Post {n}")),
                url: Some(format!("https://ex.gc.ca/p/{n}")),
                ..PagePost::default()
            }),
        }
    }

    #[test]
    fn posts_pages_get_the_room_other_links_leave_and_the_rest_is_named() {
        let mut harvest = Harvest {
            follow: (0..12).map(post_page).collect(),
            ..Harvest::default()
        };
        harvest.follow.insert(
            0,
            FollowUp::Calendar {
                url: "https://ex.gc.ca/a.ics".into(),
            },
        );
        bound_post_pages(&mut harvest);
        assert_eq!(harvest.follow.len(), MAX_FOLLOWED_LINKS);
        assert!(matches!(harvest.follow[0], FollowUp::Calendar { .. }));
        assert!(
            harvest.warnings[0].starts_with("the own pages of 3 more listed posts are not read"),
            "{:?}",
            harvest.warnings
        );
    }

    #[test]
    fn stored_posts_complete_listings_only_with_what_they_lack() {
        let listed = |n: usize| Post {
            source_id: "s".into(),
            entry_id: format!("https://ex.gc.ca/p/{n}"),
            link: Some(format!("https://ex.gc.ca/p/{n}")),
            title: format!("Post {n}"),
            author: None,
            published: None,
            updated: None,
            summary_html: None,
            content_html: None,
            language: None,
            categories: Vec::new(),
            translations: Vec::new(),
        };
        let mut harvest = Harvest {
            posts: vec![listed(0), listed(1)],
            follow: vec![post_page(0), post_page(1)],
            ..Harvest::default()
        };
        let mut known = listed(0);
        known.published = Some("2026-11-01T00:00:00Z".parse().unwrap());
        known.author = Some("Ann".into());
        // Stored but never completed: its page is still to be read.
        let bare = listed(1);
        reuse_stored_posts(&mut harvest, &[known.clone(), bare]);
        assert_eq!(harvest.posts[0].published, known.published);
        assert_eq!(harvest.posts[0].author.as_deref(), Some("Ann"));
        assert_eq!(harvest.follow.len(), 1);
        assert!(
            matches!(&harvest.follow[0], FollowUp::PostPage { listing } if listing.title.as_deref() == Some("Post 1"))
        );
    }
}
