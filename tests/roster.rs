//! Integration tests of the member roster over real sockets and real files.
//!
//! Layout: `roster/fake_reso.rs` (a recording fake RESO Web API + OAuth token endpoint),
//! `roster/reso_cases.rs` (query shape, auth, answers, failures, cache),
//! `roster/file_cases.rs` (YAML/CSV files, reloading, broken files).

#[path = "roster/fake_reso.rs"]
mod fake_reso;
#[path = "roster/file_cases.rs"]
mod file_cases;
#[path = "roster/reso_cases.rs"]
mod reso_cases;
