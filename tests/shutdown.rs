//! `bulletin serve` and `bulletin fetch` stopped by SIGTERM or SIGINT (Ctrl-C) in the
//! middle of a fetch pass: each exits 0 well within 10 s, the store it leaves opens
//! cleanly with whole records, and the next run is not kept out by its leases.

mod common;

use std::path::PathBuf;
use std::process::Child;
use std::time::{Duration, Instant};

use wiremock::matchers::path;
use wiremock::{Mock, MockServer, ResponseTemplate};

use common::fixture;
use common::process::{bulletin, spawn};

/// A fast feed and three slow ones on one fixture server, in a sources file.
struct Pass {
    server: MockServer,
    config: PathBuf,
    database: PathBuf,
    _dir: tempfile::TempDir,
}

impl Pass {
    async fn start() -> Pass {
        let server = MockServer::start().await;
        Mock::given(path("/fast.xml"))
            .respond_with(
                ResponseTemplate::new(200)
                    .set_body_raw(fixture("feeds/rss2-wordpress.xml"), "application/rss+xml"),
            )
            .mount(&server)
            .await;
        // Slow enough that the signal arrives while one is being fetched: a host gets two
        // fetches at a time, so the fast feed and the third slow one start as the first two
        // finish, and the signal comes once the fast one is stored.
        Mock::given(path("/slow.xml"))
            .respond_with(
                ResponseTemplate::new(200)
                    .set_body_raw(fixture("feeds/atom.xml"), "application/atom+xml")
                    .set_delay(Duration::from_secs(4)),
            )
            .mount(&server)
            .await;
        let dir = tempfile::tempdir().unwrap();
        let config = dir.path().join("sources.toml");
        let mut text = String::from(
            "[settings]\nallow_private_networks = true\nfetch_retries = 0\nlisten = \"127.0.0.1:0\"\n\n",
        );
        text.push_str(&format!(
            "[[sources]]\nid = \"fast\"\nname = \"Fast\"\nurl = \"{}/fast.xml\"\n\n",
            server.uri()
        ));
        for n in 1..=3 {
            text.push_str(&format!(
                "[[sources]]\nid = \"slow-{n}\"\nname = \"Slow {n}\"\nurl = \"{}/slow.xml?{n}\"\n\n",
                server.uri()
            ));
        }
        std::fs::write(&config, text).unwrap();
        Pass {
            server,
            database: dir.path().join("bulletin.db"),
            config,
            _dir: dir,
        }
    }

    /// Waits until the fast source is stored and the slow ones are being fetched.
    async fn wait_until_under_way(&self, child: &mut Child) {
        let waited = Instant::now();
        loop {
            let stored = rusqlite::Connection::open(&self.database)
                .and_then(|db| {
                    db.query_row(
                        "SELECT count(*) FROM fetches WHERE source_id = 'fast'",
                        [],
                        |row| row.get::<_, i64>(0),
                    )
                })
                .unwrap_or(0);
            let slow_asked = self
                .server
                .received_requests()
                .await
                .unwrap_or_default()
                .iter()
                .filter(|r| r.url.path() == "/slow.xml")
                .count();
            if stored > 0 && slow_asked == 3 {
                return;
            }
            if waited.elapsed() > Duration::from_secs(20) {
                let _ = child.kill();
                let mut err = String::new();
                std::io::Read::read_to_string(child.stderr.as_mut().unwrap(), &mut err).unwrap();
                panic!(
                    "the first pass never got going (fast stored: {stored}, slow asked: {slow_asked})\n{err}"
                );
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Opens the store the stopped process left: intact, the finished source whole.
    fn check_store(&self) {
        let db = rusqlite::Connection::open(&self.database).unwrap();
        let check: String = db
            .query_row("PRAGMA integrity_check", [], |row| row.get(0))
            .unwrap();
        assert_eq!(check, "ok");
        let posts: i64 = db
            .query_row(
                "SELECT count(*) FROM posts WHERE source_id = 'fast'",
                [],
                |row| row.get(0),
            )
            .unwrap();
        assert_eq!(posts, 4, "the finished source's posts are whole");
    }

    /// The next run fetches every source: no lease the stopped process held keeps one out.
    async fn check_next_run(&self) {
        Mock::given(path("/slow.xml"))
            .respond_with(
                ResponseTemplate::new(200)
                    .set_body_raw(fixture("feeds/atom.xml"), "application/atom+xml"),
            )
            .with_priority(1)
            .mount(&self.server)
            .await;
        let config = self.config.clone();
        let output = tokio::task::spawn_blocking(move || bulletin(&config, &["fetch"]))
            .await
            .unwrap();
        let out = String::from_utf8_lossy(&output.stdout);
        let err = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(0), "{out}{err}");
        assert!(
            out.contains("4 sources: "),
            "every source fetched again: {out}{err}"
        );
    }
}

/// What a stopped process wrote.
struct Exit {
    stdout: String,
    stderr: String,
}

/// Sends `signal` (`TERM`, `INT`) to `child` and waits for it: it must exit 0 within 10 s.
async fn stop(mut child: Child, signal: &str) -> Exit {
    let signalled = Instant::now();
    let killed = std::process::Command::new("kill")
        .args([&format!("-{signal}"), &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let waited = tokio::task::spawn_blocking(move || {
        let status = child.wait().unwrap();
        let (mut stdout, mut stderr) = (String::new(), String::new());
        std::io::Read::read_to_string(child.stdout.as_mut().unwrap(), &mut stdout).unwrap();
        std::io::Read::read_to_string(child.stderr.as_mut().unwrap(), &mut stderr).unwrap();
        (status, Exit { stdout, stderr })
    });
    let (status, exit) = tokio::time::timeout(Duration::from_secs(10), waited)
        .await
        .unwrap_or_else(|_| panic!("exits within 10 s of SIG{signal}"))
        .unwrap();
    assert_eq!(status.code(), Some(0), "{}{}", exit.stdout, exit.stderr);
    assert!(signalled.elapsed() < Duration::from_secs(10));
    exit
}

/// `bulletin serve` stopped by `signal` during its first pass.
async fn serve_stopped_by(signal: &str) {
    let pass = Pass::start().await;
    let mut child = spawn(&pass.config, &["serve"], "info");
    pass.wait_until_under_way(&mut child).await;
    let exit = stop(child, signal).await;
    let err = &exit.stderr;
    assert!(
        err.contains(&format!("SIG{signal} received: stopping")),
        "the server stops gracefully: {err}"
    );
    assert!(!err.contains("forced shutdown"), "{err}");
    assert!(
        !err.contains("tokio_cron_scheduler"),
        "the scheduler library's start-up lines stay below info: {err}"
    );
    pass.check_store();
    pass.check_next_run().await;
}

/// `bulletin fetch` stopped by `signal` during its pass.
async fn fetch_stopped_by(signal: &str) {
    let pass = Pass::start().await;
    let mut child = spawn(&pass.config, &["fetch"], "warn");
    pass.wait_until_under_way(&mut child).await;
    let exit = stop(child, signal).await;
    // The slow source that started last is still being fetched.
    let stopped = format!("stopped by SIG{signal}: ");
    let fetched: usize = exit
        .stderr
        .split(&stopped)
        .nth(1)
        .and_then(|rest| {
            rest.strip_suffix(" of 4 fetched; the others are fetched at the next run\n")
        })
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("says it stopped: {}", exit.stderr));
    assert!((1..4).contains(&fetched), "{}", exit.stderr);
    assert!(
        exit.stdout.contains("fast"),
        "the summary shows what was fetched: {}",
        exit.stdout
    );
    pass.check_store();
    pass.check_next_run().await;
}

#[tokio::test]
async fn sigterm_during_a_fetch_pass_exits_cleanly_and_leaves_a_whole_store() {
    serve_stopped_by("TERM").await;
}

#[tokio::test]
async fn ctrl_c_stops_serve_as_sigterm_does() {
    serve_stopped_by("INT").await;
}

#[tokio::test]
async fn ctrl_c_stops_a_fetch_pass_and_leaves_a_whole_store() {
    fetch_stopped_by("INT").await;
}

#[tokio::test]
async fn sigterm_stops_a_fetch_pass_and_leaves_a_whole_store() {
    fetch_stopped_by("TERM").await;
}
