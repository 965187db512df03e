//! Human durations in configuration: `500ms`, `30s`, `5m`, `24h`, `30d`, and combinations such as
//! `1h30m`.
//!
//! Config files say `trust_periods: [24h, 30d]` rather than seconds so that ops can read them at
//! a glance; [`parse_duration`] turns those strings into [`Duration`]s and [`format_duration`]
//! turns a [`Duration`] back into the same notation (pages and logs use it, so what a member
//! sees matches what the config says). [`describe_duration`] spells a duration out in words
//! ("24 hours") for sentences on member-facing pages.

use std::time::Duration;

/// Milliseconds in each unit, largest first; `format_duration` walks this list in order.
const UNITS: [(&str, u128); 5] = [
    ("d", 86_400_000),
    ("h", 3_600_000),
    ("m", 60_000),
    ("s", 1_000),
    ("ms", 1),
];

/// A string that is not a duration in the notation above.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("\"{input}\" is not a duration (use e.g. 30s, 5m, 24h, 30d)")]
pub struct DurationError {
    /// The text as written in the config, so the message can quote it.
    pub input: String,
}

/// Parses `500ms`, `30s`, `5m`, `24h`, `30d` or a combination of them written largest unit
/// first without spaces (`1h30m`, `1m30s`). A bare number is refused: without a unit nobody can
/// tell whether `300` meant seconds or minutes.
pub fn parse_duration(text: &str) -> Result<Duration, DurationError> {
    let error = || DurationError {
        input: text.to_string(),
    };
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return Err(error());
    }
    let mut rest = trimmed;
    let mut total_ms: u128 = 0;
    // Index into UNITS of the last unit used: units must strictly shrink, so `30m1h` or
    // `5m5m` (almost certainly typos) are refused rather than silently summed.
    let mut last_unit: Option<usize> = None;
    while !rest.is_empty() {
        let digits_len = rest.bytes().take_while(u8::is_ascii_digit).count();
        if digits_len == 0 {
            return Err(error());
        }
        let (digits, after_digits) = rest.split_at(digits_len);
        let amount: u128 = digits.parse().map_err(|_| error())?;
        let unit_len = after_digits
            .bytes()
            .take_while(u8::is_ascii_alphabetic)
            .count();
        let (unit, after_unit) = after_digits.split_at(unit_len);
        let unit_index = UNITS
            .iter()
            .position(|(name, _)| *name == unit)
            .ok_or_else(error)?;
        if last_unit.is_some_and(|previous| unit_index <= previous) {
            return Err(error());
        }
        last_unit = Some(unit_index);
        let unit_ms = UNITS[unit_index].1;
        total_ms = amount
            .checked_mul(unit_ms)
            .and_then(|ms| total_ms.checked_add(ms))
            .ok_or_else(error)?;
        rest = after_unit;
    }
    let millis = u64::try_from(total_ms).map_err(|_| error())?;
    Ok(Duration::from_millis(millis))
}

/// Formats a duration in the notation [`parse_duration`] reads: whole days as `30d`, but one day
/// as `24h` (that is how people say it, and how the member FAQ says it), anything else as the
/// shortest combination of hours, minutes, seconds and milliseconds (`1h30m`, `500ms`).
/// Sub-millisecond remainders are dropped; zero is `0s`.
pub fn format_duration(duration: Duration) -> String {
    let mut remaining = duration.as_millis();
    if remaining == 0 {
        return "0s".to_string();
    }
    let day_ms = UNITS[0].1;
    if remaining.is_multiple_of(day_ms) && remaining != day_ms {
        return format!("{}d", remaining / day_ms);
    }
    let mut text = String::new();
    // Days are folded into hours here: `25h` reads better than `1d1h`.
    for (unit, unit_ms) in &UNITS[1..] {
        let amount = remaining / unit_ms;
        if amount > 0 {
            text.push_str(&format!("{amount}{unit}"));
            remaining -= amount * unit_ms;
        }
    }
    text
}

/// Spells a duration out for sentences shown to members, e.g. "24 hours", "30 days",
/// "5 minutes", "1 hour 30 minutes". Follows the same unit choice as [`format_duration`].
pub fn describe_duration(duration: Duration) -> String {
    const WORDS: [(&str, &str); 5] = [
        ("d", "day"),
        ("h", "hour"),
        ("m", "minute"),
        ("s", "second"),
        ("ms", "millisecond"),
    ];
    let compact = format_duration(duration);
    let mut parts = Vec::new();
    let mut rest = compact.as_str();
    while !rest.is_empty() {
        let digits_len = rest.bytes().take_while(u8::is_ascii_digit).count();
        let (amount, after) = rest.split_at(digits_len);
        let unit_len = after.bytes().take_while(u8::is_ascii_alphabetic).count();
        let (unit, next) = after.split_at(unit_len);
        let word = WORDS
            .iter()
            .find(|(short, _)| *short == unit)
            .map_or(unit, |(_, word)| word);
        let plural = if amount == "1" { "" } else { "s" };
        parts.push(format!("{amount} {word}{plural}"));
        rest = next;
    }
    parts.join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    const DAY: u64 = 86_400;

    #[test]
    fn parses_single_units() {
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration("30s"), Ok(Duration::from_secs(30)));
        assert_eq!(parse_duration("5m"), Ok(Duration::from_secs(300)));
        assert_eq!(parse_duration("24h"), Ok(Duration::from_secs(DAY)));
        assert_eq!(parse_duration("30d"), Ok(Duration::from_secs(30 * DAY)));
        assert_eq!(parse_duration(" 0s "), Ok(Duration::ZERO));
    }

    #[test]
    fn parses_combinations_largest_unit_first() {
        assert_eq!(parse_duration("1h30m"), Ok(Duration::from_secs(5400)));
        assert_eq!(parse_duration("1d12h"), Ok(Duration::from_secs(36 * 3600)));
        assert_eq!(parse_duration("1s500ms"), Ok(Duration::from_millis(1500)));
    }

    #[test]
    fn refuses_malformed_text() {
        for bad in [
            "", "45x", "300", "m", "5 m", "1.5h", "30m1h", "5m5m", "-5s", "5mm", "1h 30m", "5M",
        ] {
            assert!(parse_duration(bad).is_err(), "{bad:?} should be refused");
        }
    }

    #[test]
    fn refuses_overflow() {
        assert!(parse_duration("99999999999999999999999999999999999999999d").is_err());
        assert!(parse_duration("999999999999999999d").is_err());
    }

    #[test]
    fn error_quotes_input_and_gives_examples() {
        let message = parse_duration("45x").unwrap_err().to_string();
        assert_eq!(
            message,
            "\"45x\" is not a duration (use e.g. 30s, 5m, 24h, 30d)"
        );
    }

    #[test]
    fn formats_back_to_human_form() {
        assert_eq!(format_duration(Duration::from_secs(DAY)), "24h");
        assert_eq!(format_duration(Duration::from_secs(30 * DAY)), "30d");
        assert_eq!(format_duration(Duration::from_secs(2 * DAY)), "2d");
        assert_eq!(format_duration(Duration::from_secs(25 * 3600)), "25h");
        assert_eq!(format_duration(Duration::from_secs(300)), "5m");
        assert_eq!(format_duration(Duration::from_secs(5400)), "1h30m");
        assert_eq!(format_duration(Duration::from_millis(500)), "500ms");
        assert_eq!(format_duration(Duration::from_millis(1500)), "1s500ms");
        assert_eq!(format_duration(Duration::ZERO), "0s");
    }

    #[test]
    fn format_round_trips_through_parse() {
        for millis in [
            1,
            999,
            1000,
            61_000,
            3_600_000,
            86_400_000,
            90_000_000,
            2_592_000_000,
            86_400_001,
        ] {
            let duration = Duration::from_millis(millis);
            assert_eq!(
                parse_duration(&format_duration(duration)),
                Ok(duration),
                "{millis} ms"
            );
        }
    }

    #[test]
    fn describes_in_words() {
        assert_eq!(describe_duration(Duration::from_secs(DAY)), "24 hours");
        assert_eq!(describe_duration(Duration::from_secs(30 * DAY)), "30 days");
        assert_eq!(describe_duration(Duration::from_secs(300)), "5 minutes");
        assert_eq!(describe_duration(Duration::from_secs(3600)), "1 hour");
        assert_eq!(
            describe_duration(Duration::from_secs(5400)),
            "1 hour 30 minutes"
        );
    }
}
