//! The HTTP/1 keep-alive loop of a downstream connection, with idle connections parked outside
//! pingora.
//!
//! pingora-core 0.9 serves a kept-alive HTTP/1 connection in a loop inside its `ServerApp`
//! impl for every `HttpServerApp` (`apps/mod.rs`): after each answer it creates the next
//! session and calls `process_new_http`, whose boxed future first *waits* for the next request.
//! So an idle connection holds pingora's whole per-request state (the boxed request future, the
//! HTTP/1 session, its 4 KiB header buffer) for as long as it idles: most of the ~30 KB per
//! idle connection measured in docs/performance.md.
//!
//! This loop is the same one, with one difference: before each request it waits in
//! [`EdgeStream::poll_next_request`], which holds no buffer, and only creates pingora's session
//! once the client's first bytes are there. It keeps pingora's rules: 60 s keep-alive
//! timeout (pingora's default), no reuse once shutdown began, the request limit of
//! `HttpServerOptions::keepalive_request_limit`, and the persistent settings pingora carries
//! from one request to the next.

use std::future::poll_fn;
use std::sync::Arc;
use std::time::Duration;

use pingora::apps::{HttpPersistentSettings, HttpServerApp};
use pingora::protocols::http::ServerSession;
use pingora::protocols::Stream;
use pingora::server::ShutdownWatch;

use super::unparsable::EdgeStream;

/// How long a kept-alive connection may idle between requests (pingora's default for
/// HTTP/1, `set_keepalive(Some(60))`).
pub const KEEPALIVE_IDLE: Duration = Duration::from_secs(60);

/// Serves the HTTP/1 connection `edge` with `app` until either side ends it.
pub async fn serve_http1<A>(app: &Arc<A>, mut edge: Box<EdgeStream>, shutdown: &ShutdownWatch)
where
    A: HttpServerApp + Send + Sync + 'static,
{
    let mut carried: Option<HttpPersistentSettings> = None;
    loop {
        if !next_request_arrives(&mut edge, shutdown).await {
            return;
        }
        let mut session = ServerSession::new_http1(edge);
        match carried.take() {
            Some(settings) => settings.apply_to_session(&mut session),
            None => {
                session.set_keepalive(if *shutdown.borrow() {
                    None
                } else {
                    Some(KEEPALIVE_IDLE.as_secs())
                });
                session.set_keepalive_reuses_remaining(
                    app.server_options()
                        .and_then(|options| options.keepalive_request_limit),
                );
            }
        }
        let Some(reused) = app.process_new_http(session, shutdown).await else {
            return;
        };
        let (stream, settings) = reused.consume();
        carried = settings;
        edge = match into_edge(stream) {
            Some(edge) => edge,
            // Not the stream this loop gave pingora: nothing to park it in, so it is closed.
            None => return,
        };
    }
}

/// True once the client's next request has started; false when the connection should close
/// instead (the client closed it or failed, it idled past [`KEEPALIVE_IDLE`], or shutdown
/// began while it idled).
async fn next_request_arrives(edge: &mut EdgeStream, shutdown: &ShutdownWatch) -> bool {
    if *shutdown.borrow() {
        // A request already on its way is still served (pingora does the same: the session
        // it creates then answers with `Connection: close`).
        return edge_has_bytes_now(edge);
    }
    let mut shutdown = shutdown.clone();
    tokio::select! {
        arrived = tokio::time::timeout(KEEPALIVE_IDLE, poll_fn(|cx| edge.poll_next_request(cx))) => {
            matches!(arrived, Ok(Ok(true)))
        }
        _ = shutdown.changed() => edge_has_bytes_now(edge),
    }
}

/// Whether the client's bytes are already readable, without waiting.
fn edge_has_bytes_now(edge: &mut EdgeStream) -> bool {
    let waker = std::task::Waker::noop();
    let mut cx = std::task::Context::from_waker(waker);
    matches!(
        edge.poll_next_request(&mut cx),
        std::task::Poll::Ready(Ok(true))
    )
}

/// The [`EdgeStream`] inside a stream pingora handed back.
fn into_edge(stream: Stream) -> Option<Box<EdgeStream>> {
    stream.into_any().downcast::<EdgeStream>().ok()
}
