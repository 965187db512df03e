//! Attacks on the codes: races and brute force, in front of the demo site. The cases live in
//! `suites/attacks_codes_cases.rs`; `tests/legacy_*.rs` run them in front of real legacy stacks.

mod common;

#[path = "suites/attacks_codes_cases.rs"]
mod cases;
