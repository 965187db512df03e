//! Raw values that may be written in more than one form, with hand-written `Deserialize`
//! impls: a secret (`{file: ...}` / `{env: ...}`, and inline values caught without keeping them)
//! and the ephemeral store (`memory` / `{redis: {...}}`).

use std::fmt;

use serde::de::{self, MapAccess, Visitor};
use serde::{Deserialize, Deserializer};

use super::RawRedis;

/// `storage.ephemeral:` either the word `memory` or `{redis: {...}}`.
#[derive(Debug, Clone)]
pub enum RawEphemeral {
    /// `memory`: in-process state (one gateway instance).
    Memory,
    /// `{redis: {...}}`: shared by several instances.
    Redis(RawRedis),
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
                let mapping =
                    RawEphemeralMapping::deserialize(de::value::MapAccessDeserializer::new(map))?;
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
    Source {
        /// Path of a file holding the secret.
        file: Option<String>,
        /// Name of an environment variable holding the secret.
        env: Option<String>,
    },
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
                let mapping =
                    RawSecretMapping::deserialize(de::value::MapAccessDeserializer::new(map))?;
                Ok(RawSecret::Source {
                    file: mapping.file,
                    env: mapping.env,
                })
            }
        }
        deserializer.deserialize_any(SecretVisitor)
    }
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
        assert_eq!(
            file,
            Some(RawSecret::Source {
                file: Some("a.key".into()),
                env: None
            })
        );
        let env = parse("secret: {env: A_KEY}").unwrap().secret;
        assert_eq!(
            env,
            Some(RawSecret::Source {
                file: None,
                env: Some("A_KEY".into())
            })
        );
        for inline in ["secret: hunter2", "secret: 12345", "secret: true"] {
            assert_eq!(
                parse(inline).unwrap().secret,
                Some(RawSecret::Inline),
                "{inline}"
            );
        }
    }

    #[test]
    fn secret_errors_never_echo_the_value() {
        let message = parse("secret: {value: hunter2}").unwrap_err();
        assert!(
            message.contains("secret: unknown field `value`"),
            "{message}"
        );
        assert!(!message.contains("hunter2"), "{message}");
        let message = parse("secret: [hunter2]").unwrap_err();
        assert!(!message.contains("hunter2"), "{message}");
    }

    #[test]
    fn ephemeral_forms() {
        assert!(matches!(
            parse("ephemeral: memory").unwrap().ephemeral,
            Some(RawEphemeral::Memory)
        ));
        let redis = parse("ephemeral: {redis: {url: 'redis://r:6379'}}")
            .unwrap()
            .ephemeral;
        assert!(
            matches!(redis, Some(RawEphemeral::Redis(RawRedis { ref url, .. })) if url == "redis://r:6379")
        );
        let message = parse("ephemeral: mysql").unwrap_err();
        assert!(message.starts_with("ephemeral: invalid value"), "{message}");
        let message = parse("ephemeral:\n  redis:\n    urll: x\n").unwrap_err();
        assert!(
            message.starts_with("ephemeral.redis: unknown field `urll`"),
            "{message}"
        );
    }
}
