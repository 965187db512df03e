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
//! adapter, and one reference-count increment. Per request: the 1 KiB prefix buffer (allocated
//! on the request's first read, released while the connection idles, see
//! [`crate::server::keepalive`]) and, until it is full, a copy of at most 1 KiB; the bytes that
//! ended the idle wait are copied once more into pingora's buffer. Per write: one flag check
//! and, for the first write of a response, a compare of its first bytes against
//! `HTTP/1.x 40`, which a normal response head fails at its status code. No extra syscall, no
//! extra task. Everything else (parsing the prefix, building the answer, logging, the lingering
//! close) happens only once a pingora
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
//! Not covered: HTTP/2 (offered by ALPN on the TLS listener, `listen.tls.http2`; an h2
//! connection is not wrapped: pingora answers a malformed h2 request with a stream reset, not
//! this head, and the edge rules of `http::edge` run on h2 requests like on HTTP/1); errors
//! pingora raises while reading a request *body* (bad chunk framing, a client gone mid-body):
//! [`ProxyHttp::fail_to_proxy`](pingora::proxy::ProxyHttp::fail_to_proxy) sees those as
//! downstream errors and the connection is closed without an answer, as before.
//!
//! [`Classifier::wants_json`]: crate::http::classify::Classifier::wants_json

use std::sync::Arc;

use async_trait::async_trait;
use pingora::apps::{HttpServerApp, ServerApp};
use pingora::protocols::{Stream, ALPN};
use pingora::server::ShutdownWatch;

mod answers;
mod error_head;
mod stream;
#[cfg(test)]
mod tests;

pub use answers::Answers;
pub use stream::EdgeStream;

/// How many bytes of the latest request are kept to choose between HTML and JSON.
pub const PREFIX_CAP: usize = 1024;

/// The proxy's [`ServerApp`] with every downstream HTTP/1 connection wrapped in [`EdgeStream`].
pub struct BrandedErrors<A> {
    inner: Arc<A>,
    answers: Arc<Answers>,
}

impl<A> BrandedErrors<A> {
    /// Wraps `inner` (the proxy's app), answering pingora's own errors with `answers`.
    pub fn new(inner: A, answers: Answers) -> Self {
        BrandedErrors {
            inner: Arc::new(inner),
            answers: Arc::new(answers),
        }
    }
}

#[async_trait]
impl<A: HttpServerApp + Send + Sync + 'static> ServerApp for BrandedErrors<A> {
    async fn process_new(
        self: &Arc<Self>,
        stream: Stream,
        shutdown: &ShutdownWatch,
    ) -> Option<Stream> {
        // HTTP/2 (and h2c or custom protocols, which the gateway never enables) stay with
        // pingora's own loop, unwrapped: their errors are frames, not the head replaced here.
        let plain_http1 = self
            .inner
            .server_options()
            .is_none_or(|options| !options.h2c && !options.force_custom);
        if !plain_http1
            || matches!(
                stream.selected_alpn_proto(),
                Some(ALPN::H2) | Some(ALPN::Custom(_))
            )
        {
            return ServerApp::process_new(&self.inner, stream, shutdown).await;
        }
        let edge = if stream.as_any().is::<EdgeStream>() {
            stream.into_any().downcast::<EdgeStream>().ok()?
        } else {
            Box::new(EdgeStream::new(stream, self.answers.clone()))
        };
        // The keep-alive loop, with idle connections parked outside pingora (see `keepalive`).
        super::keepalive::serve_http1(&self.inner, edge, shutdown).await;
        None
    }

    async fn cleanup(&self) {
        // Graceful shutdown: the proxy stops taking requests on kept-alive connections.
        self.inner.http_cleanup().await;
    }
}
