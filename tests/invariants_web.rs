//! The web layer's house rules, checked on the source text (in the manner of
//! rust-analyzer's tidy tests) so they cannot drift from ARCHITECTURE.md:
//!
//! 1. **No blocking store call on an async worker.** In `src/web/*.rs`, every call
//!    `store.<method>(` (or `<name>_store.<method>(`) sits inside the parentheses of a
//!    `web::block(` or `spawn_blocking(` call, or inside a function whose name ends in
//!    `_blocking` (which may itself be called only from inside such a call). The store
//!    methods that never block — `clone`, `generation` (an atomic),
//!    `watch_foreign_writes` (starts a thread), `path` — are allowed anywhere. The other
//!    files that run on the async runtime (`src/cli.rs`, `src/tick.rs`, `src/refresh/`,
//!    `src/harvest.rs`, `src/preview.rs`) hold the same rule inside async code only
//!    (`async fn` bodies and `async {…}` blocks); their plain functions run on threads
//!    of their own (a command's main thread, the blocking pool). Test modules, inline or
//!    in files of their own (`*tests.rs`), are not checked.
//! 2. **No route literal outside `src/web/routes.rs`.** No string literal in `src/` (test
//!    modules aside) and nothing in `templates/` contains a path of the service
//!    (`/events`, `/feed.`, `/sources`, …): links are built by `web::routes`. Relative
//!    file paths (`../static/style.css`, embedded at build time) are not links.
//!
//! The rules are textual on purpose (simple to read and to satisfy); each failure names
//! the file and line.

use std::path::{Path, PathBuf};

const NON_BLOCKING: [&str; 4] = ["clone", "generation", "watch_foreign_writes", "path"];
const ROUTE_PATTERNS: [&str; 10] = [
    "/events",
    "/feed.",
    "/sources",
    "/admin",
    "/api/",
    "/posts",
    "/archive",
    "/static/",
    "/healthz",
    "/blogroll",
];

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Files under `dir` ending in `ext`, recursively, sorted.
fn files(dir: &Path, ext: &str) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(files(&path, ext));
        } else if path.extension().is_some_and(|e| e == ext) {
            out.push(path);
        }
    }
    out.sort();
    out
}

/// The text before a file's test module (`#[cfg(test)]` followed by a `mod`).
fn non_test(text: &str) -> &str {
    let lines: Vec<&str> = text.split_inclusive('\n').collect();
    let mut offset = 0;
    for (i, line) in lines.iter().enumerate() {
        if line.trim() == "#[cfg(test)]" {
            let next = lines[i + 1..].iter().find(|l| !l.trim().is_empty());
            if next.is_some_and(|l| {
                let l = l.trim_start();
                l.starts_with("mod ")
                    || l.starts_with("pub mod ")
                    || l.starts_with("pub(crate) mod ")
            }) {
                return &text[..offset];
            }
        }
        offset += line.len();
    }
    text
}

/// `text` with every line comment blanked out (kept the same length, so offsets and line
/// numbers hold). A `//` inside a string (`"http://…"`) is left alone.
fn without_comments(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for line in text.split_inclusive('\n') {
        let mut in_string = false;
        let mut cut = None;
        let bytes = line.as_bytes();
        for i in 0..bytes.len() {
            match bytes[i] {
                b'"' if i == 0 || bytes[i - 1] != b'\\' => in_string = !in_string,
                b'/' if !in_string && bytes.get(i + 1) == Some(&b'/') => {
                    cut = Some(i);
                    break;
                }
                _ => {}
            }
        }
        match cut {
            Some(at) => {
                out.push_str(&line[..at]);
                out.extend(
                    line[at..]
                        .chars()
                        .map(|c| if c == '\n' { '\n' } else { ' ' }),
                );
            }
            None => out.push_str(line),
        }
    }
    out
}

/// The byte ranges of the parentheses opened at each `opener` (which ends in `(`), or of
/// the braces of each function whose name ends in `_blocking`.
fn blocking_ranges(text: &str) -> Vec<(usize, usize)> {
    let mut ranges = Vec::new();
    let bytes = text.as_bytes();
    let close = |from: usize, open: u8, shut: u8| {
        let mut depth = 0usize;
        for (i, &b) in bytes.iter().enumerate().skip(from) {
            if b == open {
                depth += 1;
            } else if b == shut {
                depth -= 1;
                if depth == 0 {
                    return i;
                }
            }
        }
        bytes.len()
    };
    for opener in ["web::block(", "spawn_blocking("] {
        for (at, _) in text.match_indices(opener) {
            let open = at + opener.len() - 1;
            ranges.push((open, close(open, b'(', b')')));
        }
    }
    for (at, _) in text.match_indices("fn ") {
        let name: String = text[at + 3..]
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect();
        if name.ends_with("_blocking")
            && let Some(brace) = text[at..].find('{')
        {
            ranges.push((at + brace, close(at + brace, b'{', b'}')));
        }
    }
    ranges
}

fn line_of(text: &str, offset: usize) -> usize {
    text[..offset].matches('\n').count() + 1
}

/// The byte ranges of async code: the braces of each `async fn` and `async {…}` block.
fn async_ranges(text: &str) -> Vec<(usize, usize)> {
    let bytes = text.as_bytes();
    let mut ranges = Vec::new();
    for (at, _) in text.match_indices("async") {
        let before = text[..at].chars().last();
        let after = text[at + 5..].chars().next();
        let word = |c: Option<char>| c.is_some_and(|c| c.is_alphanumeric() || c == '_');
        if word(before) || word(after) {
            continue;
        }
        let rest = text[at + 5..].trim_start();
        let is_block = rest.starts_with('{') || rest.starts_with("move");
        if !(is_block || rest.starts_with("fn ")) {
            continue;
        }
        let Some(brace) = text[at..].find('{') else {
            continue;
        };
        let open = at + brace;
        let mut depth = 0usize;
        let mut close = bytes.len();
        for (i, &b) in bytes.iter().enumerate().skip(open) {
            if b == b'{' {
                depth += 1;
            } else if b == b'}' {
                depth -= 1;
                if depth == 0 {
                    close = i;
                    break;
                }
            }
        }
        ranges.push((open, close));
    }
    ranges
}

/// Where rule 1 applies in a file.
#[derive(Clone, Copy, PartialEq)]
enum Scope {
    /// Everywhere (web handlers are all async, helpers are `_blocking`).
    Everywhere,
    /// Inside async code only.
    AsyncOnly,
}

/// Breaches of rule 1 in one file's text, as `name:line: what`.
fn blocking_breaches(name: &str, source: &str, scope: Scope) -> Vec<String> {
    let text = without_comments(non_test(source));
    let ranges = blocking_ranges(&text);
    let inside = |at: usize| ranges.iter().any(|(from, to)| *from < at && at < *to);
    let asynchronous = async_ranges(&text);
    let in_scope = |at: usize| {
        scope == Scope::Everywhere || asynchronous.iter().any(|(from, to)| *from < at && at < *to)
    };
    let mut breaches = Vec::new();
    for (at, _) in text.match_indices("store.") {
        // `store.` itself, or the end of a name such as `initial_store.`.
        let start = text[..at]
            .rfind(|c: char| !(c.is_alphanumeric() || c == '_'))
            .map_or(0, |i| i + 1);
        let prefix = &text[start..at];
        if !(prefix.is_empty() || prefix.ends_with('_')) || !in_scope(at) {
            continue;
        }
        let method: String = text[at + 6..]
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect();
        let called = text[at + 6 + method.len()..].starts_with('(');
        if called && !NON_BLOCKING.contains(&method.as_str()) && !inside(at) {
            breaches.push(format!(
                "{name}:{}: store.{method}(…) outside web::block/spawn_blocking",
                line_of(&text, at)
            ));
        }
    }
    for (at, _) in text.match_indices("_blocking(") {
        let start = text[..at]
            .rfind(|c: char| !(c.is_alphanumeric() || c == '_'))
            .map_or(0, |i| i + 1);
        let is_definition = text[..start].trim_end().ends_with("fn");
        let is_spawn = text[start..at].ends_with("spawn");
        if !is_definition && !is_spawn && !inside(at) && in_scope(at) {
            breaches.push(format!(
                "{name}:{}: {}(…) (blocking) called outside web::block/spawn_blocking",
                line_of(&text, at),
                &text[start..at + "_blocking".len()]
            ));
        }
    }
    breaches
}

/// Breaches of rule 2 in one file, as `name:line: literal`. In Rust files only string
/// literals count (quote parity on the line); in templates every line does.
fn route_breaches(name: &str, source: &str, rust: bool) -> Vec<String> {
    let text = if rust {
        without_comments(non_test(source))
    } else {
        source.to_string()
    };
    let mut breaches = Vec::new();
    for (number, line) in text.lines().enumerate() {
        for pattern in ROUTE_PATTERNS {
            for (at, _) in line.match_indices(pattern) {
                let in_string = !rust || line[..at].matches('"').count() % 2 == 1;
                // `../static/style.css` is a file the binary embeds, not a link.
                let file_path = line[..at].ends_with("..");
                if in_string && !file_path {
                    breaches.push(format!(
                        "{name}:{}: {pattern} in `{}`",
                        number + 1,
                        line.trim()
                    ));
                }
            }
        }
    }
    breaches
}

#[test]
fn no_store_call_runs_on_an_async_worker() {
    let mut breaches = Vec::new();
    let web = files(&root().join("src/web"), "rs")
        .into_iter()
        .map(|f| (f, Scope::Everywhere));
    let runtime = [
        "src/cli.rs",
        "src/tick.rs",
        "src/harvest.rs",
        "src/preview.rs",
    ]
    .into_iter()
    .map(|f| root().join(f))
    .chain(files(&root().join("src/refresh"), "rs"))
    // Files that are test modules whole (`crash_tests.rs`) are tests, as inline ones are.
    .filter(|f| !f.to_string_lossy().ends_with("tests.rs"))
    .map(|f| (f, Scope::AsyncOnly));
    let mut checked = 0;
    for (file, scope) in web.chain(runtime) {
        let name = file.strip_prefix(root()).unwrap().display().to_string();
        breaches.extend(blocking_breaches(
            &name,
            &std::fs::read_to_string(&file).unwrap(),
            scope,
        ));
        checked += 1;
    }
    assert!(checked > 10, "only {checked} files checked");
    assert!(breaches.is_empty(), "\n{}", breaches.join("\n"));
}

#[test]
fn no_route_literal_outside_the_routes_module() {
    let mut breaches = Vec::new();
    for file in files(&root().join("src"), "rs") {
        let name = file.strip_prefix(root()).unwrap().display().to_string();
        if name == "src/web/routes.rs" {
            continue;
        }
        breaches.extend(route_breaches(
            &name,
            &std::fs::read_to_string(&file).unwrap(),
            true,
        ));
    }
    for file in files(&root().join("templates"), "html") {
        let name = file.strip_prefix(root()).unwrap().display().to_string();
        breaches.extend(route_breaches(
            &name,
            &std::fs::read_to_string(&file).unwrap(),
            false,
        ));
    }
    assert!(breaches.is_empty(), "\n{}", breaches.join("\n"));
}

#[test]
fn the_rules_catch_what_they_are_about() {
    let handler = r#"
async fn h(state: S) {
    let store = state.store.clone();
    let g = state.store.generation();
    let ok = web::block(move || store.events(&f)).await;
    let bad = state.store.events(&f)?; // store.events( in a comment is fine
    let also_ok = web::block(move || facets_blocking(&store));
    let bad_call = facets_blocking(&store);
}
fn facets_blocking(store: &Store) { store.active_sources() }
#[cfg(test)]
mod tests { fn t() { store.events(); } }
"#;
    let breaches = blocking_breaches("h.rs", handler, Scope::Everywhere);
    assert_eq!(breaches.len(), 2, "{breaches:?}");
    assert!(
        breaches[0].starts_with("h.rs:6: store.events"),
        "{breaches:?}"
    );
    assert!(
        breaches[1].starts_with("h.rs:8: facets_blocking"),
        "{breaches:?}"
    );

    // Outside the web layer only async code counts, and `<name>_store` is a store.
    let command = r#"
fn fetch(store: &Store) { let all = store.active_sources()?; }
async fn serve(store: Store) {
    let initial_store = store.clone();
    tokio::spawn(async move {
        match initial_store.active_sources() { _ => {} }
    });
    let ok = tokio::task::spawn_blocking(move || store.active_sources()).await;
    runtime.block_on(async { let restore = x; restore.active_sources(); });
}
fn tick() { Box::pin(async move { let due = store.active_sources(); }) }
"#;
    let breaches = blocking_breaches("c.rs", command, Scope::AsyncOnly);
    assert_eq!(breaches.len(), 2, "{breaches:?}");
    assert!(
        breaches[0].starts_with("c.rs:6: store.active_sources"),
        "{breaches:?}"
    );
    assert!(
        breaches[1].starts_with("c.rs:11: store.active_sources"),
        "{breaches:?}"
    );

    let renderer = "let a = \"/events.ics\";\n// see /events.ics\nlet b = routes::CALENDAR;\nlet c = format!(\"{origin}/feed.rss\");\n";
    let found = route_breaches("r.rs", renderer, true);
    assert_eq!(found.len(), 2, "{found:?}");
    assert!(found[0].starts_with("r.rs:1:") && found[1].starts_with("r.rs:4:"));
    assert_eq!(
        route_breaches("t.html", "<a href=\"/posts?x\">", false).len(),
        1
    );
}
