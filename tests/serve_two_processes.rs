//! What `bulletin serve` shows follows the database, whoever writes it: a running server
//! and a second process (`bulletin fetch` from cron, `bulletin sources approve`) on the same
//! file. The built binary serves, a loopback fixture server plays the sources, and every
//! output must show the second process's write, with a new ETag, within a second.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use wiremock::matchers::path;
use wiremock::{Mock, MockServer, ResponseTemplate};

/// The four outputs readers poll.
const OUTPUTS: [&str; 4] = ["/feed.rss", "/feed.atom", "/feed.json", "/events.ics"];

fn feed(title: &str) -> String {
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel><title>Team blog</title><link>https://blog.example/</link>
<description>Posts</description>
<item><title>{title}</title><link>https://blog.example/{slug}</link><guid>https://blog.example/{slug}</guid>
<pubDate>Tue, 03 Nov 2026 14:30:00 +0000</pubDate><description>About {title}</description></item>
</channel></rss>"#,
        slug = title.to_lowercase().replace(' ', "-")
    )
}

fn calendar(title: &str) -> String {
    let start = (chrono::Utc::now() + chrono::Duration::days(20)).format("%Y%m%dT150000Z");
    format!(
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Test//EN\r\nBEGIN:VEVENT\r\nUID:meeting-1@test\r\n\
         DTSTAMP:20260101T000000Z\r\nDTSTART:{start}\r\nSUMMARY:{title}\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    )
}

async fn serve_sources(upstream: &MockServer, post: &str, event: &str) {
    upstream.reset().await;
    Mock::given(path("/feed.xml"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(feed(post), "application/rss+xml"))
        .mount(upstream)
        .await;
    Mock::given(path("/calendar.ics"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(calendar(event), "text/calendar"))
        .mount(upstream)
        .await;
    Mock::given(path("/other.xml"))
        .respond_with(
            ResponseTemplate::new(200).set_body_raw(feed("Registered post"), "application/rss+xml"),
        )
        .mount(upstream)
        .await;
}

/// The server process, stopped when the test ends however it ends.
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn bulletin(config: &std::path::Path, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_bulletin"))
        .arg("--config")
        .arg(config)
        .args(args)
        .env("RUST_LOG", "warn")
        .output()
        .expect("run bulletin")
}

/// Body and ETag of `path`.
async fn get(client: &reqwest::Client, base: &str, path: &str) -> Option<(String, String)> {
    let response = client.get(format!("{base}{path}")).send().await.ok()?;
    let etag = response.headers().get("etag")?.to_str().ok()?.to_string();
    Some((response.text().await.ok()?, etag))
}

/// Polls `check` every 20 ms until it holds or `within` has passed.
async fn eventually<F, Fut>(within: Duration, mut check: F) -> bool
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = Instant::now() + within;
    loop {
        if check().await {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_process_writes_and_every_output_follows_within_a_second() {
    let upstream = MockServer::start().await;
    serve_sources(&upstream, "First post", "First meeting").await;
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("sources.toml");
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    std::fs::write(
        &config,
        format!(
            "[settings]\nlisten = \"127.0.0.1:{port}\"\nallow_private_networks = true\nfetch_retries = 0\n\
             schedule = \"0 0 0 1 1 *\"\n\n\
             [[sources]]\nid = \"blog\"\nname = \"Team blog\"\nurl = \"{0}/feed.xml\"\n\n\
             [[sources]]\nid = \"meetings\"\nname = \"Meetings\"\nurl = \"{0}/calendar.ics\"\n",
            upstream.uri()
        ),
    )
    .unwrap();
    let _server = Server(
        Command::new(env!("CARGO_BIN_EXE_bulletin"))
            .arg("--config")
            .arg(&config)
            .arg("serve")
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start bulletin serve"),
    );
    let base = format!("http://127.0.0.1:{port}");
    bulletin::fetch::install_tls_provider();
    let client = reqwest::Client::builder()
        .no_gzip()
        .no_brotli()
        .build()
        .unwrap();

    // The server's own first fetch, then the four outputs and their validators.
    let first_seen = eventually(Duration::from_secs(20), || async {
        let feed = get(&client, &base, "/feed.rss").await;
        let calendar = get(&client, &base, "/events.ics").await;
        feed.is_some_and(|(body, _)| body.contains("First post"))
            && calendar.is_some_and(|(body, _)| body.contains("First meeting"))
    })
    .await;
    assert!(first_seen, "bulletin serve fetched its sources at start");
    let mut before = Vec::new();
    for output in OUTPUTS {
        let (body, etag) = get(&client, &base, output).await.expect(output);
        assert!(body.contains("First"), "{output}: {body}");
        before.push(etag);
    }

    // Another process fetches the changed sources into the same database.
    serve_sources(&upstream, "Second post", "Second meeting").await;
    let fetch_config = config.clone();
    let fetched = tokio::task::spawn_blocking(move || bulletin(&fetch_config, &["fetch"]))
        .await
        .unwrap();
    assert!(
        fetched.status.success(),
        "bulletin fetch: {}",
        String::from_utf8_lossy(&fetched.stderr)
    );
    for (output, old_etag) in OUTPUTS.iter().zip(&before) {
        let expected = if *output == "/events.ics" {
            "Second meeting"
        } else {
            "Second post"
        };
        let followed = eventually(Duration::from_secs(1), || async {
            get(&client, &base, output)
                .await
                .is_some_and(|(body, etag)| body.contains(expected) && etag != *old_etag)
        })
        .await;
        assert!(
            followed,
            "{output} shows the other process's write with a new ETag within 1 s"
        );
    }

    // A source registered and approved from the command line reaches /sources and the OPML.
    let add_config = config.clone();
    let url = format!("{}/other.xml", upstream.uri());
    let added = tokio::task::spawn_blocking(move || {
        bulletin(
            &add_config,
            &[
                "sources",
                "add",
                &url,
                "--name",
                "Registered blog",
                "--department",
                "Elsewhere",
            ],
        )
    })
    .await
    .unwrap();
    assert!(
        added.status.success(),
        "{}",
        String::from_utf8_lossy(&added.stderr)
    );
    let (opml_before, _) = get(&client, &base, "/blogroll.opml").await.unwrap();
    assert!(
        !opml_before.contains("Registered blog"),
        "pending is not listed"
    );
    let approve_config = config.clone();
    let approved = tokio::task::spawn_blocking(move || {
        bulletin(&approve_config, &["sources", "approve", "registered-blog"])
    })
    .await
    .unwrap();
    assert!(
        approved.status.success(),
        "{}",
        String::from_utf8_lossy(&approved.stderr)
    );
    for output in ["/sources", "/blogroll.opml"] {
        let listed = eventually(Duration::from_secs(1), || async {
            get(&client, &base, output)
                .await
                .is_some_and(|(body, _)| body.contains("Registered blog"))
        })
        .await;
        assert!(
            listed,
            "{output} lists the source approved by the CLI within 1 s"
        );
    }
}
