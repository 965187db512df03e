//! Paths the gateway pages link to and post to.
//!
//! The templates read these through the `routes` global, so the HTTP layer and the forms
//! cannot drift apart: handlers should match on the same constants.

use std::collections::BTreeMap;

/// Entry point: shows enrollment or the challenge, whichever applies (GET).
pub const START: &str = "/_mfa/";
/// Choose a method during enrollment (POST, field `method`); GET `?choose=1` shows the choice again.
pub const ENROLL: &str = "/_mfa/enroll";
/// GET target of "Choose a different method" during enrollment.
pub const ENROLL_CHOOSE_AGAIN: &str = "/_mfa/enroll?choose=1";
/// Confirm authenticator-app set-up (POST, fields `code`, `remember`).
pub const ENROLL_APP: &str = "/_mfa/enroll/app";
/// Confirm email / text set-up with the code sent (POST, fields `code`, `remember`).
pub const ENROLL_CONTACT: &str = "/_mfa/enroll/contact";
/// Check a code for an enrolled member (POST, field `code`).
pub const VERIFY: &str = "/_mfa/verify";
/// Send a new email / text code (POST).
pub const RESEND: &str = "/_mfa/resend";
/// Switch to another enrolled method (POST, field `method`).
pub const METHOD: &str = "/_mfa/method";
/// Leave the verification step (POST).
pub const CANCEL: &str = "/_mfa/cancel";
/// Prefix of the gateway's own static files (CSS, logo).
pub const STATIC_PREFIX: &str = "/_mfa/static/";
/// The main stylesheet, see `Pages::gateway_css`.
pub const GATEWAY_CSS: &str = "/_mfa/static/gateway.css";
/// The generated colour stylesheet, see `Pages::brand_css`.
pub const BRAND_CSS: &str = "/_mfa/static/brand.css";
/// The language switch: `GET /_mfa/lang/es` remembers Spanish and goes back to [`START`].
pub const LANG_PREFIX: &str = "/_mfa/lang/";

/// The `routes` global given to templates, e.g. `{{ routes.verify }}`.
pub(crate) fn template_global() -> BTreeMap<&'static str, &'static str> {
    BTreeMap::from([
        ("start", START),
        ("enroll", ENROLL),
        ("enroll_choose_again", ENROLL_CHOOSE_AGAIN),
        ("enroll_app", ENROLL_APP),
        ("enroll_contact", ENROLL_CONTACT),
        ("verify", VERIFY),
        ("resend", RESEND),
        ("method", METHOD),
        ("cancel", CANCEL),
        ("gateway_css", GATEWAY_CSS),
        ("brand_css", BRAND_CSS),
        ("lang_prefix", LANG_PREFIX),
    ])
}
