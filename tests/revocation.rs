//! Support reset and "forget devices" end live sessions, in front of the demo site. The cases
//! live in `suites/revocation_cases.rs`; `tests/legacy_*.rs` run them in front of real stacks.

mod common;

#[path = "suites/revocation_cases.rs"]
mod cases;
