//! The `bulletin` command: parses arguments and hands over to [`bulletin::cli`]. Errors
//! leave here as `anyhow` reports.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use bulletin::cli;

#[derive(Parser)]
#[command(
    name = "bulletin",
    version,
    about = "Events and blog posts from across government, in one place"
)]
struct Args {
    /// The sources file (settings and sources).
    #[arg(
        long,
        short,
        global = true,
        default_value = "sources.toml",
        env = "BULLETIN_CONFIG"
    )]
    config: PathBuf,
    /// How log lines on stderr are written: text, or json for journald and collectors.
    #[arg(
        long,
        global = true,
        value_enum,
        default_value = "text",
        env = "BULLETIN_LOG_FORMAT"
    )]
    log_format: cli::LogFormat,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Write a commented starter sources file (at --config; never over an existing file).
    Init,
    /// Fetch every source now and on schedule, and serve the feeds and pages.
    Serve {
        /// Listen here instead of settings.listen (e.g. 0.0.0.0:8080).
        #[arg(long)]
        listen: Option<std::net::SocketAddr>,
    },
    /// Fetch sources once, store what they give, print a summary, and exit.
    /// Exits 1 when any source failed.
    Fetch {
        /// Only this source (repeatable).
        #[arg(long = "source", value_name = "ID")]
        sources: Vec<String>,
    },
    /// The weekly email digest: send the due week's (for cron), or preview one.
    Digest {
        /// Send the due week's digest to every subscriber still waiting for it.
        #[arg(long, conflicts_with = "preview")]
        send: bool,
        /// Print one digest (or send it with --to) without recording anything.
        #[arg(long)]
        preview: bool,
        /// With --preview: send the preview to this address.
        #[arg(long, value_name = "ADDR", requires = "preview")]
        to: Option<String>,
        /// With --preview: the listing's filters, as its query (tag=data&department=…).
        #[arg(long, default_value = "")]
        filter: String,
        /// With --preview: en or fr.
        #[arg(long)]
        lang: Option<String>,
        /// The digest's first day (2027-01-11); the week due now when absent.
        #[arg(long)]
        week: Option<String>,
        /// With --preview: print the HTML part instead of the text.
        #[arg(long)]
        html: bool,
    },
    /// Write a consistent copy of the database to FILE, safe while `serve` is running.
    /// Restore by stopping the service and putting the copy in settings.database's place.
    Backup {
        /// Where to write the copy (replaced if it exists; written beside it first).
        file: PathBuf,
    },
    /// Write every event (past and future, cancelled and no longer listed included) as one
    /// iCalendar file and every post as a JSON Feed, with every source and what
    /// `bulletin import` rebuilds a store from; safe while `serve` is running.
    Export {
        /// The events file (iCalendar, RFC 5545; replaced if it exists).
        #[arg(long, value_name = "FILE.ics", required_unless_present = "posts")]
        events: Option<PathBuf>,
        /// The posts file (JSON Feed 1.1; replaced if it exists).
        #[arg(long, value_name = "FILE.json")]
        posts: Option<PathBuf>,
    },
    /// Rebuild an empty store (settings.database) from the files of `bulletin export`;
    /// refuses a store holding anything, and writes nothing unless every row reads.
    Import {
        /// The events file written by `bulletin export --events`.
        #[arg(long, value_name = "FILE.ics", required_unless_present = "posts")]
        events: Option<PathBuf>,
        /// The posts file written by `bulletin export --posts`.
        #[arg(long, value_name = "FILE.json")]
        posts: Option<PathBuf>,
    },
    /// List or check the configured sources.
    Sources {
        #[command(subcommand)]
        command: SourcesCommand,
    },
    /// Moderate single events submitted through the "Submit an event" form.
    Events {
        #[command(subcommand)]
        command: EventsCommand,
    },
}

#[derive(Subcommand)]
enum EventsCommand {
    /// List submitted events waiting for approval.
    Submitted,
    /// Approve a submitted event: it is listed at once.
    Approve {
        /// The submitted event's number (see `bulletin events submitted`).
        id: i64,
    },
    /// Reject a submitted event, saying why.
    Reject {
        /// The submitted event's number (see `bulletin events submitted`).
        id: i64,
        /// Why, in a sentence the organiser will read.
        #[arg(long)]
        reason: String,
    },
}

#[derive(Subcommand)]
enum SourcesCommand {
    /// List sources with their state.
    List,
    /// Validate the sources file; with --fetch, try each source once without storing.
    Check {
        /// Also fetch each source once and show what it gives (nothing is stored).
        #[arg(long)]
        fetch: bool,
        /// Only this source (repeatable), with --fetch.
        #[arg(long = "source", value_name = "ID")]
        sources: Vec<String>,
    },
    /// Register a source (previewed first), pending approval unless --approve.
    Add {
        /// The feed, calendar or events page (http or https).
        url: String,
        /// The source's name as listings show it.
        #[arg(long)]
        name: String,
        /// The department publishing it.
        #[arg(long)]
        department: String,
        /// A tag (repeatable).
        #[arg(long = "tag")]
        tags: Vec<String>,
        /// An email address for questions about the source.
        #[arg(long)]
        contact: Option<String>,
        /// Approve it at once.
        #[arg(long)]
        approve: bool,
    },
    /// List registered sources waiting for approval.
    Pending,
    /// Approve a registered source.
    Approve {
        /// The source's id (see `bulletin sources pending`).
        id: String,
    },
    /// Reject a registered source.
    Reject {
        /// The source's id (see `bulletin sources pending`).
        id: String,
    },
    /// Stop fetching a registered source (its past events and posts stay).
    Remove {
        /// The source's id (see `bulletin sources list`).
        id: String,
    },
}

fn main() -> ExitCode {
    let args = Args::parse();
    cli::init_logging(args.log_format);
    let result = match args.command {
        Command::Init => cli::init(&args.config),
        Command::Serve { listen } => cli::serve(&args.config, listen),
        Command::Fetch { sources } => cli::fetch(&args.config, &sources),
        Command::Digest {
            send,
            preview,
            to,
            filter,
            lang,
            week,
            html,
        } => cli::digest(
            &args.config,
            &cli::DigestCommand {
                send,
                preview,
                to,
                filter,
                lang,
                week,
                html,
            },
        ),
        Command::Backup { file } => cli::backup(&args.config, &file),
        Command::Export { events, posts } => {
            cli::export(&args.config, events.as_deref(), posts.as_deref())
        }
        Command::Import { events, posts } => {
            cli::import(&args.config, events.as_deref(), posts.as_deref())
        }
        Command::Sources {
            command: SourcesCommand::List,
        } => cli::list_sources(&args.config),
        Command::Sources {
            command: SourcesCommand::Check { fetch, sources },
        } => cli::check_sources(&args.config, fetch, &sources),
        Command::Sources {
            command:
                SourcesCommand::Add {
                    url,
                    name,
                    department,
                    tags,
                    contact,
                    approve,
                },
        } => cli::add_source(
            &args.config,
            &url,
            &name,
            &department,
            &tags,
            contact.as_deref(),
            approve,
        ),
        Command::Sources {
            command: SourcesCommand::Pending,
        } => cli::pending_sources(&args.config),
        Command::Sources {
            command: SourcesCommand::Approve { id },
        } => cli::moderate(&args.config, &id, cli::Moderation::Approve),
        Command::Sources {
            command: SourcesCommand::Reject { id },
        } => cli::moderate(&args.config, &id, cli::Moderation::Reject),
        Command::Sources {
            command: SourcesCommand::Remove { id },
        } => cli::moderate(&args.config, &id, cli::Moderation::Remove),
        Command::Events {
            command: EventsCommand::Submitted,
        } => cli::submitted_events(&args.config),
        Command::Events {
            command: EventsCommand::Approve { id },
        } => cli::decide_submitted(&args.config, id, None),
        Command::Events {
            command: EventsCommand::Reject { id, reason },
        } => cli::decide_submitted(&args.config, id, Some(&reason)),
    };
    match result {
        Ok(code) => code,
        Err(error) => {
            eprintln!("bulletin: {error:#}");
            ExitCode::from(2)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    fn undocumented(command: &clap::Command, path: &str, out: &mut Vec<String>) {
        let path = format!("{path} {}", command.get_name());
        if command.get_about().is_none() {
            out.push(path.clone());
        }
        for arg in command.get_arguments() {
            if arg.get_help().is_none() && !matches!(arg.get_id().as_str(), "help" | "version") {
                out.push(format!("{path} {}", arg.get_id()));
            }
        }
        for sub in command.get_subcommands() {
            undocumented(sub, &path, out);
        }
    }

    #[test]
    fn every_command_and_argument_has_help_text() {
        let mut missing = Vec::new();
        undocumented(&Args::command(), "", &mut missing);
        assert!(missing.is_empty(), "no help text: {missing:?}");
    }
}
