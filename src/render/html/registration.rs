//! The registration form with its preview, and the moderation page.

use askama::Template;

use super::Modified;
use crate::i18n::Lang;
use crate::web::routes;

/// One form field as the page shows it.
pub struct Field {
    pub name: &'static str,
    pub label_key: &'static str,
    pub hint_key: Option<&'static str>,
    pub input_type: &'static str,
    pub value: String,
    pub required: bool,
    pub error_key: Option<&'static str>,
    /// A message made for this request (it names something), shown instead of
    /// `error_key`'s.
    pub error_message: Option<Message>,
}

/// Words made for one request, in the page's language and in the other one.
#[derive(Debug, Clone, PartialEq)]
pub struct Message {
    pub here: String,
    pub other: String,
}

impl Field {
    /// What is wrong with the field, in the page's language.
    pub fn error_text(&self, lang: Lang) -> Option<String> {
        match (&self.error_message, self.error_key) {
            (Some(message), _) => Some(message.here.clone()),
            (None, Some(key)) => Some(lang.t(key).to_string()),
            (None, None) => None,
        }
    }
}

/// What a preview found, ready to show.
#[derive(Default)]
pub struct PreviewView {
    pub error: Option<String>,
    pub kind_key: &'static str,
    pub url: String,
    pub discovered: bool,
    pub methods: Option<String>,
    pub event_count: usize,
    pub post_count: usize,
    /// (when, title) of the first events.
    pub events: Vec<(String, String)>,
    pub posts: Vec<String>,
    pub warnings: Vec<String>,
}

#[derive(Template)]
#[template(path = "source_new.html")]
struct SourceNewPage<'a> {
    lang: Lang,
    modified: &'a Modified,
    nav: &'static str,
    switch_url: &'a str,
    csrf: &'a str,
    fields: &'a [Field],
    /// Each field in error: its name, what is wrong, and (for a message made for this
    /// request) the same in the other language.
    errors: Vec<(&'static str, String, Option<String>)>,
    form_error: Option<&'static str>,
    thanks: bool,
    preview: Option<&'a PreviewView>,
}

pub struct SourceNewView<'a> {
    pub lang: Lang,
    pub modified: &'a Modified,
    pub switch_url: &'a str,
    pub csrf: &'a str,
    pub fields: &'a [Field],
    pub form_error: Option<&'static str>,
    pub thanks: bool,
    pub preview: Option<&'a PreviewView>,
}

pub fn source_new_page(view: &SourceNewView<'_>) -> Vec<u8> {
    let errors = view
        .fields
        .iter()
        .filter_map(|f| {
            let text = f.error_text(view.lang)?;
            Some((
                f.name,
                text,
                f.error_message.as_ref().map(|m| m.other.clone()),
            ))
        })
        .collect();
    let page = SourceNewPage {
        lang: view.lang,
        modified: view.modified,
        nav: "add",
        switch_url: view.switch_url,
        csrf: view.csrf,
        fields: view.fields,
        errors,
        form_error: view.form_error,
        thanks: view.thanks,
        preview: view.preview,
    };
    page.render()
        .expect("templates render plain data")
        .into_bytes()
}

/// A pending registration as the moderation page shows it.
pub struct PendingRow {
    pub id: String,
    pub name: String,
    pub url: String,
    pub department: String,
    pub tags: String,
    pub contact: String,
    pub submitted: String,
}

#[derive(Template)]
#[template(path = "admin.html")]
struct AdminPage<'a> {
    lang: Lang,
    modified: &'a Modified,
    nav: &'static str,
    switch_url: &'a str,
    csrf: &'a str,
    disabled: bool,
    signed_in: bool,
    message_key: Option<&'static str>,
    message_detail: Option<&'a str>,
    pending: &'a [PendingRow],
    submissions_html: &'a str,
}

pub struct AdminView<'a> {
    pub lang: Lang,
    pub modified: &'a Modified,
    pub switch_url: &'a str,
    pub csrf: &'a str,
    pub disabled: bool,
    pub signed_in: bool,
    pub message_key: Option<&'static str>,
    pub message_detail: Option<&'a str>,
    pub pending: &'a [PendingRow],
    /// The submitted events waiting (`submit::admin_submissions`), already rendered.
    pub submissions_html: &'a str,
}

pub fn admin_page(view: &AdminView<'_>) -> Vec<u8> {
    let page = AdminPage {
        lang: view.lang,
        modified: view.modified,
        nav: "admin",
        switch_url: view.switch_url,
        csrf: view.csrf,
        disabled: view.disabled,
        signed_in: view.signed_in,
        message_key: view.message_key,
        message_detail: view.message_detail,
        pending: view.pending,
        submissions_html: view.submissions_html,
    };
    page.render()
        .expect("templates render plain data")
        .into_bytes()
}
