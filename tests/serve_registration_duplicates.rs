//! The registration form refuses an address that is already a source, as `bulletin
//! sources add` does: through the built `bulletin serve`, an address in the sources file,
//! one registered and approved and one waiting for approval are each refused — typed in
//! another spelling, or reached through a redirect — at preview and at submit, in English
//! and French, naming the source, and nothing is stored. Sources are played by a fixture
//! server on 127.0.0.1.

mod common;

use std::path::Path;

use reqwest::StatusCode;
use wiremock::matchers::path;
use wiremock::{Mock, MockServer, ResponseTemplate};

use common::fixture;
use common::process::{Served, bulletin, free_port};

async fn feeds(upstream: &MockServer) {
    for name in ["configured", "approved", "pending", "fresh"] {
        Mock::given(path(format!("/{name}.xml")))
            .respond_with(
                ResponseTemplate::new(200)
                    .set_body_raw(fixture("feeds/rss2-wordpress.xml"), "application/rss+xml"),
            )
            .mount(upstream)
            .await;
    }
    // An old address that moved to the pending registration's.
    Mock::given(path("/moved"))
        .respond_with(
            ResponseTemplate::new(301)
                .insert_header("location", format!("{}/pending.xml", upstream.uri())),
        )
        .mount(upstream)
        .await;
}

fn add(config: &Path, url: &str, name: &str, approve: bool) {
    let mut args = vec![
        "sources",
        "add",
        url,
        "--name",
        name,
        "--department",
        "Finance",
    ];
    if approve {
        args.push("--approve");
    }
    let output = bulletin(config, &args);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// The form's client: its CSRF cookie and token from a GET of the form.
struct Form {
    client: reqwest::Client,
    base: String,
    cookie: String,
    token: String,
}

impl Form {
    async fn open(base: &str) -> Form {
        let client = reqwest::Client::new();
        let page = client
            .get(format!("{base}/sources/new"))
            .send()
            .await
            .unwrap();
        let cookie = page
            .headers()
            .get_all("set-cookie")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find(|v| v.starts_with("bulletin_csrf="))
            .and_then(|v| v.split(';').next())
            .expect("csrf cookie")
            .to_string();
        let html = page.text().await.unwrap();
        let token = html
            .split("name=\"csrf\" value=\"")
            .nth(1)
            .and_then(|rest| rest.split('"').next())
            .unwrap()
            .to_string();
        Form {
            client,
            base: base.to_string(),
            cookie,
            token,
        }
    }

    /// Posts the form for `url` (`action`: preview or submit) in `lang`.
    async fn post(&self, url: &str, action: &str, lang: &str) -> (StatusCode, String) {
        let response = self
            .client
            .post(format!("{}/sources/new?lang={lang}", self.base))
            .header("cookie", &self.cookie)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(
                url::form_urlencoded::Serializer::new(String::new())
                    .extend_pairs([
                        ("csrf", self.token.as_str()),
                        ("url", url),
                        ("name", "Another name for it"),
                        ("department", "Finance"),
                        ("contact", "organiser@example.gc.ca"),
                        ("action", action),
                    ])
                    .finish(),
            )
            .send()
            .await
            .unwrap();
        let status = response.status();
        (status, response.text().await.unwrap())
    }
}

/// The number of sources in the store, in any state.
fn stored_sources(database: &Path) -> usize {
    let store = bulletin::store::Store::open(database).unwrap();
    ["pending", "approved", "rejected"]
        .iter()
        .map(|state| store.registrations(state).unwrap().len())
        .sum()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_form_refuses_an_address_already_a_source_as_the_cli_does() {
    let upstream = MockServer::start().await;
    feeds(&upstream).await;
    let uri = upstream.uri();
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("sources.toml");
    let port = free_port();
    std::fs::write(
        &config,
        format!(
            "[settings]\nlisten = \"127.0.0.1:{port}\"\nallow_private_networks = true\n\
             fetch_retries = 0\nschedule = \"0 0 0 1 1 *\"\n\n\
             [[sources]]\nid = \"configured\"\nname = \"Configured feed\"\nurl = \"{uri}/configured.xml\"\n"
        ),
    )
    .unwrap();
    add(
        &config,
        &format!("{uri}/approved.xml"),
        "Approved feed",
        true,
    );
    add(
        &config,
        &format!("{uri}/pending.xml"),
        "Pending feed",
        false,
    );
    let database = dir.path().join("bulletin.db");
    let registered = stored_sources(&database);
    assert_eq!(registered, 2);

    let served = Served::start(&config, port).await;
    let form = Form::open(&served.base).await;
    // Another spelling of the same address: the scheme and host in capitals, the path
    // through a `..`.
    let host = uri.trim_start_matches("http://");
    let cases = [
        (
            format!("HTTP://{host}/x/../configured.xml"),
            "configured",
            "Configured feed",
            "in its sources file",
            "dans son fichier des sources",
        ),
        (
            format!("{uri}/approved.xml"),
            "approved-feed",
            "Approved feed",
            "approved.",
            "approuvée.",
        ),
        (
            format!("{uri}/moved"),
            "pending-feed",
            "Pending feed",
            "waiting for an administrator’s approval",
            "en attente de l’approbation d’un administrateur",
        ),
    ];
    for (url, id, name, english, french) in &cases {
        for action in ["preview", "submit"] {
            let asked_before = upstream.received_requests().await.unwrap().len();
            for (lang, here, there) in [("en", english, french), ("fr", french, english)] {
                let (status, html) = form.post(url, action, lang).await;
                let main = html.split("<main").nth(1).unwrap_or(&html);
                assert_eq!(
                    status,
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "{url} {action}: {main}"
                );
                // In the page's language beside the field and in the summary, and in the
                // other language in the summary.
                let named = match lang {
                    "en" => format!("“{name}” ({id})"),
                    _ => format!("« {name} » ({id})"),
                };
                assert!(main.contains(&named), "{named}: {main}");
                assert!(main.matches(*here).count() >= 2, "{lang}, {here}: {main}");
                let other = if lang == "en" { "fr" } else { "en" };
                assert!(
                    main.contains(&format!("<span lang=\"{other}\">")) && main.contains(*there),
                    "{lang}: the other language too: {main}"
                );
                assert!(
                    main.contains("aria-invalid=\"true\" aria-describedby=\"e-url\""),
                    "the address field is marked: {main}"
                );
                assert!(
                    !main.contains("class=\"preview\""),
                    "no preview of it: {main}"
                );
            }
            if !url.ends_with("/moved") {
                assert_eq!(
                    upstream.received_requests().await.unwrap().len(),
                    asked_before,
                    "{url}: refused before it is read"
                );
            }
            assert_eq!(
                stored_sources(&database),
                registered,
                "{url} {action}: nothing stored"
            );
        }
    }

    // An address no source has is previewed and registered; then it is taken too.
    let fresh = format!("{uri}/fresh.xml");
    let (status, html) = form.post(&fresh, "preview", "en").await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert!(html.contains("class=\"preview\""), "{html}");
    let (status, html) = form.post(&fresh, "submit", "en").await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert!(html.contains("waiting for an administrator"), "{html}");
    assert_eq!(stored_sources(&database), registered + 1);
    let (status, html) = form.post(&fresh, "submit", "en").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        html.contains(&format!(
            "{fresh} is already registered: “Another name for it”"
        )),
        "{html}"
    );
    assert_eq!(stored_sources(&database), registered + 1);

    // The command line refuses what the form registered, through the same check.
    let output = bulletin(
        &config,
        &[
            "sources",
            "add",
            &fresh,
            "--name",
            "Again",
            "--department",
            "Finance",
        ],
    );
    assert_eq!(output.status.code(), Some(2));
    let err = String::from_utf8_lossy(&output.stderr);
    assert!(
        err.contains("is already registered as `another-name-for-it`")
            && err.contains("waiting for approval"),
        "{err}"
    );
    drop(served);
}
