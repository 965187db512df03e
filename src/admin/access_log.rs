//! The access log (`access_log:`, off by default): one line per request, written from the
//! proxy's `logging` hook, as JSON or in the Combined Log Format ops already parse.
//!
//! What a line holds: time, request id, client address, member (once the request carried a
//! bound session), method, target, status, bytes sent, upstream status, outcome, duration,
//! referer and user agent. Never cookies, headers beyond those two, or bodies (codes travel in
//! POST bodies only); the query string of the gateway's own `/_mfa/` pages is dropped.
//!
//! Lines are buffered and flushed every second by [`AccessLog::spawn_flusher`] (and when the
//! buffer fills, and on SIGHUP), so the hot path pays a formatted line and a lock, not a
//! `write` system call per request as an unbuffered log would.

use std::fs::{File, OpenOptions};
use std::io::{BufWriter, Write as _};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, SecondsFormat, Utc};
use serde::Serialize;

use crate::config::{AccessLogConfig, AccessLogFormat};

/// Buffer in front of the file: a second of a busy gateway's lines.
const BUFFER_BYTES: usize = 64 * 1024;

/// One request, as the access log writes it.
#[derive(Debug, Clone, Serialize)]
pub struct AccessLine<'a> {
    #[serde(skip)]
    pub time: DateTime<Utc>,
    pub request_id: &'a str,
    pub client: Option<std::net::IpAddr>,
    pub member: Option<&'a str>,
    pub method: &'a str,
    pub target: &'a str,
    /// The status the client got (0 when no answer was written).
    pub status: u16,
    pub bytes: usize,
    pub upstream_status: Option<u16>,
    pub outcome: &'static str,
    pub duration_ms: f64,
    pub referer: Option<&'a str>,
    pub user_agent: Option<&'a str>,
}

/// The request target as logged: the query string of the gateway's own pages is dropped (their
/// links carry nothing secret today; this keeps it so).
pub fn logged_target(path_and_query: &str) -> &str {
    if path_and_query.starts_with(crate::pages::routes::START) {
        path_and_query.split('?').next().unwrap_or(path_and_query)
    } else {
        path_and_query
    }
}

impl AccessLine<'_> {
    /// The line as one JSON object (no newline).
    pub fn json(&self) -> String {
        #[derive(Serialize)]
        struct WithTime<'a, 'b> {
            time: String,
            #[serde(flatten)]
            line: &'a AccessLine<'b>,
        }
        let time = self.time.to_rfc3339_opts(SecondsFormat::Millis, true);
        // Every field is a plain string, number or null: serialising cannot fail.
        serde_json::to_string(&WithTime { time, line: self }).unwrap_or_default()
    }

    /// The line in the Combined Log Format, then `rid=… outcome=… upstream=… ms=…`.
    pub fn combined(&self) -> String {
        let client = self
            .client
            .map_or_else(|| "-".to_string(), |ip| ip.to_string());
        format!(
            "{client} - {member} [{time}] \"{method} {target} HTTP/1.1\" {status} {bytes} \"{referer}\" \"{agent}\" rid={rid} outcome={outcome} upstream={upstream} ms={ms:.3}",
            member = clf_field(self.member),
            time = self.time.format("%d/%b/%Y:%H:%M:%S %z"),
            method = self.method,
            target = escape(self.target),
            status = self.status,
            bytes = self.bytes,
            referer = escape(self.referer.unwrap_or("-")),
            agent = escape(self.user_agent.unwrap_or("-")),
            rid = self.request_id,
            outcome = self.outcome,
            upstream = self
                .upstream_status
                .map_or_else(|| "-".to_string(), |s| s.to_string()),
            ms = self.duration_ms,
        )
    }
}

/// A member name in the user field: `-` when none, spaces and quotes escaped.
fn clf_field(value: Option<&str>) -> String {
    match value {
        Some(v) if !v.is_empty() => escape(v).replace(' ', "\\x20"),
        _ => "-".to_string(),
    }
}

/// Escapes `"`, `\` and control characters as nginx does (`\xHH`), so a line stays one line
/// and its quoted fields stay parseable whatever a client sent.
fn escape(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        if c == '"' || c == '\\' || c.is_control() {
            let mut buf = [0u8; 4];
            for byte in c.encode_utf8(&mut buf).bytes() {
                out.push_str(&format!("\\x{byte:02X}"));
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// Why the access log could not be opened.
#[derive(Debug, thiserror::Error)]
#[error("access_log.file: cannot open {path}: {source}")]
pub struct AccessLogError {
    path: PathBuf,
    source: std::io::Error,
}

/// Where access lines go.
pub struct AccessLog {
    format: AccessLogFormat,
    file: Option<(PathBuf, Mutex<BufWriter<File>>)>,
    stdout: bool,
}

impl AccessLog {
    /// Opens the configured destinations (the file is created if missing and appended to).
    pub fn open(config: &AccessLogConfig) -> Result<AccessLog, AccessLogError> {
        let file = match &config.file {
            Some(path) => Some((
                path.clone(),
                Mutex::new(BufWriter::with_capacity(BUFFER_BYTES, open_append(path)?)),
            )),
            None => None,
        };
        Ok(AccessLog {
            format: config.format,
            file,
            stdout: config.stdout,
        })
    }

    /// Writes one request's line.
    pub fn write(&self, line: &AccessLine<'_>) {
        let mut text = match self.format {
            AccessLogFormat::Json => line.json(),
            AccessLogFormat::Combined => line.combined(),
        };
        text.push('\n');
        if let Some((_, file)) = &self.file {
            let mut file = file.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            // A full disk loses access lines, never requests: the error is not the client's.
            let _ = file.write_all(text.as_bytes());
        }
        if self.stdout {
            let _ = std::io::stdout().lock().write_all(text.as_bytes());
        }
    }

    /// Writes out what is buffered.
    pub fn flush(&self) {
        if let Some((_, file)) = &self.file {
            let _ = file
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner())
                .flush();
        }
    }

    /// Flushes, then opens the file again by its path (SIGHUP, after logrotate moved it).
    pub fn reopen(&self) -> Result<(), AccessLogError> {
        if let Some((path, file)) = &self.file {
            let fresh = open_append(path)?;
            let mut file = file.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            let _ = file.flush();
            *file = BufWriter::with_capacity(BUFFER_BYTES, fresh);
        }
        Ok(())
    }

    /// Flushes the buffer every second on the current tokio runtime, for as long as it runs.
    pub fn spawn_flusher(log: &Arc<AccessLog>) {
        let log = Arc::clone(log);
        tokio::spawn(async move {
            let mut every = tokio::time::interval(Duration::from_secs(1));
            loop {
                every.tick().await;
                log.flush();
            }
        });
    }
}

impl Drop for AccessLog {
    fn drop(&mut self) {
        self.flush();
    }
}

fn open_append(path: &Path) -> Result<File, AccessLogError> {
    let mut options = OpenOptions::new();
    options.create(true).append(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o640);
    options.open(path).map_err(|source| AccessLogError {
        path: path.to_path_buf(),
        source,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line<'a>(target: &'a str, agent: Option<&'a str>) -> AccessLine<'a> {
        AccessLine {
            time: DateTime::parse_from_rfc3339("2026-12-07T10:00:00Z")
                .unwrap()
                .with_timezone(&Utc),
            request_id: "ab-1",
            client: Some("192.0.2.7".parse().unwrap()),
            member: Some("jdoe"),
            method: "GET",
            target,
            status: 200,
            bytes: 2048,
            upstream_status: Some(200),
            outcome: "bound",
            duration_ms: 1.25,
            referer: None,
            user_agent: agent,
        }
    }

    #[test]
    fn combined_lines_parse_as_combined_and_stay_one_line() {
        let text = line("/listings?q=elm", Some("Mozilla/5.0 \"evil\"\nX")).combined();
        assert_eq!(
            text,
            "192.0.2.7 - jdoe [07/Dec/2026:10:00:00 +0000] \"GET /listings?q=elm HTTP/1.1\" 200 2048 \"-\" \"Mozilla/5.0 \\x22evil\\x22\\x0AX\" rid=ab-1 outcome=bound upstream=200 ms=1.250"
        );
    }

    #[test]
    fn json_lines_name_every_field() {
        let value: serde_json::Value = serde_json::from_str(&line("/", None).json()).expect("JSON");
        assert_eq!(value["time"], "2026-12-07T10:00:00.000Z");
        assert_eq!(value["request_id"], "ab-1");
        assert_eq!(value["member"], "jdoe");
        assert_eq!(value["status"], 200);
        assert_eq!(value["upstream_status"], 200);
        assert_eq!(value["outcome"], "bound");
        assert_eq!(value["user_agent"], serde_json::Value::Null);
    }

    #[test]
    fn the_gateway_pages_lose_their_query() {
        assert_eq!(logged_target("/_mfa/verify?x=1"), "/_mfa/verify");
        assert_eq!(logged_target("/listings?q=elm"), "/listings?q=elm");
    }
}
