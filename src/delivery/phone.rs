//! Phone numbers as members' roster entries hold them, turned into E.164 for SMS providers.
//!
//! Rosters of a US MLS hold numbers like `(203) 555-0142` or `203.555.0142`; providers want
//! `+12035550142`. Anything that is not clearly one number is refused rather than guessed at,
//! because a wrong guess would text a code to a stranger.

/// Characters allowed in a written phone number besides digits and one leading `+`.
const SEPARATORS: [char; 5] = [' ', '-', '.', '(', ')'];

/// E.164 allows at most 15 digits; fewer than 8 is no reachable mobile number anywhere.
const E164_DIGITS: std::ops::RangeInclusive<usize> = 8..=15;

/// Country calling codes of two digits (ITU-T E.164 assignments); every other code except `1`
/// and `7` has three digits. Used only to display `+44 ••• ••• 1234` style masks.
const TWO_DIGIT_COUNTRY_CODES: [&str; 44] = [
    "20", "27", "30", "31", "32", "33", "34", "36", "39", "40", "41", "43", "44", "45", "46", "47",
    "48", "49", "51", "52", "53", "54", "55", "56", "57", "58", "60", "61", "62", "63", "64", "65",
    "66", "81", "82", "84", "86", "90", "91", "92", "93", "94", "95", "98",
];

/// Converts a written phone number to E.164 (`+12035550142`).
///
/// Accepts E.164 with optional separators (`+44 7911 123456`), and US / NANP numbers written
/// nationally with 10 digits or 11 digits starting with `1` (`(203) 555-0142`, `1-203-555-0142`).
/// Returns `None` for anything else (letters, several `+`, too few or too many digits).
pub fn normalize_phone(written: &str) -> Option<String> {
    let written = written.trim();
    let (international, rest) = match written.strip_prefix('+') {
        Some(rest) => (true, rest),
        None => (false, written),
    };
    if !rest
        .chars()
        .all(|c| c.is_ascii_digit() || SEPARATORS.contains(&c))
    {
        return None;
    }
    let digits: String = rest.chars().filter(char::is_ascii_digit).collect();
    let e164 = if international {
        digits
    } else {
        match digits.len() {
            10 => format!("1{digits}"),
            11 if digits.starts_with('1') => digits,
            _ => return None,
        }
    };
    if !E164_DIGITS.contains(&e164.len()) || e164.starts_with('0') {
        return None;
    }
    // NANP numbers are exactly `1` + 10 digits, and area codes never start with 0 or 1.
    if let Some(national) = e164.strip_prefix('1') {
        let area_code_start = national.bytes().next().unwrap_or(b'0');
        if national.len() != 10 || area_code_start < b'2' {
            return None;
        }
    }
    Some(format!("+{e164}"))
}

/// Splits the digits of an E.164 number (without `+`) into country code and national number.
pub(crate) fn split_country_code(digits: &str) -> (&str, &str) {
    let code_len = if digits.starts_with('1') || digits.starts_with('7') {
        1
    } else if TWO_DIGIT_COUNTRY_CODES
        .iter()
        .any(|code| digits.starts_with(code))
    {
        2
    } else {
        3
    };
    // Digits are ASCII, so any byte index is a char boundary; `min` keeps short input safe.
    digits.split_at(code_len.min(digits.len()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn us_numbers_in_national_formats_become_e164() {
        for written in [
            "+12035550142",
            "(203) 555-0142",
            "203-555-0142",
            "203.555.0142",
            "2035550142",
            "1 203 555 0142",
            " +1 (203) 555-0142 ",
        ] {
            assert_eq!(
                normalize_phone(written).as_deref(),
                Some("+12035550142"),
                "{written}"
            );
        }
    }

    #[test]
    fn international_numbers_need_a_plus() {
        assert_eq!(
            normalize_phone("+44 7911 123456").as_deref(),
            Some("+447911123456")
        );
        assert_eq!(
            normalize_phone("+353 86 123 4567").as_deref(),
            Some("+353861234567")
        );
        assert_eq!(normalize_phone("447911123456"), None);
    }

    #[test]
    fn anything_ambiguous_is_refused() {
        for written in [
            "",
            "+",
            "555-0142",
            "+1203555014",
            "+112035550142",
            "+11035550142",
            "(103) 555-0142",
            "+0123456789",
            "+1234567890123456",
            "203-555-O142",
            "++12035550142",
            "+1 203 555 0142 ext 7",
            "jdoe@example.com",
        ] {
            assert_eq!(normalize_phone(written), None, "{written}");
        }
    }

    #[test]
    fn country_codes_split_by_length() {
        assert_eq!(split_country_code("12035550142"), ("1", "2035550142"));
        assert_eq!(split_country_code("74951234567"), ("7", "4951234567"));
        assert_eq!(split_country_code("447911123456"), ("44", "7911123456"));
        assert_eq!(split_country_code("353861234567"), ("353", "861234567"));
        assert_eq!(split_country_code("35"), ("35", ""));
    }
}
