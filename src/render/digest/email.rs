//! The digest as an email: an HTML part made for Outlook's Word engine as much as for
//! web mail (nested tables for layout, every style inline, system fonts, no image, no
//! script, nothing fetched), and a plain-text part saying the same with its links
//! written out. Both in the subscription's language.

use askama::Template;

use super::{DigestView, Doc, Links, doc};
use crate::i18n::Lang;

#[derive(Template)]
#[template(path = "digest_email.html")]
struct EmailHtml<'a> {
    lang: Lang,
    doc: &'a Doc,
    links: &'a Links,
}

/// The subject line: "What's on across government: January 11 to 17, 2027".
pub fn subject(view: &DigestView<'_>) -> String {
    doc(view).title
}

/// The HTML part.
pub fn email_html(view: &DigestView<'_>) -> String {
    let doc = doc(view);
    EmailHtml {
        lang: view.lang,
        doc: &doc,
        links: view.links,
    }
    .render()
    .expect("templates render plain data")
}

/// The plain-text part.
pub fn email_text(view: &DigestView<'_>) -> String {
    let doc = doc(view);
    let lang = view.lang;
    let links = view.links;
    let colon = lang.t("digest.colon");
    let mut out = String::new();
    let mut line = |text: &str| {
        out.push_str(text);
        out.push('\n');
    };
    line(&doc.title);
    line(&"=".repeat(doc.title.chars().count().min(72)));
    line(&doc.filters);
    line("");
    if doc.empty {
        line(lang.t("digest.empty"));
        line("");
    }
    if !doc.changes.is_empty() {
        line(lang.t("digest.changes"));
        line(&"-".repeat(lang.t("digest.changes").chars().count()));
        for change in &doc.changes {
            line(&format!("* {}{colon}{}", change.what, change.title));
            line(&format!("  {}", change.detail));
            line(&format!("  {}", change.page));
        }
        line("");
    }
    if !doc.days.is_empty() {
        line(lang.t("digest.events"));
        line(&"-".repeat(lang.t("digest.events").chars().count()));
        for day in &doc.days {
            line("");
            line(&day.heading.to_uppercase());
            for event in &day.events {
                line("");
                match event.status {
                    Some(status) => line(&format!("* {} ({status})", event.title)),
                    None => line(&format!("* {}", event.title)),
                }
                line(&format!("  {}", event.when));
                if !event.whereabouts.is_empty() {
                    line(&format!("  {}", event.whereabouts));
                }
                if !event.listed_by.is_empty() {
                    line(&format!(
                        "  {} {}",
                        lang.t("digest.listed_by"),
                        event.listed_by
                    ));
                }
                line(&format!("  {} {}", lang.t("digest.details"), event.page));
                line(&format!("  {} {}", lang.t("digest.add"), event.ics));
                if let Some(online) = &event.online {
                    line(&format!("  {} {online}", lang.t("digest.join")));
                }
            }
        }
        if let Some(more) = &doc.more_events {
            line("");
            line(&format!("{more}{colon}{}", links.web_view));
        }
        line("");
    }
    if !doc.posts.is_empty() {
        line(lang.t("digest.posts"));
        line(&"-".repeat(lang.t("digest.posts").chars().count()));
        for post in &doc.posts {
            line(&format!("* {} ({}, {})", post.title, post.from, post.date));
            if let Some(link) = &post.link {
                line(&format!("  {link}"));
            }
        }
        if let Some(more) = doc.more_posts {
            line(&format!("{more}{colon}{}", links.posts));
        }
        line("");
    }
    line(lang.t("digest.calendar"));
    line(&format!("  {}", links.calendar.https));
    line("");
    line(&format!("{} {}", lang.t("digest.web_view"), links.web_view));
    line("");
    line("-- ");
    line(lang.t("digest.why"));
    if let Some(manage) = &links.manage {
        line(&format!("{} {manage}", lang.t("digest.manage")));
    }
    if let Some(unsubscribe) = &links.unsubscribe {
        line(&format!("{} {unsubscribe}", lang.t("digest.unsubscribe")));
    }
    out
}
