//! The access log line of one request, gathered from the session and the request's context
//! (the `logging` hook calls this only when `access_log:` is configured).

use std::time::Duration;

use pingora::proxy::Session;

use super::RequestCtx;
use crate::admin::access_log::{logged_target, AccessLine, AccessLog};
use crate::admin::RequestOutcome;

pub(super) fn write(
    log: &AccessLog,
    session: &Session,
    ctx: &RequestCtx,
    outcome: RequestOutcome,
    elapsed: Duration,
) {
    let req = session.req_header();
    let header = |name: &str| req.headers.get(name).and_then(|v| v.to_str().ok());
    let target = req
        .uri
        .path_and_query()
        .map_or_else(|| req.uri.path(), |p| p.as_str());
    let line = AccessLine {
        time: chrono::Utc::now(),
        request_id: &ctx.request_id,
        client: session
            .client_addr()
            .and_then(|a| a.as_inet())
            .map(|a| a.ip()),
        member: ctx.bound.as_ref().map(|claims| claims.user.as_str()),
        method: req.method.as_str(),
        target: logged_target(target),
        status: session
            .response_written()
            .map_or(0, |resp| resp.status.as_u16()),
        bytes: session.body_bytes_sent(),
        upstream_status: ctx.upstream_status,
        outcome: outcome.label(),
        duration_ms: elapsed.as_secs_f64() * 1000.0,
        referer: header("referer"),
        user_agent: header("user-agent"),
    };
    log.write(&line);
}
