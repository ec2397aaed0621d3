//! `sources.toml`: the operator's list of sources and the service settings.
//!
//! Two layers, as in ripgrep: [`RawConfig`] mirrors the file and only deserialises (unknown
//! keys are errors); [`Config::parse`] validates it into [`Settings`] and [`Source`]s, and
//! every error names the file, the line and the field. Raw options never leave this module.

mod env;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono_tz::Tz;
use serde::Deserialize;
use toml::Spanned;
use url::Url;

use crate::fetch::FetchSettings;
use crate::harvest::EventSettings;
use crate::model::{Location, Selectors, Source, SourceKind};
use crate::render::dates::Style;
use crate::schedule::Schedule;

/// A problem with the configuration file, located as precisely as we can.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// Named once, with the way out: another file, or a starter one.
    #[error(
        "{path}: cannot read the sources file ({reason}); name another with --config FILE, or write a starter one with `bulletin init`"
    )]
    Read { path: String, reason: String },
    #[error("{path}: {message}")]
    Syntax { path: String, message: String },
    #[error("{path}:{line}: `{field}`: {message}")]
    Invalid {
        path: String,
        line: usize,
        field: String,
        message: String,
    },
    #[error("{variable} (environment): {message}")]
    Environment { variable: String, message: String },
}

/// Settings for the whole service, validated.
#[derive(Debug, Clone)]
pub struct Settings {
    pub listen: SocketAddr,
    pub database: PathBuf,
    pub timezone: Tz,
    pub schedule: Schedule,
    pub allow_private_networks: bool,
    pub base_url: Option<Url>,
    pub admin_token_env: Option<String>,
    /// How many bytes of rendered feeds, calendars and pages the server keeps.
    pub render_cache_bytes: usize,
    /// The most events one calendar serves (a safety ceiling; a cut calendar says so).
    pub calendar_max_events: u32,
    /// Whose conventions pages write dates and times in (`canada.ca` or `gov.uk`).
    pub style: Style,
    /// The origins whose pages may frame `/embed` (`https://intranet.example.gc.ca`).
    pub embed_origins: Vec<String>,
    pub fetch: FetchSettings,
    pub events: EventSettings,
    /// The weekly email digest (`[digest]`); off when the file has no such table.
    pub digest: Option<crate::digest::DigestSettings>,
    /// Fetch records older than this many days are pruned (each source's latest of each
    /// outcome stays); events and posts never are.
    pub fetch_records_days: u32,
    /// Who may read `/metrics`: addresses and a bearer token.
    pub metrics: crate::web::MetricsAccess,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            listen: "127.0.0.1:8080".parse().expect("literal address"),
            database: PathBuf::from("bulletin.db"),
            timezone: chrono_tz::America::Toronto,
            schedule: Schedule::parse(DEFAULT_SCHEDULE).expect("the default schedule is valid"),
            allow_private_networks: false,
            base_url: None,
            admin_token_env: None,
            render_cache_bytes: crate::web::DEFAULT_RENDER_CACHE_BYTES,
            calendar_max_events: crate::web::DEFAULT_CALENDAR_MAX_EVENTS,
            style: Style::default(),
            embed_origins: Vec::new(),
            fetch: FetchSettings::default(),
            events: EventSettings::default(),
            digest: None,
            fetch_records_days: crate::store::DEFAULT_FETCH_RECORDS_DAYS,
            metrics: crate::web::MetricsAccess::default(),
        }
    }
}

pub use crate::schedule::DEFAULT as DEFAULT_SCHEDULE;

/// The validated configuration.
#[derive(Debug, Clone)]
pub struct Config {
    pub settings: Settings,
    pub sources: Vec<Source>,
}

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    #[serde(default)]
    settings: RawSettings,
    #[serde(default)]
    sources: Vec<RawSource>,
    digest: Option<Spanned<RawDigest>>,
}

/// `[digest]`: the weekly email.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDigest {
    smtp_host: String,
    smtp_port: Option<u16>,
    /// `starttls` (default), `tls`, or `none` (a relay on this machine only).
    smtp_security: Option<String>,
    smtp_username: Option<String>,
    smtp_password_env: Option<String>,
    smtp_timeout_seconds: Option<u64>,
    from: String,
    reply_to: Option<String>,
    #[serde(default)]
    allowed_email_domains: Vec<String>,
    /// `monday` (default) … `sunday`.
    day: Option<String>,
    /// `07:00` (default), in the display zone.
    time: Option<String>,
    confirm_hours: Option<u32>,
    link_days: Option<u32>,
    max_confirmations_per_day: Option<u32>,
    max_events: Option<u32>,
    send_attempts: Option<u32>,
    retry_delay_ms: Option<u64>,
}

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawSettings {
    listen: Option<Spanned<String>>,
    database: Option<String>,
    timezone: Option<Spanned<String>>,
    schedule: Option<Spanned<String>>,
    allow_private_networks: Option<bool>,
    base_url: Option<Spanned<String>>,
    admin_token_env: Option<String>,
    ca_bundle: Option<String>,
    fetch_timeout_seconds: Option<Spanned<u64>>,
    connect_timeout_seconds: Option<Spanned<u64>>,
    max_body_bytes: Option<Spanned<u64>>,
    max_concurrent_fetches: Option<Spanned<usize>>,
    max_fetches_per_host: Option<Spanned<usize>>,
    fetch_retries: Option<u32>,
    event_window_past_days: Option<Spanned<u64>>,
    event_window_future_days: Option<Spanned<u64>>,
    render_cache_mib: Option<Spanned<u64>>,
    calendar_max_events: Option<Spanned<u32>>,
    style: Option<Spanned<String>>,
    embed_origins: Option<Vec<Spanned<String>>>,
    fetch_records_days: Option<Spanned<u32>>,
    metrics_allow: Option<Vec<Spanned<String>>>,
    metrics_token: Option<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSource {
    id: Spanned<String>,
    name: Spanned<String>,
    #[serde(default)]
    department: String,
    #[serde(default)]
    tags: Vec<String>,
    url: Option<Spanned<String>>,
    file: Option<Spanned<String>>,
    kind: Option<Spanned<String>>,
    schedule: Option<Spanned<String>>,
    timezone: Option<Spanned<String>>,
    selectors: Option<Spanned<RawSelectors>>,
    post_selectors: Option<Spanned<crate::model::PostSelectors>>,
    events_from_links: Option<bool>,
    language: Option<Spanned<String>>,
    translation_of: Option<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSelectors {
    item: String,
    title: Option<String>,
    start: Option<String>,
    end: Option<String>,
    location: Option<String>,
    link: Option<String>,
    description: Option<String>,
    date_format: Option<String>,
}

impl Config {
    /// Reads and validates a configuration file, then lets `BULLETIN_<KEY>` environment
    /// variables override its `[settings]` (see [`env`]). Relative paths inside the file
    /// (the database, `file` sources, the CA bundle) are taken relative to its folder.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|error| ConfigError::Read {
            path: path.display().to_string(),
            reason: match error.kind() {
                std::io::ErrorKind::NotFound => "no such file".to_string(),
                std::io::ErrorKind::PermissionDenied => "permission denied".to_string(),
                _ => error.to_string(),
            },
        })?;
        let base = path.parent().unwrap_or(Path::new("."));
        let lookup = |variable: &str| std::env::var(variable).ok();
        Config::parse_with_env(&text, &path.display().to_string(), base, &lookup)
    }

    /// Validates configuration text; `name` labels errors and `base` anchors relative paths.
    pub fn parse(text: &str, name: &str, base: &Path) -> Result<Config, ConfigError> {
        Config::parse_with_env(text, name, base, &|_| None)
    }

    /// As [`Config::parse`], with settings from environment variables read by `lookup`.
    pub fn parse_with_env(
        text: &str,
        name: &str,
        base: &Path,
        lookup: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Config, ConfigError> {
        let mut raw: RawConfig = toml::from_str(text).map_err(|e| syntax_error(text, name, &e))?;
        env::overlay(&mut raw.settings, lookup)?;
        let checker = Checker { text, name };
        let mut settings = checker.settings(raw.settings, base)?;
        if let Some(digest) = raw.digest {
            settings.digest = Some(checker.digest(digest, &settings)?);
        }
        let mut sources: Vec<Source> = Vec::with_capacity(raw.sources.len());
        let mut pairs = Vec::new();
        for mut raw_source in raw.sources {
            if let Some(other) = raw_source.translation_of.take() {
                pairs.push((sources.len(), other));
            }
            let source = checker.source(raw_source, base)?;
            sources.push(source);
        }
        checker.unique_ids(&sources, text)?;
        for (index, other) in pairs {
            checker.translation_of(&mut sources, index, other)?;
        }
        Ok(Config { settings, sources })
    }
}

fn syntax_error(text: &str, name: &str, error: &toml::de::Error) -> ConfigError {
    let message = error.message().to_string();
    match error.span() {
        Some(span) => ConfigError::Syntax {
            path: format!("{name}:{}", line_of(text, span.start)),
            message,
        },
        None => ConfigError::Syntax {
            path: name.to_string(),
            message,
        },
    }
}

fn line_of(text: &str, offset: usize) -> usize {
    text[..offset.min(text.len())]
        .bytes()
        .filter(|b| *b == b'\n')
        .count()
        + 1
}

struct Checker<'a> {
    text: &'a str,
    name: &'a str,
}

impl Checker<'_> {
    fn invalid<T>(&self, spanned: &Spanned<T>, field: &str, message: String) -> ConfigError {
        ConfigError::Invalid {
            path: self.name.to_string(),
            line: line_of(self.text, spanned.span().start),
            field: field.to_string(),
            message,
        }
    }

    fn settings(&self, raw: RawSettings, base: &Path) -> Result<Settings, ConfigError> {
        let mut settings = Settings::default();
        if let Some(listen) = raw.listen {
            settings.listen = listen.get_ref().parse().map_err(|_| {
                self.invalid(
                    &listen,
                    "settings.listen",
                    format!(
                        "`{}` is not an address like 127.0.0.1:8080",
                        listen.get_ref()
                    ),
                )
            })?;
        }
        settings.database = base.join(raw.database.as_deref().unwrap_or("bulletin.db"));
        if let Some(zone) = raw.timezone {
            settings.timezone = self.zone(&zone, "settings.timezone")?;
        }
        if let Some(schedule) = raw.schedule {
            settings.schedule = self.cron(&schedule, "settings.schedule")?;
        }
        if let Some(base_url) = raw.base_url {
            let url = self.http_url(&base_url, "settings.base_url")?;
            settings.base_url = Some(url);
        }
        settings.admin_token_env = raw.admin_token_env;
        if let Some(mib) = raw.render_cache_mib {
            let mib = self.positive(&mib, "settings.render_cache_mib")?;
            settings.render_cache_bytes =
                usize::try_from(mib.min(64 * 1024)).unwrap_or(usize::MAX) * 1024 * 1024;
        }
        if let Some(max) = raw.calendar_max_events {
            settings.calendar_max_events = self.positive(&max, "settings.calendar_max_events")?;
        }
        if let Some(style) = raw.style {
            settings.style = Style::parse(style.get_ref()).ok_or_else(|| {
                self.invalid(
                    &style,
                    "settings.style",
                    format!("`{}` is not one of canada.ca, gov.uk", style.get_ref()),
                )
            })?;
        }
        for origin in raw.embed_origins.unwrap_or_default() {
            let parsed = crate::web::parse_embed_origin(origin.get_ref())
                .map_err(|why| self.invalid(&origin, "settings.embed_origins", why))?;
            if !settings.embed_origins.contains(&parsed) {
                settings.embed_origins.push(parsed);
            }
        }
        if let Some(days) = raw.fetch_records_days {
            settings.fetch_records_days = self.positive(&days, "settings.fetch_records_days")?;
        }
        if let Some(networks) = raw.metrics_allow {
            // Given, the list replaces the default (this machine); empty: token only.
            settings.metrics.allow = networks
                .iter()
                .map(|network| {
                    crate::web::parse_network(network.get_ref())
                        .map_err(|why| self.invalid(network, "settings.metrics_allow", why))
                })
                .collect::<Result<_, _>>()?;
        }
        if let Some(token) = raw.metrics_token {
            if token.get_ref().trim().len() < 16 {
                return Err(self.invalid(
                    &token,
                    "settings.metrics_token",
                    "must be at least 16 characters".into(),
                ));
            }
            settings.metrics.token = Some(token.into_inner());
        }
        settings.allow_private_networks = raw.allow_private_networks.unwrap_or(false);
        let fetch = &mut settings.fetch;
        fetch.allow_private_networks = settings.allow_private_networks;
        fetch.ca_bundle = raw.ca_bundle.map(|p| base.join(p));
        if let Some(v) = raw.fetch_timeout_seconds {
            fetch.timeout =
                Duration::from_secs(self.positive(&v, "settings.fetch_timeout_seconds")?);
        }
        if let Some(v) = raw.connect_timeout_seconds {
            fetch.connect_timeout =
                Duration::from_secs(self.positive(&v, "settings.connect_timeout_seconds")?);
        }
        if let Some(v) = raw.max_body_bytes {
            fetch.max_body_bytes = self.positive(&v, "settings.max_body_bytes")?;
        }
        if let Some(v) = raw.max_concurrent_fetches {
            fetch.max_concurrent = self.positive(&v, "settings.max_concurrent_fetches")?;
        }
        if let Some(v) = raw.max_fetches_per_host {
            fetch.max_per_host = self.positive(&v, "settings.max_fetches_per_host")?;
        }
        if let Some(retries) = raw.fetch_retries {
            fetch.retries = retries;
        }
        if let Some(days) = raw.event_window_past_days {
            settings.events.window_past_days = days.get_ref().min(&3650).to_owned() as i64;
        }
        if let Some(days) = raw.event_window_future_days {
            settings.events.window_future_days = self
                .positive(&days, "settings.event_window_future_days")?
                .min(3650) as i64;
        }
        Ok(settings)
    }

    fn digest(
        &self,
        spanned: Spanned<RawDigest>,
        settings: &Settings,
    ) -> Result<crate::digest::DigestSettings, ConfigError> {
        use crate::digest::{DigestSettings, Security};
        let bad = |field: &str, message: String| {
            self.invalid(&spanned, &format!("digest.{field}"), message)
        };
        if settings.base_url.is_none() {
            return Err(bad(
                "from",
                "the digest's links need `settings.base_url` (the address readers reach Bulletin at)".into(),
            ));
        }
        let raw = spanned.get_ref();
        let mut digest = DigestSettings::default();
        let host = raw.smtp_host.trim();
        if host.is_empty() {
            return Err(bad("smtp_host", "must not be empty".into()));
        }
        digest.smtp.host = host.to_string();
        digest.smtp.security = match raw.smtp_security.as_deref().unwrap_or("starttls") {
            "starttls" => Security::StartTls,
            "tls" => Security::Tls,
            "none" => {
                if !matches!(host, "127.0.0.1" | "::1" | "localhost") {
                    return Err(bad(
                        "smtp_security",
                        format!(
                            "`none` sends mail unencrypted; it is allowed only to a relay on this machine, not to {host}"
                        ),
                    ));
                }
                Security::None
            }
            other => {
                return Err(bad(
                    "smtp_security",
                    format!("`{other}` is not one of starttls, tls, none"),
                ));
            }
        };
        digest.smtp.port = raw.smtp_port.unwrap_or(match digest.smtp.security {
            Security::Tls => 465,
            Security::StartTls => 587,
            Security::None => 25,
        });
        digest.smtp.username = raw.smtp_username.clone().filter(|u| !u.is_empty());
        digest.smtp.password_env = raw.smtp_password_env.clone();
        if digest.smtp.username.is_some() && digest.smtp.password_env.is_none() {
            return Err(bad(
                "smtp_password_env",
                "give the name of the environment variable holding the SMTP password".into(),
            ));
        }
        if let Some(seconds) = raw.smtp_timeout_seconds {
            digest.smtp.timeout = Duration::from_secs(seconds.clamp(1, 600));
        }
        for (field, value) in [
            ("from", Some(&raw.from)),
            ("reply_to", raw.reply_to.as_ref()),
        ] {
            if let Some(value) = value
                && value.parse::<lettre::message::Mailbox>().is_err()
            {
                return Err(bad(
                    field,
                    format!("`{value}` is not a mailbox such as Bulletin <bulletin@example.gc.ca>"),
                ));
            }
        }
        digest.from = raw.from.clone();
        digest.reply_to = raw.reply_to.clone();
        for domain in &raw.allowed_email_domains {
            let domain = domain.trim().trim_start_matches('@').to_ascii_lowercase();
            if domain.is_empty() || !domain.contains('.') || domain.contains(char::is_whitespace) {
                return Err(bad(
                    "allowed_email_domains",
                    format!("`{domain}` is not a domain such as canada.ca"),
                ));
            }
            digest.allowed_email_domains.push(domain);
        }
        if let Some(day) = &raw.day {
            digest.weekday = day.parse().map_err(|_| {
                bad(
                    "day",
                    format!("`{day}` is not a day of the week such as monday"),
                )
            })?;
        }
        if let Some(time) = &raw.time {
            digest.time = chrono::NaiveTime::parse_from_str(time, "%H:%M")
                .map_err(|_| bad("time", format!("`{time}` is not a time such as 07:00")))?;
        }
        if let Some(hours) = raw.confirm_hours {
            digest.confirm_hours = i64::from(hours.clamp(1, 24 * 30));
        }
        if let Some(days) = raw.link_days {
            digest.link_days = i64::from(days.clamp(1, 3650));
        }
        if let Some(n) = raw.max_confirmations_per_day {
            digest.max_confirmations_per_day = n.max(1);
        }
        if let Some(n) = raw.max_events {
            digest.max_events = n.clamp(1, 5000);
        }
        if let Some(n) = raw.send_attempts {
            digest.attempts = n.clamp(1, 10);
        }
        if let Some(ms) = raw.retry_delay_ms {
            digest.retry_delay = Duration::from_millis(ms.min(600_000));
        }
        Ok(digest)
    }

    fn source(&self, raw: RawSource, base: &Path) -> Result<Source, ConfigError> {
        let id = raw.id.get_ref();
        let valid_id = !id.is_empty()
            && id.len() <= 64
            && id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
            && !id.starts_with('-');
        if !valid_id {
            return Err(self.invalid(
                &raw.id,
                "id",
                format!(
                    "`{id}` must be 1-64 letters, digits or hyphens, not starting with a hyphen"
                ),
            ));
        }
        let field = |name: &str| format!("sources[{id}].{name}");
        if raw.name.get_ref().trim().is_empty() {
            return Err(self.invalid(&raw.name, &field("name"), "must not be empty".into()));
        }
        let location = match (&raw.url, &raw.file) {
            (Some(url), None) => Location::Url(self.http_url(url, &field("url"))?),
            (None, Some(file)) => Location::File(base.join(file.get_ref())),
            (Some(url), Some(_)) => {
                return Err(self.invalid(
                    url,
                    &field("url"),
                    "give `url` or `file`, not both".into(),
                ));
            }
            (None, None) => {
                return Err(self.invalid(
                    &raw.id,
                    &field("url"),
                    "a source needs a `url` or a `file`".into(),
                ));
            }
        };
        let kind = match &raw.kind {
            Some(kind) => Some(SourceKind::parse(kind.get_ref()).ok_or_else(|| {
                self.invalid(
                    kind,
                    &field("kind"),
                    format!("`{}` is not one of feed, ical, html", kind.get_ref()),
                )
            })?),
            None => None,
        };
        let schedule = match &raw.schedule {
            Some(schedule) => Some(self.cron(schedule, &field("schedule"))?),
            None => None,
        };
        let timezone = match &raw.timezone {
            Some(zone) => Some(self.zone(zone, &field("timezone"))?),
            None => None,
        };
        let selectors = match raw.selectors {
            Some(spanned) => {
                let s = spanned.get_ref();
                for (name, value) in [
                    ("item", Some(&s.item)),
                    ("title", s.title.as_ref()),
                    ("start", s.start.as_ref()),
                    ("end", s.end.as_ref()),
                    ("location", s.location.as_ref()),
                    ("link", s.link.as_ref()),
                    ("description", s.description.as_ref()),
                ] {
                    if let Some(value) = value {
                        let css = value.split_once('@').map_or(value.as_str(), |(css, _)| css);
                        if let Err(e) = scraper::Selector::parse(css) {
                            return Err(self.invalid(
                                &spanned,
                                &field(&format!("selectors.{name}")),
                                format!("`{value}` is not a CSS selector: {e}"),
                            ));
                        }
                    }
                }
                let s = spanned.into_inner();
                Some(Selectors {
                    item: s.item,
                    title: s.title,
                    start: s.start,
                    end: s.end,
                    location: s.location,
                    link: s.link,
                    description: s.description,
                    date_format: s.date_format,
                })
            }
            None => None,
        };
        let post_selectors = match raw.post_selectors {
            Some(spanned) => {
                let s = spanned.get_ref();
                for (name, value) in [
                    ("item", Some(&s.item)),
                    ("title", s.title.as_ref()),
                    ("link", s.link.as_ref()),
                    ("date", s.date.as_ref()),
                    ("author", s.author.as_ref()),
                    ("summary", s.summary.as_ref()),
                ] {
                    if let Some(value) = value {
                        let css = value.split_once('@').map_or(value.as_str(), |(css, _)| css);
                        if let Err(e) = scraper::Selector::parse(css) {
                            return Err(self.invalid(
                                &spanned,
                                &field(&format!("post_selectors.{name}")),
                                format!("`{value}` is not a CSS selector: {e}"),
                            ));
                        }
                    }
                }
                Some(spanned.into_inner())
            }
            None => None,
        };
        let language = match &raw.language {
            Some(tag) => Some(crate::normalise::language::code(tag.get_ref()).ok_or_else(
                || {
                    self.invalid(
                        tag,
                        &field("language"),
                        format!(
                            "`{}` is not a language code such as en or fr",
                            tag.get_ref()
                        ),
                    )
                },
            )?),
            None => None,
        };
        Ok(Source {
            id: raw.id.into_inner(),
            name: raw.name.into_inner().trim().to_string(),
            department: raw.department.trim().to_string(),
            tags: raw
                .tags
                .iter()
                .map(|t| t.trim().to_string())
                .filter(|t| !t.is_empty())
                .collect(),
            kind,
            location,
            schedule,
            timezone,
            selectors,
            post_selectors,
            events_from_links: raw.events_from_links.unwrap_or(false),
            language,
            translation_of: None,
        })
    }

    /// Checks and sets `sources[index].translation_of`: another source of the file, each
    /// saying its language, and not the same one.
    fn translation_of(
        &self,
        sources: &mut [Source],
        index: usize,
        other: Spanned<String>,
    ) -> Result<(), ConfigError> {
        let source = &sources[index];
        let field = format!("sources[{}].translation_of", source.id);
        let Some(target) = sources.iter().find(|s| s.id == *other.get_ref()) else {
            return Err(self.invalid(
                &other,
                &field,
                format!(
                    "`{}` is not the id of a source in this file",
                    other.get_ref()
                ),
            ));
        };
        let problem = match (&source.language, &target.language) {
            _ if target.id == source.id => Some("a source cannot be its own translation".into()),
            (None, _) => Some(format!(
                "give this source its `language` (en, fr…) so its events can be paired with `{}`'s",
                target.id
            )),
            (_, None) => Some(format!(
                "`{}` has no `language`; give both sources theirs",
                target.id
            )),
            (Some(mine), Some(theirs)) if mine == theirs => Some(format!(
                "`{}` is in the same language ({mine}); a translation is in another",
                target.id
            )),
            _ => None,
        };
        if let Some(message) = problem {
            return Err(self.invalid(&other, &field, message));
        }
        sources[index].translation_of = Some(other.into_inner());
        Ok(())
    }

    fn unique_ids(&self, sources: &[Source], text: &str) -> Result<(), ConfigError> {
        let mut seen = std::collections::HashSet::new();
        for source in sources {
            if !seen.insert(source.id.as_str()) {
                let needle = format!("\"{}\"", source.id);
                let offset = text.rfind(&needle).unwrap_or(0);
                return Err(ConfigError::Invalid {
                    path: self.name.to_string(),
                    line: line_of(text, offset),
                    field: "id".into(),
                    message: format!("`{}` is used by two sources", source.id),
                });
            }
        }
        Ok(())
    }

    fn zone(&self, zone: &Spanned<String>, field: &str) -> Result<Tz, ConfigError> {
        zone.get_ref().parse::<Tz>().map_err(|_| {
            self.invalid(
                zone,
                field,
                format!(
                    "`{}` is not an IANA time zone such as America/Toronto",
                    zone.get_ref()
                ),
            )
        })
    }

    fn cron(&self, schedule: &Spanned<String>, field: &str) -> Result<Schedule, ConfigError> {
        Schedule::parse(schedule.get_ref()).map_err(|e| self.invalid(schedule, field, e))
    }

    fn http_url(&self, url: &Spanned<String>, field: &str) -> Result<Url, ConfigError> {
        let parsed = Url::parse(url.get_ref()).map_err(|e| {
            self.invalid(url, field, format!("`{}` is not a URL: {e}", url.get_ref()))
        })?;
        if !matches!(parsed.scheme(), "http" | "https") {
            return Err(self.invalid(
                url,
                field,
                format!("`{}` must be http or https", url.get_ref()),
            ));
        }
        Ok(parsed)
    }

    fn positive<T: PartialOrd + Default + Copy>(
        &self,
        value: &Spanned<T>,
        field: &str,
    ) -> Result<T, ConfigError> {
        if *value.get_ref() > T::default() {
            Ok(*value.get_ref())
        } else {
            Err(self.invalid(value, field, "must be greater than zero".into()))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Config, ConfigError> {
        Config::parse(text, "sources.toml", Path::new("/srv/bulletin"))
    }

    #[test]
    fn the_digest_table_is_checked() {
        let base = "[settings]\nbase_url = \"https://events.example.gc.ca\"\n";
        let config = parse(&format!(
            "{base}[digest]\nsmtp_host = \"smtp.example.gc.ca\"\nfrom = \"Bulletin <b@example.gc.ca>\"\n\
             allowed_email_domains = [\"gc.ca\", \"@Canada.ca\"]\nday = \"friday\"\ntime = \"15:30\"\n"
        ))
        .unwrap();
        let digest = config.settings.digest.unwrap();
        assert_eq!(digest.weekday, chrono::Weekday::Fri);
        assert_eq!(digest.time.to_string(), "15:30:00");
        assert_eq!(digest.smtp.port, 587);
        assert_eq!(digest.allowed_email_domains, ["gc.ca", "canada.ca"]);
        assert!(
            parse("").unwrap().settings.digest.is_none(),
            "off by default"
        );
        let error = |extra: &str, with_base: bool| {
            let text = format!(
                "{}[digest]\nsmtp_host = \"smtp.example.gc.ca\"\nfrom = \"Bulletin <b@example.gc.ca>\"\n{extra}",
                if with_base { base } else { "" }
            );
            parse(&text).unwrap_err().to_string()
        };
        assert!(error("", false).contains("settings.base_url"));
        assert!(
            error("smtp_security = \"none\"\n", true).contains("only to a relay on this machine")
        );
        assert!(error("smtp_username = \"u\"\n", true).contains("smtp_password_env"));
        assert!(error("time = \"7am\"\n", true).contains("digest.time"));
        assert!(error("day = \"someday\"\n", true).contains("digest.day"));
        let bad_from = parse(&format!(
            "{base}[digest]\nsmtp_host = \"h\"\nfrom = \"not an address\"\n"
        ))
        .unwrap_err()
        .to_string();
        assert!(
            bad_from.contains("sources.toml:3: `digest.from`"),
            "{bad_from}"
        );
    }

    #[test]
    fn example_shape_is_accepted() {
        let text = include_str!("../sources.toml");
        let config = parse(text).expect("shipped sources.toml is valid");
        assert!(!config.sources.is_empty());
    }

    #[test]
    fn post_selectors_are_read_and_checked() {
        let head = "[[sources]]\nid = \"a\"\nname = \"A\"\nurl = \"https://a.example/news\"\n";
        let config = parse(&format!(
            "{head}[sources.post_selectors]\nitem = \"li\"\nlink = \"a@href\"\ndate = \".d\"\n"
        ))
        .unwrap();
        let selectors = config.sources[0].post_selectors.as_ref().unwrap();
        assert_eq!(selectors.link.as_deref(), Some("a@href"));
        let err = parse(&format!("{head}[sources.post_selectors]\nitem = \"li[\"\n"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("post_selectors.item"), "{err}");
        let err = parse(&format!(
            "{head}[sources.post_selectors]\nitem = \"li\"\nstart = \"x\"\n"
        ))
        .unwrap_err()
        .to_string();
        assert!(err.contains("start"), "{err}");
    }

    #[test]
    fn defaults_apply_when_settings_are_absent() {
        let config = parse("").unwrap();
        assert_eq!(config.settings.timezone, chrono_tz::America::Toronto);
        assert_eq!(config.settings.schedule.as_str(), DEFAULT_SCHEDULE);
        assert_eq!(config.settings.listen.to_string(), "127.0.0.1:8080");
    }

    #[test]
    fn unknown_key_is_an_error_naming_the_line() {
        let text = "[settings]\nlisten = \"127.0.0.1:8080\"\n\n[[sources]]\nid = \"a\"\nname = \"A\"\nurl = \"https://a.example/feed\"\ncolour = \"red\"\n";
        let err = parse(text).unwrap_err().to_string();
        assert!(err.starts_with("sources.toml:8"), "{err}");
        assert!(err.contains("colour"), "{err}");
    }

    #[test]
    fn bad_zone_names_line_and_field() {
        let text = "[[sources]]\nid = \"a\"\nname = \"A\"\nurl = \"https://a.example/feed\"\ntimezone = \"Eastern\"\n";
        let err = parse(text).unwrap_err().to_string();
        assert_eq!(
            err,
            "sources.toml:5: `sources[a].timezone`: `Eastern` is not an IANA time zone such as America/Toronto"
        );
    }

    #[test]
    fn bad_schedule_and_url_are_rejected() {
        let text = "[settings]\nschedule = \"every day\"\n";
        assert!(
            parse(text)
                .unwrap_err()
                .to_string()
                .starts_with("sources.toml:2: `settings.schedule`")
        );
        let text = "[[sources]]\nid = \"a\"\nname = \"A\"\nurl = \"ftp://a.example/feed\"\n";
        assert!(
            parse(text)
                .unwrap_err()
                .to_string()
                .contains("must be http or https")
        );
    }

    #[test]
    fn duplicate_ids_and_missing_location_are_rejected() {
        let text = "[[sources]]\nid = \"a\"\nname = \"A\"\nurl = \"https://a.example/\"\n[[sources]]\nid = \"a\"\nname = \"B\"\nurl = \"https://b.example/\"\n";
        let err = parse(text).unwrap_err().to_string();
        assert_eq!(err, "sources.toml:6: `id`: `a` is used by two sources");
        let text = "[[sources]]\nid = \"a\"\nname = \"A\"\n";
        assert!(
            parse(text)
                .unwrap_err()
                .to_string()
                .contains("needs a `url` or a `file`")
        );
    }

    #[test]
    fn events_from_links_is_read() {
        let text = "[[sources]]\nid = \"b\"\nname = \"B\"\nurl = \"https://b.example/feed\"\nevents_from_links = true\n";
        assert!(parse(text).unwrap().sources[0].events_from_links);
    }

    #[test]
    fn language_and_translation_of_are_read_and_checked() {
        let text = "[[sources]]\nid = \"cal-en\"\nname = \"E\"\nurl = \"https://a.example/en.ics\"\nlanguage = \"en-CA\"\n\n[[sources]]\nid = \"cal-fr\"\nname = \"F\"\nurl = \"https://a.example/fr.ics\"\nlanguage = \"fr\"\ntranslation_of = \"cal-en\"\n";
        let config = parse(text).unwrap();
        assert_eq!(config.sources[0].language.as_deref(), Some("en"));
        assert_eq!(config.sources[1].translation_of.as_deref(), Some("cal-en"));
        let unknown = text.replace("translation_of = \"cal-en\"", "translation_of = \"cal-xx\"");
        assert_eq!(
            parse(&unknown).unwrap_err().to_string(),
            "sources.toml:12: `sources[cal-fr].translation_of`: `cal-xx` is not the id of a source in this file"
        );
        let same = text.replace("language = \"fr\"", "language = \"en\"");
        assert!(
            parse(&same)
                .unwrap_err()
                .to_string()
                .contains("same language")
        );
        let bad = text.replace("language = \"fr\"", "language = \"French!\"");
        assert!(
            parse(&bad)
                .unwrap_err()
                .to_string()
                .starts_with("sources.toml:11: `sources[cal-fr].language`")
        );
    }

    #[test]
    fn file_sources_are_relative_to_the_config() {
        let text = "[[sources]]\nid = \"local\"\nname = \"Local\"\nfile = \"fixtures/a.xml\"\n";
        let config = parse(text).unwrap();
        assert_eq!(
            config.sources[0].location,
            Location::File(PathBuf::from("/srv/bulletin/fixtures/a.xml"))
        );
    }

    #[test]
    fn the_page_style_is_read_and_checked() {
        assert_eq!(parse("").unwrap().settings.style, Style::CanadaCa);
        let uk = parse("[settings]\nstyle = \"gov.uk\"\n").unwrap();
        assert_eq!(uk.settings.style, Style::GovUk);
        let err = parse("[settings]\nstyle = \"uk\"\n")
            .unwrap_err()
            .to_string();
        assert_eq!(
            err,
            "sources.toml:2: `settings.style`: `uk` is not one of canada.ca, gov.uk"
        );
    }

    #[test]
    fn embed_origins_are_origins() {
        let ok = parse("[settings]\nembed_origins = [\"https://Intranet.example.gc.ca/\", \"http://127.0.0.1:8081\"]\n")
            .unwrap();
        assert_eq!(
            ok.settings.embed_origins,
            ["https://intranet.example.gc.ca", "http://127.0.0.1:8081"]
        );
        let err = parse("[settings]\nembed_origins = [\"https://intranet.example.gc.ca/news\"]\n")
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with("sources.toml:2: `settings.embed_origins`"),
            "{err}"
        );
    }

    #[test]
    fn retention_and_metrics_access_are_read_and_checked() {
        let defaults = parse("").unwrap().settings;
        assert_eq!(defaults.fetch_records_days, 90);
        assert_eq!(defaults.metrics, crate::web::MetricsAccess::default());
        let set = parse(
            "[settings]\nfetch_records_days = 30\nmetrics_allow = [\"10.0.0.0/8\", \"192.0.2.7\"]\n\
             metrics_token = \"0123456789abcdef\"\n",
        )
        .unwrap()
        .settings;
        assert_eq!(set.fetch_records_days, 30);
        assert_eq!(set.metrics.allow.len(), 2);
        assert_eq!(set.metrics.token.as_deref(), Some("0123456789abcdef"));
        let err = parse("[settings]\nmetrics_allow = [\"intranet\"]\n")
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with("sources.toml:2: `settings.metrics_allow`"),
            "{err}"
        );
        let err = parse("[settings]\nmetrics_token = \"short\"\n")
            .unwrap_err()
            .to_string();
        assert!(err.contains("at least 16 characters"), "{err}");
        assert!(parse("[settings]\nfetch_records_days = 0\n").is_err());
    }
}
