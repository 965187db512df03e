//! The first configuration layer: serde structs that mirror `gateway.yaml` key for key.
//!
//! Nothing here is checked beyond YAML types; [`super::validate`] does that and builds the
//! typed [`super::Config`]. Every struct refuses unknown keys so a typo such as `code_tll` is an
//! error naming the key instead of a silently ignored setting. Durations, words (modes, methods)
//! and paths stay strings here so validation can report *all* bad values at once with its own
//! messages; serde itself stops at the first error. Optional keys are `Option` so validation can
//! apply (and gateway.yaml can document) the defaults in one place.

use std::fmt;

use serde::de::{self, MapAccess, Visitor};
use serde::{Deserialize, Deserializer};

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
    pub static_dir: Option<String>,
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
}

/// `upstream:`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawUpstream {
    pub address: String,
    pub tls: Option<bool>,
    pub sni: Option<String>,
    pub verify_cert: Option<bool>,
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
}

/// `site.login:`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawLogin {
    pub path: String,
    pub username_field: Option<String>,
    pub username_case_insensitive: Option<bool>,
    pub max_body_bytes: Option<usize>,
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
}

/// `storage.ephemeral:` either the word `memory` or `{redis: {...}}`.
#[derive(Debug, Clone)]
pub enum RawEphemeral {
    Memory,
    Redis(RawRedis),
}

/// `storage.ephemeral.redis:`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawRedis {
    pub url: String,
    pub password: Option<RawSecret>,
}

/// The mapping form of `storage.ephemeral`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEphemeralMapping {
    redis: RawRedis,
}

impl<'de> Deserialize<'de> for RawEphemeral {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        // A visitor (rather than going through `serde_yaml::Value`) keeps serde_yaml's key path
        // and line number in errors from inside the `redis:` mapping.
        struct EphemeralVisitor;
        impl<'de> Visitor<'de> for EphemeralVisitor {
            type Value = RawEphemeral;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("`memory` or `{redis: {url: ...}}`")
            }
            fn visit_str<E: de::Error>(self, word: &str) -> Result<RawEphemeral, E> {
                if word == "memory" {
                    Ok(RawEphemeral::Memory)
                } else {
                    Err(E::invalid_value(de::Unexpected::Str(word), &self))
                }
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<RawEphemeral, A::Error> {
                let mapping = RawEphemeralMapping::deserialize(de::value::MapAccessDeserializer::new(map))?;
                Ok(RawEphemeral::Redis(mapping.redis))
            }
        }
        deserializer.deserialize_any(EphemeralVisitor)
    }
}

/// A secret as written: `{file: PATH}` or `{env: NAME}`.
///
/// Anything else is kept as a marker (never the value: an inline password must not end up in
/// an error message or a log) so validation can report it with the key's name alongside every
/// other problem in the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RawSecret {
    /// `{file: ..., env: ...}`; validation requires exactly one of the two.
    Source { file: Option<String>, env: Option<String> },
    /// A scalar written in place of `{file: ...}` / `{env: ...}`.
    Inline,
}

/// The mapping form of a secret.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSecretMapping {
    file: Option<String>,
    env: Option<String>,
}

impl<'de> Deserialize<'de> for RawSecret {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct SecretVisitor;
        impl<'de> Visitor<'de> for SecretVisitor {
            type Value = RawSecret;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("{file: PATH} or {env: NAME}")
            }
            // Every scalar form is an inline secret; the value is dropped on purpose.
            fn visit_str<E: de::Error>(self, _: &str) -> Result<RawSecret, E> {
                Ok(RawSecret::Inline)
            }
            fn visit_bool<E: de::Error>(self, _: bool) -> Result<RawSecret, E> {
                Ok(RawSecret::Inline)
            }
            fn visit_i64<E: de::Error>(self, _: i64) -> Result<RawSecret, E> {
                Ok(RawSecret::Inline)
            }
            fn visit_u64<E: de::Error>(self, _: u64) -> Result<RawSecret, E> {
                Ok(RawSecret::Inline)
            }
            fn visit_f64<E: de::Error>(self, _: f64) -> Result<RawSecret, E> {
                Ok(RawSecret::Inline)
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<RawSecret, A::Error> {
                let mapping = RawSecretMapping::deserialize(de::value::MapAccessDeserializer::new(map))?;
                Ok(RawSecret::Source { file: mapping.file, env: mapping.env })
            }
        }
        deserializer.deserialize_any(SecretVisitor)
    }
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
}

/// `sms:` exactly one of `twilio` / `webhook` / `outbox`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSms {
    pub from: String,
    pub timeout: Option<String>,
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

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Holder {
        secret: Option<RawSecret>,
        ephemeral: Option<RawEphemeral>,
    }

    fn parse(yaml: &str) -> Result<Holder, String> {
        serde_yaml::from_str(yaml).map_err(|error| error.to_string())
    }

    #[test]
    fn secret_forms() {
        let file = parse("secret: {file: a.key}").unwrap().secret;
        assert_eq!(file, Some(RawSecret::Source { file: Some("a.key".into()), env: None }));
        let env = parse("secret: {env: A_KEY}").unwrap().secret;
        assert_eq!(env, Some(RawSecret::Source { file: None, env: Some("A_KEY".into()) }));
        for inline in ["secret: hunter2", "secret: 12345", "secret: true"] {
            assert_eq!(parse(inline).unwrap().secret, Some(RawSecret::Inline), "{inline}");
        }
    }

    #[test]
    fn secret_errors_never_echo_the_value() {
        let message = parse("secret: {value: hunter2}").unwrap_err();
        assert!(message.contains("secret: unknown field `value`"), "{message}");
        assert!(!message.contains("hunter2"), "{message}");
        let message = parse("secret: [hunter2]").unwrap_err();
        assert!(!message.contains("hunter2"), "{message}");
    }

    #[test]
    fn ephemeral_forms() {
        assert!(matches!(parse("ephemeral: memory").unwrap().ephemeral, Some(RawEphemeral::Memory)));
        let redis = parse("ephemeral: {redis: {url: 'redis://r:6379'}}").unwrap().ephemeral;
        assert!(matches!(redis, Some(RawEphemeral::Redis(RawRedis { ref url, .. })) if url == "redis://r:6379"));
        let message = parse("ephemeral: mysql").unwrap_err();
        assert!(message.starts_with("ephemeral: invalid value"), "{message}");
        let message = parse("ephemeral:\n  redis:\n    urll: x\n").unwrap_err();
        assert!(message.starts_with("ephemeral.redis: unknown field `urll`"), "{message}");
    }
}
