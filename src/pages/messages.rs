//! The standard [`Message`] pages, one constructor per situation the gateway explains to
//! members. They hold catalogue ids (`static/locales/*.ftl`), so the words are the same
//! wherever the HTTP layer needs them and are rendered in the member's language.

use std::collections::BTreeMap;

use super::context::{Message, NextStep};

/// `routes` keys a next step may name.
const SIGN_IN: &str = "sign_in";
const START: &str = "start";

impl Message {
    /// A message page: heading and text ids, no next step.
    pub fn new(status: u16, title: &'static str, message: &'static str) -> Message {
        Message {
            status,
            title,
            message,
            details: None,
            next: None,
            args: BTreeMap::new(),
        }
    }

    /// Adds a next-step link to a gateway route (`sign_in`, `start`, ...).
    pub fn with_route(mut self, route: &'static str, label: &'static str) -> Message {
        self.next = Some(NextStep {
            route: Some(route),
            href: None,
            label,
        });
        self
    }

    /// Adds a next-step link to a configured URL.
    pub fn with_link(mut self, href: &str, label: &'static str) -> Message {
        self.next = Some(NextStep {
            route: None,
            href: Some(href.to_string()),
            label,
        });
        self
    }

    /// Adds an extra paragraph (a message id).
    pub fn with_details(mut self, details: &'static str) -> Message {
        self.details = Some(details);
        self
    }

    /// Adds an argument of the messages.
    pub fn with_arg(mut self, name: &'static str, value: impl Into<serde_json::Value>) -> Message {
        self.args.insert(name, value.into());
        self
    }

    /// The held sign-in is gone (timed out, already used, or the cookie is missing).
    pub fn session_expired() -> Message {
        Message::new(400, "expired-title", "expired-text").with_route(SIGN_IN, "sign-in-again")
    }

    /// The member chose Cancel and then came back to the verification step (back button,
    /// another tab): say what happened, not that it took too long.
    pub fn sign_in_cancelled() -> Message {
        Message::new(400, "cancelled-again-title", "cancelled-again-text")
            .with_route(SIGN_IN, "sign-in-again")
    }

    /// Too many wrong codes: the member must contact support to be unlocked.
    pub fn locked() -> Message {
        Message::new(403, "locked-title", "locked-text").with_details("locked-details")
    }

    /// Too many wrong codes for this sign-in: it is stopped, the member signs in again.
    pub fn challenge_exhausted() -> Message {
        Message::new(403, "exhausted-title", "exhausted-text").with_route(SIGN_IN, "sign-in-again")
    }

    /// Too many wrong codes in a row: the member must wait before trying again.
    pub fn slow_down(wait_secs: u64) -> Message {
        Message::new(429, "slow-down-title", "slow-down-text")
            .with_arg("minutes", wait_secs.div_ceil(60).max(1))
            .with_route(START, "try-again")
    }

    /// A store, roster or delivery dependency is down: nobody passes without verification.
    pub fn fail_closed() -> Message {
        Message::new(503, "fail-closed-title", "fail-closed-text").with_route(SIGN_IN, "try-again")
    }

    /// The legacy site did not answer.
    pub fn upstream_down() -> Message {
        Message::new(502, "upstream-down-title", "upstream-down-text")
            .with_route(SIGN_IN, "try-again")
    }

    /// A malformed gateway request (missing or invalid form fields).
    pub fn bad_request() -> Message {
        Message::new(400, "bad-request-title", "bad-request-text").with_route(START, "start-again")
    }

    /// A request the website could not read (the login answer was unreadable).
    pub fn sign_in_unreadable() -> Message {
        Message::new(400, "unreadable-title", "unreadable-text")
            .with_route(SIGN_IN, "sign-in-again")
    }

    /// A request body over the gateway's limit.
    pub fn too_large() -> Message {
        Message::new(413, "too-large-title", "too-large-text").with_route(START, "start-again")
    }

    /// Request headers over the gateway's limit (usually too many cookies).
    pub fn headers_too_large() -> Message {
        Message::new(431, "headers-too-large-title", "headers-too-large-text")
    }

    /// A method the gateway does not serve (its own 405 page).
    pub fn method_not_allowed() -> Message {
        Message::new(405, "not-allowed-title", "not-allowed-text")
            .with_route(SIGN_IN, "go-to-website")
    }

    /// A form without a valid CSRF token (often an old tab or a page left open too long).
    pub fn csrf_failed() -> Message {
        Message::new(403, "csrf-title", "csrf-text").with_route(START, "start-again")
    }

    /// A roster is configured and does not list this login: no set-up (`mfa.enrollment`).
    pub fn not_in_roster() -> Message {
        Message::new(403, "not-in-roster-title", "not-in-roster-text")
            .with_details("not-in-roster-details")
            .with_route(SIGN_IN, "back-to-sign-in")
    }

    /// Set-up must first prove the roster email / mobile, and the roster has neither.
    pub fn no_contact_on_file(roster_update_url: Option<&str>) -> Message {
        let message = Message::new(409, "no-contact-title", "no-contact-text")
            .with_details("no-contact-details");
        match roster_update_url {
            Some(url) => message.with_link(url, "update-roster"),
            None => message.with_route(SIGN_IN, "back-to-sign-in"),
        }
    }

    /// The chosen email / text method has no destination on the roster.
    pub fn contact_not_on_file() -> Message {
        Message::new(409, "contact-not-on-file-title", "contact-not-on-file-text")
            .with_route("enroll_choose_again", "choose-different-method")
    }

    /// Set-up finished meanwhile (another tab or device).
    pub fn already_set_up() -> Message {
        Message::new(409, "already-set-up-title", "already-set-up-text")
            .with_route(SIGN_IN, "sign-in-again")
    }

    /// The member has no way left to receive a code (roster changed, method disabled).
    pub fn no_method_available() -> Message {
        Message::new(409, "no-method-title", "no-method-text")
    }

    /// An authenticator app was submitted before the contact on file was proven.
    pub fn contact_proof_required() -> Message {
        Message::new(403, "proof-required-title", "proof-required-text")
            .with_route(START, "start-again")
    }

    /// An unknown gateway path.
    pub fn not_found() -> Message {
        Message::new(404, "not-found-title", "not-found-text").with_route(SIGN_IN, "go-to-sign-in")
    }

    /// Every standard message, for the render-every-page tests and the start-up check.
    pub fn all_standard() -> Vec<Message> {
        vec![
            Message::session_expired(),
            Message::sign_in_cancelled(),
            Message::locked(),
            Message::challenge_exhausted(),
            Message::slow_down(61),
            Message::fail_closed(),
            Message::upstream_down(),
            Message::bad_request(),
            Message::sign_in_unreadable(),
            Message::too_large(),
            Message::headers_too_large(),
            Message::method_not_allowed(),
            Message::csrf_failed(),
            Message::not_in_roster(),
            Message::no_contact_on_file(None),
            Message::no_contact_on_file(Some("https://www.example-mls.com/roster")),
            Message::contact_not_on_file(),
            Message::already_set_up(),
            Message::no_method_available(),
            Message::contact_proof_required(),
            Message::not_found(),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_situation_has_its_status() {
        let statuses: Vec<u16> = Message::all_standard()
            .iter()
            .map(|message| message.status)
            .collect();
        assert_eq!(
            statuses,
            [
                400, 400, 403, 403, 429, 503, 502, 400, 400, 413, 431, 405, 403, 403, 409, 409,
                409, 409, 409, 403, 404
            ]
        );
    }

    #[test]
    fn slow_down_rounds_up_to_whole_minutes() {
        assert_eq!(Message::slow_down(61).args["minutes"], 2);
        assert_eq!(Message::slow_down(5).args["minutes"], 1);
    }
}
