//! The weekly digest on the web: `/digest` (this week's digest with the listing's
//! filters, printable, with the form to get it by email) and `/digest.rss`; the
//! subscription's steps — the form's POST (CSRF and rate limits as the other forms,
//! allowed domains, a confirmation email), and the pages its emails link to (confirm,
//! one-click unsubscribe per RFC 8058, manage), each changing nothing on GET, since mail
//! scanners follow links; and the administrator's page (subscribers per filter, refused
//! addresses, pausing).

use std::collections::HashMap;

use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, web};
use chrono::Duration;

use super::page::{language, origin, switch_url};
use super::query::ViewQuery;
use super::registration::{Admin, csrf, csrf_key, csrf_ok, form_modified, page, rate_limited};
use super::{AppState, WebError, routes};
use crate::digest::{DigestSettings, Filter, Outgoing, Week, content_blocking, described, links};
use crate::i18n::Lang;
use crate::render::dates::Dates;
use crate::render::digest::{
    AdminDigestView, AdminFailureRow, AdminFilterRow, ConfirmEmail, DigestPageView, DigestView,
    FeedWeek, MessagePage, PageAction, SubscribeForm, admin_digest_page, confirm_email_html,
    confirm_email_text, digest_page, digest_rss, message_page,
};
use crate::render::html::Modified;
use crate::store::{Subscribed, Subscription, TokenPurpose};

/// How many weeks the feed carries.
const FEED_WEEKS: u32 = 4;

/// The digest's settings: the configured ones, else the defaults (the web view works
/// without mail).
fn settings(state: &AppState) -> DigestSettings {
    state
        .digest
        .as_ref()
        .map(|d| d.settings.clone())
        .unwrap_or_default()
}

fn filter_of(query: &ViewQuery) -> Filter {
    let mut filter = Filter {
        sources: query.sources.clone(),
        tags: query.tags.clone(),
        departments: query.departments.clone(),
        text: query.text.clone(),
    };
    filter.normalise();
    filter
}

/// The `week` parameter (a first day), else the week due now.
fn week_of(req: &HttpRequest, state: &AppState) -> Week {
    let settings = settings(state);
    let asked = url::form_urlencoded::parse(req.query_string().as_bytes())
        .find(|(k, _)| k == "week")
        .and_then(|(_, v)| Week::parse_key(&v));
    match asked {
        Some(day) => Week::starting(day, settings.time, state.timezone),
        None => Week::due_at(
            state.clock.now(),
            settings.weekday,
            settings.time,
            state.timezone,
        ),
    }
}

/// The subscription form for `filter` in `lang` (hidden fields keep the filters).
pub fn subscribe_form(state: &AppState, lang: Lang, token: &str, filter: &Filter) -> SubscribeForm {
    let mut hidden = Vec::new();
    for (name, values) in [
        ("source", &filter.sources),
        ("tag", &filter.tags),
        ("department", &filter.departments),
    ] {
        hidden.extend(values.iter().map(|v| (name.to_string(), v.clone())));
    }
    if let Some(text) = &filter.text {
        hidden.push(("q".to_string(), text.clone()));
    }
    let day = lang.t(weekday_key(settings(state).weekday));
    SubscribeForm::new(lang, token, hidden, &described(filter, lang), day)
}

/// `GET /digest`.
pub async fn digest(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, WebError> {
    let query = ViewQuery::read(&req, state.timezone)?;
    let lang = language(&req, &query);
    let filter = filter_of(&query);
    let week = week_of(&req, &state);
    let max = settings(&state).max_events;
    let (store, f) = (state.store.clone(), filter.clone());
    let content = web::block(move || content_blocking(&store, &f, &week, max)).await??;
    let origin = origin(&req, &state);
    let links = links(&origin, &filter, lang, Some(&week), None, None);
    let filters = described(&filter, lang);
    let view = DigestView {
        lang,
        style: state.style,
        zone: state.timezone,
        first_day: week.first_day,
        last_day: week.last_day(),
        filters: &filters,
        content: &content,
        links: &links,
    };
    let (form, cookie) = if state.digest.is_some() {
        let (token, cookie) = csrf(&req, csrf_key(&state).await?);
        (Some(subscribe_form(&state, lang, &token, &filter)), cookie)
    } else {
        (None, None)
    };
    let mut lang_query = filter.to_query();
    if !lang_query.is_empty() {
        lang_query.push('&');
    }
    lang_query.push_str(&format!("lang={}", lang.code()));
    let previous = format!("{lang_query}&week={}", week.previous().key());
    let switch = switch_url(routes::DIGEST, &query, lang);
    let switch = format!("{switch}&week={}", week.key());
    let body = digest_page(&DigestPageView {
        digest: &view,
        modified: Modified::latest(
            Dates::new(lang, state.style),
            content.events.iter().map(|e| e.changed),
            state.clock.now(),
            state.timezone,
        ),
        switch_url: &switch,
        rss_url: &routes::digest_rss(&lang_query),
        previous_url: Some(&routes::digest(&previous)),
        form: form.as_ref(),
    });
    Ok(page(StatusCode::OK, body, lang, cookie))
}

/// `GET /digest.rss`: the last few weeks, newest first.
pub async fn rss(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, WebError> {
    let query = ViewQuery::read(&req, state.timezone)?;
    let lang = query.lang.unwrap_or(Lang::En);
    let filter = filter_of(&query);
    let max = settings(&state).max_events;
    let mut weeks = vec![week_of(&req, &state)];
    for _ in 1..FEED_WEEKS {
        weeks.push(weeks.last().expect("one at least").previous());
    }
    let (store, f, w) = (state.store.clone(), filter.clone(), weeks.clone());
    let contents = web::block(move || {
        w.iter()
            .map(|week| content_blocking(&store, &f, week, max))
            .collect::<Result<Vec<_>, _>>()
    })
    .await??;
    let origin = origin(&req, &state);
    let filters = described(&filter, lang);
    let all_links: Vec<_> = weeks
        .iter()
        .map(|week| links(&origin, &filter, lang, Some(week), None, None))
        .collect();
    let feed: Vec<FeedWeek<'_>> = weeks
        .iter()
        .zip(&contents)
        .zip(&all_links)
        .map(|((week, content), links)| FeedWeek {
            digest: DigestView {
                lang,
                style: state.style,
                zone: state.timezone,
                first_day: week.first_day,
                last_day: week.last_day(),
                filters: &filters,
                content,
                links,
            },
            sent: week.send_at,
        })
        .collect();
    let mut lang_query = filter.to_query();
    if !lang_query.is_empty() {
        lang_query.push('&');
    }
    lang_query.push_str(&format!("lang={}", lang.code()));
    let body = digest_rss(
        lang,
        &format!("{origin}{}", routes::digest_rss(&lang_query)),
        &format!("{origin}{}", routes::digest(&lang_query)),
        &feed,
    );
    Ok(HttpResponse::Ok()
        .content_type("application/rss+xml; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "no-cache"))
        .body(body))
}

/// A message page in `lang`.
fn message(
    req: &HttpRequest,
    state: &AppState,
    status: StatusCode,
    lang: Lang,
    page_view: &MessagePage,
    cookie: Option<actix_web::cookie::Cookie<'static>>,
) -> Result<HttpResponse, WebError> {
    let query = ViewQuery::read(req, state.timezone)?;
    let path = req.path().to_string();
    let body = message_page(
        lang,
        &form_modified(state, lang),
        &switch_url(&path, &query, lang),
        page_view,
    );
    Ok(page(status, body, lang, cookie))
}

fn listing_link(filter: &Filter, lang: Lang) -> String {
    let mut query = filter.to_query();
    if !query.is_empty() {
        query.push('&');
    }
    query.push_str(&format!("lang={}", lang.code()));
    routes::listing(&query)
}

/// Whether an address looks like one: local part, `@`, a dotted domain, no spaces.
fn valid_email(email: &str) -> bool {
    email.len() <= 254
        && !email.contains(char::is_whitespace)
        && email.parse::<lettre::Address>().is_ok()
        && email
            .rsplit_once('@')
            .is_some_and(|(_, domain)| domain.contains('.') && !domain.ends_with('.'))
}

/// `POST /digest/subscribe`.
pub async fn subscribe(
    req: HttpRequest,
    state: web::Data<AppState>,
    form: web::Form<Vec<(String, String)>>,
) -> Result<HttpResponse, WebError> {
    let pairs = form.into_inner();
    let values: HashMap<String, String> = pairs.iter().cloned().collect();
    let query_text = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs.iter())
        .finish();
    let filter = Filter::parse(&query_text);
    let lang = values
        .get("lang")
        .and_then(|l| Lang::from_code(l))
        .unwrap_or_else(|| language(&req, &ViewQuery::default()));
    let key = csrf_key(&state).await?;
    let (token, cookie) = csrf(&req, key);
    let email = values
        .get("email")
        .map(|e| e.trim().to_string())
        .unwrap_or_default();
    let retry = |status: StatusCode, error: String| {
        let mut form = subscribe_form(&state, lang, &token, &filter);
        form.email = email.clone();
        form.error = Some(error);
        let mut view = MessagePage::new("digest.form.title", "digest.form.hint.all");
        view.message_keys.clear();
        view.form = Some(form);
        view.link = Some(listing_link(&filter, lang));
        (status, view)
    };
    let (status, view) = if rate_limited(&state, &req) {
        retry(
            StatusCode::TOO_MANY_REQUESTS,
            lang.t("errors.rate").to_string(),
        )
    } else if !csrf_ok(&req, key, &values) {
        retry(StatusCode::FORBIDDEN, lang.t("errors.csrf").to_string())
    } else if state.digest.is_none() {
        retry(
            StatusCode::SERVICE_UNAVAILABLE,
            lang.t("digest.errors.disabled").to_string(),
        )
    } else if !valid_email(&email) {
        retry(
            StatusCode::UNPROCESSABLE_ENTITY,
            lang.t("digest.errors.email").to_string(),
        )
    } else if !settings(&state).allows(&email) {
        let domains = settings(&state).allowed_email_domains.join(", ");
        retry(
            StatusCode::UNPROCESSABLE_ENTITY,
            lang.t("digest.errors.domain")
                .replace("{domains}", &domains),
        )
    } else {
        let digests = state.digest.clone().expect("checked above");
        let settings = digests.settings.clone();
        let (store, e, f, now) = (
            state.store.clone(),
            email.clone(),
            filter.to_query(),
            state.clock.now(),
        );
        let send_empty = values.get("send_empty").is_some_and(|v| v == "1");
        let asked = web::block(move || {
            store.subscribe(
                &e,
                &f,
                lang.code(),
                send_empty,
                now,
                Duration::hours(settings.confirm_hours),
                settings.max_confirmations_per_day,
            )
        })
        .await??;
        match asked {
            Subscribed::TooMany(_) => retry(
                StatusCode::TOO_MANY_REQUESTS,
                lang.t("digest.errors.too_many").to_string(),
            ),
            Subscribed::Confirm(subscription, confirm) => {
                match send_confirmation(&state, &digests, &subscription, &confirm, lang).await {
                    Ok(()) => {
                        let mut view =
                            MessagePage::new("digest.subscribe.title", "digest.subscribe.sent");
                        view.link = Some(listing_link(&filter, lang));
                        (StatusCode::OK, view)
                    }
                    Err(error) => {
                        tracing::warn!("digest: confirmation to {email}: {error}");
                        retry(
                            StatusCode::SERVICE_UNAVAILABLE,
                            lang.t("digest.errors.mail").to_string(),
                        )
                    }
                }
            }
        }
    };
    let mut response = message(&req, &state, status, lang, &view, cookie)?;
    if status == StatusCode::TOO_MANY_REQUESTS {
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, header::HeaderValue::from_static("60"));
    }
    Ok(response)
}

async fn send_confirmation(
    state: &AppState,
    digests: &crate::digest::Digests,
    subscription: &Subscription,
    token: &str,
    lang: Lang,
) -> Result<(), crate::digest::SendError> {
    let filter = Filter::parse(&subscription.filter);
    let words = described(&filter, lang)
        .iter()
        .map(|(key, value)| format!("{} {value}", lang.t(key)))
        .collect::<Vec<_>>()
        .join(", ");
    let filters = if words.is_empty() {
        lang.t("digest.filters.none").to_string()
    } else {
        lang.t("digest.filters").replace("{filters}", &words)
    };
    let url = format!(
        "{}{}",
        digests.origin,
        routes::digest_step(routes::DIGEST_CONFIRM, token)
    );
    let email = ConfirmEmail {
        lang,
        filters: &filters,
        confirm_url: &url,
        hours: digests.settings.confirm_hours,
    };
    let subject = email.subject();
    let message = digests.mailer.message(&Outgoing {
        to: &subscription.email,
        lang,
        subject: &subject,
        text: confirm_email_text(&email),
        html: confirm_email_html(&email),
        message_id: None,
        unsubscribe: None,
    })?;
    let _ = state;
    digests
        .mailer
        .send_with_retries(
            &message,
            digests.settings.attempts.min(2),
            digests.settings.retry_delay,
        )
        .await
        .map(|_| ())
        .map_err(|(_, e)| e)
}

/// The token of a link: in the query (links) or the form (buttons).
fn token_of(req: &HttpRequest, form: Option<&HashMap<String, String>>) -> String {
    form.and_then(|f| f.get("token").cloned())
        .or_else(|| {
            url::form_urlencoded::parse(req.query_string().as_bytes())
                .find(|(k, _)| k == "token")
                .map(|(_, v)| v.into_owned())
        })
        .filter(|t| t.len() == 64 && t.bytes().all(|b| b.is_ascii_hexdigit()))
        .unwrap_or_default()
}

fn invalid_link(req: &HttpRequest, state: &AppState, lang: Lang) -> Result<HttpResponse, WebError> {
    let mut view = MessagePage::new("digest.form.title", "digest.link.invalid");
    view.link = Some(listing_link(&Filter::default(), lang));
    message(req, state, StatusCode::GONE, lang, &view, None)
}

fn lang_of(subscription: &Subscription) -> Lang {
    Lang::from_code(&subscription.language).unwrap_or(Lang::En)
}

fn filters_line(subscription: &Subscription, lang: Lang) -> String {
    let filter = Filter::parse(&subscription.filter);
    let words = described(&filter, lang)
        .iter()
        .map(|(key, value)| format!("{} {value}", lang.t(key)))
        .collect::<Vec<_>>()
        .join(", ");
    if words.is_empty() {
        lang.t("digest.filters.none").to_string()
    } else {
        lang.t("digest.filters").replace("{filters}", &words)
    }
}

async fn find(
    state: &AppState,
    token: &str,
    purposes: &'static [TokenPurpose],
) -> Result<Option<Subscription>, WebError> {
    if token.is_empty() {
        return Ok(None);
    }
    let (store, t, now) = (state.store.clone(), token.to_string(), state.clock.now());
    Ok(
        web::block(move || store.token_subscription(&t, purposes, now))
            .await??
            .map(|(s, _)| s),
    )
}

fn page_lang(req: &HttpRequest, state: &AppState, subscription: Option<&Subscription>) -> Lang {
    match ViewQuery::read(req, state.timezone)
        .ok()
        .and_then(|q| q.lang)
    {
        Some(lang) => lang,
        None => subscription.map_or_else(|| language(req, &ViewQuery::default()), lang_of),
    }
}

fn hidden_token(token: &str) -> Vec<(String, String)> {
    vec![("token".to_string(), token.to_string())]
}

/// `GET /digest/confirm?token=`: a button (a link alone changes nothing).
pub async fn confirm_form(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, WebError> {
    let confirm = LinkPage {
        purposes: &[TokenPurpose::Confirm],
        title: "digest.confirm.title",
        prompt: "digest.confirm.prompt",
        action: routes::DIGEST_CONFIRM,
        button: "digest.confirm.button",
    };
    confirm.show(&req, &state).await
}

/// What a link from an email opens: the subscription its token names, a prompt, and one
/// button that posts the token to `action` (mail scanners follow links, never buttons).
struct LinkPage {
    purposes: &'static [TokenPurpose],
    title: &'static str,
    prompt: &'static str,
    action: &'static str,
    button: &'static str,
}

impl LinkPage {
    async fn show(&self, req: &HttpRequest, state: &AppState) -> Result<HttpResponse, WebError> {
        let token = token_of(req, None);
        let found = find(state, &token, self.purposes).await?;
        let lang = page_lang(req, state, found.as_ref());
        let Some(subscription) = found else {
            return invalid_link(req, state, lang);
        };
        let mut view = MessagePage::new(self.title, self.prompt).button(
            self.action.to_string(),
            hidden_token(&token),
            self.button,
        );
        view.detail = Some(format!(
            "{} — {}",
            subscription.email,
            filters_line(&subscription, lang)
        ));
        message(req, state, StatusCode::OK, lang, &view, None)
    }
}

/// `POST /digest/confirm`.
pub async fn confirm(
    req: HttpRequest,
    state: web::Data<AppState>,
    form: web::Form<HashMap<String, String>>,
) -> Result<HttpResponse, WebError> {
    let token = token_of(&req, Some(&form));
    let lang = page_lang(&req, &state, None);
    if rate_limited(&state, &req) {
        return too_many(&req, &state, lang, "digest.confirm.title");
    }
    let (store, t, now) = (state.store.clone(), token.clone(), state.clock.now());
    let Some(subscription) = web::block(move || store.confirm_subscription(&t, now)).await?? else {
        return invalid_link(&req, &state, lang);
    };
    let lang = lang_of(&subscription);
    let manage = manage_token(&state, &subscription).await?;
    let mut view = MessagePage::new("digest.confirm.title", "digest.confirmed");
    view.detail = Some(filters_line(&subscription, lang));
    view.link = Some(routes::digest_step(routes::DIGEST_MANAGE, &manage));
    view.link_key = "digest.manage";
    message(&req, &state, StatusCode::OK, lang, &view, None)
}

/// The answer to a link's POST beyond the rate limit: a page titled `title`.
fn too_many(
    req: &HttpRequest,
    state: &AppState,
    lang: Lang,
    title: &'static str,
) -> Result<HttpResponse, WebError> {
    let view = MessagePage::new(title, "errors.rate");
    message(req, state, StatusCode::TOO_MANY_REQUESTS, lang, &view, None)
}

async fn manage_token(state: &AppState, subscription: &Subscription) -> Result<String, WebError> {
    let days = settings(state).link_days;
    let (store, id, now) = (state.store.clone(), subscription.id, state.clock.now());
    Ok(
        web::block(move || store.issue_token(id, TokenPurpose::Manage, now, Duration::days(days)))
            .await??,
    )
}

/// `GET /digest/unsubscribe?token=`: a button; the POST (the button, or a mail
/// program's one-click request per RFC 8058) unsubscribes.
pub async fn unsubscribe_form(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, WebError> {
    let unsubscribe = LinkPage {
        purposes: &[TokenPurpose::Unsubscribe, TokenPurpose::Manage],
        title: "digest.unsubscribe.title",
        prompt: "digest.unsubscribe.prompt",
        action: routes::DIGEST_UNSUBSCRIBE,
        button: "digest.unsubscribe.button",
    };
    unsubscribe.show(&req, &state).await
}

/// `POST /digest/unsubscribe` (token in the query or the form).
pub async fn unsubscribe(
    req: HttpRequest,
    state: web::Data<AppState>,
    form: web::Form<HashMap<String, String>>,
) -> Result<HttpResponse, WebError> {
    let token = token_of(&req, Some(&form));
    let lang = page_lang(&req, &state, None);
    if rate_limited(&state, &req) {
        return too_many(&req, &state, lang, "digest.unsubscribe.title");
    }
    let (store, t, now) = (state.store.clone(), token.clone(), state.clock.now());
    let Some(subscription) = web::block(move || store.unsubscribe(&t, now)).await?? else {
        return invalid_link(&req, &state, lang);
    };
    let lang = lang_of(&subscription);
    let mut view = MessagePage::new("digest.unsubscribe.title", "digest.unsubscribed");
    view.detail = Some(filters_line(&subscription, lang));
    view.link = Some(listing_link(&Filter::parse(&subscription.filter), lang));
    message(&req, &state, StatusCode::OK, lang, &view, None)
}

fn manage_view(subscription: &Subscription, token: &str, lang: Lang, saved: bool) -> MessagePage {
    let mut view = MessagePage::new(
        "digest.manage.title",
        if saved {
            "digest.manage.saved"
        } else {
            "digest.manage.intro"
        },
    );
    if saved {
        view.message_keys.push("digest.manage.intro");
    }
    view.detail = Some(format!(
        "{} — {}",
        subscription.email,
        filters_line(subscription, lang)
    ));
    view.action = Some(PageAction {
        url: routes::DIGEST_MANAGE.to_string(),
        hidden: hidden_token(token),
        button_key: "digest.manage.save",
        manage: true,
        language: subscription.language.clone(),
        send_empty: subscription.send_empty,
    });
    view
}

/// `GET /digest/manage?token=`.
pub async fn manage_form(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, WebError> {
    let token = token_of(&req, None);
    let found = find(&state, &token, &[TokenPurpose::Manage]).await?;
    let lang = page_lang(&req, &state, found.as_ref());
    let Some(subscription) = found else {
        return invalid_link(&req, &state, lang);
    };
    let view = manage_view(&subscription, &token, lang, false);
    message(&req, &state, StatusCode::OK, lang, &view, None)
}

/// `POST /digest/manage`: save (the token is spent and a new one given) or unsubscribe.
pub async fn manage(
    req: HttpRequest,
    state: web::Data<AppState>,
    form: web::Form<HashMap<String, String>>,
) -> Result<HttpResponse, WebError> {
    if form.get("action").map(String::as_str) == Some("unsubscribe") {
        return unsubscribe(req, state, form).await;
    }
    let token = token_of(&req, Some(&form));
    let lang = page_lang(&req, &state, None);
    if rate_limited(&state, &req) {
        return too_many(&req, &state, lang, "digest.manage.title");
    }
    let language = form
        .get("language")
        .and_then(|l| Lang::from_code(l))
        .unwrap_or(lang);
    let send_empty = form.get("send_empty").is_some_and(|v| v == "1");
    let days = settings(&state).link_days;
    let (store, t, now) = (state.store.clone(), token.clone(), state.clock.now());
    let updated = web::block(move || {
        store.update_subscription(&t, language.code(), send_empty, now, Duration::days(days))
    })
    .await??;
    let Some((subscription, fresh)) = updated else {
        return invalid_link(&req, &state, lang);
    };
    let lang = lang_of(&subscription);
    let view = manage_view(&subscription, &fresh, lang, true);
    message(&req, &state, StatusCode::OK, lang, &view, None)
}

/// `GET /admin/digest`.
pub async fn admin(
    req: HttpRequest,
    _admin: Admin,
    state: web::Data<AppState>,
) -> Result<HttpResponse, WebError> {
    admin_reply(&req, &state, None).await
}

/// `POST /admin/digest`: pause or resume sending.
pub async fn admin_toggle(
    req: HttpRequest,
    _admin: Admin,
    state: web::Data<AppState>,
    form: web::Form<HashMap<String, String>>,
) -> Result<HttpResponse, WebError> {
    if !csrf_ok(&req, csrf_key(&state).await?, &form) {
        return admin_reply(&req, &state, Some("errors.csrf")).await;
    }
    let paused = form.get("paused").map(String::as_str) == Some("1");
    let store = state.store.clone();
    web::block(move || store.set_digest_paused(paused)).await??;
    let key = if paused {
        "digest.admin.paused_now"
    } else {
        "digest.admin.resumed_now"
    };
    admin_reply(&req, &state, Some(key)).await
}

async fn admin_reply(
    req: &HttpRequest,
    state: &AppState,
    message_key: Option<&'static str>,
) -> Result<HttpResponse, WebError> {
    let query = ViewQuery::read(req, state.timezone)?;
    let lang = language(req, &query);
    let (token, cookie) = csrf(req, csrf_key(state).await?);
    let week = week_of(req, state);
    let (store, key) = (state.store.clone(), week.key());
    let (paused, counts, failures, deliveries) = web::block(move || {
        Ok::<_, crate::store::StoreError>((
            store.digest_paused()?,
            store.subscriber_counts()?,
            store.mail_failures()?,
            store.delivery_counts(&key)?,
        ))
    })
    .await??;
    let dates = Dates::new(lang, state.style);
    let filters: Vec<AdminFilterRow> = counts
        .into_iter()
        .map(|count| {
            let filter = Filter::parse(&count.filter);
            let words = described(&filter, lang)
                .iter()
                .map(|(key, value)| format!("{} {value}", lang.t(key)))
                .collect::<Vec<_>>()
                .join(", ");
            let mut query = count.filter.clone();
            if !query.is_empty() {
                query.push('&');
            }
            query.push_str(&format!("lang={}", lang.code()));
            AdminFilterRow {
                label: if words.is_empty() {
                    lang.t("digest.admin.all").to_string()
                } else {
                    words
                },
                view: routes::digest(&query),
                active: count.active,
                pending: count.pending,
            }
        })
        .collect();
    let failures: Vec<AdminFailureRow> = failures
        .into_iter()
        .map(|f| AdminFailureRow {
            when: dates.date_time(f.failed, state.timezone),
            email: f.email,
            reason: f.reason,
        })
        .collect();
    let n = |status: &str| deliveries.get(status).copied().unwrap_or(0);
    let week_summary = lang
        .t("digest.admin.summary")
        .replace("{week}", &dates.date_range(week.first_day, week.last_day()))
        .replace("{due}", &dates.date_time(week.send_at, state.timezone))
        .replace("{sent}", &dates.number(n("sent")))
        .replace("{empty}", &dates.number(n("empty")))
        .replace("{retry}", &dates.number(n("deferred") + n("sending")))
        .replace("{failed}", &dates.number(n("failed")));
    let settings = settings(state);
    let schedule = lang
        .t("digest.admin.schedule")
        .replace("{day}", lang.t(weekday_key(settings.weekday)))
        .replace("{time}", &dates.time(settings.time, false));
    let modified = form_modified(state, lang);
    let body = admin_digest_page(&AdminDigestView {
        lang,
        modified: &modified,
        switch_url: &switch_url(routes::ADMIN_DIGEST, &query, lang),
        csrf: &token,
        message_key,
        paused,
        schedule,
        week_summary,
        filters: &filters,
        failures: &failures,
    });
    let status = if message_key == Some("errors.csrf") {
        StatusCode::FORBIDDEN
    } else {
        StatusCode::OK
    };
    Ok(page(status, body, lang, cookie))
}

fn weekday_key(day: chrono::Weekday) -> &'static str {
    match day {
        chrono::Weekday::Mon => "digest.day.mon",
        chrono::Weekday::Tue => "digest.day.tue",
        chrono::Weekday::Wed => "digest.day.wed",
        chrono::Weekday::Thu => "digest.day.thu",
        chrono::Weekday::Fri => "digest.day.fri",
        chrono::Weekday::Sat => "digest.day.sat",
        chrono::Weekday::Sun => "digest.day.sun",
    }
}
