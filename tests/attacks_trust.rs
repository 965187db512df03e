//! Attacks on the trust cookie, in front of the demo site. The cases live in
//! `suites/attacks_trust_cases.rs`; `tests/legacy_*.rs` run them in front of real legacy stacks.

mod common;

#[path = "suites/attacks_trust_cases.rs"]
mod cases;
