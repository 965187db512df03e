//! The standard wording of the generic [`Message`] page.
//!
//! Each situation the gateway explains to members has one constructor here, so the words
//! stay plain and consistent wherever the HTTP layer needs them.

use super::context::Message;
use super::routes;

impl Message {
    /// A message page with an optional next-step link.
    pub fn new(status: u16, title: &str, message: &str) -> Message {
        Message {
            status,
            title: title.to_string(),
            message: message.to_string(),
            details: None,
            retry_href: None,
            retry_label: None,
        }
    }

    /// Adds a next-step link.
    pub fn with_retry(mut self, href: &str, label: &str) -> Message {
        self.retry_href = Some(href.to_string());
        self.retry_label = Some(label.to_string());
        self
    }

    /// Adds an extra paragraph.
    pub fn with_details(mut self, details: &str) -> Message {
        self.details = Some(details.to_string());
        self
    }

    /// The held sign-in is gone (timed out, already used, or the cookie is missing).
    pub fn session_expired() -> Message {
        Message::new(
            400,
            "Please sign in again",
            "Your sign-in took too long, so we stopped it to keep your account safe. Please sign in again.",
        )
        .with_retry(routes::SITE_HOME, "Sign in again")
    }

    /// Too many wrong codes: the member must contact support to be unlocked.
    pub fn locked() -> Message {
        Message::new(
            403,
            "Verification is locked",
            "There were too many wrong codes, so we locked two-step verification for this account to keep it safe.",
        )
        .with_details("Please contact support (details below). They will confirm it is you and unlock your account.")
    }

    /// Too many wrong codes in a row: the member must wait before trying again.
    pub fn slow_down(wait_secs: u64) -> Message {
        let minutes = wait_secs.div_ceil(60).max(1);
        let unit = if minutes == 1 { "minute" } else { "minutes" };
        Message::new(
            429,
            "Please wait a moment",
            &format!("There were several wrong codes in a row. Please wait {minutes} {unit}, then try again."),
        )
        .with_retry(routes::START, "Try again")
    }

    /// A store, roster or delivery dependency is down: nobody passes without verification.
    pub fn fail_closed() -> Message {
        Message::new(
            503,
            "We can't verify your sign-in right now",
            "Nobody can get in without verification, so please try again in a few minutes or contact support.",
        )
        .with_retry(routes::SITE_HOME, "Try again")
    }

    /// The legacy site did not answer.
    pub fn upstream_down() -> Message {
        Message::new(
            502,
            "The website is not answering",
            "The website is not answering right now. Please try again in a few minutes.",
        )
        .with_retry(routes::SITE_HOME, "Try again")
    }

    /// A malformed gateway request (missing or invalid form fields).
    pub fn bad_request() -> Message {
        Message::new(
            400,
            "Something was missing",
            "We could not understand that request. Please go back and try again.",
        )
        .with_retry(routes::START, "Start again")
    }

    /// A request body over the gateway's limit.
    pub fn too_large() -> Message {
        Message::new(
            413,
            "That was too much to send",
            "What you sent was too large for us to accept. Please go back and try again.",
        )
        .with_retry(routes::START, "Start again")
    }

    /// A form without a valid CSRF token (often an old tab or a page left open too long).
    pub fn csrf_failed() -> Message {
        Message::new(
            403,
            "This page was out of date",
            "This page was open for too long or in another tab, so we could not accept it. Please start again.",
        )
        .with_retry(routes::START, "Start again")
    }

    /// A roster is configured and does not list this login: no set-up (`mfa.enrollment`).
    pub fn not_in_roster() -> Message {
        Message::new(
            403,
            "We couldn't find your membership record",
            "We couldn't find your membership record in the member roster, so we can't set up two-step verification for this sign-in.",
        )
        .with_details("Please contact support (details below). They will check your membership record and help you finish setting up.")
        .with_retry(routes::SITE_HOME, "Back to the sign-in page")
    }

    /// Set-up must first prove the roster email / mobile, and the roster has neither.
    pub fn no_contact_on_file(roster_update_url: Option<&str>) -> Message {
        let msg = Message::new(
            409,
            "We can't set up verification for you yet",
            "Before you set up two-step verification we send a code to the email address or mobile number on your roster record, and your record has neither.",
        )
        .with_details("Please update your roster information, then sign in again. If you have trouble, contact support (details below).");
        match roster_update_url {
            Some(url) => msg.with_retry(url, "Update your roster information"),
            None => msg.with_retry(routes::SITE_HOME, "Back to the sign-in page"),
        }
    }

    /// An authenticator app was submitted before the contact on file was proven.
    pub fn contact_proof_required() -> Message {
        Message::new(
            403,
            "Please confirm it's you first",
            "Before you set up an authenticator app, we send a code to the email address or mobile number on your roster record. Please start again and enter that code first.",
        )
        .with_retry(routes::START, "Start again")
    }

    /// An unknown gateway path.
    pub fn not_found() -> Message {
        Message::new(404, "Page not found", "We could not find that page.")
            .with_retry(routes::SITE_HOME, "Go to the sign-in page")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_situation_has_its_status() {
        let statuses: Vec<u16> = [
            Message::session_expired(),
            Message::locked(),
            Message::slow_down(61),
            Message::fail_closed(),
            Message::upstream_down(),
            Message::bad_request(),
            Message::too_large(),
            Message::csrf_failed(),
            Message::not_found(),
            Message::not_in_roster(),
            Message::no_contact_on_file(None),
            Message::contact_proof_required(),
        ]
        .iter()
        .map(|message| message.status)
        .collect();
        assert_eq!(
            statuses,
            [400, 403, 429, 503, 502, 400, 413, 403, 404, 403, 409, 403]
        );
    }

    #[test]
    fn slow_down_rounds_up_to_whole_minutes() {
        assert!(Message::slow_down(61).message.contains("wait 2 minutes"));
        assert!(Message::slow_down(5).message.contains("wait 1 minute,"));
    }

    #[test]
    fn fail_closed_says_nobody_gets_in() {
        assert!(Message::fail_closed()
            .message
            .contains("Nobody can get in without verification"));
    }
}
