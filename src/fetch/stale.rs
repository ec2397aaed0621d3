//! A request sent on a kept-alive connection that the server closed at the same moment
//! (its idle timeout ran out as the request went) fails with "connection closed before
//! message completed" before any byte of an answer: the server never saw it. Browsers
//! send such a request again at once on a new connection; so does the fetcher, once, and
//! outside the retry policy (which waits, and which `retries = 0` turns off), since
//! nothing about the source is wrong. Fetches are GETs, so sending again is safe.

use std::error::Error as _;

/// Sends `request`, and once more on a fresh connection if the pooled one it went out on
/// had just been closed by the server.
pub(super) async fn send(request: reqwest::RequestBuilder) -> reqwest::Result<reqwest::Response> {
    let again = request.try_clone();
    match request.send().await {
        Err(error) if closed_before_answer(&error) => match again {
            Some(again) => {
                tracing::debug!(%error, "the kept-alive connection was closed; sending again");
                again.send().await
            }
            None => Err(error),
        },
        result => result,
    }
}

/// Whether the connection closed before any answer (hyper's incomplete message).
fn closed_before_answer(error: &reqwest::Error) -> bool {
    let mut cause = error.source();
    while let Some(err) = cause {
        if let Some(hyper) = err.downcast_ref::<hyper::Error>() {
            return hyper.is_incomplete_message();
        }
        cause = err.source();
    }
    false
}
