//! Leases on sources, so that two processes sharing the database (`bulletin serve` and a
//! cron `bulletin fetch`) never refresh one source at once. A claim is one conditional
//! UPDATE — taken when the source is unclaimed, its lease has run out, or it is the
//! holder's own — and carries an expiry, so a process killed mid-refresh holds a source
//! only until then. Claims change nothing a page shows: the generation does not move.

use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, params};

use super::{Store, StoreError, parse_ts, ts};

/// What claiming a source found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SourceClaim {
    /// The lease is the caller's until it is released or runs out.
    Taken,
    /// Another holder's lease, not run out yet.
    HeldBy {
        holder: String,
        until: DateTime<Utc>,
    },
}

impl Store {
    /// Claims source `id` for `holder` until `until`, unless another holder's lease runs
    /// past `now`. A source the store does not know is not contended: `Taken`.
    pub fn claim_source(
        &self,
        id: &str,
        holder: &str,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<SourceClaim, StoreError> {
        let mut claims = self.claim_sources(&[id], holder, now, until)?;
        Ok(claims.pop().unwrap_or(SourceClaim::Taken))
    }

    /// [`Store::claim_source`] for each of `ids`, in one transaction (a fetch pass claims
    /// its sources together); the answers in the order of `ids`.
    pub fn claim_sources(
        &self,
        ids: &[&str],
        holder: &str,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<Vec<SourceClaim>, StoreError> {
        self.write_reporting("claiming sources", |tx| {
            let mut take = tx.prepare_cached(
                "UPDATE sources SET claimed_by = ?2, claimed_until = ?4
                 WHERE id = ?1 AND (claimed_until IS NULL OR claimed_until < ?3 OR claimed_by = ?2)",
            )?;
            let mut holder_of =
                tx.prepare_cached("SELECT claimed_by, claimed_until FROM sources WHERE id = ?1")?;
            let (now_text, until_text) = (ts(now), ts(until));
            let mut claims = Vec::with_capacity(ids.len());
            for id in ids {
                if take.execute(params![id, holder, now_text, until_text])? == 1 {
                    claims.push(SourceClaim::Taken);
                    continue;
                }
                let held: Option<(Option<String>, Option<String>)> = holder_of
                    .query_row([id], |row| Ok((row.get(0)?, row.get(1)?)))
                    .optional()?;
                claims.push(match held {
                    Some((Some(holder), Some(until))) => SourceClaim::HeldBy {
                        holder,
                        until: parse_ts(&until).unwrap_or(now),
                    },
                    _ => SourceClaim::Taken,
                });
            }
            Ok((claims, false))
        })
    }

    /// Releases `holder`'s lease on source `id` (another holder's is left alone).
    pub fn release_source(&self, id: &str, holder: &str) -> Result<(), StoreError> {
        self.write_reporting("releasing a source", |tx| {
            release(tx, id, holder)?;
            Ok(((), false))
        })
    }

    /// Releases every lease `holder` still has: a process stopping mid-pass leaves no
    /// source to wait for its lease to run out.
    pub fn release_all_sources(&self, holder: &str) -> Result<(), StoreError> {
        self.write_reporting("releasing sources", |tx| {
            tx.execute(
                "UPDATE sources SET claimed_by = NULL, claimed_until = NULL
                 WHERE claimed_by = ?1",
                [holder],
            )?;
            Ok(((), false))
        })
    }

    /// Who holds source `id`, and until when, if anyone's lease is recorded.
    pub fn source_claim(&self, id: &str) -> Result<Option<(String, DateTime<Utc>)>, StoreError> {
        self.read("reading a source's claim", |conn| {
            conn.query_row(
                "SELECT claimed_by, claimed_until FROM sources
                 WHERE id = ?1 AND claimed_by IS NOT NULL",
                [id],
                |row| Ok((row.get::<_, String>(0)?, row.get::<_, String>(1)?)),
            )
            .optional()
        })
        .map(|found| {
            found.and_then(|(holder, until)| parse_ts(&until).map(|until| (holder, until)))
        })
    }
}

/// Releases `holder`'s lease on source `id` inside a transaction of the caller's (a
/// fetch's write releases the lease it was made under).
pub(super) fn release(tx: &Connection, id: &str, holder: &str) -> rusqlite::Result<()> {
    tx.prepare_cached(
        "UPDATE sources SET claimed_by = NULL, claimed_until = NULL
         WHERE id = ?1 AND claimed_by = ?2",
    )?
    .execute(params![id, holder])?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Location, Source};

    #[test]
    fn one_holder_at_a_time_until_the_lease_runs_out() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("b.db");
        let first = Store::open(&path).unwrap();
        let second = Store::open(&path).unwrap();
        let source = Source {
            id: "s".into(),
            name: "S".into(),
            department: String::new(),
            tags: vec![],
            kind: None,
            location: Location::Url("https://x.example/feed".parse().unwrap()),
            schedule: None,
            timezone: None,
            selectors: None,
            post_selectors: None,
            events_from_links: false,
            language: None,
            translation_of: None,
        };
        let now: DateTime<Utc> = "2026-12-01T12:00:00Z".parse().unwrap();
        let later = now + chrono::TimeDelta::minutes(10);
        first.sync_config_sources(&[source], now).unwrap();
        let generation = first.generation();
        assert_eq!(
            first.claim_source("s", "a", now, later).unwrap(),
            SourceClaim::Taken
        );
        assert_eq!(
            second.claim_source("s", "b", now, later).unwrap(),
            SourceClaim::HeldBy {
                holder: "a".into(),
                until: later
            }
        );
        assert_eq!(
            first.claim_source("s", "a", now, later).unwrap(),
            SourceClaim::Taken
        );
        // Run out: taken over.
        let after = later + chrono::TimeDelta::seconds(1);
        assert_eq!(
            second.claim_source("s", "b", after, after).unwrap(),
            SourceClaim::Taken
        );
        first.release_source("s", "a").unwrap();
        assert_eq!(second.source_claim("s").unwrap(), Some(("b".into(), after)));
        second.release_source("s", "b").unwrap();
        assert_eq!(first.source_claim("s").unwrap(), None);
        assert_eq!(
            first.claim_source("zz", "a", now, later).unwrap(),
            SourceClaim::Taken
        );
        assert_eq!(
            first.generation(),
            generation,
            "claims are not visible changes"
        );
    }
}
