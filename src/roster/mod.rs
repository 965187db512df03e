//! The member roster: where a member's email address and mobile number are, so the gateway can
//! send email and text codes.
//!
//! It is consulted only at login and on the MFA pages, never on the per-request hot path. Sources:
//! a local YAML/CSV [`file`] (re-read when it changes), the RESO Web API `Member` resource
//! ([`reso`]), or none at all. Every source is wrapped in a short-lived [`cache`] so a member who
//! clicks "Resend code" does not cost another RESO round trip, while a corrected roster still
//! shows up after `roster.cache_ttl`.
//!
//! Callers treat [`RosterError::Unavailable`] as "fail closed": nobody passes MFA on a guess.

pub mod cache;
mod csv;
pub mod file;
pub mod normalize;
mod parse;
pub mod reso;
mod token;

use std::sync::Arc;

use async_trait::async_trait;

use crate::config::{RosterConfig, RosterSource};

pub use cache::CachedRoster;
pub use file::FileRoster;
pub use reso::ResoRoster;

/// One member as the roster knows them. Blank fields are `None`; `mobile` is E.164 (`+1…`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RosterEntry {
    /// The login id as the source spells it (lookups compare it case-insensitively).
    pub login_id: String,
    /// Full name, when the roster has one.
    pub name: Option<String>,
    /// Email address that receives email codes.
    pub email: Option<String>,
    /// Mobile number in E.164 form that receives text codes.
    pub mobile: Option<String>,
}

/// Why a roster lookup gave no answer. Messages never carry tokens or client secrets.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RosterError {
    /// The source could not be reached or read (network, timeout, HTTP error, unreadable file).
    #[error("member roster unavailable: {0}")]
    Unavailable(String),
    /// The source answered, but the answer cannot be trusted (malformed file, ambiguous match).
    #[error("member roster invalid: {0}")]
    Invalid(String),
}

/// A source of roster entries.
#[async_trait]
pub trait Roster: Send + Sync {
    /// The entry for `login_id` (compared case-insensitively), `Ok(None)` when there is none.
    async fn lookup(&self, login_id: &str) -> Result<Option<RosterEntry>, RosterError>;

    /// Forgets what was read or cached so the next lookup asks the source again (SIGHUP: an
    /// operator who corrected the roster does not wait for `roster.cache_ttl`). Sources that
    /// keep nothing do nothing.
    async fn reload(&self) {}
}

/// The roster used when none is configured: nobody has an email or mobile on file, so only the
/// authenticator-app method can be offered.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoRoster;

#[async_trait]
impl Roster for NoRoster {
    async fn lookup(&self, _login_id: &str) -> Result<Option<RosterEntry>, RosterError> {
        Ok(None)
    }
}

/// Builds the configured roster, wrapped in the lookup cache.
///
/// A file roster is loaded (and validated) here so a broken file stops the gateway at start with
/// an error naming the file and row; a RESO roster is not contacted until the first lookup, so a
/// RESO outage at start-up does not keep the gateway (and its authenticator-app members) down.
pub async fn from_config(cfg: &RosterConfig) -> Result<Arc<dyn Roster>, RosterError> {
    let source: Arc<dyn Roster> = match &cfg.source {
        // Nothing to cache: the answer is always "not found" and costs nothing.
        RosterSource::None => return Ok(Arc::new(NoRoster)),
        RosterSource::File { path } => Arc::new(FileRoster::open(path).await?),
        RosterSource::Reso(reso) => Arc::new(ResoRoster::new(reso)?),
    };
    Ok(CachedRoster::wrap(source, cfg.cache_ttl))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[tokio::test]
    async fn no_roster_finds_nobody() {
        let config = RosterConfig {
            source: RosterSource::None,
            cache_ttl: Duration::from_secs(60),
        };
        let roster = from_config(&config).await.expect("none always builds");
        assert_eq!(roster.lookup("jdoe").await, Ok(None));
        assert_eq!(roster.lookup("").await, Ok(None));
    }

    #[test]
    fn error_messages_say_what_failed() {
        let error = RosterError::Unavailable("RESO answered HTTP 500".into());
        assert_eq!(
            error.to_string(),
            "member roster unavailable: RESO answered HTTP 500"
        );
        let error = RosterError::Invalid("two members share login id \"jdoe\"".into());
        assert!(error.to_string().starts_with("member roster invalid: "));
    }
}
