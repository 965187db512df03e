//! A roster kept in a local YAML or CSV file (chosen by extension).
//!
//! The file is loaded when the gateway starts, so a broken file is reported before any member
//! needs it. Afterwards the file's modification time and size are checked at most every
//! [`DEFAULT_CHECK_INTERVAL`] and the file re-read when they change, so a corrected roster is
//! used without a restart. If a re-read fails, lookups fail (closed) with the error naming the
//! file until it is fixed: serving the old contents could send codes to a number the operator
//! just removed.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use async_trait::async_trait;
use tokio::sync::Mutex;

use super::normalize::login_key;
use super::parse::{parse_roster, Entries, RosterFormat};
use super::{Roster, RosterEntry, RosterError};

/// How often the file's modification time is checked when lookups happen.
pub const DEFAULT_CHECK_INTERVAL: Duration = Duration::from_secs(2);

/// A roster read from a YAML or CSV file.
pub struct FileRoster {
    path: PathBuf,
    format: RosterFormat,
    check_every: Duration,
    state: Mutex<LoadedFile>,
}

/// What was read from the file, and what the file looked like when it was read.
struct LoadedFile {
    entries: Result<Arc<Entries>, RosterError>,
    /// `None` when the file could not even be inspected, so any later state differs.
    signature: Option<FileSignature>,
    checked_at: Instant,
}

/// Cheap evidence that the file changed. The size catches edits within one mtime tick on file
/// systems with coarse timestamps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct FileSignature {
    modified: Option<SystemTime>,
    len: u64,
}

impl FileRoster {
    /// Loads `path`, re-checking it at most every [`DEFAULT_CHECK_INTERVAL`].
    pub async fn open(path: &Path) -> Result<Self, RosterError> {
        Self::open_with_check_interval(path, DEFAULT_CHECK_INTERVAL).await
    }

    /// Loads `path`, re-checking it at most every `check_every` (zero: on every lookup).
    pub async fn open_with_check_interval(
        path: &Path,
        check_every: Duration,
    ) -> Result<Self, RosterError> {
        let format = RosterFormat::for_path(path).ok_or_else(|| {
            RosterError::Invalid(format!(
                "{}: a roster file must end in .yaml, .yml or .csv",
                path.display()
            ))
        })?;
        let (signature, entries) = load(path, format).await;
        let entries = entries?;
        let state = LoadedFile {
            entries: Ok(entries),
            signature,
            checked_at: Instant::now(),
        };
        Ok(Self {
            path: path.to_path_buf(),
            format,
            check_every,
            state: Mutex::new(state),
        })
    }

    /// The file this roster reads.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The current entries, re-reading the file first if it is due for a check and has changed.
    async fn current_entries(&self) -> Result<Arc<Entries>, RosterError> {
        let mut state = self.state.lock().await;
        if state.checked_at.elapsed() >= self.check_every {
            state.checked_at = Instant::now();
            let now = signature_of(&self.path).await.ok();
            if now.is_none() || now != state.signature {
                self.reread(&mut state, "roster file changed and was re-read")
                    .await;
            }
        }
        state.entries.clone()
    }

    /// Reads the file again into `state` (a broken file makes lookups fail until it is fixed:
    /// fail closed, never the old members by mistake).
    async fn reread(&self, state: &mut LoadedFile, done: &'static str) {
        let (signature, entries) = load(&self.path, self.format).await;
        if let Err(error) = &entries {
            tracing::error!(%error, "roster file could not be re-read; lookups fail until it is fixed");
        } else {
            tracing::info!(path = %self.path.display(), "{done}");
        }
        state.signature = signature;
        state.entries = entries;
        state.checked_at = Instant::now();
    }
}

#[async_trait]
impl Roster for FileRoster {
    async fn lookup(&self, login_id: &str) -> Result<Option<RosterEntry>, RosterError> {
        let entries = self.current_entries().await?;
        Ok(entries.get(&login_key(login_id)).cloned())
    }

    async fn reload(&self) {
        let mut state = self.state.lock().await;
        self.reread(&mut state, "roster file re-read on request (SIGHUP)")
            .await;
    }
}

async fn signature_of(path: &Path) -> std::io::Result<FileSignature> {
    let metadata = tokio::fs::metadata(path).await?;
    Ok(FileSignature {
        modified: metadata.modified().ok(),
        len: metadata.len(),
    })
}

/// Reads and parses the file. The signature is taken *before* reading so that a change racing
/// with the read is seen as a change at the next check rather than missed.
async fn load(
    path: &Path,
    format: RosterFormat,
) -> (Option<FileSignature>, Result<Arc<Entries>, RosterError>) {
    let shown = path.display();
    let signature = match signature_of(path).await {
        Ok(signature) => signature,
        Err(error) => {
            return (
                None,
                Err(RosterError::Unavailable(format!(
                    "cannot read {shown}: {error}"
                ))),
            )
        }
    };
    let bytes = match tokio::fs::read(path).await {
        Ok(bytes) => bytes,
        Err(error) => {
            return (
                None,
                Err(RosterError::Unavailable(format!(
                    "cannot read {shown}: {error}"
                ))),
            )
        }
    };
    let parsed = match String::from_utf8(bytes) {
        Ok(text) => parse_roster(&text, format)
            .map(Arc::new)
            .map_err(|problem| RosterError::Invalid(format!("{shown}: {problem}"))),
        Err(_) => Err(RosterError::Invalid(format!(
            "{shown}: the file is not UTF-8 text"
        ))),
    };
    (Some(signature), parsed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn unknown_extension_is_refused_with_the_path() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("roster.txt");
        std::fs::write(&path, "login_id\njdoe\n").expect("write");
        let error = FileRoster::open(&path).await.err().expect("refused");
        assert!(
            matches!(&error, RosterError::Invalid(message) if message.contains("roster.txt")),
            "{error}"
        );
    }

    #[tokio::test]
    async fn reload_rereads_at_once_and_a_broken_file_fails_closed() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("roster.csv");
        std::fs::write(&path, "login_id,email\njdoe,old@example.com\n").expect("write");
        // An hour between checks: only `reload` can make the change visible now.
        let roster = FileRoster::open_with_check_interval(&path, Duration::from_secs(3600))
            .await
            .expect("opens");
        std::fs::write(&path, "login_id,email\njdoe,new@example.com\n").expect("write");
        let email = |entry: Option<RosterEntry>| entry.and_then(|e| e.email);
        assert_eq!(
            email(roster.lookup("jdoe").await.unwrap()).as_deref(),
            Some("old@example.com")
        );
        roster.reload().await;
        assert_eq!(
            email(roster.lookup("jdoe").await.unwrap()).as_deref(),
            Some("new@example.com")
        );
        std::fs::write(&path, "login,email\njdoe,x@example.com\n").expect("write");
        roster.reload().await;
        assert!(roster.lookup("jdoe").await.is_err(), "no stale answer");
    }

    #[tokio::test]
    async fn missing_file_is_unavailable_and_names_it() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("absent.csv");
        let error = FileRoster::open(&path).await.err().expect("refused");
        assert!(
            matches!(&error, RosterError::Unavailable(message) if message.contains("absent.csv")),
            "{error}"
        );
    }

    #[tokio::test]
    async fn non_utf8_file_is_invalid() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("roster.csv");
        std::fs::write(&path, b"login_id\n\xff\xfe\n").expect("write");
        let error = FileRoster::open(&path).await.err().expect("refused");
        assert!(error.to_string().contains("not UTF-8"), "{error}");
    }

    #[tokio::test]
    async fn a_deleted_file_fails_lookups_closed_and_recovers_when_restored() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("roster.csv");
        std::fs::write(&path, "login_id,email\njdoe,j@example.com\n").expect("write");
        let roster = FileRoster::open_with_check_interval(&path, Duration::ZERO)
            .await
            .expect("loads");
        assert!(roster.lookup("JDOE").await.expect("found").is_some());
        std::fs::remove_file(&path).expect("remove");
        assert!(matches!(
            roster.lookup("jdoe").await,
            Err(RosterError::Unavailable(_))
        ));
        std::fs::write(&path, "login_id,email\njdoe,j@example.com\n").expect("write");
        assert!(roster.lookup("jdoe").await.expect("found again").is_some());
    }
}
