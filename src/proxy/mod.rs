//! The pingora hooks. Each one stays short and hands the decision to a pure function in
//! [`crate::http`] / [`crate::mfa`] or to the pages in [`crate::portal`].

use std::sync::Arc;

use async_trait::async_trait;
use bytes::Bytes;
use pingora::http::{RequestHeader, ResponseHeader};
use pingora::prelude::HttpPeer;
use pingora::proxy::{FailToProxy, ProxyHttp, Session};
use pingora::{Error, ErrorSource, Result};
use tracing::Instrument as _;

use crate::admin::{metrics, record_request, upstream_error, RequestOutcome};
use crate::config::ServerHeader;
use crate::http::classify::Route;
use crate::http::login_form::{is_form_urlencoded, ExtractError, FormFieldExtractor};
use crate::mfa::claims::BindingClaims;
use crate::mfa::session::SessionCookies;
use crate::pages::Message;
use crate::state::AppState;

mod access;
mod answer;
mod inspect;
mod local;

use inspect::cookie_headers;

/// A span carrying the request's id, entered around the work of requests that touch MFA state
/// (pages, logins), so every audit line they cause carries the id the access log, the upstream
/// and the balancer also see. Browsing requests emit no events and enter no span.
fn request_span(request_id: &str) -> tracing::Span {
    tracing::info_span!("request", request_id = %request_id)
}

/// The proxy service.
pub struct Gateway {
    pub state: Arc<AppState>,
    /// The upstream, resolved once at start-up (see [`upstream_peer_for`]).
    pub peer: HttpPeer,
}

/// Builds the upstream peer from the config. Name resolution happens here, once: pingora's
/// `HttpPeer::new` would resolve (blocking) and panic on failure if called per request.
pub fn upstream_peer_for(up: &crate::config::UpstreamConfig) -> std::io::Result<HttpPeer> {
    use std::net::ToSocketAddrs as _;
    let addr = up.address.to_socket_addrs()?.next().ok_or_else(|| {
        std::io::Error::new(
            std::io::ErrorKind::NotFound,
            "the name resolves to no address",
        )
    })?;
    let mut peer = HttpPeer::new(addr, up.tls, up.sni.clone());
    peer.options.connection_timeout = Some(up.connect_timeout);
    peer.options.read_timeout = Some(up.read_timeout);
    peer.options.idle_timeout = Some(std::time::Duration::from_secs(60));
    peer.options.verify_cert = up.verify_cert;
    peer.options.verify_hostname = up.verify_cert;
    Ok(peer)
}

/// Per-request state carried between hooks.
#[derive(Default)]
pub struct RequestCtx {
    route: Option<Route>,
    session: SessionCookies,
    bound: Option<BindingClaims>,
    /// Remove the upstream session cookies before forwarding.
    strip_session: bool,
    /// The Cookie header(s) must be rewritten (gateway cookies, stripping, or merging).
    rewrite_cookies: bool,
    /// A Cookie header was not valid UTF-8: forward no cookies at all.
    cookies_unreadable: bool,
    trust_cookie: Option<String>,
    /// The client sent the gateway's pending cookie (a login is waiting for MFA).
    holds_pending: bool,
    login: Option<FormFieldExtractor>,
    login_body_complete: bool,
    /// The upstream response was replaced; its body must not reach the client.
    replaced: bool,
    /// The binding was revoked (member reset): clear the binding cookie in the answer.
    clear_binding: bool,
    /// What the gateway did with the request, counted once in `logging`.
    outcome: Option<RequestOutcome>,
    /// When the request's head had been read (`new_ctx`), for the request duration.
    started: Option<std::time::Instant>,
    /// When the request was sent upstream, for the upstream's answer time.
    upstream_sent: Option<std::time::Instant>,
    /// The request's id (`X-Request-Id`): a trusted proxy's, or made here.
    request_id: String,
    /// The upstream answer's status, for the access log.
    upstream_status: Option<u16>,
}

impl RequestCtx {
    /// Records what the gateway did with this request (a later decision replaces an earlier
    /// one: a login first forwarded, then held, is `Intercepted`).
    pub(crate) fn set_outcome(&mut self, outcome: RequestOutcome) {
        self.outcome = Some(outcome);
    }
}

#[async_trait]
impl ProxyHttp for Gateway {
    type CTX = RequestCtx;

    fn new_ctx(&self) -> Self::CTX {
        RequestCtx {
            started: Some(std::time::Instant::now()),
            ..RequestCtx::default()
        }
    }

    async fn request_filter(&self, session: &mut Session, ctx: &mut Self::CTX) -> Result<bool> {
        let state = &self.state;
        ctx.request_id = inspect::request_id(state, session);
        // The edge comes first: nothing is routed on a request the app could read otherwise.
        if let Some(why) =
            inspect::set_h2_host(session).or_else(|| inspect::refusal(state, session))
        {
            ctx.set_outcome(RequestOutcome::Refused);
            inspect::refuse(state, session, why).await?;
            return Ok(true);
        }
        let req = session.req_header();
        if local::header_bytes(req) > local::MAX_HEADER_BYTES {
            ctx.set_outcome(RequestOutcome::Refused);
            local::error_response(state, req, 431, Message::headers_too_large())
                .write(session)
                .await?;
            return Ok(true);
        }
        let route = state.classifier.classify(&req.method, req.uri.path());
        ctx.route = Some(route);
        if route == Route::ApiLoginOtherMethod {
            ctx.set_outcome(RequestOutcome::Refused);
            // The body (if any) is not read: the connection cannot carry another request.
            session.set_keepalive(None);
            let req = session.req_header();
            local::method_not_allowed(state, req, "POST")
                .write(session)
                .await?;
            return Ok(true);
        }
        if route == Route::Portal {
            ctx.set_outcome(RequestOutcome::Portal);
            local::serve_portal(state, session)
                .instrument(request_span(&ctx.request_id))
                .await?;
            return Ok(true);
        }
        inspect::inspect_request(state, session.req_header(), route, ctx);
        inspect::end_revoked_session(state, ctx).await;
        ctx.set_outcome(match (&ctx.bound, ctx.strip_session) {
            (Some(_), _) => RequestOutcome::Bound,
            (None, true) => RequestOutcome::Stripped,
            (None, false) => RequestOutcome::Passed,
        });
        if route == Route::ApiLogin {
            let span = request_span(&ctx.request_id);
            local::serve_api_login(state, session, ctx)
                .instrument(span)
                .await?;
            return Ok(true);
        }
        // Only a client that holds a login waiting for MFA can need the JSON challenge; every
        // other request skips the store lookup.
        if route == Route::Proxied && ctx.bound.is_none() && ctx.holds_pending {
            if let Some(resp) = local::pending_api_challenge(state, session.req_header()).await {
                // The gateway answered (the JSON challenge), nothing was forwarded.
                ctx.set_outcome(RequestOutcome::Portal);
                resp.write(session).await?;
                return Ok(true);
            }
        }
        if route == Route::Login {
            let login = &state.config.site.login;
            let form = session
                .req_header()
                .headers
                .get("content-type")
                .is_some_and(|ct| is_form_urlencoded(ct.as_bytes()));
            ctx.login = Some(if form {
                FormFieldExtractor::new(&login.username_field, login.max_body_bytes)
            } else {
                FormFieldExtractor::failed(ExtractError::UnsupportedContentType)
            });
        }
        Ok(false)
    }

    async fn upstream_peer(
        &self,
        _session: &mut Session,
        _ctx: &mut Self::CTX,
    ) -> Result<Box<HttpPeer>> {
        Ok(Box::new(self.peer.clone()))
    }

    async fn upstream_request_filter(
        &self,
        session: &mut Session,
        upstream_request: &mut RequestHeader,
        ctx: &mut Self::CTX,
    ) -> Result<()> {
        inspect::apply_forwarding(&self.state, session, upstream_request, ctx)?;
        ctx.upstream_sent = Some(std::time::Instant::now());
        Ok(())
    }

    async fn request_body_filter(
        &self,
        _session: &mut Session,
        body: &mut Option<Bytes>,
        end_of_stream: bool,
        ctx: &mut Self::CTX,
    ) -> Result<()> {
        if let Some(extractor) = ctx.login.as_mut() {
            if let Some(chunk) = body.as_ref() {
                extractor.feed(chunk);
            }
            ctx.login_body_complete |= end_of_stream;
        }
        Ok(())
    }

    async fn response_filter(
        &self,
        session: &mut Session,
        upstream_response: &mut ResponseHeader,
        ctx: &mut Self::CTX,
    ) -> Result<()> {
        let state = &self.state;
        if let Some(sent) = ctx.upstream_sent.take() {
            metrics::upstream_response(sent.elapsed());
        }
        ctx.upstream_status = Some(upstream_response.status.as_u16());
        answer::refuse_ambiguous(upstream_response)?;
        match ctx.route {
            Some(Route::Login) => {
                let span = request_span(&ctx.request_id);
                answer::on_login_response(state, session, upstream_response, ctx)
                    .instrument(span)
                    .await?
            }
            Some(route) => {
                answer::guard_session_cookies(state, session, upstream_response, ctx, route).await?
            }
            None => {}
        }
        if ctx.clear_binding && !ctx.replaced {
            upstream_response.append_header(
                "set-cookie",
                crate::mfa::session::clear_cookie(state, &state.cookie_names.binding),
            )?;
        }
        if let Some(hsts) = &state.config.edge.hsts {
            upstream_response.insert_header("strict-transport-security", hsts.as_str())?;
        }
        match &state.config.edge.server_header {
            ServerHeader::Pass => {}
            ServerHeader::Remove => {
                upstream_response.remove_header("server");
            }
            ServerHeader::Replace(name) => {
                upstream_response.insert_header("server", name.as_str())?;
            }
        }
        Ok(())
    }

    fn response_body_filter(
        &self,
        _session: &mut Session,
        body: &mut Option<Bytes>,
        _end_of_stream: bool,
        ctx: &mut Self::CTX,
    ) -> Result<Option<std::time::Duration>> {
        if ctx.replaced {
            *body = None;
        }
        Ok(None)
    }

    async fn fail_to_proxy(
        &self,
        session: &mut Session,
        e: &Error,
        _ctx: &mut Self::CTX,
    ) -> FailToProxy {
        let (code, msg) = match e.esource() {
            ErrorSource::Upstream => {
                upstream_error();
                (502, Message::upstream_down())
            }
            ErrorSource::Downstream => (0, Message::bad_request()),
            ErrorSource::Internal | ErrorSource::Unset => (500, Message::fail_closed()),
        };
        // Once an answer head went out (the upstream's), another answer cannot follow it on
        // the same connection: closing it is the only clean end.
        let answered = session.response_written().is_some();
        // The connection is not reused after this answer (`can_reuse_downstream: false`), so
        // the answer must say so (`Connection: close`): a client that was told keep-alive would
        // send its next request into a closing socket.
        session.set_keepalive(None);
        if code > 0 && !answered {
            let resp = local::error_response(&self.state, session.req_header(), code, msg);
            if let Err(write_err) = resp.write(session).await {
                tracing::debug!(error = %write_err, "could not write error page");
            }
        }
        FailToProxy {
            error_code: code,
            can_reuse_downstream: false,
        }
    }

    /// Counts the request once, whichever way it ended (pingora calls this for every request,
    /// answered by a hook, proxied or failed).
    async fn logging(&self, session: &mut Session, _e: Option<&Error>, ctx: &mut Self::CTX) {
        let elapsed = ctx.started.map(|t| t.elapsed()).unwrap_or_default();
        let outcome = ctx.outcome.unwrap_or(RequestOutcome::Failed);
        record_request(outcome, elapsed);
        if let Some(log) = &self.state.access_log {
            access::write(log, session, ctx, outcome, elapsed);
        }
    }
}
