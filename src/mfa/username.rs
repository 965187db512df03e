//! The canonical form of a login: the key MFA, enrolment, trust and audit use for a member.
//!
//! Frameworks normalise what a member types before looking the account up: several apply
//! Unicode NFKC, most fold case. If the gateway keyed MFA on fewer folds than the app, `ｊdoe`
//! (full-width j) or `ʲdoe` (modifier letter j) with jdoe's password would sign in **jdoe** at
//! the app while the gateway saw an unknown member and offered set-up — a one-step takeover.
//! So the key folds at least as much as any app does (RFC 8265 UsernameCaseMapped is the
//! model): NFKC, then Unicode default case folding, then trimming. Logins containing control,
//! bidirectional-control or default-ignorable code points are refused outright: apps disagree
//! on whether they strip them, and no member's login needs them.

use std::fmt;

use unicode_normalization::UnicodeNormalization as _;

/// Longest canonical login accepted, in characters.
pub const MAX_LOGIN_CHARS: usize = 256;

/// Why a login has no canonical form.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UsernameError {
    /// Nothing left after trimming.
    Empty,
    /// Longer than [`MAX_LOGIN_CHARS`].
    TooLong,
    /// A control, bidi-control or default-ignorable code point (given as `U+XXXX`).
    Forbidden(char),
}

impl fmt::Display for UsernameError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            UsernameError::Empty => f.write_str("is empty"),
            UsernameError::TooLong => write!(f, "is longer than {MAX_LOGIN_CHARS} characters"),
            UsernameError::Forbidden(c) => write!(
                f,
                "contains U+{:04X}, a control or invisible character",
                u32::from(*c)
            ),
        }
    }
}

impl std::error::Error for UsernameError {}

/// The canonical key of `raw`: NFKC, case folded (unless `fold_case` is false), trimmed.
pub fn canonical(raw: &str, fold_case: bool) -> Result<String, UsernameError> {
    if let Some(c) = raw.chars().find(|c| is_forbidden(*c)) {
        return Err(UsernameError::Forbidden(c));
    }
    let nfkc: String = raw.nfkc().collect();
    let folded = if fold_case {
        // Case folding can produce text that is no longer NFKC (e.g. U+0345), so normalise
        // again: the key must be a fixed point, or a re-keyed login would change twice.
        caseless::default_case_fold_str(&nfkc).nfkc().collect()
    } else {
        nfkc
    };
    // NFKC can map a harmless character onto a forbidden one (e.g. U+FFxx half-widths).
    if let Some(c) = folded.chars().find(|c| is_forbidden(*c)) {
        return Err(UsernameError::Forbidden(c));
    }
    let trimmed = folded.trim();
    if trimmed.is_empty() {
        return Err(UsernameError::Empty);
    }
    if trimmed.chars().count() > MAX_LOGIN_CHARS {
        return Err(UsernameError::TooLong);
    }
    Ok(trimmed.to_string())
}

/// Moves stored members to their canonical key (`migrate`, and every start-up: idempotent and
/// one indexed scan), logging what it did. Moves that would collide with an existing member
/// are refused and logged as warnings, so support can look at them.
pub async fn rekey_members(
    store: &dyn crate::store::DurableStore,
    fold_case: bool,
) -> crate::store::StoreResult<crate::store::RekeySummary> {
    // A stored login that NFKC changes was typed in compatibility characters (`ｊdoe`): under
    // the old keying that was exactly how a password thief got a fresh set-up, so its
    // enrolment is not moved onto the member's key. It stays unreachable (reported with the
    // invalid ones); the member sets up again, proving their contact.
    let canon = move |login: &str| {
        if is_compatibility_spelling(login) {
            return None;
        }
        canonical(login, fold_case).ok()
    };
    let summary = store.rekey_logins(&canon).await?;
    for (from, to) in &summary.rekeyed {
        tracing::info!(event = "member_rekeyed", from = %from, to = %to);
    }
    for (from, to) in &summary.conflicts {
        tracing::warn!(event = "member_rekey_conflict", from = %from, to = %to);
    }
    for login in &summary.invalid {
        tracing::warn!(event = "member_login_invalid", login = %login.escape_debug());
    }
    Ok(summary)
}

/// True when NFKC changes `login`: it holds compatibility characters (full-width letters,
/// superscripts, ligatures …) that no member types for their own login.
pub fn is_compatibility_spelling(login: &str) -> bool {
    !unicode_normalization::is_nfkc(login)
}

/// Controls (Cc, except the ordinary space characters trimmed anyway), bidirectional controls
/// and default-ignorable code points (Unicode `Default_Ignorable_Code_Point`).
fn is_forbidden(c: char) -> bool {
    if c.is_control() {
        return true;
    }
    matches!(u32::from(c),
        0x00AD | 0x034F | 0x061C | 0x115F..=0x1160 | 0x17B4..=0x17B5 | 0x180B..=0x180F
        | 0x200B..=0x200F | 0x202A..=0x202E | 0x2060..=0x206F | 0x3164 | 0xFE00..=0xFE0F
        | 0xFEFF | 0xFFA0 | 0xFFF0..=0xFFF8 | 0x1BCA0..=0x1BCA3 | 0x1D173..=0x1D17A
        | 0xE0000..=0xE0FFF)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compatibility_and_case_spellings_share_one_key() {
        for spelling in [
            "jdoe",
            "JDoe",
            " jdoe ",
            "ｊdoe",
            "ＪＤＯＥ",
            "ʲdoe",
            "jdoe\u{3000}",
        ] {
            assert_eq!(
                canonical(spelling, true).as_deref(),
                Ok("jdoe"),
                "{spelling:?}"
            );
        }
        assert_eq!(canonical("agent⁷", true).as_deref(), Ok("agent7"));
        assert_eq!(canonical("Straße", true).as_deref(), Ok("strasse"));
        assert_eq!(canonical("JDoe", false).as_deref(), Ok("JDoe"));
        assert_eq!(canonical("ｊdoe", false).as_deref(), Ok("jdoe"));
    }

    #[test]
    fn invisible_and_control_characters_are_refused() {
        for bad in [
            "jd\u{200B}oe",
            "jdoe\u{202E}",
            "j\u{00AD}doe",
            "jdoe\u{0007}",
            "\u{FEFF}jdoe",
            "jdoe\u{E0041}",
        ] {
            assert!(
                matches!(canonical(bad, true), Err(UsernameError::Forbidden(_))),
                "{bad:?}"
            );
        }
        assert_eq!(canonical("   ", true), Err(UsernameError::Empty));
        assert_eq!(
            canonical(&"a".repeat(300), true),
            Err(UsernameError::TooLong)
        );
    }

    #[test]
    fn compatibility_spellings_are_told_apart() {
        assert!(is_compatibility_spelling("ｊdoe"));
        assert!(is_compatibility_spelling("agent⁷"));
        assert!(!is_compatibility_spelling("jdoe"));
        assert!(!is_compatibility_spelling("straße"));
    }

    #[test]
    fn the_key_is_a_fixed_point() {
        for spelling in ["ＪＤＯＥ", "Straße", "ǅemal", "ΣΊΣΥΦΟΣ", "ﬃ"] {
            let once = canonical(spelling, true).unwrap();
            assert_eq!(canonical(&once, true).unwrap(), once, "{spelling:?}");
        }
    }
}
