//! Single events without a website: the "Submit an event" form (`/submit-event`: preview,
//! then submit for approval), the submitter's private page (`/submit-event/{token}`: edit
//! or cancel; the token is random, and only its digest is stored), and the
//! administrator's page for one submission (`/admin/submissions/{id}`: edit, approve,
//! reject with a reason). The same CSRF tokens, per-client rate limits and error display
//! as source registration (`registration.rs`); a form with an error stores nothing.

use std::collections::HashMap;

use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, web};
use sha2::{Digest, Sha256};

use super::error::Problem;
use super::page::{language, origin, switch_url};
use super::query::ViewQuery;
use super::registration::{
    Admin, Reply, admin_reply, csrf, csrf_key, csrf_ok, form_modified, page, random_token,
    rate_limited,
};
use super::{AppState, WebError, routes};
use crate::i18n::Lang;
use crate::model::EventStatus;
use crate::render::dates::{Dates, event_when};
use crate::render::html::registration::Field;
use crate::render::html::submit::{SubmitMode, SubmitPreview, SubmitView, submit_page};
use crate::store::{StoredSubmission, SubmissionError, SubmissionState};
use crate::submission::{EventSubmission, FieldErrors, check};

/// The digest kept for a private token.
fn token_digest(token: &str) -> String {
    format!(
        "{:x}",
        Sha256::digest(format!("bulletin-submission\n{token}").as_bytes())
    )
}

/// A private token as the link carries it: 64 hex digits.
fn well_formed(token: &str) -> bool {
    token.len() == 64 && token.bytes().all(|b| b.is_ascii_hexdigit())
}

/// The form's fields, with values and errors.
fn fields(values: &HashMap<String, String>, errors: &FieldErrors, zone: &str) -> Vec<Field> {
    let value = |name: &str| values.get(name).cloned().unwrap_or_default();
    let field = |name: &'static str, label_key, hint_key, input_type, required| Field {
        name,
        label_key,
        hint_key,
        input_type,
        value: value(name),
        required,
        error_key: errors.get(name).copied(),
        error_message: None,
    };
    let mut zone_field = field("timezone", "submit.timezone", None, "zone", true);
    if zone_field.value.is_empty() {
        zone_field.value = zone.to_string();
    }
    vec![
        field(
            "title_en",
            "submit.title_en",
            Some("submit.title.hint"),
            "text",
            false,
        ),
        field(
            "description_en",
            "submit.description_en",
            None,
            "textarea",
            false,
        ),
        field("title_fr", "submit.title_fr", None, "text", false),
        field(
            "description_fr",
            "submit.description_fr",
            None,
            "textarea",
            false,
        ),
        field("start_date", "submit.start_date", None, "date", true),
        field(
            "start_time",
            "submit.start_time",
            Some("submit.time.hint"),
            "time",
            false,
        ),
        field(
            "end_date",
            "submit.end_date",
            Some("submit.end_date.hint"),
            "date",
            false,
        ),
        field("end_time", "submit.end_time", None, "time", false),
        zone_field,
        field("all_day", "submit.all_day", None, "checkbox", false),
        field(
            "place",
            "submit.place",
            Some("submit.place.hint"),
            "text",
            false,
        ),
        field("online_url", "submit.online_url", None, "url", false),
        field(
            "registration_url",
            "submit.registration_url",
            None,
            "url",
            false,
        ),
        field("department", "add.department", None, "text", true),
        field("tags", "add.tags", Some("add.tags.hint"), "text", false),
        field(
            "contact",
            "submit.contact",
            Some("submit.contact.hint"),
            "email",
            true,
        ),
    ]
}

/// How the submission would appear in `lang`.
fn preview(state: &AppState, lang: Lang, submission: &EventSubmission) -> SubmitPreview {
    let events = submission.events(0, EventStatus::Confirmed);
    let dates = Dates::new(lang, state.style);
    SubmitPreview {
        versions: events
            .iter()
            .map(|e| (e.language.clone().unwrap_or_default(), e.title.clone()))
            .collect(),
        when: events
            .first()
            .map(|e| event_when(dates, state.timezone, e, true))
            .unwrap_or_default(),
        place: submission.place.clone().unwrap_or_default(),
        online: submission.online_url.clone(),
    }
}

fn state_key(state: SubmissionState) -> &'static str {
    match state {
        SubmissionState::Pending => "submit.state.pending",
        SubmissionState::Approved => "submit.state.approved",
        SubmissionState::Rejected => "submit.state.rejected",
        SubmissionState::Cancelled => "submit.state.cancelled",
    }
}

/// What one answer shows.
struct Shown<'a> {
    status: StatusCode,
    values: &'a HashMap<String, String>,
    errors: &'a FieldErrors,
    form_error: Option<&'static str>,
    notice_key: Option<&'static str>,
    private_link: Option<&'a str>,
    preview: Option<&'a SubmitPreview>,
    mode: SubmitMode,
    can_cancel: bool,
}

/// Renders the form page for `req` (language, CSRF cookie) with `shown`.
async fn answer(
    req: &HttpRequest,
    state: &AppState,
    path: &str,
    shown: Shown<'_>,
) -> Result<HttpResponse, WebError> {
    let query = ViewQuery::read(req, state.timezone)?;
    let lang = language(req, &query);
    let (token, cookie) = csrf(req, csrf_key(state).await?);
    let modified = form_modified(state, lang);
    let action = format!("{path}?lang={}", lang.code());
    let body = submit_page(&SubmitView {
        lang,
        modified: &modified,
        switch_url: &switch_url(path, &query, lang),
        csrf: &token,
        action: &action,
        fields: &fields(shown.values, shown.errors, state.timezone.name()),
        form_error: shown.form_error,
        notice_key: shown.notice_key,
        private_link: shown.private_link,
        preview: shown.preview,
        mode: shown.mode,
        can_cancel: shown.can_cancel,
    });
    Ok(page(shown.status, body, lang, cookie))
}

fn plain<'a>(
    status: StatusCode,
    values: &'a HashMap<String, String>,
    errors: &'a FieldErrors,
    mode: SubmitMode,
) -> Shown<'a> {
    Shown {
        status,
        values,
        errors,
        form_error: None,
        notice_key: None,
        private_link: None,
        preview: None,
        mode,
        can_cancel: false,
    }
}

/// The refusals every POST shares: too many requests, then a bad CSRF token.
async fn refusal(
    req: &HttpRequest,
    state: &AppState,
    path: &str,
    values: &HashMap<String, String>,
    mode: impl Fn() -> SubmitMode,
) -> Result<Option<HttpResponse>, WebError> {
    let none = FieldErrors::new();
    if rate_limited(state, req) {
        let mut response = answer(
            req,
            state,
            path,
            Shown {
                form_error: Some("errors.rate"),
                ..plain(StatusCode::TOO_MANY_REQUESTS, values, &none, mode())
            },
        )
        .await?;
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, header::HeaderValue::from_static("60"));
        return Ok(Some(response));
    }
    if !csrf_ok(req, csrf_key(state).await?, values) {
        return Ok(Some(
            answer(
                req,
                state,
                path,
                Shown {
                    form_error: Some("errors.csrf"),
                    ..plain(StatusCode::FORBIDDEN, values, &none, mode())
                },
            )
            .await?,
        ));
    }
    Ok(None)
}

/// `GET /submit-event`.
pub async fn form(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, WebError> {
    let values = HashMap::new();
    let errors = FieldErrors::new();
    answer(
        &req,
        &state,
        routes::SUBMIT_EVENT,
        plain(StatusCode::OK, &values, &errors, SubmitMode::New),
    )
    .await
}

/// `POST /submit-event`: preview, or submit for approval.
pub async fn submit(
    req: HttpRequest,
    state: web::Data<AppState>,
    form: web::Form<HashMap<String, String>>,
) -> Result<HttpResponse, WebError> {
    let values = form.into_inner();
    let path = routes::SUBMIT_EVENT;
    if let Some(refused) = refusal(&req, &state, path, &values, || SubmitMode::New).await? {
        return Ok(refused);
    }
    let query = ViewQuery::read(&req, state.timezone)?;
    let lang = language(&req, &query);
    let submitting = values.get("action").map(String::as_str) == Some("submit");
    let submission = match check(&values) {
        Ok(submission) => submission,
        Err((errors, partial)) => {
            let shown = partial.as_ref().map(|s| preview(&state, lang, s));
            return answer(
                &req,
                &state,
                path,
                Shown {
                    preview: shown.as_ref(),
                    ..plain(
                        StatusCode::UNPROCESSABLE_ENTITY,
                        &values,
                        &errors,
                        SubmitMode::New,
                    )
                },
            )
            .await;
        }
    };
    let none = FieldErrors::new();
    if !submitting {
        let shown = preview(&state, lang, &submission);
        return answer(
            &req,
            &state,
            path,
            Shown {
                preview: Some(&shown),
                ..plain(StatusCode::OK, &values, &none, SubmitMode::New)
            },
        )
        .await;
    }
    let token = random_token();
    let digest = token_digest(&token);
    let store = state.store.clone();
    let now = state.clock.now();
    web::block(move || store.submit_event(&submission, &digest, now)).await??;
    let link = format!(
        "{}{}",
        origin(&req, &state),
        routes::with_query(
            &routes::submission(&token),
            &format!("lang={}", lang.code())
        )
    );
    let empty = HashMap::new();
    answer(
        &req,
        &state,
        path,
        Shown {
            notice_key: Some("submit.thanks"),
            private_link: Some(&link),
            ..plain(StatusCode::OK, &empty, &none, SubmitMode::New)
        },
    )
    .await
}

/// The submission a private link names, or 404.
async fn by_token(
    req: &HttpRequest,
    state: &AppState,
    token: &str,
) -> Result<StoredSubmission, WebError> {
    let not_found = || {
        WebError::not_found(
            req,
            Problem::new(
                Lang::En.t("submit.not_found"),
                Lang::Fr.t("submit.not_found"),
            ),
        )
    };
    if !well_formed(token) {
        return Err(not_found());
    }
    let store = state.store.clone();
    let digest = token_digest(token);
    web::block(move || store.submission_by_token(&digest))
        .await??
        .ok_or_else(not_found)
}

fn editable(state: SubmissionState) -> bool {
    matches!(state, SubmissionState::Pending | SubmissionState::Approved)
}

/// `GET /submit-event/{token}`: the submitter's own page.
pub async fn private_page(
    req: HttpRequest,
    path: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, WebError> {
    let token = path.into_inner();
    let found = by_token(&req, &state, &token).await?;
    let values = found.submission.values();
    let errors = FieldErrors::new();
    answer(
        &req,
        &state,
        &routes::submission(&token),
        Shown {
            can_cancel: editable(found.state),
            ..plain(
                StatusCode::OK,
                &values,
                &errors,
                SubmitMode::Private {
                    state_key: state_key(found.state),
                    reason: found.reason.clone(),
                },
            )
        },
    )
    .await
}

/// A refused change, in both languages.
fn cannot(req: &HttpRequest, error: SubmissionError) -> WebError {
    match error {
        SubmissionError::Store(error) => WebError::from(error),
        other => WebError::bad_request(
            req,
            Problem::new(
                format!("This cannot be done: {other}."),
                format!("C’est impossible : {other}."),
            ),
        ),
    }
}

/// `POST /submit-event/{token}`: preview, save an edit, or cancel.
pub async fn private_post(
    req: HttpRequest,
    path: web::Path<String>,
    state: web::Data<AppState>,
    form: web::Form<HashMap<String, String>>,
) -> Result<HttpResponse, WebError> {
    let token = path.into_inner();
    let values = form.into_inner();
    let here = routes::submission(&token);
    let found = by_token(&req, &state, &token).await?;
    let mode = || SubmitMode::Private {
        state_key: state_key(found.state),
        reason: found.reason.clone(),
    };
    if let Some(refused) = refusal(&req, &state, &here, &values, mode).await? {
        return Ok(refused);
    }
    let action = values.get("action").cloned().unwrap_or_default();
    let (zone, now) = (state.timezone, state.clock.now());
    let none = FieldErrors::new();
    if action == "cancel" {
        let store = state.store.clone();
        let id = found.id;
        let done = web::block(move || store.cancel_submission(id, zone, now))
            .await?
            .map_err(|e| cannot(&req, e))?;
        let values = done.submission.values();
        return answer(
            &req,
            &state,
            &here,
            Shown {
                notice_key: Some("submit.cancelled"),
                ..plain(
                    StatusCode::OK,
                    &values,
                    &none,
                    SubmitMode::Private {
                        state_key: state_key(done.state),
                        reason: done.reason.clone(),
                    },
                )
            },
        )
        .await;
    }
    let query = ViewQuery::read(&req, state.timezone)?;
    let lang = language(&req, &query);
    let checked = check(&values);
    let submission = match checked {
        Ok(submission) => submission,
        Err((errors, _)) => {
            return answer(
                &req,
                &state,
                &here,
                Shown {
                    can_cancel: editable(found.state),
                    ..plain(StatusCode::UNPROCESSABLE_ENTITY, &values, &errors, mode())
                },
            )
            .await;
        }
    };
    if action != "save" || !editable(found.state) {
        let shown = preview(&state, lang, &submission);
        return answer(
            &req,
            &state,
            &here,
            Shown {
                preview: Some(&shown),
                can_cancel: editable(found.state),
                form_error: (!editable(found.state)).then_some("submit.errors.closed"),
                ..plain(StatusCode::OK, &values, &none, mode())
            },
        )
        .await;
    }
    let store = state.store.clone();
    let id = found.id;
    let done = web::block(move || store.edit_submission(id, submission, zone, now))
        .await?
        .map_err(|e| cannot(&req, e))?;
    let values = done.submission.values();
    answer(
        &req,
        &state,
        &here,
        Shown {
            notice_key: Some("submit.saved"),
            can_cancel: editable(done.state),
            ..plain(
                StatusCode::OK,
                &values,
                &none,
                SubmitMode::Private {
                    state_key: state_key(done.state),
                    reason: done.reason.clone(),
                },
            )
        },
    )
    .await
}

/// The submission `/admin/submissions/{id}` names, or 404.
async fn by_id(
    req: &HttpRequest,
    state: &AppState,
    id: &str,
) -> Result<StoredSubmission, WebError> {
    let not_found = || {
        WebError::not_found(
            req,
            Problem::new(
                Lang::En.t("submit.not_found"),
                Lang::Fr.t("submit.not_found"),
            ),
        )
    };
    let id: i64 = id.parse().map_err(|_| not_found())?;
    let store = state.store.clone();
    web::block(move || store.submission(id))
        .await??
        .ok_or_else(not_found)
}

/// `GET /admin/submissions/{id}`: the administrator's edit form.
pub async fn admin_page(
    req: HttpRequest,
    _admin: Admin,
    path: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, WebError> {
    let found = by_id(&req, &state, &path).await?;
    let values = found.submission.values();
    let errors = FieldErrors::new();
    answer(
        &req,
        &state,
        &routes::admin_submission(&found.id.to_string()),
        plain(StatusCode::OK, &values, &errors, SubmitMode::Admin),
    )
    .await
}

/// `POST /admin/submissions/{id}`: approve, reject (with a reason), or save an edit.
pub async fn admin_post(
    req: HttpRequest,
    _admin: Admin,
    path: web::Path<String>,
    state: web::Data<AppState>,
    form: web::Form<HashMap<String, String>>,
) -> Result<HttpResponse, WebError> {
    let values = form.into_inner();
    if !csrf_ok(&req, csrf_key(&state).await?, &values) {
        return admin_reply(&req, &state, Reply::refused("errors.csrf")).await;
    }
    let found = by_id(&req, &state, &path).await?;
    let here = routes::admin_submission(&found.id.to_string());
    let (zone, now, id) = (state.timezone, state.clock.now(), found.id);
    let store = state.store.clone();
    let action = values.get("action").cloned().unwrap_or_default();
    let (done, key) = match action.as_str() {
        "approve" => (
            web::block(move || store.approve_submission(id, zone, now)).await?,
            "admin.submission.approved",
        ),
        "reject" => {
            let reason = values.get("reason").cloned().unwrap_or_default();
            if reason.trim().is_empty() {
                return admin_reply(
                    &req,
                    &state,
                    Reply {
                        status: Some(StatusCode::UNPROCESSABLE_ENTITY),
                        message_key: Some("admin.submission.reason_needed"),
                        ..Reply::default()
                    },
                )
                .await;
            }
            (
                web::block(move || store.reject_submission(id, &reason, zone, now)).await?,
                "admin.submission.rejected",
            )
        }
        _ => {
            let submission = match check(&values) {
                Ok(submission) => submission,
                Err((errors, _)) => {
                    return answer(
                        &req,
                        &state,
                        &here,
                        plain(
                            StatusCode::UNPROCESSABLE_ENTITY,
                            &values,
                            &errors,
                            SubmitMode::Admin,
                        ),
                    )
                    .await;
                }
            };
            if action != "save" {
                let query = ViewQuery::read(&req, state.timezone)?;
                let shown = preview(&state, language(&req, &query), &submission);
                let none = FieldErrors::new();
                return answer(
                    &req,
                    &state,
                    &here,
                    Shown {
                        preview: Some(&shown),
                        ..plain(StatusCode::OK, &values, &none, SubmitMode::Admin)
                    },
                )
                .await;
            }
            (
                web::block(move || store.edit_submission(id, submission, zone, now)).await?,
                "admin.submission.saved",
            )
        }
    };
    let done = done.map_err(|e| cannot(&req, e))?;
    admin_reply(
        &req,
        &state,
        Reply {
            message_key: Some(key),
            message_detail: Some(done.submission.title()),
            ..Reply::default()
        },
    )
    .await
}
