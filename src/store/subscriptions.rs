//! Digest subscriptions and their tokens. A subscription is an address, the listing's
//! filters (a canonical query string) and a language; it is pending until the link in its
//! confirmation email is followed, and one address may hold several. Tokens are random
//! (32 bytes from the operating system), handed out once and kept only as their SHA-256
//! digest, each for one purpose (confirm, unsubscribe, manage); a token stops working when
//! used or when it expires. Nothing here changes what a page shows, so these writes leave
//! the store's generation alone.

use chrono::{DateTime, Duration, Utc};
use rusqlite::{OptionalExtension, params};
use sha2::{Digest, Sha256};

use super::{Store, StoreError, ts, ts_column};

/// A subscription as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subscription {
    pub id: i64,
    pub email: String,
    /// The listing's filters as a canonical query string (empty: everything).
    pub filter: String,
    /// `en` or `fr`.
    pub language: String,
    /// Whether a week with nothing in it sends a short note instead of nothing.
    pub send_empty: bool,
    /// `pending`, `active` or `unsubscribed`.
    pub status: String,
    pub created: DateTime<Utc>,
    pub confirmed: Option<DateTime<Utc>>,
}

/// What a token lets its holder do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenPurpose {
    Confirm,
    Unsubscribe,
    Manage,
}

impl TokenPurpose {
    fn as_str(self) -> &'static str {
        match self {
            TokenPurpose::Confirm => "confirm",
            TokenPurpose::Unsubscribe => "unsubscribe",
            TokenPurpose::Manage => "manage",
        }
    }
}

/// Subscribers of one filter, for the administrator (no addresses).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FilterCount {
    pub filter: String,
    pub active: u64,
    pub pending: u64,
}

/// What asking to subscribe did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Subscribed {
    /// A confirmation token to mail to the address.
    Confirm(Subscription, String),
    /// The address was sent this many confirmation emails in the last day already.
    TooMany(u32),
}

const SUBSCRIPTION_COLUMNS: &str =
    "s.id, s.email, s.filter, s.language, s.send_empty, s.status, s.created_at, s.confirmed_at";

fn subscription_from_row(row: &rusqlite::Row) -> rusqlite::Result<Subscription> {
    Ok(Subscription {
        id: row.get(0)?,
        email: row.get(1)?,
        filter: row.get(2)?,
        language: row.get(3)?,
        send_empty: row.get(4)?,
        status: row.get(5)?,
        created: ts_column(row, 6)?.unwrap_or_default(),
        confirmed: ts_column(row, 7)?,
    })
}

/// A new random token (64 hex digits).
fn new_token() -> String {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).expect("the operating system provides randomness");
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// What the store keeps of a token.
fn token_digest(token: &str) -> String {
    format!("{:x}", Sha256::digest(token.as_bytes()))
}

fn insert_token(
    tx: &rusqlite::Connection,
    subscription_id: i64,
    purpose: TokenPurpose,
    now: DateTime<Utc>,
    ttl: Duration,
) -> rusqlite::Result<String> {
    let token = new_token();
    tx.prepare_cached(
        "INSERT INTO subscription_tokens (digest, subscription_id, purpose, created_at, expires_at)
         VALUES (?1, ?2, ?3, ?4, ?5)",
    )?
    .execute(params![
        token_digest(&token),
        subscription_id,
        purpose.as_str(),
        ts(now),
        ts(now + ttl)
    ])?;
    Ok(token)
}

fn subscription_by_id(
    conn: &rusqlite::Connection,
    id: i64,
) -> rusqlite::Result<Option<Subscription>> {
    conn.prepare_cached(&format!(
        "SELECT {SUBSCRIPTION_COLUMNS} FROM subscriptions s WHERE s.id = ?1"
    ))?
    .query_row([id], subscription_from_row)
    .optional()
}

impl Store {
    /// Asks for a subscription of `email` to `filter` in `language`: a new one, or the
    /// same address and filter again (its language and empty-week choice are updated; one
    /// that was active stays active). Returns a confirmation token to mail, unless the
    /// address was sent `max_per_day` confirmations in the last 24 hours already.
    #[allow(clippy::too_many_arguments)]
    pub fn subscribe(
        &self,
        email: &str,
        filter: &str,
        language: &str,
        send_empty: bool,
        now: DateTime<Utc>,
        confirm_ttl: Duration,
        max_per_day: u32,
    ) -> Result<Subscribed, StoreError> {
        self.write_reporting("subscribing to the digest", |tx| {
            let recent: u32 = tx.query_row(
                "SELECT count(*) FROM subscription_tokens t JOIN subscriptions s ON s.id = t.subscription_id
                 WHERE s.email = ?1 AND t.purpose = 'confirm' AND t.created_at > ?2",
                params![email, ts(now - Duration::hours(24))],
                |row| row.get(0),
            )?;
            if recent >= max_per_day {
                return Ok((Subscribed::TooMany(recent), false));
            }
            tx.execute(
                "INSERT INTO subscriptions (email, filter, language, send_empty, status, created_at)
                 VALUES (?1, ?2, ?3, ?4, 'pending', ?5)
                 ON CONFLICT (email, filter) DO UPDATE SET
                    language = excluded.language, send_empty = excluded.send_empty,
                    status = CASE WHEN status = 'active' THEN 'active' ELSE 'pending' END,
                    ended_at = NULL",
                params![email, filter, language, send_empty, ts(now)],
            )?;
            let id: i64 = tx.query_row(
                "SELECT id FROM subscriptions WHERE email = ?1 AND filter = ?2",
                params![email, filter],
                |row| row.get(0),
            )?;
            let token = insert_token(tx, id, TokenPurpose::Confirm, now, confirm_ttl)?;
            let subscription = subscription_by_id(tx, id)?.expect("inserted above");
            Ok((Subscribed::Confirm(subscription, token), false))
        })
    }

    /// A new token for `purpose` on subscription `id`, valid for `ttl`.
    pub fn issue_token(
        &self,
        id: i64,
        purpose: TokenPurpose,
        now: DateTime<Utc>,
        ttl: Duration,
    ) -> Result<String, StoreError> {
        self.write_reporting("issuing a subscription token", |tx| {
            insert_token(tx, id, purpose, now, ttl).map(|t| (t, false))
        })
    }

    /// The subscription a token is for, when the token is one of `purposes`, unused and
    /// unexpired; nothing is changed.
    pub fn token_subscription(
        &self,
        token: &str,
        purposes: &[TokenPurpose],
        now: DateTime<Utc>,
    ) -> Result<Option<(Subscription, TokenPurpose)>, StoreError> {
        let digest = token_digest(token);
        self.read("reading a subscription token", |conn| {
            find_token(conn, &digest, purposes, now)
        })
    }

    /// Uses a token: when it is one of `purposes`, unused and unexpired, it is spent and
    /// `then` runs on its subscription in the same transaction; its result is returned.
    fn spend_token<T>(
        &self,
        doing: &'static str,
        token: &str,
        purposes: &[TokenPurpose],
        now: DateTime<Utc>,
        then: impl Fn(&rusqlite::Connection, &Subscription) -> rusqlite::Result<T>,
    ) -> Result<Option<T>, StoreError> {
        let digest = token_digest(token);
        self.write_reporting(doing, |tx| {
            let Some((subscription, _)) = find_token(tx, &digest, purposes, now)? else {
                return Ok((None, false));
            };
            tx.execute(
                "UPDATE subscription_tokens SET used_at = ?2 WHERE digest = ?1",
                params![digest, ts(now)],
            )?;
            let value = then(tx, &subscription)?;
            Ok((Some(value), false))
        })
    }

    /// Follows a confirmation link: the subscription becomes active (the address's
    /// recorded mail failure, if any, is forgotten: it has just received mail).
    pub fn confirm_subscription(
        &self,
        token: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<Subscription>, StoreError> {
        self.spend_token(
            "confirming a subscription",
            token,
            &[TokenPurpose::Confirm],
            now,
            |tx, subscription| {
                tx.execute(
                    "UPDATE subscriptions SET status = 'active',
                        confirmed_at = CASE WHEN status = 'active' THEN confirmed_at ELSE ?2 END,
                        ended_at = NULL
                     WHERE id = ?1",
                    params![subscription.id, ts(now)],
                )?;
                tx.execute(
                    "DELETE FROM mail_failures WHERE email = ?1",
                    [&subscription.email],
                )?;
                Ok(subscription_by_id(tx, subscription.id)?.expect("exists"))
            },
        )
    }

    /// Follows an unsubscribe link (or a manage page's button): the subscription ends.
    pub fn unsubscribe(
        &self,
        token: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<Subscription>, StoreError> {
        self.spend_token(
            "ending a subscription",
            token,
            &[TokenPurpose::Unsubscribe, TokenPurpose::Manage],
            now,
            |tx, subscription| {
                tx.execute(
                    "UPDATE subscriptions SET status = 'unsubscribed', ended_at = ?2 WHERE id = ?1",
                    params![subscription.id, ts(now)],
                )?;
                Ok(subscription_by_id(tx, subscription.id)?.expect("exists"))
            },
        )
    }

    /// Changes a subscription's language and empty-week choice with a manage token; the
    /// token is spent and a new one (valid for `ttl`) returned with the subscription.
    pub fn update_subscription(
        &self,
        token: &str,
        language: &str,
        send_empty: bool,
        now: DateTime<Utc>,
        ttl: Duration,
    ) -> Result<Option<(Subscription, String)>, StoreError> {
        self.spend_token(
            "changing a subscription",
            token,
            &[TokenPurpose::Manage],
            now,
            |tx, subscription| {
                tx.execute(
                    "UPDATE subscriptions SET language = ?2, send_empty = ?3 WHERE id = ?1",
                    params![subscription.id, language, send_empty],
                )?;
                let fresh = insert_token(tx, subscription.id, TokenPurpose::Manage, now, ttl)?;
                Ok((
                    subscription_by_id(tx, subscription.id)?.expect("exists"),
                    fresh,
                ))
            },
        )
    }

    /// One subscription by id.
    pub fn subscription(&self, id: i64) -> Result<Option<Subscription>, StoreError> {
        self.read("reading a subscription", |conn| {
            subscription_by_id(conn, id)
        })
    }

    /// Active subscriptions confirmed by `confirmed_by`, oldest first.
    pub fn active_subscriptions(
        &self,
        confirmed_by: DateTime<Utc>,
    ) -> Result<Vec<Subscription>, StoreError> {
        self.read("listing subscriptions", |conn| {
            conn.prepare_cached(&format!(
                "SELECT {SUBSCRIPTION_COLUMNS} FROM subscriptions s
                 WHERE s.status = 'active' AND s.confirmed_at <= ?1 ORDER BY s.id"
            ))?
            .query_map([ts(confirmed_by)], subscription_from_row)?
            .collect()
        })
    }

    /// How many subscribers each filter has, active and pending, most active first.
    pub fn subscriber_counts(&self) -> Result<Vec<FilterCount>, StoreError> {
        self.read("counting subscribers", |conn| {
            conn.prepare_cached(
                "SELECT filter, sum(status = 'active'), sum(status = 'pending') FROM subscriptions
                 WHERE status IN ('active', 'pending')
                 GROUP BY filter ORDER BY 2 DESC, filter",
            )?
            .query_map([], |row| {
                Ok(FilterCount {
                    filter: row.get(0)?,
                    active: row.get::<_, i64>(1)? as u64,
                    pending: row.get::<_, i64>(2)? as u64,
                })
            })?
            .collect()
        })
    }
}

fn find_token(
    conn: &rusqlite::Connection,
    digest: &str,
    purposes: &[TokenPurpose],
    now: DateTime<Utc>,
) -> rusqlite::Result<Option<(Subscription, TokenPurpose)>> {
    let found: Option<(String, i64)> = conn
        .prepare_cached(
            "SELECT purpose, subscription_id FROM subscription_tokens
             WHERE digest = ?1 AND used_at IS NULL AND expires_at > ?2",
        )?
        .query_row(params![digest, ts(now)], |row| {
            Ok((row.get(0)?, row.get(1)?))
        })
        .optional()?;
    let Some((purpose, id)) = found else {
        return Ok(None);
    };
    let Some(purpose) = purposes.iter().copied().find(|p| p.as_str() == purpose) else {
        return Ok(None);
    };
    Ok(subscription_by_id(conn, id)?.map(|s| (s, purpose)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> DateTime<Utc> {
        text.parse().unwrap()
    }

    #[test]
    fn subscribe_confirm_and_unsubscribe_with_single_use_tokens() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("s.db")).unwrap();
        let generation = store.generation();
        let now = at("2027-01-04T10:00:00Z");
        let Subscribed::Confirm(pending, token) = store
            .subscribe(
                "a@canada.ca",
                "tag=data",
                "fr",
                false,
                now,
                Duration::days(7),
                3,
            )
            .unwrap()
        else {
            panic!("a first request is answered")
        };
        assert_eq!(pending.status, "pending");
        assert!(store.active_subscriptions(now).unwrap().is_empty());
        let confirmed = store.confirm_subscription(&token, now).unwrap().unwrap();
        assert_eq!(confirmed.status, "active");
        assert_eq!(confirmed.confirmed, Some(now));
        assert!(
            store.confirm_subscription(&token, now).unwrap().is_none(),
            "spent"
        );
        assert_eq!(store.active_subscriptions(now).unwrap().len(), 1);
        // The token itself is never stored.
        let stored: Vec<String> = store
            .read("test", |c| {
                c.prepare("SELECT digest FROM subscription_tokens")?
                    .query_map([], |r| r.get(0))?
                    .collect()
            })
            .unwrap();
        assert!(!stored.contains(&token));
        let unsubscribe = store
            .issue_token(
                confirmed.id,
                TokenPurpose::Unsubscribe,
                now,
                Duration::days(90),
            )
            .unwrap();
        assert!(
            store
                .unsubscribe(&unsubscribe, now + Duration::days(91))
                .unwrap()
                .is_none(),
            "expired"
        );
        let ended = store.unsubscribe(&unsubscribe, now).unwrap().unwrap();
        assert_eq!(ended.status, "unsubscribed");
        assert!(store.active_subscriptions(now).unwrap().is_empty());
        assert_eq!(store.generation(), generation, "no page shows this");
    }

    #[test]
    fn several_subscriptions_per_address_and_a_daily_limit() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("s.db")).unwrap();
        let now = at("2027-01-04T10:00:00Z");
        let ask = |filter: &str| {
            store
                .subscribe("a@gc.ca", filter, "en", false, now, Duration::days(7), 3)
                .unwrap()
        };
        assert!(matches!(ask("tag=a"), Subscribed::Confirm(..)));
        assert!(matches!(ask("tag=b"), Subscribed::Confirm(..)));
        assert!(matches!(ask("tag=a"), Subscribed::Confirm(..)));
        assert_eq!(ask("tag=c"), Subscribed::TooMany(3));
        let counts = store.subscriber_counts().unwrap();
        assert_eq!(counts.len(), 2, "{counts:?}");
        assert!(counts.iter().all(|c| c.pending == 1 && c.active == 0));
    }
}
