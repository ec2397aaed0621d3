//! The `bulletin` binary as an operator runs it: a sources file in a temporary folder,
//! feeds served on loopback, and the printed summary and exit codes checked.

mod common;

use std::process::Command;

use wiremock::matchers::path;
use wiremock::{Mock, MockServer, ResponseTemplate};

use common::fixture;

use common::process::bulletin_text as bulletin;

#[tokio::test]
async fn fetch_prints_a_summary_and_fails_when_a_source_fails() {
    let server = MockServer::start().await;
    Mock::given(path("/ok.xml"))
        .and(wiremock::matchers::header("if-none-match", "\"1\""))
        .respond_with(ResponseTemplate::new(304))
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(path("/ok.xml"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_raw(fixture("feeds/rss2-wordpress.xml"), "application/rss+xml")
                .insert_header("ETag", "\"1\""),
        )
        .mount(&server)
        .await;
    Mock::given(path("/broken.xml"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_raw(fixture("feeds/malformed.xml"), "application/rss+xml"),
        )
        .mount(&server)
        .await;
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("sources.toml");
    std::fs::write(
        &config,
        format!(
            "[settings]\nallow_private_networks = true\nfetch_retries = 0\n\n\
             [[sources]]\nid = \"good\"\nname = \"Good\"\nurl = \"{0}/ok.xml\"\n\n\
             [[sources]]\nid = \"broken\"\nname = \"Broken\"\nurl = \"{0}/broken.xml\"\n",
            server.uri()
        ),
    )
    .unwrap();
    let config_path = config.clone();
    let (code, out, err) = tokio::task::spawn_blocking(move || bulletin(&config_path, &["fetch"]))
        .await
        .unwrap();
    assert_eq!(
        code, 1,
        "a failed source makes the pass exit 1\n{out}\n{err}"
    );
    let lines: Vec<&str> = out.lines().collect();
    assert!(
        lines[0].starts_with("SOURCE  RESULT  HTTP  ITEMS  NEW  UPDATED  TIME"),
        "{out}"
    );
    assert!(lines[1].starts_with("broken  FAILED  200   0"), "{out}");
    assert!(
        lines[1].contains(&format!(
            "{}/broken.xml: not a feed Bulletin can read",
            server.uri()
        )),
        "{out}"
    );
    assert!(
        lines[2].starts_with("good    ok      200   4      4    0"),
        "{out}"
    );
    assert!(
        out.contains(
            "2 sources: 1 ok, 0 unchanged, 0 not modified, 1 failed (0 read with warnings); 4 new and 0 updated items"
        ),
        "{out}"
    );
    assert!(
        err.contains("[1/2]") && err.contains("[2/2]"),
        "progress on stderr: {err}"
    );
    assert!(
        dir.path().join("bulletin.db").exists(),
        "database next to the sources file"
    );

    let config_path = config.clone();
    let (code, out, _) =
        tokio::task::spawn_blocking(move || bulletin(&config_path, &["fetch", "--source", "good"]))
            .await
            .unwrap();
    assert_eq!(code, 0);
    assert!(out.contains("good    not modified  304"), "{out}");

    let config_path = config.clone();
    let (_, out, _) =
        tokio::task::spawn_blocking(move || bulletin(&config_path, &["sources", "list"]))
            .await
            .unwrap();
    let good = out.lines().find(|l| l.starts_with("good")).unwrap();
    assert!(good.contains("4      0       not modified"), "{out}");
    assert!(
        out.contains("Last problems:\n  broken (failed): ") && out.contains("</titel>"),
        "the last error in words: {out}"
    );

    let (code, _, err) =
        tokio::task::spawn_blocking(move || bulletin(&config, &["fetch", "--source", "nope"]))
            .await
            .unwrap();
    assert_eq!(code, 2);
    assert!(err.contains("no source `nope`"), "{err}");
}

#[test]
fn a_bad_sources_file_names_the_line_and_field() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("sources.toml");
    std::fs::write(&config, "[[sources]]\nid = \"a\"\nname = \"A\"\nurl = \"https://a.example/feed\"\nshedule = \"0 * * * * *\"\n").unwrap();
    let (code, _, err) = bulletin(&config, &["sources", "check"]);
    assert_eq!(code, 2);
    assert!(err.contains("sources.toml:5"), "{err}");
    assert!(err.contains("unknown field `shedule`"), "{err}");
    std::fs::write(&config, "[settings]\ntimezone = \"Mars/Olympus\"\n").unwrap();
    let (code, _, err) = bulletin(&config, &["sources", "check"]);
    assert_eq!(code, 2);
    assert!(
        err.contains(
            "sources.toml:2: `settings.timezone`: `Mars/Olympus` is not an IANA time zone"
        ),
        "{err}"
    );
}

#[test]
fn the_shipped_sources_file_checks() {
    let config = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("sources.toml");
    let (code, out, err) = bulletin(&config, &["sources", "check"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("sources, settings valid"));
}

#[tokio::test]
async fn check_fetch_shows_what_each_extraction_method_found() {
    let server = MockServer::start().await;
    Mock::given(path("/events.html"))
        .respond_with(
            ResponseTemplate::new(200).set_body_raw(fixture("html/microdata.html"), "text/html"),
        )
        .mount(&server)
        .await;
    Mock::given(path("/plain.html"))
        .respond_with(
            ResponseTemplate::new(200).set_body_raw(fixture("feeds/not-a-feed.html"), "text/html"),
        )
        .mount(&server)
        .await;
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("sources.toml");
    std::fs::write(
        &config,
        format!(
            "[settings]\nallow_private_networks = true\n\n\
             [[sources]]\nid = \"marked-up\"\nname = \"Marked up\"\nurl = \"{0}/events.html\"\nkind = \"html\"\n\n\
             [[sources]]\nid = \"plain\"\nname = \"Plain\"\nurl = \"{0}/plain.html\"\nkind = \"html\"\n",
            server.uri()
        ),
    )
    .unwrap();
    let (_, out, err) =
        tokio::task::spawn_blocking(move || bulletin(&config, &["sources", "check", "--fetch"]))
            .await
            .unwrap();
    let marked = out
        .lines()
        .find(|l| l.starts_with("marked-up"))
        .unwrap_or_else(|| panic!("{out}{err}"));
    assert!(
        marked.contains("3 events [JSON-LD 0, microdata 3, RDFa 0, h-event 0]"),
        "{out}"
    );
    let plain = out.lines().find(|l| l.starts_with("plain")).unwrap();
    assert!(
        plain.contains("0 events [JSON-LD 0, microdata 0, RDFa 0, h-event 0]"),
        "{out}"
    );
    assert!(
        plain.contains("no selectors are configured for this source"),
        "{out}"
    );
    assert!(
        !dir.path().join("bulletin.db").exists(),
        "checking stores nothing"
    );
}

#[tokio::test]
async fn check_fetch_shows_the_posts_each_method_found_beside_the_events() {
    let server = MockServer::start().await;
    for (at, file) in [
        (
            "/news",
            "reference/page-posts/drupal-news-view-microdata.html",
        ),
        (
            "/SitePages/News.aspx",
            "reference/page-posts/sharepoint-news-page.html",
        ),
    ] {
        Mock::given(path(at))
            .respond_with(ResponseTemplate::new(200).set_body_raw(fixture(file), "text/html"))
            .mount(&server)
            .await;
    }
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("sources.toml");
    std::fs::write(
        &config,
        format!(
            "[settings]\nallow_private_networks = true\n\n\
             [[sources]]\nid = \"drupal\"\nname = \"Drupal\"\nurl = \"{0}/news\"\nkind = \"html\"\n\n\
             [[sources]]\nid = \"sharepoint\"\nname = \"SharePoint\"\nurl = \"{0}/SitePages/News.aspx\"\n\n\
             [sources.post_selectors]\nitem = \"[data-automation-id=newsItem]\"\n\
             title = \"[data-automation-id=newsItemTitle]\"\ndate = \"[data-automation-id=newsItemDate]\"\n",
            server.uri()
        ),
    )
    .unwrap();
    let (_, out, err) =
        tokio::task::spawn_blocking(move || bulletin(&config, &["sources", "check", "--fetch"]))
            .await
            .unwrap();
    let line = |id: &str| {
        out.lines()
            .find(|l| l.starts_with(id))
            .unwrap_or_else(|| panic!("{out}{err}"))
            .to_string()
    };
    assert!(
        line("drupal").contains(
            "2 posts, 0 events [JSON-LD 0, microdata 0, RDFa 0, h-event 0] [posts: JSON-LD 0, microdata 2, h-entry 0]"
        ),
        "{out}"
    );
    let sharepoint = line("sharepoint");
    assert!(
        sharepoint.contains("2 posts, 0 events")
            && sharepoint.contains("[posts: JSON-LD 0, microdata 0, h-entry 0, selectors 2]"),
        "{out}"
    );
    // Listings with neither author nor summary have their own pages read; here they are
    // missing, which is said, and the posts are kept as listed.
    assert!(
        sharepoint
            .contains("Wellness-week.aspx: HTTP 404; the post is kept as its listing gives it"),
        "{out}"
    );
}

#[test]
fn a_missing_sources_file_is_named_once_with_the_ways_out() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("nowhere.toml");
    let (code, out, err) = bulletin(&config, &["sources", "list"]);
    assert_eq!(code, 2, "{out}{err}");
    assert_eq!(err.matches("nowhere.toml").count(), 1, "named once: {err}");
    assert_eq!(
        err.matches("No such file").count() + err.matches("no such file").count(),
        1,
        "the reason once: {err}"
    );
    assert!(
        err.contains("--config FILE") && err.contains("`bulletin init`"),
        "{err}"
    );
}

#[test]
fn init_writes_a_starter_that_checks_and_never_overwrites() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("sources.toml");
    let (code, out, err) = bulletin(&config, &["init"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.contains("wrote ") && out.contains("sources.toml"),
        "{out}"
    );
    let written = std::fs::read_to_string(&config).unwrap();
    assert!(
        written.starts_with("# Bulletin's sources file"),
        "{written}"
    );
    let (code, out, err) = bulletin(&config, &["sources", "check"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.contains(": 1 source, settings valid"),
        "singular: {out}"
    );

    std::fs::write(&config, "# mine\n").unwrap();
    let (code, _, err) = bulletin(&config, &["init"]);
    assert_eq!(code, 2);
    assert!(err.contains("already exists, left as it is"), "{err}");
    assert_eq!(std::fs::read_to_string(&config).unwrap(), "# mine\n");
}

#[test]
fn check_reports_file_sources_whose_file_is_missing() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("sources.toml");
    std::fs::write(
        &config,
        "[[sources]]\nid = \"gone\"\nname = \"Gone\"\nfile = \"calendars/gone.ics\"\n",
    )
    .unwrap();
    let (code, out, err) = bulletin(&config, &["sources", "check"]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(out.contains("1 source, settings valid"), "{out}");
    assert!(
        out.contains("Files missing:\n  gone: no file at ") && out.contains("gone.ics"),
        "{out}"
    );
}

#[test]
fn local_files_have_no_http_status_and_list_dates_are_in_the_display_zone() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("feed.xml"), fixture("feeds/atom.xml")).unwrap();
    let config = dir.path().join("sources.toml");
    std::fs::write(
        &config,
        "[settings]\ntimezone = \"Asia/Tokyo\"\n\n\
         [[sources]]\nid = \"local\"\nname = \"Local\"\nfile = \"feed.xml\"\n",
    )
    .unwrap();
    let (code, out, err) = bulletin(&config, &["fetch"]);
    assert_eq!(code, 0, "{out}{err}");
    let row = out.lines().find(|l| l.starts_with("local")).unwrap();
    assert!(
        row.starts_with("local   ok      -     "),
        "no HTTP status: {out}"
    );
    assert!(out.contains("\n1 source: 1 ok"), "singular: {out}");
    let (code, out, err) = bulletin(&config, &["sources", "check", "--fetch"]);
    assert_eq!(code, 0, "{out}{err}");
    let row = out.lines().find(|l| l.starts_with("local")).unwrap();
    assert!(row.starts_with("local   ok      -     "), "{out}");

    let (code, out, _) = bulletin(&config, &["sources", "list"]);
    assert_eq!(code, 0);
    let row = out.lines().find(|l| l.starts_with("local")).unwrap();
    assert!(row.contains(" ok 20") && row.contains(" JST"), "{out}");
    assert!(
        !out.contains("UTC") && !out.contains("not_modified"),
        "{out}"
    );
}

#[tokio::test]
async fn add_refuses_empty_names_known_urls_and_empty_pages() {
    let server = MockServer::start().await;
    Mock::given(path("/feed.xml"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_raw(fixture("feeds/rss2-wordpress.xml"), "application/rss+xml"),
        )
        .mount(&server)
        .await;
    Mock::given(path("/old-feed"))
        .respond_with(
            ResponseTemplate::new(301)
                .insert_header("Location", format!("{}/feed.xml", server.uri())),
        )
        .mount(&server)
        .await;
    Mock::given(path("/configured.xml"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_raw(fixture("feeds/atom.xml"), "application/atom+xml"),
        )
        .mount(&server)
        .await;
    Mock::given(path("/empty.html"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(
            "<!doctype html><html lang=\"en\"><head><title>About us</title></head>\
             <body><main><h1>About us</h1><p>We make policy.</p></main></body></html>",
            "text/html",
        ))
        .mount(&server)
        .await;
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("sources.toml");
    std::fs::write(
        &config,
        format!(
            "[settings]\nallow_private_networks = true\n\n\
             [[sources]]\nid = \"configured\"\nname = \"Configured\"\nurl = \"{}/configured.xml\"\n",
            server.uri()
        ),
    )
    .unwrap();
    let uri = server.uri();
    let run = move |args: Vec<String>| {
        let config = config.clone();
        tokio::task::spawn_blocking(move || {
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            bulletin(&config, &args)
        })
    };
    let add = |url: &str, name: &str, department: &str| -> Vec<String> {
        [
            "sources",
            "add",
            url,
            "--name",
            name,
            "--department",
            department,
        ]
        .iter()
        .map(|s| s.to_string())
        .collect()
    };

    let (code, _, err) = run(add(&format!("{uri}/feed.xml"), "  ", "Finance"))
        .await
        .unwrap();
    assert_eq!(code, 2);
    assert!(err.contains("give the source a name (--name)"), "{err}");
    let (code, _, err) = run(add(&format!("{uri}/feed.xml"), "Blog", ""))
        .await
        .unwrap();
    assert_eq!(code, 2);
    assert!(
        err.contains("give the source's department (--department)"),
        "{err}"
    );

    let (code, _, err) = run(add(&format!("{uri}/configured.xml"), "Again", "Finance"))
        .await
        .unwrap();
    assert_eq!(code, 2);
    assert!(
        err.contains("is already a source: `configured` in the sources file"),
        "{err}"
    );

    let (code, out, err) = run(add(&format!("{uri}/empty.html"), "About", "Finance"))
        .await
        .unwrap();
    assert_eq!(code, 2, "{out}{err}");
    assert!(
        err.contains("the page gives no events or posts, so it was not registered"),
        "{out}{err}"
    );

    let (code, out, err) = run(add(&format!("{uri}/feed.xml"), "Blog", "Finance"))
        .await
        .unwrap();
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("(4 posts)"), "{out}");
    assert!(
        out.contains("registered as `blog`, pending approval"),
        "{out}"
    );
    let (code, _, err) = run(add(&format!("{uri}/feed.xml"), "Blog", "Finance"))
        .await
        .unwrap();
    assert_eq!(code, 2);
    assert!(err.contains("is already registered as `blog`"), "{err}");
    // The same feed reached through a redirect.
    let (code, _, err) = run(add(&format!("{uri}/old-feed"), "Old blog", "Finance"))
        .await
        .unwrap();
    assert_eq!(code, 2);
    assert!(err.contains("is already registered as `blog`"), "{err}");

    let approve: Vec<String> = ["sources", "approve", "blog"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    let (code, out, _) = run(approve.clone()).await.unwrap();
    assert_eq!(code, 0);
    assert!(out.contains("approved `blog`"), "{out}");
    let (code, out, _) = run(approve).await.unwrap();
    assert_eq!(code, 0);
    assert_eq!(out, "`blog` is already approved\n");
}

#[tokio::test]
async fn logs_are_plain_off_a_terminal_and_json_on_request() {
    let server = MockServer::start().await;
    Mock::given(path("/down.xml"))
        .respond_with(ResponseTemplate::new(500))
        .mount(&server)
        .await;
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("sources.toml");
    std::fs::write(
        &config,
        format!(
            "[settings]\nallow_private_networks = true\nfetch_retries = 0\n\n\
             [[sources]]\nid = \"down\"\nname = \"Down\"\nurl = \"{}/down.xml\"\n",
            server.uri()
        ),
    )
    .unwrap();
    let file = config.clone();
    let (code, _, err) = tokio::task::spawn_blocking(move || bulletin(&file, &["fetch"]))
        .await
        .unwrap();
    assert_eq!(code, 1);
    assert!(err.contains("source failing"), "{err}");
    assert!(
        !err.contains('\u{1b}'),
        "no colour codes in a pipe: {err:?}"
    );

    // Failing again is not news; the JSON lines carry the fields.
    let file = config.clone();
    let (code, _, err) =
        tokio::task::spawn_blocking(move || bulletin(&file, &["--log-format", "json", "fetch"]))
            .await
            .unwrap();
    assert_eq!(code, 1);
    assert!(!err.contains("source failing"), "logged once: {err}");

    std::fs::write(
        &config,
        format!(
            "[settings]\nallow_private_networks = true\nfetch_retries = 0\n\n\
             [[sources]]\nid = \"down\"\nname = \"Down\"\nurl = \"{}/gone.xml\"\n",
            server.uri()
        ),
    )
    .unwrap();
    Mock::given(path("/gone.xml"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_raw(fixture("feeds/atom.xml"), "application/atom+xml"),
        )
        .mount(&server)
        .await;
    let file = config.clone();
    let (code, out, err) = tokio::task::spawn_blocking(move || {
        let output = Command::new(env!("CARGO_BIN_EXE_bulletin"))
            .args(["--config".as_ref(), file.as_os_str()])
            .args(["--log-format", "json", "fetch"])
            .env("RUST_LOG", "info")
            .output()
            .unwrap();
        (
            output.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&output.stdout).into_owned(),
            String::from_utf8_lossy(&output.stderr).into_owned(),
        )
    })
    .await
    .unwrap();
    assert_eq!(code, 0, "{out}{err}");
    let recovered = err
        .lines()
        .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
        .find(|v| v["message"] == "source recovered")
        .unwrap_or_else(|| panic!("a JSON line saying so: {err}"));
    assert_eq!(recovered["source"], "down");
    assert_eq!(recovered["failures"], 2);
    assert_eq!(recovered["level"], "INFO");
}
