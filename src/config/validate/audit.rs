//! The `audit:` and `access_log:` sections: where the audit log's and the access log's lines go.

use std::path::PathBuf;

use super::super::raw::{RawAccessLog, RawAudit};
use super::super::{AccessLogConfig, AccessLogFormat, AuditConfig};
use super::Context;

/// Validates `audit:`; at least one destination must be chosen, or the section would silently
/// record nothing.
pub(super) fn audit(context: &mut Context, raw: &RawAudit) -> AuditConfig {
    let stdout = raw.stdout.unwrap_or(false);
    let file = destination(context, "audit", raw.file.as_deref(), stdout);
    AuditConfig { file, stdout }
}

/// Validates `access_log:`: a destination, and a format of json (default) or combined.
pub(super) fn access_log(context: &mut Context, raw: &RawAccessLog) -> AccessLogConfig {
    let stdout = raw.stdout.unwrap_or(false);
    let file = destination(context, "access_log", raw.file.as_deref(), stdout);
    let format = match raw.format.as_deref().map(str::trim) {
        None | Some("json") => AccessLogFormat::Json,
        Some("combined") => AccessLogFormat::Combined,
        Some(other) => {
            context.report.error(
                "access_log.format",
                format!("\"{other}\" is neither json nor combined"),
            );
            AccessLogFormat::Json
        }
    };
    AccessLogConfig {
        file,
        stdout,
        format,
    }
}

/// A log section's `file` (resolved, not a directory), with at least one destination chosen:
/// otherwise the section would silently record nothing.
fn destination(
    context: &mut Context,
    section: &str,
    file: Option<&str>,
    stdout: bool,
) -> Option<PathBuf> {
    let key = format!("{section}.file");
    let file = file.map(|file| {
        if file.trim().is_empty() {
            context
                .report
                .error(&key, "is empty: give a file path or leave the key out");
        }
        let path = context.resolver.path(file);
        if path.is_dir() {
            context.report.error(
                &key,
                format!("{} is a directory; name a file inside it", path.display()),
            );
        }
        path
    });
    if file.is_none() && !stdout {
        context.report.error(
            section,
            format!("has no destination: set {section}.file and/or {section}.stdout: true"),
        );
    }
    file
}
