//! What the ingest benchmarks share: loopback listeners spread over several addresses (as
//! real sources spread over hosts, so the fetcher's per-host limit acts), the Python
//! baseline run beside them in the same command (`benches/baseline/ingest.py`), and the
//! process's peak memory.

#![allow(dead_code)]

use std::io::Write;
use std::net::{Ipv4Addr, TcpListener};
use std::path::Path;
use std::process::Command;

/// Loopback addresses the generated documents are spread over.
pub const HOSTS: usize = 20;

/// One listener on each of 127.0.0.1 … 127.0.0.`HOSTS`, with its address and port.
pub fn loopback_listeners() -> Vec<(Ipv4Addr, u16, TcpListener)> {
    (1..=HOSTS)
        .map(|k| {
            let ip = Ipv4Addr::new(127, 0, 0, k as u8);
            let listener = TcpListener::bind((ip, 0)).expect("bind a loopback address");
            let port = listener.local_addr().expect("local address").port();
            (ip, port, listener)
        })
        .collect()
}

/// Two numeric options (`--NAME N`) with their defaults; any other argument (cargo's
/// `--bench`) is ignored.
pub fn two_numbers(first: (&str, usize), second: (&str, usize)) -> (usize, usize) {
    let (mut a, mut b) = (first.1, second.1);
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let target = match arg.strip_prefix("--") {
            Some(name) if name == first.0 => &mut a,
            Some(name) if name == second.0 => &mut b,
            _ => continue,
        };
        *target = args
            .next()
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| panic!("{arg} needs a number"));
    }
    (a, b)
}

/// What the Python baseline gave.
pub enum Baseline {
    /// Its wall time in seconds and the items it wrote.
    Ran { seconds: f64, items: u64 },
    /// Not run, and why (no Python, or its libraries are missing).
    Skipped(String),
}

impl Baseline {
    /// "N.N× the baseline" for a time of ours, or why there is no ratio.
    pub fn ratio(&self, ours: f64) -> String {
        match self {
            Baseline::Ran { seconds, .. } => {
                format!("{:.1}x faster than the Python baseline", seconds / ours)
            }
            Baseline::Skipped(why) => format!("no baseline ({why})"),
        }
    }
}

/// Runs `benches/baseline/ingest.py MODE` on `urls` with a database in `dir`, printing
/// its line. `python3` is the first on `PATH`, or `BULLETIN_BENCH_PYTHON`.
pub fn run_baseline(mode: &str, urls: &[String], db: &Path, extra: &[&str]) -> Baseline {
    let list = db.with_extension("urls");
    let mut file = std::fs::File::create(&list).expect("write the URL list");
    for url in urls {
        writeln!(file, "{url}").expect("write the URL list");
    }
    let python = std::env::var("BULLETIN_BENCH_PYTHON").unwrap_or_else(|_| "python3".into());
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("benches/baseline/ingest.py");
    let output = Command::new(&python)
        .arg(&script)
        .arg(mode)
        .arg("--urls")
        .arg(&list)
        .arg("--db")
        .arg(db)
        .args(extra)
        .output();
    let output = match output {
        Ok(output) => output,
        Err(e) => return skipped(format!("{python} could not be started: {e}")),
    };
    let stdout = String::from_utf8_lossy(&output.stdout);
    let line = stdout.lines().last().unwrap_or("").to_string();
    if output.status.code() == Some(3) {
        return skipped(line);
    }
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        return skipped(format!(
            "the baseline failed: {}",
            stderr.lines().take(3).collect::<Vec<_>>().join("; ")
        ));
    }
    println!("  {line}");
    // `baseline MODE: N documents, M items, S s`
    let numbers: Vec<f64> = line
        .split([',', ':'])
        .filter_map(|part| part.split_whitespace().next()?.parse().ok())
        .collect();
    match numbers[..] {
        [_, items, seconds] => Baseline::Ran {
            seconds,
            items: items as u64,
        },
        _ => skipped(format!("unreadable baseline output: {line}")),
    }
}

fn skipped(why: String) -> Baseline {
    println!("  baseline skipped: {why}");
    Baseline::Skipped(why)
}

pub fn mib(bytes: u64) -> f64 {
    bytes as f64 / 1048576.0
}

pub fn file_size(path: &Path) -> u64 {
    std::fs::metadata(path).map_or(0, |m| m.len())
}

/// The process's peak resident set in bytes, from `/proc/self/status` (Linux only).
pub fn peak_memory() -> Option<u64> {
    status_kib("VmHWM:").map(|kib| kib * 1024)
}

/// The process's resident set now, in bytes.
pub fn resident_memory() -> Option<u64> {
    status_kib("VmRSS:").map(|kib| kib * 1024)
}

fn status_kib(field: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with(field))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Peak memory in words, with what the process held before the pipeline ran (the
/// generated documents and the server that serves them), so the pipeline's own share
/// shows.
pub fn peak_memory_text(before_pipeline: Option<u64>) -> String {
    let words =
        |bytes: Option<u64>| bytes.map_or("unknown".into(), |b| format!("{:.1} MiB", mib(b)));
    format!(
        "{} for the whole process, {} of it held before the first pass (the generated \
         documents and the server serving them)",
        words(peak_memory()),
        words(before_pipeline)
    )
}
