//! Fuzzes the config duration notation (`config::duration`): `parse_duration` on arbitrary
//! text, and `format_duration` → `parse_duration` on arbitrary millisecond counts.
//!
//! Pages and logs print durations with `format_duration` and ops copy them back into the config,
//! so the two must round-trip exactly; parsing must never panic (overflow included) and an
//! error must quote the text it refused.

#![no_main]

use std::time::Duration;

use libfuzzer_sys::fuzz_target;
use mfa_gateway::config::duration::{describe_duration, format_duration, parse_duration};

fn check_round_trip(duration: Duration) {
    let text = format_duration(duration);
    assert_eq!(
        parse_duration(&text),
        Ok(duration),
        "{text:?} does not parse back"
    );
    assert!(
        !describe_duration(duration).is_empty(),
        "no words for {text:?}"
    );
}

fuzz_target!(|data: &[u8]| {
    if let Some(head) = data.get(..8) {
        let millis = u64::from_le_bytes(head.try_into().expect("eight bytes"));
        check_round_trip(Duration::from_millis(millis));
    }
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match parse_duration(text) {
        Ok(duration) => {
            assert_eq!(
                duration.subsec_nanos() % 1_000_000,
                0,
                "sub-millisecond duration"
            );
            check_round_trip(duration);
        }
        Err(error) => assert_eq!(error.input, text, "error does not quote the input"),
    }
});
