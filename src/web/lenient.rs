//! Lenient request lines: a client that sends a query with raw UTF-8 (`GET /?q=café`,
//! unencoded on the wire) is answered like one that encoded it. actix's HTTP/1 decoder
//! refuses such a request target with an empty 400 before any handler runs, so the
//! connection is wrapped: each request head is read with `httparse` (which accepts those
//! bytes), the non-ASCII bytes of its target are percent-encoded, and the body is passed
//! through by its Content-Length. Anything this cannot frame safely (chunked bodies,
//! upgrades, heads that do not parse or are too large) switches the connection to plain
//! pass-through, where actix answers exactly as it would have.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// The largest request head held while waiting for its end (actix's own cap is larger
/// than any real head; past this the bytes go through untouched).
const MAX_HEAD: usize = 64 * 1024;
const MAX_HEADERS: usize = 96;

#[derive(Debug, PartialEq, Eq)]
enum State {
    /// Collecting a request head.
    Head,
    /// Passing `n` body bytes through before the next head.
    Body(u64),
    /// Passing everything through.
    Through,
}

/// A connection whose request targets are made ASCII on the way in.
pub struct Lenient<T> {
    inner: T,
    state: State,
    /// Bytes of the head being collected.
    head: Vec<u8>,
    /// Bytes ready for the reader.
    out: Vec<u8>,
    out_at: usize,
    eof: bool,
}

impl<T> Lenient<T> {
    pub fn new(inner: T) -> Lenient<T> {
        Lenient {
            inner,
            state: State::Head,
            head: Vec::new(),
            out: Vec::new(),
            out_at: 0,
            eof: false,
        }
    }

    /// Takes bytes read from the client.
    fn feed(&mut self, mut bytes: &[u8]) {
        while !bytes.is_empty() {
            match self.state {
                State::Through => {
                    self.out.extend_from_slice(bytes);
                    return;
                }
                State::Body(left) => {
                    let take = (left.min(bytes.len() as u64)) as usize;
                    self.out.extend_from_slice(&bytes[..take]);
                    bytes = &bytes[take..];
                    self.state = if left - take as u64 == 0 {
                        State::Head
                    } else {
                        State::Body(left - take as u64)
                    };
                }
                State::Head => {
                    self.head.extend_from_slice(bytes);
                    bytes = &[];
                    self.read_heads();
                }
            }
        }
    }

    /// Turns every complete head collected into output, with what follows it.
    fn read_heads(&mut self) {
        while self.state == State::Head && !self.head.is_empty() {
            let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
            let mut request = httparse::Request::new(&mut headers);
            let (length, body) = match request.parse(&self.head) {
                Ok(httparse::Status::Complete(length)) => (length, framing(&request)),
                Ok(httparse::Status::Partial) if self.head.len() <= MAX_HEAD => return,
                // Too large or not HTTP/1 as we read it: let actix judge the bytes as sent.
                _ => (self.head.len(), None),
            };
            let rest = self.head.split_off(length);
            let head = std::mem::take(&mut self.head);
            match body {
                Some(0) => {
                    self.out.extend_from_slice(&encode_target(&head));
                    self.state = State::Head;
                }
                Some(n) => {
                    self.out.extend_from_slice(&encode_target(&head));
                    self.state = State::Body(n);
                }
                None => {
                    self.out.extend_from_slice(&head);
                    self.state = State::Through;
                }
            }
            self.feed(&rest);
        }
    }
}

/// The length of the body after a complete head, or `None` when only actix should frame
/// it (chunked, an upgrade, an unreadable or repeated Content-Length).
fn framing(request: &httparse::Request<'_, '_>) -> Option<u64> {
    if request.method == Some("CONNECT") {
        return None;
    }
    let mut length = None;
    for header in request.headers.iter() {
        let name = header.name;
        if name.eq_ignore_ascii_case("transfer-encoding") || name.eq_ignore_ascii_case("upgrade") {
            return None;
        }
        if name.eq_ignore_ascii_case("content-length") {
            if length.is_some() {
                return None;
            }
            let text = std::str::from_utf8(header.value).ok()?.trim();
            length = Some(text.parse::<u64>().ok()?);
        }
    }
    Some(length.unwrap_or(0))
}

/// `head` with the bytes of its request target above 0x7F percent-encoded.
fn encode_target(head: &[u8]) -> Vec<u8> {
    let line_end = head
        .iter()
        .position(|&b| b == b'\r' || b == b'\n')
        .unwrap_or(head.len());
    let line = &head[..line_end];
    let (Some(first), Some(last)) = (
        line.iter().position(|&b| b == b' '),
        line.iter().rposition(|&b| b == b' '),
    ) else {
        return head.to_vec();
    };
    if first >= last || line[first..last].is_ascii() {
        return head.to_vec();
    }
    let mut out = Vec::with_capacity(head.len() + 16);
    out.extend_from_slice(&head[..=first]);
    for &b in &line[first + 1..last] {
        if b.is_ascii() {
            out.push(b);
        } else {
            out.extend_from_slice(format!("%{b:02X}").as_bytes());
        }
    }
    out.extend_from_slice(&head[last..]);
    out
}

impl<T: AsyncRead + Unpin> AsyncRead for Lenient<T> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = &mut *self;
        loop {
            if this.out_at < this.out.len() {
                let take = (this.out.len() - this.out_at).min(buf.remaining());
                buf.put_slice(&this.out[this.out_at..this.out_at + take]);
                this.out_at += take;
                if this.out_at == this.out.len() {
                    this.out.clear();
                    this.out_at = 0;
                }
                return Poll::Ready(Ok(()));
            }
            if this.eof {
                return Poll::Ready(Ok(()));
            }
            let mut chunk = [0u8; 8192];
            let mut read = ReadBuf::new(&mut chunk);
            match Pin::new(&mut this.inner).poll_read(cx, &mut read) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(Err(error)) => return Poll::Ready(Err(error)),
                Poll::Ready(Ok(())) if read.filled().is_empty() => {
                    // The client is done: whatever head was half-read goes on as sent.
                    let rest = std::mem::take(&mut this.head);
                    this.out.extend_from_slice(&rest);
                    this.eof = true;
                }
                Poll::Ready(Ok(())) => {
                    let bytes = read.filled().to_vec();
                    this.feed(&bytes);
                }
            }
        }
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for Lenient<T> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn through(chunks: &[&[u8]]) -> Vec<u8> {
        let mut lenient = Lenient::new(());
        for chunk in chunks {
            lenient.feed(chunk);
        }
        lenient.out
    }

    #[test]
    fn raw_utf8_in_targets_is_encoded_and_bodies_are_left_alone() {
        let sent: &[&[u8]] = &[
            "GET /?q=caf\u{e9} HTTP/1.1\r\nHost: x\r\n\r\n".as_bytes(),
            "POST /sources/new?q=\u{e9} HTTP/1.1\r\nContent-Length: 6\r\n\r\n\u{e9}t\u{e9}"
                .as_bytes(),
            "GET /?q=\u{e0} HTTP/1.1\r\n".as_bytes(),
            b"Host: x\r\n\r\n",
        ];
        let out = String::from_utf8(through(sent)).unwrap();
        assert_eq!(
            out,
            "GET /?q=caf%C3%A9 HTTP/1.1\r\nHost: x\r\n\r\n\
             POST /sources/new?q=%C3%A9 HTTP/1.1\r\nContent-Length: 6\r\n\r\n\u{e9}t\u{e9}\
             GET /?q=%C3%A0 HTTP/1.1\r\nHost: x\r\n\r\n"
        );
    }

    #[test]
    fn what_cannot_be_framed_passes_through_untouched() {
        let chunked = "POST /x HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3\r\n\u{e9}a\r\n0\r\n\r\nGET /?q=\u{e9} HTTP/1.1\r\n\r\n";
        assert_eq!(through(&[chunked.as_bytes()]), chunked.as_bytes());
        let garbage = b"\x16\x03\x01 not http\r\n\r\n";
        assert_eq!(through(&[garbage]), garbage);
    }
}
