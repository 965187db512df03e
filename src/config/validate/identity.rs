//! `site.identity:` the identity probe — how the gateway asks the legacy app who a session
//! belongs to, so MFA is keyed on the member the app signed in, not on the typed username.

use std::time::Duration;

use super::super::raw::RawIdentity;
use super::super::{IdentityProbe, IdentitySource};
use super::{checks, Report};

/// Default and bounds of `site.identity.max_body_bytes`: a "who am I" answer is small.
const DEFAULT_MAX_BODY: usize = 64 * 1024;
const MAX_BODY_RANGE: std::ops::RangeInclusive<usize> = 64..=1024 * 1024;

pub(super) fn identity(report: &mut Report, raw: &RawIdentity) -> IdentityProbe {
    // A query is allowed (`/api/me?fields=login`), e.g. so the app's logs can tell the
    // gateway's probes from members' requests.
    let (plain, query) = match raw.path.split_once('?') {
        Some((plain, query)) => (plain, Some(query)),
        None => (raw.path.as_str(), None),
    };
    checks::site_path(report, "site.identity.path", plain);
    if query.is_some_and(|q| {
        q.bytes()
            .any(|b| b.is_ascii_control() || b == b' ' || b == b'#')
    }) {
        report.error(
            "site.identity.path",
            "the query must not contain spaces, # or control characters",
        );
    }
    let path = raw.path.clone();
    let method = match raw.method.as_deref() {
        None | Some("GET") => http::Method::GET,
        Some("POST") => http::Method::POST,
        Some(other) => {
            report.error(
                "site.identity.method",
                format!("\"{other}\" is not GET or POST"),
            );
            http::Method::GET
        }
    };
    let given = [&raw.json_pointer, &raw.regex, &raw.header]
        .iter()
        .filter(|v| v.is_some())
        .count();
    if given != 1 {
        report.error(
            "site.identity",
            "set exactly one of json_pointer, regex or header (where the answer names the member)",
        );
    }
    let source = if let Some(pointer) = &raw.json_pointer {
        if !pointer.is_empty() && !pointer.starts_with('/') {
            report.error(
                "site.identity.json_pointer",
                format!("\"{pointer}\" is not a JSON pointer (RFC 6901: empty or starting with /)"),
            );
        }
        IdentitySource::JsonPointer(pointer.clone())
    } else if let Some(pattern) = &raw.regex {
        match regex::Regex::new(pattern) {
            Ok(re) if re.captures_len() == 2 => IdentitySource::Regex(re),
            Ok(_) => {
                report.error(
                    "site.identity.regex",
                    "needs exactly one capture group: the member's login",
                );
                IdentitySource::JsonPointer(String::new())
            }
            Err(e) => {
                report.error("site.identity.regex", format!("does not compile: {e}"));
                IdentitySource::JsonPointer(String::new())
            }
        }
    } else if let Some(name) = &raw.header {
        match http::HeaderName::from_bytes(name.as_bytes()) {
            Ok(name) => IdentitySource::Header(name),
            Err(_) => {
                report.error(
                    "site.identity.header",
                    format!("\"{name}\" is not a header name"),
                );
                IdentitySource::JsonPointer(String::new())
            }
        }
    } else {
        IdentitySource::JsonPointer(String::new())
    };
    let timeout = checks::duration_between(
        report,
        "site.identity.timeout",
        raw.timeout.as_ref(),
        Duration::from_secs(2),
        (Duration::from_millis(100), Duration::from_secs(30)),
    );
    let max_body_bytes = raw.max_body_bytes.unwrap_or(DEFAULT_MAX_BODY);
    if !MAX_BODY_RANGE.contains(&max_body_bytes) {
        report.error(
            "site.identity.max_body_bytes",
            format!(
                "{max_body_bytes} is out of range: use {} to {}",
                MAX_BODY_RANGE.start(),
                MAX_BODY_RANGE.end()
            ),
        );
    }
    IdentityProbe {
        path,
        method,
        source,
        timeout,
        max_body_bytes,
    }
}
