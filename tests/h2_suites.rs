//! The flow and attack suites over HTTP/2 (issue 14): browsers speak h2 to an HTTPS site, so
//! every shared case runs again with the gateway on its TLS listener and each browser answer
//! asserted to have come over h2 (the harness picks both from this binary's name, see
//! `common::transport::Transport::of_this_binary`). The legacy app is the demo site, reached
//! over HTTP/1.1 as always. The edge cases that only h2 has (`:authority` against `Host`,
//! cookie crumbs) are in `tests/edge_h2.rs`.

mod common;
#[path = "support/mod.rs"]
mod support;

// Shared with tests/roster.rs; the cases use only part of it.
#[allow(dead_code)]
#[path = "roster/fake_reso.rs"]
mod fake_reso;

use common::transport::Transport;

#[test]
fn the_harness_speaks_h2_in_this_binary() {
    assert_eq!(Transport::of_this_binary(), Transport::Http2);
    assert!(common::GatewayOptions::default().tls);
}

#[path = "suites/flow_app_cases.rs"]
mod flow_app;

#[path = "suites/flow_codes_cases.rs"]
mod flow_codes;

#[path = "suites/attacks_codes_cases.rs"]
mod attacks_codes;

#[path = "suites/attacks_csrf_cases.rs"]
mod attacks_csrf;

#[path = "suites/attacks_trust_cases.rs"]
mod attacks_trust;

#[path = "suites/revocation_cases.rs"]
mod revocation;
