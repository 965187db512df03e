//! The request id every request carries: taken from an incoming `X-Request-Id` when the
//! connection comes from a trusted proxy (edge.trusted_proxies, the balancer in front that made
//! it), else made here. It is sent upstream as `X-Request-Id` (see [`super::forwarded`]), and
//! written on the access log line and on every audit line the request causes, so one id follows
//! a request through the balancer, the gateway and the legacy app's logs.

use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};

/// The header that carries the id, both ways.
pub const HEADER: &str = "x-request-id";

/// Longest incoming id kept; longer ones are replaced, not cut (a cut id matches nothing).
const MAX_LEN: usize = 128;

/// An incoming id worth keeping: 1 to 128 characters of letters, digits and `- _ . :` (what
/// UUIDs, ULIDs and the ids of common balancers use). Anything else could carry a log-injection
/// payload into every log that copies it, so it is replaced by a fresh id.
pub fn accept_incoming(value: &[u8]) -> Option<&str> {
    let acceptable = !value.is_empty()
        && value.len() <= MAX_LEN
        && value
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':'));
    // Only ASCII passed the check above, so this cannot fail.
    acceptable
        .then(|| std::str::from_utf8(value).ok())
        .flatten()
}

/// Makes request ids: a random prefix drawn once per process and a counter, so ids are unique
/// across instances and restarts without a random draw per request (a syscall on the hot path).
#[derive(Debug)]
pub struct RequestIds {
    prefix: String,
    next: AtomicU64,
}

impl RequestIds {
    /// A source with the 8-byte random `prefix` (hex-encoded).
    pub fn new(prefix: [u8; 8]) -> RequestIds {
        let mut hex = String::with_capacity(16);
        for byte in prefix {
            // Writing to a String cannot fail.
            let _ = write!(hex, "{byte:02x}");
        }
        RequestIds {
            prefix: hex,
            next: AtomicU64::new(1),
        }
    }

    /// A source with a prefix from the system's CSPRNG (zeros if it fails: the ids are still
    /// unique within the process).
    pub fn random() -> RequestIds {
        let mut prefix = [0u8; 8];
        let _ = ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut prefix);
        RequestIds::new(prefix)
    }

    /// The next id, `<prefix>-<counter in hex>`. Runs on every request: the hex digits are
    /// written by hand (`write!` and its formatting machinery cost several times more).
    pub fn next(&self) -> String {
        const HEX: &[u8; 16] = b"0123456789abcdef";
        let n = self.next.fetch_add(1, Ordering::Relaxed);
        let mut digits = [0u8; 16];
        let mut start = digits.len();
        let mut rest = n;
        loop {
            start -= 1;
            digits[start] = HEX[(rest & 0xf) as usize];
            rest >>= 4;
            if rest == 0 {
                break;
            }
        }
        let mut id = String::with_capacity(self.prefix.len() + 1 + digits.len() - start);
        id.push_str(&self.prefix);
        id.push('-');
        // Only ASCII hex digits were written.
        id.push_str(std::str::from_utf8(&digits[start..]).unwrap_or_default());
        id
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sane_incoming_ids_are_kept_and_the_rest_refused() {
        for good in [
            "0b7c2f3e-9d1a-4c5b-8e6f-1a2b3c4d5e6f",
            "01HF3Z9K8Q2W",
            "lb-1:req.42_a",
        ] {
            assert_eq!(accept_incoming(good.as_bytes()), Some(good));
        }
        let long = "a".repeat(129);
        for bad in [
            "",
            "two words",
            "line\nbreak",
            "quote\"",
            "{\"json\":1}",
            "é",
            long.as_str(),
        ] {
            assert_eq!(accept_incoming(bad.as_bytes()), None, "{bad:?}");
        }
        assert_eq!(accept_incoming(&[0xff, b'a']), None);
    }

    #[test]
    fn made_ids_are_unique_and_carry_the_process_prefix() {
        let ids = RequestIds::new([0xab; 8]);
        let first = ids.next();
        let second = ids.next();
        assert_eq!(first, "abababababababab-1");
        assert_eq!(second, "abababababababab-2");
        ids.next.store(0xfedc_ba98_7654_3210, Ordering::Relaxed);
        assert_eq!(ids.next(), "abababababababab-fedcba9876543210");
        ids.next.store(0x10, Ordering::Relaxed);
        assert_eq!(ids.next(), "abababababababab-10");
        assert!(
            accept_incoming(first.as_bytes()).is_some(),
            "our ids pass our own check"
        );
    }
}
