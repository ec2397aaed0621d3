//! The event pages: `/` (upcoming events, filtered and paginated), `/archive` (past
//! events), and `/events/{uid}` (one event; `/events/{uid}.ics` is the calendar layer's).

use actix_web::{HttpRequest, HttpResponse, web};

use super::page::{html, language, origin, switch_url};
use super::query::ViewQuery;
use super::{AppState, WebError, routes};
use crate::i18n::Lang;
use crate::render::html::events::{
    EventView, EventsView, Facets, FormValues, event_page, events_page,
};
use crate::render::links::{add_to_calendar, subscription};
use crate::store::Store;

const PAGE_SIZE: u32 = 50;

/// What the filter form offers (blocking: call inside `web::block`): every department
/// with a fetched source or with events listed, whatever their sources (a department's
/// "Submitted events" is not fetched); the fetched sources' tags and names.
fn facets_blocking(store: &Store) -> Result<Facets, WebError> {
    let sources = store.active_sources()?;
    let mut facets = Facets {
        departments: store.event_departments()?,
        ..Facets::default()
    };
    for (source, _) in sources {
        for tag in &source.tags {
            if !facets.tags.contains(tag) {
                facets.tags.push(tag.clone());
            }
        }
        facets
            .sources
            .push((source.id.clone(), source.name.clone()));
    }
    facets.tags.sort();
    facets.sources.sort_by(|a, b| a.1.cmp(&b.1));
    Ok(facets)
}

fn form_values(query: &ViewQuery) -> FormValues {
    let first = |list: &[String]| list.first().cloned().unwrap_or_default();
    FormValues {
        q: query.text.clone().unwrap_or_default(),
        department: first(&query.departments),
        tag: first(&query.tags),
        source: first(&query.sources),
        from: query.from.clone().unwrap_or_default(),
        to: query.to.clone().unwrap_or_default(),
    }
}

/// The same view on another page.
fn page_url(path: &str, query: &ViewQuery, lang: Lang, page: u32) -> String {
    let mut q = query.filter_query();
    if !q.is_empty() {
        q.push('&');
    }
    q.push_str(&format!("lang={}&page={page}", lang.code()));
    routes::with_query(path, &q)
}

async fn listing(
    req: HttpRequest,
    state: web::Data<AppState>,
    archive: bool,
) -> Result<HttpResponse, WebError> {
    let query = ViewQuery::read(&req, state.timezone)?;
    let lang = language(&req, &query);
    let page = query.page.unwrap_or(1);
    let now = state.clock.now();
    let mut filter = query.event_filter(
        state.timezone,
        if archive { None } else { Some(now) },
        PAGE_SIZE + 1,
    );
    filter.limit = PAGE_SIZE + 1;
    filter.offset = (page - 1) * PAGE_SIZE;
    if archive {
        filter.descending = true;
        filter.to = Some(filter.to.map_or(now, |to| to.min(now)));
    }
    let store = state.store.clone();
    let post_filter = query.text.as_ref().map(|_| crate::store::PostFilter {
        limit: 10,
        ..query.filter()
    });
    let count_filter = filter.clone();
    let (mut events, total, facets, posts) = web::block(move || {
        let events = store.events(&filter)?;
        let total = store.count_events(&count_filter)?;
        // A search also looks through the blog roll.
        let posts = match post_filter {
            Some(filter) => store.posts(&filter)?,
            None => Vec::new(),
        };
        Ok::<_, WebError>((events, total, facets_blocking(&store)?, posts))
    })
    .await??;
    let posts: Vec<(String, Option<String>, String)> = posts
        .into_iter()
        .map(|p| (p.post.title, p.post.link, p.source_name))
        .collect();
    let has_next = events.len() > PAGE_SIZE as usize;
    events.truncate(PAGE_SIZE as usize);
    let path = if archive {
        routes::ARCHIVE
    } else {
        routes::LISTING
    };
    let name = format!(
        "{} {}",
        lang.t("calendar.title"),
        query
            .described(lang)
            .iter()
            .map(|(_, v)| v.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    );
    let subscribe = subscription(
        &origin(&req, &state),
        &calendar_query(&query, lang),
        name.trim(),
    );
    let form = form_values(&query);
    let dates_query = ViewQuery {
        from: None,
        to: None,
        ..query.clone()
    }
    .filter_query();
    // The weekly digest's form keeps the view's filters; its CSRF token comes with a cookie.
    let (digest_form, cookie) = if state.digest.is_some() && !archive {
        let (token, cookie) =
            super::registration::csrf(&req, super::registration::csrf_key(&state).await?);
        let filter = crate::digest::Filter {
            sources: query.sources.clone(),
            tags: query.tags.clone(),
            departments: query.departments.clone(),
            text: query.text.clone(),
        };
        (
            Some(super::digest::subscribe_form(&state, lang, &token, &filter)),
            cookie,
        )
    } else {
        (None, None)
    };
    let body = events_page(&EventsView {
        lang,
        style: state.style,
        zone: state.timezone,
        archive,
        switch_url: &switch_url(path, &query, lang),
        form: &form,
        dates_query: &dates_query,
        facets: &facets,
        subscribe: &subscribe,
        events: &events,
        total,
        offset: u64::from(page - 1) * u64::from(PAGE_SIZE),
        now,
        previous_page: (page > 1).then(|| page_url(path, &query, lang, page - 1)),
        next_page: has_next.then(|| page_url(path, &query, lang, page + 1)),
        posts: &posts,
        digest_form: digest_form.as_ref(),
    });
    let mut response = html(&req, body, lang, None).await;
    if let Some(cookie) = cookie {
        response
            .add_cookie(&cookie)
            .map_err(|e| WebError::Internal(e.to_string()))?;
    }
    Ok(response)
}

/// The calendar query matching a page's filters: everything but dates, which a
/// subscription leaves to its own window; and the reader's language, so the calendar
/// gives each event in it.
fn calendar_query(query: &ViewQuery, lang: Lang) -> String {
    let calendar = ViewQuery {
        sources: query.sources.clone(),
        tags: query.tags.clone(),
        departments: query.departments.clone(),
        text: query.text.clone(),
        lang: Some(lang),
        ..ViewQuery::default()
    };
    calendar.canonical()
}

pub async fn upcoming(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, WebError> {
    listing(req, state, false).await
}

pub async fn archive(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, WebError> {
    listing(req, state, true).await
}

/// `/events/{uid}` (a page) or `/events/{uid}.ics` (the event as a calendar).
pub async fn event(
    req: HttpRequest,
    path: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, WebError> {
    let file = path.into_inner();
    if file.ends_with(".ics") {
        return super::calendar::event_ics(req, web::Path::from(file), state).await;
    }
    let query = ViewQuery::read(&req, state.timezone)?;
    let lang = language(&req, &query);
    let not_found = || {
        WebError::not_found(
            &req,
            crate::web::Problem::new(
                Lang::En.t("events.not_found"),
                Lang::Fr.t("events.not_found"),
            ),
        )
    };
    if file.is_empty() || !file.chars().all(|c| c.is_ascii_alphanumeric()) {
        return Err(not_found());
    }
    let store = state.store.clone();
    let lookup = file.clone();
    let Some(stored) = web::block(move || store.event(&lookup)).await?? else {
        return match super::page::moved_event(&req, &state, &file, routes::event_page).await? {
            Some(redirect) => Ok(redirect),
            None => Err(not_found()),
        };
    };
    let origin = origin(&req, &state);
    // The links carry the event as this page shows it: in the reader's language.
    let shown = crate::render::versions::event_as_shown(&stored, lang.code());
    let add = add_to_calendar(&origin, &stored.uid, &shown);
    let department = stored
        .sources
        .iter()
        .map(|s| s.department.clone())
        .find(|d| !d.is_empty());
    let department_calendar = department.map(|d| {
        let query = ViewQuery {
            departments: vec![d.clone()],
            ..ViewQuery::default()
        };
        subscription(
            &origin,
            &calendar_query(&query, lang),
            &format!(
                "{} — {}",
                lang.t("calendar.title"),
                crate::render::html::department_name(lang, &d)
            ),
        )
    });
    let path = routes::event_page(&stored.uid);
    let body = event_page(&EventView {
        lang,
        style: state.style,
        zone: state.timezone,
        switch_url: &switch_url(&path, &query, lang),
        event: &stored,
        add: &add,
        department_calendar: department_calendar.as_ref(),
    });
    Ok(html(&req, body, lang, None).await)
}
