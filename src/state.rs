//! Everything a request handler needs, built once at start-up and shared by reference.

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::config::Config;
use crate::delivery::CodeSender;
use crate::http::classify::Classifier;
use crate::mfa::tokens::KeyRing;
use crate::pages::Pages;
use crate::roster::Roster;
use crate::store::crypto::SecretCipher;
use crate::store::{DurableStore, EphemeralStore};

/// Names of the gateway's own cookies (with the `__Host-` prefix when served over HTTPS).
#[derive(Debug, Clone)]
pub struct CookieNames {
    pub trust: String,
    pub binding: String,
    pub pending: String,
    /// The member's language choice (`en`, `es`), set by the switch link on every page.
    pub lang: String,
    /// Every spelling (with and without prefix) the gateway strips before going upstream.
    all: Vec<String>,
}

impl CookieNames {
    /// Names from the configured stem; `secure` adds the `__Host-` prefix.
    pub fn new(stem: &str, secure: bool) -> Self {
        let prefix = if secure { "__Host-" } else { "" };
        let base = [
            format!("{stem}_trust"),
            format!("{stem}_bind"),
            format!("{stem}_pending"),
            format!("{stem}_lang"),
        ];
        let mut all: Vec<String> = base.to_vec();
        all.extend(base.iter().map(|b| format!("__Host-{b}")));
        CookieNames {
            trust: format!("{prefix}{}", base[0]),
            binding: format!("{prefix}{}", base[1]),
            pending: format!("{prefix}{}", base[2]),
            lang: format!("{prefix}{}", base[3]),
            all,
        }
    }

    /// True for any cookie the gateway owns (never forwarded upstream).
    pub fn is_gateway_cookie(&self, name: &str) -> bool {
        self.all.iter().any(|n| n == name)
    }
}

/// Shared gateway state.
pub struct AppState {
    pub config: Arc<Config>,
    pub keys: KeyRing,
    pub cipher: SecretCipher,
    pub durable: Arc<dyn DurableStore>,
    pub ephemeral: Arc<dyn EphemeralStore>,
    pub pages: Pages,
    /// Where members' email addresses and mobile numbers come from.
    pub roster: Arc<dyn Roster>,
    /// Email delivery, when the email method is enabled.
    pub email: Option<Arc<dyn CodeSender>>,
    /// Text-message delivery, when the text method is enabled.
    pub sms: Option<Arc<dyn CodeSender>>,
    pub classifier: Classifier,
    pub cookie_names: CookieNames,
    /// Gateway cookies carry `Secure` and the `__Host-` prefix.
    pub secure_cookies: bool,
    /// HTTP client to the upstream, for the JSON login relay only (everything else goes
    /// through pingora).
    pub upstream_client: reqwest::Client,
    /// The branding logo served under `/_mfa/static/`: (path, content type, bytes).
    pub logo: Option<(String, &'static str, bytes::Bytes)>,
    /// Members' current epochs, for ending live sessions after a reset.
    pub epochs: crate::mfa::revocation::EpochCache,
    /// Makes the ids of requests that arrive without a trusted one.
    pub request_ids: crate::http::request_id::RequestIds,
    /// The access log, when `access_log:` is configured.
    pub access_log: Option<Arc<crate::admin::access_log::AccessLog>>,
}

impl AppState {
    /// Seconds since the Unix epoch.
    pub fn now(&self) -> i64 {
        unix_now()
    }

    /// The trust period the member gets: their choice, capped by the longest one still offered
    /// (ops may shorten the list after members enrolled).
    pub fn effective_trust_period(&self, chosen_secs: u64) -> Duration {
        let longest = self
            .config
            .mfa
            .trust_periods
            .iter()
            .max()
            .copied()
            .unwrap_or(self.config.mfa.default_trust_period);
        Duration::from_secs(chosen_secs).min(longest)
    }
}

/// Seconds since the Unix epoch (0 if the clock is before it).
pub fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}
