//! ARCHITECTURE.md's pipeline rules, checked on the source text (as rust-analyzer's tidy
//! tests do) so they cannot drift from the document. The web layer's own rules are in
//! tests/invariants_web.rs. Each failure names the file and line.
//!
//! 1. **One clock.** Nothing in `src/` but `src/clock.rs` reads the system time
//!    (`Utc::now()`, `SystemTime::now()`, `Local::now()`), tests in `src/` included.
//! 2. **Only the store speaks SQL.** No string literal outside `src/store/` holds an SQL
//!    statement, and nothing outside it uses rusqlite.
//! 3. **No import cycles between stages.** The stages (top-level modules, and each
//!    module of `web/` on its own) form a graph without cycles, read from their
//!    `crate::…` paths (comments aside).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

fn src() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("src")
}

fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(rust_files(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
    out.sort();
    out
}

fn relative(path: &Path) -> String {
    path.strip_prefix(src()).unwrap().display().to_string()
}

/// A line with its `//` comment removed (string literals are kept whole: a `//` inside
/// quotes is not a comment).
fn code(line: &str) -> &str {
    let mut in_string = false;
    let mut previous = ' ';
    for (at, c) in line.char_indices() {
        match c {
            '"' if previous != '\\' => in_string = !in_string,
            '/' if !in_string && previous == '/' => return &line[..at - 1],
            _ => {}
        }
        previous = c;
    }
    line
}

#[test]
fn only_the_clock_reads_the_system_time() {
    let mut found = Vec::new();
    for file in rust_files(&src()) {
        if relative(&file) == "clock.rs" {
            continue;
        }
        for (number, line) in std::fs::read_to_string(&file).unwrap().lines().enumerate() {
            let line = code(line);
            for call in ["Utc::now()", "SystemTime::now()", "Local::now()"] {
                if line.contains(call) {
                    found.push(format!("src/{}:{}: {call}", relative(&file), number + 1));
                }
            }
        }
    }
    assert!(
        found.is_empty(),
        "read the time from crate::clock::Clock:\n{}",
        found.join("\n")
    );
}

#[test]
fn only_the_store_speaks_sql() {
    let statement = regex::Regex::new(
        r#""\s*(SELECT\s|INSERT\s+INTO|UPDATE\s+\w+\s+SET|DELETE\s+FROM|CREATE\s+(TABLE|INDEX|TRIGGER|VIRTUAL)|ALTER\s+TABLE|PRAGMA\s|WITH\s+\w+\s+AS)"#,
    )
    .unwrap();
    let mut found = Vec::new();
    for file in rust_files(&src()) {
        let name = relative(&file);
        if name.starts_with("store/") || name.starts_with("store.rs") {
            continue;
        }
        for (number, line) in std::fs::read_to_string(&file).unwrap().lines().enumerate() {
            let line = code(line);
            if statement.is_match(line) || line.contains("rusqlite") {
                found.push(format!("src/{name}:{}: {}", number + 1, line.trim()));
            }
        }
    }
    assert!(
        found.is_empty(),
        "SQL belongs in src/store:\n{}",
        found.join("\n")
    );
}

/// The stage a file belongs to: its top-level module, or `web::<module>` inside web.
fn stage_of(file: &str) -> String {
    let parts: Vec<&str> = file.trim_end_matches(".rs").split('/').collect();
    match parts.as_slice() {
        ["web", "mod"] => "web".into(),
        ["web", module, ..] => format!("web::{module}"),
        [top, ..] => top.to_string(),
        [] => String::new(),
    }
}

/// The stage a `crate::…` or `super::…` path names, seen from `from`.
fn stage_named(from: &str, path: &str) -> Option<String> {
    let mut parts = path.split("::");
    let first = parts.next()?;
    let second = parts.next();
    match first {
        "crate" => {
            let top = second?;
            if top == "web" {
                match parts.next() {
                    Some(module) if module.chars().next().is_some_and(|c| c.is_lowercase()) => {
                        Some(format!("web::{module}"))
                    }
                    _ => Some("web".into()),
                }
            } else {
                Some(top.to_string())
            }
        }
        // Inside web/, `super::x` is a sibling module.
        "super" if from.starts_with("web::") => match second {
            Some(module) if module.chars().next().is_some_and(|c| c.is_lowercase()) => {
                Some(format!("web::{module}"))
            }
            _ => Some("web".into()),
        },
        _ => None,
    }
}

#[test]
fn stages_depend_on_each_other_without_cycles() {
    let path = regex::Regex::new(r"\b(crate|super)::[a-z_]+(::[a-z_]+)?").unwrap();
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for file in rust_files(&src()) {
        let name = relative(&file);
        let stage = stage_of(&name);
        if matches!(stage.as_str(), "lib" | "main") {
            continue;
        }
        let text = std::fs::read_to_string(&file).unwrap();
        // Test modules may reach anywhere.
        let body = text
            .split("\n#[cfg(test)]\nmod tests")
            .next()
            .unwrap_or(&text);
        for line in body.lines() {
            for found in path.find_iter(code(line)) {
                if let Some(target) = stage_named(&stage, found.as_str())
                    && target != stage
                    && !(stage.starts_with("web::") && target == "web")
                {
                    graph.entry(stage.clone()).or_default().insert(target);
                }
            }
        }
        graph.entry(stage).or_default();
    }
    // Depth-first search for a cycle, reporting its path.
    fn visit(
        node: &str,
        graph: &BTreeMap<String, BTreeSet<String>>,
        trail: &mut Vec<String>,
        done: &mut BTreeSet<String>,
        cycles: &mut Vec<String>,
    ) {
        if let Some(at) = trail.iter().position(|n| n == node) {
            let mut cycle = trail[at..].to_vec();
            cycle.push(node.to_string());
            cycles.push(cycle.join(" → "));
            return;
        }
        if done.contains(node) {
            return;
        }
        trail.push(node.to_string());
        for next in graph.get(node).into_iter().flatten() {
            visit(next, graph, trail, done, cycles);
        }
        trail.pop();
        done.insert(node.to_string());
    }
    let mut cycles = Vec::new();
    let mut done = BTreeSet::new();
    for node in graph.keys() {
        visit(node, &graph, &mut Vec::new(), &mut done, &mut cycles);
    }
    assert!(
        cycles.is_empty(),
        "import cycles between stages:\n{}",
        cycles.join("\n")
    );
}

#[test]
fn the_cycle_check_sees_a_cycle() {
    assert_eq!(stage_of("web/event_pages.rs"), "web::event_pages");
    assert_eq!(stage_of("normalise/calendar/mod.rs"), "normalise");
    assert_eq!(
        stage_named("web::pages", "super::event_pages").as_deref(),
        Some("web::event_pages")
    );
    assert_eq!(
        stage_named("render", "crate::web::routes").as_deref(),
        Some("web::routes")
    );
    assert_eq!(code("let a = 1; // crate::web"), "let a = 1; ");
    assert_eq!(
        code(r#"let u = "https://x"; // c"#),
        r#"let u = "https://x"; "#
    );
}
