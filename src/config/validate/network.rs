//! `listen:`, `upstream:` and `cookies:` how the gateway talks HTTP on both sides.

use std::path::PathBuf;
use std::time::Duration;

use super::super::raw::RawConfig;
use super::super::{CookieConfig, ListenConfig, Mode, TlsFiles, UpstreamConfig};
use super::{checks, Context};

pub(super) fn listen(context: &mut Context, raw: &RawConfig) -> ListenConfig {
    let address = checks::socket_addr(&mut context.report, "listen.address", &raw.listen.address);
    let tls = raw.listen.tls.as_ref().map(|tls| TlsFiles {
        cert_file: existing_file(context, "listen.tls.cert_file", &tls.cert_file),
        key_file: existing_file(context, "listen.tls.key_file", &tls.key_file),
        http2: tls.http2.unwrap_or(true),
    });
    ListenConfig { address, tls }
}

/// Resolves a path that must name an existing file now (TLS material is needed at start-up).
pub(super) fn existing_file(context: &mut Context, key: &str, path: &str) -> PathBuf {
    let resolved = context.resolver.path(path);
    if !resolved.is_file() {
        context.report.error(
            key,
            format!("{} does not exist or is not a file", resolved.display()),
        );
    }
    resolved
}

pub(super) fn upstream(
    context: &mut Context,
    raw: &RawConfig,
    listen: &ListenConfig,
) -> UpstreamConfig {
    let section = &raw.upstream;
    let report = &mut context.report;
    let host = checks::host_port(report, "upstream.address", &section.address);
    if section.address.parse().ok() == Some(listen.address) {
        report.error(
            "upstream.address",
            "is the gateway's own listen.address; requests would loop",
        );
    }
    let tls = section.tls.unwrap_or(false);
    let sni = match (&section.sni, tls) {
        (Some(_), false) => {
            report.error("upstream.sni", "only used with upstream.tls: true");
            String::new()
        }
        (Some(sni), true) => checks::non_empty(report, "upstream.sni", sni),
        (None, true) => host,
        (None, false) => String::new(),
    };
    let ca_file = section.ca_file.as_ref().map(|file| {
        if !tls {
            context
                .report
                .error("upstream.ca_file", "only used with upstream.tls: true");
        }
        existing_file(context, "upstream.ca_file", file)
    });
    let report = &mut context.report;
    let timeout_range = (Duration::from_millis(100), Duration::from_secs(600));
    let keepalive_pool_size = section.keepalive_pool_size.unwrap_or(128);
    if keepalive_pool_size > 10_000 {
        report.error(
            "upstream.keepalive_pool_size",
            format!("{keepalive_pool_size} is out of range: use 0 to 10000"),
        );
    }
    UpstreamConfig {
        address: section.address.clone(),
        tls,
        sni,
        verify_cert: section.verify_cert.unwrap_or(true),
        ca_file,
        connect_timeout: checks::duration_between(
            report,
            "upstream.connect_timeout",
            section.connect_timeout.as_ref(),
            Duration::from_secs(5),
            timeout_range,
        ),
        read_timeout: checks::duration_between(
            report,
            "upstream.read_timeout",
            section.read_timeout.as_ref(),
            Duration::from_secs(60),
            timeout_range,
        ),
        keepalive_pool_size,
    }
}

pub(super) fn cookies(
    context: &mut Context,
    raw: &RawConfig,
    listen: &ListenConfig,
) -> CookieConfig {
    let report = &mut context.report;
    let secure = match raw.cookies.secure.as_deref() {
        None | Some("auto") => None,
        Some("true") => Some(true),
        Some("false") => Some(false),
        Some(other) => {
            report.error(
                "cookies.secure",
                format!("\"{other}\" is not auto, true or false"),
            );
            None
        }
    };
    // Trust and binding cookies are bearer credentials: in production they must never travel
    // over plain HTTP. `true` covers TLS terminated by a load balancer in front of the gateway.
    if context.mode == Mode::Production && !secure.unwrap_or(listen.tls.is_some()) {
        report.error(
            "cookies.secure",
            "production needs Secure cookies: configure listen.tls, or set cookies.secure: true when TLS ends in front of the gateway",
        );
    }
    let name_prefix = raw
        .cookies
        .name_prefix
        .clone()
        .unwrap_or_else(|| "mfa".to_string());
    let prefix_ok = (1..=20).contains(&name_prefix.len())
        && name_prefix
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_');
    if !prefix_ok {
        report.error(
            "cookies.name_prefix",
            format!("\"{name_prefix}\" must be 1-20 of A-Z a-z 0-9 _"),
        );
    }
    CookieConfig {
        secure,
        name_prefix,
    }
}
