//! Assembles the process's `tracing` subscriber: the human log on stderr (filtered by
//! `MFA_LOG`), the audit log ([`super::audit`]) and the metrics ([`super::metrics`]).
//!
//! The audit and metrics layers have their own filters, so `MFA_LOG=warn` quietens the human
//! log without losing audit lines or counts. They only look at events carrying an `event` field
//! at INFO or above (plus spans carrying a `request_id`); the level hint keeps the `log` crate
//! bridge from turning pingora's debug logging on the hot path into tracing events.

use std::sync::Arc;

use tracing::level_filters::LevelFilter;
use tracing::Metadata;
use tracing_subscriber::filter::{filter_fn, EnvFilter};
use tracing_subscriber::layer::{Layer as _, SubscriberExt as _};
use tracing_subscriber::util::SubscriberInitExt as _;

use super::audit::{AuditError, AuditLayer, AuditSink, REQUEST_ID_FIELD};
use super::fields::EVENT_FIELD;
use super::metrics::MetricsLayer;
use crate::config::AuditConfig;

/// Environment variable holding the stderr log filter (`EnvFilter` syntax).
pub const LOG_ENV: &str = "MFA_LOG";

/// Filter used when `MFA_LOG` is unset: gateway info, pingora's warnings.
const DEFAULT_FILTER: &str = "info,pingora=warn,pingora_core=warn,pingora_proxy=warn";

/// Why logging could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum LoggingError {
    #[error(transparent)]
    Audit(#[from] AuditError),
    #[error("a log subscriber is already installed: {0}")]
    AlreadyInstalled(String),
}

/// True for events the audit log and metrics consume.
fn is_marked_event(meta: &Metadata<'_>) -> bool {
    meta.is_event() && meta.fields().field(EVENT_FIELD).is_some()
}

/// True for spans whose request id the audit log copies onto events.
fn carries_request_id(meta: &Metadata<'_>) -> bool {
    meta.is_span() && meta.fields().field(REQUEST_ID_FIELD).is_some()
}

/// Installs the global subscriber. `audit` = the config's `audit:` section, if any.
pub fn init(audit: Option<&AuditConfig>) -> Result<(), LoggingError> {
    let stderr_filter =
        EnvFilter::try_from_env(LOG_ENV).unwrap_or_else(|_| EnvFilter::new(DEFAULT_FILTER));
    // Colour codes only for a person at a terminal; journald and log files get plain text.
    let human = tracing_subscriber::fmt::layer()
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_filter(stderr_filter);
    let audit_layer = match audit {
        Some(config) => Some(
            AuditLayer::new(Arc::new(AuditSink::open(config)?)).with_filter(
                filter_fn(|meta| is_marked_event(meta) || carries_request_id(meta))
                    .with_max_level_hint(LevelFilter::INFO),
            ),
        ),
        None => None,
    };
    let metrics_layer =
        MetricsLayer.with_filter(filter_fn(is_marked_event).with_max_level_hint(LevelFilter::INFO));
    tracing_subscriber::registry()
        .with(human)
        .with(audit_layer)
        .with(metrics_layer)
        .try_init()
        .map_err(|e| LoggingError::AlreadyInstalled(e.to_string()))
}
