//! Normal forms for roster values, shared by every source so a member looks the same whether
//! they come from a CSV export or the RESO API.

/// The key a login id is compared by: its canonical, case-folded form
/// ([`crate::mfa::username::canonical`]), because rosters spell login ids however the MLS
/// exported them. An id with no canonical form (control or invisible characters) gets an
/// empty key, which no member's login ever has, so it matches nobody.
pub fn login_key(login_id: &str) -> String {
    crate::mfa::username::canonical(login_id, true).unwrap_or_default()
}

/// A trimmed value, or `None` when it is missing or blank (an empty roster cell means "not on
/// file", never "send to the empty address").
pub fn non_blank(value: Option<&str>) -> Option<String> {
    value
        .map(str::trim)
        .filter(|value| !value.is_empty())
        .map(str::to_owned)
}

/// Characters people put between digits of a phone number; they carry no meaning.
fn is_phone_punctuation(character: char) -> bool {
    character.is_whitespace() || matches!(character, '-' | '.' | '(' | ')' | '/')
}

/// Shortest and longest digit counts of an E.164 number (country code included).
const E164_DIGITS: std::ops::RangeInclusive<usize> = 7..=15;

/// A mobile number in E.164 form (`+12035550142`), `Ok(None)` when blank.
///
/// Accepts `+` numbers with any punctuation, US/NANP 10-digit numbers (`(203) 555-0142`) and
/// 11-digit numbers starting with the US country code `1`. Anything else (letters, extensions,
/// too few or too many digits) is an error whose message explains the accepted forms, because
/// texting a guessed number would send a member's code to a stranger.
pub fn mobile_e164(raw: &str) -> Result<Option<String>, String> {
    let trimmed = raw.trim();
    if trimmed.is_empty() {
        return Ok(None);
    }
    let (has_plus, rest) = match trimmed.strip_prefix('+') {
        Some(rest) => (true, rest),
        None => (false, trimmed),
    };
    let mut digits = String::with_capacity(rest.len());
    for character in rest.chars() {
        if character.is_ascii_digit() {
            digits.push(character);
        } else if !is_phone_punctuation(character) {
            return Err(not_a_mobile(trimmed));
        }
    }
    let first_is = |index: usize, allowed: &[u8]| {
        digits
            .as_bytes()
            .get(index)
            .is_some_and(|digit| allowed.contains(digit))
    };
    // NANP area codes never start with 0 or 1; that also rejects a stray leading trunk digit.
    let nanp_area_start = b"23456789";
    let normalised = if has_plus {
        (E164_DIGITS.contains(&digits.len()) && !first_is(0, b"0")).then(|| format!("+{digits}"))
    } else if digits.len() == 10 && first_is(0, nanp_area_start) {
        Some(format!("+1{digits}"))
    } else if digits.len() == 11 && first_is(0, b"1") && first_is(1, nanp_area_start) {
        Some(format!("+{digits}"))
    } else {
        None
    };
    normalised.map(Some).ok_or_else(|| not_a_mobile(trimmed))
}

fn not_a_mobile(raw: &str) -> String {
    format!(
        "\"{raw}\" is not a mobile number (write +<country code><number>, or a 10-digit US number)"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn login_keys_ignore_case_and_surrounding_space() {
        assert_eq!(login_key("  JDoe "), "jdoe");
        assert_eq!(login_key("o'Brien"), "o'brien");
        assert_eq!(login_key(""), "");
    }

    #[test]
    fn blank_values_are_absent() {
        assert_eq!(non_blank(None), None);
        assert_eq!(non_blank(Some("")), None);
        assert_eq!(non_blank(Some("   \t")), None);
        assert_eq!(
            non_blank(Some(" a@example.com ")),
            Some("a@example.com".to_string())
        );
    }

    #[test]
    fn us_numbers_get_the_country_code() {
        for raw in [
            "2035550142",
            "(203) 555-0142",
            "203.555.0142",
            "203-555-0142",
            "1 203 555 0142",
            "1-203-555-0142",
        ] {
            assert_eq!(
                mobile_e164(raw),
                Ok(Some("+12035550142".to_string())),
                "{raw}"
            );
        }
    }

    #[test]
    fn plus_numbers_are_kept_without_punctuation() {
        assert_eq!(
            mobile_e164("+1 (860) 555-0123"),
            Ok(Some("+18605550123".to_string()))
        );
        assert_eq!(
            mobile_e164("+44 20 7946 0958"),
            Ok(Some("+442079460958".to_string()))
        );
        assert_eq!(
            mobile_e164(" +12035550142 "),
            Ok(Some("+12035550142".to_string()))
        );
    }

    #[test]
    fn blank_mobile_is_absent() {
        assert_eq!(mobile_e164(""), Ok(None));
        assert_eq!(mobile_e164("  "), Ok(None));
    }

    #[test]
    fn malformed_numbers_are_refused() {
        for raw in [
            "555-0142",           // too short for a US number
            "0203555014",         // area code cannot start with 0
            "1203555014",         // 10 digits but starts with the trunk digit
            "22035550142",        // 11 digits without the US country code
            "203-555-0142 x12",   // extension
            "call me",            // not digits
            "+0123456789",        // country codes never start with 0
            "+123456",            // too short
            "+1234567890123456",  // too long
            "++12035550142",      // stray plus
            "+1 203 555 0142 +1", // plus in the middle
        ] {
            let error = mobile_e164(raw).expect_err(raw);
            assert!(error.contains("is not a mobile number"), "{error}");
        }
    }
}
