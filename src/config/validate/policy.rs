//! `mfa:` the MFA policy: when it applies, which methods, code lifetimes, attempt limits and
//! the trust periods members choose from.

use std::collections::HashSet;
use std::time::Duration;

use chrono::{DateTime, NaiveDate, Utc};

use super::super::duration::format_duration;
use super::super::raw::{RawAttempts, RawEnrollment, RawMfa};
use super::super::{
    AttemptLimits, EmailConfig, EnrollmentPolicy, Method, MfaPolicy, RosterConfig, RosterSource,
    SmsConfig,
};
use super::{checks, Context, Report};

const MINUTE: Duration = Duration::from_secs(60);
const HOUR: Duration = Duration::from_secs(3600);
const DAY: Duration = Duration::from_secs(86_400);
/// Browsers cap cookie lifetimes at 400 days (RFC 6265bis); a longer trust period would be
/// cut short silently, so it is refused instead.
const MAX_TRUST_PERIOD: Duration = Duration::from_secs(400 * 86_400);
/// Hard ceiling from the security invariants: never more than 100 consecutive failures.
const MAX_LOCKOUT: u32 = 100;

pub(super) fn mfa(context: &mut Context, raw: &RawMfa) -> MfaPolicy {
    let report = &mut context.report;
    let enforce_from = match &raw.enforce_from {
        Some(text) => enforce_from(report, text),
        // Default: enforced from the start.
        None => DateTime::<Utc>::UNIX_EPOCH,
    };
    let methods = methods(report, raw.methods.as_deref());
    let errors_before = report.errors.len();
    let code_ttl = checks::duration_between(
        report,
        "mfa.code_ttl",
        raw.code_ttl.as_ref(),
        5 * MINUTE,
        // A shorter validity is only stricter, so seconds are allowed (tests show expiry).
        (Duration::from_secs(1), 30 * MINUTE),
    );
    let code_ttl_ok = report.errors.len() == errors_before;
    let pending_ttl = checks::duration_between(
        report,
        "mfa.pending_ttl",
        raw.pending_ttl.as_ref(),
        10 * MINUTE,
        (MINUTE, HOUR),
    );
    // Comparing against a code_ttl already reported as wrong would only repeat that error.
    if code_ttl_ok && pending_ttl < code_ttl {
        report.error(
            "mfa.pending_ttl",
            format!(
                "must be at least mfa.code_ttl ({}): a held login has to outlive its code",
                format_duration(code_ttl)
            ),
        );
    }
    let revocation_check = checks::duration_between(
        report,
        "mfa.revocation_check",
        raw.revocation_check.as_ref(),
        Duration::from_secs(5),
        (Duration::from_millis(100), 10 * MINUTE),
    );
    let totp_skew_steps = raw.totp_skew_steps.unwrap_or(1);
    if totp_skew_steps > 2 {
        report.error("mfa.totp_skew_steps", format!("{totp_skew_steps} is out of range: use 0 to 2 (each step widens the window for guessing)"));
    }
    let attempts = attempts(report, &raw.attempts);
    let (trust_periods, default_trust_period) = trust_periods(
        report,
        raw.trust_periods.as_deref(),
        raw.default_trust_period.as_ref(),
    );
    MfaPolicy {
        enforce_from,
        methods,
        code_ttl,
        pending_ttl,
        totp_skew_steps,
        attempts,
        trust_periods,
        default_trust_period,
        revocation_check,
        // Settled by [`enrollment`] once the roster is known.
        enrollment: EnrollmentPolicy {
            verify_contact: false,
            allow_unlisted: false,
        },
    }
}

/// `mfa.enrollment`, which depends on the roster: proving the contact on file is the default
/// whenever there is a roster to find it in and a way (email / text) to send a code there.
pub(super) fn enrollment(
    context: &mut Context,
    mut mfa: MfaPolicy,
    raw: &RawEnrollment,
    roster: &RosterConfig,
) -> MfaPolicy {
    let has_roster = !matches!(roster.source, RosterSource::None);
    let can_send = mfa.methods.iter().any(|m| *m != Method::App);
    let verify_contact = match raw.verify_contact {
        None => has_roster && can_send,
        Some(false) => false,
        Some(true) if !has_roster => {
            context.report.error(
                "mfa.enrollment.verify_contact",
                "true needs a roster (roster.file or roster.reso) holding members' email / mobile; \
                 without one set it to false (then anyone with the password can set up MFA)",
            );
            false
        }
        Some(true) if !can_send => {
            context.report.error(
                "mfa.enrollment.verify_contact",
                "true needs \"email\" or \"text\" in mfa.methods to send the code that proves the \
                 contact on file; enable one, or set verify_contact to false",
            );
            false
        }
        Some(true) => true,
    };
    mfa.enrollment = EnrollmentPolicy {
        verify_contact,
        allow_unlisted: raw.allow_unlisted.unwrap_or(false),
    };
    mfa
}

/// `2025-11-05` (midnight UTC) or an RFC 3339 timestamp.
fn enforce_from(report: &mut Report, text: &str) -> DateTime<Utc> {
    if let Ok(date) = NaiveDate::parse_from_str(text, "%Y-%m-%d") {
        // Midnight always exists for a calendar date, so `None` cannot happen here.
        if let Some(midnight) = date.and_hms_opt(0, 0, 0) {
            return midnight.and_utc();
        }
    }
    DateTime::parse_from_rfc3339(text).map(|instant| instant.with_timezone(&Utc)).unwrap_or_else(|_| {
        report.error(
            "mfa.enforce_from",
            format!("\"{text}\" is not a date (2025-11-05, meaning midnight UTC) or an RFC 3339 time (2025-11-05T06:00:00-05:00)"),
        );
        DateTime::<Utc>::UNIX_EPOCH
    })
}

fn methods(report: &mut Report, raw: Option<&[String]>) -> Vec<Method> {
    let Some(raw) = raw else {
        return vec![Method::App];
    };
    if raw.is_empty() {
        report.error(
            "mfa.methods",
            "enable at least one method (app, email, text)",
        );
    }
    let mut methods = Vec::with_capacity(raw.len());
    for (index, word) in raw.iter().enumerate() {
        let key = format!("mfa.methods[{index}]");
        let method = match word.as_str() {
            "app" => Method::App,
            "email" => Method::Email,
            "text" => Method::Text,
            other => {
                report.error(
                    key,
                    format!("\"{other}\" is not a method (app, email, text)"),
                );
                continue;
            }
        };
        if methods.contains(&method) {
            report.error(key, format!("\"{word}\" is listed twice"));
        } else {
            methods.push(method);
        }
    }
    methods
}

fn attempts(report: &mut Report, raw: &RawAttempts) -> AttemptLimits {
    let per_challenge = raw.per_challenge.unwrap_or(5);
    if !(1..=20).contains(&per_challenge) {
        report.error(
            "mfa.attempts.per_challenge",
            format!("{per_challenge} is out of range: use 1 to 20"),
        );
    }
    let per_user_lockout = raw.per_user_lockout.unwrap_or(20);
    if !(1..=MAX_LOCKOUT).contains(&per_user_lockout) {
        report.error(
            "mfa.attempts.per_user_lockout",
            format!("{per_user_lockout} is out of range: use 1 to {MAX_LOCKOUT} (more would let an attacker keep guessing)"),
        );
    }
    let per_user_before_backoff = raw.per_user_before_backoff.unwrap_or(5);
    let lockout_ok = (1..=MAX_LOCKOUT).contains(&per_user_lockout);
    if per_user_before_backoff < 1 || (lockout_ok && per_user_before_backoff > per_user_lockout) {
        report.error(
            "mfa.attempts.per_user_before_backoff",
            format!("{per_user_before_backoff} is out of range: use 1 to per_user_lockout ({per_user_lockout})"),
        );
    }
    let errors_before = report.errors.len();
    let backoff_base = checks::duration_between(
        report,
        "mfa.attempts.backoff_base",
        raw.backoff_base.as_ref(),
        30 * Duration::from_secs(1),
        (Duration::from_secs(1), HOUR),
    );
    let backoff_max = checks::duration_between(
        report,
        "mfa.attempts.backoff_max",
        raw.backoff_max.as_ref(),
        15 * MINUTE,
        (Duration::from_secs(1), DAY),
    );
    if report.errors.len() == errors_before && backoff_max < backoff_base {
        report.error(
            "mfa.attempts.backoff_max",
            format!(
                "must be at least backoff_base ({})",
                format_duration(backoff_base)
            ),
        );
    }
    AttemptLimits {
        per_challenge,
        per_user_before_backoff,
        backoff_base,
        backoff_max,
        per_user_lockout,
    }
}

fn trust_periods(
    report: &mut Report,
    raw: Option<&[String]>,
    raw_default: Option<&String>,
) -> (Vec<Duration>, Duration) {
    let errors_before = report.errors.len();
    let periods: Vec<Duration> = match raw {
        None => vec![DAY, 30 * DAY],
        Some(raw) => {
            if raw.is_empty() {
                report.error(
                    "mfa.trust_periods",
                    "offer at least one trust period, e.g. [24h, 30d]",
                );
            }
            let mut seen = HashSet::new();
            raw.iter()
                .enumerate()
                .filter_map(|(index, text)| {
                    let key = format!("mfa.trust_periods[{index}]");
                    let before = report.errors.len();
                    let period = checks::duration_between(
                        report,
                        &key,
                        Some(text),
                        DAY,
                        // A short period only asks more often, so it is allowed (demos and tests
                        // use seconds to show expiry); only the upper bound protects members.
                        (Duration::from_secs(1), MAX_TRUST_PERIOD),
                    );
                    if report.errors.len() > before {
                        return None;
                    }
                    if !seen.insert(period) {
                        report.error(key, format!("{} is listed twice", format_duration(period)));
                        return None;
                    }
                    Some(period)
                })
                .collect()
        }
    };
    let longest = periods.iter().copied().max().unwrap_or(DAY);
    let default = match raw_default {
        // Default: the longest period offered (the FAQ's "30 days is the default").
        None => longest,
        Some(text) => {
            let default = checks::duration(report, "mfa.default_trust_period", Some(text), longest);
            let offered = periods
                .iter()
                .map(|p| format_duration(*p))
                .collect::<Vec<_>>()
                .join(", ");
            // Skipped when the list itself had problems: the default may be the entry that failed.
            let list_ok = report.errors.len() == errors_before;
            if list_ok && !periods.contains(&default) {
                report.error(
                    "mfa.default_trust_period",
                    format!(
                        "{} is not one of mfa.trust_periods ({offered})",
                        format_duration(default)
                    ),
                );
            }
            default
        }
    };
    (periods, default)
}

/// Email and text codes need a way to send them and a roster to find where to send them.
pub(super) fn methods_have_services(
    context: &mut Context,
    methods: &[Method],
    email: &Option<EmailConfig>,
    sms: &Option<SmsConfig>,
    roster: &RosterConfig,
) {
    for (index, method) in methods.iter().enumerate() {
        let key = format!("mfa.methods[{index}]");
        let (word, has_delivery, section, contact) = match method {
            Method::App => continue,
            Method::Email => ("email", email.is_some(), "email:", "email addresses"),
            Method::Text => ("text", sms.is_some(), "sms:", "mobile numbers"),
        };
        if !has_delivery {
            context.report.error(&key, format!("\"{word}\" is enabled but there is no {section} section saying how to send codes"));
        }
        if matches!(roster.source, RosterSource::None) {
            context.report.error(
                &key,
                format!("\"{word}\" needs a roster to look up members' {contact}: set roster.file or roster.reso"),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn enforce_from_accepts_date_and_rfc3339() {
        let mut report = Report::default();
        assert_eq!(
            enforce_from(&mut report, "2025-11-05").to_rfc3339(),
            "2025-11-05T00:00:00+00:00"
        );
        assert_eq!(
            enforce_from(&mut report, "2025-11-05T06:00:00-05:00").to_rfc3339(),
            "2025-11-05T11:00:00+00:00"
        );
        assert!(report.is_empty());
        enforce_from(&mut report, "Nov 5th");
        assert!(report
            .to_string()
            .starts_with("mfa.enforce_from: \"Nov 5th\" is not a date"));
    }

    #[test]
    fn trust_period_default_is_the_longest() {
        let mut report = Report::default();
        let raw = ["30d".to_string(), "24h".to_string()];
        let (periods, default) = trust_periods(&mut report, Some(&raw), None);
        assert_eq!(periods, [30 * DAY, DAY]);
        assert_eq!(default, 30 * DAY);
        assert!(report.is_empty());
    }

    #[test]
    fn trust_period_problems() {
        let mut report = Report::default();
        let raw = [
            "24h".to_string(),
            "45x".to_string(),
            "401d".to_string(),
            "1d".to_string(),
        ];
        trust_periods(&mut report, Some(&raw), Some(&"7d".to_string()));
        let text = report.to_string();
        assert!(
            text.contains("mfa.trust_periods[1]: \"45x\" is not a duration"),
            "{text}"
        );
        assert!(
            text.contains("mfa.trust_periods[2]: 401d is out of range"),
            "{text}"
        );
        assert!(
            text.contains("mfa.trust_periods[3]: 24h is listed twice"),
            "{text}"
        );
        assert!(
            !text.contains("mfa.default_trust_period"),
            "a broken list must not cascade:\n{text}"
        );

        let mut report = Report::default();
        let raw = ["24h".to_string(), "30d".to_string()];
        trust_periods(&mut report, Some(&raw), Some(&"7d".to_string()));
        assert_eq!(
            report.to_string(),
            "mfa.default_trust_period: 7d is not one of mfa.trust_periods (24h, 30d)"
        );
    }
}
