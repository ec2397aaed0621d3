//! The "Submit an event" form (new, with its preview and the private link once sent),
//! the submitter's private page to edit or cancel it, and the administrator's edit page:
//! one template, errors beside their fields and summarised at the top.

use askama::Template;

use super::Modified;
use super::registration::Field;
use crate::i18n::Lang;
use crate::web::routes;

/// The zones the form offers first (any IANA zone is accepted).
pub const ZONES: [&str; 10] = [
    "America/St_Johns",
    "America/Halifax",
    "America/Toronto",
    "America/Winnipeg",
    "America/Regina",
    "America/Edmonton",
    "America/Vancouver",
    "America/Whitehorse",
    "Europe/London",
    "UTC",
];

/// How the submission would appear: (language, title, when, where).
pub struct SubmitPreview {
    pub versions: Vec<(String, String)>,
    pub when: String,
    pub place: String,
    pub online: Option<String>,
}

/// Which page this is.
pub enum SubmitMode {
    /// A new submission.
    New,
    /// The submitter's private page (its state as a catalogue key, and why it was
    /// rejected when it was).
    Private {
        state_key: &'static str,
        reason: Option<String>,
    },
    /// An administrator editing a submission.
    Admin,
}

#[derive(Template)]
#[template(path = "submit.html")]
struct SubmitPage<'a> {
    lang: Lang,
    modified: &'a Modified,
    nav: &'static str,
    switch_url: &'a str,
    csrf: &'a str,
    action: &'a str,
    fields: &'a [Field],
    errors: Vec<(&'static str, &'static str)>,
    form_error: Option<&'static str>,
    notice_key: Option<&'static str>,
    private_link: Option<&'a str>,
    preview: Option<&'a SubmitPreview>,
    zones: Vec<(&'static str, bool)>,
    editing: bool,
    can_cancel: bool,
    state_key: Option<&'static str>,
    reason: Option<String>,
    title_key: &'static str,
}

pub struct SubmitView<'a> {
    pub lang: Lang,
    pub modified: &'a Modified,
    pub switch_url: &'a str,
    pub csrf: &'a str,
    /// Where the form posts (with `?lang=`).
    pub action: &'a str,
    pub fields: &'a [Field],
    pub form_error: Option<&'static str>,
    pub notice_key: Option<&'static str>,
    /// The private link, shown once after a submission.
    pub private_link: Option<&'a str>,
    pub preview: Option<&'a SubmitPreview>,
    pub mode: SubmitMode,
    /// Whether the event may still be cancelled.
    pub can_cancel: bool,
}

pub fn submit_page(view: &SubmitView<'_>) -> Vec<u8> {
    let errors = view
        .fields
        .iter()
        .filter_map(|f| f.error_key.map(|e| (f.name, e)))
        .collect();
    let zone = view
        .fields
        .iter()
        .find(|f| f.name == "timezone")
        .map(|f| f.value.clone())
        .unwrap_or_default();
    let (editing, state_key, reason, title_key) = match &view.mode {
        SubmitMode::New => (false, None, None, "submit.title"),
        SubmitMode::Private { state_key, reason } => {
            (true, Some(*state_key), reason.clone(), "submit.edit.title")
        }
        SubmitMode::Admin => (true, None, None, "submit.admin.title"),
    };
    let page = SubmitPage {
        lang: view.lang,
        modified: view.modified,
        nav: "submit",
        switch_url: view.switch_url,
        csrf: view.csrf,
        action: view.action,
        fields: view.fields,
        errors,
        form_error: view.form_error,
        notice_key: view.notice_key,
        private_link: view.private_link,
        preview: view.preview,
        zones: ZONES.iter().map(|z| (*z, *z == zone)).collect(),
        editing,
        can_cancel: view.can_cancel,
        state_key,
        reason,
        title_key,
    };
    page.render()
        .expect("templates render plain data")
        .into_bytes()
}

/// A submission waiting on the moderation page.
pub struct SubmissionRow {
    pub id: i64,
    pub title: String,
    pub when: String,
    pub place: String,
    pub department: String,
    pub contact: String,
    pub submitted: String,
    pub edit_url: String,
}

/// The moderation page's section of submitted events, rendered on its own (so the
/// registration page's template stays as it was).
#[derive(Template)]
#[template(path = "admin_submissions.html")]
struct AdminSubmissions<'a> {
    lang: Lang,
    csrf: &'a str,
    rows: &'a [SubmissionRow],
}

pub fn admin_submissions(lang: Lang, csrf: &str, rows: &[SubmissionRow]) -> String {
    AdminSubmissions { lang, csrf, rows }
        .render()
        .expect("templates render plain data")
}

/// Where an administrator decides on submission `id`.
pub fn admin_action(id: i64, lang: Lang) -> String {
    format!(
        "{}?lang={}",
        routes::admin_submission(&id.to_string()),
        lang.code()
    )
}
