//! The audit log: a `tracing` layer that writes every event carrying an `event` field as one
//! JSON line (`timestamp` in RFC 3339 UTC, `level`, `event`, `request_id` when the event
//! happened inside a span that has one, then the event's own fields), appended to the
//! configured file and/or standard output.
//!
//! Building on the events instead of separate audit calls keeps one source of truth: whatever
//! the gateway logs as security-relevant is audited, and nothing is audited that is not logged.
//! Values pass through [`super::scrub`] first. Each line is written with a single `write` on a
//! file opened in append mode, so lines from the gateway and from a concurrently running
//! `mfa-gateway users …` command never interleave.

use std::fs::{File, OpenOptions};
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use chrono::{SecondsFormat, Utc};
use serde_json::Value;
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Subscriber};
use tracing_subscriber::layer::{Context, Layer};
use tracing_subscriber::registry::LookupSpan;

use super::fields::{EventFields, FieldValue, EVENT_FIELD};
use super::scrub::{is_secret_field, scrub_text};
use crate::config::AuditConfig;

/// Name of the span field carrying a request id (`info_span!("request", request_id = %id)`).
pub const REQUEST_ID_FIELD: &str = "request_id";

/// Keys the audit line sets itself; an event field of the same name is not repeated.
const RESERVED_KEYS: &[&str] = &["timestamp", "level", EVENT_FIELD, REQUEST_ID_FIELD];

/// Why the audit log could not be opened.
#[derive(Debug, thiserror::Error)]
#[error("audit.file: cannot open {path} for appending: {source}")]
pub struct AuditError {
    path: PathBuf,
    source: std::io::Error,
}

/// Where audit lines go.
pub struct AuditSink {
    file: Option<(PathBuf, Mutex<File>)>,
    stdout: bool,
    /// A failing disk is reported once on stderr, not once per event.
    write_failure_reported: AtomicBool,
}

impl std::fmt::Debug for AuditSink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuditSink")
            .field("file", &self.file.as_ref().map(|(path, _)| path))
            .field("stdout", &self.stdout)
            .finish()
    }
}

impl AuditSink {
    /// Opens the configured destinations: the file is created (mode 0600, parent directories
    /// 0700) if missing and always appended to.
    pub fn open(config: &AuditConfig) -> Result<AuditSink, AuditError> {
        let file = match &config.file {
            Some(path) => Some((path.clone(), Mutex::new(open_append(path)?))),
            None => None,
        };
        Ok(AuditSink {
            file,
            stdout: config.stdout,
            write_failure_reported: AtomicBool::new(false),
        })
    }

    /// Opens the file again by its path (after logrotate moved it away: SIGHUP); later lines go
    /// to the new file. On failure the old handle is kept, so nothing is lost.
    pub fn reopen(&self) -> Result<(), AuditError> {
        if let Some((path, file)) = &self.file {
            let fresh = open_append(path)?;
            *file.lock().unwrap_or_else(|poisoned| poisoned.into_inner()) = fresh;
            self.write_failure_reported.store(false, Ordering::Relaxed);
        }
        Ok(())
    }

    /// Writes one line (the newline is added here) to every destination.
    pub fn write_line(&self, line: &str) {
        let mut bytes = Vec::with_capacity(line.len() + 1);
        bytes.extend_from_slice(line.as_bytes());
        bytes.push(b'\n');
        if let Some((path, file)) = &self.file {
            // A poisoned lock only means another thread panicked mid-write; the file is fine.
            let mut file = file.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            if let Err(error) = file.write_all(&bytes).and_then(|()| file.flush()) {
                self.report_failure(path, &error);
            }
        }
        if self.stdout {
            let mut out = std::io::stdout().lock();
            // Nothing sensible can be done if stdout is gone; the file (if any) still has it.
            let _ = out.write_all(&bytes).and_then(|()| out.flush());
        }
    }

    fn report_failure(&self, path: &Path, error: &std::io::Error) {
        if !self.write_failure_reported.swap(true, Ordering::Relaxed) {
            eprintln!(
                "mfa-gateway: cannot write the audit log {}: {error}",
                path.display()
            );
        }
    }
}

fn open_append(path: &Path) -> Result<File, AuditError> {
    let error = |source| AuditError {
        path: path.to_path_buf(),
        source,
    };
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        let mut builder = std::fs::DirBuilder::new();
        builder.recursive(true);
        #[cfg(unix)]
        std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
        builder.create(parent).map_err(error)?;
    }
    let mut options = OpenOptions::new();
    options.create(true).append(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path).map_err(error)
}

/// The request id recorded on a span, kept in the span's extensions.
struct RequestId(String);

/// The `tracing` layer writing audit lines to an [`AuditSink`].
#[derive(Debug, Clone)]
pub struct AuditLayer {
    sink: Arc<AuditSink>,
}

impl AuditLayer {
    /// A layer writing to `sink`.
    pub fn new(sink: Arc<AuditSink>) -> Self {
        AuditLayer { sink }
    }
}

fn remember_request_id<S>(ctx: &Context<'_, S>, id: &Id, fields: &EventFields)
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    let Some(value) = fields.get(REQUEST_ID_FIELD) else {
        return;
    };
    let text = match value {
        FieldValue::Text(text) => text.clone(),
        FieldValue::Unsigned(n) => n.to_string(),
        FieldValue::Signed(n) => n.to_string(),
        other => format!("{other:?}"),
    };
    if let Some(span) = ctx.span(id) {
        span.extensions_mut().replace(RequestId(text));
    }
}

impl<S> Layer<S> for AuditLayer
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, ctx: Context<'_, S>) {
        let mut fields = EventFields::default();
        attrs.record(&mut fields);
        remember_request_id(&ctx, id, &fields);
    }

    fn on_record(&self, id: &Id, values: &Record<'_>, ctx: Context<'_, S>) {
        let mut fields = EventFields::default();
        values.record(&mut fields);
        remember_request_id(&ctx, id, &fields);
    }

    fn on_event(&self, event: &Event<'_>, ctx: Context<'_, S>) {
        let mut fields = EventFields::default();
        event.record(&mut fields);
        if fields.event_name().is_none() {
            return;
        }
        let request_id = ctx.event_scope(event).and_then(|scope| {
            scope
                .from_root()
                .filter_map(|span| span.extensions().get::<RequestId>().map(|r| r.0.clone()))
                .last()
        });
        let timestamp = Utc::now().to_rfc3339_opts(SecondsFormat::Millis, true);
        let line = render_line(
            &timestamp,
            event.metadata().level().as_str(),
            request_id.as_deref(),
            &fields,
        );
        self.sink.write_line(&line);
    }
}

/// One audit line (without the newline) for an event's fields.
pub fn render_line(
    timestamp: &str,
    level: &str,
    request_id: Option<&str>,
    fields: &EventFields,
) -> String {
    let mut out = String::with_capacity(256);
    out.push('{');
    push_entry(&mut out, "timestamp", Value::from(timestamp));
    push_entry(&mut out, "level", Value::from(level));
    if let Some(event) = fields.event_name() {
        push_entry(
            &mut out,
            EVENT_FIELD,
            Value::from(scrub_text(EVENT_FIELD, event)),
        );
    }
    if let Some(id) = request_id {
        push_entry(&mut out, REQUEST_ID_FIELD, Value::from(id));
    }
    for (name, value) in &fields.values {
        if RESERVED_KEYS.contains(name) || is_secret_field(name) {
            continue;
        }
        let json = match value {
            FieldValue::Text(text) => Value::from(scrub_text(name, text)),
            FieldValue::Signed(n) => Value::from(*n),
            FieldValue::Unsigned(n) => Value::from(*n),
            FieldValue::Float(f) => Value::from(*f),
            FieldValue::Bool(b) => Value::from(*b),
        };
        push_entry(&mut out, name, json);
    }
    out.push('}');
    out
}

fn push_entry(out: &mut String, key: &str, value: Value) {
    if !out.ends_with('{') {
        out.push(',');
    }
    // Serialising a string or a `Value` to a String cannot fail (no I/O, no non-string keys).
    out.push_str(&Value::from(key).to_string());
    out.push(':');
    out.push_str(&value.to_string());
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(s: &str) -> FieldValue {
        FieldValue::Text(s.into())
    }

    #[test]
    fn a_line_is_one_json_object_with_the_fixed_keys_first() {
        let fields = EventFields {
            values: vec![
                ("event", text("verify_failed")),
                ("user", text("jdoe")),
                ("consecutive_failures", FieldValue::Unsigned(3)),
                ("enrolled", FieldValue::Bool(true)),
            ],
        };
        let line = render_line("2025-01-01T00:00:00.000Z", "WARN", Some("r-1"), &fields);
        assert!(line.starts_with(
            r#"{"timestamp":"2025-01-01T00:00:00.000Z","level":"WARN","event":"verify_failed","request_id":"r-1","#
        ), "{line}");
        let parsed: serde_json::Value = serde_json::from_str(&line).unwrap();
        assert_eq!(parsed["user"], "jdoe");
        assert_eq!(parsed["consecutive_failures"], 3);
        assert_eq!(parsed["enrolled"], true);
        assert!(!line.contains('\n'));
    }

    #[test]
    fn secrets_are_dropped_and_code_shaped_digits_masked() {
        let fields = EventFields {
            values: vec![
                ("event", text("code_sent")),
                ("code", text("123456")),
                ("totp_secret", text("JBSWY3DPEHPK3PXP")),
                ("api_key", text("abc")),
                ("error", text("provider said 654321 is wrong")),
                ("user", text("9999999")),
                ("timestamp", text("forged")),
            ],
        };
        let line = render_line("t", "INFO", None, &fields);
        let parsed: serde_json::Value = serde_json::from_str(&line).unwrap();
        for gone in ["code", "totp_secret", "api_key"] {
            assert!(parsed.get(gone).is_none(), "{gone} in {line}");
        }
        assert!(!line.contains("123456") && !line.contains("654321") && !line.contains("JBSWY"));
        assert_eq!(parsed["error"], "provider said ****** is wrong");
        assert_eq!(parsed["user"], "9999999");
        assert_eq!(parsed["timestamp"], "t");
        assert!(parsed.get("request_id").is_none());
    }

    #[test]
    fn lines_are_appended_to_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("logs/audit.log");
        let config = AuditConfig {
            file: Some(path.clone()),
            stdout: false,
        };
        AuditSink::open(&config).unwrap().write_line("{\"a\":1}");
        AuditSink::open(&config).unwrap().write_line("{\"b\":2}");
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            "{\"a\":1}\n{\"b\":2}\n"
        );
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }
}
