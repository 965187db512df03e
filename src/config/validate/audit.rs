//! The `audit:` section: where the audit log's JSON lines go.

use super::super::raw::RawAudit;
use super::super::AuditConfig;
use super::Context;

/// Validates `audit:`; at least one destination must be chosen, or the section would silently
/// record nothing.
pub(super) fn audit(context: &mut Context, raw: &RawAudit) -> AuditConfig {
    let stdout = raw.stdout.unwrap_or(false);
    let file = raw.file.as_ref().map(|file| {
        if file.trim().is_empty() {
            context.report.error(
                "audit.file",
                "is empty: give a file path or leave the key out",
            );
        }
        let path = context.resolver.path(file);
        if path.is_dir() {
            context.report.error(
                "audit.file",
                format!("{} is a directory; name a file inside it", path.display()),
            );
        }
        path
    });
    if file.is_none() && !stdout {
        context.report.error(
            "audit",
            "has no destination: set audit.file and/or audit.stdout: true",
        );
    }
    AuditConfig { file, stdout }
}
