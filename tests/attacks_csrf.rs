//! Cross-site request forgery on the gateway's forms, in front of the demo site. The cases live in
//! `suites/attacks_csrf_cases.rs`; `tests/legacy_*.rs` run them in front of real legacy stacks.

mod common;

#[path = "suites/attacks_csrf_cases.rs"]
mod cases;
