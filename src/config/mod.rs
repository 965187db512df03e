//! Gateway configuration: `gateway.yaml` is read in two layers.
//!
//! [`raw`] holds serde structs that mirror the YAML exactly (`deny_unknown_fields`), and
//! [`validate`] turns them into the [`Config`] below, where every value has been checked and
//! converted (durations, paths, key material). Errors always name the offending key, e.g.
//! `mfa.trust_periods[1]: "45x" is not a duration`, so ops can fix a file without reading code.
//!
//! The validated types of the listener, upstream and site are in `site.rs`, those of the roster,
//! email and text delivery in `delivery.rs`; all are re-exported here.

pub mod duration;
pub mod edge;
pub mod keys;
pub mod raw;
pub mod validate;

mod delivery;
mod site;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use chrono::{DateTime, Utc};

pub use delivery::{
    EmailConfig, EmailTransport, ResoAuth, ResoConfig, RosterConfig, RosterSource, SmsConfig,
    SmsProvider, SmtpSecurity,
};
pub use edge::{EdgeConfig, ForwardedFor, ServerHeader};
pub use site::{
    ApiLoginConfig, IdentityProbe, IdentitySource, ListenConfig, LoginConfig, LoginSuccess,
    LogoutPath, SiteConfig, TlsFiles, UpstreamConfig,
};
pub use validate::{key_file_paths, load_str_with_env, ConfigError};
pub use validate::{load_file, load_str, ConfigErrors};

/// Whether the gateway runs for real members or as the local demo.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Real deployment: demo-only features (outbox delivery, codes shown locally) are refused.
    Production,
    /// Local demonstration or development.
    Demo,
}

/// The validated configuration the gateway runs on.
#[derive(Debug, Clone)]
pub struct Config {
    pub mode: Mode,
    pub listen: ListenConfig,
    /// Worker threads for the proxy service.
    pub threads: usize,
    pub upstream: UpstreamConfig,
    pub site: SiteConfig,
    pub mfa: MfaPolicy,
    pub cookies: CookieConfig,
    pub storage: StorageConfig,
    pub keys: KeyMaterial,
    pub branding: Branding,
    /// Where members' email addresses and mobile numbers come from.
    pub roster: RosterConfig,
    /// Email delivery of codes; `None` when the email method is disabled.
    pub email: Option<EmailConfig>,
    /// Text-message delivery of codes; `None` when the text method is disabled.
    pub sms: Option<SmsConfig>,
    /// Admin listener (health, metrics, support API); `None` when not configured.
    pub admin: Option<AdminConfig>,
    /// Audit log destinations; `None` when not configured (events still reach the log).
    pub audit: Option<AuditConfig>,
    /// Access log (one line per request); `None` = off (the default).
    pub access_log: Option<AccessLogConfig>,
    /// Directory overriding the embedded `static/` templates and CSS (branding); `None` = embedded.
    pub static_dir: Option<PathBuf>,
    /// Which requests are accepted and what the upstream may see of them.
    pub edge: EdgeConfig,
}

/// Second-factor methods.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Method {
    /// Authenticator app (TOTP).
    App,
    Email,
    Text,
}

/// MFA policy.
#[derive(Debug, Clone)]
pub struct MfaPolicy {
    /// Before this instant logins pass without MFA (but are still session-bound).
    pub enforce_from: DateTime<Utc>,
    /// Enabled methods in the order offered.
    pub methods: Vec<Method>,
    /// Validity of emailed / texted codes.
    pub code_ttl: Duration,
    /// How long a held login waits for its code.
    pub pending_ttl: Duration,
    /// TOTP steps accepted either side of now.
    pub totp_skew_steps: u8,
    pub attempts: AttemptLimits,
    /// Trust periods offered to members (e.g. 24h and 30d).
    pub trust_periods: Vec<Duration>,
    /// The pre-selected one; always one of `trust_periods`.
    pub default_trust_period: Duration,
    /// Longest a live session keeps working after a support reset or "forget devices" on
    /// another process (each gateway caches members' epochs this long; Redis pub/sub, when
    /// configured, ends it sooner).
    pub revocation_check: Duration,
    /// Who may set up MFA and what they prove first.
    pub enrollment: EnrollmentPolicy,
}

/// `mfa.enrollment`: first set-up with only the password is the weak point of MFA (anyone who
/// has the password could enrol their own authenticator), so with a roster the member first
/// proves the email or mobile on file, and logins missing from the roster get no set-up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EnrollmentPolicy {
    /// First set-up of any method starts with a code sent to the roster email / mobile.
    pub verify_contact: bool,
    /// Logins the roster does not list may still set up (only meaningful with a roster).
    pub allow_unlisted: bool,
}

/// Server-side attempt limits.
#[derive(Debug, Clone)]
pub struct AttemptLimits {
    /// Wrong codes per held login before it is void.
    pub per_challenge: u32,
    /// Consecutive failures per member before backoff starts.
    pub per_user_before_backoff: u32,
    pub backoff_base: Duration,
    pub backoff_max: Duration,
    /// Consecutive failures after which the member is locked until support unlocks (≤ 100).
    pub per_user_lockout: u32,
}

/// Gateway cookie settings.
#[derive(Debug, Clone)]
pub struct CookieConfig {
    /// `Secure` + `__Host-` prefix. `None` = automatic (when the listener has TLS).
    pub secure: Option<bool>,
    /// Name stem of gateway cookies (`mfa` → `mfa_trust`, `mfa_bind`, `mfa_pending`).
    pub name_prefix: String,
}

/// Where state lives.
#[derive(Debug, Clone)]
pub enum DurableStore {
    Sqlite {
        path: PathBuf,
    },
    /// `url` has the password merged in. TLS follows the URL's `sslmode`; `ca_file` (only
    /// with `verify-ca` / `verify-full`) is trusted besides the platform's roots.
    Postgres {
        url: String,
        ca_file: Option<PathBuf>,
    },
}

/// Short-lived state backend.
#[derive(Debug, Clone)]
pub enum EphemeralStore {
    Memory,
    /// `url` has the password merged in; the key prefix is [`StorageConfig::redis_key_prefix`].
    /// `ca_file` (only with `rediss://`) is trusted instead of the platform's roots.
    Redis {
        url: String,
        ca_file: Option<PathBuf>,
    },
}

/// Storage backends.
#[derive(Debug, Clone)]
pub struct StorageConfig {
    pub durable: DurableStore,
    pub ephemeral: EphemeralStore,
    /// Prepended to every Redis key (`storage.ephemeral.redis.key_prefix`); unused with the
    /// memory store. Kept beside the variant rather than in it: it is not about reaching the
    /// server, which is all the variant describes.
    pub redis_key_prefix: String,
}

/// One key with its id.
#[derive(Clone)]
pub struct NamedKey {
    pub id: String,
    pub bytes: Vec<u8>,
}

impl std::fmt::Debug for NamedKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Key bytes never reach logs or debug output.
        write!(
            f,
            "NamedKey {{ id: {:?}, bytes: <{} bytes redacted> }}",
            self.id,
            self.bytes.len()
        )
    }
}

/// Loaded key material. The first key of each list is the current one.
#[derive(Debug, Clone)]
pub struct KeyMaterial {
    /// HMAC keys for cookies and CSRF tokens (≥ 32 bytes each).
    pub cookie_keys: Vec<NamedKey>,
    /// AES-256-GCM keys for TOTP secrets at rest (exactly 32 bytes each).
    pub secret_keys: Vec<NamedKey>,
}

/// Branding and support contact shown on every page.
#[derive(Debug, Clone)]
pub struct Branding {
    /// Organisation name, e.g. "SmartMLS"; also the TOTP issuer.
    pub name: String,
    pub support_email: String,
    pub support_phone: String,
    pub support_hours: String,
    /// Where members correct their roster email / phone.
    pub roster_update_url: Option<String>,
    /// Primary colour as `#rrggbb`.
    pub primary_color: String,
    /// Optional logo path served from `static/`.
    pub logo: Option<String>,
}

/// Admin listener.
#[derive(Debug, Clone)]
pub struct AdminConfig {
    pub address: SocketAddr,
    pub token: Option<Vec<u8>>,
}

/// Access log: one line per request, appended to a file and/or stdout.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessLogConfig {
    /// File the lines are appended to (created with mode 0640 if missing).
    pub file: Option<PathBuf>,
    /// Also write the lines to standard output.
    pub stdout: bool,
    pub format: AccessLogFormat,
}

/// How an access log line is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccessLogFormat {
    /// One JSON object per line (the default): every field named.
    Json,
    /// The Combined Log Format of Apache and nginx (member in the user field), with the
    /// request id, outcome, upstream status and duration appended.
    Combined,
}

/// Audit log: one JSON line per security-relevant event, appended to a file and/or stdout.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditConfig {
    /// File the lines are appended to (created with mode 0600 if missing).
    pub file: Option<PathBuf>,
    /// Also write the lines to standard output (e.g. for journald or a log shipper).
    pub stdout: bool,
}
