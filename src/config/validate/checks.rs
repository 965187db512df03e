//! Small value checks shared by the section validators. Each records a problem under the key it
//! is given and returns a usable stand-in, so validation can go on and report every problem in
//! the file in one run (the stand-ins never escape: any recorded error fails the load).

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::Duration;

use super::super::duration::{format_duration, parse_duration};
use super::Report;

/// Parses an optional duration, falling back to `default` when absent.
pub fn duration(
    report: &mut Report,
    key: &str,
    raw: Option<&String>,
    default: Duration,
) -> Duration {
    match raw {
        None => default,
        Some(text) => parse_duration(text).unwrap_or_else(|error| {
            report.error(key, error.to_string());
            default
        }),
    }
}

/// Like [`duration`], and the result must lie within `min..=max`.
pub fn duration_between(
    report: &mut Report,
    key: &str,
    raw: Option<&String>,
    default: Duration,
    (min, max): (Duration, Duration),
) -> Duration {
    let value = duration(report, key, raw, default);
    if value < min || value > max {
        report.error(
            key,
            format!(
                "{} is out of range: use between {} and {}",
                format_duration(value),
                format_duration(min),
                format_duration(max)
            ),
        );
    }
    value
}

/// An `ip:port` socket address (listeners bind to addresses, not names).
pub fn socket_addr(report: &mut Report, key: &str, text: &str) -> SocketAddr {
    text.parse().unwrap_or_else(|_| {
        report.error(
            key,
            format!(
                "\"{text}\" is not an IP address with a port (e.g. 127.0.0.1:8080 or [::]:443)"
            ),
        );
        SocketAddr::new(IpAddr::V4(Ipv4Addr::UNSPECIFIED), 0)
    })
}

/// A `host:port` (host may be a name, an IPv4 address or a bracketed IPv6 address).
/// Returns the host without brackets (used as the default TLS SNI).
pub fn host_port(report: &mut Report, key: &str, text: &str) -> String {
    let problem =
        || format!("\"{text}\" is not host:port (e.g. mls.internal:443 or 10.0.0.5:8080)");
    let Some((host, port)) = text.rsplit_once(':') else {
        report.error(key, problem());
        return String::new();
    };
    let host = host
        .strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(host);
    let host_ok = !host.is_empty()
        && (host.parse::<IpAddr>().is_ok()
            || host
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.'));
    if !host_ok || port.parse::<u16>().map_or(true, |port| port == 0) {
        report.error(key, problem());
    }
    host.to_string()
}

/// A path as the gateway compares it against requests: absolute, already normalised (no `//`,
/// `.` or `..` segments, no query or fragment) so a request can never match it in a form the
/// config author did not mean, and outside the gateway's own `/_mfa/` space.
pub fn site_path(report: &mut Report, key: &str, text: &str) -> String {
    // A trailing slash marks a prefix (`/static/`); every other segment must be a real name.
    let body = text.strip_prefix('/').unwrap_or(text);
    let body = body.strip_suffix('/').unwrap_or(body);
    let segments_ok = body.is_empty()
        || body
            .split('/')
            .all(|s| !s.is_empty() && s != "." && s != "..");
    if !text.starts_with('/') {
        report.error(key, format!("\"{text}\" must start with /"));
    } else if text
        .bytes()
        .any(|b| b.is_ascii_control() || b == b' ' || b == b'?' || b == b'#' || b == b'\\')
        || !segments_ok
    {
        report.error(
            key,
            format!("\"{text}\" is not a plain path (no spaces, ?, #, \\, // or . / .. segments)"),
        );
    } else if text == "/_mfa" || text.starts_with("/_mfa/") {
        report.error(
            key,
            format!("\"{text}\" is inside /_mfa/, which the gateway reserves for its own pages"),
        );
    }
    text.to_string()
}

/// A required string that must not be blank.
pub fn non_empty(report: &mut Report, key: &str, text: &str) -> String {
    if text.trim().is_empty() {
        report.error(key, "must not be empty");
    }
    text.trim().to_string()
}

/// A cookie name: an RFC 6265 token (visible ASCII without separators).
pub fn cookie_name(report: &mut Report, key: &str, name: &str) -> String {
    const SEPARATORS: &[u8] = b"()<>@,;:\\\"/[]?={}";
    let valid = !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_graphic() && !SEPARATORS.contains(&b));
    if !valid {
        report.error(key, format!("\"{name}\" is not a valid cookie name"));
    }
    name.to_string()
}

/// A `#rrggbb` colour.
pub fn hex_color(report: &mut Report, key: &str, text: &str) -> String {
    let valid = text.len() == 7
        && text.starts_with('#')
        && text[1..].bytes().all(|b| b.is_ascii_hexdigit());
    if !valid {
        report.error(
            key,
            format!(
                "\"{text}\" is not a colour like \"#1f4e79\" (quote it: # starts a YAML comment)"
            ),
        );
    }
    text.to_ascii_lowercase()
}

/// An `https://` URL (or `http://` where `allow_http`), with a host.
pub fn web_url(report: &mut Report, key: &str, text: &str, allow_http: bool) -> String {
    let rest = text
        .strip_prefix("https://")
        .or_else(|| text.strip_prefix("http://").filter(|_| allow_http));
    let host_present = rest.is_some_and(|rest| !rest.is_empty() && !rest.starts_with('/'));
    if !host_present
        || text
            .bytes()
            .any(|b| b.is_ascii_whitespace() || b.is_ascii_control())
    {
        let schemes = if allow_http {
            "http:// or https://"
        } else {
            "https://"
        };
        report.error(key, format!("\"{text}\" is not a {schemes} URL"));
    }
    text.trim_end_matches('/').to_string()
}

/// Whether `text` looks like an email address: `local@domain.tld`, no spaces or brackets.
pub fn is_email_address(text: &str) -> bool {
    let parts_ok = text.split_once('@').is_some_and(|(local, domain)| {
        !local.is_empty() && domain.contains('.') && !domain.contains('@')
    });
    parts_ok
        && !text
            .bytes()
            .any(|b| b.is_ascii_whitespace() || b.is_ascii_control() || b == b'<' || b == b'>')
}

/// An email address (see [`is_email_address`]).
pub fn email_address(report: &mut Report, key: &str, text: &str) -> String {
    if !is_email_address(text) {
        report.error(key, format!("\"{text}\" is not an email address"));
    }
    text.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn errors_of<T>(check: impl FnOnce(&mut Report) -> T) -> String {
        let mut report = Report::default();
        let _ = check(&mut report);
        report.to_string()
    }

    #[test]
    fn site_paths() {
        for good in ["/", "/login", "/static/", "/api/v1/logout"] {
            assert_eq!(errors_of(|r| site_path(r, "k", good)), "", "{good}");
        }
        for bad in [
            "login", "/a//b", "/a/../b", "/./a", "/login?x", "/a b", "/_mfa/", "/_mfa", "/a\\b",
            "//evil",
        ] {
            assert!(
                errors_of(|r| site_path(r, "k", bad)).starts_with("k: "),
                "{bad}"
            );
        }
    }

    #[test]
    fn addresses() {
        assert_eq!(errors_of(|r| socket_addr(r, "k", "127.0.0.1:8080")), "");
        assert!(!errors_of(|r| socket_addr(r, "k", "localhost:8080")).is_empty());
        let mut report = Report::default();
        assert_eq!(host_port(&mut report, "k", "[::1]:443"), "::1");
        assert_eq!(
            host_port(&mut report, "k", "mls.internal:8081"),
            "mls.internal"
        );
        assert!(report.is_empty(), "{report}");
        for bad in [
            "mls.internal",
            "mls.internal:0",
            ":80",
            "a b:80",
            "host:http",
        ] {
            assert!(!errors_of(|r| host_port(r, "k", bad)).is_empty(), "{bad}");
        }
    }

    #[test]
    fn durations_in_range() {
        let range = (Duration::from_secs(60), Duration::from_secs(1800));
        let default = Duration::from_secs(300);
        assert_eq!(
            duration_between(&mut Report::default(), "k", None, default, range),
            default
        );
        let text = errors_of(|r| {
            duration_between(r, "mfa.code_ttl", Some(&"45m".to_string()), default, range)
        });
        assert_eq!(
            text,
            "mfa.code_ttl: 45m is out of range: use between 1m and 30m"
        );
    }

    #[test]
    fn small_values() {
        assert_eq!(errors_of(|r| cookie_name(r, "k", "MLSSESSION")), "");
        assert!(!errors_of(|r| cookie_name(r, "k", "bad name")).is_empty());
        assert!(!errors_of(|r| cookie_name(r, "k", "a=b")).is_empty());
        assert_eq!(errors_of(|r| hex_color(r, "k", "#1F4e79")), "");
        assert!(!errors_of(|r| hex_color(r, "k", "#12345")).is_empty());
        assert_eq!(
            errors_of(|r| web_url(r, "k", "https://x.example/a", false)),
            ""
        );
        assert!(!errors_of(|r| web_url(r, "k", "http://x.example", false)).is_empty());
        assert_eq!(errors_of(|r| web_url(r, "k", "http://x.example", true)), "");
        assert_eq!(
            errors_of(|r| email_address(r, "k", "support@smartmls.com")),
            ""
        );
        assert!(!errors_of(|r| email_address(r, "k", "support")).is_empty());
    }
}
