//! `bulletin backup FILE` run beside a running `bulletin serve`, as an operator's nightly
//! job would: the copy is whole and checked, and names what it copied.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn feed(n: usize) -> String {
    let mut xml = String::from("<rss version=\"2.0\"><channel><title>T</title>");
    for i in 0..n {
        xml.push_str(&format!(
            "<item><guid>p{i}</guid><title>Post {i}</title><link>https://example.gc.ca/{i}</link>\
             <pubDate>Mon, 07 Dec 2026 10:00:00 GMT</pubDate></item>"
        ));
    }
    xml + "</channel></rss>"
}

fn posts(db: &std::path::Path) -> i64 {
    rusqlite::Connection::open(db)
        .and_then(|c| c.query_row("SELECT count(*) FROM posts", [], |r| r.get(0)))
        .unwrap_or(0)
}

#[test]
fn backup_while_serve_runs() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("news.xml"), feed(40)).unwrap();
    let config = dir.path().join("sources.toml");
    std::fs::write(
        &config,
        "[settings]\ndatabase = \"live.db\"\nlisten = \"127.0.0.1:0\"\n\n\
         [[sources]]\nid = \"news\"\nname = \"News\"\ndepartment = \"Test\"\nfile = \"news.xml\"\n",
    )
    .unwrap();
    let missing = Command::new(env!("CARGO_BIN_EXE_bulletin"))
        .args(["--config", config.to_str().unwrap(), "backup"])
        .arg(dir.path().join("copy.db"))
        .output()
        .unwrap();
    assert_eq!(missing.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&missing.stderr).contains("does not exist yet"),
        "{missing:?}"
    );

    let mut serve = Command::new(env!("CARGO_BIN_EXE_bulletin"))
        .args(["--config", config.to_str().unwrap(), "serve"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let live = dir.path().join("live.db");
    let deadline = Instant::now() + Duration::from_secs(30);
    while posts(&live) < 40 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(100));
    }
    let copy = dir.path().join("copy.db");
    let output = Command::new(env!("CARGO_BIN_EXE_bulletin"))
        .args(["--config", config.to_str().unwrap(), "backup"])
        .arg(&copy)
        .output()
        .unwrap();
    let _ = serve.kill();
    let _ = serve.wait();
    assert!(output.status.success(), "{output:?}");
    let said = String::from_utf8_lossy(&output.stdout);
    assert!(
        said.contains("copy.db: copy of") && said.contains("checked"),
        "{said}"
    );
    assert_eq!(posts(&copy), 40);
    assert!(!dir.path().join("copy.db.partial").exists());
}
