//! The gateway's own answer where pingora would answer by itself.
//!
//! pingora-proxy 0.9 answers a request head its HTTP/1 parser rejects (obs-fold, whitespace
//! before a colon, NUL / bare CR, a garbled request line, differing `Content-Length`s, a final
//! `Transfer-Encoding` that is not `chunked`, a head over its 1 MiB or 256-header limit) before
//! any [`ProxyHttp`](pingora::proxy::ProxyHttp) hook runs: `handle_new_request` calls
//! `respond_error(400)`, and a `CONNECT` gets `respond_error(405)`. Both write a bare head that
//! names the library and then close the connection:
//!
//! ```text
//! HTTP/1.1 400 Bad Request\r\n
//! Server: Pingora\r\n
//! Date: Sun, 06 Nov 1994 08:49:37 GMT\r\n      (the current date)
//! Content-Length: 0\r\n
//! Cache-Control: private, no-store\r\n
//! Connection: close\r\n
//! \r\n
//! ```
//!
//! (always `HTTP/1.1`, also for an HTTP/1.0 request: `gen_error_response` never sets the
//! version; one `write_all` of exactly these bytes, then no body.) There is no hook for it in
//! 0.9, so [`BrandedErrors`] wraps the proxy's [`ServerApp`] and every accepted connection in
//! [`EdgeStream`], an IO adapter that delegates everything and, when the first write after a
//! read is exactly such a head, writes the gateway's branded page (or JSON) instead, reports
//! pingora's length as written, and lets pingora close the connection as it meant to.
//!
//! HTML or JSON is chosen from the first [`PREFIX_CAP`] bytes the client sent since the last
//! response began (the malformed head, as far as it goes), read tolerantly and judged by the
//! same rule as every other gateway answer ([`Classifier::wants_json`]: a configured API path or
//! `/_mfa/api/`, an `Accept` with `application/json` and without `text/html`, or
//! `X-Requested-With: XMLHttpRequest`). Anything past those bytes is not looked at (HTML then).
//!
//! Cost on the normal path. Per connection (not per request): one allocation, the boxed
//! adapter with its fixed 1 KiB prefix buffer, and one reference-count increment. Per read: a
//! flag check and, until the prefix is full, a copy of at most 1 KiB in total per request. Per
//! write: one flag check and, for the first write of a response, a compare of its first bytes
//! against `HTTP/1.x 40`, which a normal response head fails at its status code. No
//! allocation, no other copy, no extra syscall, no extra task. Everything else (parsing the
//! prefix, building the answer, logging, the lingering close) happens only once a pingora
//! error head was recognised.
//!
//! Each replacement logs one `event = "request_unparsable"` line (`request_method_refused` for
//! `CONNECT`) with the status and whether JSON was sent, never request contents; the metrics
//! layer counts it in `mfa_gateway_events_total{event}`.
//!
//! Only the first write after a read is looked at: a response starts after its request was
//! read. That holds because HTTP/1.1 pipelining stays off (pingora's default; a client that
//! pipelines gets its connection closed after the first answer), so every request on a
//! kept-alive connection starts with a read.
//!
//! Not covered: HTTP/2 (never negotiated: the TLS listener offers no ALPN and h2c is off; an h2
//! connection would not be wrapped, and pingora's h2 errors are frames, not this head); errors
//! pingora raises while reading a request *body* (bad chunk framing, a client gone mid-body):
//! [`ProxyHttp::fail_to_proxy`](pingora::proxy::ProxyHttp::fail_to_proxy) sees those as
//! downstream errors and the connection is closed without an answer, as before.
//!
//! [`Classifier::wants_json`]: crate::http::classify::Classifier::wants_json

use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use async_trait::async_trait;
use bytes::{BufMut as _, Bytes, BytesMut};
use pingora::apps::ServerApp;
use pingora::protocols::raw_connect::ProxyDigest;
use pingora::protocols::tls::{SslDigest, TlsRef};
use pingora::protocols::{
    GetProxyDigest, GetSocketDigest, GetTimingDigest, Peek, Shutdown, SocketDigest, Ssl, Stream,
    TimingDigest, UniqueID, UniqueIDType, ALPN,
};
use pingora::server::ShutdownWatch;
use tokio::io::{AsyncRead, AsyncReadExt as _, AsyncWrite, ReadBuf};

use crate::http::response::GatewayResponse;
use crate::pages::Message;
use crate::state::AppState;

/// How many bytes of the latest request are kept to choose between HTML and JSON.
pub const PREFIX_CAP: usize = 1024;

/// The longest write recognised as pingora's error head (it is about 150 bytes).
const MAX_ERROR_HEAD: usize = 512;

/// After the answer: how long, and how much, to read and discard what the client still sends
/// before the socket closes (closing with unread bytes makes the kernel send a reset, which can
/// destroy the answer before the client reads it: a head over pingora's limit is rejected
/// while the client is still sending it).
const LINGER_TIME: Duration = Duration::from_secs(2);
const LINGER_BYTES: usize = 4 << 20;

/// Decides HTML vs JSON: `(path, accept, x-requested-with)`.
type WantsJson = dyn Fn(&str, Option<&str>, Option<&str>) -> bool + Send + Sync;

/// A prepared answer, split where pingora's `Date` line is put in.
#[derive(Debug, Clone)]
struct Prepared {
    /// Status line and headers, each line ending in CRLF.
    head: Bytes,
    /// The blank line and the body.
    tail: Bytes,
}

impl Prepared {
    fn new(response: &GatewayResponse) -> pingora::Result<Prepared> {
        let bytes = response.to_http1_closing()?;
        let end = bytes
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .map_or(bytes.len(), |p| p + 2);
        Ok(Prepared {
            head: bytes.slice(..end),
            tail: bytes.slice(end..),
        })
    }
}

/// HTML and JSON variants of one answer.
#[derive(Debug, Clone)]
struct Pair {
    html: Prepared,
    json: Prepared,
}

/// What pingora's error head is replaced with; built once at start-up.
pub struct Answers {
    bad_request: Pair,
    not_allowed: Pair,
    wants_json: Box<WantsJson>,
}

impl std::fmt::Debug for Answers {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Answers").finish_non_exhaustive()
    }
}

impl Answers {
    /// The gateway's branded answers, judged HTML / JSON like every other gateway answer.
    pub fn for_gateway(state: &Arc<AppState>) -> pingora::Result<Answers> {
        let not_allowed = Message::new(
            405,
            "That request is not allowed",
            "We can't accept that kind of request. Please go back and try again.",
        )
        .with_retry(crate::pages::routes::SITE_HOME, "Go to the website");
        let for_json = state.clone();
        Answers::new(
            crate::portal::message(state, Message::bad_request()),
            crate::portal::message(state, not_allowed),
            Box::new(move |path, accept, requested_with| {
                for_json.classifier.wants_json(path, accept, requested_with)
            }),
        )
    }

    fn new(
        bad_request_page: GatewayResponse,
        not_allowed_page: GatewayResponse,
        wants_json: Box<WantsJson>,
    ) -> pingora::Result<Answers> {
        let json = |status, code, message| {
            GatewayResponse::json(
                status,
                &serde_json::json!({ "error": code, "message": message }),
            )
        };
        Ok(Answers {
            bad_request: Pair {
                html: Prepared::new(&bad_request_page)?,
                json: Prepared::new(&json(400, "bad_request", "The request could not be read."))?,
            },
            not_allowed: Pair {
                html: Prepared::new(&not_allowed_page)?,
                json: Prepared::new(&json(
                    405,
                    "method_not_allowed",
                    "This request method is not accepted.",
                ))?,
            },
            wants_json,
        })
    }

    /// The bytes to write instead of pingora's `error` head, for a client whose latest request
    /// began with `prefix`.
    fn answer(&self, error: &ErrorHead<'_>, prefix: &[u8]) -> Bytes {
        let look = RequestPrefix::read(prefix);
        let json = (self.wants_json)(look.path, look.accept, look.requested_with);
        let pair = match error.status {
            405 => &self.not_allowed,
            _ => &self.bad_request,
        };
        let prepared = if json { &pair.json } else { &pair.html };
        // A HEAD request gets the head only (it still says how long the page would be).
        let tail: &[u8] = if look.head { b"\r\n" } else { &prepared.tail };
        let date = error.date.unwrap_or_default();
        let mut out = BytesMut::with_capacity(prepared.head.len() + date.len() + 2 + tail.len());
        out.put_slice(&prepared.head);
        if !date.is_empty() {
            out.put_slice(date);
            out.put_slice(b"\r\n");
        }
        out.put_slice(tail);
        let event = match error.status {
            405 => "request_method_refused",
            _ => "request_unparsable",
        };
        // No request contents in the log: the head may carry cookies or credentials.
        tracing::info!(
            event,
            status = error.status,
            json,
            "answered a request the HTTP parser refused with the gateway's own page"
        );
        out.freeze()
    }
}

/// The proxy's [`ServerApp`] with every downstream HTTP/1 connection wrapped in [`EdgeStream`].
pub struct BrandedErrors<A> {
    inner: Arc<A>,
    answers: Arc<Answers>,
}

impl<A> BrandedErrors<A> {
    pub fn new(inner: A, answers: Answers) -> Self {
        BrandedErrors {
            inner: Arc::new(inner),
            answers: Arc::new(answers),
        }
    }
}

#[async_trait]
impl<A: ServerApp + Send + Sync + 'static> ServerApp for BrandedErrors<A> {
    async fn process_new(
        self: &Arc<Self>,
        stream: Stream,
        shutdown: &ShutdownWatch,
    ) -> Option<Stream> {
        // The inner app keeps an HTTP/1 connection (and so this adapter) across keep-alive
        // requests itself; a stream it hands back is already wrapped. HTTP/2 is left alone.
        let stream = if stream.as_any().is::<EdgeStream>()
            || matches!(stream.selected_alpn_proto(), Some(ALPN::H2))
        {
            stream
        } else {
            Box::new(EdgeStream::new(stream, self.answers.clone()))
        };
        self.inner.process_new(stream, shutdown).await
    }

    async fn cleanup(&self) {
        // Graceful shutdown: the proxy stops taking requests on kept-alive connections.
        self.inner.cleanup().await;
    }
}

/// Where the adapter is in replacing pingora's error head.
#[derive(Debug)]
enum Replace {
    /// Passing everything through (the normal path).
    No,
    /// Writing the gateway's answer; `pos` bytes of it are out.
    Writing { out: Bytes, pos: usize },
    /// The answer is out: further writes are dropped (pingora closes the connection next).
    Done,
}

/// A downstream connection: delegates everything to the transport (TCP or TLS), remembers the
/// start of the latest request, and replaces pingora's own error head (see the module docs).
pub struct EdgeStream {
    inner: Stream,
    answers: Arc<Answers>,
    /// The first bytes read since the last write: the start of the latest request.
    prefix: [u8; PREFIX_CAP],
    prefix_len: usize,
    /// Something was written since the last read: the next read starts a new prefix, and
    /// further writes are not the start of a response.
    wrote: bool,
    replace: Replace,
}

impl std::fmt::Debug for EdgeStream {
    // pingora logs the stream on parse errors: never the request bytes kept here.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EdgeStream")
            .field("inner", &self.inner)
            .finish_non_exhaustive()
    }
}

impl EdgeStream {
    pub fn new(inner: Stream, answers: Arc<Answers>) -> Self {
        EdgeStream {
            inner,
            answers,
            prefix: [0; PREFIX_CAP],
            prefix_len: 0,
            wrote: false,
            replace: Replace::No,
        }
    }

    #[inline]
    fn remember(&mut self, read: &[u8]) {
        if self.wrote {
            self.wrote = false;
            self.prefix_len = 0;
        }
        let room = PREFIX_CAP - self.prefix_len;
        if room > 0 && !read.is_empty() {
            let n = room.min(read.len());
            self.prefix[self.prefix_len..self.prefix_len + n].copy_from_slice(&read[..n]);
            self.prefix_len += n;
        }
    }

    /// Writes out the rest of the replacement answer, if one is under way.
    fn poll_answer(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let Replace::Writing { out, pos } = &mut self.replace else {
            return Poll::Ready(Ok(()));
        };
        while *pos < out.len() {
            match Pin::new(&mut self.inner).poll_write(cx, &out[*pos..]) {
                Poll::Ready(Ok(0)) => return Poll::Ready(Err(io::ErrorKind::WriteZero.into())),
                Poll::Ready(Ok(n)) => *pos += n,
                Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
                Poll::Pending => return Poll::Pending,
            }
        }
        self.replace = Replace::Done;
        Poll::Ready(Ok(()))
    }

    /// Reads and discards what the client still sends, within [`LINGER_TIME`] and
    /// [`LINGER_BYTES`], so that closing does not reset the connection under the answer.
    async fn linger(&mut self) {
        let mut sink = [0u8; 4096];
        let mut left = LINGER_BYTES;
        let drain = async {
            while left > 0 {
                match self.inner.read(&mut sink).await {
                    Ok(0) | Err(_) => break,
                    Ok(n) => left = left.saturating_sub(n),
                }
            }
        };
        let _ = tokio::time::timeout(LINGER_TIME, drain).await;
    }
}

impl AsyncRead for EdgeStream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        let poll = Pin::new(&mut this.inner).poll_read(cx, buf);
        if let Poll::Ready(Ok(())) = poll {
            let read = &buf.filled()[before..];
            if !read.is_empty() {
                this.remember(read);
            }
        }
        poll
    }
}

impl AsyncWrite for EdgeStream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        if let Replace::No = this.replace {
            if this.wrote {
                return Pin::new(&mut this.inner).poll_write(cx, buf);
            }
            this.wrote = true;
            let Some(error) = ErrorHead::recognise(buf) else {
                return Pin::new(&mut this.inner).poll_write(cx, buf);
            };
            let out = this.answers.answer(&error, &this.prefix[..this.prefix_len]);
            this.replace = Replace::Writing { out, pos: 0 };
        }
        // Replacing: pingora's bytes count as written once ours are out.
        this.poll_answer(cx).map_ok(|()| buf.len())
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        // pingora writes its error head with `write_all`, never vectored: only pass through.
        let this = self.get_mut();
        if let Replace::No = this.replace {
            this.wrote = true;
            return Pin::new(&mut this.inner).poll_write_vectored(cx, bufs);
        }
        let len = bufs.iter().map(|b| b.len()).sum();
        this.poll_answer(cx).map_ok(|()| len)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if this.poll_answer(cx)?.is_pending() {
            return Poll::Pending;
        }
        Pin::new(&mut this.inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if this.poll_answer(cx)?.is_pending() {
            return Poll::Pending;
        }
        Pin::new(&mut this.inner).poll_shutdown(cx)
    }
}

#[async_trait]
impl Shutdown for EdgeStream {
    async fn shutdown(&mut self) {
        if let Replace::No = self.replace {
            return self.inner.shutdown().await;
        }
        let _ = std::future::poll_fn(|cx| self.poll_answer(cx)).await;
        self.inner.shutdown().await;
        self.linger().await;
    }
}

impl UniqueID for EdgeStream {
    fn id(&self) -> UniqueIDType {
        self.inner.id()
    }
}

impl Ssl for EdgeStream {
    fn get_ssl(&self) -> Option<&TlsRef> {
        self.inner.get_ssl()
    }

    fn get_ssl_digest(&self) -> Option<Arc<SslDigest>> {
        self.inner.get_ssl_digest()
    }

    fn selected_alpn_proto(&self) -> Option<ALPN> {
        self.inner.selected_alpn_proto()
    }
}

impl GetTimingDigest for EdgeStream {
    fn get_timing_digest(&self) -> Vec<Option<TimingDigest>> {
        self.inner.get_timing_digest()
    }

    fn get_read_pending_time(&self) -> Duration {
        self.inner.get_read_pending_time()
    }

    fn get_write_pending_time(&self) -> Duration {
        self.inner.get_write_pending_time()
    }
}

impl GetProxyDigest for EdgeStream {
    fn get_proxy_digest(&self) -> Option<Arc<ProxyDigest>> {
        self.inner.get_proxy_digest()
    }

    fn set_proxy_digest(&mut self, digest: ProxyDigest) {
        self.inner.set_proxy_digest(digest);
    }
}

impl GetSocketDigest for EdgeStream {
    fn get_socket_digest(&self) -> Option<Arc<SocketDigest>> {
        self.inner.get_socket_digest()
    }

    fn set_socket_digest(&mut self, socket_digest: SocketDigest) {
        self.inner.set_socket_digest(socket_digest);
    }
}

#[async_trait]
impl Peek for EdgeStream {
    async fn try_peek(&mut self, buf: &mut [u8]) -> io::Result<bool> {
        self.inner.try_peek(buf).await
    }
}

/// pingora's own error head, recognised in a write.
#[derive(Debug, PartialEq, Eq)]
struct ErrorHead<'a> {
    status: u16,
    /// Its `Date` line (without CRLF), reused in the answer.
    date: Option<&'a [u8]>,
}

impl<'a> ErrorHead<'a> {
    /// `Some` only for a write that is exactly the head `respond_error(400 | 405)` produces:
    /// the status line, then only `Server: Pingora`, `Date`, `Content-Length: 0`,
    /// `Cache-Control` and `Connection: close` (in any order), then the blank line. Anything
    /// else (every response the gateway or the upstream makes) is passed through untouched.
    #[inline]
    fn recognise(buf: &'a [u8]) -> Option<ErrorHead<'a>> {
        // The hot path ends here for every other write: a normal head differs in the status.
        if buf.len() < 16 || !buf.starts_with(b"HTTP/1.") || &buf[9..11] != b"40" {
            return None;
        }
        Self::recognise_cold(buf)
    }

    #[cold]
    fn recognise_cold(buf: &'a [u8]) -> Option<ErrorHead<'a>> {
        if buf.len() > MAX_ERROR_HEAD
            || !matches!(buf[7], b'0' | b'1')
            || buf[8] != b' '
            || buf[12] != b' '
            || !buf.ends_with(b"\r\n\r\n")
        {
            return None;
        }
        let status = match &buf[9..12] {
            b"400" => 400,
            b"405" => 405,
            _ => return None,
        };
        let (mut server, mut empty, mut close, mut date) = (false, false, false, None);
        // Every line ends in CRLF; the last CRLF is the blank line.
        let mut lines = buf[..buf.len() - 2].split(|&b| b == b'\n');
        let status_line = lines.next()?;
        if !status_line.ends_with(b"\r") {
            return None;
        }
        for line in lines {
            if line.is_empty() {
                continue; // after the final LF
            }
            let line = line.strip_suffix(b"\r")?;
            let colon = line.iter().position(|&b| b == b':')?;
            let (name, value) = (&line[..colon], line[colon + 1..].trim_ascii());
            if name.eq_ignore_ascii_case(b"server") {
                server = value.eq_ignore_ascii_case(b"pingora");
            } else if name.eq_ignore_ascii_case(b"content-length") {
                empty = value == b"0";
            } else if name.eq_ignore_ascii_case(b"connection") {
                close = value.eq_ignore_ascii_case(b"close");
            } else if name.eq_ignore_ascii_case(b"date") {
                date = Some(line).filter(|l| l.len() <= 64);
            } else if !name.eq_ignore_ascii_case(b"cache-control") {
                return None;
            }
        }
        (server && empty && close).then_some(ErrorHead { status, date })
    }
}

/// What a (possibly malformed) request head says about the client, read tolerantly.
#[derive(Debug, Default, PartialEq, Eq)]
struct RequestPrefix<'a> {
    path: &'a str,
    accept: Option<&'a str>,
    requested_with: Option<&'a str>,
    head: bool,
}

impl<'a> RequestPrefix<'a> {
    fn read(prefix: &'a [u8]) -> RequestPrefix<'a> {
        let text = |b: &'a [u8]| std::str::from_utf8(b.trim_ascii()).ok();
        let mut out = RequestPrefix::default();
        let mut lines = prefix.split(|&b| b == b'\n');
        let Some(request_line) = lines.next() else {
            return out;
        };
        let mut words = request_line
            .split(|b| b.is_ascii_whitespace())
            .filter(|w| !w.is_empty());
        out.head = words.next() == Some(b"HEAD");
        let target = words.next().and_then(text).unwrap_or_default();
        // Origin form, or the path of an absolute form.
        out.path = match target.split_once("://") {
            Some((_, rest)) => rest.find('/').map_or("/", |i| &rest[i..]),
            None => target,
        };
        for line in lines {
            let line = line.strip_suffix(b"\r").unwrap_or(line);
            if line.is_empty() {
                break; // end of the head
            }
            let Some(colon) = line.iter().position(|&b| b == b':') else {
                continue;
            };
            let name = line[..colon].trim_ascii();
            let value = &line[colon + 1..];
            if out.accept.is_none() && name.eq_ignore_ascii_case(b"accept") {
                out.accept = text(value);
            } else if out.requested_with.is_none() && name.eq_ignore_ascii_case(b"x-requested-with")
            {
                out.requested_with = text(value);
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pingora::protocols::http::ServerSession;
    use tokio::io::{AsyncWriteExt as _, DuplexStream};

    fn answers() -> Arc<Answers> {
        Arc::new(
            Answers::new(
                GatewayResponse::html(400, "<p>branded 400</p>".into()),
                GatewayResponse::html(405, "<p>branded 405</p>".into()),
                Box::new(|path, accept, _| {
                    path.starts_with("/api/")
                        || accept.is_some_and(|a| a.contains("application/json"))
                }),
            )
            .unwrap(),
        )
    }

    /// Feeds `request` to a real pingora HTTP/1 session over `wrap(stream)`, lets it answer
    /// the way `HttpProxy::handle_new_request` does, and returns everything the client got.
    async fn pingora_answer(request: &[u8], wrap: bool) -> String {
        let (client, server) = tokio::io::duplex(1 << 16);
        let stream: Stream = if wrap {
            Box::new(EdgeStream::new(Box::new(server), answers()))
        } else {
            Box::new(server)
        };
        let client_task = client_round_trip(client, request.to_vec());
        let server_task = async move {
            let mut session = ServerSession::new_http1(stream);
            let status = match session.read_request().await {
                Err(_) => 400,
                Ok(_) if session.req_header().method == http::Method::CONNECT => 405,
                Ok(_) => panic!("pingora accepted {:?}", String::from_utf8_lossy(request)),
            };
            session.respond_error(status).await.unwrap();
            session.shutdown().await;
        };
        let (answer, ()) = tokio::join!(client_task, server_task);
        answer
    }

    async fn client_round_trip(mut client: DuplexStream, request: Vec<u8>) -> String {
        client.write_all(&request).await.unwrap();
        tokio::io::AsyncWriteExt::shutdown(&mut client)
            .await
            .unwrap();
        let mut answer = Vec::new();
        client.read_to_end(&mut answer).await.unwrap();
        String::from_utf8(answer).unwrap()
    }

    #[tokio::test]
    async fn pingora_error_head_is_the_one_recognised() {
        // If a pingora upgrade changes these bytes, this test fails first.
        for request in [
            &b"GET / HTTP/1.1\r\nX-A: 1\r\n  folded\r\n\r\n"[..],
            b"GET / HTTP/1.0\r\nHost : x\r\n\r\n",
            b"CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n",
        ] {
            let answer = pingora_answer(request, false).await;
            let date = answer
                .lines()
                .find(|l| l.starts_with("Date: "))
                .expect("a Date line")
                .to_string();
            let status = if request.starts_with(b"CONNECT") {
                "405 Method Not Allowed"
            } else {
                "400 Bad Request"
            };
            assert_eq!(
                answer,
                format!(
                    "HTTP/1.1 {status}\r\nServer: Pingora\r\n{date}\r\nContent-Length: 0\r\n\
                     Cache-Control: private, no-store\r\nConnection: close\r\n\r\n"
                )
            );
            let head = ErrorHead::recognise(answer.as_bytes()).expect("recognised");
            assert_eq!(head.date, Some(date.as_bytes()));
        }
    }

    #[tokio::test]
    async fn pingora_error_is_replaced_by_the_branded_answer() {
        let cases: [(&[u8], &str, &str); 5] = [
            (
                b"GET /x HTTP/1.1\r\nHost: x\r\nX-A: 1\r\n  folded\r\n\r\n",
                "400 Bad Request",
                "<p>branded 400</p>",
            ),
            (
                b"GET /x HTTP/1.1\r\nAccept: application/json\r\nHost : x\r\n\r\n",
                "400 Bad Request",
                r#"{"error":"bad_request","message":"The request could not be read."}"#,
            ),
            (
                b"POST /api/v1 HTTP/1.1\r\nHost: x\r\nContent-Length: 5, 6\r\n\r\n",
                "400 Bad Request",
                r#"{"error":"bad_request","message":"The request could not be read."}"#,
            ),
            (
                b"HEAD /x HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n",
                "400 Bad Request",
                "",
            ),
            (
                b"CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n",
                "405 Method Not Allowed",
                "<p>branded 405</p>",
            ),
        ];
        for (request, status, body) in cases {
            let answer = pingora_answer(request, true).await;
            let (head, got_body) = answer.split_once("\r\n\r\n").unwrap();
            assert!(
                head.starts_with(&format!("HTTP/1.1 {status}\r\n")),
                "{head}"
            );
            assert!(!answer.to_ascii_lowercase().contains("pingora"), "{answer}");
            for line in ["Cache-Control: no-store", "Connection: close", "Date: "] {
                assert!(head.contains(line), "{line} missing: {head}");
            }
            assert_eq!(got_body, body);
        }
    }

    #[tokio::test]
    async fn normal_answers_and_keep_alive_pass_untouched() {
        let (mut client, server) = tokio::io::duplex(1 << 16);
        let mut stream = EdgeStream::new(Box::new(server), answers());
        let ok = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
        // An application 400 (it names no library) is the application's to send.
        let own = b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
        for answer in [&ok[..], &ok[..], &own[..]] {
            client
                .write_all(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
                .await
                .unwrap();
            let mut request = [0u8; 64];
            let n = stream.read(&mut request).await.unwrap();
            assert_eq!(&stream.prefix[..stream.prefix_len], &request[..n]);
            stream.write_all(answer).await.unwrap();
            stream.flush().await.unwrap();
            let mut got = vec![0u8; answer.len()];
            client.read_exact(&mut got).await.unwrap();
            assert_eq!(got, answer);
        }
        // A body that happens to look like pingora's head is not the start of a response.
        let pingora_like = b"HTTP/1.1 400 Bad Request\r\nServer: Pingora\r\nContent-Length: 0\r\n\
                             Connection: close\r\n\r\n";
        assert!(ErrorHead::recognise(pingora_like).is_some());
        stream.write_all(pingora_like).await.unwrap();
        let mut got = vec![0u8; pingora_like.len()];
        client.read_exact(&mut got).await.unwrap();
        assert_eq!(got, pingora_like);
    }

    #[test]
    fn only_pingoras_exact_head_is_recognised() {
        let base = "HTTP/1.1 400 Bad Request\r\nServer: Pingora\r\nDate: Sun, 06 Nov 1994 08:49:37 GMT\r\n\
                    Content-Length: 0\r\nCache-Control: private, no-store\r\nConnection: close\r\n\r\n";
        assert!(ErrorHead::recognise(base.as_bytes()).is_some());
        for other in [
            base.replace("Pingora", "nginx"),
            base.replace("Content-Length: 0", "Content-Length: 5"),
            base.replace("close", "keep-alive"),
            base.replace("400 Bad Request", "404 Not Found"),
            base.replace("400 Bad Request", "200 OK"),
            base.replace("\r\n\r\n", "\r\nX-Extra: 1\r\n\r\n"),
            format!("{base}body"),
            base.trim_end().to_string(),
        ] {
            assert!(ErrorHead::recognise(other.as_bytes()).is_none(), "{other}");
        }
    }

    #[test]
    fn request_prefix_is_read_tolerantly() {
        let p = RequestPrefix::read(
            b"POST /_mfa/api/verify HTTP/1.1\r\nHost : x\r\nX-A: 1\r\n  fold\r\naccept: application/json\r\n",
        );
        assert_eq!(p.path, "/_mfa/api/verify");
        assert_eq!(p.accept, Some("application/json"));
        assert!(!p.head);
        let p = RequestPrefix::read(
            b"HEAD http://host/api/x?y HTTP/1.1\nX-Requested-With: XMLHttpRequest\n\nAccept: nope",
        );
        assert_eq!(p.path, "/api/x?y");
        assert_eq!(p.requested_with, Some("XMLHttpRequest"));
        assert_eq!(p.accept, None);
        assert!(p.head);
        assert_eq!(
            RequestPrefix::read(b"\x00 \xff\xfe /x"),
            RequestPrefix::default()
        );
        assert_eq!(RequestPrefix::read(b""), RequestPrefix::default());
    }

    #[tokio::test]
    async fn prefix_is_bounded_and_restarts_after_an_answer() {
        let (mut client, server) = tokio::io::duplex(1 << 16);
        let mut stream = EdgeStream::new(Box::new(server), answers());
        client.write_all(&[b'a'; 3000]).await.unwrap();
        let mut sink = [0u8; 4096];
        let mut read = 0;
        while read < 3000 {
            read += stream.read(&mut sink).await.unwrap();
        }
        assert_eq!(stream.prefix_len, PREFIX_CAP);
        stream.write_all(b"HTTP/1.1 200 OK\r\n\r\n").await.unwrap();
        client.write_all(b"GET /next").await.unwrap();
        let n = stream.read(&mut sink).await.unwrap();
        assert_eq!(&stream.prefix[..stream.prefix_len], &sink[..n]);
    }
}
