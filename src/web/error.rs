//! The one error type handlers return. What a person sees is a short message in English
//! and French saying what was wrong, shaped for where they asked: an HTML page for pages,
//! JSON under `/api/`, plain text for feeds and calendars (which a reader program shows
//! as it is). Server-side failures are logged and answered with a generic apology.

use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, ResponseError};

use super::routes;
use crate::store::StoreError;

/// What was wrong, in both languages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub en: String,
    pub fr: String,
}

impl Problem {
    pub fn new(en: impl Into<String>, fr: impl Into<String>) -> Problem {
        Problem {
            en: en.into(),
            fr: fr.into(),
        }
    }
}

/// How an answer to a path is shaped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Html,
    Json,
    Text,
}

impl Format {
    /// JSON under `/api/`, text for feeds, calendars and OPML, HTML for pages.
    pub fn of(path: &str) -> Format {
        if path.starts_with(routes::API_PREFIX) {
            Format::Json
        } else if [".rss", ".atom", ".json", ".ics", ".opml"]
            .iter()
            .any(|suffix| path.ends_with(suffix))
        {
            Format::Text
        } else {
            Format::Html
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum WebError {
    /// A client's mistake (4xx), with what to tell them.
    #[error("{status}: {}", problem.en)]
    Client {
        status: StatusCode,
        format: Format,
        problem: Problem,
    },
    #[error("{0}")]
    Store(#[from] StoreError),
    #[error("internal error: {0}")]
    Internal(String),
}

impl WebError {
    /// A client error for `req`, shaped for its path.
    pub fn client(req: &HttpRequest, status: StatusCode, problem: Problem) -> WebError {
        WebError::Client {
            status,
            format: Format::of(req.path()),
            problem,
        }
    }

    pub fn bad_request(req: &HttpRequest, problem: Problem) -> WebError {
        WebError::client(req, StatusCode::BAD_REQUEST, problem)
    }

    pub fn not_found(req: &HttpRequest, problem: Problem) -> WebError {
        WebError::client(req, StatusCode::NOT_FOUND, problem)
    }

    /// No page at this address (unknown route, unknown event).
    pub fn no_such_page(req: &HttpRequest) -> WebError {
        WebError::not_found(
            req,
            Problem::new(
                format!("Nothing is published at {}.", req.path()),
                format!("Rien n’est publié à l’adresse {}.", req.path()),
            ),
        )
    }
}

impl ResponseError for WebError {
    fn status_code(&self) -> StatusCode {
        match self {
            WebError::Client { status, .. } => *status,
            WebError::Store(StoreError::ReadersBusy { .. }) => StatusCode::SERVICE_UNAVAILABLE,
            WebError::Store(_) | WebError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let (format, problem) = match self {
            WebError::Client {
                format, problem, ..
            } => (*format, problem.clone()),
            other => {
                tracing::error!(error = %other, "request failed");
                (
                    Format::Text,
                    Problem::new(
                        "Something went wrong on our side; the error has been logged.",
                        "Un problème est survenu de notre côté ; l’erreur a été consignée.",
                    ),
                )
            }
        };
        problem_response(self.status_code(), format, &problem)
    }
}

/// The answer carrying `problem` with `status`, shaped as `format`.
pub fn problem_response(status: StatusCode, format: Format, problem: &Problem) -> HttpResponse {
    let mut builder = HttpResponse::build(status);
    builder.insert_header((header::CACHE_CONTROL, "no-store"));
    match format {
        Format::Json => builder.json(serde_json::json!({
            "error": { "status": status.as_u16(), "en": problem.en, "fr": problem.fr }
        })),
        Format::Text => builder
            .content_type("text/plain; charset=utf-8")
            .body(format!("{}\n\n{}\n", problem.en, problem.fr)),
        Format::Html => builder.content_type("text/html; charset=utf-8").body(
            crate::render::html::error::error_page(status.as_u16(), &problem.en, &problem.fr),
        ),
    }
}

impl From<actix_web::error::BlockingError> for WebError {
    fn from(error: actix_web::error::BlockingError) -> Self {
        WebError::Internal(error.to_string())
    }
}

/// What actix's extractors refuse (a form too large or unreadable, a bad path or
/// query), said in both languages.
pub fn form_error(error: actix_web::error::UrlencodedError, req: &HttpRequest) -> actix_web::Error {
    use actix_web::error::UrlencodedError;
    let (status, problem) = match &error {
        UrlencodedError::Overflow { limit, .. } => (
            StatusCode::PAYLOAD_TOO_LARGE,
            Problem::new(
                format!("The form sent is larger than the {limit} bytes this site accepts."),
                format!("Le formulaire envoyé dépasse les {limit} octets que ce site accepte."),
            ),
        ),
        UrlencodedError::ContentType => (
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Problem::new(
                "This address takes a form (application/x-www-form-urlencoded).",
                "Cette adresse attend un formulaire (application/x-www-form-urlencoded).",
            ),
        ),
        other => (
            StatusCode::BAD_REQUEST,
            Problem::new(
                format!("The form sent could not be read: {other}."),
                format!("Le formulaire envoyé est illisible : {other}."),
            ),
        ),
    };
    WebError::client(req, status, problem).into()
}

/// A query string actix could not read into a typed query.
pub fn query_error(
    error: actix_web::error::QueryPayloadError,
    req: &HttpRequest,
) -> actix_web::Error {
    WebError::bad_request(
        req,
        Problem::new(
            format!("The query string could not be read: {error}."),
            format!("La chaîne de requête est illisible : {error}."),
        ),
    )
    .into()
}

/// A path segment actix could not read.
pub fn path_error(error: actix_web::error::PathError, req: &HttpRequest) -> actix_web::Error {
    let _ = error;
    WebError::no_such_page(req).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_are_shaped_by_path() {
        assert_eq!(Format::of("/api/events"), Format::Json);
        assert_eq!(Format::of("/events.ics"), Format::Text);
        assert_eq!(Format::of("/feed.rss"), Format::Text);
        assert_eq!(Format::of("/sources"), Format::Html);
        let text = problem_response(
            StatusCode::BAD_REQUEST,
            Format::Text,
            &Problem::new("Bad", "Mauvais"),
        );
        assert_eq!(text.status(), StatusCode::BAD_REQUEST);
    }
}
