//! Organiser registration (`/sources/new`: preview, then submit a pending source) and
//! moderation (`/admin`: an administrator approves or rejects). Forms carry a CSRF token
//! bound to the server: the cookie holds a random session value, the form an HMAC-SHA256
//! of it under the install's secret (kept in the database), so a cookie and field an
//! attacker makes up never pass. POSTs are rate-limited per client address; previews run
//! at most [`MAX_PREVIEWS`] at once server-wide, on the service's runtime rather than an
//! HTTP worker; the administrator's token comes from the environment and never appears
//! in a page.

use std::collections::HashMap;
use std::net::IpAddr;

use actix_web::cookie::{Cookie, SameSite};
use actix_web::dev::Payload;
use actix_web::http::{StatusCode, header};
use actix_web::{FromRequest, HttpRequest, HttpResponse, web};
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};
use url::Url;

use super::error::Problem;
use super::page::{language, switch_url};
use super::query::ViewQuery;
use super::{AppState, MAX_PREVIEWS, PREVIEW_WAIT, WebError, routes, taken};
use crate::i18n::Lang;
use crate::model::{Location, Source, SourceKind};
use crate::preview::{Preview, preview};
use crate::render::dates::Dates;
use crate::render::html::Modified;
use crate::render::html::events::when;
use crate::render::html::registration::{
    AdminView, Field, Message, PendingRow, PreviewView, SourceNewView, admin_page, source_new_page,
};
use crate::store::{ModerationError, StoredEvent};

const CSRF_COOKIE: &str = "bulletin_csrf";
const ADMIN_COOKIE: &str = "bulletin_admin";
/// How many events or posts a preview lists.
const PREVIEW_ITEMS: usize = 20;

/// Per-client limit on form submissions.
pub type Limiter = governor::DefaultKeyedRateLimiter<IpAddr>;

pub fn limiter() -> Limiter {
    governor::RateLimiter::keyed(governor::Quota::per_minute(
        std::num::NonZeroU32::new(20).expect("non-zero"),
    ))
}

pub(super) fn random_token() -> String {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).expect("the operating system provides randomness");
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The install's key for CSRF tokens (made once, kept in the database).
pub(super) async fn csrf_key(state: &AppState) -> Result<&[u8], WebError> {
    let key = state
        .csrf_key
        .get_or_try_init(|| async {
            let store = state.store.clone();
            web::block(move || store.install_secret("csrf"))
                .await?
                .map_err(WebError::from)
        })
        .await?;
    Ok(key.as_slice())
}

/// The form token of a session: HMAC-SHA256 of the session value under the install's key.
fn token_for(key: &[u8], session: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes keys of any length");
    mac.update(b"bulletin-csrf\n");
    mac.update(session.as_bytes());
    mac.finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A session value as the cookie carries it: 64 hex digits.
fn session_of(req: &HttpRequest) -> Option<String> {
    let cookie = req.cookie(CSRF_COOKIE)?;
    let value = cookie.value();
    (value.len() == 64 && value.bytes().all(|b| b.is_ascii_hexdigit())).then(|| value.to_string())
}

/// The CSRF token for this client's session (from its cookie), or a new session with the
/// cookie to set.
pub(super) fn csrf(req: &HttpRequest, key: &[u8]) -> (String, Option<Cookie<'static>>) {
    if let Some(session) = session_of(req) {
        return (token_for(key, &session), None);
    }
    let session = random_token();
    let cookie = Cookie::build(CSRF_COOKIE, session.clone())
        .path("/")
        .http_only(true)
        .same_site(SameSite::Strict)
        .finish();
    (token_for(key, &session), Some(cookie))
}

/// Equal in time independent of where they differ.
pub(super) fn same(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// Whether the form's token is the server's signature of the cookie's session.
pub(super) fn csrf_ok(req: &HttpRequest, key: &[u8], form: &HashMap<String, String>) -> bool {
    match (session_of(req), form.get("csrf")) {
        (Some(session), Some(sent)) => same(&token_for(key, &session), sent),
        _ => false,
    }
}

pub(super) fn rate_limited(state: &AppState, req: &HttpRequest) -> bool {
    let ip = req
        .peer_addr()
        .map(|a| a.ip())
        .unwrap_or(IpAddr::from([0, 0, 0, 0]));
    state.limiter.check_key(&ip).is_err()
}

pub(super) fn page(
    status: StatusCode,
    body: Vec<u8>,
    lang: Lang,
    cookie: Option<Cookie<'static>>,
) -> HttpResponse {
    let mut builder = HttpResponse::build(status);
    builder
        .content_type("text/html; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header((header::CONTENT_LANGUAGE, lang.code()));
    if let Some(cookie) = cookie {
        builder.cookie(cookie);
    }
    builder.body(body)
}

/// The form's fields with the values given and their errors.
fn fields(
    values: &HashMap<String, String>,
    errors: &HashMap<&'static str, &'static str>,
) -> Vec<Field> {
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
    vec![
        field("url", "add.url", Some("add.url.hint"), "url", true),
        field("name", "add.name", None, "text", true),
        field("department", "add.department", None, "text", true),
        field("tags", "add.tags", Some("add.tags.hint"), "text", false),
        field("contact", "add.contact", None, "email", true),
        field(
            "language",
            "add.language",
            Some("add.language.hint"),
            "text",
            false,
        ),
        field(
            "translation_of",
            "add.translation_of",
            Some("add.translation_of.hint"),
            "text",
            false,
        ),
    ]
}

/// The form's fields with `message` as the address field's error.
fn url_message(mut fields: Vec<Field>, message: Option<Message>) -> Vec<Field> {
    if let Some(url) = fields.iter_mut().find(|f| f.name == "url") {
        url.error_message = message;
    }
    fields
}

/// A registration, checked field by field.
struct Checked {
    url: Option<Url>,
    name: String,
    department: String,
    tags: Vec<String>,
    contact: String,
    /// A language code.
    language: Option<String>,
    /// The id or address of the source this one translates, as typed.
    translation_of: Option<String>,
    errors: HashMap<&'static str, &'static str>,
}

fn check(values: &HashMap<String, String>) -> Checked {
    let get = |name: &str| {
        values
            .get(name)
            .map(|v| v.trim().to_string())
            .unwrap_or_default()
    };
    let mut errors = HashMap::new();
    let url = Url::parse(&get("url"))
        .ok()
        .filter(|u| matches!(u.scheme(), "http" | "https") && u.host_str().is_some());
    if url.is_none() {
        errors.insert("url", "errors.url");
    }
    let name = get("name");
    if name.is_empty() || name.chars().count() > 200 {
        errors.insert("name", "errors.name");
    }
    let department = get("department");
    if department.is_empty() || department.chars().count() > 200 {
        errors.insert("department", "errors.department");
    }
    let tags: Vec<String> = get("tags")
        .split(',')
        .map(|t| t.trim().to_lowercase())
        .filter(|t| !t.is_empty())
        .collect();
    if tags.len() > 10 || tags.iter().any(|t| t.chars().count() > 40) {
        errors.insert("tags", "errors.tags");
    }
    let contact = get("contact");
    let valid_email = contact.len() <= 254
        && contact.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && !contact.contains(char::is_whitespace)
        });
    if !valid_email {
        errors.insert("contact", "errors.contact");
    }
    let language_text = get("language");
    let language = crate::normalise::language::code(&language_text);
    let translation_of = Some(get("translation_of")).filter(|t| !t.is_empty());
    if (!language_text.is_empty() && language.is_none())
        || (translation_of.is_some() && language.is_none())
    {
        errors.insert("language", "errors.language");
    }
    Checked {
        url,
        name,
        department,
        tags,
        contact,
        language,
        translation_of,
        errors,
    }
}

/// The id of the source a registration says it translates (given by id or address),
/// when there is one in another language; else the field's error.
async fn translated_source(
    state: &AppState,
    checked: &Checked,
) -> Result<Result<Option<String>, &'static str>, WebError> {
    let Some(given) = checked.translation_of.clone() else {
        return Ok(Ok(None));
    };
    let store = state.store.clone();
    let found = web::block(move || store.find_source(&given)).await??;
    Ok(match found {
        Some((_, Some(theirs))) if Some(&theirs) == checked.language.as_ref() => {
            Err("errors.translation_of")
        }
        Some((id, _)) => Ok(Some(id)),
        None => Err("errors.translation_of"),
    })
}

/// Runs a preview of `url` on the service's runtime (not this HTTP worker), at most
/// [`MAX_PREVIEWS`] at once; `None` when none became free within [`PREVIEW_WAIT`].
async fn run_preview(
    state: &AppState,
    registration: &super::Registration,
    url: &Url,
) -> Option<Result<Preview, String>> {
    let permit = tokio::time::timeout(PREVIEW_WAIT, state.previews.clone().acquire_owned())
        .await
        .ok()?
        .ok()?;
    let fetcher = registration.fetcher.clone();
    let context = registration.context;
    let target = url.clone();
    let work = async move {
        // The permit goes with the work: a client that hangs up does not free it early.
        let _permit = permit;
        preview(&fetcher, &target, &context).await
    };
    let joined = match &state.runtime {
        Some(runtime) => runtime.spawn(work).await,
        None => tokio::spawn(work).await,
    };
    Some(joined.unwrap_or_else(|error| Err(format!("{url}: the preview stopped: {error}"))))
}

/// 429 when the previews are all taken, in both languages.
fn previews_busy(req: &HttpRequest) -> HttpResponse {
    let mut response = actix_web::ResponseError::error_response(&WebError::client(
        req,
        StatusCode::TOO_MANY_REQUESTS,
        Problem::new(
            format!(
                "{MAX_PREVIEWS} previews are already running on this server; wait a few seconds and try again."
            ),
            format!(
                "{MAX_PREVIEWS} aperçus sont déjà en cours sur ce serveur ; attendez quelques secondes et réessayez."
            ),
        ),
    ));
    response
        .headers_mut()
        .insert(header::RETRY_AFTER, header::HeaderValue::from_static("5"));
    response
}

fn preview_view(lang: Lang, state: &AppState, result: &Result<Preview, String>) -> PreviewView {
    match result {
        Err(error) => PreviewView {
            error: Some(error.clone()),
            ..PreviewView::default()
        },
        Ok(p) => {
            let events: Vec<(String, String)> = p
                .harvest
                .events
                .iter()
                .take(PREVIEW_ITEMS)
                .map(|e| {
                    let now = state.clock.now();
                    let stored = StoredEvent {
                        uid: String::new(),
                        event: e.clone(),
                        listed: true,
                        revision: 0,
                        sources: Vec::new(),
                        tags: Vec::new(),
                        provenance: Default::default(),
                        versions: Vec::new(),
                        first_seen: now,
                        last_seen: now,
                        changed: now,
                        merged_into: None,
                    };
                    let dates = Dates::new(lang, state.style);
                    (when(dates, state.timezone, &stored, true), e.title.clone())
                })
                .collect();
            PreviewView {
                error: None,
                kind_key: match p.kind {
                    SourceKind::Feed => "sources.kind.feed",
                    SourceKind::Ical => "sources.kind.ical",
                    SourceKind::Html => "sources.kind.html",
                },
                url: p.url.clone(),
                discovered: p.discovered_from.is_some(),
                methods: match (&p.harvest.methods, &p.harvest.post_methods) {
                    (Some(events), Some(posts)) => Some(format!("{events}; posts: {posts}")),
                    (events, _) => events.clone(),
                },
                event_count: p.harvest.events.len(),
                post_count: p.harvest.posts.len(),
                events,
                posts: p
                    .harvest
                    .posts
                    .iter()
                    .take(PREVIEW_ITEMS)
                    .map(|post| post.title.clone())
                    .collect(),
                warnings: p.harvest.warnings.clone(),
            }
        }
    }
}

/// A form's "Date modified": what it shows is made when it is asked for.
pub(super) fn form_modified(state: &AppState, lang: Lang) -> Modified {
    Modified::new(
        Dates::new(lang, state.style),
        state.clock.now(),
        state.timezone,
    )
}

/// `GET /sources/new`.
pub async fn form(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, WebError> {
    let query = ViewQuery::read(&req, state.timezone)?;
    let lang = language(&req, &query);
    let (token, cookie) = csrf(&req, csrf_key(&state).await?);
    let disabled = state.registration.is_none();
    let modified = form_modified(&state, lang);
    let body = source_new_page(&SourceNewView {
        lang,
        modified: &modified,
        switch_url: &switch_url(routes::SOURCE_NEW, &query, lang),
        csrf: &token,
        fields: &fields(&HashMap::new(), &HashMap::new()),
        form_error: disabled.then_some("errors.disabled"),
        thanks: false,
        preview: None,
    });
    Ok(page(StatusCode::OK, body, lang, cookie))
}

/// `POST /sources/new`: preview or submit.
pub async fn submit(
    req: HttpRequest,
    state: web::Data<AppState>,
    form: web::Form<HashMap<String, String>>,
) -> Result<HttpResponse, WebError> {
    let query = ViewQuery::read(&req, state.timezone)?;
    let lang = language(&req, &query);
    let values = form.into_inner();
    let key = csrf_key(&state).await?;
    let (token, cookie) = csrf(&req, key);
    let switch = switch_url(routes::SOURCE_NEW, &query, lang);
    let modified = form_modified(&state, lang);
    let respond =
        |status, fields: &[Field], form_error, thanks, preview: Option<&PreviewView>, cookie| {
            let body = source_new_page(&SourceNewView {
                lang,
                modified: &modified,
                switch_url: &switch,
                csrf: &token,
                fields,
                form_error,
                thanks,
                preview,
            });
            page(status, body, lang, cookie)
        };
    if rate_limited(&state, &req) {
        let mut response = respond(
            StatusCode::TOO_MANY_REQUESTS,
            &fields(&values, &HashMap::new()),
            Some("errors.rate"),
            false,
            None,
            cookie,
        );
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, header::HeaderValue::from_static("60"));
        return Ok(response);
    }
    if !csrf_ok(&req, key, &values) {
        return Ok(respond(
            StatusCode::FORBIDDEN,
            &fields(&values, &HashMap::new()),
            Some("errors.csrf"),
            false,
            None,
            cookie,
        ));
    }
    let Some(registration) = &state.registration else {
        return Ok(respond(
            StatusCode::SERVICE_UNAVAILABLE,
            &fields(&values, &HashMap::new()),
            Some("errors.disabled"),
            false,
            None,
            cookie,
        ));
    };
    let mut checked = check(&values);
    let translation_of = match translated_source(&state, &checked).await? {
        Ok(id) => id,
        Err(key) => {
            checked.errors.insert("translation_of", key);
            None
        }
    };
    let submitting = values.get("action").map(String::as_str) == Some("submit");
    // An address that is already a source is refused before it is read, and so is one
    // whose reading leads to a source (a redirect, an advertised feed).
    let mut taken = match &checked.url {
        Some(url) => taken::find(&state, vec![url.to_string()]).await?,
        None => None,
    };
    let previewed = match (&checked.url, &taken) {
        (Some(url), None) => match run_preview(&state, registration, url).await {
            Some(result) => Some(result),
            None => return Ok(previews_busy(&req)),
        },
        _ => None,
    };
    if taken.is_none()
        && let Some(Ok(found)) = &previewed
    {
        taken = taken::find(&state, crate::registered::reached(found)).await?;
    }
    let shown = previewed
        .as_ref()
        .filter(|_| taken.is_none())
        .map(|p| preview_view(lang, &state, p));
    if !checked.errors.is_empty() || taken.is_some() {
        let message = taken.as_ref().map(|t| taken::message(lang, t));
        return Ok(respond(
            StatusCode::UNPROCESSABLE_ENTITY,
            &url_message(fields(&values, &checked.errors), message),
            None,
            false,
            shown.as_ref(),
            cookie,
        ));
    }
    let Some(Ok(found)) = previewed.filter(|_| submitting) else {
        // A preview, or a submission whose address cannot be read: show what was found.
        let status = if submitting {
            StatusCode::UNPROCESSABLE_ENTITY
        } else {
            StatusCode::OK
        };
        return Ok(respond(
            status,
            &fields(&values, &checked.errors),
            None,
            false,
            shown.as_ref(),
            cookie,
        ));
    };
    let location: Url = found.url.parse().map_err(|_| {
        WebError::bad_request(
            &req,
            Problem::new(
                format!("{}: not a URL", found.url),
                format!("{} : pas une adresse web", found.url),
            ),
        )
    })?;
    let store = state.store.clone();
    let name = checked.name.clone();
    let id = web::block(move || store.free_source_id(&name)).await??;
    let source = Source {
        id,
        name: checked.name.clone(),
        department: checked.department.clone(),
        tags: checked.tags.clone(),
        kind: Some(found.kind),
        location: Location::Url(location),
        schedule: None,
        timezone: None,
        selectors: None,
        post_selectors: None,
        events_from_links: false,
        language: checked.language.clone(),
        translation_of,
    };
    let store = state.store.clone();
    let contact = checked.contact.clone();
    let now = state.clock.now();
    let stored = web::block(move || store.register_source(&source, Some(&contact), now)).await?;
    match stored {
        Ok(()) => Ok(respond(
            StatusCode::OK,
            &fields(&HashMap::new(), &HashMap::new()),
            None,
            true,
            None,
            cookie,
        )),
        Err(ModerationError::UrlTaken { url, .. }) => {
            // Registered by someone else since the check above.
            let message = taken::find(&state, vec![url])
                .await?
                .map(|t| taken::message(lang, &t));
            Ok(respond(
                StatusCode::UNPROCESSABLE_ENTITY,
                &url_message(fields(&values, &HashMap::new()), message),
                None,
                false,
                None,
                cookie,
            ))
        }
        Err(ModerationError::Exists(_)) => {
            let mut errors = HashMap::new();
            errors.insert("name", "errors.exists");
            Ok(respond(
                StatusCode::UNPROCESSABLE_ENTITY,
                &fields(&values, &errors),
                None,
                false,
                shown.as_ref(),
                cookie,
            ))
        }
        Err(other) => Err(WebError::Internal(other.to_string())),
    }
}

/// The administrator's cookie value: a digest of the token, never the token itself.
fn admin_digest(token: &str) -> String {
    format!(
        "{:x}",
        Sha256::digest(format!("bulletin-admin\n{token}").as_bytes())
    )
}

fn signed_in(req: &HttpRequest, state: &AppState) -> bool {
    let expected = state
        .registration
        .as_ref()
        .and_then(|r| r.admin_token.as_deref())
        .map(admin_digest);
    match (req.cookie(ADMIN_COOKIE), expected) {
        (Some(cookie), Some(expected)) => same(cookie.value(), &expected),
        _ => false,
    }
}

/// A request from the signed-in administrator; anyone else gets 403.
pub struct Admin;

impl FromRequest for Admin {
    type Error = actix_web::Error;
    type Future = std::future::Ready<Result<Admin, actix_web::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let allowed = req
            .app_data::<web::Data<AppState>>()
            .is_some_and(|state| signed_in(req, state));
        std::future::ready(if allowed {
            Ok(Admin)
        } else {
            Err(WebError::client(
                req,
                StatusCode::FORBIDDEN,
                Problem::new(
                    format!("Sign in at {} first.", routes::ADMIN),
                    format!("Connectez-vous d’abord à {}.", routes::ADMIN),
                ),
            )
            .into())
        })
    }
}

/// How the moderation page answers: status, message, cookie to set, signed-in state.
#[derive(Default)]
pub(super) struct Reply<'a> {
    pub(super) status: Option<StatusCode>,
    pub(super) message_key: Option<&'static str>,
    pub(super) message_detail: Option<&'a str>,
    pub(super) cookie: Option<Cookie<'static>>,
    /// Set when this request changes it (sign in, sign out).
    pub(super) signed_in: Option<bool>,
}

impl Reply<'_> {
    pub(super) fn refused(key: &'static str) -> Reply<'static> {
        Reply {
            status: Some(StatusCode::FORBIDDEN),
            message_key: Some(key),
            ..Reply::default()
        }
    }
}

pub(super) async fn admin_reply(
    req: &HttpRequest,
    state: &AppState,
    reply: Reply<'_>,
) -> Result<HttpResponse, WebError> {
    let query = ViewQuery::read(req, state.timezone)?;
    let lang = language(req, &query);
    let (token, cookie) = csrf(req, csrf_key(state).await?);
    let disabled = state
        .registration
        .as_ref()
        .and_then(|r| r.admin_token.as_ref())
        .is_none();
    let is_signed_in = reply.signed_in.unwrap_or_else(|| signed_in(req, state));
    let pending: Vec<PendingRow> = if is_signed_in {
        let store = state.store.clone();
        web::block(move || store.registrations("pending"))
            .await??
            .into_iter()
            .map(|r| PendingRow {
                id: r.source.id.clone(),
                name: r.source.name.clone(),
                url: r.source.location.to_string(),
                department: r.source.department.clone(),
                tags: r.source.tags.join(", "),
                contact: r.contact_email.unwrap_or_default(),
                submitted: r
                    .submitted
                    .map(|t| Dates::new(lang, state.style).date_time(t, state.timezone))
                    .unwrap_or_default(),
            })
            .collect()
    } else {
        Vec::new()
    };
    let submissions_html = if is_signed_in {
        submissions_section(state, lang, &token).await?
    } else {
        String::new()
    };
    let modified = form_modified(state, lang);
    let body = admin_page(&AdminView {
        lang,
        modified: &modified,
        switch_url: &switch_url(routes::ADMIN, &query, lang),
        csrf: &token,
        disabled,
        signed_in: is_signed_in,
        message_key: reply.message_key,
        message_detail: reply.message_detail,
        pending: &pending,
        submissions_html: &submissions_html,
    });
    let mut response = page(reply.status.unwrap_or(StatusCode::OK), body, lang, cookie);
    if let Some(extra) = reply.cookie {
        response
            .add_cookie(&extra)
            .map_err(|e| WebError::Internal(e.to_string()))?;
    }
    Ok(response)
}

/// The moderation page's list of submitted events waiting for a decision.
async fn submissions_section(state: &AppState, lang: Lang, csrf: &str) -> Result<String, WebError> {
    use crate::render::html::submit::{SubmissionRow, admin_submissions};
    let store = state.store.clone();
    let pending =
        web::block(move || store.submissions(crate::store::SubmissionState::Pending)).await??;
    let dates = Dates::new(lang, state.style);
    let rows: Vec<SubmissionRow> = pending
        .iter()
        .map(|p| {
            let events = p
                .submission
                .events(p.id, crate::model::EventStatus::Confirmed);
            let when = events
                .first()
                .map(|e| crate::render::dates::event_when(dates, state.timezone, e, true))
                .unwrap_or_default();
            let place = [p.submission.place.clone(), p.submission.online_url.clone()]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join(" — ");
            SubmissionRow {
                id: p.id,
                title: [p.submission.title_en.clone(), p.submission.title_fr.clone()]
                    .into_iter()
                    .flatten()
                    .collect::<Vec<_>>()
                    .join(" / "),
                when,
                place,
                department: p.submission.department.clone(),
                contact: p.submission.contact.clone(),
                submitted: dates.date_time(p.submitted_at, state.timezone),
                edit_url: crate::render::html::submit::admin_action(p.id, lang),
            }
        })
        .collect();
    Ok(admin_submissions(lang, csrf, &rows))
}

/// `GET /admin`.
pub async fn admin(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, WebError> {
    admin_reply(&req, &state, Reply::default()).await
}

/// `POST /admin/login`.
pub async fn login(
    req: HttpRequest,
    state: web::Data<AppState>,
    form: web::Form<HashMap<String, String>>,
) -> Result<HttpResponse, WebError> {
    if rate_limited(&state, &req) {
        let reply = Reply {
            status: Some(StatusCode::TOO_MANY_REQUESTS),
            message_key: Some("errors.rate"),
            ..Reply::default()
        };
        return admin_reply(&req, &state, reply).await;
    }
    if !csrf_ok(&req, csrf_key(&state).await?, &form) {
        return admin_reply(&req, &state, Reply::refused("errors.csrf")).await;
    }
    let expected = state
        .registration
        .as_ref()
        .and_then(|r| r.admin_token.clone());
    let given = form.get("token").cloned().unwrap_or_default();
    match expected {
        Some(token) if !given.is_empty() && same(&admin_digest(&given), &admin_digest(&token)) => {
            let secure = state
                .base_url
                .as_ref()
                .is_some_and(|u| u.scheme() == "https");
            let cookie = Cookie::build(ADMIN_COOKIE, admin_digest(&token))
                .path(routes::ADMIN)
                .http_only(true)
                .secure(secure)
                .same_site(SameSite::Strict)
                .finish();
            admin_reply(
                &req,
                &state,
                Reply {
                    cookie: Some(cookie),
                    signed_in: Some(true),
                    ..Reply::default()
                },
            )
            .await
        }
        _ => {
            admin_reply(
                &req,
                &state,
                Reply {
                    signed_in: Some(false),
                    ..Reply::refused("admin.bad_token")
                },
            )
            .await
        }
    }
}

/// `POST /admin/logout`.
pub async fn logout(
    req: HttpRequest,
    state: web::Data<AppState>,
    form: web::Form<HashMap<String, String>>,
) -> Result<HttpResponse, WebError> {
    if !csrf_ok(&req, csrf_key(&state).await?, &form) {
        return admin_reply(&req, &state, Reply::refused("errors.csrf")).await;
    }
    let mut gone = Cookie::build(ADMIN_COOKIE, "").path(routes::ADMIN).finish();
    gone.make_removal();
    admin_reply(
        &req,
        &state,
        Reply {
            cookie: Some(gone),
            signed_in: Some(false),
            ..Reply::default()
        },
    )
    .await
}

/// `POST /admin/sources/{id}`: approve (and fetch at once) or reject.
pub async fn decide(
    req: HttpRequest,
    _admin: Admin,
    path: web::Path<String>,
    state: web::Data<AppState>,
    form: web::Form<HashMap<String, String>>,
) -> Result<HttpResponse, WebError> {
    if !csrf_ok(&req, csrf_key(&state).await?, &form) {
        return admin_reply(&req, &state, Reply::refused("errors.csrf")).await;
    }
    let id = path.into_inner();
    let approve = form.get("decision").map(String::as_str) == Some("approve");
    let store = state.store.clone();
    let source = match web::block(move || store.moderate_source(&id, approve)).await? {
        Ok(source) => source,
        Err(error) => {
            return Err(WebError::bad_request(
                &req,
                Problem::new(
                    format!("This decision cannot be made: {error}."),
                    format!("Cette décision est impossible : {error}."),
                ),
            ));
        }
    };
    if approve && let Some(registration) = &state.registration {
        // Scheduled at once: the first fetch runs now, later ones on the schedule.
        let refresher = registration.refresher.clone();
        let store = state.store.clone();
        let id = source.id.clone();
        let work = async move {
            let found = tokio::task::spawn_blocking(move || store.source(&id)).await;
            if let Ok(Ok((source, source_state))) = found {
                refresher.refresh_source(&source, &source_state).await;
            }
        };
        match &state.runtime {
            Some(runtime) => drop(runtime.spawn(work)),
            None => drop(actix_web::rt::spawn(work)),
        }
    }
    let key = if approve {
        "admin.approved"
    } else {
        "admin.rejected"
    };
    admin_reply(
        &req,
        &state,
        Reply {
            message_key: Some(key),
            message_detail: Some(&source.name),
            ..Reply::default()
        },
    )
    .await
}
