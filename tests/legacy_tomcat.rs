//! The gateway in front of the real tomcat legacy app of `tests/legacy/tomcat/` (issue 12):
//! the MFA-bypass classes and the zoo flow (`suites/zoo_cases.rs`), whose session it is
//! (`suites/zoo_identity_cases.rs`), and the shared flow and attack suites, which the harness
//! runs in front of this stack because of this binary's name (see
//! `common::legacy::Stack::of_this_binary`).

mod common;
mod support;

use common::legacy::Stack;

/// The stack every case of this binary runs against.
const STACK: Stack = Stack::Tomcat;

#[test]
fn the_harness_picks_this_stack() {
    assert_eq!(Stack::of_this_binary(), Some(STACK));
}

#[path = "suites/zoo_cases.rs"]
mod cases;

#[path = "suites/zoo_identity_cases.rs"]
mod identity_cases;

#[path = "suites/flow_app_cases.rs"]
mod flow_app;

#[path = "suites/attacks_codes_cases.rs"]
mod attacks_codes;

#[path = "suites/attacks_csrf_cases.rs"]
mod attacks_csrf;

#[path = "suites/attacks_trust_cases.rs"]
mod attacks_trust;

#[path = "suites/revocation_cases.rs"]
mod revocation;

#[path = "suites/enrollment_policy_cases.rs"]
mod enrollment_policy;
