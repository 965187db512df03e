//! Integration tests of the member roster over real sockets and real files.
//!
//! Layout: `roster/fake_reso.rs` (a recording fake RESO Web API + OAuth token endpoint),
//! `roster/reso_cases.rs` (query shape, auth, answers, failures, cache),
//! `roster/file_cases.rs` (YAML/CSV files, reloading, broken files), `roster/reso_tls.rs` (the
//! API over TLS with a private CA, `roster.reso.ca_file`).

#[path = "roster/fake_reso.rs"]
mod fake_reso;
#[path = "roster/file_cases.rs"]
mod file_cases;
#[path = "roster/reso_cases.rs"]
mod reso_cases;
#[path = "roster/reso_tls.rs"]
mod reso_tls;
// Shared with the delivery tests; not every helper is used here.
#[allow(dead_code)]
#[path = "support/tls.rs"]
mod tls_support;
