//! Every path the service answers and every URL it links to, in one place: the web layer
//! registers the constants below (`web::configure`), and handlers, renderers and
//! templates build links with the functions below instead of writing a path by hand.
//! Renaming a route is one change here. No actix in this module, so renderers (which
//! must stay free of HTTP) can use it; `tests/invariants_web.rs` fails on a route literal
//! anywhere else in `src/` or `templates/`.
//!
//! Builders take a query string that is already encoded (empty for none) and return a
//! path; absolute URLs are the caller's origin plus that path.

/// The upcoming events (the home page).
pub const LISTING: &str = "/";
/// Past events, newest first.
pub const ARCHIVE: &str = "/archive";
/// One event's page (`/events/{uid}`) or calendar (`/events/{uid}.ics`).
pub const EVENT: &str = "/events/{file}";
const EVENT_PREFIX: &str = "/events/";
/// The merged calendar.
pub const CALENDAR: &str = "/events.ics";
pub const FEED_RSS: &str = "/feed.rss";
pub const FEED_ATOM: &str = "/feed.atom";
pub const FEED_JSON: &str = "/feed.json";
/// The blog roll's sources as OPML.
pub const BLOGROLL_OPML: &str = "/blogroll.opml";
/// The blog roll page.
pub const POSTS: &str = "/posts";
/// Source health.
pub const SOURCES: &str = "/sources";
/// Registration.
pub const SOURCE_NEW: &str = "/sources/new";
/// Moderation.
pub const ADMIN: &str = "/admin";
pub const ADMIN_LOGIN: &str = "/admin/login";
pub const ADMIN_LOGOUT: &str = "/admin/logout";
/// An administrator's decision on one source (`/admin/sources/{id}`).
pub const ADMIN_DECIDE: &str = "/admin/sources/{id}";
const ADMIN_DECIDE_PREFIX: &str = "/admin/sources/";
pub const API_EVENTS: &str = "/api/events";
pub const API_POSTS: &str = "/api/posts";
pub const API_SOURCES: &str = "/api/sources";
/// The JSON API's common prefix (errors there answer in JSON).
pub const API_PREFIX: &str = "/api/";
pub const HEALTHZ: &str = "/healthz";
/// Prometheus metrics, for the operators' monitoring.
pub const METRICS: &str = "/metrics";
pub const STYLESHEET: &str = "/static/style.css";
/// The weekly digest: this week's as a page and as a feed, and its subscription's steps.
pub const DIGEST: &str = "/digest";
pub const DIGEST_RSS: &str = "/digest.rss";
pub const DIGEST_SUBSCRIBE: &str = "/digest/subscribe";
pub const DIGEST_CONFIRM: &str = "/digest/confirm";
pub const DIGEST_UNSUBSCRIBE: &str = "/digest/unsubscribe";
pub const DIGEST_MANAGE: &str = "/digest/manage";
/// Subscriber counts, refused addresses, pausing the digest.
pub const ADMIN_DIGEST: &str = "/admin/digest";

/// `path` with `query` appended when it is not empty.
pub fn with_query(path: &str, query: &str) -> String {
    if query.is_empty() {
        path.to_string()
    } else {
        format!("{path}?{query}")
    }
}

/// The listing with a query.
pub fn listing(query: &str) -> String {
    with_query(LISTING, query)
}

/// One event's page.
pub fn event_page(uid: &str) -> String {
    format!("{EVENT_PREFIX}{uid}")
}

/// One event as a calendar file ("add to calendar").
pub fn event_ics(uid: &str) -> String {
    format!("{EVENT_PREFIX}{uid}.ics")
}

/// The merged calendar, filtered by `query`.
pub fn calendar(query: &str) -> String {
    with_query(CALENDAR, query)
}

/// The RSS feed, filtered by `query`.
pub fn feed_rss(query: &str) -> String {
    with_query(FEED_RSS, query)
}

/// The Atom feed, filtered by `query`.
pub fn feed_atom(query: &str) -> String {
    with_query(FEED_ATOM, query)
}

/// The JSON feed, filtered by `query`.
pub fn feed_json(query: &str) -> String {
    with_query(FEED_JSON, query)
}

/// The blog-roll page, filtered by `query`.
pub fn posts(query: &str) -> String {
    with_query(POSTS, query)
}

/// Source health, with a query (page, language).
pub fn sources(query: &str) -> String {
    with_query(SOURCES, query)
}

/// Where an administrator approves or rejects source `id`.
pub fn admin_decide(id: &str) -> String {
    format!("{ADMIN_DECIDE_PREFIX}{id}")
}

/// Upcoming events as feeds (issue 15).
pub const EVENTS_RSS: &str = "/events.rss";
pub const EVENTS_ATOM: &str = "/events.atom";
pub const EVENTS_JSON: &str = "/events.json";

/// The events feed in RSS, filtered by `query`.
pub fn events_rss(query: &str) -> String {
    with_query(EVENTS_RSS, query)
}

/// The events feed in Atom, filtered by `query`.
pub fn events_atom(query: &str) -> String {
    with_query(EVENTS_ATOM, query)
}

/// The events feed in JSON Feed, filtered by `query`.
pub fn events_json(query: &str) -> String {
    with_query(EVENTS_JSON, query)
}

/// The listing for a filter, compact, for an `<iframe>` on another site.
pub const EMBED: &str = "/embed";
/// The same list as an HTML fragment, for sites that include HTML server-side.
pub const EMBED_FRAGMENT: &str = "/embed.html";

/// The embed, filtered by `query`.
pub fn embed(query: &str) -> String {
    with_query(EMBED, query)
}

/// The embed's HTML fragment, filtered by `query`.
pub fn embed_fragment(query: &str) -> String {
    with_query(EMBED_FRAGMENT, query)
}

/// The "Submit an event" form.
pub const SUBMIT_EVENT: &str = "/submit-event";
/// A submitter's private page for their event (`/submit-event/{token}`).
pub const SUBMISSION: &str = "/submit-event/{token}";
const SUBMISSION_PREFIX: &str = "/submit-event/";
/// An administrator's page and decisions for one submitted event.
pub const ADMIN_SUBMISSION: &str = "/admin/submissions/{id}";
const ADMIN_SUBMISSION_PREFIX: &str = "/admin/submissions/";

/// A submitter's private page.
pub fn submission(token: &str) -> String {
    format!("{SUBMISSION_PREFIX}{token}")
}

/// Where an administrator edits and decides on submitted event `id`.
pub fn admin_submission(id: &str) -> String {
    format!("{ADMIN_SUBMISSION_PREFIX}{id}")
}

/// The digest page, with a query (filters, language, week).
pub fn digest(query: &str) -> String {
    with_query(DIGEST, query)
}

/// The digest feed, with a query (filters, language).
pub fn digest_rss(query: &str) -> String {
    with_query(DIGEST_RSS, query)
}

/// A subscription link's page (`path` one of the `DIGEST_*` steps) with its token.
pub fn digest_step(path: &str, token: &str) -> String {
    format!("{path}?token={token}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builders_match_the_registered_patterns() {
        assert_eq!(event_page("abc"), EVENT.replace("{file}", "abc"));
        assert_eq!(event_ics("abc"), EVENT.replace("{file}", "abc.ics"));
        assert_eq!(admin_decide("x-2"), ADMIN_DECIDE.replace("{id}", "x-2"));
        assert_eq!(calendar(""), CALENDAR);
        assert_eq!(feed_rss("tag=a"), format!("{FEED_RSS}?tag=a"));
        assert!(API_EVENTS.starts_with(API_PREFIX) && API_SOURCES.starts_with(API_PREFIX));
    }
}
