//! Masked destinations for pages and logs, and scrubbing of provider error text.
//!
//! The challenge page shows where the code went (`j•••@example.com`, `(•••) •••-0142`) so a
//! member can spot a wrong roster entry, without showing a full address to whoever holds the
//! password. Masks have a fixed shape: they never reveal the length of the hidden part.

use super::phone::{normalize_phone, split_country_code};

/// What replaces hidden characters.
const HIDDEN: &str = "•••";

/// Longest provider explanation kept in an error, in characters.
const MAX_DETAIL_CHARS: usize = 200;

/// Digit runs this long could be a code or a phone number; shorter ones (SMTP reply codes,
/// Twilio error numbers) are kept because they explain the failure.
const SECRET_DIGIT_RUN: usize = 6;

/// Masks an email address for display: `jdoe@example.com` → `j•••@example.com`.
///
/// The first character of the local part is shown only when the local part has at least three
/// characters (showing it for `ab@…` would give half of it away). The domain is shown in full
/// so the member recognises the mailbox. Anything that is not `local@domain` is masked
/// completely (`•••`).
pub fn mask_email(addr: &str) -> String {
    let addr = addr.trim();
    let Some((local, domain)) = addr.rsplit_once('@') else {
        return HIDDEN.to_string();
    };
    let unusable =
        |part: &str| part.is_empty() || part.chars().any(|c| c.is_whitespace() || c.is_control());
    if unusable(local) || unusable(domain) || domain.contains('@') {
        return HIDDEN.to_string();
    }
    let mut chars = local.chars();
    match (chars.next(), local.chars().count()) {
        (Some(first), count) if count >= 3 => format!("{first}{HIDDEN}@{domain}"),
        _ => format!("{HIDDEN}@{domain}"),
    }
}

/// Masks a phone number for display, keeping only the last four digits.
///
/// US / NANP numbers (E.164 `+1…` or national formats): `(•••) •••-0142`. Other E.164
/// numbers: `+44 ••• ••• 3456`. Anything that is not one phone number: `•••`.
pub fn mask_phone(e164_or_us: &str) -> String {
    let Some(e164) = normalize_phone(e164_or_us) else {
        return HIDDEN.to_string();
    };
    let digits = e164.trim_start_matches('+');
    // Digits are ASCII and there are at least 8 (checked by `normalize_phone`).
    let last_four = &digits[digits.len() - 4..];
    match split_country_code(digits) {
        ("1", _) => format!("({HIDDEN}) {HIDDEN}-{last_four}"),
        (country, _) => format!("+{country} {HIDDEN} {HIDDEN} {last_four}"),
    }
}

/// Masks a destination of either kind, choosing by the presence of `@`.
pub(crate) fn mask_destination(to: &str) -> String {
    if to.contains('@') {
        mask_email(to)
    } else {
        mask_phone(to)
    }
}

/// Makes text from a provider (SMTP reply, HTTP error message) safe to keep in an error and
/// log: the destination and any email address are masked, digit runs that could be a code or
/// a phone number are hidden, control characters become spaces (one log line per event), and
/// the result is cut to [`MAX_DETAIL_CHARS`].
pub(crate) fn scrub_detail(text: &str, destination: &str) -> String {
    let mut text: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    let destination = destination.trim();
    if !destination.is_empty() {
        text = replace_ignoring_ascii_case(&text, destination, &mask_destination(destination));
    }
    let words: Vec<String> = text
        .split(' ')
        .map(|word| {
            if word.contains('@') {
                mask_email_in_word(word)
            } else {
                word.to_string()
            }
        })
        .collect();
    let scrubbed = hide_long_digit_runs(&words.join(" "));
    let scrubbed = scrubbed.trim();
    if scrubbed.chars().count() > MAX_DETAIL_CHARS {
        let kept: String = scrubbed.chars().take(MAX_DETAIL_CHARS).collect();
        format!("{kept}…")
    } else {
        scrubbed.to_string()
    }
}

/// Masks the address inside a word such as `<jdoe@example.com>:` and keeps the punctuation.
fn mask_email_in_word(word: &str) -> String {
    let is_address_char = |c: char| c.is_alphanumeric() || "._%+-@".contains(c);
    let start = word.find(is_address_char).unwrap_or(0);
    let end = word.rfind(is_address_char).map_or(word.len(), |i| {
        // `rfind` gives the start of the last address char; step over its full UTF-8 width.
        i + word[i..].chars().next().map_or(0, char::len_utf8)
    });
    if start >= end {
        return HIDDEN.to_string();
    }
    // A trailing dot ends the sentence, not the domain.
    let core = word[start..end].trim_end_matches('.');
    let end = start + core.len();
    format!("{}{}{}", &word[..start], mask_email(core), &word[end..])
}

/// Replaces each run of [`SECRET_DIGIT_RUN`] or more ASCII digits by `•••`.
fn hide_long_digit_runs(text: &str) -> String {
    replace_digit_runs(text, SECRET_DIGIT_RUN, |_| HIDDEN.to_string())
}

/// Replaces every run of at least `min_len` ASCII digits by `replace(run)`: the shared way of
/// keeping codes out of provider messages and audit lines.
pub fn replace_digit_runs(text: &str, min_len: usize, replace: impl Fn(&str) -> String) -> String {
    let mut out = String::with_capacity(text.len());
    let mut run = String::new();
    let flush = |run: &mut String, out: &mut String| {
        if run.len() >= min_len {
            out.push_str(&replace(run));
        } else {
            out.push_str(run);
        }
        run.clear();
    };
    for c in text.chars() {
        if c.is_ascii_digit() {
            run.push(c);
        } else {
            flush(&mut run, &mut out);
            out.push(c);
        }
    }
    flush(&mut run, &mut out);
    out
}

/// Replaces every occurrence of `needle` in `haystack`, comparing ASCII case-insensitively
/// (email addresses come back from servers in any case). ASCII lowering keeps byte offsets.
fn replace_ignoring_ascii_case(haystack: &str, needle: &str, replacement: &str) -> String {
    let lower_haystack = haystack.to_ascii_lowercase();
    let lower_needle = needle.to_ascii_lowercase();
    let mut out = String::with_capacity(haystack.len());
    let mut copied_up_to = 0;
    for (index, _) in lower_haystack.match_indices(&lower_needle) {
        out.push_str(&haystack[copied_up_to..index]);
        out.push_str(replacement);
        copied_up_to = index + needle.len();
    }
    out.push_str(&haystack[copied_up_to..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_keep_first_character_and_domain() {
        assert_eq!(mask_email("jdoe@example.com"), "j•••@example.com");
        assert_eq!(
            mask_email("  Jane.Doe+mls@Example.COM "),
            "J•••@Example.COM"
        );
        assert_eq!(mask_email("abc@x.com"), "a•••@x.com");
    }

    #[test]
    fn short_local_parts_are_hidden_completely() {
        assert_eq!(mask_email("a@x.com"), "•••@x.com");
        assert_eq!(mask_email("ab@x.com"), "•••@x.com");
    }

    #[test]
    fn international_addresses_are_masked_by_character() {
        assert_eq!(mask_email("émile@bücher.de"), "é•••@bücher.de");
        assert_eq!(mask_email("用户名@例子.中国"), "用•••@例子.中国");
        assert_eq!(mask_email("jo@xn--bcher-kva.de"), "•••@xn--bcher-kva.de");
    }

    #[test]
    fn invalid_addresses_are_masked_completely() {
        for input in [
            "",
            "jdoe",
            "jdoe.example.com",
            "@example.com",
            "jdoe@",
            "j doe@x.com",
            "a@b c",
            "x@\n",
        ] {
            assert_eq!(mask_email(input), "•••", "{input:?}");
        }
        // A quoted local part may contain `@`; only the last one separates the domain.
        assert_eq!(mask_email("\"a@b\"@x.com"), "\"•••@x.com");
    }

    #[test]
    fn us_phones_show_last_four_digits() {
        for input in [
            "+12035550142",
            "(203) 555-0142",
            "203-555-0142",
            "2035550142",
            "1 203 555 0142",
        ] {
            assert_eq!(mask_phone(input), "(•••) •••-0142", "{input}");
        }
    }

    #[test]
    fn international_phones_show_country_code_and_last_four() {
        assert_eq!(mask_phone("+447911123456"), "+44 ••• ••• 3456");
        assert_eq!(mask_phone("+353 86 123 4567"), "+353 ••• ••• 4567");
        assert_eq!(mask_phone("+74951234567"), "+7 ••• ••• 4567");
    }

    #[test]
    fn invalid_phones_are_masked_completely() {
        for input in [
            "",
            "0142",
            "555-0142",
            "phone",
            "+",
            "jdoe@example.com",
            "+1 203 555 0142 x7",
        ] {
            assert_eq!(mask_phone(input), "•••", "{input:?}");
        }
    }

    #[test]
    fn scrubbing_hides_codes_phones_and_addresses() {
        let detail = scrub_detail(
            "550 5.1.1 <JDoe@Example.com>: unknown user; code 482913 to +12035550142.\r\nbye",
            "jdoe@example.com",
        );
        assert_eq!(
            detail,
            "550 5.1.1 <j•••@example.com>: unknown user; code ••• to +•••.  bye"
        );
        assert_eq!(
            scrub_detail("relay for bob@corp.example.", ""),
            "relay for b•••@corp.example."
        );
        assert_eq!(
            scrub_detail("Twilio error 21211", "+12035550142"),
            "Twilio error 21211"
        );
    }

    #[test]
    fn scrubbing_masks_the_destination_even_in_national_format() {
        let detail = scrub_detail("number 203-555-0142 unreachable", "203-555-0142");
        assert_eq!(detail, "number (•••) •••-0142 unreachable");
    }

    #[test]
    fn scrubbing_truncates_long_text() {
        let detail = scrub_detail(&"x".repeat(500), "");
        assert_eq!(detail.chars().count(), MAX_DETAIL_CHARS + 1);
        assert!(detail.ends_with('…'));
    }
}
