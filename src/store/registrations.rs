//! Sources organisers register through the web (or operators with `bulletin sources
//! add`): stored pending, approved or rejected by an administrator, removed on request.
//! Approved ones are active alongside the `sources.toml` ones and persist across restarts.

use chrono::{DateTime, Utc};
use rusqlite::{OptionalExtension, params};

use super::{Store, StoreError, ts, ts_column};
use crate::model::{Location, Source, SourceKind};

/// A registered source waiting for (or past) moderation.
#[derive(Debug, Clone, PartialEq)]
pub struct Registration {
    pub source: Source,
    pub contact_email: Option<String>,
    pub submitted: Option<DateTime<Utc>>,
    pub moderation: String,
}

/// A source already at an address someone is registering.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Taken {
    pub id: String,
    pub name: String,
    /// Its address, as stored.
    pub url: String,
    pub standing: Standing,
}

/// Why a source counts as taken: where it came from and how far its moderation got.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Standing {
    /// In the sources file.
    Configured,
    /// Registered and approved.
    Approved,
    /// Registered, waiting for an administrator.
    Pending,
}

/// The sources whose address a new registration may not have: every one but the
/// rejected or removed, the submitted-event sources (no address) and sources the sources
/// file no longer lists.
const TAKEN: &str = "url IS NOT NULL AND moderation IS NOT 'rejected' AND submitted = 0
     AND NOT (origin = 'config' AND active = 0)";

/// What a moderation or removal request could not do.
#[derive(Debug, thiserror::Error)]
pub enum ModerationError {
    #[error("no source `{0}`")]
    Unknown(String),
    #[error("source `{0}` is listed in sources.toml; change it there")]
    Configured(String),
    #[error("a source `{0}` exists already")]
    Exists(String),
    /// The address is another source's (found in the same transaction as the insert).
    #[error("{url} is already the address of source `{id}`")]
    UrlTaken { url: String, id: String },
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl Store {
    /// Stores a registration as pending.
    pub fn register_source(
        &self,
        source: &Source,
        contact_email: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<(), ModerationError> {
        let (url, file) = match &source.location {
            Location::Url(url) => (Some(url.to_string()), None),
            Location::File(path) => (None, Some(path.display().to_string())),
        };
        self.write("registering a source", |tx| {
            // Checked in the insert's own transaction, so two registrations of one address
            // at the same moment cannot both be stored.
            if tx
                .query_row("SELECT 1 FROM sources WHERE id = ?1", [&source.id], |_| Ok(()))
                .optional()?
                .is_some()
            {
                return Ok(Err(ModerationError::Exists(source.id.clone())));
            }
            if let Some(url) = &url {
                let sql = format!("SELECT id FROM sources WHERE url = ?1 AND {TAKEN} LIMIT 1");
                let owner: Option<String> =
                    tx.query_row(&sql, [url], |row| row.get(0)).optional()?;
                if let Some(id) = owner {
                    return Ok(Err(ModerationError::UrlTaken {
                        url: url.clone(),
                        id,
                    }));
                }
            }
            tx.execute(
                "INSERT OR IGNORE INTO sources (id, name, department, tags, kind, url, file, timezone, origin, active, created_at,
                    moderation, contact_email, submitted_at, language, translation_of)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, 'registered', 0, ?9, 'pending', ?10, ?9, ?11, ?12)",
                params![
                    source.id,
                    source.name,
                    source.department,
                    serde_json::to_string(&source.tags).unwrap_or_else(|_| "[]".into()),
                    source.kind.map(SourceKind::as_str),
                    url,
                    file,
                    source.timezone.map(|z| z.name().to_string()),
                    ts(now),
                    contact_email,
                    source.language,
                    source.translation_of,
                ],
            )
            .map(|inserted| {
                if inserted == 0 {
                    Err(ModerationError::Exists(source.id.clone()))
                } else {
                    Ok(())
                }
            })
        })?
    }

    /// An unused source id made from a name: lower-case letters, digits and hyphens, with
    /// `-2`, `-3`… added when taken.
    pub fn free_source_id(&self, name: &str) -> Result<String, StoreError> {
        let slug = slug(name);
        let mut id = slug.clone();
        let mut n = 1;
        while self.source_exists(&id)? {
            n += 1;
            id = format!("{slug}-{n}");
        }
        Ok(id)
    }

    /// The first source (by id) at one of `urls`, compared as stored: a URL is
    /// registered once. See [`TAKEN`] for the sources that count.
    pub fn source_at_urls(&self, urls: &[String]) -> Result<Option<Taken>, StoreError> {
        self.read("looking up a source by URL", |conn| {
            let sql = format!(
                "SELECT id, name, url, origin, moderation FROM sources WHERE {TAKEN} ORDER BY id"
            );
            let mut stmt = conn.prepare(&sql)?;
            let rows = stmt.query_map([], |row| {
                Ok(Taken {
                    id: row.get(0)?,
                    name: row.get(1)?,
                    url: row.get(2)?,
                    standing: match (
                        row.get_ref(3)?.as_str().unwrap_or_default(),
                        row.get_ref(4)?.as_str().unwrap_or_default(),
                    ) {
                        ("config", _) => Standing::Configured,
                        (_, "pending") => Standing::Pending,
                        _ => Standing::Approved,
                    },
                })
            })?;
            for row in rows {
                let taken = row?;
                if urls.contains(&taken.url) {
                    return Ok(Some(taken));
                }
            }
            Ok(None)
        })
    }

    /// Whether a source id is taken (by any source, in any state).
    pub fn source_exists(&self, id: &str) -> Result<bool, StoreError> {
        self.read("checking a source id", |conn| {
            conn.query_row("SELECT 1 FROM sources WHERE id = ?1", [id], |_| Ok(()))
                .optional()
                .map(|found| found.is_some())
        })
    }

    /// Registrations in a moderation state ("pending", "approved", "rejected"), oldest first.
    pub fn registrations(&self, moderation: &str) -> Result<Vec<Registration>, StoreError> {
        let sources = self.read("listing registrations", |conn| {
            let mut stmt = conn.prepare(
                "SELECT id, contact_email, submitted_at, moderation FROM sources
                 WHERE origin = 'registered' AND moderation = ?1 ORDER BY submitted_at, id",
            )?;
            let rows = stmt.query_map([moderation], |row| {
                Ok((
                    row.get::<_, String>(0)?,
                    row.get::<_, Option<String>>(1)?,
                    ts_column(row, 2)?,
                    row.get::<_, String>(3)?,
                ))
            })?;
            rows.collect::<rusqlite::Result<Vec<_>>>()
        })?;
        sources
            .into_iter()
            .map(|(id, contact_email, submitted, moderation)| {
                let (source, _) = self.source(&id)?;
                Ok(Registration {
                    source,
                    contact_email,
                    submitted,
                    moderation,
                })
            })
            .collect()
    }

    /// Approves (activates) or rejects a registered source.
    pub fn moderate_source(&self, id: &str, approve: bool) -> Result<Source, ModerationError> {
        let origin = self.origin(id)?;
        if origin != "registered" {
            return Err(ModerationError::Configured(id.to_string()));
        }
        self.write("moderating a source", |tx| {
            tx.execute(
                "UPDATE sources SET moderation = ?2, active = ?3 WHERE id = ?1",
                params![id, if approve { "approved" } else { "rejected" }, approve],
            )
        })?;
        Ok(self.source(id)?.0)
    }

    /// Stops fetching a registered source and hides it; its past events and posts stay in
    /// the archive.
    pub fn remove_source(&self, id: &str) -> Result<(), ModerationError> {
        let origin = self.origin(id)?;
        if origin != "registered" {
            return Err(ModerationError::Configured(id.to_string()));
        }
        self.write("removing a source", |tx| {
            tx.execute(
                "UPDATE sources SET active = 0, moderation = 'rejected' WHERE id = ?1",
                [id],
            )
        })?;
        Ok(())
    }

    fn origin(&self, id: &str) -> Result<String, ModerationError> {
        let origin: Option<String> = self.read("reading a source's origin", |conn| {
            conn.query_row("SELECT origin FROM sources WHERE id = ?1", [id], |row| {
                row.get(0)
            })
            .optional()
        })?;
        origin.ok_or_else(|| ModerationError::Unknown(id.to_string()))
    }
}

fn slug(name: &str) -> String {
    let words: Vec<String> = name
        .to_lowercase()
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_string)
        .collect();
    let joined: String = words.join("-").chars().take(48).collect();
    let trimmed = joined.trim_end_matches('-').to_string();
    if trimmed.is_empty() {
        "source".to_string()
    } else {
        trimmed
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn registered(id: &str) -> Source {
        Source {
            id: id.into(),
            name: "Team events".into(),
            department: "Health Canada".into(),
            tags: vec!["events".into()],
            kind: Some(SourceKind::Html),
            location: Location::Url(
                "https://events.example.gc.ca/en/events.html"
                    .parse()
                    .unwrap(),
            ),
            schedule: None,
            timezone: None,
            selectors: None,
            post_selectors: None,
            events_from_links: false,
            language: None,
            translation_of: None,
        }
    }

    #[test]
    fn ids_come_from_names() {
        assert_eq!(slug("Open Data — Équipe 2!"), "open-data-quipe-2");
        assert_eq!(slug("***"), "source");
    }

    #[test]
    fn pending_then_approved_then_removed() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("t.db")).unwrap();
        let now: chrono::DateTime<Utc> = "2026-11-20T10:00:00Z".parse().unwrap();
        store
            .register_source(&registered("team"), Some("organiser@example.gc.ca"), now)
            .unwrap();
        assert!(matches!(
            store.register_source(&registered("team"), None, now),
            Err(ModerationError::Exists(_))
        ));
        assert!(
            store.active_sources().unwrap().is_empty(),
            "pending sources are not fetched"
        );
        let pending = store.registrations("pending").unwrap();
        assert_eq!(pending.len(), 1);
        assert_eq!(
            pending[0].contact_email.as_deref(),
            Some("organiser@example.gc.ca")
        );
        store.moderate_source("team", true).unwrap();
        assert_eq!(store.active_sources().unwrap().len(), 1);
        // A restart's sync of sources.toml keeps registered sources.
        store.sync_config_sources(&[], now).unwrap();
        assert_eq!(store.active_sources().unwrap().len(), 1);
        store.remove_source("team").unwrap();
        assert!(store.active_sources().unwrap().is_empty());
        assert!(matches!(
            store.moderate_source("nope", true),
            Err(ModerationError::Unknown(_))
        ));
    }
}
