//! Held logins: the upstream's answer to a successful password login, kept server-side under a
//! random id until the member passes MFA (DESIGN.md, "The login, step by step").

use std::time::Duration;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use serde::{Deserialize, Serialize};

use crate::store::{EphemeralStore, StoreError, StoreResult};

/// A login waiting for its second factor.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct PendingLogin {
    /// Normalised member id.
    pub user: String,
    /// Unix seconds when the login was held.
    pub created: i64,
    /// The upstream's `Set-Cookie` headers, verbatim, released only after MFA.
    pub held_set_cookies: Vec<String>,
    /// Same-origin path to land on after MFA.
    pub target: String,
    /// The member had no enrollment at login: the flow is set-up, not challenge.
    pub must_enroll: bool,
    /// Authenticator secret being set up, sealed with the secret key ring (never plaintext,
    /// even in Redis).
    pub draft_secret: Option<String>,
    /// The login came from an API client (JSON answers instead of pages).
    pub api: bool,
    /// The method in use for this login (`app`, `email`, `text`): being set up, or chosen with
    /// "Try another method". `None` = the member's enrolled method.
    #[serde(default)]
    pub method: Option<String>,
    /// The upstream's answer body to a JSON login (e.g. the app's token), released only after
    /// MFA. Kept inside the held login so it shares its lifetime and single use.
    #[serde(default)]
    pub held_body: Option<HeldBody>,
    /// Set-up's proof of the email / mobile on file (`mfa.enrollment.verify_contact`): where
    /// the proof code went and whether it was entered. Held logins saved before this field
    /// existed load as "not proven".
    #[serde(default)]
    pub contact_proof: Option<ContactProof>,
    /// Same-origin path of the page the login form was posted from (its `Referer`): where
    /// "Sign in again" leads unless `site.sign_in_url` is set.
    #[serde(default)]
    pub sign_in_page: Option<String>,
}

/// A contact proof during set-up.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct ContactProof {
    /// `email` or `text`: the method whose code proves the contact.
    pub method: String,
    /// The code sent there was entered for this held login.
    pub proven: bool,
}

/// A held JSON login answer.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct HeldBody {
    pub status: u16,
    pub content_type: Option<String>,
    /// The body, base64 (standard).
    pub body_b64: String,
}

fn key(id: &str) -> String {
    format!("pending:{id}")
}

fn attempts_key(id: &str) -> String {
    format!("pending-attempts:{id}")
}

/// A new unguessable pending-login id (256 bits).
pub fn new_id() -> Result<String, StoreError> {
    let mut bytes = [0u8; 32];
    ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut bytes)
        .map_err(|_| StoreError::Unavailable("system random generator failed".into()))?;
    Ok(URL_SAFE_NO_PAD.encode(bytes))
}

/// True for strings shaped like an id from [`new_id`] (cheap pre-check before a store lookup).
pub fn looks_like_id(id: &str) -> bool {
    id.len() == 43
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// Saves a held login (creating or updating it) for `ttl`.
pub async fn save(
    store: &dyn EphemeralStore,
    id: &str,
    login: &PendingLogin,
    ttl: Duration,
) -> StoreResult<()> {
    let bytes = serde_json::to_vec(login).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    store.put(&key(id), &bytes, ttl).await
}

/// Loads a held login without consuming it.
pub async fn load(store: &dyn EphemeralStore, id: &str) -> StoreResult<Option<PendingLogin>> {
    if !looks_like_id(id) {
        return Ok(None);
    }
    decode(store.get(&key(id)).await?)
}

/// Consumes a held login: exactly one caller gets it.
pub async fn take(store: &dyn EphemeralStore, id: &str) -> StoreResult<Option<PendingLogin>> {
    if !looks_like_id(id) {
        return Ok(None);
    }
    decode(store.take(&key(id)).await?)
}

/// Voids a held login (cancel): its session can never be released. The attempt counter is
/// left to expire on its own so that it only ever grows (a request that loaded the login just
/// before must not find a fresh counter).
pub async fn void(store: &dyn EphemeralStore, id: &str) -> StoreResult<()> {
    store.delete(&key(id)).await
}

/// What is kept of a held login the member cancelled, so that a later visit with its pending
/// cookie (back button, another tab) says "this sign-in was cancelled", not "took too long".
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CancelledLogin {
    /// Where "Sign in again" leads (the login's [`PendingLogin::sign_in_page`]).
    pub sign_in_page: Option<String>,
}

fn cancelled_key(id: &str) -> String {
    format!("pending-cancelled:{id}")
}

/// Cancels a held login: a short-lived tombstone (`ttl`, the rest of the login's life, which is
/// also its cookie's) is written first, then the login is voided like [`void`].
pub async fn cancel(
    store: &dyn EphemeralStore,
    id: &str,
    login: &PendingLogin,
    ttl: Duration,
) -> StoreResult<()> {
    let page = login.sign_in_page.as_deref().unwrap_or_default();
    store.put(&cancelled_key(id), page.as_bytes(), ttl).await?;
    void(store, id).await
}

/// The tombstone of a held login cancelled within its lifetime, if any (see [`cancel`]).
pub async fn cancelled(
    store: &dyn EphemeralStore,
    id: &str,
) -> StoreResult<Option<CancelledLogin>> {
    if !looks_like_id(id) {
        return Ok(None);
    }
    Ok(store
        .get(&cancelled_key(id))
        .await?
        .map(|page| CancelledLogin {
            sign_in_page: String::from_utf8(page).ok().filter(|p| !p.is_empty()),
        }))
}

/// Counts one code attempt against this held login; returns the attempt number.
pub async fn count_attempt(
    store: &dyn EphemeralStore,
    id: &str,
    ttl: Duration,
) -> StoreResult<u64> {
    store.incr(&attempts_key(id), ttl).await
}

fn decode(bytes: Option<Vec<u8>>) -> StoreResult<Option<PendingLogin>> {
    bytes
        .map(|b| {
            serde_json::from_slice(&b)
                .map_err(|e| StoreError::Corrupt(format!("pending login: {e}")))
        })
        .transpose()
}
