//! The core flow end to end with the authenticator-app method (issue 2 acceptance), on SQLite +
//! memory. The cases live in `suites/flow_app_cases.rs`; `tests/scaleout_flows.rs` runs the same
//! cases on PostgreSQL + Redis.

mod common;

#[path = "suites/flow_app_cases.rs"]
mod cases;
