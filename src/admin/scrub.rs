//! Defence in depth for the audit log: whatever a future call site puts on an event, codes,
//! secrets and keys must not reach the file.
//!
//! The gateway's events carry no such values today; these rules catch mistakes. Fields whose
//! name is or contains the word `code`, `secret`, `token`, `password` or `key` are dropped
//! whole, and in the remaining text values every run of six or more digits (the shape of a
//! one-time code) is masked. Identity fields ([`IDENTITY_FIELDS`]) keep their digits, because
//! MLS login ids are often numeric agent ids and an audit line must say whose action it was.

/// Words that make a field name secret-bearing (`code`, `otp_code`, `api_key`, `auth_token`).
const SECRET_WORDS: &[&str] = &["code", "secret", "token", "password", "key"];

/// Fields naming who did or underwent something; never masked.
pub const IDENTITY_FIELDS: &[&str] = &["user", "login", "by", "request_id"];

/// Shortest digit run masked (codes are six digits; longer runs may be codes run together).
const MASKED_DIGIT_RUN: usize = 6;

/// True if a field with this name must never be written (`code`, `totp_secret`, `apiKey` …).
pub fn is_secret_field(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    lower
        .split(|c: char| !c.is_ascii_alphanumeric())
        .any(|word| SECRET_WORDS.contains(&word))
        // camelCase names are one "word" above; a suffix catches `apiKey`, `authToken`.
        || SECRET_WORDS.iter().any(|secret| lower.ends_with(secret))
}

/// `value` with every run of six or more ASCII digits replaced by as many `*`.
pub fn mask_digit_runs(value: &str) -> String {
    crate::delivery::mask::replace_digit_runs(value, MASKED_DIGIT_RUN, |run| "*".repeat(run.len()))
}

/// The text to write for field `name`: masked unless it is an identity field.
pub fn scrub_text(name: &str, value: &str) -> String {
    if IDENTITY_FIELDS.contains(&name) {
        value.to_string()
    } else {
        mask_digit_runs(value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_bearing_names_are_recognised() {
        for name in [
            "code",
            "otp_code",
            "secret",
            "totp_secret",
            "token",
            "auth_token",
            "password",
            "key",
            "api_key",
            "apiKey",
            "authToken",
            "Password",
        ] {
            assert!(is_secret_field(name), "{name}");
        }
        for name in [
            "user",
            "method",
            "destination",
            "consecutive_failures",
            "until",
            "epoch",
        ] {
            assert!(!is_secret_field(name), "{name}");
        }
    }

    #[test]
    fn runs_of_six_or_more_digits_are_masked() {
        assert_eq!(mask_digit_runs("code 123456 sent"), "code ****** sent");
        assert_eq!(mask_digit_runs("12345678"), "********");
        assert_eq!(
            mask_digit_runs("port 2525, id 12345"),
            "port 2525, id 12345"
        );
        assert_eq!(mask_digit_runs("(***) ***-4567"), "(***) ***-4567");
        assert_eq!(mask_digit_runs("a1234567b"), "a*******b");
        assert_eq!(mask_digit_runs(""), "");
    }

    #[test]
    fn identity_fields_keep_their_digits() {
        assert_eq!(scrub_text("user", "1234567"), "1234567");
        assert_eq!(scrub_text("reason", "ticket 1234567"), "ticket *******");
    }
}
