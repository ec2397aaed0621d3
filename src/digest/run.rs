//! Sending one week's digest to every subscriber, and the schedule that does it. For each
//! active subscription confirmed before the week's sending time, in order: a week already
//! done (sent, empty, refused) is skipped; otherwise the digest is composed, an empty one
//! is recorded as such (or a short note sent, when asked for), and before the message goes
//! out its delivery is recorded as `sending` — then `sent`, `deferred` (a 4xx or a lost
//! connection, after retries with backoff; the next run tries again) or `failed` (a 5xx
//! for the address, which is marked). A crash after the server accepted a message but
//! before `sent` was written sends it again with the same Message-ID; nothing is skipped.
//! A lease in the store keeps two processes from sending at once.

use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use chrono_tz::Tz;

use super::compose::content_blocking;
use super::filter::Filter;
use super::mail::{Mailer, Outgoing, SendError};
use super::settings::DigestSettings;
use super::week::Week;
use crate::clock::Clock;
use crate::i18n::Lang;
use crate::render::dates::Style;
use crate::render::digest::{Content, DigestView, Links, email_html, email_text, subject};
use crate::render::links::subscription;
use crate::store::{DeliveryStatus, Store, StoreError, Subscription, TokenPurpose};
use crate::web::routes;

/// How long a run holds the sending lease before renewing it.
const LEASE: Duration = Duration::minutes(10);

/// What a run did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RunReport {
    pub week: String,
    pub sent: u32,
    /// Nothing to send (an empty week), or done before.
    pub skipped: u32,
    /// Refused for good (the address is marked) or deferred after retries.
    pub failed: u32,
    /// Of `failed`, those to try again on a later run.
    pub deferred: u32,
    /// Sending is paused by an administrator, or another process holds the lease.
    pub not_run: Option<&'static str>,
    /// The server refused us whatever the address: the run stopped here.
    pub stopped: Option<String>,
}

impl std::fmt::Display for RunReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if let Some(why) = self.not_run {
            return write!(f, "digest {}: not sent: {why}", self.week);
        }
        write!(
            f,
            "digest {}: {} sent, {} skipped, {} failed ({} to retry)",
            self.week, self.sent, self.skipped, self.failed, self.deferred
        )?;
        if let Some(why) = &self.stopped {
            write!(f, "; stopped: {why}")?;
        }
        Ok(())
    }
}

/// A run could not read or write the store.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("digest: a blocking task failed: {0}")]
    Join(String),
}

/// The digest service: settings, store, mail.
pub struct Digests {
    pub store: Store,
    pub settings: DigestSettings,
    pub zone: Tz,
    pub style: Style,
    /// `https://bulletin.example.gc.ca`, what links in emails start with.
    pub origin: String,
    pub clock: Clock,
    pub mailer: Mailer,
}

/// The links of a digest of `filter` in `lang` for the week starting `week`.
pub fn links(
    origin: &str,
    filter: &Filter,
    lang: Lang,
    week: Option<&Week>,
    unsubscribe: Option<String>,
    manage: Option<String>,
) -> Links {
    let origin = origin.trim_end_matches('/').to_string();
    let mut query = filter.to_query();
    let join = |query: &str, extra: &str| {
        if query.is_empty() {
            extra.to_string()
        } else {
            format!("{query}&{extra}")
        }
    };
    let lang_query = join(&query, &format!("lang={}", lang.code()));
    let week_query = match week {
        Some(week) => join(&lang_query, &format!("week={}", week.key())),
        None => lang_query.clone(),
    };
    let name = format!("{} — {}", lang.t("site.name"), lang.t("digest.feed.title"));
    let calendar = subscription(&origin, &lang_query, &name);
    query = lang_query;
    Links {
        web_view: format!("{origin}{}", routes::digest(&week_query)),
        listing: format!("{origin}{}", routes::listing(&query)),
        posts: format!("{origin}{}", routes::posts(&query)),
        calendar,
        unsubscribe,
        manage,
        origin,
    }
}

async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, StoreError> + Send + 'static,
) -> Result<T, RunError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| RunError::Join(e.to_string()))?
        .map_err(RunError::from)
}

impl Digests {
    /// The week whose digest is due now.
    pub fn week_due(&self) -> Week {
        Week::due_at(
            self.clock.now(),
            self.settings.weekday,
            self.settings.time,
            self.zone,
        )
    }

    /// The week starting on `first_day`, at the configured time.
    pub fn week_of(&self, first_day: chrono::NaiveDate) -> Week {
        Week::starting(first_day, self.settings.time, self.zone)
    }

    /// Composes the digest of `filter` for `week` (blocking store reads on the pool).
    pub async fn content(&self, filter: &Filter, week: &Week) -> Result<Content, RunError> {
        let (store, filter, week, max) = (
            self.store.clone(),
            filter.clone(),
            *week,
            self.settings.max_events,
        );
        blocking(move || content_blocking(&store, &filter, &week, max)).await
    }

    /// Subject, text and HTML of a digest.
    pub fn render(
        &self,
        filter: &Filter,
        lang: Lang,
        week: &Week,
        content: &Content,
        links: &Links,
    ) -> (String, String, String) {
        let filters = described(filter, lang);
        let view = DigestView {
            lang,
            style: self.style,
            zone: self.zone,
            first_day: week.first_day,
            last_day: week.last_day(),
            filters: &filters,
            content,
            links,
        };
        (subject(&view), email_text(&view), email_html(&view))
    }

    /// Sends `week`'s digest to every subscriber who has not had it.
    pub async fn run(&self, week: &Week) -> Result<RunReport, RunError> {
        let mut report = RunReport {
            week: week.key(),
            ..RunReport::default()
        };
        let store = self.store.clone();
        if blocking(move || store.digest_paused()).await? {
            report.not_run = Some("paused by an administrator");
            return Ok(report);
        }
        let holder = format!("{}-{}", std::process::id(), random_hex(8));
        let (store, h, now) = (self.store.clone(), holder.clone(), self.clock.now());
        if !blocking(move || store.claim_digest_run(&h, now, now + LEASE)).await? {
            report.not_run = Some("another process is sending it");
            return Ok(report);
        }
        let result = self.run_held(week, &holder, &mut report).await;
        let (store, h) = (self.store.clone(), holder.clone());
        let released = blocking(move || store.release_digest_run(&h)).await;
        result?;
        released?;
        Ok(report)
    }

    async fn run_held(
        &self,
        week: &Week,
        holder: &str,
        report: &mut RunReport,
    ) -> Result<(), RunError> {
        let (store, send_at) = (self.store.clone(), week.send_at);
        let subscriptions = blocking(move || store.active_subscriptions(send_at)).await?;
        for subscription in subscriptions {
            let (store, h, now) = (self.store.clone(), holder.to_string(), self.clock.now());
            if !blocking(move || store.claim_digest_run(&h, now, now + LEASE)).await? {
                report.stopped = Some("the sending lease was taken by another process".into());
                return Ok(());
            }
            match self.deliver(&subscription, week).await? {
                Outcome::Sent => report.sent += 1,
                Outcome::Skipped => report.skipped += 1,
                Outcome::Failed => report.failed += 1,
                Outcome::Deferred => {
                    report.failed += 1;
                    report.deferred += 1;
                }
                Outcome::Stop(why) => {
                    report.failed += 1;
                    report.deferred += 1;
                    report.stopped = Some(why);
                    return Ok(());
                }
            }
        }
        Ok(())
    }

    /// One subscription's digest for `week`, recorded before it returns.
    async fn deliver(&self, subscription: &Subscription, week: &Week) -> Result<Outcome, RunError> {
        let now = self.clock.now();
        let week_key = week.key();
        let (store, email) = (self.store.clone(), subscription.email.clone());
        if blocking(move || store.mail_failed(&email)).await? {
            return Ok(Outcome::Skipped);
        }
        let (store, id, key) = (self.store.clone(), subscription.id, week_key.clone());
        let delivery = blocking(move || store.delivery(id, &key)).await?;
        if let Some(d) = &delivery {
            if d.status.is_final() {
                return Ok(Outcome::Skipped);
            }
            if d.status == DeliveryStatus::Deferred && d.retry_after.is_some_and(|t| t > now) {
                return Ok(Outcome::Skipped);
            }
        }
        let filter = Filter::parse(&subscription.filter);
        let lang = Lang::from_code(&subscription.language).unwrap_or(Lang::En);
        let content = self.content(&filter, week).await?;
        let message_id = delivery.as_ref().map_or_else(
            || {
                format!(
                    "<digest.{week_key}.{}.{}@{}>",
                    subscription.id,
                    random_hex(6),
                    self.mailer.id_domain()
                )
            },
            |d| d.message_id.clone(),
        );
        let record =
            |status: DeliveryStatus, error: Option<String>, retry: Option<DateTime<Utc>>| {
                let (store, id, key, mid) = (
                    self.store.clone(),
                    subscription.id,
                    week_key.clone(),
                    message_id.clone(),
                );
                let now = self.clock.now();
                blocking(move || {
                    store.record_delivery(id, &key, status, &mid, error.as_deref(), retry, now)
                })
            };
        if content.is_empty() && !subscription.send_empty {
            record(DeliveryStatus::Empty, None, None).await?;
            return Ok(Outcome::Skipped);
        }
        let ttl = Duration::days(self.settings.link_days);
        let (store, id) = (self.store.clone(), subscription.id);
        let (unsubscribe, manage) = blocking(move || {
            Ok((
                store.issue_token(id, TokenPurpose::Unsubscribe, now, ttl)?,
                store.issue_token(id, TokenPurpose::Manage, now, ttl)?,
            ))
        })
        .await?;
        let unsubscribe_url = format!(
            "{}{}",
            self.origin,
            routes::digest_step(routes::DIGEST_UNSUBSCRIBE, &unsubscribe)
        );
        let links = links(
            &self.origin,
            &filter,
            lang,
            Some(week),
            Some(unsubscribe_url.clone()),
            Some(format!(
                "{}{}",
                self.origin,
                routes::digest_step(routes::DIGEST_MANAGE, &manage)
            )),
        );
        let (subject, text, html) = self.render(&filter, lang, week, &content, &links);
        let message = match self.mailer.message(&Outgoing {
            to: &subscription.email,
            lang,
            subject: &subject,
            text,
            html,
            message_id: Some(&message_id),
            unsubscribe: Some(&unsubscribe_url),
        }) {
            Ok(message) => message,
            Err(error) => {
                record(DeliveryStatus::Failed, Some(error.to_string()), None).await?;
                return Ok(Outcome::Failed);
            }
        };
        record(DeliveryStatus::Sending, None, None).await?;
        let sent = self
            .mailer
            .send_with_retries(&message, self.settings.attempts, self.settings.retry_delay)
            .await;
        match sent {
            Ok(_) => {
                record(DeliveryStatus::Sent, None, None).await?;
                Ok(Outcome::Sent)
            }
            Err((_, SendError::Rejected(why) | SendError::Invalid(why))) => {
                tracing::warn!("digest {week_key}: {}: {why}", subscription.email);
                record(DeliveryStatus::Failed, Some(why.clone()), None).await?;
                let (store, email, now) = (
                    self.store.clone(),
                    subscription.email.clone(),
                    self.clock.now(),
                );
                blocking(move || store.record_mail_failure(&email, &why, now)).await?;
                Ok(Outcome::Failed)
            }
            Err((_, SendError::Transient(why))) => {
                let attempts = delivery.map_or(0, |d| d.attempts) + 1;
                let wait = crate::schedule::backoff(attempts, None);
                let retry = self.clock.now()
                    + Duration::from_std(wait).unwrap_or_else(|_| Duration::hours(1));
                tracing::warn!(
                    "digest {week_key}: {}: {why}; retried after {retry}",
                    subscription.email
                );
                record(DeliveryStatus::Deferred, Some(why), Some(retry)).await?;
                Ok(Outcome::Deferred)
            }
            Err((_, SendError::Refused(why))) => {
                tracing::error!("digest {week_key}: {why}; sending stopped");
                let retry = self.clock.now() + Duration::minutes(30);
                record(DeliveryStatus::Deferred, Some(why.clone()), Some(retry)).await?;
                Ok(Outcome::Stop(why))
            }
        }
    }

    /// Whether `week` has subscribers still waiting for it.
    pub async fn waiting(&self, week: &Week) -> Result<u64, RunError> {
        let (store, key, send_at, now) = (
            self.store.clone(),
            week.key(),
            week.send_at,
            self.clock.now(),
        );
        blocking(move || store.deliveries_waiting(&key, send_at, now)).await
    }

    /// Starts the minute job that sends the due week's digest to whoever still waits
    /// for it (at second 30, beside the sources' tick at second 0). Shut the returned
    /// scheduler down on exit.
    pub async fn start_schedule(
        self: Arc<Digests>,
    ) -> Result<tokio_cron_scheduler::JobScheduler, tokio_cron_scheduler::JobSchedulerError> {
        use tokio_cron_scheduler::{Job, JobScheduler};
        let scheduler = JobScheduler::new().await?;
        let running = Arc::new(tokio::sync::Mutex::new(()));
        let job = Job::new_async("30 * * * * *", move |_id, _scheduler| {
            let digests = self.clone();
            let running = running.clone();
            Box::pin(async move {
                // One run at a time in this process; a run can outlast a minute.
                let Ok(_guard) = running.try_lock() else {
                    return;
                };
                let week = digests.week_due();
                match digests.waiting(&week).await {
                    Ok(0) => {}
                    Ok(_) => match digests.run(&week).await {
                        Ok(report) => tracing::info!("{report}"),
                        Err(error) => tracing::error!(%error, "digest run failed"),
                    },
                    Err(error) => tracing::error!(%error, "digest: cannot read the store"),
                }
            })
        })?;
        scheduler.add(job).await?;
        scheduler.start().await?;
        Ok(scheduler)
    }
}

enum Outcome {
    Sent,
    Skipped,
    Failed,
    Deferred,
    Stop(String),
}

/// The filters of a subscription as (catalogue key, value), in `lang`.
pub fn described(filter: &Filter, lang: Lang) -> Vec<(&'static str, String)> {
    let mut out = Vec::new();
    out.extend(filter.sources.iter().map(|v| ("filter.source", v.clone())));
    out.extend(filter.tags.iter().map(|v| ("filter.tag", v.clone())));
    out.extend(filter.departments.iter().map(|v| {
        (
            "filter.department",
            crate::render::html::department_name(lang, v).to_string(),
        )
    }));
    out.extend(filter.text.iter().map(|v| ("filter.text", v.clone())));
    out
}

fn random_hex(bytes: usize) -> String {
    let mut buffer = vec![0u8; bytes];
    getrandom::fill(&mut buffer).expect("the operating system provides randomness");
    buffer.iter().map(|b| format!("{b:02x}")).collect()
}
