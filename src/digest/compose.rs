//! What one digest holds for one subscription's filters and week, read from the store:
//! the week's events (at most the email's limit, with the week's total), the posts new
//! since the previous digest, and the events whose status, time or place changed since
//! then. Blocking: call on a blocking thread.

use super::filter::Filter;
use super::week::Week;
use crate::model::EventStatus;
use crate::render::digest::{Change, ChangeKind, Content};
use crate::store::{EventBefore, Store, StoreError, StoredEvent};

/// The most posts one digest lists; past it, it links to the blog roll.
pub const MAX_POSTS: u32 = 50;

/// The digest of `filter` for `week`.
pub fn content_blocking(
    store: &Store,
    filter: &Filter,
    week: &Week,
    max_events: u32,
) -> Result<Content, StoreError> {
    let events = store.events(&filter.events(week, max_events))?;
    let total_events = store.count_events(&filter.events(week, max_events))?;
    let mut posts = store.posts(&filter.posts(week, MAX_POSTS + 1))?;
    let more_posts = posts.len() > MAX_POSTS as usize;
    posts.truncate(MAX_POSTS as usize);
    let changes = store
        .changed_events(&filter.upcoming(week), week.news_since(), week.send_at)?
        .into_iter()
        .filter_map(|(event, before)| classify(&event, &before).map(|kind| Change { event, kind }))
        .collect();
    Ok(Content {
        events,
        total_events,
        posts,
        more_posts,
        changes,
    })
}

/// What a reader should hear about an event that changed: it was cancelled, postponed or
/// dropped, or starts at another time, or is held elsewhere; nothing when it came back
/// to what it was.
pub fn classify(stored: &StoredEvent, before: &EventBefore) -> Option<ChangeKind> {
    let status = stored.event.status;
    if !stored.listed && before.listed {
        return Some(ChangeKind::Unlisted);
    }
    if status == EventStatus::Cancelled && before.status != Some(EventStatus::Cancelled) {
        return Some(ChangeKind::Cancelled);
    }
    if status == EventStatus::Postponed && before.status != Some(EventStatus::Postponed) {
        return Some(ChangeKind::Postponed);
    }
    if let Some(from) = before.start
        && from != stored.event.start
    {
        return Some(ChangeKind::Moved { from });
    }
    match &before.location {
        Some(from) if Some(from) != stored.event.location_name.as_ref() => {
            Some(ChangeKind::Relocated { from: from.clone() })
        }
        _ => None,
    }
}
