//! The first configuration layer: serde structs that mirror `gateway.yaml` key for key.
//!
//! Nothing here is checked beyond YAML types; [`super::validate`] does that and builds the
//! typed [`super::Config`]. Every struct refuses unknown keys so a typo such as `code_tll` is an
//! error naming the key instead of a silently ignored setting. Durations, words (modes, methods)
//! and paths stay strings here so validation can report *all* bad values at once with its own
//! messages; serde itself stops at the first error. Optional keys are `Option` so validation can
//! apply (and gateway.yaml can document) the defaults in one place.
//!
//! Fields carry the YAML key names; what each means, its default and example values are
//! documented once, in the shipped `gateway.yaml`, rather than repeated here.

mod forms;

use serde::Deserialize;

pub use forms::{RawEphemeral, RawSecret};

/// The whole file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawConfig {
    pub mode: Option<String>,
    pub listen: RawListen,
    pub threads: Option<usize>,
    pub upstream: RawUpstream,
    pub site: RawSite,
    #[serde(default)]
    pub mfa: RawMfa,
    #[serde(default)]
    pub cookies: RawCookies,
    pub storage: RawStorage,
    pub keys: RawKeys,
    pub branding: RawBranding,
    pub roster: Option<RawRoster>,
    pub email: Option<RawEmail>,
    pub sms: Option<RawSms>,
    pub admin: Option<RawAdmin>,
    pub audit: Option<RawAudit>,
    pub access_log: Option<RawAccessLog>,
    pub static_dir: Option<String>,
    #[serde(default)]
    pub edge: RawEdge,
}

/// `edge:` what requests are accepted and what the upstream may see of them.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawEdge {
    pub methods: Option<Vec<String>>,
    pub strip_request_headers: Option<Vec<String>>,
    pub x_forwarded_for: Option<String>,
    pub trusted_proxies: Option<Vec<String>>,
    pub hsts: Option<String>,
    pub server_header: Option<RawServerHeader>,
}

/// `edge.server_header`: `pass`, `remove`, or `{replace: NAME}`.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum RawServerHeader {
    Word(String),
    Replace(RawServerReplace),
}

/// `edge.server_header: {replace: NAME}`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawServerReplace {
    pub replace: String,
}

/// `listen:`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawListen {
    pub address: String,
    pub tls: Option<RawTlsFiles>,
}

/// `listen.tls:`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawTlsFiles {
    pub cert_file: String,
    pub key_file: String,
    pub http2: Option<bool>,
}

/// `upstream:`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawUpstream {
    pub address: String,
    pub tls: Option<bool>,
    pub sni: Option<String>,
    pub verify_cert: Option<bool>,
    pub ca_file: Option<String>,
    pub connect_timeout: Option<String>,
    pub read_timeout: Option<String>,
    pub keepalive_pool_size: Option<usize>,
}

/// `site:`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSite {
    pub login: RawLogin,
    #[serde(default)]
    pub session_cookies: Vec<String>,
    #[serde(default)]
    pub logout: Vec<RawLogout>,
    #[serde(default)]
    pub public_paths: Vec<String>,
    #[serde(default)]
    pub api_paths: Vec<String>,
    pub default_after_login: Option<String>,
    /// The page where members sign in, linked from "Sign in again".
    pub sign_in_url: Option<String>,
    pub api_login: Option<RawApiLogin>,
    pub identity: Option<RawIdentity>,
}

/// `site.identity:` how to ask the legacy app who a session belongs to.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawIdentity {
    pub path: String,
    pub method: Option<String>,
    pub json_pointer: Option<String>,
    pub regex: Option<String>,
    pub header: Option<String>,
    pub timeout: Option<String>,
    pub max_body_bytes: Option<usize>,
}

/// `site.api_login:` the mobile app's JSON login endpoint.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawApiLogin {
    pub path: String,
    pub username_pointer: Option<String>,
    pub max_body_bytes: Option<usize>,
    #[serde(default)]
    pub success: RawApiLoginSuccess,
}

/// `site.api_login.success:`
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawApiLoginSuccess {
    pub status: Option<Vec<u16>>,
    pub sets_session_cookie: Option<bool>,
    pub token_pointer: Option<String>,
}

/// `site.login:`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawLogin {
    pub path: String,
    pub username_field: Option<String>,
    pub username_case_insensitive: Option<bool>,
    pub max_body_bytes: Option<usize>,
    pub pre_login_session: Option<bool>,
    #[serde(default)]
    pub success: RawLoginSuccess,
}

/// `site.login.success:`
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawLoginSuccess {
    pub status: Option<Vec<u16>>,
    pub sets_session_cookie: Option<bool>,
    pub location_not_prefix: Option<Vec<String>>,
}

/// One entry of `site.logout:`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawLogout {
    pub path: String,
    pub forget_device: Option<bool>,
}

/// `mfa:`
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawMfa {
    pub enforce_from: Option<String>,
    pub methods: Option<Vec<String>>,
    pub code_ttl: Option<String>,
    pub pending_ttl: Option<String>,
    pub totp_skew_steps: Option<u8>,
    #[serde(default)]
    pub attempts: RawAttempts,
    pub trust_periods: Option<Vec<String>>,
    pub default_trust_period: Option<String>,
    pub revocation_check: Option<String>,
    #[serde(default)]
    pub enrollment: RawEnrollment,
}

/// `mfa.enrollment:` who may set up MFA, and what they prove first.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawEnrollment {
    pub verify_contact: Option<bool>,
    pub allow_unlisted: Option<bool>,
}

/// `mfa.attempts:`
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawAttempts {
    pub per_challenge: Option<u32>,
    pub per_user_before_backoff: Option<u32>,
    pub backoff_base: Option<String>,
    pub backoff_max: Option<String>,
    pub per_user_lockout: Option<u32>,
}

/// `cookies:`
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawCookies {
    /// `auto`, `true` or `false` (YAML booleans arrive here as their text).
    pub secure: Option<String>,
    pub name_prefix: Option<String>,
}

/// `storage:`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawStorage {
    pub durable: RawDurable,
    pub ephemeral: Option<RawEphemeral>,
}

/// `storage.durable:` exactly one of the two is expected.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawDurable {
    pub sqlite: Option<String>,
    pub postgres: Option<RawPostgres>,
}

/// `storage.durable.postgres:`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawPostgres {
    pub url: String,
    /// Merged into `url` so the password itself never has to be written in the file.
    pub password: Option<RawSecret>,
    /// PEM bundle trusted for the server's certificate (with `sslmode=verify-ca` / `verify-full`).
    pub ca_file: Option<String>,
}

/// `storage.ephemeral.redis:`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawRedis {
    pub url: String,
    pub password: Option<RawSecret>,
    /// Prepended to every key, so deployments (or tests) can share one Redis database.
    pub key_prefix: Option<String>,
    /// PEM bundle trusted for a `rediss://` server instead of the platform's roots.
    pub ca_file: Option<String>,
}

/// `keys:`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawKeys {
    #[serde(default)]
    pub cookie: Vec<RawNamedKey>,
    #[serde(default)]
    pub secret: Vec<RawNamedKey>,
}

/// One entry of a key list: an id plus `file:` or `env:`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawNamedKey {
    pub id: String,
    pub file: Option<String>,
    pub env: Option<String>,
}

/// `branding:`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawBranding {
    pub name: String,
    pub support_email: String,
    pub support_phone: String,
    pub support_hours: Option<String>,
    pub roster_update_url: Option<String>,
    pub primary_color: Option<String>,
    pub logo: Option<String>,
}

/// `roster:` at most one of `file` / `reso`; neither means no roster.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawRoster {
    pub file: Option<String>,
    pub reso: Option<RawReso>,
    pub cache_ttl: Option<String>,
}

/// `roster.reso:`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawReso {
    pub base_url: String,
    pub bearer_token: Option<RawSecret>,
    pub client_credentials: Option<RawClientCredentials>,
    pub login_id_field: Option<String>,
    pub email_field: Option<String>,
    pub phone_field: Option<String>,
    pub name_field: Option<String>,
    pub timeout: Option<String>,
    /// PEM bundle trusted for the API and token URLs instead of the platform's roots.
    pub ca_file: Option<String>,
}

/// `roster.reso.client_credentials:` (OAuth 2 client-credentials grant).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawClientCredentials {
    pub token_url: String,
    pub client_id: String,
    pub client_secret: RawSecret,
    pub scope: Option<String>,
}

/// `email:` exactly one of `smtp` / `outbox`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawEmail {
    pub from: String,
    pub subject: Option<String>,
    pub smtp: Option<RawSmtp>,
    pub outbox: Option<String>,
}

/// `email.smtp:`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSmtp {
    pub host: String,
    pub port: Option<u16>,
    pub security: Option<String>,
    pub username: Option<String>,
    pub password: Option<RawSecret>,
    pub timeout: Option<String>,
    /// PEM bundle trusted for the relay's certificate instead of the platform's roots.
    pub ca_file: Option<String>,
}

/// `sms:` exactly one of `twilio` / `webhook` / `outbox`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSms {
    pub from: String,
    pub timeout: Option<String>,
    /// PEM bundle trusted for the provider's certificate instead of the platform's roots.
    pub ca_file: Option<String>,
    pub twilio: Option<RawTwilio>,
    pub webhook: Option<RawWebhook>,
    pub outbox: Option<String>,
}

/// `sms.twilio:`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawTwilio {
    pub base_url: Option<String>,
    pub account_sid: String,
    pub auth_token: RawSecret,
}

/// `sms.webhook:`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawWebhook {
    pub url: String,
    pub bearer_token: Option<RawSecret>,
}

/// `admin:`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawAdmin {
    pub address: String,
    pub token: Option<RawSecret>,
}

/// `access_log:` one line per request.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawAccessLog {
    pub file: Option<String>,
    pub stdout: Option<bool>,
    pub format: Option<String>,
}

/// `audit:` where the audit log (one JSON line per security event) goes.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawAudit {
    pub file: Option<String>,
    pub stdout: Option<bool>,
}
