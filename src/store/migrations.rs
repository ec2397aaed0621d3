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
];

/// Brings the database up to the newest schema.
pub fn apply(conn: &mut Connection) -> Result<(), rusqlite_migration::Error> {
    let migrations = Migrations::new(MIGRATIONS.iter().map(|sql| M::up(sql)).collect());
    migrations.to_latest(conn)
}

#[cfg(test)]
mod tests {
    #[test]
    fn migrations_are_valid() {
        let migrations = rusqlite_migration::Migrations::new(
            super::MIGRATIONS
                .iter()
                .map(|sql| rusqlite_migration::M::up(sql))
                .collect(),
        );
        migrations.validate().expect("migrations apply cleanly");
    }
}
