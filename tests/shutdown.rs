//! `bulletin serve` stopped by SIGTERM in the middle of a fetch pass: it exits 0 well
//! within 10 s, and the store it leaves opens cleanly with whole records.

mod common;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use wiremock::matchers::path;
use wiremock::{Mock, MockServer, ResponseTemplate};

use common::fixture;

#[tokio::test]
async fn sigterm_during_a_fetch_pass_exits_cleanly_and_leaves_a_whole_store() {
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

    let mut child = Command::new(env!("CARGO_BIN_EXE_bulletin"))
        .arg("--config")
        .arg(&config)
        .arg("serve")
        .env("RUST_LOG", "info")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start bulletin serve");
    // Wait until the fast source is stored and the slow ones are being fetched.
    let database = dir.path().join("bulletin.db");
    let waited = Instant::now();
    loop {
        let stored = rusqlite::Connection::open(&database)
            .and_then(|db| {
                db.query_row(
                    "SELECT count(*) FROM fetches WHERE source_id = 'fast'",
                    [],
                    |row| row.get::<_, i64>(0),
                )
            })
            .unwrap_or(0);
        let slow_asked = server
            .received_requests()
            .await
            .unwrap_or_default()
            .iter()
            .filter(|r| r.url.path() == "/slow.xml")
            .count();
        if stored > 0 && slow_asked == 3 {
            break;
        }
        if waited.elapsed() > Duration::from_secs(20) {
            let _ = child.kill();
            let output = child.wait_with_output().unwrap();
            panic!(
                "the first pass never got going (fast stored: {stored}, slow asked: {slow_asked})\n{}",
                String::from_utf8_lossy(&output.stderr)
            );
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    let signalled = Instant::now();
    let killed = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let status = tokio::task::spawn_blocking(move || {
        let status = child.wait().unwrap();
        let mut err = String::new();
        std::io::Read::read_to_string(child.stderr.as_mut().unwrap(), &mut err).unwrap();
        (status, err)
    });
    let (status, err) = tokio::time::timeout(Duration::from_secs(10), status)
        .await
        .expect("exits within 10 s of SIGTERM")
        .unwrap();
    assert_eq!(status.code(), Some(0), "{err}");
    assert!(
        !err.contains("tokio_cron_scheduler"),
        "the scheduler library's start-up lines stay below info: {err}"
    );
    assert!(signalled.elapsed() < Duration::from_secs(10));

    let db = rusqlite::Connection::open(&database).unwrap();
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
    drop(db);

    // The next run is not kept out by leases the stopped process held.
    Mock::given(path("/slow.xml"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_raw(fixture("feeds/atom.xml"), "application/atom+xml"),
        )
        .with_priority(1)
        .mount(&server)
        .await;
    let config_path = config.clone();
    let output = tokio::task::spawn_blocking(move || {
        Command::new(env!("CARGO_BIN_EXE_bulletin"))
            .arg("--config")
            .arg(&config_path)
            .arg("fetch")
            .env("RUST_LOG", "warn")
            .output()
            .unwrap()
    })
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
