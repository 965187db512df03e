//! The branded answers that replace pingora's error head: prepared once at start-up (HTML and
//! JSON for 400 and 405), then completed per connection with pingora's `Date` line and chosen
//! by what the latest request's prefix says about the client.

use std::sync::Arc;

use bytes::{BufMut as _, Bytes, BytesMut};

use super::error_head::{ErrorHead, RequestPrefix};
use crate::http::response::GatewayResponse;
use crate::pages::Message;
use crate::state::AppState;

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
        // A request that could not be parsed has no language to read: English, and the
        // sign-in page from the configuration.
        let audience = crate::portal::audience(state, crate::pages::Lang::En, None);
        let for_json = state.clone();
        Answers::new(
            crate::portal::message(state, &audience, Message::bad_request()),
            crate::portal::message(state, &audience, Message::method_not_allowed()),
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
    pub(super) fn answer(&self, error: &ErrorHead<'_>, prefix: &[u8]) -> Bytes {
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

/// Fixed test answers: JSON for `/api/` or an `Accept` with `application/json`.
#[cfg(test)]
pub(super) fn test_answers() -> Arc<Answers> {
    Arc::new(
        Answers::new(
            GatewayResponse::html(400, "<p>branded 400</p>".into()),
            GatewayResponse::html(405, "<p>branded 405</p>".into()),
            Box::new(|path, accept, _| {
                path.starts_with("/api/") || accept.is_some_and(|a| a.contains("application/json"))
            }),
        )
        .unwrap(),
    )
}
