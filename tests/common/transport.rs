//! Which HTTP version the suites' browsers speak to the gateway, chosen per test binary.
//!
//! Browsers speak HTTP/2 to HTTPS sites, so the flow and attack suites also run over h2
//! (issue 14): a binary whose name starts with `h2_` (e.g. `tests/h2_suites.rs`) starts every
//! gateway on its TLS listener, and its browsers negotiate h2 by ALPN. Every answer such a
//! browser reads is asserted to have come over HTTP/2, so a fallback to HTTP/1.1 cannot pass
//! silently. The choice is made at compile time from the binary's crate name, like
//! [`super::backend::Backend::of_this_binary`].

/// The HTTP version between the suites' browsers and the gateway.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transport {
    /// HTTP/1.1 (plain HTTP unless a test asks for TLS).
    Http1,
    /// HTTP/2 over TLS (ALPN `h2`).
    Http2,
}

impl Transport {
    /// The transport of the test binary this code is compiled into: `Http2` for binaries
    /// named `h2_*`, `Http1` for all others.
    pub fn of_this_binary() -> Transport {
        if env!("CARGO_CRATE_NAME").starts_with("h2_") {
            Transport::Http2
        } else {
            Transport::Http1
        }
    }
}

/// The name a gateway cookie has on the wire: the `__Host-` spelling on a TLS listener
/// (DESIGN.md, cookies), the bare name on plain HTTP.
pub fn gateway_cookie_name(base: &str, tls: bool) -> String {
    if tls {
        format!("__Host-{base}")
    } else {
        base.to_string()
    }
}
