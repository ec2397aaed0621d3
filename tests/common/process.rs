//! The built `bulletin` binary run by tests: a command on a configuration, and
//! `bulletin serve` as a child process stopped when the test ends however it ends.

use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

/// `bulletin --config CONFIG ARGS…`, quiet below warnings, run to its end.
pub fn bulletin(config: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_bulletin"))
        .arg("--config")
        .arg(config)
        .args(args)
        .env("RUST_LOG", "warn")
        .output()
        .expect("run bulletin")
}

/// [`bulletin`]'s exit code (-1 when a signal ended it), standard output and standard
/// error, as text.
pub fn bulletin_text(config: &Path, args: &[&str]) -> (i32, String, String) {
    let output = bulletin(config, args);
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// `bulletin --config CONFIG ARGS…` started, its stderr piped (the caller reads it).
pub fn spawn(config: &Path, args: &[&str], log_level: &str) -> Child {
    Command::new(env!("CARGO_BIN_EXE_bulletin"))
        .arg("--config")
        .arg(config)
        .args(args)
        .env("RUST_LOG", log_level)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start bulletin")
}

/// A running `bulletin serve`, killed when dropped.
pub struct Served {
    child: Child,
    /// `http://127.0.0.1:PORT`.
    pub base: String,
}

impl Served {
    /// Starts `bulletin serve` on `port` and waits (up to 20 s) until `/healthz` answers.
    pub async fn start(config: &Path, port: u16) -> Served {
        let child = Command::new(env!("CARGO_BIN_EXE_bulletin"))
            .arg("--config")
            .arg(config)
            .arg("serve")
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start bulletin serve");
        let served = Served {
            child,
            base: format!("http://127.0.0.1:{port}"),
        };
        bulletin::fetch::install_tls_provider();
        let client = reqwest::Client::new();
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let health = client.get(format!("{}/healthz", served.base)).send().await;
            if health.is_ok_and(|r| r.status().is_success()) {
                return served;
            }
            assert!(Instant::now() < deadline, "bulletin serve never answered");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A loopback port free a moment ago, for a configuration to name.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}
