//! Gateway configuration: `gateway.yaml` is read in two layers.
//!
//! [`raw`] holds serde structs that mirror the YAML exactly (`deny_unknown_fields`), and
//! [`validate`] turns them into the [`Config`] below, where every value has been checked and
//! converted (durations, paths, key material). Errors always name the offending key, e.g.
//! `mfa.trust_periods[1]: "45x" is not a duration`, so ops can fix a file without reading code.

pub mod duration;
pub mod edge;
pub mod keys;
pub mod raw;
pub mod validate;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use chrono::{DateTime, Utc};

pub use edge::{EdgeConfig, ForwardedFor};
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
    /// Directory overriding the embedded `static/` templates and CSS (branding); `None` = embedded.
    pub static_dir: Option<PathBuf>,
    /// Which requests are accepted and what the upstream may see of them.
    pub edge: EdgeConfig,
}

/// Public listener.
#[derive(Debug, Clone)]
pub struct ListenConfig {
    pub address: SocketAddr,
    pub tls: Option<TlsFiles>,
}

/// PEM certificate chain and private key files.
#[derive(Debug, Clone)]
pub struct TlsFiles {
    pub cert_file: PathBuf,
    pub key_file: PathBuf,
    /// Offer HTTP/2 by ALPN (`listen.tls.http2`, default true): browsers then speak h2.
    pub http2: bool,
}

/// The legacy site the gateway fronts.
#[derive(Debug, Clone)]
pub struct UpstreamConfig {
    /// `host:port` as written (resolved by pingora when connecting).
    pub address: String,
    pub tls: bool,
    /// SNI / Host for TLS; empty when `tls` is false.
    pub sni: String,
    pub verify_cert: bool,
    pub connect_timeout: Duration,
    pub read_timeout: Duration,
    /// Idle keep-alive connections kept per upstream.
    pub keepalive_pool_size: usize,
}

/// How the gateway recognises the legacy site's login, session and logout.
#[derive(Debug, Clone)]
pub struct SiteConfig {
    pub login: LoginConfig,
    /// Names of the upstream's session cookies (at least one).
    pub session_cookies: Vec<String>,
    pub logout: Vec<LogoutPath>,
    /// Path prefixes that never need a session (session cookies are always stripped there).
    pub public_paths: Vec<String>,
    /// Path prefixes answered as JSON API (mobile app); used by the JSON 401 behaviour.
    pub api_paths: Vec<String>,
    /// Where a member lands after MFA when the upstream login response had no usable `Location`.
    pub default_after_login: String,
    /// The mobile app's JSON login endpoint, if it has one.
    pub api_login: Option<ApiLoginConfig>,
    /// How to ask the legacy app who a session belongs to (`None`: the typed username).
    pub identity: Option<IdentityProbe>,
}

/// `site.identity`: a request sent upstream with a session's cookies, and where the answer
/// names the signed-in member.
#[derive(Debug, Clone)]
pub struct IdentityProbe {
    /// Path (and query) of the request, e.g. `/whoami`.
    pub path: String,
    pub method: http::Method,
    pub source: IdentitySource,
    /// The whole probe, connection included, must answer within this.
    pub timeout: Duration,
    /// Largest answer body read.
    pub max_body_bytes: usize,
}

/// Where the probe's answer names the member.
#[derive(Debug, Clone)]
pub enum IdentitySource {
    /// RFC 6901 pointer into a JSON body; a missing value, `null` or `""` means nobody.
    JsonPointer(String),
    /// A regular expression with one capture group over the body; no match means nobody.
    Regex(regex::Regex),
    /// A response header; absent means nobody.
    Header(http::HeaderName),
}

/// A JSON login endpoint (`POST` with a JSON body), answered to the app in JSON.
#[derive(Debug, Clone)]
pub struct ApiLoginConfig {
    /// Exact path of the JSON login POST.
    pub path: String,
    /// RFC 6901 JSON pointer to the username in the request body, e.g. `/username`.
    pub username_pointer: String,
    /// Largest request / response body handled for this endpoint.
    pub max_body_bytes: usize,
    /// Status codes that mean success (empty = any).
    pub success_status: Vec<u16>,
    /// Require a `Set-Cookie` for one of the session cookies.
    pub sets_session_cookie: bool,
    /// JSON pointer to a token that must be present in a successful answer, e.g. `/token`.
    pub token_pointer: Option<String>,
}

/// The login form post.
#[derive(Debug, Clone)]
pub struct LoginConfig {
    /// Exact path of the login POST (compared after normalisation).
    pub path: String,
    /// Form field carrying the username (`application/x-www-form-urlencoded`).
    pub username_field: String,
    /// Lower-case and trim usernames before using them as the member's identity.
    pub username_case_insensitive: bool,
    /// Largest login body inspected; beyond it the username is treated as unknown.
    pub max_body_bytes: usize,
    /// The app keeps login state in an anonymous session made before the login (Java FORM
    /// auth, login CSRF tokens): such a session is let through to the login POST only.
    pub pre_login_session: bool,
    pub success: LoginSuccess,
}

/// What a successful upstream login answer looks like. All given conditions must hold.
#[derive(Debug, Clone)]
pub struct LoginSuccess {
    /// Accepted status codes (empty = any).
    pub status: Vec<u16>,
    /// Require a `Set-Cookie` for one of the session cookies.
    pub sets_session_cookie: bool,
    /// A `Location` starting with one of these means failure (e.g. `/login?error`).
    pub location_not_prefix: Vec<String>,
}

/// A logout path; `forget_device` also removes the trust cookie (mobile sign-out).
#[derive(Debug, Clone)]
pub struct LogoutPath {
    pub path: String,
    pub forget_device: bool,
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
    Sqlite { path: PathBuf },
    Postgres { url: String },
}

/// Short-lived state backend.
#[derive(Debug, Clone)]
pub enum EphemeralStore {
    Memory,
    /// `url` has the password merged in; the key prefix is [`StorageConfig::redis_key_prefix`].
    Redis {
        url: String,
    },
}

/// Storage backends.
#[derive(Debug, Clone)]
pub struct StorageConfig {
    pub durable: DurableStore,
    pub ephemeral: EphemeralStore,
    /// Prepended to every Redis key (`storage.ephemeral.redis.key_prefix`); unused with the
    /// memory store. Kept beside the variant rather than in it so existing matches on
    /// `EphemeralStore::Redis { url }` stay valid.
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

/// Audit log: one JSON line per security-relevant event, appended to a file and/or stdout.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditConfig {
    /// File the lines are appended to (created with mode 0600 if missing).
    pub file: Option<PathBuf>,
    /// Also write the lines to standard output (e.g. for journald or a log shipper).
    pub stdout: bool,
}

/// Roster source.
#[derive(Debug, Clone)]
pub struct RosterConfig {
    pub source: RosterSource,
    /// How long a looked-up entry is cached (so a corrected roster shows up soon).
    pub cache_ttl: Duration,
}

/// Where roster entries come from.
#[derive(Debug, Clone)]
pub enum RosterSource {
    /// No roster: only the authenticator-app method can be used.
    None,
    /// A local YAML or CSV file (by extension) of login id, name, email, mobile phone.
    File { path: PathBuf },
    /// RESO Web API `Member` resource.
    Reso(Box<ResoConfig>),
}

/// RESO Web API access.
#[derive(Debug, Clone)]
pub struct ResoConfig {
    /// Base URL, e.g. `https://api.example.com/reso/odata`.
    pub base_url: String,
    pub auth: ResoAuth,
    pub login_id_field: String,
    pub email_field: String,
    pub phone_field: String,
    pub name_field: String,
    pub timeout: Duration,
}

/// How the gateway authenticates to the RESO API.
#[derive(Clone)]
pub enum ResoAuth {
    Bearer {
        token: String,
    },
    ClientCredentials {
        token_url: String,
        client_id: String,
        client_secret: String,
        scope: Option<String>,
    },
}

impl std::fmt::Debug for ResoAuth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ResoAuth::Bearer { .. } => write!(f, "Bearer(<redacted>)"),
            ResoAuth::ClientCredentials {
                token_url,
                client_id,
                ..
            } => {
                write!(f, "ClientCredentials {{ token_url: {token_url:?}, client_id: {client_id:?}, secret: <redacted> }}")
            }
        }
    }
}

/// Email delivery of codes.
#[derive(Debug, Clone)]
pub struct EmailConfig {
    pub transport: EmailTransport,
    /// `From:` header, e.g. `SmartMLS <no-reply@connectmls.com>`.
    pub from: String,
    pub subject: String,
}

/// How emails leave the gateway.
#[derive(Clone)]
pub enum EmailTransport {
    Smtp {
        host: String,
        port: u16,
        security: SmtpSecurity,
        username: Option<String>,
        password: Option<String>,
        timeout: Duration,
    },
    /// Writes messages to a folder; refused outside demo mode.
    Outbox { dir: PathBuf },
}

impl std::fmt::Debug for EmailTransport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            EmailTransport::Smtp { host, port, security, username, .. } => write!(
                f,
                "Smtp {{ host: {host:?}, port: {port}, security: {security:?}, username: {username:?}, password: <redacted> }}"
            ),
            EmailTransport::Outbox { dir } => write!(f, "Outbox {{ dir: {dir:?} }}"),
        }
    }
}

/// SMTP transport security.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmtpSecurity {
    /// Plain SMTP (local relays only).
    None,
    StartTls,
    /// Implicit TLS (port 465).
    Tls,
}

/// Text-message delivery.
#[derive(Debug, Clone)]
pub struct SmsConfig {
    pub provider: SmsProvider,
    /// Sender number shown to members, e.g. `+18336972963`.
    pub from: String,
    pub timeout: Duration,
}

/// SMS provider.
#[derive(Clone)]
pub enum SmsProvider {
    /// Twilio-compatible Messages API.
    Twilio {
        base_url: String,
        account_sid: String,
        auth_token: String,
    },
    /// Generic JSON webhook: POST `{"to","from","body"}` with an optional bearer token.
    Webhook {
        url: String,
        bearer_token: Option<String>,
    },
    /// Writes messages to a folder; refused outside demo mode.
    Outbox { dir: PathBuf },
}

impl std::fmt::Debug for SmsProvider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SmsProvider::Twilio {
                base_url,
                account_sid,
                ..
            } => {
                write!(f, "Twilio {{ base_url: {base_url:?}, account_sid: {account_sid:?}, auth_token: <redacted> }}")
            }
            SmsProvider::Webhook { url, .. } => write!(f, "Webhook {{ url: {url:?} }}"),
            SmsProvider::Outbox { dir } => write!(f, "Outbox {{ dir: {dir:?} }}"),
        }
    }
}
