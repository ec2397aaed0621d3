//! What each command does, at the binary's edge (errors are `anyhow` here): load the
//! configuration, open the store, run the pipeline, print for a person.

use std::io::{IsTerminal, Write};
use std::net::SocketAddr;
use std::path::Path;
use std::process::ExitCode;

use crate::clock::Clock;
use anyhow::{Context, Result, bail};

use crate::config::Config;
use crate::fetch::Fetcher;
use crate::model::{FetchOutcome, FetchRecord, Source, SourceState};
use crate::refresh::{self, Attempt, Refresher};
use crate::render::summary;
use crate::store::Store;
use crate::web;

/// How log lines are written.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    /// One readable line per event (colours only on a terminal).
    Text,
    /// One JSON object per line, for journald and log collectors.
    Json,
}

/// The default filter: info, with the scheduler library's own start-up chatter (job
/// added, scheduler started…) kept at debug.
const DEFAULT_LOG_FILTER: &str = "info,tokio_cron_scheduler=warn";

/// Logs go to stderr; `RUST_LOG` adjusts the level (default: info). Colour codes are
/// written only when stderr is a terminal, so files and journals stay plain.
pub fn init_logging(format: LogFormat) {
    let filter = match std::env::var("RUST_LOG") {
        // A chosen level keeps the library quiet too, unless debugging or naming it.
        Ok(wanted)
            if !["tokio_cron_scheduler", "debug", "trace"]
                .iter()
                .any(|w| wanted.contains(w)) =>
        {
            tracing_subscriber::EnvFilter::try_new(format!("{wanted},tokio_cron_scheduler=warn"))
        }
        Ok(wanted) => tracing_subscriber::EnvFilter::try_new(wanted),
        Err(_) => tracing_subscriber::EnvFilter::try_new(DEFAULT_LOG_FILTER),
    }
    .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(DEFAULT_LOG_FILTER));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let _ = match format {
        LogFormat::Text => builder
            .with_ansi(std::io::stderr().is_terminal())
            .try_init(),
        LogFormat::Json => builder
            .json()
            .flatten_event(true)
            .with_current_span(false)
            .try_init(),
    };
}

fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")
}

/// Loads the configuration, opens the store and makes its sources match the file.
fn open(config_path: &Path) -> Result<(Config, Store)> {
    let config = Config::load(config_path)?;
    let store = Store::open(&config.settings.database)?;
    store.sync_config_sources(&config.sources, Clock::system().now())?;
    Ok((config, store))
}

fn select(
    all: Vec<(Source, SourceState)>,
    wanted: &[String],
) -> Result<Vec<(Source, SourceState)>> {
    for id in wanted {
        if !all.iter().any(|(s, _)| &s.id == id) {
            bail!("no source `{id}` (see `bulletin sources list`)");
        }
    }
    Ok(all
        .into_iter()
        .filter(|(s, _)| wanted.is_empty() || wanted.contains(&s.id))
        .collect())
}

/// What extraction needs from the settings.
fn context(config: &Config) -> refresh::Context {
    refresh::Context {
        display_zone: config.settings.timezone,
        events: config.settings.events,
        clock: crate::clock::Clock::system(),
    }
}

/// The commented sources file `bulletin init` writes.
pub const STARTER_SOURCES: &str = include_str!("starter_sources.toml");

/// `bulletin init`: writes a commented starter sources file, never over an existing one.
pub fn init(config_path: &Path) -> Result<ExitCode> {
    let mut file = match std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(config_path)
    {
        Ok(file) => file,
        Err(error) if error.kind() == std::io::ErrorKind::AlreadyExists => bail!(
            "{}: already exists, left as it is (name another file with --config FILE)",
            config_path.display()
        ),
        Err(error) => bail!("{}: cannot create: {error}", config_path.display()),
    };
    file.write_all(STARTER_SOURCES.as_bytes())
        .with_context(|| format!("{}: cannot write", config_path.display()))?;
    println!(
        "wrote {}: edit its sources, check it with `bulletin sources check`, then run `bulletin serve`",
        config_path.display()
    );
    Ok(ExitCode::SUCCESS)
}

/// `bulletin fetch`: one pass, progress on stderr, a summary table on stdout.
pub fn fetch(config_path: &Path, wanted: &[String]) -> Result<ExitCode> {
    let (config, store) = open(config_path)?;
    let sources = select(store.active_sources()?, wanted)?;
    let fetcher = Fetcher::new(config.settings.fetch.clone())?;
    let refresher_store = store.clone();
    let refresher = Refresher::new(fetcher, store, context(&config));
    let total = sources.len();
    let done = std::sync::Mutex::new(Vec::new());
    let terminal = std::io::stderr().is_terminal();
    let pass = refresher.refresh_all(sources, |record| {
        let mut done = done.lock().unwrap_or_else(|e| e.into_inner());
        done.push(record.clone());
        let line = format!(
            "[{}/{total}] {} {}",
            done.len(),
            record.source_id,
            outcome_word(record)
        );
        if terminal {
            eprint!("\r\x1b[2K{line}");
            let _ = std::io::stderr().flush();
        } else {
            eprintln!("{line}");
        }
    });
    let runtime = runtime()?;
    // SIGTERM or Ctrl-C: the pass is dropped — no source starts, fetches under way stop,
    // a store write under way finishes (it runs on the blocking pool, which the runtime
    // waits for when dropped) — and the leases it held are released.
    let stopped = runtime.block_on(async {
        tokio::select! {
            _ = pass => None,
            signal = crate::shutdown::requested() => Some(signal),
        }
    });
    if terminal {
        eprintln!();
    }
    let records = done.into_inner().unwrap_or_else(|e| e.into_inner());
    if let Some(signal) = stopped {
        runtime.block_on(refresher.release_leases());
        drop(runtime);
        print!("{}", summary::fetch_summary(&records));
        eprintln!(
            "stopped by {signal}: {} of {total} fetched; the others are fetched at the next run",
            records.len()
        );
    } else {
        print!("{}", summary::fetch_summary(&records));
        prune_fetches(&config, &refresher_store)?;
    }
    let failed = records.iter().any(|r| r.outcome == FetchOutcome::Failed);
    Ok(if failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

fn outcome_word(record: &FetchRecord) -> String {
    match record.outcome {
        FetchOutcome::Ok => format!(
            "ok ({}, {} new)",
            summary::count(record.items_found as usize, "item", "items"),
            record.items_new
        ),
        FetchOutcome::Unchanged => format!(
            "unchanged ({})",
            summary::count(record.items_found as usize, "item", "items")
        ),
        FetchOutcome::NotModified => "not modified".into(),
        FetchOutcome::Failed => format!("failed: {}", record.error.as_deref().unwrap_or("")),
    }
}

/// `bulletin sources list`.
pub fn list_sources(config_path: &Path) -> Result<ExitCode> {
    let (config, store) = open(config_path)?;
    let now = Clock::system().now();
    let zone = config.settings.timezone;
    let health = store.source_health()?;
    let problems: Vec<String> = health
        .iter()
        .filter_map(|h| {
            let record = h.state.last_fetch.as_ref()?;
            let text = record.error.as_deref().or(record.warnings.as_deref())?;
            let word = if record.outcome == FetchOutcome::Failed {
                "failed"
            } else {
                "warning"
            };
            Some(format!("  {} ({word}): {text}", h.source.id))
        })
        .collect();
    let rows: Vec<Vec<String>> = health
        .into_iter()
        .map(|h| {
            let last = h
                .state
                .last_fetch
                .as_ref()
                .map_or("never fetched".to_string(), |r| {
                    format!(
                        "{} {}",
                        match r.outcome {
                            FetchOutcome::Ok if r.warnings.is_some() => "ok, with warnings",
                            FetchOutcome::Ok => "ok",
                            FetchOutcome::Unchanged if r.warnings.is_some() => {
                                "unchanged, with warnings"
                            }
                            FetchOutcome::Unchanged => "unchanged",
                            FetchOutcome::NotModified => "not modified",
                            FetchOutcome::Failed => "failed",
                        },
                        local(r.started, zone)
                    )
                });
            let next = match h.state.next_attempt_after {
                Some(until) if until > now => {
                    format!("backing off until {}", local(until, zone))
                }
                _ => h
                    .source
                    .schedule
                    .as_ref()
                    .unwrap_or(&config.settings.schedule)
                    .next_after(now)
                    .map_or("-".into(), |t| local(t, zone)),
            };
            vec![
                h.source.id.clone(),
                h.source.kind.map_or("auto", |k| k.as_str()).to_string(),
                h.source.department.clone(),
                h.post_count.to_string(),
                h.event_count.to_string(),
                last,
                next,
                h.source.location.to_string(),
            ]
        })
        .collect();
    print!(
        "{}",
        summary::table(
            &[
                "ID",
                "KIND",
                "DEPARTMENT",
                "POSTS",
                "EVENTS",
                "LAST FETCH",
                "NEXT",
                "LOCATION"
            ],
            &rows
        )
    );
    if !problems.is_empty() {
        println!("\nLast problems:");
        for line in problems {
            println!("{line}");
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// A time as the listing shows it: in the display zone, named.
fn local(time: chrono::DateTime<chrono::Utc>, zone: chrono_tz::Tz) -> String {
    time.with_timezone(&zone)
        .format("%Y-%m-%d %H:%M %Z")
        .to_string()
}

/// `bulletin sources check [--fetch]`: validation needs no database; fetching stores nothing.
pub fn check_sources(config_path: &Path, try_fetch: bool, wanted: &[String]) -> Result<ExitCode> {
    let config = Config::load(config_path)?;
    println!(
        "{}: {}, settings valid",
        config_path.display(),
        summary::count(config.sources.len(), "source", "sources")
    );
    let missing: Vec<String> = config
        .sources
        .iter()
        .filter_map(|s| match &s.location {
            crate::model::Location::File(path) if !path.is_file() => {
                Some(format!("  {}: no file at {}", s.id, path.display()))
            }
            _ => None,
        })
        .collect();
    if !missing.is_empty() {
        println!("Files missing:");
        for line in &missing {
            println!("{line}");
        }
    }
    if !try_fetch {
        return Ok(if missing.is_empty() {
            ExitCode::SUCCESS
        } else {
            ExitCode::from(1)
        });
    }
    let files: Vec<String> = config
        .sources
        .iter()
        .filter(|s| matches!(s.location, crate::model::Location::File(_)))
        .map(|s| s.id.clone())
        .collect();
    let http = |id: &str, status: Option<u16>| match status {
        Some(status) if !files.iter().any(|f| f == id) => status.to_string(),
        _ => "-".to_string(),
    };
    let sources = select(
        config
            .sources
            .iter()
            .cloned()
            .map(|s| (s, SourceState::default()))
            .collect(),
        wanted,
    )?;
    let fetcher = Fetcher::new(config.settings.fetch.clone())?;
    let context = context(&config);
    let attempts = runtime()?.block_on(async {
        let mut tasks = tokio::task::JoinSet::new();
        for (source, state) in sources {
            let fetcher = fetcher.clone();
            tasks.spawn(async move {
                let attempt = refresh::attempt(&fetcher, &source, &state, &context).await;
                (source.id, attempt)
            });
        }
        let mut out = Vec::new();
        while let Some(Ok(done)) = tasks.join_next().await {
            out.push(done);
        }
        out.sort_by(|a, b| a.0.cmp(&b.0));
        out
    });
    let mut failed = false;
    let rows: Vec<Vec<String>> = attempts
        .into_iter()
        .map(|(id, attempt)| match attempt {
            Attempt::Found {
                status,
                bytes,
                harvest,
                ..
            } => {
                vec![
                    id.clone(),
                    "ok".into(),
                    http(&id, Some(status)),
                    bytes.to_string(),
                    describe_harvest(&harvest),
                ]
            }
            Attempt::NotModified { status, .. } => vec![
                id.clone(),
                "not modified".into(),
                http(&id, Some(status)),
                "0".into(),
                String::new(),
            ],
            Attempt::Unchanged { status, bytes, .. } => vec![
                id.clone(),
                "unchanged".into(),
                http(&id, Some(status)),
                bytes.to_string(),
                "the document last read, read the same way".into(),
            ],
            Attempt::Failed {
                status,
                bytes,
                error,
                ..
            } => {
                failed = true;
                vec![
                    id.clone(),
                    "FAILED".into(),
                    http(&id, status),
                    bytes.to_string(),
                    error,
                ]
            }
        })
        .collect();
    print!(
        "{}",
        summary::table(&["SOURCE", "RESULT", "HTTP", "BYTES", "FOUND"], &rows)
    );
    Ok(if failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// "12 posts", "40 events (3 warnings: …)".
fn describe_harvest(harvest: &refresh::Harvest) -> String {
    let mut parts = Vec::new();
    let page = harvest.methods.is_some();
    if page || !harvest.posts.is_empty() || harvest.events.is_empty() {
        parts.push(summary::count(harvest.posts.len(), "post", "posts"));
    }
    if !harvest.events.is_empty() || harvest.events_complete || page {
        parts.push(summary::count(harvest.events.len(), "event", "events"));
    }
    let mut text = parts.join(", ");
    if let Some(methods) = &harvest.methods {
        text.push_str(&format!(" [{methods}]"));
    }
    if let Some(methods) = &harvest.post_methods {
        text.push_str(&format!(" [posts: {methods}]"));
    }
    if !harvest.warnings.is_empty() {
        text.push_str(&format!(
            " ({}: {})",
            summary::count(harvest.warnings.len(), "warning", "warnings"),
            harvest.warnings.join("; ")
        ));
    }
    text
}

/// `bulletin serve`: fetch everything, then on schedule, while serving HTTP.
pub fn serve(config_path: &Path, listen: Option<SocketAddr>) -> Result<ExitCode> {
    let (config, store) = open(config_path)?;
    let listen = listen.unwrap_or(config.settings.listen);
    let fetcher = Fetcher::new(config.settings.fetch.clone())?;
    let metrics = std::sync::Arc::new(crate::metrics::Metrics::default());
    let refresher = Refresher::new(fetcher.clone(), store.clone(), context(&config))
        .with_metrics(metrics.clone());
    let token_env = config
        .settings
        .admin_token_env
        .clone()
        .unwrap_or_else(|| "BULLETIN_ADMIN_TOKEN".to_string());
    let admin_token = std::env::var(&token_env)
        .ok()
        .filter(|t| !t.trim().is_empty());
    if admin_token.is_none() {
        tracing::warn!(
            "moderation is off: set {token_env} to an administrator token to approve registered sources"
        );
    }
    let runtime = runtime()?;
    let digests = digests(&config, &store)?;
    runtime.block_on(async move {
        let listener = std::net::TcpListener::bind(listen)
            .with_context(|| format!("cannot listen on {listen}"))?;
        let listen = listener.local_addr().unwrap_or(listen);
        tracing::info!(
            "serving on http://{listen}/ with database {}",
            store.path().display()
        );
        let mut state = web::AppState::new(
            store.clone(),
            config.settings.base_url.clone(),
            config.settings.timezone,
        );
        state.default_schedule = config.settings.schedule.clone();
        state.style = config.settings.style;
        state.set_render_cache_bytes(config.settings.render_cache_bytes);
        state.calendar_past_days = config.settings.events.window_past_days;
        state.calendar_max_events = config.settings.calendar_max_events;
        state.digest = digests.clone();
        state.embed_origins = config.settings.embed_origins.clone();
        state.metrics = metrics;
        state.metrics_access = config.settings.metrics.clone();
        state.registration = Some(web::Registration {
            fetcher,
            refresher: refresher.clone(),
            context: context(&config),
            admin_token,
        });
        let server = web::server(
            listener,
            state,
            std::thread::available_parallelism().map_or(2, |n| n.get()),
        )?;
        let handle = server.handle();

        // Everything at start, in the background, while pages already answer.
        let initial = refresher.clone();
        let initial_store = store.clone();
        let stopping = refresher.clone();
        let initial_pass = tokio::spawn(async move {
            // Reading the store blocks: never on an async worker.
            let listed = tokio::task::spawn_blocking(move || initial_store.active_sources()).await;
            match listed {
                Ok(Ok(sources)) => {
                    let records = initial.refresh_all(sources, |_| {}).await;
                    refresh::log_pass("initial", &records);
                }
                Ok(Err(error)) => tracing::error!(%error, "cannot list sources"),
                Err(error) => tracing::error!(%error, "listing sources failed"),
            }
        });
        let store_for_pruning = store.clone();
        let mut scheduler = crate::tick::start(
            refresher,
            store,
            config.settings.schedule.clone(),
            crate::clock::Clock::system(),
        )
        .await?;
        crate::tick::add_pruning(
            &scheduler,
            store_for_pruning,
            config.settings.fetch_records_days,
            crate::clock::Clock::system(),
        )
        .await?;
        let mut digest_schedule = match digests {
            Some(digests) => Some(digests.start_schedule().await?),
            None => None,
        };
        // SIGTERM or Ctrl-C: the server stops accepting and answers what it has (up to
        // its shutdown timeout); then no new pass starts, the passes running are dropped
        // (a store write under way finishes: it runs on the blocking pool, which the
        // runtime waits for) and their leases released.
        let served = server.await;
        handle.stop(true).await;
        tracing::info!("stopping");
        let _ = scheduler.shutdown().await;
        if let Some(schedule) = digest_schedule.as_mut() {
            let _ = schedule.shutdown().await;
        }
        initial_pass.abort();
        let _ = initial_pass.await;
        stopping.release_leases().await;
        served.context("the web server stopped")?;
        Ok(ExitCode::SUCCESS)
    })
}

/// What `bulletin sources approve|reject|remove` does.
pub enum Moderation {
    Approve,
    Reject,
    Remove,
}

/// `bulletin sources add`: preview, then register.
pub fn add_source(
    config_path: &Path,
    url: &str,
    name: &str,
    department: &str,
    tags: &[String],
    contact: Option<&str>,
    approve: bool,
) -> Result<ExitCode> {
    anyhow::ensure!(!name.trim().is_empty(), "give the source a name (--name)");
    anyhow::ensure!(
        !department.trim().is_empty(),
        "give the source's department (--department)"
    );
    let (config, store) = open(config_path)?;
    let url: url::Url = url
        .parse()
        .with_context(|| format!("`{url}` is not a URL"))?;
    if !matches!(url.scheme(), "http" | "https") {
        bail!("{url}: only http and https sources can be registered");
    }
    refuse_registered(&config, &store, &[url.to_string()])?;
    let fetcher = Fetcher::new(config.settings.fetch.clone())?;
    let found = runtime()?
        .block_on(crate::preview::preview(&fetcher, &url, &context(&config)))
        .map_err(|error| anyhow::anyhow!(error))?;
    // The page may have led elsewhere (a redirect, its advertised feed).
    refuse_registered(&config, &store, &crate::registered::reached(&found))?;
    println!(
        "{}: {} ({})",
        found.url,
        found.kind.as_str(),
        describe_harvest(&found.harvest)
    );
    if found.harvest.events.is_empty() && found.harvest.posts.is_empty() {
        // A page that gives nothing is the wrong page, or needs selectors; an empty feed
        // or calendar may just be quiet for now.
        if found.kind == crate::model::SourceKind::Html {
            bail!(
                "{}: the page gives no events or posts, so it was not registered \
                 (a source with [sources.selectors] in the sources file can read it)",
                found.url
            );
        }
        println!("note: it lists no events or posts yet");
    }
    let id = store.free_source_id(name)?;
    let source = Source {
        id: id.clone(),
        name: name.trim().to_string(),
        department: department.trim().to_string(),
        tags: tags.to_vec(),
        kind: Some(found.kind),
        location: crate::model::Location::Url(found.url.parse()?),
        schedule: None,
        timezone: None,
        selectors: None,
        post_selectors: None,
        events_from_links: false,
        language: None,
        translation_of: None,
    };
    store.register_source(&source, contact, Clock::system().now())?;
    if approve {
        store.moderate_source(&id, true)?;
        println!(
            "registered and approved as `{id}`; `bulletin fetch --source {id}` fetches it now"
        );
    } else {
        println!("registered as `{id}`, pending approval (`bulletin sources approve {id}`)");
    }
    Ok(ExitCode::SUCCESS)
}

/// Fails when one of `urls` is already a source, in the sources file or the store (the
/// check the registration form makes too).
fn refuse_registered(config: &Config, store: &Store, urls: &[String]) -> Result<()> {
    use crate::store::Standing;
    let Some(taken) = crate::registered::find(&config.sources, store, urls)? else {
        return Ok(());
    };
    let (url, id, name) = (&taken.url, &taken.id, &taken.name);
    match taken.standing {
        Standing::Configured => bail!("{url} is already a source: `{id}` in the sources file"),
        Standing::Approved => bail!(
            "{url} is already registered as `{id}` (\"{name}\", approved: see `bulletin sources list`)"
        ),
        Standing::Pending => bail!(
            "{url} is already registered as `{id}` (\"{name}\", waiting for approval: see `bulletin sources pending`)"
        ),
    }
}

/// `bulletin sources pending`.
pub fn pending_sources(config_path: &Path) -> Result<ExitCode> {
    let (_, store) = open(config_path)?;
    let rows: Vec<Vec<String>> = store
        .registrations("pending")?
        .into_iter()
        .map(|r| {
            vec![
                r.source.id.clone(),
                r.source.department.clone(),
                r.contact_email.unwrap_or_default(),
                r.submitted
                    .map(|t| t.format("%Y-%m-%d %H:%M UTC").to_string())
                    .unwrap_or_default(),
                r.source.location.to_string(),
            ]
        })
        .collect();
    print!(
        "{}",
        summary::table(
            &["ID", "DEPARTMENT", "CONTACT", "SUBMITTED", "LOCATION"],
            &rows
        )
    );
    Ok(ExitCode::SUCCESS)
}

/// `bulletin sources approve|reject|remove ID`.
pub fn moderate(config_path: &Path, id: &str, action: Moderation) -> Result<ExitCode> {
    let (_, store) = open(config_path)?;
    match action {
        Moderation::Approve => {
            let approved = store.registrations("approved")?;
            if approved.iter().any(|r| r.source.id == id) {
                println!("`{id}` is already approved");
                return Ok(ExitCode::SUCCESS);
            }
            store.moderate_source(id, true)?;
            println!("approved `{id}`: the running service fetches it at its next tick");
        }
        Moderation::Reject => {
            store.moderate_source(id, false)?;
            println!("rejected `{id}`");
        }
        Moderation::Remove => {
            store.remove_source(id)?;
            println!("removed `{id}`; its past events and posts stay in the archive");
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// The digest service of `config`, when `[digest]` is set (its mail settings are checked
/// now: a missing password fails at start, not on Monday).
fn digests(
    config: &Config,
    store: &Store,
) -> Result<Option<std::sync::Arc<crate::digest::Digests>>> {
    let Some(settings) = config.settings.digest.clone() else {
        return Ok(None);
    };
    let origin = config
        .settings
        .base_url
        .as_ref()
        .map(|u| u.as_str().trim_end_matches('/').to_string())
        .context("the digest needs settings.base_url")?;
    let mailer = crate::digest::Mailer::new(&settings)?;
    Ok(Some(std::sync::Arc::new(crate::digest::Digests {
        store: store.clone(),
        settings,
        zone: config.settings.timezone,
        style: config.settings.style,
        origin,
        clock: Clock::system(),
        mailer,
    })))
}

/// What `bulletin digest` was asked to do.
pub struct DigestCommand {
    /// Send the due week's digest to every subscriber waiting for it.
    pub send: bool,
    /// Show (or, with `to`, send) one digest without recording anything.
    pub preview: bool,
    pub to: Option<String>,
    /// The listing's filters as a query string (`tag=data&department=…`).
    pub filter: String,
    pub lang: Option<String>,
    /// The digest's first day (`2027-01-11`); the due week when absent.
    pub week: Option<String>,
    /// Print the HTML part instead of the text.
    pub html: bool,
}

/// `bulletin digest --send | --preview`.
pub fn digest(config_path: &Path, command: &DigestCommand) -> Result<ExitCode> {
    let (config, store) = open(config_path)?;
    let digests = digests(&config, &store)?
        .context("there is no [digest] table in the configuration: add one to send digests")?;
    let week = match &command.week {
        Some(day) => digests.week_of(
            crate::digest::Week::parse_key(day)
                .with_context(|| format!("--week: `{day}` is not a date such as 2027-01-11"))?,
        ),
        None => digests.week_due(),
    };
    let runtime = runtime()?;
    if command.preview {
        let filter = crate::digest::Filter::parse(&command.filter);
        let lang = match command.lang.as_deref() {
            Some(code) => crate::i18n::Lang::from_code(code)
                .with_context(|| format!("--lang: `{code}` is not en or fr"))?,
            None => crate::i18n::Lang::En,
        };
        return runtime.block_on(async {
            let content = digests.content(&filter, &week).await?;
            let links =
                crate::digest::links(&digests.origin, &filter, lang, Some(&week), None, None);
            let (subject, text, html) = digests.render(&filter, lang, &week, &content, &links);
            match &command.to {
                Some(to) => {
                    let message = digests
                        .mailer
                        .message(&crate::digest::Outgoing {
                            to,
                            lang,
                            subject: &subject,
                            text,
                            html,
                            message_id: None,
                            unsubscribe: None,
                        })
                        .map_err(|e| anyhow::anyhow!("{e}"))?;
                    digests
                        .mailer
                        .send_with_retries(
                            &message,
                            digests.settings.attempts,
                            digests.settings.retry_delay,
                        )
                        .await
                        .map_err(|(_, e)| anyhow::anyhow!("{e}"))?;
                    println!(
                        "preview of the digest for {} sent to {to} (nothing recorded)",
                        week.key()
                    );
                }
                None if command.html => print!("{html}"),
                None => print!("Subject: {subject}\n\n{text}"),
            }
            Ok(ExitCode::SUCCESS)
        });
    }
    if !command.send {
        bail!("say --send to send the due digest, or --preview to see one");
    }
    let report = runtime.block_on(digests.run(&week))?;
    println!("{report}");
    Ok(if report.failed > 0 || report.stopped.is_some() {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// `bulletin events submitted`: submitted events waiting for approval.
pub fn submitted_events(config_path: &Path) -> Result<ExitCode> {
    let (_, store) = open(config_path)?;
    let rows: Vec<Vec<String>> = store
        .submissions(crate::store::SubmissionState::Pending)?
        .into_iter()
        .map(|s| {
            // As the organiser wrote it: wall-clock time and zone.
            let start = format!(
                "{} {}",
                s.submission.start.format(if s.submission.all_day {
                    "%Y-%m-%d (all day)"
                } else {
                    "%Y-%m-%d %H:%M"
                }),
                s.submission.timezone
            );
            vec![
                s.id.to_string(),
                start,
                s.submission.title().to_string(),
                s.submission.department.clone(),
                s.submission.contact.clone(),
                s.submitted_at.format("%Y-%m-%d %H:%M UTC").to_string(),
            ]
        })
        .collect();
    print!(
        "{}",
        summary::table(
            &[
                "ID",
                "STARTS",
                "TITLE",
                "DEPARTMENT",
                "CONTACT",
                "SUBMITTED"
            ],
            &rows
        )
    );
    Ok(ExitCode::SUCCESS)
}

/// `bulletin events approve ID` and `bulletin events reject ID --reason TEXT`.
pub fn decide_submitted(config_path: &Path, id: i64, reject: Option<&str>) -> Result<ExitCode> {
    let (config, store) = open(config_path)?;
    let zone = config.settings.timezone;
    let now = crate::clock::Clock::system().now();
    match reject {
        None => {
            let done = store.approve_submission(id, zone, now)?;
            println!(
                "approved submitted event {id} ({}): listed under \"{}\" of {}",
                done.submission.title(),
                crate::submission::SOURCE_NAME_EN,
                done.submission.department
            );
        }
        Some(reason) => {
            anyhow::ensure!(
                !reason.trim().is_empty(),
                "give a reason to reject submitted event {id} (--reason)"
            );
            let done = store.reject_submission(id, reason, zone, now)?;
            println!(
                "rejected submitted event {id} ({})",
                done.submission.title()
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Prunes fetch records older than `settings.fetch_records_days` (a cron `bulletin fetch`
/// keeps the store as `serve`'s hourly job does).
fn prune_fetches(config: &Config, store: &Store) -> Result<()> {
    let days = config.settings.fetch_records_days;
    let before = crate::store::fetch_records_cutoff(Clock::system().now(), days);
    let pruned = store.prune_fetches(before)?;
    if pruned > 0 {
        tracing::info!("pruned {pruned} fetch records older than {days} days");
    }
    Ok(())
}

/// `bulletin backup FILE`: a consistent copy of the database, safe while `serve` or a
/// fetch is writing.
pub fn backup(config_path: &Path, destination: &Path) -> Result<ExitCode> {
    let config = Config::load(config_path)?;
    let database = &config.settings.database;
    if !database.exists() {
        bail!(
            "database {} does not exist yet (settings.database in {}); nothing to back up",
            database.display(),
            config_path.display()
        );
    }
    let store = Store::open(database)?;
    let report = store.backup_to(destination)?;
    println!(
        "{}: copy of {} ({} pages, {:.1} MiB), checked",
        report.path.display(),
        database.display(),
        report.pages,
        report.bytes as f64 / (1024.0 * 1024.0)
    );
    Ok(ExitCode::SUCCESS)
}

/// `bulletin export`: every event and post (and every source) into the files named, from
/// one snapshot, while `serve` may be running.
pub fn export(config_path: &Path, events: Option<&Path>, posts: Option<&Path>) -> Result<ExitCode> {
    let config = Config::load(config_path)?;
    let database = &config.settings.database;
    if !database.exists() {
        bail!(
            "database {} does not exist yet (settings.database in {}); nothing to export",
            database.display(),
            config_path.display()
        );
    }
    let store = Store::open(database)?;
    let files = crate::archive::ExportFiles { events, posts };
    let report = crate::archive::export(&store, config.settings.timezone, files)?;
    let sources = summary::count(report.sources as usize, "source", "sources");
    if let Some(path) = events {
        println!(
            "{}: {} ({}, {}) and {sources}",
            path.display(),
            summary::count(report.events as usize, "event", "events"),
            summary::count(report.listings as usize, "listing", "listings"),
            summary::count(
                report.changes as usize,
                "recorded change",
                "recorded changes"
            ),
        );
    }
    if let Some(path) = posts {
        println!(
            "{}: {} and {sources}",
            path.display(),
            summary::count(report.posts as usize, "post", "posts")
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// `bulletin import`: the files of an export into an empty store (settings.database,
/// created when missing). Nothing is written unless every row of both files is readable.
pub fn import(config_path: &Path, events: Option<&Path>, posts: Option<&Path>) -> Result<ExitCode> {
    let config = Config::load(config_path)?;
    let files = crate::archive::ImportFiles { events, posts };
    let report = crate::archive::import(&config.settings.database, files)?;
    let counts = report.counts;
    println!(
        "imported into {}: {}, {} ({}, {}), {}",
        report.database.display(),
        summary::count(counts.sources as usize, "source", "sources"),
        summary::count(counts.events as usize, "event", "events"),
        summary::count(counts.listings as usize, "listing", "listings"),
        summary::count(
            counts.changes as usize,
            "recorded change",
            "recorded changes"
        ),
        summary::count(counts.posts as usize, "post", "posts"),
    );
    Ok(ExitCode::SUCCESS)
}
