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

use crate::admin::{request_outcome, upstream_error, RequestOutcome};
use crate::http::classify::Route;
use crate::http::cookies::filter_cookie_header;
use crate::http::login_form::{is_form_urlencoded, ExtractError, FormFieldExtractor};
use crate::http::login_success::{is_login_success, LoginResponse};
use crate::mfa::claims::BindingClaims;
use crate::mfa::login::{decide, LoginContext, LoginDecision, SuccessfulLogin};
use crate::mfa::session::{binding_set_cookie, clear_cookie, verify_binding, SessionCookies};
use crate::pages::Message;
use crate::state::AppState;

/// Identity headers a client could forge; the upstream must never trust them from outside.
pub const CLIENT_IDENTITY_HEADERS: &[&str] = &[
    "x-mfa-user",
    "x-forwarded-user",
    "x-remote-user",
    "remote-user",
    "x-authenticated-user",
    "x-auth-request-user",
];

mod local;

/// A span carrying a fresh request id, entered around the work of requests that touch MFA state
/// (pages, logins), so every audit line they cause can be correlated. Browsing requests get none:
/// they emit no events, and the hot path stays free of the random draw.
fn request_span() -> tracing::Span {
    let mut id = [0u8; 8];
    let _ = ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut id);
    let id: String = id.iter().map(|b| format!("{b:02x}")).collect();
    tracing::info_span!("request", request_id = %id)
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
}

fn cookie_headers(req: &RequestHeader) -> (Vec<&str>, bool) {
    let mut unreadable = false;
    let values = req
        .headers
        .get_all(http::header::COOKIE)
        .iter()
        .filter_map(|v| {
            let s = std::str::from_utf8(v.as_bytes()).ok();
            unreadable |= s.is_none();
            s
        })
        .collect();
    (values, unreadable)
}

impl Gateway {
    /// Reads the session-related cookies and decides whether the session is bound.
    ///
    /// This runs on every proxied request, so it stays on the fast path the design asks for:
    /// two scans of the cookies (gateway cookies, then the session cookies), copies of the
    /// session cookie values only, one SHA-256 and one HMAC check of the binding, no store
    /// access. The trust cookie is kept only on the login routes, the one place it is read.
    fn inspect_request(&self, req: &RequestHeader, route: Route, ctx: &mut RequestCtx) {
        let state = &self.state;
        let names = &state.cookie_names;
        let (headers, unreadable) = cookie_headers(req);
        ctx.cookies_unreadable = unreadable;
        let wants_trust = matches!(route, Route::Login | Route::ApiLogin);
        let mut gateway_cookie = false;
        let mut binding = None;
        for pair in crate::http::cookies::request_cookies(headers.iter().copied()) {
            if !names.is_gateway_cookie(pair.name) {
                continue;
            }
            gateway_cookie = true;
            if pair.name == names.binding {
                // The first binding cookie counts, as a cookie jar would send it first.
                binding = binding.or(Some(pair.value));
            } else if wants_trust && pair.name == names.trust {
                ctx.trust_cookie = Some(pair.value.to_string());
            } else if pair.name == names.pending {
                ctx.holds_pending = true;
            }
        }
        ctx.session = SessionCookies::from_headers(
            headers.iter().copied(),
            &state.config.site.session_cookies,
        );
        if !ctx.session.is_empty() {
            ctx.bound = match route {
                Route::Public => None,
                _ => verify_binding(state, &ctx.session, binding, state.now()),
            };
            ctx.strip_session = ctx.bound.is_none();
        }
        ctx.rewrite_cookies =
            gateway_cookie || ctx.strip_session || headers.len() > 1 || unreadable;
    }
}

#[async_trait]
impl ProxyHttp for Gateway {
    type CTX = RequestCtx;

    fn new_ctx(&self) -> Self::CTX {
        RequestCtx::default()
    }

    async fn request_filter(&self, session: &mut Session, ctx: &mut Self::CTX) -> Result<bool> {
        let req = session.req_header();
        if local::header_bytes(req) > local::MAX_HEADER_BYTES {
            let msg = Message::new(431, "Request too large", "Your browser sent more data than we accept. Clearing this site's cookies usually helps.");
            local::error_response(&self.state, req, 431, msg)
                .write(session)
                .await?;
            return Ok(true);
        }
        let route = self.state.classifier.classify(&req.method, req.uri.path());
        ctx.route = Some(route);
        if route == Route::Portal {
            request_outcome(RequestOutcome::Portal);
            local::serve_portal(&self.state, session)
                .instrument(request_span())
                .await?;
            return Ok(true);
        }
        self.inspect_request(session.req_header(), route, ctx);
        request_outcome(match (&ctx.bound, ctx.strip_session) {
            (Some(_), _) => RequestOutcome::Bound,
            (None, true) => RequestOutcome::Stripped,
            (None, false) => RequestOutcome::Passed,
        });
        if route == Route::ApiLogin {
            local::serve_api_login(&self.state, session, ctx)
                .instrument(request_span())
                .await?;
            return Ok(true);
        }
        // Only a client that holds a login waiting for MFA can need the JSON challenge; every
        // other request skips the store lookup.
        if route == Route::Proxied && ctx.bound.is_none() && ctx.holds_pending {
            if let Some(resp) =
                local::pending_api_challenge(&self.state, session.req_header()).await
            {
                resp.write(session).await?;
                return Ok(true);
            }
        }
        if route == Route::Login {
            let login = &self.state.config.site.login;
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
        // Forged identity headers are rare: one pass over the names finds out, instead of a
        // hashed removal per name on every request.
        let forged = upstream_request
            .headers
            .keys()
            .any(|name| CLIENT_IDENTITY_HEADERS.contains(&name.as_str()));
        if forged {
            for name in CLIENT_IDENTITY_HEADERS {
                upstream_request.remove_header(*name);
            }
        }
        if ctx.rewrite_cookies {
            let state = &self.state;
            let rebuilt = if ctx.cookies_unreadable {
                None
            } else {
                let (headers, _) = cookie_headers(upstream_request);
                let session_names = &state.config.site.session_cookies;
                let is_session = |name: &str| session_names.iter().any(|n| n == name);
                filter_cookie_header(headers, |p| {
                    let drop = state.cookie_names.is_gateway_cookie(p.name)
                        || (ctx.strip_session && is_session(p.name));
                    !drop
                })
            };
            // Inserting replaces every `Cookie` header at once (several are merged into one).
            match rebuilt {
                Some(value) => upstream_request.insert_header("cookie", value)?,
                None => {
                    upstream_request.remove_header("cookie");
                }
            }
        }
        /// Appends `ip` in its usual text form; IPv4, the common case, skips the formatting
        /// machinery (measurably slower on a path taken by every request).
        fn push_ip(out: &mut String, ip: std::net::IpAddr) {
            match ip {
                std::net::IpAddr::V4(v4) => {
                    for (i, octet) in v4.octets().into_iter().enumerate() {
                        if i > 0 {
                            out.push('.');
                        }
                        if octet >= 100 {
                            out.push(char::from(b'0' + octet / 100));
                        }
                        if octet >= 10 {
                            out.push(char::from(b'0' + octet / 10 % 10));
                        }
                        out.push(char::from(b'0' + octet % 10));
                    }
                }
                std::net::IpAddr::V6(v6) => out.push_str(&v6.to_string()),
            }
        }
        if let Some(addr) = session.client_addr().and_then(|a| a.as_inet()) {
            let prior = upstream_request
                .headers
                .get("x-forwarded-for")
                .and_then(|v| v.to_str().ok())
                .filter(|prior| !prior.trim().is_empty());
            let mut forwarded = String::with_capacity(prior.map_or(0, |p| p.len() + 2) + 39);
            if let Some(prior) = prior {
                forwarded.push_str(prior);
                forwarded.push_str(", ");
            }
            push_ip(&mut forwarded, addr.ip());
            upstream_request.insert_header("x-forwarded-for", forwarded)?;
        }
        let proto = if self.state.config.listen.tls.is_some() {
            "https"
        } else {
            "http"
        };
        // A static value: no copy of the bytes per request.
        upstream_request
            .insert_header("x-forwarded-proto", http::HeaderValue::from_static(proto))?;
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
        match ctx.route {
            Some(Route::Login) => {
                self.on_login_response(session, upstream_response, ctx)
                    .instrument(request_span())
                    .await
            }
            Some(Route::Logout { forget_device }) => {
                upstream_response.append_header(
                    "set-cookie",
                    clear_cookie(&self.state, &self.state.cookie_names.binding),
                )?;
                if forget_device {
                    upstream_response.append_header(
                        "set-cookie",
                        clear_cookie(&self.state, &self.state.cookie_names.trust),
                    )?;
                }
                Ok(())
            }
            _ => self.rebind_rotated_session(upstream_response, ctx),
        }
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
        if code > 0 {
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
}

impl Gateway {
    async fn on_login_response(
        &self,
        session: &mut Session,
        resp: &mut ResponseHeader,
        ctx: &mut RequestCtx,
    ) -> Result<()> {
        let state = &self.state;
        let set_cookies: Vec<String> = resp
            .headers
            .get_all("set-cookie")
            .iter()
            .filter_map(|v| v.to_str().ok().map(str::to_string))
            .collect();
        let location = resp
            .headers
            .get("location")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        let cookie_refs: Vec<&str> = set_cookies.iter().map(String::as_str).collect();
        let view = LoginResponse {
            status: resp.status.as_u16(),
            location: location.as_deref(),
            set_cookies: &cookie_refs,
        };
        if !is_login_success(
            &state.config.site.login.success,
            &state.config.site.session_cookies,
            &view,
        ) {
            return self.rebind_rotated_session(resp, ctx);
        }
        let user = match ctx.login.take() {
            Some(extractor) if ctx.login_body_complete => extractor.finish(),
            Some(_) => Err(ExtractError::Malformed),
            None => Err(ExtractError::Missing),
        };
        let host = session
            .req_header()
            .headers
            .get("host")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string();
        let own_hosts = [
            host.as_str(),
            state.config.upstream.address.as_str(),
            state.config.upstream.sni.as_str(),
        ];
        let upstream = SuccessfulLogin {
            set_cookies: cookie_refs.clone(),
            location: location.as_deref(),
        };
        // The form login always gets the browser flavour: its answer head is replaced while the
        // upstream body is dropped, so only a body-less 303 can stand in for it. JSON logins go
        // through `local::serve_api_login`, which can answer a complete JSON challenge.
        let login_ctx = LoginContext {
            browser: &ctx.session,
            trust: ctx.trust_cookie.as_deref(),
            own_hosts: &own_hosts,
            api: false,
            held_body: None,
        };
        let decision = decide(state, user, &upstream, login_ctx).await;
        match decision {
            LoginDecision::Pass {
                add_set_cookies, ..
            } => {
                for c in add_set_cookies {
                    resp.append_header("set-cookie", c)?;
                }
            }
            LoginDecision::Replace(replacement) => {
                request_outcome(RequestOutcome::Intercepted);
                *resp = replacement.head()?;
                ctx.replaced = true;
            }
        }
        Ok(())
    }

    /// A bound session whose upstream cookie changed gets a binding for the new value.
    fn rebind_rotated_session(&self, resp: &mut ResponseHeader, ctx: &RequestCtx) -> Result<()> {
        let Some(bound) = ctx.bound.as_ref() else {
            return Ok(());
        };
        if !resp.headers.contains_key("set-cookie") {
            return Ok(());
        }
        let state = &self.state;
        let set_cookies: Vec<&str> = resp
            .headers
            .get_all("set-cookie")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .collect();
        let now = state.now();
        if let Some(after) =
            ctx.session
                .after_response(&set_cookies, &state.config.site.session_cookies, now)
        {
            let cookie =
                binding_set_cookie(state, &after, &bound.user, bound.epoch, bound.expires, now);
            resp.append_header("set-cookie", cookie)?;
        }
        Ok(())
    }
}
