//! Support desk and operations: the audit log, Prometheus metrics, the admin HTTP API on its
//! own listener, and the command-line tools (`users …`, `keys …`, `migrate`).
//!
//! Audit and metrics are `tracing` layers over the structured events the gateway already emits
//! (`event = "…"` on every security-relevant point), so the request path needs no extra calls;
//! the only exception is what every request has ([`metrics::record_request`],
//! [`metrics::upstream_response`], [`metrics::upstream_error`]), counted by the proxy once per
//! request in its `logging` hook. Support actions live in [`users`] and are shared by the CLI and
//! the API, so both validate, act and audit identically.

pub mod access_log;
pub mod api;
pub mod audit;
pub mod auth;
pub mod cli;
pub mod fields;
pub mod keys;
pub mod listener;
pub mod logging;
pub mod metrics;
pub mod scrub;
pub mod stores;
pub mod timed;
pub mod users;

pub use metrics::{record_request, upstream_error, RequestOutcome};
