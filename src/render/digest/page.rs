//! The digest on the web: `/digest`, a printable page of the same week with the
//! listing's filters (and the form to get it by email), and `/digest.rss`, one item per
//! week so a team can read it in a feed reader or forward it.

use askama::Template;
use chrono::{DateTime, Utc};
use rss::extension::atom::{AtomExtension, Link};
use rss::{Channel, Guid, Item};

use super::subscription::SubscribeForm;
use super::{DigestView, Doc, Links, doc};
use crate::i18n::Lang;
use crate::render::html::Modified;
use crate::render::xml_safe;
#[allow(unused_imports)] // the base template builds links with it
use crate::web::routes;

#[derive(Template)]
#[template(path = "digest.html")]
struct DigestPage<'a> {
    lang: Lang,
    modified: Modified,
    nav: &'static str,
    switch_url: &'a str,
    doc: &'a Doc,
    links: &'a Links,
    rss_url: &'a str,
    previous_url: Option<&'a str>,
    form: Option<&'a SubscribeForm>,
}

#[derive(Template)]
#[template(path = "digest_body.html")]
struct DigestBody<'a> {
    lang: Lang,
    doc: &'a Doc,
    links: &'a Links,
}

/// What the page needs beside the digest.
pub struct DigestPageView<'a> {
    pub digest: &'a DigestView<'a>,
    pub modified: Modified,
    pub switch_url: &'a str,
    pub rss_url: &'a str,
    pub previous_url: Option<&'a str>,
    pub form: Option<&'a SubscribeForm>,
}

pub fn digest_page(view: &DigestPageView<'_>) -> Vec<u8> {
    let doc = doc(view.digest);
    DigestPage {
        lang: view.digest.lang,
        modified: view.modified.clone(),
        nav: "digest",
        switch_url: view.switch_url,
        doc: &doc,
        links: view.digest.links,
        rss_url: view.rss_url,
        previous_url: view.previous_url,
        form: view.form,
    }
    .render()
    .expect("templates render plain data")
    .into_bytes()
}

/// One week of the feed: its digest and when it went out.
pub struct FeedWeek<'a> {
    pub digest: DigestView<'a>,
    pub sent: DateTime<Utc>,
}

/// The feed: one item per week, newest first; `self_url` is where it is served.
pub fn digest_rss(lang: Lang, self_url: &str, page_url: &str, weeks: &[FeedWeek<'_>]) -> Vec<u8> {
    let items: Vec<Item> = weeks
        .iter()
        .map(|week| {
            let doc = doc(&week.digest);
            let body = DigestBody {
                lang,
                doc: &doc,
                links: week.digest.links,
            }
            .render()
            .expect("templates render plain data");
            Item {
                title: Some(xml_safe(&doc.title).into_owned()),
                link: Some(week.digest.links.web_view.clone()),
                description: Some(xml_safe(&body).into_owned()),
                guid: Some(Guid {
                    value: week.digest.links.web_view.clone(),
                    permalink: true,
                }),
                pub_date: Some(week.sent.to_rfc2822()),
                ..Item::default()
            }
        })
        .collect();
    let mut self_link = Link::default();
    self_link.set_href(self_url.to_string());
    self_link.set_rel("self".to_string());
    self_link.set_mime_type(Some("application/rss+xml".to_string()));
    let mut atom = AtomExtension::default();
    atom.set_links(vec![self_link]);
    let mut namespaces = std::collections::BTreeMap::new();
    namespaces.insert(
        "atom".to_string(),
        "http://www.w3.org/2005/Atom".to_string(),
    );
    let channel = Channel {
        title: format!("{} — {}", lang.t("site.name"), lang.t("digest.feed.title")),
        link: page_url.to_string(),
        description: lang.t("digest.feed.description").to_string(),
        language: Some(lang.code().to_string()),
        last_build_date: weeks.first().map(|w| w.sent.to_rfc2822()),
        generator: Some(format!("Bulletin {}", env!("CARGO_PKG_VERSION"))),
        items,
        atom_ext: Some(atom),
        namespaces,
        ..Channel::default()
    };
    let mut bytes = Vec::new();
    channel
        .pretty_write_to(&mut bytes, b' ', 1)
        .expect("writing to memory cannot fail");
    bytes
}
