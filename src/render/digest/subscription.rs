//! A subscription's own words: the form on the listing and the digest page, the
//! confirmation email (HTML and text), the pages its links open (confirm, unsubscribe,
//! manage — each a button, since mail scanners follow links), and the administrator's
//! page of subscriber counts per filter and addresses refused for good.

use askama::Template;

use crate::i18n::Lang;
use crate::render::html::Modified;
use crate::web::routes;

/// The subscription form.
#[derive(Debug, Clone, PartialEq)]
pub struct SubscribeForm {
    pub action: String,
    pub csrf: String,
    /// The listing's filters, kept as hidden fields.
    pub hidden: Vec<(String, String)>,
    /// "You will get: events tagged data, in English".
    pub hint: String,
    pub email: String,
    pub error: Option<String>,
}

impl SubscribeForm {
    /// The form for filters `hidden` (name, value) in `lang`, described by `filters`, for
    /// a digest sent on `day` (its name in `lang`).
    pub fn new(
        lang: Lang,
        csrf: &str,
        hidden: Vec<(String, String)>,
        filters: &[(&'static str, String)],
        day: &str,
    ) -> SubscribeForm {
        let described = filters
            .iter()
            .map(|(key, value)| format!("{} {value}", lang.t(key)))
            .collect::<Vec<_>>()
            .join(", ");
        SubscribeForm {
            action: routes::DIGEST_SUBSCRIBE.to_string(),
            csrf: csrf.to_string(),
            hidden,
            hint: if described.is_empty() {
                lang.t("digest.form.hint.all").replace("{day}", day)
            } else {
                lang.t("digest.form.hint")
                    .replace("{day}", day)
                    .replace("{filters}", &described)
            },
            email: String::new(),
            error: None,
        }
    }
}

/// A form a message page ends with.
pub struct PageAction {
    pub url: String,
    pub hidden: Vec<(String, String)>,
    pub button_key: &'static str,
    /// The manage form (language, empty weeks, save or unsubscribe) instead of one button.
    pub manage: bool,
    pub language: String,
    pub send_empty: bool,
}

/// A page saying where a subscription stands.
pub struct MessagePage {
    pub title_key: &'static str,
    pub message_keys: Vec<&'static str>,
    pub detail: Option<String>,
    pub action: Option<PageAction>,
    pub link: Option<String>,
    pub link_key: &'static str,
    /// The subscription form again (after a mistake in it).
    pub form: Option<SubscribeForm>,
}

impl MessagePage {
    pub fn new(title_key: &'static str, message_key: &'static str) -> MessagePage {
        MessagePage {
            title_key,
            message_keys: vec![message_key],
            detail: None,
            action: None,
            link: None,
            link_key: "digest.back",
            form: None,
        }
    }

    /// Ends with a one-button form posting `hidden` to `url`.
    pub fn button(mut self, url: String, hidden: Vec<(String, String)>, key: &'static str) -> Self {
        self.action = Some(PageAction {
            url,
            hidden,
            button_key: key,
            manage: false,
            language: String::new(),
            send_empty: false,
        });
        self
    }
}

#[derive(Template)]
#[template(path = "digest_message.html")]
struct MessageTemplate<'a> {
    lang: Lang,
    modified: &'a Modified,
    nav: &'static str,
    switch_url: &'a str,
    page: &'a MessagePage,
}

pub fn message_page(
    lang: Lang,
    modified: &Modified,
    switch_url: &str,
    page: &MessagePage,
) -> Vec<u8> {
    MessageTemplate {
        lang,
        modified,
        nav: "digest",
        switch_url,
        page,
    }
    .render()
    .expect("templates render plain data")
    .into_bytes()
}

/// The confirmation email's inputs.
pub struct ConfirmEmail<'a> {
    pub lang: Lang,
    /// The subscription's filters in words.
    pub filters: &'a str,
    pub confirm_url: &'a str,
    pub hours: i64,
}

impl ConfirmEmail<'_> {
    pub fn subject(&self) -> String {
        self.lang.t("digest.confirm.subject").to_string()
    }

    fn lines(&self) -> (String, String) {
        (
            self.lang
                .t("digest.confirm.body")
                .replace("{filters}", self.filters),
            self.lang
                .t("digest.confirm.expires")
                .replace("{hours}", &self.hours.to_string()),
        )
    }
}

#[derive(Template)]
#[template(path = "digest_confirm_email.html")]
struct ConfirmHtml<'a> {
    lang: Lang,
    subject: String,
    body: String,
    expires: String,
    url: &'a str,
}

pub fn confirm_email_html(email: &ConfirmEmail<'_>) -> String {
    let (body, expires) = email.lines();
    ConfirmHtml {
        lang: email.lang,
        subject: email.subject(),
        body,
        expires,
        url: email.confirm_url,
    }
    .render()
    .expect("templates render plain data")
}

pub fn confirm_email_text(email: &ConfirmEmail<'_>) -> String {
    let (body, expires) = email.lines();
    format!(
        "{}\n\n{body}\n\n{}\n{}\n\n{expires}\n{}\n",
        email.subject(),
        email.lang.t("digest.confirm.button"),
        email.confirm_url,
        email.lang.t("digest.confirm.ignore"),
    )
}

/// One filter's subscribers on the administrator's page.
pub struct AdminFilterRow {
    pub label: String,
    pub view: String,
    pub active: u64,
    pub pending: u64,
}

/// One address refused for good.
pub struct AdminFailureRow {
    pub email: String,
    pub when: String,
    pub reason: String,
}

/// The administrator's digest page.
pub struct AdminDigestView<'a> {
    pub lang: Lang,
    pub modified: &'a Modified,
    pub switch_url: &'a str,
    pub csrf: &'a str,
    pub message_key: Option<&'static str>,
    pub paused: bool,
    pub schedule: String,
    pub week_summary: String,
    pub filters: &'a [AdminFilterRow],
    pub failures: &'a [AdminFailureRow],
}

#[derive(Template)]
#[template(path = "digest_admin.html")]
struct AdminTemplate<'a> {
    lang: Lang,
    modified: &'a Modified,
    nav: &'static str,
    switch_url: &'a str,
    csrf: &'a str,
    message_key: Option<&'static str>,
    paused: bool,
    schedule: &'a str,
    week_summary: &'a str,
    toggle_url: &'static str,
    filters: &'a [AdminFilterRow],
    failures: &'a [AdminFailureRow],
}

pub fn admin_digest_page(view: &AdminDigestView<'_>) -> Vec<u8> {
    AdminTemplate {
        lang: view.lang,
        modified: view.modified,
        nav: "admin",
        switch_url: view.switch_url,
        csrf: view.csrf,
        message_key: view.message_key,
        paused: view.paused,
        schedule: &view.schedule,
        week_summary: &view.week_summary,
        toggle_url: routes::ADMIN_DIGEST,
        filters: view.filters,
        failures: view.failures,
    }
    .render()
    .expect("templates render plain data")
    .into_bytes()
}
