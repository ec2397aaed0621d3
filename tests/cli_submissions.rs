//! `bulletin events submitted|approve|reject` as an operator runs them against the
//! database a running service shares.

mod common;

use std::collections::HashMap;

use bulletin::store::{Store, SubmissionState};

use common::process::bulletin_text as bulletin;

fn submit(store: &Store, title: &str, digest: &str) -> i64 {
    let values: HashMap<String, String> = [
        ("title_en", title),
        ("start_date", "2027-03-03"),
        ("start_time", "09:00"),
        ("end_time", "10:00"),
        ("timezone", "America/Halifax"),
        ("online_url", "https://teams.example/x"),
        ("department", "Fisheries and Oceans Canada"),
        ("contact", "someone@example.gc.ca"),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    let submission = bulletin::submission::check(&values).unwrap();
    store
        .submit_event(&submission, digest, chrono::Utc::now())
        .unwrap()
}

#[test]
fn submitted_events_are_listed_approved_and_rejected() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("sources.toml");
    std::fs::write(&config, "[settings]\n").unwrap();
    let store = Store::open(&dir.path().join("bulletin.db")).unwrap();
    let good = submit(&store, "Ocean data meet-up", "d1");
    let bad = submit(&store, "Buy now", "d2");

    let (code, out, err) = bulletin(&config, &["events", "submitted"]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("Ocean data meet-up") && out.contains("Buy now"),
        "{out}"
    );
    assert!(
        out.contains("2027-03-03 09:00"),
        "times in the service's zone: {out}"
    );

    let (code, out, err) = bulletin(&config, &["events", "approve", &good.to_string()]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("Submitted events"), "{out}");
    let (code, _, err) = bulletin(
        &config,
        &["events", "reject", &bad.to_string(), "--reason", " "],
    );
    assert_ne!(code, 0);
    assert!(err.contains("reason"), "{err}");
    let (code, _, err) = bulletin(
        &config,
        &[
            "events",
            "reject",
            &bad.to_string(),
            "--reason",
            "Advertising",
        ],
    );
    assert_eq!(code, 0, "{err}");
    let (code, _, err) = bulletin(&config, &["events", "approve", &bad.to_string()]);
    assert_ne!(code, 0, "a rejected event cannot be approved");
    assert!(
        err.contains(&format!("submitted event {bad} is rejected")),
        "{err}"
    );

    assert!(
        store
            .submissions(SubmissionState::Pending)
            .unwrap()
            .is_empty()
    );
    let events = store
        .events(&bulletin::store::EventFilter {
            limit: 10,
            ..Default::default()
        })
        .unwrap();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].event.title, "Ocean data meet-up");
    assert_eq!(
        events[0].sources[0].department,
        "Fisheries and Oceans Canada"
    );
}
