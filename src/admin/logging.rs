//! Assembles the process's `tracing` subscriber: the operator log on stderr (filtered by
//! `MFA_LOG`; plain text, or JSON lines with `MFA_LOG_FORMAT=json` for log shippers), the audit
//! log ([`super::audit`]) and the metrics ([`super::metrics`]).
//!
//! The audit and metrics layers have their own filters, so `MFA_LOG=warn` quietens the human
//! log without losing audit lines or counts. They only look at events carrying an `event` field
//! at INFO or above (plus spans carrying a `request_id`); the level hint keeps the `log` crate
//! bridge from turning pingora's debug logging on the hot path into tracing events.

use std::sync::{Arc, OnceLock};

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

/// Environment variable choosing the stderr log's format: `text` (default) or `json`.
pub const LOG_FORMAT_ENV: &str = "MFA_LOG_FORMAT";

/// Filter used when `MFA_LOG` is unset: gateway info, pingora's warnings.
const DEFAULT_FILTER: &str = "info,pingora=warn,pingora_core=warn,pingora_proxy=warn";

/// Why logging could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum LoggingError {
    #[error(transparent)]
    Audit(#[from] AuditError),
    #[error("a log subscriber is already installed: {0}")]
    AlreadyInstalled(String),
    #[error("{LOG_FORMAT_ENV}: {0:?} is neither text nor json")]
    Format(String),
}

/// How the stderr log is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    /// One human-readable line per event (colour only at a terminal).
    Text,
    /// One JSON object per event (tracing-subscriber's JSON format: timestamp, level, fields,
    /// target, spans).
    Json,
}

impl LogFormat {
    /// The format named by `value` (`MFA_LOG_FORMAT`); unset or empty is text.
    pub fn parse(value: Option<&str>) -> Result<LogFormat, LoggingError> {
        match value.map(str::trim).unwrap_or("") {
            "" | "text" => Ok(LogFormat::Text),
            "json" => Ok(LogFormat::Json),
            other => Err(LoggingError::Format(other.to_string())),
        }
    }
}

/// The audit sink of this process, for [`reopen_audit_log`].
static AUDIT_SINK: OnceLock<Arc<AuditSink>> = OnceLock::new();

/// Reopens the audit log file by its path (SIGHUP, after logrotate moved it); nothing to do
/// without an audit file.
pub fn reopen_audit_log() -> Result<(), AuditError> {
    match AUDIT_SINK.get() {
        Some(sink) => sink.reopen(),
        None => Ok(()),
    }
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
    let format = LogFormat::parse(std::env::var(LOG_FORMAT_ENV).ok().as_deref())?;
    let stderr_filter =
        || EnvFilter::try_from_env(LOG_ENV).unwrap_or_else(|_| EnvFilter::new(DEFAULT_FILTER));
    // Colour codes only for a person at a terminal; journald and log files get plain text.
    let text = (format == LogFormat::Text).then(|| {
        tracing_subscriber::fmt::layer()
            .with_writer(std::io::stderr)
            .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
            .with_filter(stderr_filter())
    });
    let json = (format == LogFormat::Json).then(|| {
        tracing_subscriber::fmt::layer()
            .json()
            .with_writer(std::io::stderr)
            .with_filter(stderr_filter())
    });
    let audit_layer = match audit {
        Some(config) => {
            let sink = Arc::new(AuditSink::open(config)?);
            // `init` runs once per process (a second subscriber is refused below anyway).
            let _ = AUDIT_SINK.set(Arc::clone(&sink));
            Some(
                AuditLayer::new(sink).with_filter(
                    filter_fn(|meta| is_marked_event(meta) || carries_request_id(meta))
                        .with_max_level_hint(LevelFilter::INFO),
                ),
            )
        }
        None => None,
    };
    let metrics_layer =
        MetricsLayer.with_filter(filter_fn(is_marked_event).with_max_level_hint(LevelFilter::INFO));
    tracing_subscriber::registry()
        .with(text)
        .with(json)
        .with(audit_layer)
        .with(metrics_layer)
        .try_init()
        .map_err(|e| LoggingError::AlreadyInstalled(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_format_names_text_and_json_and_refuses_the_rest() {
        assert_eq!(LogFormat::parse(None).unwrap(), LogFormat::Text);
        assert_eq!(LogFormat::parse(Some("")).unwrap(), LogFormat::Text);
        assert_eq!(LogFormat::parse(Some("text")).unwrap(), LogFormat::Text);
        assert_eq!(LogFormat::parse(Some(" json ")).unwrap(), LogFormat::Json);
        let error = LogFormat::parse(Some("yaml")).unwrap_err().to_string();
        assert_eq!(error, "MFA_LOG_FORMAT: \"yaml\" is neither text nor json");
    }
}
