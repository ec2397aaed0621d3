//! What went wrong with a source, in plain words in the reader's language ("Could not find
//! the server gds.blog.gov.uk.", « Serveur introuvable : gds.blog.gov.uk. »), from the
//! technical error its last fetch recorded — which the sources page shows beside it. The
//! recorded errors are Bulletin's own (`fetch::FetchError`, `extract::ExtractError`, the
//! refresher's), each opening with the URL or file it is about; the innermost causes come
//! from the operating system and rustls, in the words they use.

use url::Url;

use crate::i18n::Lang;

/// What kind of trouble an error is, with what its sentence names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    NameNotFound,
    Refused,
    Unreachable,
    Timeout,
    Certificate,
    NotFound(u16),
    Forbidden(u16),
    TooManyRequests,
    ServerError(u16),
    Http(u16),
    TooLarge,
    Redirects,
    Blocked,
    Moved,
    Unreadable,
    TooSlow,
    File,
    Crashed,
    Other,
}

/// Reads a recorded error.
pub fn classify(error: &str) -> Problem {
    let lower = error.to_lowercase();
    let has = |needles: &[&str]| needles.iter().any(|n| lower.contains(n));
    if has(&["crashed"]) {
        return Problem::Crashed;
    }
    if has(&[
        "resolves only to private",
        "private or internal address",
        "is not fetched",
    ]) {
        return Problem::Blocked;
    }
    if has(&[
        "failed to lookup address",
        "name or service not known",
        "no address associated with hostname",
        "nodename nor servname",
        "temporary failure in name resolution",
        "dns error",
        "no such host",
    ]) {
        return Problem::NameNotFound;
    }
    if has(&["connection refused"]) {
        return Problem::Refused;
    }
    if has(&["timed out", "deadline has elapsed"]) {
        return Problem::Timeout;
    }
    if has(&["certificate", "tls", "handshake", "unknownissuer"]) {
        return Problem::Certificate;
    }
    if let Some(status) = http_status(error) {
        return match status {
            404 | 410 => Problem::NotFound(status),
            401 | 403 => Problem::Forbidden(status),
            429 => Problem::TooManyRequests,
            500..=599 => Problem::ServerError(status),
            _ => Problem::Http(status),
        };
    }
    if has(&["larger than the"]) {
        return Problem::TooLarge;
    }
    if has(&["redirects", "bad redirect"]) {
        return Problem::Redirects;
    }
    if has(&["the source may have moved"]) {
        return Problem::Moved;
    }
    if has(&["processor time"]) {
        return Problem::TooSlow;
    }
    if has(&[
        "can read",
        "nests elements",
        "levels deep",
        "not json",
        "not a",
    ]) {
        return Problem::Unreadable;
    }
    if has(&[
        "cannot connect",
        "connection reset",
        "network is unreachable",
        "no route to host",
        "broken pipe",
    ]) {
        return Problem::Unreachable;
    }
    if has(&[
        "os error 2",
        "no such file",
        "permission denied",
        "is a directory",
    ]) {
        return Problem::File;
    }
    Problem::Other
}

/// `404` from "…: HTTP 404".
fn http_status(error: &str) -> Option<u16> {
    let (_, tail) = error.rsplit_once(": HTTP ")?;
    let digits: String = tail.chars().take_while(char::is_ascii_digit).collect();
    digits.parse().ok().filter(|s| (100..600).contains(s))
}

/// The host an error is about: its leading URL's, else `fallback` (the source's address).
fn host_of(error: &str, fallback: Option<&str>) -> Option<String> {
    let leading = error.split(": ").next().unwrap_or_default();
    Url::parse(leading)
        .ok()
        .or_else(|| fallback.and_then(|f| Url::parse(f).ok()))
        .and_then(|url| url.host_str().map(str::to_string))
}

/// The error in plain words, in `lang`; `source_url` names the server when the error
/// does not.
pub fn plain_words(lang: Lang, error: &str, source_url: Option<&str>) -> String {
    let problem = classify(error);
    let host = host_of(error, source_url);
    let (key, status) = match problem {
        Problem::NameNotFound => ("problem.dns", None),
        Problem::Refused => ("problem.refused", None),
        Problem::Unreachable => ("problem.unreachable", None),
        Problem::Timeout => ("problem.timeout", None),
        Problem::Certificate => ("problem.certificate", None),
        Problem::NotFound(s) => ("problem.not_found", Some(s)),
        Problem::Forbidden(s) => ("problem.forbidden", Some(s)),
        Problem::TooManyRequests => ("problem.too_many_requests", Some(429)),
        Problem::ServerError(s) => ("problem.server_error", Some(s)),
        Problem::Http(s) => ("problem.http", Some(s)),
        Problem::TooLarge => ("problem.too_large", None),
        Problem::Redirects => ("problem.redirects", None),
        Problem::Blocked => ("problem.blocked", None),
        Problem::Moved => ("problem.moved", None),
        Problem::Unreadable => ("problem.unreadable", None),
        Problem::TooSlow => ("problem.too_slow", None),
        Problem::File => ("problem.file", None),
        Problem::Crashed => ("problem.crashed", None),
        Problem::Other => ("problem.other", None),
    };
    // Sentences naming a server have a form without it, for errors that name none.
    let sentence = lang.t(key);
    let text = match &host {
        Some(host) => sentence.replace("{host}", host),
        None if sentence.contains("{host}") => lang.t(&format!("{key}.no_host")).to_string(),
        None => sentence.to_string(),
    };
    match status {
        Some(status) => text.replace("{status}", &status.to_string()),
        None => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Errors as the fetcher and readers record them.
    #[test]
    fn recorded_errors_in_plain_words() {
        let cases = [
            (
                "https://gds.blog.gov.uk/feed/: cannot connect: failed to lookup address information: Name or service not known",
                "Could not find the server gds.blog.gov.uk.",
                "Serveur introuvable : gds.blog.gov.uk.",
            ),
            (
                "https://127.0.0.1:9/feed: cannot connect: Connection refused (os error 111)",
                "The server 127.0.0.1 refused the connection.",
                "Le serveur 127.0.0.1 a refusé la connexion.",
            ),
            (
                "https://slow.example.gc.ca/events.ics: timed out",
                "The server slow.example.gc.ca took too long to answer.",
                "Le serveur slow.example.gc.ca a mis trop de temps à répondre.",
            ),
            (
                "https://www.canada.ca/en/old.html: HTTP 404",
                "The address no longer exists on www.canada.ca (error 404).",
                "L'adresse n'existe plus sur www.canada.ca (erreur 404).",
            ),
            (
                "https://x.example/feed: HTTP 503",
                "The server x.example had a problem of its own (error 503); Bulletin will try again.",
                "Le serveur x.example a eu un problème (erreur 503); Bulletin réessaiera.",
            ),
            (
                "https://x.example/feed: cannot connect: invalid peer certificate: UnknownIssuer",
                "The secure connection to x.example failed: its certificate is not trusted.",
                "La connexion sécurisée à x.example a échoué : son certificat n'est pas reconnu.",
            ),
            (
                "https://intranet.example/: refused: intranet.example resolves only to private or internal addresses, which sources may not reach (settings.allow_private_networks)",
                "The address is on a private or internal network, which Bulletin does not read.",
                "L'adresse est sur un réseau privé ou interne, que Bulletin ne lit pas.",
            ),
        ];
        for (error, en, fr) in cases {
            assert_eq!(
                plain_words(Lang::En, error, None),
                en.replace(" :", "\u{a0}:"),
                "{error}"
            );
            assert_eq!(
                plain_words(Lang::Fr, error, None),
                fr.replace(" :", "\u{a0}:"),
                "{error}"
            );
        }
    }

    #[test]
    fn every_kind_of_error_is_recognised() {
        for (error, problem) in [
            ("https://a.example/: HTTP 410", Problem::NotFound(410)),
            ("https://a.example/: HTTP 403", Problem::Forbidden(403)),
            ("https://a.example/: HTTP 429", Problem::TooManyRequests),
            ("https://a.example/: HTTP 418", Problem::Http(418)),
            (
                "https://a.example/: the body is larger than the 10485760-byte limit",
                Problem::TooLarge,
            ),
            (
                "https://a.example/: more than 10 redirects",
                Problem::Redirects,
            ),
            (
                "https://a.example/feed: the address returns a web page where a feed was expected; the source may have moved",
                Problem::Moved,
            ),
            (
                "https://a.example/feed: not a feed Bulletin can read: unexpected end of input",
                Problem::Unreadable,
            ),
            (
                "https://a.example/feed: reading it took more than 2 s of processor time; abandoned",
                Problem::TooSlow,
            ),
            (
                "/srv/fixtures/missing.ics: No such file or directory (os error 2)",
                Problem::File,
            ),
            (
                "https://a.example/: the parser crashed: index out of bounds",
                Problem::Crashed,
            ),
            (
                "https://a.example/: cannot connect: Connection reset by peer (os error 104)",
                Problem::Unreachable,
            ),
            ("something new", Problem::Other),
        ] {
            assert_eq!(classify(error), problem, "{error}");
        }
    }

    #[test]
    fn a_file_source_is_named_without_a_server() {
        let text = plain_words(
            Lang::Fr,
            "/srv/fixtures/missing.ics: No such file or directory (os error 2)",
            None,
        );
        assert_eq!(text, "Le fichier est introuvable ou illisible.");
        // A server the error does not name comes from the source's address.
        let text = plain_words(
            Lang::En,
            "reading it took more than 2 s of processor time; abandoned",
            Some("https://big.example.gc.ca/events"),
        );
        assert!(
            text.starts_with("Reading what the address gives took too long"),
            "{text}"
        );
    }
}
