//! Which sources are each other's translation, and whether a stored event is another
//! language's version of a listing being written (the rule is
//! `normalise::dedup::language`; this module reads what it needs).
//!
//! Two sources are paired when one names the other in `translation_of` (sources.toml or
//! the registration form), or when one's document links the other's address as its
//! version in another language (`hreflang` alternates, the GCWeb language toggle: kept
//! per source as `sources.alternates`, from its latest reading).

use std::collections::HashSet;

use rusqlite::{Connection, OptionalExtension, params};

use super::{Store, StoreError};
use crate::model::{Event, EventTime, Post, PostVersion, Translation};
use crate::normalise::dedup::language::{self, Counterpart, page_key};

/// The sources a source's events may be translations of.
#[derive(Debug, Default)]
pub(super) struct Pairing {
    partners: HashSet<String>,
}

impl Pairing {
    /// The partners of `source_id`, as the sources table says now. Runs in every write of
    /// a fetch, so it reads only the sources that can be partners: those `translation_of`
    /// links, those whose documents link other pages (`alternates`), and every address
    /// only when this source's own document links some (parsing every source's address
    /// for each fetch made a pass over 1,000 unchanged feeds 15x slower).
    pub(super) fn of(tx: &Connection, source_id: &str) -> rusqlite::Result<Pairing> {
        struct Row {
            id: String,
            translation_of: Option<String>,
            url: Option<String>,
            fetch_url: Option<String>,
            alternates: Option<String>,
        }
        impl Row {
            fn addresses(&self) -> Vec<String> {
                [self.url.as_deref(), self.fetch_url.as_deref()]
                    .into_iter()
                    .flatten()
                    .map(page_key)
                    .collect()
            }
            fn alternates(&self) -> Vec<String> {
                self.alternates
                    .as_deref()
                    .map(stored_alternates)
                    .unwrap_or_default()
                    .into_iter()
                    .map(|t| page_key(&t.url))
                    .collect()
            }
        }
        let read = |row: &rusqlite::Row| {
            Ok(Row {
                id: row.get(0)?,
                translation_of: row.get(1)?,
                url: row.get(2)?,
                fetch_url: row.get(3)?,
                alternates: row.get(4)?,
            })
        };
        const COLUMNS: &str = "id, translation_of, url, fetch_url, alternates";
        let Some(me) = tx
            .prepare_cached(&format!("SELECT {COLUMNS} FROM sources WHERE id = ?1"))?
            .query_row([source_id], read)
            .optional()?
        else {
            return Ok(Pairing::default());
        };
        let my_alternates = me.alternates();
        // Every other active source when this one links pages (any may be linked), else
        // only those that name it, that it names, or that link pages themselves.
        let others: Vec<Row> = tx
            .prepare_cached(&format!(
                "SELECT {COLUMNS} FROM sources
                 WHERE active = 1 AND id <> ?1
                   AND (?2 OR translation_of = ?1 OR id = ?3 OR alternates IS NOT NULL)"
            ))?
            .query_map(
                params![source_id, !my_alternates.is_empty(), me.translation_of],
                read,
            )?
            .collect::<rusqlite::Result<_>>()?;
        let my_addresses = me.addresses();
        let partners = others
            .iter()
            .filter(|other| {
                me.translation_of.as_deref() == Some(other.id.as_str())
                    || other.translation_of.as_deref() == Some(me.id.as_str())
                    || (!my_alternates.is_empty()
                        && other.addresses().iter().any(|a| my_alternates.contains(a)))
                    || other.alternates().iter().any(|a| my_addresses.contains(a))
            })
            .map(|other| other.id.clone())
            .collect();
        Ok(Pairing { partners })
    }

    /// The partners' source ids.
    pub(super) fn partners(&self) -> impl Iterator<Item = &String> {
        self.partners.iter()
    }

    /// Whether a listing may be a translation of a stored event at all: its source has a
    /// partner, or it links its own translations.
    pub(super) fn applies(&self, event: &Event) -> bool {
        !self.partners.is_empty() || !event.translations.is_empty()
    }
}

/// How `listing` is another language's version of stored event `event_id`, scored; `None`
/// when it is not (see `dedup::language::translation_score`).
pub(super) fn score(
    tx: &Connection,
    event_id: i64,
    listing: &Event,
    pairing: &Pairing,
) -> rusqlite::Result<Option<f64>> {
    let row = tx
        .prepare_cached(
            "SELECT start_at, end_at, location_name, location_address, online_url, url, versions
             FROM events WHERE id = ?1",
        )?
        .query_row([event_id], |row| {
            Ok((
                row.get::<_, String>(0)?,
                row.get::<_, Option<String>>(1)?,
                row.get::<_, Option<String>>(2)?,
                row.get::<_, Option<String>>(3)?,
                row.get::<_, Option<String>>(4)?,
                row.get::<_, Option<String>>(5)?,
                row.get::<_, Option<String>>(6)?,
            ))
        })
        .optional()?;
    let Some((start, end, name, address, online, url, versions)) = row else {
        return Ok(None);
    };
    let listed_by_partner = !pairing.partners.is_empty() && {
        let mut sources = tx.prepare_cached(
            "SELECT source_id FROM event_listings WHERE event_id = ?1 AND listed = 1",
        )?;
        let ids = sources
            .query_map([event_id], |row| row.get::<_, String>(0))?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        ids.iter().any(|id| pairing.partners.contains(id))
    };
    let versions = versions
        .as_deref()
        .map(language::stored)
        .unwrap_or_default();
    let mut urls: Vec<&str> = url.as_deref().into_iter().collect();
    urls.extend(versions.versions.iter().filter_map(|v| v.url.as_deref()));
    let counterpart = Counterpart {
        start: EventTime::from_text(&start),
        end: end.as_deref().and_then(EventTime::from_text),
        location_name: name.as_deref(),
        location_address: address.as_deref(),
        online_url: online.as_deref(),
        urls,
        links: versions.links.iter().map(String::as_str).collect(),
        listed_by_partner,
    };
    Ok(language::translation_score(listing, &counterpart))
}

/// Keeps what a source's latest reading said of its versions in other languages.
pub(super) fn note_alternates(
    tx: &Connection,
    source_id: &str,
    alternates: &[Translation],
) -> rusqlite::Result<()> {
    let column = (!alternates.is_empty()).then(|| serde_json::to_string(alternates).ok());
    tx.prepare_cached("UPDATE sources SET alternates = ?2 WHERE id = ?1 AND alternates IS NOT ?2")?
        .execute(params![source_id, column.flatten()])?;
    Ok(())
}

/// Keeps a post's translation links and pairs it with a post it translates or that
/// translates it (one whose link it names, or that names its link): the first stored of
/// them stays the original, the others point at it.
pub(super) fn pair_post(tx: &Connection, id: i64, post: &Post, new: bool) -> rusqlite::Result<()> {
    if !new {
        tx.prepare_cached("DELETE FROM post_alternates WHERE post_id = ?1")?
            .execute([id])?;
    }
    for translation in &post.translations {
        tx.prepare_cached(
            "INSERT OR IGNORE INTO post_alternates (post_id, url, language) VALUES (?1, ?2, ?3)",
        )?
        .execute(params![id, translation.url, translation.language])?;
    }
    let mut partners: Vec<(i64, Option<i64>, Option<String>)> = Vec::new();
    for translation in &post.translations {
        let mut named = tx.prepare_cached(
            "SELECT id, translation_of, language FROM posts WHERE link = ?1 AND id <> ?2",
        )?;
        for row in named.query_map(params![translation.url, id], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?))
        })? {
            partners.push(row?);
        }
    }
    if let Some(link) = &post.link {
        let mut naming = tx.prepare_cached(
            "SELECT p.id, p.translation_of, p.language FROM post_alternates a
             JOIN posts p ON p.id = a.post_id WHERE a.url = ?1 AND p.id <> ?2",
        )?;
        for row in naming.query_map(params![link, id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))? {
            partners.push(row?);
        }
    }
    let mine = post
        .language
        .as_deref()
        .and_then(crate::normalise::language::code);
    let Some((partner, partner_root, _)) = partners.into_iter().find(|(_, _, language)| {
        let theirs = language
            .as_deref()
            .and_then(crate::normalise::language::code);
        !matches!((&mine, &theirs), (Some(a), Some(b)) if a == b)
    }) else {
        return Ok(());
    };
    let my_root: i64 = tx
        .prepare_cached("SELECT coalesce(translation_of, id) FROM posts WHERE id = ?1")?
        .query_row([id], |row| row.get(0))?;
    let their_root = partner_root.unwrap_or(partner);
    if my_root == their_root {
        return Ok(());
    }
    let (root, other) = (my_root.min(their_root), my_root.max(their_root));
    tx.prepare_cached(
        "UPDATE posts SET translation_of = ?1 WHERE (id = ?2 OR translation_of = ?2) AND id <> ?1",
    )?
    .execute(params![root, other])?;
    Ok(())
}

/// The other versions of post `id`, whose original is `root` (itself when it is one).
pub(super) fn post_versions(
    conn: &Connection,
    id: i64,
    root: i64,
) -> rusqlite::Result<Vec<PostVersion>> {
    conn.prepare_cached(
        "SELECT p.language, p.title, p.link, p.summary_html, p.source_id, s.name
         FROM posts p JOIN sources s ON s.id = p.source_id
         WHERE (p.id = ?2 OR p.translation_of = ?2) AND p.id <> ?1 AND s.active = 1
         ORDER BY p.id",
    )?
    .query_map(params![id, root], |row| {
        let language: Option<String> = row.get(0)?;
        Ok(PostVersion {
            language: language
                .as_deref()
                .and_then(crate::normalise::language::code)
                .unwrap_or_default(),
            title: row.get(1)?,
            link: row.get(2)?,
            summary_html: row.get(3)?,
            source_id: row.get(4)?,
            source_name: row.get(5)?,
        })
    })?
    .collect()
}

fn stored_alternates(column: &str) -> Vec<Translation> {
    serde_json::from_str(column).unwrap_or_default()
}

impl Store {
    /// The source an organiser names by id or address (any source, approved or not), with
    /// its language.
    pub fn find_source(
        &self,
        id_or_url: &str,
    ) -> Result<Option<(String, Option<String>)>, StoreError> {
        let key = page_key(id_or_url);
        self.read("finding a source", |conn| {
            type Row = (String, Option<String>, Option<String>, Option<String>);
            let rows: Vec<Row> = conn
                .prepare("SELECT id, language, url, fetch_url FROM sources ORDER BY id")?
                .query_map([], |row| {
                    Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?))
                })?
                .collect::<rusqlite::Result<_>>()?;
            Ok(rows
                .into_iter()
                .find(|(id, _, url, fetch_url)| {
                    id == id_or_url.trim()
                        || [url, fetch_url]
                            .into_iter()
                            .flatten()
                            .any(|u| page_key(u) == key)
                })
                .map(|(id, language, _, _)| (id, language)))
        })
    }
}
