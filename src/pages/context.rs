//! The data each gateway page is rendered from.
//!
//! Contexts are plain structs with public fields so the HTTP layer can fill them without
//! builders. Every text value is escaped by the template engine when rendered; the one
//! exception is [`EnrollApp::qr_svg`], which is markup the gateway generated itself.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::config::Method;

/// One page the gateway can show, holding the data it is rendered from.
#[derive(Debug, Clone, Serialize)]
#[serde(untagged)]
pub enum Page {
    /// First-time set-up: pick how to receive codes.
    EnrollChoose(EnrollChoose),
    /// Set up an authenticator app (QR code, typed key, first code).
    EnrollApp(EnrollApp),
    /// Confirm an email address or mobile number by entering the code sent to it.
    EnrollContact(EnrollContact),
    /// Enter the code for an already set-up method.
    Challenge(Challenge),
    /// The member left the verification step (e.g. to correct roster details).
    Cancelled(Cancelled),
    /// Generic explanation page: expired, locked, unavailable, bad request and similar.
    Message(Message),
}

impl Page {
    /// Name of the template (under `static/templates/`) this page is rendered with.
    pub fn template_name(&self) -> &'static str {
        match self {
            Page::EnrollChoose(_) => "enroll_choose.html",
            Page::EnrollApp(_) => "enroll_app.html",
            Page::EnrollContact(_) => "enroll_contact.html",
            Page::Challenge(_) => "challenge.html",
            Page::Cancelled(_) => "cancelled.html",
            Page::Message(_) => "message.html",
        }
    }

    /// HTTP status the page should be served with: the message's own status, else 200.
    pub fn status(&self) -> u16 {
        match self {
            Page::Message(message) => message.status,
            _ => 200,
        }
    }
}

/// The form value the templates use for a method (`app`, `email`, `text`).
pub fn method_value(method: Method) -> &'static str {
    match method {
        Method::App => "app",
        Method::Email => "email",
        Method::Text => "text",
    }
}

/// A way of receiving codes, offered as a radio button or a "Try another method" button.
#[derive(Debug, Clone, Serialize)]
pub struct MethodChoice {
    /// Form value: `app`, `email` or `text` (see [`method_value`]).
    pub value: String,
    /// Message id of the short name, e.g. `method-text` ("Text message"); render with `t()`.
    pub label: String,
    /// Message id of one plain sentence, e.g. `method-text-description`.
    pub description: String,
    /// Where codes go, already masked, e.g. `(•••) •••-2963`; `None` for the app.
    pub masked_destination: Option<String>,
}

/// A length of time as a whole number of one unit, so the catalogue can word it with plurals
/// ("30 days", "1 hour", "5 minutos"): `t("enroll-duration", count=…, unit=…)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct TimeSpan {
    /// How many `unit`s.
    pub count: u64,
    /// `days`, `hours`, `minutes` or `seconds`.
    pub unit: &'static str,
}

impl TimeSpan {
    /// The largest unit that measures `duration` exactly (90 minutes stays "90 minutes"), but
    /// one day is "24 hours", as people say it and the member FAQ does (`format_duration` too).
    pub fn of(duration: std::time::Duration) -> TimeSpan {
        let (count, unit) = match duration.as_secs() {
            s if s > 86_400 && s.is_multiple_of(86_400) => (s / 86_400, "days"),
            s if s > 0 && s.is_multiple_of(3_600) => (s / 3_600, "hours"),
            s if s > 0 && s.is_multiple_of(60) => (s / 60, "minutes"),
            s => (s, "seconds"),
        };
        TimeSpan { count, unit }
    }
}

/// One "How often should we ask for a code on this device?" choice.
#[derive(Debug, Clone, Serialize)]
pub struct TrustOption {
    /// Form value of the `remember` field: the period in seconds, e.g. `86400`.
    pub value: String,
    /// The period, worded by the page ("Every 24 hours", "Cada 30 días").
    pub every: TimeSpan,
    /// Pre-selected (the configured default).
    pub selected: bool,
}

/// A day of the calendar, for the catalogue to word in the member's language.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct CalendarDate {
    pub year: i32,
    /// 1 (January) to 12.
    pub month: u32,
    pub day: u32,
    /// 1 (Monday) to 7 (Sunday).
    pub weekday: u32,
}

impl CalendarDate {
    /// The day `instant` falls on in UTC (the time zone `mfa.enforce_from` dates are read in).
    pub fn of(instant: chrono::DateTime<chrono::Utc>) -> CalendarDate {
        use chrono::Datelike;
        CalendarDate {
            year: instant.year(),
            month: instant.month(),
            day: instant.day(),
            weekday: instant.weekday().number_from_monday(),
        }
    }
}

/// What MFA is and that it is required, said once on the first set-up page a member sees.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct MfaIntro {
    /// The day MFA became required (`mfa.enforce_from`); `None` when it was from the start.
    pub required_from: Option<CalendarDate>,
    /// Only the authenticator app is offered, so the words name no email or text.
    pub app_only: bool,
}

/// Why the last set-up step was refused; the page words it in the member's language.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum SetupError {
    /// The choice page was sent without a method.
    NoMethod,
    /// The code was sent without a trust period.
    NoTrustPeriod,
    /// Wrong (or reused) code; this many more tries for this sign-in.
    WrongCode { attempts_left: u32 },
    /// The emailed / texted code ran out of time.
    CodeExpired,
    /// The code could not be sent just now (provider or store trouble).
    SendFailed,
}

/// Context of [`Page::EnrollChoose`].
#[derive(Debug, Clone, Serialize)]
pub struct EnrollChoose {
    /// CSRF token for every form on the page.
    pub csrf: String,
    /// The member's login id, shown so they know which account is being set up.
    pub username: String,
    /// What MFA is and since when it is required.
    pub intro: MfaIntro,
    /// Enabled methods, in the order offered.
    pub methods: Vec<MethodChoice>,
    /// Why the last submission was refused (no method chosen).
    pub error: Option<SetupError>,
}

/// Context of [`Page::EnrollApp`].
#[derive(Debug, Clone, Serialize)]
pub struct EnrollApp {
    /// CSRF token for every form on the page.
    pub csrf: String,
    /// Said when this is the first set-up page the member sees (no choice page before it).
    pub intro: Option<MfaIntro>,
    /// QR code as SVG markup generated by the gateway. Inserted unescaped, so it must never
    /// contain member-supplied text.
    pub qr_svg: String,
    /// The secret in groups for typing, e.g. `ABCD EFGH IJKL ...`.
    pub secret_groups: String,
    /// `otpauth://totp/...` link for members setting up on the phone itself.
    pub otpauth_uri: String,
    /// Trust-period choices.
    pub trust_options: Vec<TrustOption>,
    /// Whether another method may be chosen instead ("Choose a different method").
    pub can_choose: bool,
    /// Why the last code was refused; the page then opens on the error and the code field.
    pub error: Option<SetupError>,
}

/// Context of [`Page::EnrollContact`].
#[derive(Debug, Clone, Serialize)]
pub struct EnrollContact {
    /// CSRF token for every form on the page.
    pub csrf: String,
    /// Said when this is the first set-up page the member sees (no choice page before it).
    pub intro: Option<MfaIntro>,
    /// `email` or `text`.
    pub method: String,
    /// This code proves the contact on file before an authenticator app is set up.
    pub proving_for_app: bool,
    /// Where the code went, already masked, e.g. `j•••@example.com`.
    pub masked_destination: String,
    /// Whether a code has been sent; when not, the page offers to send one.
    pub code_sent: bool,
    /// How long a sent code is good for.
    pub code_ttl: TimeSpan,
    /// Trust-period choices.
    pub trust_options: Vec<TrustOption>,
    /// Why the last code was refused or could not be sent.
    pub error: Option<SetupError>,
    /// A new code was sent just now at the member's request ("Resend code").
    pub resent: bool,
    /// Seconds until "Resend code" is allowed again; `None` when allowed now.
    pub resend_wait_secs: Option<u64>,
    /// Whether another method may be chosen instead ("Choose a different method").
    pub can_choose: bool,
    /// Address emails come from, for the "didn't get it?" help.
    pub help_sender_email: Option<String>,
    /// Number texts come from, for the "didn't get it?" help.
    pub help_sender_phone: Option<String>,
}

/// Context of [`Page::Challenge`]. The page holds kinds and numbers, not sentences: the
/// template words them from the catalogue in the member's language.
#[derive(Debug, Clone, Serialize)]
pub struct Challenge {
    /// CSRF token for every form on the page.
    pub csrf: String,
    /// The member's login id.
    pub username: String,
    /// `app`, `email` or `text`.
    pub method: String,
    /// Where the code went, already masked; `None` for the app.
    pub masked_destination: Option<String>,
    /// How long an emailed / texted code is good for.
    pub code_ttl: TimeSpan,
    /// Why the last code was refused or no code was sent: `wrong`, `expired` or `send_failed`.
    pub error_kind: Option<&'static str>,
    /// Neutral news: `sent` (a code went to `masked_destination`) or `throttled` ("Resend
    /// code" was too soon; the wait is `resend_wait_secs`).
    pub notice_kind: Option<&'static str>,
    /// The member's other set-up methods ("Try another method").
    pub other_methods: Vec<MethodChoice>,
    /// Whether "Resend code" applies (email / text).
    pub can_resend: bool,
    /// Seconds until "Resend code" is allowed again; `None` when allowed now. While it runs the
    /// button is disabled and the page reloads itself when the wait is over.
    pub resend_wait_secs: Option<u64>,
    /// Wrong codes still allowed for this sign-in, shown after a wrong code (at least 1: the
    /// answer that uses the last attempt or locks the member is a message page instead).
    pub attempts_left: Option<u32>,
    /// Address emails come from, said under the code field and in the help (FAQ).
    pub help_sender_email: Option<String>,
    /// Number texts come from, said under the code field and in the help (FAQ).
    pub help_sender_phone: Option<String>,
}

/// Context of [`Page::Cancelled`].
#[derive(Debug, Clone, Serialize)]
pub struct Cancelled {
    /// Where members correct their roster email / phone.
    pub roster_update_url: Option<String>,
}

/// Context of [`Page::Message`]; see `messages.rs` for the standard ones. The texts are
/// message ids of the catalogue (`static/locales/*.ftl`), rendered in the member's language.
#[derive(Debug, Clone, Serialize)]
pub struct Message {
    /// HTTP status to serve the page with.
    pub status: u16,
    /// Id of the heading, e.g. `expired-title`.
    pub title: &'static str,
    /// Id of the main sentence(s).
    pub message: &'static str,
    /// Id of an optional extra paragraph.
    pub details: Option<&'static str>,
    /// The next-step link.
    pub next: Option<NextStep>,
    /// Arguments of the messages, e.g. `minutes`.
    pub args: BTreeMap<&'static str, serde_json::Value>,
}

/// A message page's next-step link: a gateway route or the member's sign-in page by name, or a
/// URL from the configuration (the roster-update page).
#[derive(Debug, Clone, Serialize)]
pub struct NextStep {
    /// Key of the `routes` template global (`sign_in`, `start`, `enroll_choose_again`), or
    /// `None` when `href` is given.
    pub route: Option<&'static str>,
    /// An absolute URL when the link is not a route.
    pub href: Option<String>,
    /// Message id of the link text.
    pub label: &'static str,
}
