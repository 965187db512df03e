//! Fuzzes the request-path normaliser and the cookie header parsers (`http::classify` and
//! `http::cookies`), which run on every request before any check.
//!
//! The input's first byte picks the parser, the rest is the header or path. Besides never
//! panicking:
//!
//! * `normalize_path` gives one canonical form: a single leading `/`, no empty, `.` or `..`
//!   segments, no `\` or `;`, no ASCII upper case — otherwise a spelling of the login path could
//!   slip past interception;
//! * `request_cookies` yields pairs whose names and values hold no `;` (the pair separator) and
//!   whose names are trimmed; `filter_cookie_header` keeping everything yields the same names
//!   in the same order, and keeping nothing yields no header;
//! * `parse_set_cookie` names a non-empty cookie with no `=` or `;` in its name.

#![no_main]

use libfuzzer_sys::fuzz_target;
use mfa_gateway::http::classify::normalize_path;
use mfa_gateway::http::cookies::{filter_cookie_header, parse_set_cookie, request_cookies};

fn check_normalize(raw: &str) {
    let normal = normalize_path(raw);
    assert!(normal.starts_with('/'), "{raw:?} → {normal:?}");
    if normal != "/" {
        for segment in normal[1..].split('/') {
            assert!(
                !segment.is_empty() && segment != "." && segment != "..",
                "{raw:?} → {normal:?} keeps segment {segment:?}"
            );
        }
    }
    assert!(!normal.contains(['\\', ';']), "{raw:?} → {normal:?}");
    assert!(
        !normal.bytes().any(|b| b.is_ascii_uppercase()),
        "{raw:?} → {normal:?}"
    );
}

fn check_cookies(text: &str) {
    // Several `Cookie` headers, as HTTP/2 clients send them.
    let headers: Vec<&str> = text.split('\n').collect();
    let names: Vec<&str> = request_cookies(headers.iter().copied())
        .map(|pair| {
            assert!(
                !pair.name.contains(';') && !pair.value.contains(';'),
                "{pair:?}"
            );
            assert_eq!(pair.name, pair.name.trim(), "untrimmed name {pair:?}");
            pair.name
        })
        .collect();
    let kept = filter_cookie_header(headers.iter().copied(), |_| true);
    let kept_names: Vec<&str> = kept
        .as_deref()
        .map(|header| request_cookies([header]).map(|pair| pair.name).collect())
        .unwrap_or_default();
    assert_eq!(
        kept_names, names,
        "rebuilding the header changed its cookies"
    );
    assert_eq!(
        filter_cookie_header(headers.iter().copied(), |_| false),
        None
    );
}

fn check_set_cookie(text: &str) {
    if let Some(effect) = parse_set_cookie(text, 1_700_000_000) {
        assert!(!effect.name.is_empty(), "empty cookie name from {text:?}");
        assert!(
            !effect.name.contains(['=', ';']),
            "bad cookie name from {text:?}"
        );
    }
}

fuzz_target!(|data: &[u8]| {
    let [selector, rest @ ..] = data else {
        return;
    };
    let text = String::from_utf8_lossy(rest);
    match selector % 3 {
        0 => check_normalize(&text),
        1 => check_cookies(&text),
        _ => check_set_cookie(&text),
    }
});
