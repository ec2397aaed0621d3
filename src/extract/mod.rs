//! Extraction: from the bytes of a [`FetchedDocument`] to format-neutral records.
//!
//! [`detect`] decides what a document is (feed, calendar or HTML page) from the source's
//! declared kind, the Content-Type and the first bytes; one module per format then maps
//! that format's structures to the shared shapes here. Extractors are pure: no I/O, no
//! clock, no store.

pub mod depth;
pub mod feed;
pub mod html;
pub mod ical;

pub use crate::markup::TextBody;
pub use feed::{FeedDocument, FeedEntry};
pub use html::PageDocument;
pub use ical::CalendarDocument;

use crate::model::{FetchedDocument, SourceKind};

/// Why a document yielded nothing. Messages name the document's URL.
#[derive(Debug, thiserror::Error)]
pub enum ExtractError {
    #[error("{url}: not a feed Bulletin can read: {message}")]
    Feed { url: String, message: String },
    #[error("{url}: not a calendar Bulletin can read: {message}")]
    Calendar { url: String, message: String },
    #[error("{url}: not a page Bulletin can read: {reason}")]
    Page {
        url: String,
        reason: crate::markup::TooComplex,
    },
    #[error("{url}: {cut}")]
    Budget {
        url: String,
        cut: crate::budget::EntriesCut,
    },
    #[error(
        "{url}: the address returns {found} where {expected} was expected; the source may have moved"
    )]
    WrongKind {
        url: String,
        found: &'static str,
        expected: &'static str,
    },
}

/// What a document turned out to contain.
#[derive(Debug, Clone)]
pub enum Extracted {
    Feed(FeedDocument),
    Calendar(CalendarDocument),
    Page(PageDocument),
}

/// Decides the document's kind: the source's declared kind wins, then the bytes, then
/// the Content-Type (servers often label feeds `text/html` or `application/octet-stream`).
pub fn detect(declared: Option<SourceKind>, document: &FetchedDocument) -> SourceKind {
    if let Some(kind) = declared {
        return kind;
    }
    if let Some(kind) = sniff(&document.body) {
        return kind;
    }
    let content_type = document
        .content_type
        .as_deref()
        .unwrap_or("")
        .to_ascii_lowercase();
    if content_type.starts_with("text/calendar") {
        SourceKind::Ical
    } else if content_type.starts_with("text/html") {
        SourceKind::Html
    } else {
        SourceKind::Feed
    }
}

/// Looks at the first bytes for a calendar, a feed root, or an HTML document.
fn sniff(body: &[u8]) -> Option<SourceKind> {
    let head = &body[..body.len().min(2048)];
    let text = String::from_utf8_lossy(head);
    let text = text.trim_start_matches('\u{feff}').trim_start();
    if text.starts_with("BEGIN:VCALENDAR") {
        return Some(SourceKind::Ical);
    }
    if text.starts_with('{') {
        return Some(SourceKind::Feed);
    }
    let lower = text.to_ascii_lowercase();
    if lower.contains("<rss") || lower.contains("<feed") || lower.contains("<rdf:rdf") {
        return Some(SourceKind::Feed);
    }
    if lower.starts_with("<!doctype html") || lower.contains("<html") {
        return Some(SourceKind::Html);
    }
    None
}

/// The document's text: the charset its Content-Type names, else a byte-order mark, else
/// UTF-8 when the bytes are valid UTF-8, else what chardetng (Firefox's detector for legacy
/// pages) guesses — older departmental CMSs still serve windows-1252.
pub fn decode_text(document: &FetchedDocument) -> String {
    decode_bytes(&document.body, document.content_type.as_deref())
}

/// [`decode_text`] for bytes and their Content-Type.
pub fn decode_bytes(body: &[u8], content_type: Option<&str>) -> String {
    let declared = content_type
        .and_then(|t| {
            t.split(';').find_map(|p| {
                p.trim()
                    .strip_prefix("charset=")
                    .map(|c| c.trim_matches('"').to_string())
            })
        })
        .and_then(|label| encoding_rs::Encoding::for_label(label.as_bytes()));
    if let Some(encoding) = declared {
        return encoding.decode(body).0.into_owned();
    }
    if let Some((encoding, _)) = encoding_rs::Encoding::for_bom(body) {
        return encoding.decode(body).0.into_owned();
    }
    if let Ok(text) = std::str::from_utf8(body) {
        return text.to_string();
    }
    let mut detector = chardetng::EncodingDetector::new(chardetng::Iso2022JpDetection::Deny);
    detector.feed(body, true);
    detector
        .guess(None, chardetng::Utf8Detection::Allow)
        .decode(body)
        .0
        .into_owned()
}

/// Extracts what the document holds, as the given kind.
pub fn extract(
    kind: SourceKind,
    document: &FetchedDocument,
    selectors: html::PageSelectors<'_>,
) -> Result<Extracted, ExtractError> {
    match kind {
        SourceKind::Feed => {
            if let Some(found @ (SourceKind::Html | SourceKind::Ical)) = sniff(&document.body) {
                return Err(ExtractError::WrongKind {
                    url: document.url.clone(),
                    found: describe(found),
                    expected: "a feed",
                });
            }
            feed::parse(document)
                .map(Extracted::Feed)
                .map_err(|message| ExtractError::Feed {
                    url: document.url.clone(),
                    message,
                })
        }
        SourceKind::Ical => ical::read(document)
            .map(Extracted::Calendar)
            .map_err(|message| ExtractError::Calendar {
                url: document.url.clone(),
                message,
            }),
        SourceKind::Html => {
            let text = decode_text(document);
            html::parse(&text, &document.url, selectors)
                .map(Extracted::Page)
                .map_err(|reason| ExtractError::Page {
                    url: document.url.clone(),
                    reason,
                })
        }
    }
}

fn describe(kind: SourceKind) -> &'static str {
    match kind {
        SourceKind::Feed => "feed",
        SourceKind::Ical => "an iCalendar file",
        SourceKind::Html => "a web page",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Validators;

    fn doc(body: &str, content_type: Option<&str>) -> FetchedDocument {
        FetchedDocument {
            url: "https://example.org/x".into(),
            status: 200,
            content_type: content_type.map(str::to_string),
            content_language: None,
            body: body.as_bytes().to_vec(),
            validators: Validators::default(),
            moved_permanently_to: None,
        }
    }

    #[test]
    fn legacy_pages_are_decoded() {
        let mut page = doc("", Some("text/html"));
        page.body = b"<p>Caf\xe9-causerie \xe0 l'\xe9t\xe9</p>".to_vec();
        assert_eq!(
            decode_text(&page),
            "<p>Café-causerie à l'été</p>",
            "detected as windows-1252"
        );
        page.content_type = Some("text/html; charset=ISO-8859-1".into());
        assert_eq!(
            decode_text(&page),
            "<p>Café-causerie à l'été</p>",
            "declared"
        );
        page.body = "<p>Café</p>".as_bytes().to_vec();
        page.content_type = Some("text/html".into());
        assert_eq!(decode_text(&page), "<p>Café</p>", "UTF-8 as is");
    }

    #[test]
    fn sniffing_beats_a_wrong_content_type() {
        assert_eq!(
            detect(
                None,
                &doc(
                    "<?xml version=\"1.0\"?><rss version=\"2.0\">",
                    Some("text/html")
                )
            ),
            SourceKind::Feed
        );
        assert_eq!(
            detect(None, &doc("\u{feff}BEGIN:VCALENDAR\r\n", None)),
            SourceKind::Ical
        );
        assert_eq!(
            detect(None, &doc("<!DOCTYPE html><html>", Some("text/plain"))),
            SourceKind::Html
        );
        assert_eq!(
            detect(
                None,
                &doc(" {\"version\": \"https://jsonfeed.org/version/1.1\"}", None)
            ),
            SourceKind::Feed
        );
        assert_eq!(
            detect(Some(SourceKind::Html), &doc("<rss>", None)),
            SourceKind::Html
        );
    }

    #[test]
    fn an_html_page_where_a_feed_was_declared_is_reported_as_such() {
        let err = extract(
            SourceKind::Feed,
            &doc(
                "<!doctype html><html><body>Hi</body></html>",
                Some("text/html"),
            ),
            Default::default(),
        )
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            "https://example.org/x: the address returns a web page where a feed was expected; the source may have moved"
        );
    }
}
