//! What sending the weekly digest keeps: one delivery row per (subscription, week), its
//! state written before the next subscription is tried (`sending` before the message goes
//! out, then `sent`, `empty`, `deferred` for a transient failure to retry, or `failed`);
//! the addresses a mail server refused for good; whether an administrator paused
//! sending; and the changes to events a digest reports, which a trigger records
//! (`event_changes`, migration 11).

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use rusqlite::{OptionalExtension, params};

use super::events::{EventFilter, StoredEvent, select_events};
use super::{Store, StoreError, ts, ts_column};
use crate::model::{EventStatus, EventTime};

/// Where one subscription's digest for one week stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeliveryStatus {
    /// Handed to the mail server, or about to be: a crash here sends it again (with the
    /// same Message-ID) rather than skip it.
    Sending,
    Sent,
    /// Nothing to send that week, and the subscriber asked for nothing then.
    Empty,
    /// A transient failure; tried again after `retry_after`.
    Deferred,
    /// The server refused the address for good.
    Failed,
}

impl DeliveryStatus {
    fn as_str(self) -> &'static str {
        match self {
            DeliveryStatus::Sending => "sending",
            DeliveryStatus::Sent => "sent",
            DeliveryStatus::Empty => "empty",
            DeliveryStatus::Deferred => "deferred",
            DeliveryStatus::Failed => "failed",
        }
    }

    fn parse(text: &str) -> DeliveryStatus {
        match text {
            "sent" => DeliveryStatus::Sent,
            "empty" => DeliveryStatus::Empty,
            "deferred" => DeliveryStatus::Deferred,
            "failed" => DeliveryStatus::Failed,
            _ => DeliveryStatus::Sending,
        }
    }

    /// Whether the week is done for this subscription.
    pub fn is_final(self) -> bool {
        matches!(
            self,
            DeliveryStatus::Sent | DeliveryStatus::Empty | DeliveryStatus::Failed
        )
    }
}

/// One delivery row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    pub subscription_id: i64,
    pub week: String,
    pub status: DeliveryStatus,
    pub attempts: u32,
    pub message_id: String,
    pub retry_after: Option<DateTime<Utc>>,
    pub error: Option<String>,
}

/// An address the mail server refused for good.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailFailure {
    pub email: String,
    pub failed: DateTime<Utc>,
    pub reason: String,
}

/// What an event was before the changes recorded in a window: the oldest values.
#[derive(Debug, Clone, PartialEq)]
pub struct EventBefore {
    pub start: Option<EventTime>,
    pub start_utc: Option<String>,
    pub status: Option<EventStatus>,
    pub listed: bool,
    pub location: Option<String>,
}

impl Store {
    /// The delivery of `week` to subscription `id`, if any.
    pub fn delivery(&self, id: i64, week: &str) -> Result<Option<Delivery>, StoreError> {
        self.read("reading a digest delivery", |conn| {
            conn.prepare_cached(
                "SELECT subscription_id, week, status, attempts, message_id, retry_after, error
                 FROM digest_deliveries WHERE subscription_id = ?1 AND week = ?2",
            )?
            .query_row(params![id, week], |row| {
                Ok(Delivery {
                    subscription_id: row.get(0)?,
                    week: row.get(1)?,
                    status: DeliveryStatus::parse(&row.get::<_, String>(2)?),
                    attempts: row.get(3)?,
                    message_id: row.get(4)?,
                    retry_after: ts_column(row, 5)?,
                    error: row.get(6)?,
                })
            })
            .optional()
        })
    }

    /// Records where a delivery stands (one committed write): `sending` counts an
    /// attempt; the Message-ID is kept from the first attempt.
    #[allow(clippy::too_many_arguments)]
    pub fn record_delivery(
        &self,
        id: i64,
        week: &str,
        status: DeliveryStatus,
        message_id: &str,
        error: Option<&str>,
        retry_after: Option<DateTime<Utc>>,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        self.write_reporting("recording a digest delivery", |tx| {
            tx.prepare_cached(
                "INSERT INTO digest_deliveries (subscription_id, week, status, attempts, message_id, updated_at, retry_after, error)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
                 ON CONFLICT (subscription_id, week) DO UPDATE SET
                    status = excluded.status, attempts = attempts + excluded.attempts,
                    updated_at = excluded.updated_at, retry_after = excluded.retry_after,
                    error = excluded.error",
            )?
            .execute(params![
                id,
                week,
                status.as_str(),
                i64::from(status == DeliveryStatus::Sending),
                message_id,
                ts(now),
                retry_after.map(ts),
                error
            ])?;
            Ok(((), false))
        })
    }

    /// How many deliveries of `week` are in each state.
    pub fn delivery_counts(&self, week: &str) -> Result<HashMap<String, u64>, StoreError> {
        self.read("counting digest deliveries", |conn| {
            conn.prepare_cached(
                "SELECT status, count(*) FROM digest_deliveries WHERE week = ?1 GROUP BY status",
            )?
            .query_map([week], |row| {
                Ok((row.get::<_, String>(0)?, row.get::<_, i64>(1)? as u64))
            })?
            .collect()
        })
    }

    /// Marks an address the mail server refused for good; no digest goes to it again
    /// until one of its subscriptions is confirmed anew.
    pub fn record_mail_failure(
        &self,
        email: &str,
        reason: &str,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        self.write_reporting("recording a mail failure", |tx| {
            tx.execute(
                "INSERT INTO mail_failures (email, failed_at, reason) VALUES (?1, ?2, ?3)
                 ON CONFLICT (email) DO UPDATE SET failed_at = excluded.failed_at, reason = excluded.reason",
                params![email, ts(now), reason],
            )?;
            Ok(((), false))
        })
    }

    /// Every address refused for good, latest first.
    pub fn mail_failures(&self) -> Result<Vec<MailFailure>, StoreError> {
        self.read("listing mail failures", |conn| {
            conn.prepare_cached(
                "SELECT email, failed_at, reason FROM mail_failures ORDER BY failed_at DESC, email",
            )?
            .query_map([], |row| {
                Ok(MailFailure {
                    email: row.get(0)?,
                    failed: ts_column(row, 1)?.unwrap_or_default(),
                    reason: row.get(2)?,
                })
            })?
            .collect()
        })
    }

    /// Whether `email` was refused for good.
    pub fn mail_failed(&self, email: &str) -> Result<bool, StoreError> {
        self.read("reading a mail failure", |conn| {
            conn.query_row(
                "SELECT 1 FROM mail_failures WHERE email = ?1",
                [email],
                |_| Ok(()),
            )
            .optional()
            .map(|found| found.is_some())
        })
    }

    /// Whether an administrator paused the digest.
    pub fn digest_paused(&self) -> Result<bool, StoreError> {
        self.read("reading the digest's state", |conn| {
            conn.query_row(
                "SELECT value FROM digest_state WHERE name = 'paused'",
                [],
                |row| row.get::<_, String>(0),
            )
            .optional()
            .map(|value| value.as_deref() == Some("1"))
        })
    }

    /// Pauses or resumes sending.
    pub fn set_digest_paused(&self, paused: bool) -> Result<(), StoreError> {
        self.write_reporting("pausing or resuming the digest", |tx| {
            tx.execute(
                "INSERT INTO digest_state (name, value) VALUES ('paused', ?1)
                 ON CONFLICT (name) DO UPDATE SET value = excluded.value",
                [if paused { "1" } else { "0" }],
            )?;
            Ok(((), false))
        })
    }

    /// Takes the digest's sending lease for `holder` until `until`, when no other holder
    /// has it (or theirs ran out): two processes sharing the database (the service and a
    /// cron `bulletin digest --send`) never send at once. Taking it again renews it.
    pub fn claim_digest_run(
        &self,
        holder: &str,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        self.write_reporting("taking the digest's sending lease", |tx| {
            let held: Option<String> = tx
                .query_row(
                    "SELECT value FROM digest_state WHERE name = 'lease'",
                    [],
                    |row| row.get(0),
                )
                .optional()?;
            if let Some((other, expires)) = held.as_deref().and_then(|v| v.split_once(' '))
                && other != holder
                && super::parse_ts(expires).is_some_and(|t| t > now)
            {
                return Ok((false, false));
            }
            tx.execute(
                "INSERT INTO digest_state (name, value) VALUES ('lease', ?1)
                 ON CONFLICT (name) DO UPDATE SET value = excluded.value",
                [format!("{holder} {}", ts(until))],
            )?;
            Ok((true, false))
        })
    }

    /// Gives the lease back, when `holder` has it.
    pub fn release_digest_run(&self, holder: &str) -> Result<(), StoreError> {
        self.write_reporting("releasing the digest's sending lease", |tx| {
            tx.execute(
                "DELETE FROM digest_state WHERE name = 'lease' AND value LIKE ?1 || ' %'",
                [holder],
            )?;
            Ok(((), false))
        })
    }

    /// How many active subscriptions confirmed by `confirmed_by` still wait for `week`
    /// (no final delivery, and no retry waiting past `now`), addresses refused for good aside.
    pub fn deliveries_waiting(
        &self,
        week: &str,
        confirmed_by: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<u64, StoreError> {
        self.read("counting digests to send", |conn| {
            conn.prepare_cached(
                "SELECT count(*) FROM subscriptions s
                 WHERE s.status = 'active' AND s.confirmed_at <= ?2
                   AND NOT EXISTS (SELECT 1 FROM mail_failures f WHERE f.email = s.email)
                   AND NOT EXISTS (SELECT 1 FROM digest_deliveries d
                                   WHERE d.subscription_id = s.id AND d.week = ?1
                                     AND (d.status IN ('sent', 'empty', 'failed')
                                          OR (d.status = 'deferred' AND d.retry_after > ?3)))",
            )?
            .query_row(params![week, ts(confirmed_by), ts(now)], |row| {
                row.get::<_, i64>(0)
            })
            .map(|n| n as u64)
        })
    }

    /// Events matching `filter` with a change recorded in [`since`, `until`), each with
    /// what it was before the first of those changes.
    pub fn changed_events(
        &self,
        filter: &EventFilter,
        since: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<Vec<(StoredEvent, EventBefore)>, StoreError> {
        self.read("reading changed events", |conn| {
            let changes: Vec<(String, EventBefore)> = conn
                .prepare_cached(
                    "SELECT e.uid, c.old_start_at, c.old_start_utc, c.old_status, c.old_listed, c.old_location
                     FROM event_changes c JOIN events e ON e.id = c.event_id
                     WHERE c.id IN (SELECT min(id) FROM event_changes
                                    WHERE changed_at >= ?1 AND changed_at < ?2 GROUP BY event_id)
                     ORDER BY c.id",
                )?
                .query_map(params![ts(since), ts(until)], |row| {
                    let start: Option<String> = row.get(1)?;
                    let status: Option<String> = row.get(3)?;
                    Ok((
                        row.get(0)?,
                        EventBefore {
                            start: start.as_deref().and_then(EventTime::from_text),
                            start_utc: row.get(2)?,
                            status: status.as_deref().and_then(EventStatus::parse),
                            listed: row.get::<_, Option<bool>>(4)?.unwrap_or(true),
                            location: row.get(5)?,
                        },
                    ))
                })?
                .collect::<rusqlite::Result<_>>()?;
            let mut found = Vec::new();
            for (uid, before) in changes {
                let one = EventFilter {
                    uid: Some(uid),
                    limit: 1,
                    offset: 0,
                    descending: false,
                    ..filter.clone()
                };
                if let Some((_, event)) = select_events(conn, &one, None)?.into_iter().next() {
                    found.push((event, before));
                }
            }
            Ok(found)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deliveries_keep_their_message_id_and_count_attempts() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("d.db")).unwrap();
        let now: DateTime<Utc> = "2027-01-11T12:00:00Z".parse().unwrap();
        let crate::store::Subscribed::Confirm(sub, _) = store
            .subscribe(
                "a@gc.ca",
                "",
                "en",
                false,
                now,
                chrono::Duration::days(1),
                3,
            )
            .unwrap()
        else {
            panic!()
        };
        let week = "2027-01-11";
        assert!(store.delivery(sub.id, week).unwrap().is_none());
        for _ in 0..2 {
            store
                .record_delivery(
                    sub.id,
                    week,
                    DeliveryStatus::Sending,
                    "<m@x>",
                    None,
                    None,
                    now,
                )
                .unwrap();
        }
        store
            .record_delivery(
                sub.id,
                week,
                DeliveryStatus::Sent,
                "<other@x>",
                None,
                None,
                now,
            )
            .unwrap();
        let delivery = store.delivery(sub.id, week).unwrap().unwrap();
        assert_eq!(delivery.status, DeliveryStatus::Sent);
        assert_eq!(delivery.attempts, 2);
        assert_eq!(delivery.message_id, "<m@x>");
        assert_eq!(store.delivery_counts(week).unwrap()["sent"], 1);
        assert!(!store.digest_paused().unwrap());
        store.set_digest_paused(true).unwrap();
        assert!(store.digest_paused().unwrap());
        store
            .record_mail_failure("a@gc.ca", "550 no such user", now)
            .unwrap();
        assert!(store.mail_failed("a@gc.ca").unwrap());
        assert_eq!(store.mail_failures().unwrap().len(), 1);
    }
}
