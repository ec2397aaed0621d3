//! The schema, as an ordered list of migrations; its length is the schema version
//! (SQLite's `user_version`). Each runs in its own transaction. Never edit a landed
//! migration: add the next one.

use rusqlite::Connection;
use rusqlite_migration::{M, Migrations};

const MIGRATIONS: &[&str] = &[
    // 1: sources with their fetch state, posts, and the record of every fetch.
    r#"
    CREATE TABLE sources (
        id          TEXT PRIMARY KEY,
        name        TEXT NOT NULL,
        department  TEXT NOT NULL DEFAULT '',
        tags        TEXT NOT NULL DEFAULT '[]',   -- JSON array of strings
        kind        TEXT CHECK (kind IN ('feed', 'ical', 'html')),
        url         TEXT,
        file        TEXT,
        schedule    TEXT,
        timezone    TEXT,
        selectors   TEXT,                         -- JSON object or NULL
        origin      TEXT NOT NULL DEFAULT 'config' CHECK (origin IN ('config', 'registered')),
        active      INTEGER NOT NULL DEFAULT 1,
        created_at  TEXT NOT NULL,
        -- what the fetcher remembers between passes
        fetch_url            TEXT,                -- set by a permanent redirect
        etag                 TEXT,
        last_modified        TEXT,
        consecutive_failures INTEGER NOT NULL DEFAULT 0,
        next_attempt_after   TEXT,
        CHECK ((url IS NULL) <> (file IS NULL))
    );

    CREATE TABLE posts (
        id            INTEGER PRIMARY KEY,
        source_id     TEXT NOT NULL REFERENCES sources(id) ON DELETE CASCADE,
        entry_id      TEXT NOT NULL,
        link          TEXT,
        title         TEXT NOT NULL,
        author        TEXT,
        published_at  TEXT,
        updated_at    TEXT,
        summary_html  TEXT,
        content_html  TEXT,
        language      TEXT,
        categories    TEXT NOT NULL DEFAULT '[]',
        content_hash  TEXT NOT NULL,
        first_seen_at TEXT NOT NULL,
        changed_at    TEXT NOT NULL,
        sort_at       TEXT NOT NULL,              -- published, else updated, else first seen
        UNIQUE (source_id, entry_id)
    );
    CREATE INDEX posts_by_date ON posts (sort_at DESC);

    CREATE TABLE fetches (
        id            INTEGER PRIMARY KEY,
        source_id     TEXT NOT NULL REFERENCES sources(id) ON DELETE CASCADE,
        url           TEXT NOT NULL,
        started_at    TEXT NOT NULL,
        duration_ms   INTEGER NOT NULL,
        parse_ms      INTEGER NOT NULL,
        http_status   INTEGER,
        bytes         INTEGER NOT NULL,
        items_found   INTEGER NOT NULL,
        items_new     INTEGER NOT NULL,
        items_updated INTEGER NOT NULL,
        outcome       TEXT NOT NULL CHECK (outcome IN ('ok', 'not_modified', 'failed')),
        error         TEXT
    );
    CREATE INDEX fetches_by_source ON fetches (source_id, id DESC);
    "#,
    // 2: events, merged across sources; each source's version is kept as a listing.
    r#"
    CREATE TABLE events (
        id               INTEGER PRIMARY KEY,
        uid              TEXT NOT NULL UNIQUE,    -- public, permanent
        series_uid       TEXT,
        title            TEXT NOT NULL,
        description_text TEXT,
        description_html TEXT,
        start_at         TEXT NOT NULL,           -- `2026-12-11` or an RFC 3339 UTC instant
        end_at           TEXT,
        start_utc        TEXT NOT NULL,           -- the start as an instant, for ordering and windows
        end_utc          TEXT NOT NULL,           -- the end (else the start) as an instant
        all_day          INTEGER NOT NULL,
        timezone         TEXT,
        location_name    TEXT,
        location_address TEXT,
        online_url       TEXT,
        url              TEXT,
        organiser        TEXT,
        language         TEXT,
        status           TEXT NOT NULL CHECK (status IN ('confirmed', 'tentative', 'cancelled', 'postponed')),
        categories       TEXT NOT NULL DEFAULT '[]',
        listed           INTEGER NOT NULL DEFAULT 1,   -- 0: no source lists it any more
        provenance       TEXT NOT NULL DEFAULT '{}',   -- field -> source id
        calendar_hash    TEXT NOT NULL,
        revision         INTEGER NOT NULL DEFAULT 0,   -- goes up when what a calendar shows changes
        first_seen_at    TEXT NOT NULL,
        last_seen_at     TEXT NOT NULL,
        changed_at       TEXT NOT NULL
    );
    CREATE INDEX events_by_start ON events (start_utc);
    CREATE INDEX events_by_end ON events (end_utc);

    CREATE TABLE event_listings (
        source_id     TEXT NOT NULL REFERENCES sources(id) ON DELETE CASCADE,
        source_uid    TEXT NOT NULL,
        event_id      INTEGER NOT NULL REFERENCES events(id) ON DELETE CASCADE,
        data          TEXT NOT NULL,              -- this source's version, as JSON
        first_seen_at TEXT NOT NULL,
        last_seen_at  TEXT NOT NULL,
        missing_count INTEGER NOT NULL DEFAULT 0, -- successful fetches it was absent from
        listed        INTEGER NOT NULL DEFAULT 1,
        PRIMARY KEY (source_id, source_uid)
    );
    CREATE INDEX listings_by_event ON event_listings (event_id);

    ALTER TABLE fetches ADD COLUMN warnings TEXT;
    "#,
    // 3: full-text search over events and posts; sources registered through the web.
    r#"
    CREATE VIRTUAL TABLE events_fts USING fts5(
        title, description_text, location_name, location_address,
        content = 'events', content_rowid = 'id', tokenize = 'unicode61 remove_diacritics 2'
    );
    CREATE TRIGGER events_fts_insert AFTER INSERT ON events BEGIN
        INSERT INTO events_fts (rowid, title, description_text, location_name, location_address)
        VALUES (new.id, new.title, new.description_text, new.location_name, new.location_address);
    END;
    CREATE TRIGGER events_fts_delete AFTER DELETE ON events BEGIN
        INSERT INTO events_fts (events_fts, rowid, title, description_text, location_name, location_address)
        VALUES ('delete', old.id, old.title, old.description_text, old.location_name, old.location_address);
    END;
    CREATE TRIGGER events_fts_update AFTER UPDATE OF title, description_text, location_name, location_address ON events BEGIN
        INSERT INTO events_fts (events_fts, rowid, title, description_text, location_name, location_address)
        VALUES ('delete', old.id, old.title, old.description_text, old.location_name, old.location_address);
        INSERT INTO events_fts (rowid, title, description_text, location_name, location_address)
        VALUES (new.id, new.title, new.description_text, new.location_name, new.location_address);
    END;
    INSERT INTO events_fts (events_fts) VALUES ('rebuild');

    CREATE VIRTUAL TABLE posts_fts USING fts5(
        title, author, summary_html, content_html,
        content = 'posts', content_rowid = 'id', tokenize = 'unicode61 remove_diacritics 2'
    );
    CREATE TRIGGER posts_fts_insert AFTER INSERT ON posts BEGIN
        INSERT INTO posts_fts (rowid, title, author, summary_html, content_html)
        VALUES (new.id, new.title, new.author, new.summary_html, new.content_html);
    END;
    CREATE TRIGGER posts_fts_delete AFTER DELETE ON posts BEGIN
        INSERT INTO posts_fts (posts_fts, rowid, title, author, summary_html, content_html)
        VALUES ('delete', old.id, old.title, old.author, old.summary_html, old.content_html);
    END;
    CREATE TRIGGER posts_fts_update AFTER UPDATE OF title, author, summary_html, content_html ON posts BEGIN
        INSERT INTO posts_fts (posts_fts, rowid, title, author, summary_html, content_html)
        VALUES ('delete', old.id, old.title, old.author, old.summary_html, old.content_html);
        INSERT INTO posts_fts (rowid, title, author, summary_html, content_html)
        VALUES (new.id, new.title, new.author, new.summary_html, new.content_html);
    END;
    INSERT INTO posts_fts (posts_fts) VALUES ('rebuild');

    -- Sources an organiser registered wait for an administrator.
    ALTER TABLE sources ADD COLUMN moderation TEXT NOT NULL DEFAULT 'approved'
        CHECK (moderation IN ('pending', 'approved', 'rejected'));
    ALTER TABLE sources ADD COLUMN contact_email TEXT;
    ALTER TABLE sources ADD COLUMN submitted_at TEXT;
    ALTER TABLE sources ADD COLUMN events_from_links INTEGER NOT NULL DEFAULT 0;
    "#,
    // 3: what a source turned out to be, and how many items it last gave, so a feed
    // that turns into a web page or an empty document is reported, not taken as "ok".
    r#"
    ALTER TABLE sources ADD COLUMN detected_kind TEXT
        CHECK (detected_kind IN ('feed', 'ical', 'html'));
    ALTER TABLE sources ADD COLUMN last_items INTEGER NOT NULL DEFAULT 0;
    "#,
    // 4: the change counter every writer bumps in its own transaction when something a
    // page or feed shows changed (so a server notices another process's writes), and
    // secrets generated once per install (the key CSRF tokens are signed with).
    r#"
    CREATE TABLE changes (
        id         INTEGER PRIMARY KEY CHECK (id = 1),
        generation INTEGER NOT NULL
    );
    INSERT INTO changes (id, generation) VALUES (1, 1);

    CREATE TABLE install_secrets (
        name  TEXT PRIMARY KEY,
        value BLOB NOT NULL
    );
    "#,
    // 5: a feed's own home page (its channel or alternate link), for the OPML blog roll.
    r#"
    ALTER TABLE sources ADD COLUMN home_url TEXT;
    "#,
    // 6: writing only what changed. A listing keeps a digest of its content, so an
    // unchanged one is not rewritten; "last seen" is the source's latest reading, kept once
    // per fetch, not per row; a source keeps the key of the document it last read (what
    // reading it depended on, and its digest), so the same document again is recorded as
    // `unchanged` without being read or written; the full-text index follows only text
    // that changed; an event keeps the key its title is matched by.
    r#"
    ALTER TABLE event_listings ADD COLUMN content_hash TEXT NOT NULL DEFAULT '';
    ALTER TABLE events ADD COLUMN title_key TEXT;         -- `dedup::title_key` of the title
    ALTER TABLE sources ADD COLUMN listings_seen_at TEXT;
    ALTER TABLE sources ADD COLUMN content_key TEXT;
    UPDATE sources SET listings_seen_at =
        (SELECT max(l.last_seen_at) FROM event_listings l WHERE l.source_id = sources.id);

    CREATE TABLE fetches_new (
        id            INTEGER PRIMARY KEY,
        source_id     TEXT NOT NULL REFERENCES sources(id) ON DELETE CASCADE,
        url           TEXT NOT NULL,
        started_at    TEXT NOT NULL,
        duration_ms   INTEGER NOT NULL,
        parse_ms      INTEGER NOT NULL,
        http_status   INTEGER,
        bytes         INTEGER NOT NULL,
        items_found   INTEGER NOT NULL,
        items_new     INTEGER NOT NULL,
        items_updated INTEGER NOT NULL,
        outcome       TEXT NOT NULL CHECK (outcome IN ('ok', 'unchanged', 'not_modified', 'failed')),
        error         TEXT,
        warnings      TEXT
    );
    INSERT INTO fetches_new SELECT id, source_id, url, started_at, duration_ms, parse_ms, http_status,
        bytes, items_found, items_new, items_updated, outcome, error, warnings FROM fetches;
    DROP TABLE fetches;
    ALTER TABLE fetches_new RENAME TO fetches;
    CREATE INDEX fetches_by_source ON fetches (source_id, id DESC);

    DROP TRIGGER events_fts_update;
    CREATE TRIGGER events_fts_update AFTER UPDATE OF title, description_text, location_name, location_address ON events
    WHEN old.title IS NOT new.title OR old.description_text IS NOT new.description_text
      OR old.location_name IS NOT new.location_name OR old.location_address IS NOT new.location_address
    BEGIN
        INSERT INTO events_fts (events_fts, rowid, title, description_text, location_name, location_address)
        VALUES ('delete', old.id, old.title, old.description_text, old.location_name, old.location_address);
        INSERT INTO events_fts (rowid, title, description_text, location_name, location_address)
        VALUES (new.id, new.title, new.description_text, new.location_name, new.location_address);
    END;
    DROP TRIGGER posts_fts_update;
    CREATE TRIGGER posts_fts_update AFTER UPDATE OF title, author, summary_html, content_html ON posts
    WHEN old.title IS NOT new.title OR old.author IS NOT new.author
      OR old.summary_html IS NOT new.summary_html OR old.content_html IS NOT new.content_html
    BEGIN
        INSERT INTO posts_fts (posts_fts, rowid, title, author, summary_html, content_html)
        VALUES ('delete', old.id, old.title, old.author, old.summary_html, old.content_html);
        INSERT INTO posts_fts (rowid, title, author, summary_html, content_html)
        VALUES (new.id, new.title, new.author, new.summary_html, new.content_html);
    END;
    "#,
    // 7: a lease on a source being refreshed, so that two processes sharing the database
    // (the service and a cron `bulletin fetch`) never refresh one source at once; it runs
    // out by itself, so a process killed mid-refresh does not hold the source for ever.
    r#"
    ALTER TABLE sources ADD COLUMN claimed_by TEXT;
    ALTER TABLE sources ADD COLUMN claimed_until TEXT;
    "#,
    // 8: indexes a new listing's match is found in without reading rows. Candidates are
    // read from (start, title key) alone, and whether the source lists an event already
    // from (event, source); the full row is read only for a candidate whose title agrees.
    // Before, every candidate at the same minute cost two random reads in the two largest
    // tables, so a fetch got slower as the store grew.
    r#"
    DROP INDEX events_by_start;
    CREATE INDEX events_by_start_key ON events (start_utc, title_key);
    DROP INDEX listings_by_event;
    CREATE INDEX listings_by_event_source ON event_listings (event_id, source_id);

    -- New rows reach the full-text indexes in one statement per fetch (`store::fts`), not
    -- a trigger per row: FTS5 writes its pending terms to disk at every statement's
    -- savepoint, so a trigger made one index segment per event or post, and merging them
    -- was a sixth of a calendar's ingest. Changed text still goes through the update
    -- triggers (rare: only text that changed), deletions through the delete triggers.
    DROP TRIGGER events_fts_insert;
    DROP TRIGGER posts_fts_insert;
    "#,
    // 9: events in start order, read from an index. Views list events by (start, row id)
    // and calendars are read a page at a time by that key; (start, title key) cannot give
    // that order, so every page sorted the whole window (a 100,000-event calendar's first
    // page read all 100,000 rows through `events_by_end` and sorted them, twice). One index
    // on (start, row id, title key) gives that order and still answers a new listing's
    // candidates without reading rows (a second index beside the matching one cost a
    // 100,000-event ingest a third more time).
    r#"
    DROP INDEX IF EXISTS events_by_start_key;
    CREATE INDEX IF NOT EXISTS events_by_start ON events (start_utc, id, title_key);
    "#,
    // 10: one event or post in two languages. A source may say its language and the source
    // it translates (`sources.toml`, the registration form); a page source keeps the
    // other-language versions its document links to (`alternates`), so a listing page and
    // its translation pair up. An event keeps its versions in other languages and the
    // translation links its listings give (`versions`, JSON; NULL for an event known in
    // one language only, as every event was before). A post keeps the translation links
    // its feed gives, and points at the post it translates, found by those links.
    r#"
    ALTER TABLE sources ADD COLUMN language TEXT;
    ALTER TABLE sources ADD COLUMN translation_of TEXT;
    ALTER TABLE sources ADD COLUMN alternates TEXT;
    ALTER TABLE events ADD COLUMN versions TEXT;
    ALTER TABLE posts ADD COLUMN translation_of INTEGER REFERENCES posts(id) ON DELETE SET NULL;
    CREATE INDEX posts_by_link ON posts (link);
    CREATE INDEX posts_by_translation ON posts (translation_of) WHERE translation_of IS NOT NULL;
    CREATE TABLE post_alternates (
        post_id  INTEGER NOT NULL REFERENCES posts(id) ON DELETE CASCADE,
        url      TEXT NOT NULL,
        language TEXT NOT NULL DEFAULT '',
        PRIMARY KEY (url, post_id)
    );
    CREATE INDEX post_alternates_by_post ON post_alternates (post_id);
    "#,
    // 11: events stored apart before their sources were paired become one
    // (`store::rejoin`). The event that is not kept stays, pointing at the one that is
    // (`merged_into`), so calendars publish its UID as cancelled and its page redirects;
    // a source keeps the partners it was last rejoined with (`paired_with`, JSON), so a
    // pairing that appears is noticed once. An event in two languages keeps the title keys
    // of its other versions (`version_keys`, one a line), so a listing in another
    // language than the event leads with is matched by title from the index alone; rows
    // stored before are filled in by the migration's hook.
    r#"
    ALTER TABLE events ADD COLUMN merged_into INTEGER;
    CREATE INDEX events_merged_into ON events (merged_into) WHERE merged_into IS NOT NULL;
    ALTER TABLE sources ADD COLUMN paired_with TEXT;
    ALTER TABLE events ADD COLUMN version_keys TEXT;
    CREATE INDEX events_by_start_versions ON events (start_utc, id, version_keys)
        WHERE version_keys IS NOT NULL;
    "#,
    // 12: the listings of a page of events are read from one covering index, in event
    // order, instead of from the listing rows themselves (each ~1 KB with its JSON, one
    // random page read apiece): a fifth fewer page reads and a seventh less CPU for the
    // whole 100,000-event calendar. The prefix (event_id, source_id) serves what the index
    // it replaces served.
    r#"
    DROP INDEX IF EXISTS listings_by_event_source;
    CREATE INDEX listings_by_event ON event_listings
        (event_id, source_id, source_uid, listed, missing_count, last_seen_at, first_seen_at);
    "#,
    // 13: the weekly digest. Subscriptions (an address, the listing's filters as a
    // canonical query, a language), pending until confirmed; their tokens kept as SHA-256
    // digests only, each for one purpose, expiring; one delivery row per (subscription,
    // week), written before the next subscription is tried, so a restart neither sends a
    // week twice nor skips it; addresses the mail server refused for good; and what
    // changed in an event that a digest reports (cancelled, no longer listed, moved in
    // time or place), kept by a trigger as the old values at the time of the change.
    r#"
    CREATE TABLE subscriptions (
        id           INTEGER PRIMARY KEY,
        email        TEXT NOT NULL,
        filter       TEXT NOT NULL,              -- canonical query: source, tag, department, q
        language     TEXT NOT NULL,
        send_empty   INTEGER NOT NULL DEFAULT 0, -- a short note on weeks with nothing
        status       TEXT NOT NULL CHECK (status IN ('pending', 'active', 'unsubscribed')),
        created_at   TEXT NOT NULL,
        confirmed_at TEXT,
        ended_at     TEXT,
        UNIQUE (email, filter)
    );
    CREATE INDEX subscriptions_by_status ON subscriptions (status, filter);
    CREATE TABLE subscription_tokens (
        digest          TEXT PRIMARY KEY,        -- hex SHA-256 of the token
        subscription_id INTEGER NOT NULL REFERENCES subscriptions(id) ON DELETE CASCADE,
        purpose         TEXT NOT NULL CHECK (purpose IN ('confirm', 'unsubscribe', 'manage')),
        created_at      TEXT NOT NULL,
        expires_at      TEXT NOT NULL,
        used_at         TEXT
    );
    CREATE INDEX subscription_tokens_by_subscription ON subscription_tokens (subscription_id, created_at);
    CREATE TABLE digest_deliveries (
        subscription_id INTEGER NOT NULL REFERENCES subscriptions(id) ON DELETE CASCADE,
        week            TEXT NOT NULL,           -- the digest's first day, 2027-01-11
        status          TEXT NOT NULL CHECK (status IN ('sending', 'sent', 'empty', 'deferred', 'failed')),
        attempts        INTEGER NOT NULL DEFAULT 0,
        message_id      TEXT NOT NULL,
        updated_at      TEXT NOT NULL,
        retry_after     TEXT,
        error           TEXT,
        PRIMARY KEY (subscription_id, week)
    );
    CREATE TABLE mail_failures (
        email     TEXT PRIMARY KEY,
        failed_at TEXT NOT NULL,
        reason    TEXT NOT NULL
    );
    CREATE TABLE digest_state (
        name  TEXT PRIMARY KEY,
        value TEXT NOT NULL
    );
    CREATE TABLE event_changes (
        id            INTEGER PRIMARY KEY,
        event_id      INTEGER NOT NULL REFERENCES events(id) ON DELETE CASCADE,
        changed_at    TEXT NOT NULL,
        old_start_at  TEXT,
        old_start_utc TEXT,
        old_status    TEXT,
        old_listed    INTEGER,
        old_location  TEXT
    );
    CREATE INDEX event_changes_by_time ON event_changes (changed_at);
    CREATE TRIGGER events_record_changes AFTER UPDATE OF start_utc, status, listed, location_name ON events
    WHEN old.start_utc IS NOT new.start_utc OR old.status IS NOT new.status
      OR old.listed IS NOT new.listed OR old.location_name IS NOT new.location_name
    BEGIN
        INSERT INTO event_changes (event_id, changed_at, old_start_at, old_start_utc, old_status, old_listed, old_location)
        VALUES (new.id, new.changed_at, old.start_at, old.start_utc, old.status, old.listed, old.location_name);
    END;
    "#,
    // 14: single events submitted through the form (issue 15): waiting for approval, then
    // written as listings of their department's "Submitted events" sources, which hold
    // nothing to fetch (`submitted = 1`: never refreshed, not on the health page).
    r#"
    CREATE TABLE submissions (
        id            INTEGER PRIMARY KEY,
        token_digest  TEXT NOT NULL UNIQUE,   -- SHA-256 of the submitter's private token
        state         TEXT NOT NULL DEFAULT 'pending'
                      CHECK (state IN ('pending', 'approved', 'rejected', 'cancelled')),
        data          TEXT NOT NULL,          -- JSON: submission::EventSubmission
        reason        TEXT,                   -- why it was rejected
        published     INTEGER NOT NULL DEFAULT 0,  -- written as listings once approved
        submitted_at  TEXT NOT NULL,
        updated_at    TEXT NOT NULL,
        decided_at    TEXT
    );
    CREATE INDEX submissions_by_state ON submissions (state, submitted_at);
    ALTER TABLE sources ADD COLUMN submitted INTEGER NOT NULL DEFAULT 0;
    "#,
    // 15: a page source may say how to find the posts of a page without article markup
    // (`[sources.post_selectors]`, JSON, like `selectors` for events).
    r#"
    ALTER TABLE sources ADD COLUMN post_selectors TEXT;
    "#,
    // 16: beside each title key, its distinguishing words (`dedup::title_marks`: numbers,
    // months, days, parts), in the index a new listing's candidates are read from, so
    // candidates whose words conflict are passed over inside the index. A profile of a
    // 100-calendar first ingest spent a third of the writer's time reading such
    // candidates out one by one and refusing them. Filled in for stored rows by the hook.
    r#"
    ALTER TABLE events ADD COLUMN title_marks TEXT;
    DROP INDEX IF EXISTS events_by_start;
    CREATE INDEX events_by_start ON events (start_utc, id, title_key, title_marks);
    "#,
    // 17: the full-text indexes merge their segments sixteen at a time instead of four. A
    // fetch writes one segment per write of new rows (`store::fts`); merging them four
    // at a time was 9% of the writer's time in a 100-calendar first ingest (perf), and
    // sixteen made the whole benchmark 0.91x the wall time (farm-bench A/B, 3 pairs). A
    // search reads at most fifteen segments a level instead of three.
    r#"
    INSERT INTO events_fts (events_fts, rank) VALUES ('automerge', 16);
    INSERT INTO posts_fts (posts_fts, rank) VALUES ('automerge', 16);
    "#,
    // 18: each language's version of an event keeps its own place. Events stored with
    // versions before then have versions without one: their listings are marked as read
    // differently and their sources' documents as not read yet (nor their validators
    // sent), so the next fetch reads them whole and merges them again (a translated place
    // then raises the event's revision, as it changes the other language's calendar).
    r#"
    UPDATE event_listings SET content_hash = 'versions-without-places'
     WHERE event_id IN (SELECT id FROM events WHERE versions IS NOT NULL);
    UPDATE sources SET content_key = NULL, etag = NULL, last_modified = NULL
     WHERE id IN (SELECT l.source_id FROM event_listings l JOIN events e ON e.id = l.event_id
                  WHERE e.versions IS NOT NULL);
    "#,
    // 19: a source's readings (fetches that read the document: `ok`, `unchanged`) found
    // by index. Every `not modified` or `unchanged` record looked back through the
    // source's records for its last reading, and each fetch asked whether there had been
    // one: with 90 days of hourly records for 1,000 sources (2.2 million rows, as
    // retention keeps them) that was 4.3 ms of the writer's time a fetch, 0.01 ms with
    // this index, which holds only the readings (a week's first hour, say, of a feed
    // answered 304 otherwise). Queries name its condition as written here, so SQLite
    // knows they may use it.
    r#"
    CREATE INDEX fetches_readings_by_source ON fetches (source_id, id)
        WHERE outcome = 'ok' OR outcome = 'unchanged';
    "#,
    // 20: what every calendar's conditions read (`merged_into`, `end_utc`) in the two
    // indexes a calendar is read through, so a condition is settled inside the index and
    // only the events it selects are read from the table. Before, counting the events of
    // a 100,000-event calendar read every event's row (0.21 s of a cold render, before
    // any page was read), and a department's calendar (a tenth of them) read all 100,000
    // rows twice, to count and to page through them: its cold render took 0.75 s.
    r#"
    DROP INDEX events_by_end;
    CREATE INDEX events_by_end ON events (end_utc, merged_into);
    DROP INDEX events_by_start;
    CREATE INDEX events_by_start ON events (start_utc, id, title_key, title_marks, merged_into, end_utc);
    "#,
    // 21: the hook (`checks_without_lists`) rewrites two CHECK constraints.
    "-- events.status and fetches.outcome: CHECKs without a list of constants",
];

/// The CHECK constraints migration 21 rewrites: (as created, as rewritten). SQLite
/// evaluates `x IN (…)` over more than two constants by filling an ephemeral table, once
/// for every row inserted: a profile of the 100-calendar first ingest found 7% of the
/// writer's time opening, filling and closing the one of `events.status`. The same
/// values compared one by one accept and refuse the same rows (both columns are NOT NULL).
const REWRITTEN_CHECKS: [(&str, &str, &str); 2] = [
    (
        "events",
        "CHECK (status IN ('confirmed', 'tentative', 'cancelled', 'postponed'))",
        "CHECK (status = 'confirmed' OR status = 'tentative' OR status = 'cancelled' OR status = 'postponed')",
    ),
    (
        "fetches",
        "CHECK (outcome IN ('ok', 'unchanged', 'not_modified', 'failed'))",
        "CHECK (outcome = 'ok' OR outcome = 'unchanged' OR outcome = 'not_modified' OR outcome = 'failed')",
    ),
];

/// The index of the migration whose hook fills in `events.version_keys`.
const VERSION_KEYS: usize = 11;
/// The index of the migration whose hook fills in `events.title_marks`.
const TITLE_MARKS: usize = 16;
/// The index of the migration whose hook rewrites [`REWRITTEN_CHECKS`].
const CHECKS_WITHOUT_LISTS: usize = 21;
/// The index of the migration that has events in two languages merged again.
#[cfg(test)]
const VERSION_PLACES: usize = 18;

/// The schema version this build migrates to (SQLite's `user_version` once applied).
pub fn schema_version() -> u32 {
    u32::try_from(MIGRATIONS.len()).expect("a few dozen migrations")
}

/// Brings the database up to the newest schema.
pub fn apply(conn: &mut Connection) -> Result<(), rusqlite_migration::Error> {
    Migrations::new(all()).to_latest(conn)
}

fn all() -> Vec<M<'static>> {
    MIGRATIONS
        .iter()
        .enumerate()
        .map(|(i, sql)| match i {
            VERSION_KEYS => M::up_with_hook(sql, |tx: &rusqlite::Transaction| {
                fill_version_keys(tx)?;
                Ok(())
            }),
            TITLE_MARKS => M::up_with_hook(sql, |tx: &rusqlite::Transaction| {
                fill_title_marks(tx)?;
                Ok(())
            }),
            CHECKS_WITHOUT_LISTS => M::up_with_hook(sql, |tx: &rusqlite::Transaction| {
                checks_without_lists(tx)?;
                Ok(())
            }),
            _ => M::up(sql),
        })
        .collect()
}

/// `version_keys` of every event stored with versions before it was kept.
fn fill_version_keys(tx: &Connection) -> rusqlite::Result<()> {
    let rows: Vec<(i64, String)> = tx
        .prepare("SELECT id, versions FROM events WHERE versions IS NOT NULL")?
        .query_map([], |row| Ok((row.get(0)?, row.get(1)?)))?
        .collect::<rusqlite::Result<_>>()?;
    let mut update = tx.prepare("UPDATE events SET version_keys = ?2 WHERE id = ?1")?;
    for (id, versions) in rows {
        let keys = crate::normalise::dedup::language::stored(&versions).title_keys();
        update.execute(rusqlite::params![id, keys])?;
    }
    Ok(())
}

/// Rewrites [`REWRITTEN_CHECKS`] in the tables' stored definitions, by SQLite's own
/// procedure for schema changes that leave every stored row as it is (`ALTER TABLE`,
/// "Making Other Kinds Of Table Schema Changes"): the definition is edited in
/// `sqlite_schema` and the schema version moved on, in the migration's transaction. A
/// table whose definition does not hold the constraint as created is left as it is.
fn checks_without_lists(tx: &Connection) -> rusqlite::Result<()> {
    let version: i64 = tx.query_row("PRAGMA schema_version", [], |row| row.get(0))?;
    tx.pragma_update(None, "writable_schema", true)?;
    let mut edited = 0;
    for (table, created, rewritten) in REWRITTEN_CHECKS {
        edited += tx.execute(
            "UPDATE sqlite_schema SET sql = replace(sql, ?2, ?3)
             WHERE type = 'table' AND name = ?1 AND instr(sql, ?2) > 0",
            rusqlite::params![table, created, rewritten],
        )?;
    }
    if edited > 0 {
        tx.pragma_update(None, "schema_version", version + 1)?;
    }
    tx.pragma_update(None, "writable_schema", false)?;
    Ok(())
}

/// `title_marks` of every event stored with a title key before the marks were kept.
fn fill_title_marks(tx: &Connection) -> rusqlite::Result<()> {
    let rows: Vec<(i64, String)> = tx
        .prepare("SELECT id, title_key FROM events WHERE title_key IS NOT NULL")?
        .query_map([], |row| Ok((row.get(0)?, row.get(1)?)))?
        .collect::<rusqlite::Result<_>>()?;
    let mut update = tx.prepare("UPDATE events SET title_marks = ?2 WHERE id = ?1")?;
    for (id, key) in rows {
        let marks = crate::normalise::dedup::title_marks(&key);
        update.execute(rusqlite::params![id, marks])?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn migrations_are_valid() {
        assert!(super::MIGRATIONS[super::VERSION_KEYS].contains("version_keys"));
        assert!(super::MIGRATIONS[super::TITLE_MARKS].contains("title_marks"));
        let migrations = rusqlite_migration::Migrations::new(super::all());
        migrations.validate().expect("migrations apply cleanly");
    }

    #[test]
    fn events_stored_in_two_languages_before_get_their_version_keys() {
        let mut conn = rusqlite::Connection::open_in_memory().unwrap();
        let before: Vec<_> = super::all().into_iter().take(super::VERSION_KEYS).collect();
        rusqlite_migration::Migrations::new(before)
            .to_latest(&mut conn)
            .unwrap();
        conn.execute_batch(
            r#"INSERT INTO events (uid, title, start_at, start_utc, end_utc, all_day, status,
                   calendar_hash, first_seen_at, last_seen_at, changed_at, versions)
               VALUES ('u', 'Dîner-causerie', 'x', 'x', 'x', 0, 'confirmed', 'h', 'x', 'x', 'x',
                   '{"versions":[{"language":"en","title":"Lunch and Learn!","sources":["en"]}]}'),
                  ('v', 'Town hall', 'x', 'x', 'x', 0, 'confirmed', 'h', 'x', 'x', 'x', NULL);"#,
        )
        .unwrap();
        super::apply(&mut conn).unwrap();
        let keys: Vec<Option<String>> = conn
            .prepare("SELECT version_keys FROM events ORDER BY uid")
            .unwrap()
            .query_map([], |row| row.get(0))
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap();
        assert_eq!(keys, [Some("lunch learn".to_string()), None]);
    }

    #[test]
    fn events_stored_in_two_languages_before_places_were_kept_are_read_again() {
        let mut conn = rusqlite::Connection::open_in_memory().unwrap();
        let before: Vec<_> = super::all()
            .into_iter()
            .take(super::VERSION_PLACES)
            .collect();
        rusqlite_migration::Migrations::new(before)
            .to_latest(&mut conn)
            .unwrap();
        conn.execute_batch(
            r#"INSERT INTO sources (id, name, url, created_at, etag, last_modified, content_key)
               VALUES ('fr', 'FR', 'http://fr', 'x', '"e"', 'lm', 'k'),
                      ('other', 'Other', 'http://o', 'x', '"e"', 'lm', 'k');
               INSERT INTO events (id, uid, title, start_at, start_utc, end_utc, all_day, status,
                   calendar_hash, first_seen_at, last_seen_at, changed_at, versions)
               VALUES (1, 'u', 'Dîner-causerie', 'x', 'x', 'x', 0, 'confirmed', 'h', 'x', 'x', 'x',
                   '{"versions":[{"language":"en","title":"Lunch and Learn!","sources":["en"]}]}'),
                  (2, 'v', 'Town hall', 'x', 'x', 'x', 0, 'confirmed', 'h', 'x', 'x', 'x', NULL);
               INSERT INTO event_listings (source_id, source_uid, event_id, data, first_seen_at,
                   last_seen_at, content_hash)
               VALUES ('fr', 'a', 1, '{}', 'x', 'x', 'h1'), ('other', 'b', 2, '{}', 'x', 'x', 'h2');"#,
        )
        .unwrap();
        super::apply(&mut conn).unwrap();
        let hashes: Vec<String> = conn
            .prepare("SELECT content_hash FROM event_listings ORDER BY event_id")
            .unwrap()
            .query_map([], |row| row.get(0))
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap();
        assert_eq!(hashes, ["versions-without-places", "h2"]);
        let sources: Vec<(Option<String>, Option<String>, Option<String>)> = conn
            .prepare("SELECT content_key, etag, last_modified FROM sources ORDER BY id")
            .unwrap()
            .query_map([], |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)))
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap();
        let kept = (Some("k".into()), Some("\"e\"".into()), Some("lm".into()));
        assert_eq!(sources, [(None, None, None), kept]);
    }

    #[test]
    fn events_stored_before_marks_were_kept_get_them() {
        let mut conn = rusqlite::Connection::open_in_memory().unwrap();
        let before: Vec<_> = super::all().into_iter().take(super::TITLE_MARKS).collect();
        rusqlite_migration::Migrations::new(before)
            .to_latest(&mut conn)
            .unwrap();
        conn.execute_batch(
            r#"INSERT INTO events (uid, title, start_at, start_utc, end_utc, all_day, status,
                   calendar_hash, first_seen_at, last_seen_at, changed_at, title_key)
               VALUES ('u', 'Lunch and learn 12, part 2', 'x', 'x', 'x', 0, 'confirmed', 'h', 'x',
                   'x', 'x', 'lunch learn 12 part 2'),
                  ('v', 'Town hall', 'x', 'x', 'x', 0, 'confirmed', 'h', 'x', 'x', 'x', 'town hall'),
                  ('w', 'Old', 'x', 'x', 'x', 0, 'confirmed', 'h', 'x', 'x', 'x', NULL);"#,
        )
        .unwrap();
        super::apply(&mut conn).unwrap();
        let marks: Vec<Option<String>> = conn
            .prepare("SELECT title_marks FROM events ORDER BY uid")
            .unwrap()
            .query_map([], |row| row.get(0))
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap();
        assert_eq!(
            marks,
            [Some("12 2 part".to_string()), Some(String::new()), None]
        );
    }

    /// Stored before migration 21, checked by lists; after it, by comparisons, which refuse
    /// and accept the same values, the rows kept as they were, and no insert fills an
    /// ephemeral table for its CHECK.
    #[test]
    fn status_and_outcome_checks_are_rewritten_without_lists() {
        let mut conn = rusqlite::Connection::open_in_memory().unwrap();
        let before: Vec<_> = super::all()
            .into_iter()
            .take(super::CHECKS_WITHOUT_LISTS)
            .collect();
        rusqlite_migration::Migrations::new(before)
            .to_latest(&mut conn)
            .unwrap();
        let insert_event = |conn: &rusqlite::Connection, uid: &str, status: &str| {
            conn.execute(
                "INSERT INTO events (uid, title, start_at, start_utc, end_utc, all_day, status,
                     calendar_hash, first_seen_at, last_seen_at, changed_at)
                 VALUES (?1, 'Town hall', 'x', 'x', 'x', 0, ?2, 'h', 'x', 'x', 'x')",
                [uid, status],
            )
        };
        insert_event(&conn, "kept", "postponed").unwrap();
        super::apply(&mut conn).unwrap();

        let definition = |table: &str| -> String {
            conn.query_row(
                "SELECT sql FROM sqlite_schema WHERE type = 'table' AND name = ?1",
                [table],
                |row| row.get(0),
            )
            .unwrap()
        };
        for (table, created, rewritten) in super::REWRITTEN_CHECKS {
            let sql = definition(table);
            assert!(!sql.contains(created) && sql.contains(rewritten), "{sql}");
        }
        let status: String = conn
            .query_row("SELECT status FROM events WHERE uid = 'kept'", [], |r| {
                r.get(0)
            })
            .unwrap();
        assert_eq!(status, "postponed");
        for good in ["confirmed", "tentative", "cancelled", "postponed"] {
            insert_event(&conn, good, good).unwrap();
        }
        for bad in ["Confirmed", "", "done"] {
            let refused = insert_event(&conn, &format!("bad {bad}"), bad).unwrap_err();
            assert!(refused.to_string().contains("CHECK"), "{refused}");
        }
        conn.execute(
            "INSERT INTO sources (id, name, url, created_at) VALUES ('s', 'S', 'https://a/', 'x')",
            [],
        )
        .unwrap();
        let insert_fetch = |outcome: &str| {
            conn.execute(
                "INSERT INTO fetches (source_id, url, started_at, duration_ms, parse_ms, bytes,
                     items_found, items_new, items_updated, outcome)
                 VALUES ('s', 'https://a/', 'x', 0, 0, 0, 0, 0, 0, ?1)",
                [outcome],
            )
        };
        for good in ["ok", "unchanged", "not_modified", "failed"] {
            insert_fetch(good).unwrap();
        }
        assert!(insert_fetch("modified").is_err());

        let steps: Vec<String> = conn
            .prepare("EXPLAIN INSERT INTO events (uid, title, status) VALUES (?1, ?2, ?3)")
            .unwrap()
            .query_map(["u", "t", "confirmed"], |row| row.get(1))
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap();
        assert!(!steps.iter().any(|op| op == "OpenEphemeral"), "{steps:?}");
        let check: String = conn
            .query_row("PRAGMA integrity_check", [], |row| row.get(0))
            .unwrap();
        assert_eq!(check, "ok");
    }
}
