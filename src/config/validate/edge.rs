//! `edge:` which requests are accepted and what the upstream may see of them.

use std::collections::HashSet;
use std::time::Duration;

use super::super::edge::{EdgeConfig, ForwardedFor, ServerHeader, DEFAULT_HSTS_SECS};
use super::super::raw::{RawEdge, RawServerHeader};
use super::super::ListenConfig;
use super::{checks, Context};

/// Methods a deployment may allow: the registered methods of RFC 9110 §9 (CONNECT and TRACE
/// are proxy and debugging tools, never needed in front of a web site) and PATCH (RFC 5789).
const KNOWN_METHODS: &[&str] = &["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"];

pub(super) fn edge(context: &mut Context, raw: &RawEdge, listen: &ListenConfig) -> EdgeConfig {
    let report = &mut context.report;
    let defaults = EdgeConfig::default();
    let methods = match &raw.methods {
        None => defaults.methods,
        Some(list) => {
            let mut seen = HashSet::new();
            let mut methods = Vec::new();
            for (index, name) in list.iter().enumerate() {
                let key = format!("edge.methods[{index}]");
                if !KNOWN_METHODS.contains(&name.as_str()) {
                    report.error(
                        key,
                        format!(
                            "\"{name}\" is not one of {} (methods are upper-case, exact tokens)",
                            KNOWN_METHODS.join(", ")
                        ),
                    );
                } else if !seen.insert(name.as_str()) {
                    report.error(key, format!("\"{name}\" is listed twice"));
                } else if let Ok(method) = http::Method::from_bytes(name.as_bytes()) {
                    methods.push(method);
                }
            }
            if !methods.contains(&http::Method::POST) || !methods.contains(&http::Method::GET) {
                report.error(
                    "edge.methods",
                    "must allow GET and POST: members browse with GET and sign in with POST",
                );
            }
            methods
        }
    };
    let strip_request_headers = match &raw.strip_request_headers {
        None => defaults.strip_request_headers,
        Some(list) => list
            .iter()
            .enumerate()
            .filter_map(|(index, name)| {
                let valid = !name.is_empty()
                    && name
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
                if valid {
                    Some(crate::http::forwarded::header_key(name))
                } else {
                    report.error(
                        format!("edge.strip_request_headers[{index}]"),
                        format!("\"{name}\" is not a header name (letters, digits, - and _)"),
                    );
                    None
                }
            })
            .collect(),
    };
    let forwarded_for = match raw.x_forwarded_for.as_deref() {
        None | Some("append") => ForwardedFor::Append,
        Some("replace") => ForwardedFor::Replace,
        Some(other) => {
            report.error(
                "edge.x_forwarded_for",
                format!("\"{other}\" is not append or replace"),
            );
            ForwardedFor::Append
        }
    };
    let trusted_proxies = raw
        .trusted_proxies
        .iter()
        .flatten()
        .enumerate()
        .filter_map(|(index, text)| {
            // A bare address is a one-address network.
            let parsed = text.parse::<ipnet::IpNet>().or_else(|_| {
                text.parse::<std::net::IpAddr>()
                    .map(ipnet::IpNet::from)
                    .map_err(|_| ())
            });
            match parsed {
                Ok(net) => Some(net),
                Err(()) => {
                    report.error(
                        format!("edge.trusted_proxies[{index}]"),
                        format!("\"{text}\" is not an address or CIDR network (e.g. 10.0.0.0/8)"),
                    );
                    None
                }
            }
        })
        .collect();
    // HSTS is on by default only where the gateway itself serves TLS. Behind a balancer that
    // ends TLS (`cookies.secure: true`) the gateway cannot know the public scheme, so the
    // header is sent only when `edge.hsts` is set.
    let hsts = match raw.hsts.as_deref() {
        Some("off") => None,
        None if listen.tls.is_none() => None,
        None => Some(Duration::from_secs(DEFAULT_HSTS_SECS)),
        Some(text) => {
            let value =
                checks::duration(report, "edge.hsts", Some(&text.to_string()), Duration::ZERO);
            (value > Duration::ZERO).then_some(value)
        }
    }
    .map(|age| format!("max-age={}", age.as_secs()));
    EdgeConfig {
        methods,
        strip_request_headers,
        forwarded_for,
        trusted_proxies,
        hsts,
        server_header: server_header(report, raw.server_header.as_ref()),
    }
}

/// `edge.server_header`: `pass` (default), `remove`, or `{replace: NAME}` with a NAME that is
/// a valid header value (visible ASCII and spaces, at most 100 characters).
fn server_header(report: &mut super::Report, raw: Option<&RawServerHeader>) -> ServerHeader {
    const KEY: &str = "edge.server_header";
    match raw {
        None => ServerHeader::Pass,
        Some(RawServerHeader::Word(word)) => match word.as_str() {
            "pass" => ServerHeader::Pass,
            "remove" => ServerHeader::Remove,
            other => {
                report.error(
                    KEY,
                    format!("\"{other}\" is neither pass nor remove (to send a name of your own, write {{replace: \"{other}\"}})"),
                );
                ServerHeader::Pass
            }
        },
        Some(RawServerHeader::Replace(replace)) => {
            let name = replace.replace.trim();
            let valid = !name.is_empty()
                && name.len() <= 100
                && name.bytes().all(|b| b == b' ' || b.is_ascii_graphic());
            if !valid {
                report.error(
                    format!("{KEY}.replace"),
                    "must be 1 to 100 visible ASCII characters",
                );
            }
            ServerHeader::Replace(name.to_string())
        }
    }
}
