//! Posts in the store: idempotent upserts keyed by (source, entry id), and the filtered,
//! newest-first reads behind the merged feeds.

use chrono::{DateTime, Utc};
use rusqlite::types::Value;
use rusqlite::{Connection, OptionalExtension, params};
use sha2::{Digest, Sha256};

use super::{Store, StoreError, json_list, ts, ts_column};
use crate::model::{Post, StoredPost};

/// Which posts a merged feed shows. Within one field values are alternatives (OR);
/// across fields they all apply (AND).
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct PostFilter {
    pub sources: Vec<String>,
    pub tags: Vec<String>,
    pub departments: Vec<String>,
    /// Words that must all appear (prefixes, ignoring case and accents).
    pub text: Option<String>,
    /// Only posts dated at or after this instant (published, else updated, else first seen).
    pub since: Option<DateTime<Utc>>,
    /// Only posts dated before this instant.
    pub before: Option<DateTime<Utc>>,
    pub limit: u32,
}

pub(super) enum Upsert {
    /// Inserted, with its row id (not yet in the full-text index: see `store::fts`).
    New(i64),
    Updated,
    Unchanged,
}

/// Inserts a post, or updates it in place when any of its fields changed.
pub(super) fn upsert_post(
    tx: &Connection,
    post: &Post,
    now: DateTime<Utc>,
) -> rusqlite::Result<Upsert> {
    let hash = content_hash(post);
    let existing: Option<(String, String)> = tx
        .prepare_cached(
            "SELECT content_hash, first_seen_at FROM posts WHERE source_id = ?1 AND entry_id = ?2",
        )?
        .query_row(params![post.source_id, post.entry_id], |row| {
            Ok((row.get(0)?, row.get(1)?))
        })
        .optional()?;
    let categories = serde_json::to_string(&post.categories).unwrap_or_else(|_| "[]".into());
    let first_seen = match &existing {
        Some((old_hash, _)) if *old_hash == hash => return Ok(Upsert::Unchanged),
        Some((_, first_seen)) => first_seen.clone(),
        None => ts(now),
    };
    let sort_at = post
        .published
        .or(post.updated)
        .map(ts)
        .unwrap_or_else(|| first_seen.clone());
    tx.prepare_cached(
        "INSERT INTO posts (source_id, entry_id, link, title, author, published_at, updated_at,
            summary_html, content_html, language, categories, content_hash, first_seen_at, changed_at, sort_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)
         ON CONFLICT (source_id, entry_id) DO UPDATE SET
            link = excluded.link, title = excluded.title, author = excluded.author,
            published_at = excluded.published_at, updated_at = excluded.updated_at,
            summary_html = excluded.summary_html, content_html = excluded.content_html,
            language = excluded.language, categories = excluded.categories,
            content_hash = excluded.content_hash, changed_at = excluded.changed_at,
            sort_at = excluded.sort_at",
    )?
    .execute(params![
            post.source_id,
            post.entry_id,
            post.link,
            post.title,
            post.author,
            post.published.map(ts),
            post.updated.map(ts),
            post.summary_html,
            post.content_html,
            post.language,
            categories,
            hash,
            first_seen,
            ts(now),
            sort_at,
        ],
    )?;
    // A new row's id is the last inserted; an updated one's is looked up.
    let id: i64 = match existing {
        None => tx.last_insert_rowid(),
        Some(_) => tx
            .prepare_cached("SELECT id FROM posts WHERE source_id = ?1 AND entry_id = ?2")?
            .query_row(params![post.source_id, post.entry_id], |row| row.get(0))?,
    };
    super::translations::pair_post(tx, id, post, existing.is_none())?;
    Ok(if existing.is_some() {
        Upsert::Updated
    } else {
        Upsert::New(id)
    })
}

/// A digest of every stored field, so an unchanged entry costs no write.
fn content_hash(post: &Post) -> String {
    let mut hasher = Sha256::new();
    let fields = [
        post.link.as_deref(),
        Some(post.title.as_str()),
        post.author.as_deref(),
        post.summary_html.as_deref(),
        post.content_html.as_deref(),
        post.language.as_deref(),
    ];
    for field in fields {
        hasher.update(field.unwrap_or("\u{0}").as_bytes());
        hasher.update([0xff]);
    }
    for date in [post.published, post.updated] {
        hasher.update(date.map(ts).unwrap_or_default().as_bytes());
        hasher.update([0xff]);
    }
    for category in &post.categories {
        hasher.update(category.as_bytes());
        hasher.update([0xfe]);
    }
    // Translation links count only where there are some, so a post stored before they
    // were read keeps its digest.
    for translation in &post.translations {
        hasher.update([0xfd]);
        hasher.update(translation.language.as_bytes());
        hasher.update(translation.url.as_bytes());
    }
    format!("{:x}", hasher.finalize())
}

/// What [`stored_post`] reads, from `posts p JOIN sources s`.
pub(super) const STORED_POST_COLUMNS: &str = "p.source_id, p.entry_id, p.link, p.title, p.author, \
     p.published_at, p.updated_at, p.summary_html, p.content_html, p.language, p.categories, \
     s.name, s.department, p.first_seen_at, p.changed_at, p.id, coalesce(p.translation_of, p.id)";

/// A post as the feeds read it (its versions not yet filled in), with its row id and the
/// row id of the post it is a translation of (its own when none).
pub(super) fn stored_post(row: &rusqlite::Row) -> rusqlite::Result<(StoredPost, i64, i64)> {
    let post = StoredPost {
        post: Post {
            source_id: row.get(0)?,
            entry_id: row.get(1)?,
            link: row.get(2)?,
            title: row.get(3)?,
            author: row.get(4)?,
            published: ts_column(row, 5)?,
            updated: ts_column(row, 6)?,
            summary_html: row.get(7)?,
            content_html: row.get(8)?,
            language: row.get(9)?,
            categories: json_list(&row.get::<_, String>(10)?),
            translations: Vec::new(),
        },
        source_name: row.get(11)?,
        department: row.get(12)?,
        first_seen: ts_column(row, 13)?.unwrap_or_default(),
        changed: ts_column(row, 14)?.unwrap_or_default(),
        versions: Vec::new(),
    };
    Ok((post, row.get(15)?, row.get(16)?))
}

impl Store {
    /// Posts of active sources matching `filter`, newest first. A post and its
    /// translations count once: the first stored of them, with the others as its versions
    /// (a translation shows on its own only where the filter leaves its original out).
    pub fn posts(&self, filter: &PostFilter) -> Result<Vec<StoredPost>, StoreError> {
        self.read("reading posts", |conn| {
            let (clause, mut values) = filter_clause(filter);
            values.extend(values.clone());
            values.push(Value::Integer(i64::from(filter.limit.max(1))));
            let sql = format!(
                "SELECT {STORED_POST_COLUMNS}
                 FROM posts p JOIN sources s ON s.id = p.source_id
                 WHERE s.active = 1 {clause}
                   AND (p.translation_of IS NULL OR p.translation_of NOT IN (
                        SELECT p.id FROM posts p JOIN sources s ON s.id = p.source_id
                        WHERE s.active = 1 {clause}))
                 ORDER BY p.sort_at DESC, p.id DESC
                 LIMIT ?"
            );
            let mut stmt = conn.prepare(&sql)?;
            let rows = stmt.query_map(rusqlite::params_from_iter(values), stored_post)?;
            let mut posts = Vec::new();
            for row in rows {
                let (mut post, id, root) = row?;
                post.versions = super::translations::post_versions(conn, id, root)?;
                posts.push(post);
            }
            Ok(posts)
        })
    }

    /// The stored posts of `source_id` with these entry ids, with the translation links
    /// they were stored with: what a page's listing was completed from before, so its
    /// articles' own pages need not be read again.
    pub fn stored_posts(
        &self,
        source_id: &str,
        entry_ids: &[String],
    ) -> Result<Vec<Post>, StoreError> {
        self.read("reading stored posts", |conn| {
            let mut stmt = conn.prepare_cached(
                "SELECT id, entry_id, link, title, author, published_at, updated_at,
                        summary_html, content_html, language, categories
                 FROM posts WHERE source_id = ?1 AND entry_id = ?2",
            )?;
            let mut links = conn.prepare_cached(
                "SELECT language, url FROM post_alternates WHERE post_id = ?1 ORDER BY url",
            )?;
            let mut out = Vec::new();
            for entry_id in entry_ids {
                let found = stmt
                    .query_row(params![source_id, entry_id], |row| {
                        Ok((
                            row.get::<_, i64>(0)?,
                            Post {
                                source_id: source_id.to_string(),
                                entry_id: row.get(1)?,
                                link: row.get(2)?,
                                title: row.get(3)?,
                                author: row.get(4)?,
                                published: ts_column(row, 5)?,
                                updated: ts_column(row, 6)?,
                                summary_html: row.get(7)?,
                                content_html: row.get(8)?,
                                language: row.get(9)?,
                                categories: json_list(&row.get::<_, String>(10)?),
                                translations: Vec::new(),
                            },
                        ))
                    })
                    .optional()?;
                if let Some((id, mut post)) = found {
                    post.translations = links
                        .query_map([id], |row| {
                            Ok(crate::model::Translation {
                                language: row.get(0)?,
                                url: row.get(1)?,
                            })
                        })?
                        .collect::<rusqlite::Result<_>>()?;
                    out.push(post);
                }
            }
            Ok(out)
        })
    }

    /// When anything a merged feed with `filter` could show last changed: the newest post
    /// change among its sources.
    pub fn posts_last_changed(
        &self,
        filter: &PostFilter,
    ) -> Result<Option<DateTime<Utc>>, StoreError> {
        self.read("reading the latest change", |conn| {
            let (clause, values) = filter_clause(filter);
            let sql = format!(
                "SELECT max(p.changed_at) FROM posts p JOIN sources s ON s.id = p.source_id
                 WHERE s.active = 1 {clause}"
            );
            conn.query_row(&sql, rusqlite::params_from_iter(values), |row| {
                ts_column(row, 0)
            })
        })
    }
}

fn filter_clause(filter: &PostFilter) -> (String, Vec<Value>) {
    let mut clause = String::new();
    let mut values = Vec::new();
    let mut any_of = |sql: &str, list: &[String]| {
        if list.is_empty() {
            return;
        }
        let marks = vec!["?"; list.len()].join(", ");
        clause.push_str(&sql.replace("{}", &marks));
        values.extend(list.iter().map(|v| Value::Text(v.clone())));
    };
    any_of(" AND s.id IN ({})", &filter.sources);
    any_of(
        " AND s.department COLLATE NOCASE IN ({})",
        &filter.departments,
    );
    any_of(
        " AND EXISTS (SELECT 1 FROM json_each(s.tags) t WHERE t.value COLLATE NOCASE IN ({}))",
        &filter.tags,
    );
    if let Some(query) = filter.text.as_deref().and_then(super::fts_query) {
        clause.push_str(" AND p.id IN (SELECT rowid FROM posts_fts WHERE posts_fts MATCH ?)");
        values.push(Value::Text(query));
    }
    if let Some(since) = filter.since {
        clause.push_str(" AND p.sort_at >= ?");
        values.push(Value::Text(ts(since)));
    }
    if let Some(before) = filter.before {
        clause.push_str(" AND p.sort_at < ?");
        values.push(Value::Text(ts(before)));
    }
    (clause, values)
}
