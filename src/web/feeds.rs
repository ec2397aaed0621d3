//! The merged blog roll as RSS 2.0, Atom, JSON Feed, and its sources as OPML.

use std::collections::BTreeMap;

use actix_web::{HttpRequest, HttpResponse, web};
use chrono::{DateTime, Utc};

use super::cache::{Keep, Rendered};
use super::conditional::{self, Vary};
use super::page::origin;
use super::query::ViewQuery;
use super::{AppState, WebError, routes};
use crate::i18n::Lang;
use crate::model::{Location, StoredPost};
use crate::render::{self, FeedMeta};

/// Feed readers poll; let intermediaries keep a copy for a few minutes.
const FEED_CACHE: &str = "public, max-age=300";

/// The three feed formats, for the blog roll and for events (`web::event_feeds`).
#[derive(Clone, Copy)]
pub(super) enum Format {
    Rss,
    Atom,
    Json,
}

impl Format {
    /// The blog roll's route in this format.
    fn path(self) -> &'static str {
        match self {
            Format::Rss => routes::FEED_RSS,
            Format::Atom => routes::FEED_ATOM,
            Format::Json => routes::FEED_JSON,
        }
    }

    pub(super) fn content_type(self) -> &'static str {
        match self {
            Format::Rss => "application/rss+xml; charset=utf-8",
            Format::Atom => "application/atom+xml; charset=utf-8",
            Format::Json => "application/feed+json; charset=utf-8",
        }
    }
}

pub async fn rss(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, WebError> {
    feed(req, state, Format::Rss).await
}

pub async fn atom(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, WebError> {
    feed(req, state, Format::Atom).await
}

pub async fn json(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, WebError> {
    feed(req, state, Format::Json).await
}

async fn feed(
    req: HttpRequest,
    state: web::Data<AppState>,
    format: Format,
) -> Result<HttpResponse, WebError> {
    let query = ViewQuery::read(&req, state.timezone)?;
    let origin = origin(&req, &state);
    let key = format!("{}|{}|{}", format.path(), origin, query.canonical());
    let generation = state.store.generation();
    let rendered = state
        .cache
        .get_or_render(generation, key, Keep::View, || async {
            let lang = query.lang.unwrap_or(Lang::En);
            let (posts, last_changed) = load_posts(&state, &query, lang).await?;
            let meta = feed_meta(&query, &origin, format, last_changed);
            let body = match format {
                Format::Rss => {
                    let store = state.store.clone();
                    let sources = web::block(move || store.active_sources()).await??;
                    let urls: BTreeMap<String, String> = sources
                        .into_iter()
                        .filter_map(|(source, state)| match source.location {
                            Location::Url(url) => Some((
                                source.id,
                                state.fetch_url.unwrap_or_else(|| url.to_string()),
                            )),
                            Location::File(_) => None,
                        })
                        .collect();
                    render::rss::render(&meta, &posts, &urls)
                }
                Format::Atom => render::atom::render(&meta, &posts),
                Format::Json => render::jsonfeed::render(&meta, &posts),
            };
            Ok::<_, WebError>(Rendered::new(body, format.content_type(), last_changed))
        })
        .await?;
    Ok(conditional::respond(&req, rendered, FEED_CACHE, Vary::Encoding).await)
}

fn feed_meta(
    query: &ViewQuery,
    origin: &str,
    format: Format,
    last_changed: Option<DateTime<Utc>>,
) -> FeedMeta {
    let lang = query.lang.unwrap_or(Lang::En);
    let filters = query.described(lang);
    let mut title = lang.t("feed.title").to_string();
    if !filters.is_empty() {
        let described: Vec<String> = filters
            .iter()
            .map(|(k, v)| format!("{}: {v}", lang.t(k)))
            .collect();
        title = format!("{title} ({})", described.join(", "));
    }
    let canonical = query.canonical();
    let filter_query = query.filter_query();
    FeedMeta {
        title,
        description: lang.t("feed.description").to_string(),
        self_url: format!("{origin}{}", routes::with_query(format.path(), &canonical)),
        page_url: format!("{origin}{}", routes::posts(&filter_query)),
        id: format!("urn:bulletin:feed:posts?{filter_query}"),
        updated: last_changed.unwrap_or(DateTime::<Utc>::UNIX_EPOCH),
        language: lang.code().to_string(),
    }
}

pub async fn opml(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, WebError> {
    let generation = state.store.generation();
    let key = routes::BLOGROLL_OPML.to_string();
    let rendered = state
        .cache
        .get_or_render(generation, key, Keep::View, || async {
            let store = state.store.clone();
            let (sources, with_posts) = web::block(move || {
                Ok::<_, crate::store::StoreError>((
                    store.active_sources()?,
                    store.sources_with_posts()?,
                ))
            })
            .await??;
            let feeds: Vec<render::opml::BlogrollFeed<'_>> = sources
                .iter()
                .filter_map(|(source, state)| {
                    let page = render::opml::is_page_blog(
                        source,
                        state.detected_kind,
                        with_posts.contains(&source.id),
                    );
                    (page || render::opml::is_feed(source, state.detected_kind)).then_some(
                        render::opml::BlogrollFeed {
                            source,
                            home: state.home_url.as_deref(),
                            page,
                        },
                    )
                })
                .collect();
            let body = render::opml::render(Lang::En.t("feed.title"), &feeds);
            Ok::<_, WebError>(Rendered::new(body, "text/x-opml; charset=utf-8", None))
        })
        .await?;
    Ok(conditional::respond(&req, rendered, FEED_CACHE, Vary::Encoding).await)
}

/// The posts a page or feed in `lang` shows (each in its version in `lang` where it has
/// one), with when they last changed.
pub async fn load_posts(
    state: &AppState,
    query: &ViewQuery,
    lang: Lang,
) -> Result<(Vec<StoredPost>, Option<DateTime<Utc>>), WebError> {
    let store = state.store.clone();
    let filter = query.filter();
    let (posts, last) = web::block(move || {
        let posts = store.posts(&filter)?;
        let last = store.posts_last_changed(&filter)?;
        Ok::<_, WebError>((posts, last))
    })
    .await??;
    let posts = posts
        .into_iter()
        .map(|post| crate::render::versions::post_in(post, lang.code()))
        .collect();
    Ok((posts, last))
}
