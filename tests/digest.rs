//! The weekly digest end to end, against a real SMTP server on 127.0.0.1 written here (a
//! sink speaking enough of RFC 5321 for lettre, scripted to answer 451 or 550): the
//! listing's form, the confirmation email and its link, the digest's headers and both
//! parts (read back with mail-parser, the HTML checked with scraper), one-click
//! unsubscribe, no second send after a restart, a 4xx retried and a 5xx marked.

mod common;

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bulletin::clock::Clock;
use bulletin::digest::{DigestSettings, Digests, Mailer, Security, Week};
use bulletin::model::{Location, SourceKind};
use bulletin::store::{Store, Subscribed};
use chrono::{Datelike, Duration as Days, Utc};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

/// What the sink received and how it answers.
#[derive(Default)]
struct Sink {
    /// Whole messages accepted, with their recipients.
    messages: Vec<(Vec<String>, Vec<u8>)>,
    /// Messages answered 451 after DATA before one is accepted.
    transient: u32,
    /// Recipients answered 550.
    gone: HashSet<String>,
    /// DATA commands seen (accepted or not).
    data_commands: u32,
}

async fn start_sink() -> (u16, Arc<Mutex<Sink>>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let sink = Arc::new(Mutex::new(Sink::default()));
    let shared = sink.clone();
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                return;
            };
            let sink = shared.clone();
            tokio::spawn(async move {
                let (read, mut write) = stream.into_split();
                let mut lines = BufReader::new(read);
                write.write_all(b"220 sink.test ESMTP\r\n").await.unwrap();
                let mut recipients = Vec::new();
                let mut line = String::new();
                loop {
                    line.clear();
                    if lines.read_line(&mut line).await.unwrap_or(0) == 0 {
                        return;
                    }
                    let command = line.trim_end().to_ascii_uppercase();
                    let reply: String = if command.starts_with("EHLO") {
                        "250-sink.test\r\n250-8BITMIME\r\n250 SMTPUTF8\r\n".into()
                    } else if command.starts_with("MAIL FROM") || command.starts_with("RSET") {
                        recipients.clear();
                        "250 ok\r\n".into()
                    } else if command.starts_with("RCPT TO") {
                        let address = line
                            .trim_end()
                            .split_once(':')
                            .map(|(_, a)| a.trim().trim_matches(['<', '>']).to_string())
                            .unwrap_or_default();
                        if sink.lock().unwrap().gone.contains(&address) {
                            "550 5.1.1 <{address}>: no such user here\r\n".into()
                        } else {
                            recipients.push(address);
                            "250 ok\r\n".into()
                        }
                    } else if command == "DATA" {
                        write.write_all(b"354 go ahead\r\n").await.unwrap();
                        let mut body = Vec::new();
                        loop {
                            let mut data = String::new();
                            if lines.read_line(&mut data).await.unwrap_or(0) == 0 {
                                return;
                            }
                            if data == ".\r\n" {
                                break;
                            }
                            let data = data.strip_prefix('.').unwrap_or(&data);
                            body.extend_from_slice(data.as_bytes());
                        }
                        let mut sink = sink.lock().unwrap();
                        sink.data_commands += 1;
                        if sink.transient > 0 {
                            sink.transient -= 1;
                            "451 4.3.0 try again later\r\n".into()
                        } else {
                            sink.messages.push((recipients.clone(), body));
                            "250 2.0.0 queued\r\n".into()
                        }
                    } else if command.starts_with("QUIT") {
                        let _ = write.write_all(b"221 bye\r\n").await;
                        return;
                    } else {
                        "250 ok\r\n".into()
                    };
                    if write.write_all(reply.as_bytes()).await.is_err() {
                        return;
                    }
                }
            });
        }
    });
    (port, sink)
}

fn settings(port: u16) -> DigestSettings {
    let mut settings = DigestSettings {
        from: "Bulletin <bulletin@example.gc.ca>".into(),
        reply_to: Some("Events team <events@example.gc.ca>".into()),
        allowed_email_domains: vec!["canada.ca".into(), "gc.ca".into()],
        retry_delay: Duration::from_millis(10),
        attempts: 3,
        ..DigestSettings::default()
    };
    settings.smtp.host = "127.0.0.1".into();
    settings.smtp.port = port;
    settings.smtp.security = Security::None;
    settings.smtp.timeout = Duration::from_secs(5);
    settings
}

/// The next Monday 07:00 in Toronto after now: the digest the test sends.
fn next_week() -> Week {
    let zone = chrono_tz::America::Toronto;
    let today = Utc::now().with_timezone(&zone).date_naive();
    let ahead = 7 - i64::from(today.weekday().num_days_from_monday());
    Week::starting(
        today + Days::days(ahead),
        chrono::NaiveTime::from_hms_opt(7, 0, 0).unwrap(),
        zone,
    )
}

fn digests(store: &Store, origin: &str, port: u16, week: &Week) -> Arc<Digests> {
    let settings = settings(port);
    Arc::new(Digests {
        store: store.clone(),
        mailer: Mailer::new(&settings).unwrap(),
        settings,
        zone: chrono_tz::America::Toronto,
        style: Default::default(),
        origin: origin.to_string(),
        // Just after the week's sending time.
        clock: Clock::fixed(week.send_at + Days::minutes(1)),
    })
}

/// A department's Outlook-style calendar with two events in the digest's week.
fn calendar(week: &Week, moved: bool) -> String {
    let day = |offset: i64| {
        (week.first_day + Days::days(offset))
            .format("%Y%m%d")
            .to_string()
    };
    let (talk_day, status, sequence) = if moved {
        (day(3), "CANCELLED", 1)
    } else {
        (day(2), "CONFIRMED", 0)
    };
    format!(
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Microsoft Corporation//Outlook 16.0 MIMEDIR//EN\r\n\
BEGIN:VEVENT\r\nUID:open-data-talk@hc\r\nDTSTAMP:20260101T000000Z\r\nSEQUENCE:{sequence}\r\n\
DTSTART;TZID=America/Toronto:{talk_day}T130000\r\nDTEND;TZID=America/Toronto:{talk_day}T140000\r\n\
SUMMARY:Open data talk\r\nLOCATION:Room 101\\, 90 Elgin Street\r\nEND:VEVENT\r\n\
BEGIN:VEVENT\r\nUID:accessibility-cafe@hc\r\nDTSTAMP:20260101T000000Z\r\nSEQUENCE:{sequence}\r\nSTATUS:{status}\r\n\
DTSTART;TZID=America/Toronto:{}T100000\r\nDTEND;TZID=America/Toronto:{}T110000\r\n\
SUMMARY:Accessibility café\r\nLOCATION:Microsoft Teams\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n",
        day(1),
        day(1),
    )
}

fn parse(bytes: &[u8]) -> mail_parser::Message<'_> {
    mail_parser::MessageParser::default()
        .parse(bytes)
        .expect("a MIME message")
}

fn link_after<'a>(text: &'a str, path: &str) -> &'a str {
    let start = text.find("http://127.0.0.1").unwrap();
    let at = text[start..]
        .match_indices("http://")
        .map(|(i, _)| start + i)
        .find(|i| text[*i..].split_whitespace().next().unwrap().contains(path))
        .unwrap_or_else(|| panic!("no {path} link in {text}"));
    text[at..].split_whitespace().next().unwrap()
}

#[actix_web::test]
async fn subscribe_confirm_send_once_unsubscribe() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bulletin.db");
    let store = Store::open(&path).unwrap();
    let week = next_week();
    // A department's calendar, read as a refresh reads it.
    let harness = common::Harness::new();
    let ics = dir.path().join("hc.ics");
    std::fs::write(&ics, calendar(&week, false)).unwrap();
    let mut source = common::source("hc", Location::File(ics.clone()), Some(SourceKind::Ical));
    source.department = "Health Canada / Santé Canada".into();
    source.tags = vec!["data".into()];
    drop(harness);
    let refresher = bulletin::refresh::Refresher::new(
        bulletin::fetch::Fetcher::new(common::test_fetch_settings()).unwrap(),
        store.clone(),
        common::test_context(),
    );
    store.sync_config_sources(&[source], Utc::now()).unwrap();
    let refresh = |refresher: bulletin::refresh::Refresher, store: Store| async move {
        let (source, state) = store.source("hc").unwrap();
        refresher.refresh_source(&source, &state).await.unwrap()
    };
    refresh(refresher.clone(), store.clone()).await;
    // During the week before: one event moved a day later, the other cancelled.
    std::fs::write(&ics, calendar(&week, true)).unwrap();
    let record = refresh(refresher.clone(), store.clone()).await;
    assert!(record.error.is_none(), "{record:?}");

    let (port, sink) = start_sink().await;
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let service = digests(&store, &base, port, &week);
    let mut state = bulletin::web::AppState::new(store.clone(), None, chrono_tz::America::Toronto);
    state.digest = Some(service.clone());
    state.clock = Clock::fixed(week.send_at - Days::days(1));
    let server = bulletin::web::server(listener, state, 1).unwrap();
    let handle = server.handle();
    actix_web::rt::spawn(server);
    let client = reqwest::Client::new();

    // The listing's form keeps its filter and language.
    let listing = client
        .get(format!("{base}/?tag=data&lang=fr"))
        .send()
        .await
        .unwrap();
    let cookie = listing
        .headers()
        .get("set-cookie")
        .expect("the form's CSRF cookie")
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_string();
    let listing = listing.text().await.unwrap();
    let post = |url: String, pairs: Vec<(String, String)>, cookie: Option<String>| {
        let body = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(pairs)
            .finish();
        let mut request = reqwest::Client::new()
            .post(url)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body);
        if let Some(cookie) = cookie {
            request = request.header("cookie", cookie);
        }
        request.send()
    };
    let page = scraper::Html::parse_document(&listing);
    let select = |css: &str| scraper::Selector::parse(css).unwrap();
    let form = page
        .select(&select("form.digest-subscribe"))
        .next()
        .expect("the subscription form is on the listing");
    let mut fields: Vec<(String, String)> = form
        .select(&select("input[type=hidden]"))
        .map(|i| {
            (
                i.value().attr("name").unwrap().to_string(),
                i.value().attr("value").unwrap().to_string(),
            )
        })
        .collect();
    assert!(
        fields.contains(&("tag".into(), "data".into())),
        "{fields:?}"
    );
    assert!(fields.contains(&("lang".into(), "fr".into())));
    // An address outside the allowed domains is refused, saying which are.
    let mut outside = fields.clone();
    outside.push(("email".into(), "someone@example.com".into()));
    let refused = post(
        format!("{base}/digest/subscribe"),
        outside,
        Some(cookie.clone()),
    )
    .await
    .unwrap();
    assert_eq!(refused.status(), 422);
    assert!(refused.text().await.unwrap().contains("canada.ca, gc.ca"));
    // Without the CSRF token, nothing.
    let forged: Vec<(String, String)> = vec![
        ("email".into(), "ana@hc-sc.gc.ca".into()),
        ("tag".into(), "data".into()),
    ];
    let answer = post(format!("{base}/digest/subscribe"), forged, None)
        .await
        .unwrap();
    assert_eq!(answer.status(), 403);
    assert!(sink.lock().unwrap().messages.is_empty());

    fields.push(("email".into(), "ana@hc-sc.gc.ca".into()));
    let answer = post(
        format!("{base}/digest/subscribe"),
        fields,
        Some(cookie.clone()),
    )
    .await
    .unwrap();
    assert_eq!(answer.status(), 200, "{}", answer.text().await.unwrap());
    let confirmation = sink
        .lock()
        .unwrap()
        .messages
        .pop()
        .expect("a confirmation email");
    assert_eq!(confirmation.0, ["ana@hc-sc.gc.ca"]);
    let message = parse(&confirmation.1);
    assert_eq!(
        message.subject(),
        Some("Confirmez votre abonnement au résumé hebdomadaire de Bulletin")
    );
    let text = message.body_text(0).unwrap().to_string();
    let confirm = link_after(&text, "/digest/confirm?token=").to_string();
    assert!(message.body_html(0).unwrap().contains(&confirm));
    // Nothing is sent before the link is followed.
    assert_eq!(service.run(&week).await.unwrap().sent, 0);
    // Following the link shows a button (mail scanners follow links); the button confirms.
    let shown = client.get(&confirm).send().await.unwrap();
    assert_eq!(shown.status(), 200);
    let shown = shown.text().await.unwrap();
    assert!(shown.contains("Confirmer mon abonnement"), "{shown}");
    assert!(store.active_subscriptions(week.send_at).unwrap().is_empty());
    let token = confirm.split("token=").nth(1).unwrap();
    let token_field = vec![("token".to_string(), token.to_string())];
    let confirmed = post(format!("{base}/digest/confirm"), token_field.clone(), None)
        .await
        .unwrap();
    assert_eq!(confirmed.status(), 200);
    assert!(confirmed.text().await.unwrap().contains("Vous êtes abonné"));
    let again = post(format!("{base}/digest/confirm"), token_field, None)
        .await
        .unwrap();
    assert_eq!(again.status(), 410, "a token works once");

    // The week's digest.
    let report = service.run(&week).await.unwrap();
    assert_eq!((report.sent, report.failed), (1, 0), "{report}");
    let (to, raw) = sink.lock().unwrap().messages.pop().expect("the digest");
    assert_eq!(to, ["ana@hc-sc.gc.ca"]);
    let digest = parse(&raw);
    let subject = digest.subject().unwrap().to_string();
    assert!(
        subject.starts_with("À l’affiche dans l’administration fédérale : du "),
        "{subject}"
    );
    assert_eq!(
        digest.from().unwrap().first().unwrap().address(),
        Some("bulletin@example.gc.ca")
    );
    assert_eq!(
        digest.reply_to().unwrap().first().unwrap().address(),
        Some("events@example.gc.ca")
    );
    assert!(digest.message_id().unwrap().contains("example.gc.ca"));
    assert_eq!(
        digest.header_raw("Content-Language").map(str::trim),
        Some("fr")
    );
    let unsubscribe_header = digest
        .header_raw("List-Unsubscribe")
        .unwrap()
        .trim()
        .to_string();
    assert!(
        unsubscribe_header.starts_with(&format!("<{base}/digest/unsubscribe?token=")),
        "{unsubscribe_header}"
    );
    assert_eq!(
        digest.header_raw("List-Unsubscribe-Post").map(str::trim),
        Some("List-Unsubscribe=One-Click")
    );
    assert_eq!(digest.text_body.len(), 1);
    assert_eq!(digest.html_body.len(), 1);
    let text = digest.body_text(0).unwrap().to_string();
    let html = digest.body_html(0).unwrap().to_string();
    for part in [&text, &html] {
        assert!(part.contains("Open data talk"), "{part}");
        assert!(part.contains("Accessibility café"), "{part}");
        assert!(part.contains("Santé Canada"), "{part}");
        assert!(part.contains(" HE"), "times with their zone: {part}");
        assert!(part.contains("/events.ics?"), "subscribe link: {part}");
    }
    assert!(text.contains("Événements de la semaine"), "{text}");
    assert!(text.contains("Annulé : Accessibility café"), "{text}");
    assert!(text.contains("Déplacé : Open data talk"), "{text}");
    assert!(text.contains("13 h à 14 h HE"), "{text}");
    assert!(
        text.contains("Salle") || text.contains("Room 101"),
        "{text}"
    );
    let unsubscribe = link_after(&text, "/digest/unsubscribe?token=").to_string();
    assert_eq!(format!("<{unsubscribe}>"), unsubscribe_header);
    let document = scraper::Html::parse_document(&html);
    assert_eq!(
        document
            .select(&select(
                "script, img, link, style, iframe, object, embed, [src], [srcset], [background]"
            ))
            .count(),
        0,
        "nothing loaded, nothing run"
    );
    for a in document.select(&select("a[href]")) {
        let href = a.value().attr("href").unwrap();
        assert!(!href.starts_with("javascript:"), "{href}");
    }
    assert!(
        document.select(&select("a[href]")).any(|a| a
            .value()
            .attr("href")
            .unwrap()
            .ends_with(".ics")),
        "each event's calendar file"
    );

    // Run again, and after a restart: the week is not sent twice.
    assert_eq!(service.run(&week).await.unwrap().sent, 0);
    drop(service);
    let reopened = Store::open(&path).unwrap();
    let restarted = digests(&reopened, &base, port, &week);
    let report = restarted.run(&week).await.unwrap();
    assert_eq!((report.sent, report.skipped), (0, 1), "{report}");
    assert!(sink.lock().unwrap().messages.is_empty());

    // A mail program's one-click unsubscribe (RFC 8058): a POST without cookies.
    let one_click = reqwest::Client::new()
        .post(&unsubscribe)
        .header("content-type", "application/x-www-form-urlencoded")
        .body("List-Unsubscribe=One-Click")
        .send()
        .await
        .unwrap();
    assert_eq!(one_click.status(), 200);
    assert!(
        reopened
            .active_subscriptions(week.send_at)
            .unwrap()
            .is_empty()
    );
    handle.stop(true).await;
}

#[actix_web::test]
async fn a_4xx_is_retried_and_a_5xx_marks_the_address() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("b.db")).unwrap();
    let week = next_week();
    let (port, sink) = start_sink().await;
    let service = digests(&store, "http://127.0.0.1:9", port, &week);
    let subscribe = |email: &str| {
        let Subscribed::Confirm(_, token) = store
            .subscribe(
                email,
                "",
                "en",
                true,
                week.send_at - Days::days(2),
                Days::days(1),
                3,
            )
            .unwrap()
        else {
            panic!("subscribed")
        };
        store
            .confirm_subscription(&token, week.send_at - Days::days(2))
            .unwrap()
            .unwrap()
    };
    let kept = subscribe("kept@canada.ca");
    let gone = subscribe("gone@canada.ca");
    sink.lock().unwrap().gone.insert("gone@canada.ca".into());
    sink.lock().unwrap().transient = 1;
    let report = service.run(&week).await.unwrap();
    assert_eq!((report.sent, report.failed), (1, 1), "{report}");
    {
        let sink_state = sink.lock().unwrap();
        assert_eq!(sink_state.data_commands, 2, "the 451 was retried");
        assert_eq!(sink_state.messages.len(), 1);
        assert_eq!(sink_state.messages[0].0, ["kept@canada.ca"]);
        // An empty week, asked for: a short note.
        let text = parse(&sink_state.messages[0].1)
            .body_text(0)
            .unwrap()
            .to_string();
        assert!(text.contains("Nothing this week matches"), "{text}");
    }
    assert!(store.mail_failed("gone@canada.ca").unwrap());
    let failures = store.mail_failures().unwrap();
    assert!(failures[0].reason.contains("550"), "{failures:?}");
    let delivery = store.delivery(gone.id, &week.key()).unwrap().unwrap();
    assert_eq!(delivery.status, bulletin::store::DeliveryStatus::Failed);
    assert_eq!(
        store
            .delivery(kept.id, &week.key())
            .unwrap()
            .unwrap()
            .status,
        bulletin::store::DeliveryStatus::Sent
    );
    // Paused by an administrator: nothing goes.
    store.set_digest_paused(true).unwrap();
    let next = Week::starting(
        week.first_day + Days::days(7),
        chrono::NaiveTime::from_hms_opt(7, 0, 0).unwrap(),
        chrono_tz::America::Toronto,
    );
    let report = service.run(&next).await.unwrap();
    assert!(report.not_run.is_some());
}
