//! Storage behind two traits, so backends can be swapped by config.
//!
//! * [`DurableStore`]: members' enrollments, encrypted TOTP secrets, the last accepted TOTP
//!   step, the enrollment epoch (bumped to revoke every trust cookie at once) and consecutive
//!   failure counters. SQLite by default, PostgreSQL for several gateway instances.
//! * [`EphemeralStore`]: short-lived keyed blobs with a TTL (held logins, code hashes, attempt
//!   counters, resend throttles). In-process moka by default, Redis for several instances.
//!
//! Every operation that enforces single use or a limit is one atomic backend operation, so
//! parallel requests cannot slip past it (DESIGN.md: "Fifty parallel submissions of one valid
//! code → exactly one success").

pub mod crypto;
pub mod memory;
pub mod postgres;
pub mod redis;
pub mod sqlite;

use std::time::Duration;

use async_trait::async_trait;

/// Errors from a storage backend. Callers fail closed on any of them.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("storage backend unavailable: {0}")]
    Unavailable(String),
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
    #[error("cannot decrypt a stored secret (missing or wrong key id {0:?})")]
    Decrypt(String),
}

/// Shorthand for store results.
pub type StoreResult<T> = Result<T, StoreError>;

/// The second factor a member enrolled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EnrolledMethod {
    App,
    Email,
    Text,
}

impl EnrolledMethod {
    /// Stable name stored in the database.
    pub fn as_str(self) -> &'static str {
        match self {
            EnrolledMethod::App => "app",
            EnrolledMethod::Email => "email",
            EnrolledMethod::Text => "text",
        }
    }

    /// Inverse of [`EnrolledMethod::as_str`].
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "app" => Some(EnrolledMethod::App),
            "email" => Some(EnrolledMethod::Email),
            "text" => Some(EnrolledMethod::Text),
            _ => None,
        }
    }
}

/// A member's enrollment as stored (the TOTP secret already decrypted).
#[derive(Clone, PartialEq, Eq)]
pub struct Enrollment {
    /// Preferred method (the one offered first at a challenge).
    pub method: EnrolledMethod,
    /// Raw TOTP secret (20 bytes) when an authenticator app is enrolled.
    pub totp_secret: Option<Vec<u8>>,
    /// Trust period the member chose, in seconds.
    pub trust_period_secs: u64,
    /// Unix seconds of enrollment.
    pub enrolled_at: i64,
}

impl std::fmt::Debug for Enrollment {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The secret never appears in debug output or logs.
        f.debug_struct("Enrollment")
            .field("method", &self.method)
            .field(
                "totp_secret",
                &self.totp_secret.as_ref().map(|_| "<redacted>"),
            )
            .field("trust_period_secs", &self.trust_period_secs)
            .field("enrolled_at", &self.enrolled_at)
            .finish()
    }
}

/// Everything the gateway keeps about one member.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberRecord {
    /// Normalised login id.
    pub login: String,
    /// Bumped by a support reset or "forget devices"; trust cookies carry it.
    pub epoch: u64,
    pub enrollment: Option<Enrollment>,
    /// Consecutive failed verifications (reset by a success).
    pub consecutive_failures: u32,
    /// Unix seconds until which verification is refused (backoff), if any.
    pub locked_until: Option<i64>,
    /// Unix seconds of the last successful verification.
    pub last_success_at: Option<i64>,
}

/// Durable per-member state.
#[async_trait]
pub trait DurableStore: Send + Sync + 'static {
    /// The member's record; `None` if the gateway has never seen them.
    async fn member(&self, login: &str) -> StoreResult<Option<MemberRecord>>;

    /// Saves (or replaces) the enrollment; creates the member row if needed. The epoch is kept.
    /// `last_totp_step` is the step of the code that confirmed an app enrollment, so that code
    /// cannot be used again.
    async fn save_enrollment(
        &self,
        login: &str,
        enrollment: &Enrollment,
        last_totp_step: Option<u64>,
    ) -> StoreResult<()>;

    /// Atomically records `step` as the last accepted TOTP step if it is greater than the
    /// stored one. Returns `true` only for the single caller that advanced it.
    async fn advance_totp_step(&self, login: &str, step: u64) -> StoreResult<bool>;

    /// Atomically counts one failed verification (creating the member row if needed) and
    /// returns the new consecutive failure count.
    async fn record_failure(&self, login: &str) -> StoreResult<u32>;

    /// Refuses verification until `until` (unix seconds); never shortens an existing lock.
    async fn lock_until(&self, login: &str, until: i64) -> StoreResult<()>;

    /// Clears the failure counter and lock and stamps `last_success_at`.
    async fn record_success(&self, login: &str, now: i64) -> StoreResult<()>;

    /// Removes the enrollment and bumps the epoch (support reset). Returns the new epoch.
    async fn reset(&self, login: &str) -> StoreResult<u64>;

    /// Bumps the epoch only ("forget devices"). Returns the new epoch.
    async fn bump_epoch(&self, login: &str) -> StoreResult<u64>;

    /// Clears failures and lock (support unlock).
    async fn unlock(&self, login: &str) -> StoreResult<()>;

    /// Cheap round trip for readiness checks.
    async fn ping(&self) -> StoreResult<()>;

    /// Re-encrypts every stored TOTP secret that is not sealed with the current secret key
    /// (key rotation: afterwards old keys can leave `keys.secret`). Each row is rewritten only
    /// if unchanged meanwhile, so a concurrent re-enrollment wins. Secrets no listed key opens
    /// are reported, not fatal. Backends that cannot list their secrets keep this default.
    async fn reseal_secrets(&self) -> StoreResult<ResealSummary> {
        Err(StoreError::Unavailable(
            "this durable store cannot re-seal secrets in bulk (they are re-sealed when read)"
                .into(),
        ))
    }

    /// Moves every member whose stored login is not `canon(login)` to that key (schema change
    /// of the member key: earlier versions only lower-cased and trimmed). A move that would
    /// overwrite an existing row is refused and reported. Idempotent.
    async fn rekey_logins(&self, canon: Canonicalize<'_>) -> StoreResult<RekeySummary>;
}

/// Maps a stored login to its canonical form; `None` when it has none (invisible characters).
pub type Canonicalize<'a> = &'a (dyn Fn(&str) -> Option<String> + Sync);

/// What [`DurableStore::rekey_logins`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RekeySummary {
    /// Member rows looked at.
    pub examined: u64,
    /// Rows moved, `(old login, canonical login)`.
    pub rekeyed: Vec<(String, String)>,
    /// Rows left alone because the canonical login already has a row (that row is the one
    /// every lookup finds; the old one is unreachable), `(old login, canonical login)`.
    pub conflicts: Vec<(String, String)>,
    /// Rows the canonicaliser gave no key: logins with invisible characters (refused at
    /// login), or compatibility spellings the re-key refuses to move (see
    /// `mfa::username::rekey_members`). Left unreachable.
    pub invalid: Vec<String>,
    /// Rows whose TOTP secret no listed key opens; left untouched.
    pub unreadable: Vec<String>,
}

/// What a re-key does with one stored member row (shared by the backends' `rekey_all`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum RowMove {
    /// Already canonical.
    Keep,
    /// The login has no canonical form.
    Invalid,
    /// The TOTP secret opens with no listed key: left alone.
    Unreadable,
    /// Move the row to `key`, with the secret re-sealed for it.
    Move {
        key: String,
        resealed: Option<String>,
    },
}

impl RowMove {
    /// Decides for the row of `login` with sealed secret `sealed`.
    pub(crate) fn plan(
        login: &str,
        sealed: Option<&str>,
        cipher: &crypto::SecretCipher,
        canon: Canonicalize<'_>,
    ) -> StoreResult<RowMove> {
        let Some(key) = canon(login) else {
            return Ok(RowMove::Invalid);
        };
        if key == login {
            return Ok(RowMove::Keep);
        }
        // The login is bound into the ciphertext, so a moved secret is sealed again.
        let resealed = match sealed {
            Some(sealed) => match cipher.open(login, sealed) {
                Ok(secret) => Some(cipher.seal(&key, &secret)?),
                Err(_) => return Ok(RowMove::Unreadable),
            },
            None => None,
        };
        Ok(RowMove::Move { key, resealed })
    }

    /// Records a row that is not moved; returns the move to make, if any.
    pub(crate) fn note(
        self,
        login: String,
        summary: &mut RekeySummary,
    ) -> Option<(String, String, Option<String>)> {
        summary.examined += 1;
        match self {
            RowMove::Keep => None,
            RowMove::Invalid => {
                summary.invalid.push(login);
                None
            }
            RowMove::Unreadable => {
                summary.unreadable.push(login);
                None
            }
            RowMove::Move { key, resealed } => Some((login, key, resealed)),
        }
    }
}

/// What [`DurableStore::reseal_secrets`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ResealSummary {
    /// Stored secrets looked at.
    pub examined: u64,
    /// Secrets re-encrypted with the current key.
    pub resealed: u64,
    /// Logins whose secret no listed key opens (or that is malformed); left untouched.
    pub unreadable: Vec<String>,
}

/// Short-lived keyed state with per-entry TTL.
#[async_trait]
pub trait EphemeralStore: Send + Sync + 'static {
    /// Stores `value` under `key` for `ttl`, replacing any previous value.
    async fn put(&self, key: &str, value: &[u8], ttl: Duration) -> StoreResult<()>;

    /// Stores only if `key` is absent; `true` when stored.
    async fn put_if_absent(&self, key: &str, value: &[u8], ttl: Duration) -> StoreResult<bool>;

    /// Reads a live value.
    async fn get(&self, key: &str) -> StoreResult<Option<Vec<u8>>>;

    /// Atomically reads and removes (single use).
    async fn take(&self, key: &str) -> StoreResult<Option<Vec<u8>>>;

    /// Atomically removes `key` only if it holds exactly `expected`; `true` when removed.
    async fn take_if_eq(&self, key: &str, expected: &[u8]) -> StoreResult<bool>;

    /// Atomically increments a counter (created at 0 with `ttl` if absent; the TTL is not
    /// extended by later increments). Returns the new value.
    async fn incr(&self, key: &str, ttl: Duration) -> StoreResult<u64>;

    /// Remaining time to live of `key`, if it exists.
    async fn ttl(&self, key: &str) -> StoreResult<Option<Duration>>;

    /// Removes `key`.
    async fn delete(&self, key: &str) -> StoreResult<()>;

    /// Cheap round trip for readiness checks.
    async fn ping(&self) -> StoreResult<()>;
}
