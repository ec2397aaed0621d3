//! Events submitted through the form: kept pending until an administrator approves or
//! rejects them (with a reason); found again by the digest of the submitter's private
//! token, never the token itself. An approved submission is written as listings of its
//! department's "Submitted events" sources through the same path as a fetch's events
//! (`listings::prepare` and `save_events`), so it merges with other sources' listings of
//! the same event, and an edit or a cancellation raises its revision (SEQUENCE) like any
//! upstream change. Those sources are made on first use, marked `submitted` (nothing to
//! fetch) and paired as each other's translation.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use rusqlite::{Connection, OptionalExtension, params};

use super::{Store, StoreError, ts, ts_column};
use crate::model::{Event, EventStatus};
use crate::submission::{EventSubmission, SOURCE_NAME_EN, SOURCE_NAME_FR, source_ids};

/// Where a submission stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SubmissionState {
    Pending,
    Approved,
    Rejected,
    Cancelled,
}

impl SubmissionState {
    pub fn as_str(self) -> &'static str {
        match self {
            SubmissionState::Pending => "pending",
            SubmissionState::Approved => "approved",
            SubmissionState::Rejected => "rejected",
            SubmissionState::Cancelled => "cancelled",
        }
    }

    pub fn parse(text: &str) -> Option<SubmissionState> {
        match text {
            "pending" => Some(SubmissionState::Pending),
            "approved" => Some(SubmissionState::Approved),
            "rejected" => Some(SubmissionState::Rejected),
            "cancelled" => Some(SubmissionState::Cancelled),
            _ => None,
        }
    }
}

/// A stored submission.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredSubmission {
    pub id: i64,
    pub state: SubmissionState,
    pub submission: EventSubmission,
    pub reason: Option<String>,
    /// Whether its listings were written (it was approved at some point).
    pub published: bool,
    pub submitted_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// What a decision on a submission could not do.
#[derive(Debug, thiserror::Error)]
pub enum SubmissionError {
    #[error("no submitted event {0}")]
    Unknown(i64),
    #[error("submitted event {id} is {state}, not {wanted}")]
    State {
        id: i64,
        state: &'static str,
        wanted: &'static str,
    },
    #[error("source `{0}` exists and does not hold submitted events")]
    SourceTaken(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

const COLUMNS: &str = "id, state, data, reason, published, submitted_at, updated_at";

fn row(row: &rusqlite::Row) -> rusqlite::Result<(i64, String, String, Option<String>, bool)> {
    Ok((
        row.get(0)?,
        row.get(1)?,
        row.get(2)?,
        row.get(3)?,
        row.get(4)?,
    ))
}

fn stored(
    (id, state, data, reason, published): (i64, String, String, Option<String>, bool),
    submitted_at: Option<DateTime<Utc>>,
    updated_at: Option<DateTime<Utc>>,
) -> Option<StoredSubmission> {
    Some(StoredSubmission {
        id,
        state: SubmissionState::parse(&state)?,
        submission: serde_json::from_str(&data).ok()?,
        reason,
        published,
        submitted_at: submitted_at?,
        updated_at: updated_at?,
    })
}

/// Makes the department's "Submitted events" sources when they are missing.
fn ensure_sources(
    tx: &Connection,
    department: &str,
    now: DateTime<Utc>,
) -> rusqlite::Result<Result<(), String>> {
    let (en, fr) = source_ids(department);
    for (id, name, language, translation_of) in [
        (&en, SOURCE_NAME_EN, "en", None),
        (&fr, SOURCE_NAME_FR, "fr", Some(&en)),
    ] {
        let existing: Option<bool> = tx
            .query_row("SELECT submitted FROM sources WHERE id = ?1", [id], |r| {
                r.get(0)
            })
            .optional()?;
        match existing {
            Some(true) => {
                tx.execute("UPDATE sources SET active = 1 WHERE id = ?1", [id])?;
            }
            Some(false) => return Ok(Err(id.clone())),
            None => {
                tx.execute(
                    "INSERT INTO sources (id, name, department, tags, url, origin, active, created_at,
                        moderation, language, translation_of, submitted)
                     VALUES (?1, ?2, ?3, '[]', ?4, 'registered', 1, ?5, 'approved', ?6, ?7, 1)",
                    params![
                        id,
                        name,
                        department,
                        format!("urn:bulletin:submitted:{id}"),
                        ts(now),
                        language,
                        translation_of,
                    ],
                )?;
            }
        }
    }
    Ok(Ok(()))
}

/// Writes a submission's events as its sources' listings (the fetch path's writer).
fn publish(
    tx: &Connection,
    events: &[Event],
    zone: Tz,
    now: DateTime<Utc>,
) -> rusqlite::Result<bool> {
    let mut changed = false;
    let mut by_source: Vec<(&str, Vec<Event>)> = Vec::new();
    for event in events {
        match by_source.iter_mut().find(|(s, _)| *s == event.source_id) {
            Some((_, list)) => list.push(event.clone()),
            None => by_source.push((event.source_id.as_str(), vec![event.clone()])),
        }
    }
    for (source_id, events) in &by_source {
        // A handful of events, prepared whole inside the write.
        let everything_new = std::collections::HashSet::new();
        let prepared = super::listings::prepare(source_id, events, zone, &everything_new);
        let counts = super::listings::save_events(tx, source_id, &prepared, false, zone, now)?;
        changed |= counts.new + counts.updated + counts.rewritten + counts.unlisted > 0;
    }
    Ok(changed)
}

impl Store {
    /// Stores a new submission as pending; `token_digest` is the digest of the
    /// submitter's private token. Returns its id.
    pub fn submit_event(
        &self,
        submission: &EventSubmission,
        token_digest: &str,
        now: DateTime<Utc>,
    ) -> Result<i64, StoreError> {
        let data = serde_json::to_string(submission).unwrap_or_default();
        self.write("storing a submitted event", |tx| {
            tx.execute(
                "INSERT INTO submissions (token_digest, data, submitted_at, updated_at)
                 VALUES (?1, ?2, ?3, ?3)",
                params![token_digest, data, ts(now)],
            )?;
            Ok(tx.last_insert_rowid())
        })
    }

    fn submissions_where(
        &self,
        clause: &str,
        param: &dyn rusqlite::ToSql,
    ) -> Result<Vec<StoredSubmission>, StoreError> {
        self.read("reading submitted events", |conn| {
            let sql = format!(
                "SELECT {COLUMNS} FROM submissions WHERE {clause} ORDER BY submitted_at, id"
            );
            let mut stmt = conn.prepare(&sql)?;
            let rows = stmt.query_map([param], |r| {
                Ok(stored(row(r)?, ts_column(r, 5)?, ts_column(r, 6)?))
            })?;
            Ok(rows
                .collect::<rusqlite::Result<Vec<_>>>()?
                .into_iter()
                .flatten()
                .collect())
        })
    }

    /// Submissions in one state, oldest first.
    pub fn submissions(&self, state: SubmissionState) -> Result<Vec<StoredSubmission>, StoreError> {
        self.submissions_where("state = ?1", &state.as_str())
    }

    /// One submission by id.
    pub fn submission(&self, id: i64) -> Result<Option<StoredSubmission>, StoreError> {
        Ok(self.submissions_where("id = ?1", &id)?.into_iter().next())
    }

    /// The submission whose private token has this digest.
    pub fn submission_by_token(
        &self,
        token_digest: &str,
    ) -> Result<Option<StoredSubmission>, StoreError> {
        Ok(self
            .submissions_where("token_digest = ?1", &token_digest)?
            .into_iter()
            .next())
    }

    /// Approves a pending submission and publishes its events.
    pub fn approve_submission(
        &self,
        id: i64,
        zone: Tz,
        now: DateTime<Utc>,
    ) -> Result<StoredSubmission, SubmissionError> {
        self.change_submission(id, &[SubmissionState::Pending], zone, now, |s| {
            s.state = SubmissionState::Approved;
        })
    }

    /// Rejects a pending submission, saying why.
    pub fn reject_submission(
        &self,
        id: i64,
        reason: &str,
        zone: Tz,
        now: DateTime<Utc>,
    ) -> Result<StoredSubmission, SubmissionError> {
        let reason = reason.trim().to_string();
        self.change_submission(id, &[SubmissionState::Pending], zone, now, |s| {
            s.state = SubmissionState::Rejected;
            s.reason = Some(reason);
        })
    }

    /// Replaces what a pending or approved submission says; an approved one's listings
    /// are rewritten at once (its revision goes up where the calendar shows a change).
    pub fn edit_submission(
        &self,
        id: i64,
        submission: EventSubmission,
        zone: Tz,
        now: DateTime<Utc>,
    ) -> Result<StoredSubmission, SubmissionError> {
        self.change_submission(
            id,
            &[SubmissionState::Pending, SubmissionState::Approved],
            zone,
            now,
            |s| s.submission = submission,
        )
    }

    /// Cancels a submission: a published one stays in every output as cancelled.
    pub fn cancel_submission(
        &self,
        id: i64,
        zone: Tz,
        now: DateTime<Utc>,
    ) -> Result<StoredSubmission, SubmissionError> {
        self.change_submission(
            id,
            &[SubmissionState::Pending, SubmissionState::Approved],
            zone,
            now,
            |s| s.state = SubmissionState::Cancelled,
        )
    }

    /// Reads submission `id`, checks its state is one of `from`, applies `change`, and
    /// stores it — with its listings, when it is or was published — in one transaction.
    fn change_submission(
        &self,
        id: i64,
        from: &[SubmissionState],
        zone: Tz,
        now: DateTime<Utc>,
        change: impl FnOnce(&mut StoredSubmission),
    ) -> Result<StoredSubmission, SubmissionError> {
        let mut current = self.submission(id)?.ok_or(SubmissionError::Unknown(id))?;
        if !from.contains(&current.state) {
            return Err(SubmissionError::State {
                id,
                state: current.state.as_str(),
                wanted: from
                    .first()
                    .map(|s| s.as_str())
                    .unwrap_or("in another state"),
            });
        }
        let old_department = current.submission.department.clone();
        let before = current.state;
        change(&mut current);
        current.updated_at = now;
        let publish_now = current.state == SubmissionState::Approved
            || (current.published && current.state == SubmissionState::Cancelled);
        let status = if current.state == SubmissionState::Cancelled {
            EventStatus::Cancelled
        } else {
            EventStatus::Confirmed
        };
        let mut events = if publish_now {
            current.submission.events(id, status)
        } else {
            Vec::new()
        };
        // A version removed by an edit, or a move to another department, leaves a
        // listing behind: it is published as cancelled, so calendars drop it.
        if current.published && publish_now {
            let mut old = current.submission.clone();
            old.department = old_department.clone();
            let previous: Vec<Event> = self
                .listed_versions(id, &old_department)?
                .into_iter()
                .filter(|(source, _)| !events.iter().any(|e| &e.source_id == source))
                .map(|(_, mut event)| {
                    event.status = EventStatus::Cancelled;
                    event
                })
                .collect();
            events.extend(previous);
        }
        let data = serde_json::to_string(&current.submission).unwrap_or_default();
        let department = current.submission.department.clone();
        let state = current.state;
        let reason = current.reason.clone();
        let published = current.published || publish_now;
        let result = self.write_reporting("deciding on a submitted event", |tx| {
            let mut changed = false;
            if publish_now {
                if let Err(taken) = ensure_sources(tx, &department, now)? {
                    return Ok((Err(taken), false));
                }
                changed |= publish(tx, &events, zone, now)?;
            }
            tx.execute(
                "UPDATE submissions SET state = ?2, data = ?3, reason = ?4, published = ?5,
                    updated_at = ?6,
                    decided_at = CASE WHEN ?7 THEN ?6 ELSE decided_at END
                 WHERE id = ?1",
                params![
                    id,
                    state.as_str(),
                    data,
                    reason,
                    published,
                    ts(now),
                    before == SubmissionState::Pending && state != SubmissionState::Pending,
                ],
            )?;
            Ok((Ok(()), changed))
        })?;
        result.map_err(SubmissionError::SourceTaken)?;
        current.published = published;
        Ok(current)
    }

    /// The listings a published submission has now: (source, event as listed).
    fn listed_versions(
        &self,
        id: i64,
        department: &str,
    ) -> Result<Vec<(String, Event)>, StoreError> {
        let (en, fr) = source_ids(department);
        let uid = format!("submission-{id}");
        self.read("reading a submitted event's listings", |conn| {
            let mut stmt = conn.prepare(
                "SELECT source_id, data FROM event_listings
                 WHERE source_uid = ?1 AND source_id IN (?2, ?3)",
            )?;
            let rows = stmt.query_map(params![uid, en, fr], |r| {
                Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))
            })?;
            Ok(rows
                .collect::<rusqlite::Result<Vec<_>>>()?
                .into_iter()
                .filter_map(|(source, data)| Some((source, serde_json::from_str(&data).ok()?)))
                .collect())
        })
    }
}
