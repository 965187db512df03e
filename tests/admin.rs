//! Support desk and operations (issue 5), through the real binary and real sockets: the
//! `users` / `keys` commands, the admin API on its own listener, the audit log, the metrics,
//! key rotation and the graceful upgrade; the command line ops expect (issue 15).

mod common;

#[path = "admin/tools.rs"]
mod tools;

#[path = "admin/access_log.rs"]
mod access_log;
#[path = "admin/api.rs"]
mod api;
#[path = "admin/cli.rs"]
mod cli;
#[path = "admin/config.rs"]
mod config;
#[path = "admin/keys.rs"]
mod keys;
#[path = "admin/metrics.rs"]
mod metrics;
#[path = "admin/signals.rs"]
mod signals;
#[path = "admin/support.rs"]
mod support;
#[path = "admin/upgrade.rs"]
mod upgrade;
