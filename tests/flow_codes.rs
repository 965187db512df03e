//! Codes by email and text message (issue 3 acceptance), on SQLite + memory. The cases live in
//! `suites/flow_codes_cases.rs`; `tests/scaleout_flows.rs` runs the same cases on PostgreSQL +
//! Redis.

mod common;
#[path = "support/mod.rs"]
mod support;

// Shared with tests/roster.rs; the cases use only part of it.
#[allow(dead_code)]
#[path = "roster/fake_reso.rs"]
mod fake_reso;

#[path = "suites/flow_codes_cases.rs"]
mod cases;
