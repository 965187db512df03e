//! Fuzzes the post-MFA redirect-target validator (`mfa::redirect::safe_target` and
//! `is_safe_local_path`).
//!
//! The target comes from the legacy app's `Location`, which a hostile `next=` parameter may
//! shape, so an accepted target is an open redirect if a browser could resolve it to another
//! origin. Everything accepted must:
//!
//! * start with exactly one `/`, and contain no `\` and no control character;
//! * never percent-decode, however many times, to text starting `//` or `/\`;
//! * resolve, as a WHATWG URL parser (what browsers implement) sees it, to the gateway's own
//!   origin, and so must every decoded form of it (for servers that decode before redirecting);
//! * be a fixed point: validating the returned path again returns it unchanged, and
//!   `is_safe_local_path` agrees with it.

#![no_main]

use libfuzzer_sys::fuzz_target;
use mfa_gateway::mfa::redirect::{is_safe_local_path, safe_target};
use url::Url;

/// The hosts that count as this site, as the gateway passes them.
const OWN_HOSTS: &[&str] = &["mls.example.com", "127.0.0.1:8081"];
/// The page a browser would resolve the redirect from.
const BASE: &str = "https://mls.example.com/_mfa/verify";

/// Every distinct percent-decoding of `path`, starting with `path` itself, until decoding no
/// longer changes it. Each decoding that changes anything is shorter, so this ends.
fn decodings(path: &str) -> Vec<Vec<u8>> {
    let mut levels = vec![path.as_bytes().to_vec()];
    loop {
        let last = levels.last().expect("starts non-empty");
        let next: Vec<u8> = percent_encoding::percent_decode(last).collect();
        if &next == last {
            return levels;
        }
        levels.push(next);
    }
}

fn assert_same_origin(base: &Url, target: &[u8], accepted: &str) {
    let text = String::from_utf8_lossy(target);
    if let Ok(resolved) = base.join(&text) {
        assert_eq!(
            resolved.origin(),
            base.origin(),
            "{accepted:?} (as {text:?}) leaves the origin: {resolved}"
        );
    }
}

/// The properties of anything either function accepted.
fn check_accepted(base: &Url, path: &str) {
    assert!(path.starts_with('/'), "{path:?} is not a local path");
    assert!(!path.starts_with("//"), "{path:?} is protocol-relative");
    assert!(!path.contains('\\'), "{path:?} has a backslash");
    assert!(
        !path.chars().any(char::is_control),
        "{path:?} has a control character"
    );
    let resolved = base
        .join(path)
        .expect("a path starting with / always resolves");
    assert_eq!(
        resolved.origin(),
        base.origin(),
        "{path:?} leaves the origin: {resolved}"
    );
    for level in decodings(path) {
        assert!(
            !level.starts_with(b"//") && !level.starts_with(b"/\\"),
            "{path:?} decodes to {:?}",
            String::from_utf8_lossy(&level)
        );
        assert_same_origin(base, &level, path);
    }
}

fuzz_target!(|data: &[u8]| {
    let base = Url::parse(BASE).expect("constant base URL");
    let location = String::from_utf8_lossy(data);

    if is_safe_local_path(&location) {
        check_accepted(&base, &location);
    }
    if let Some(target) = safe_target(&location, OWN_HOSTS) {
        check_accepted(&base, &target);
        assert!(
            is_safe_local_path(&target),
            "safe_target returned {target:?} that is_safe_local_path refuses"
        );
        assert_eq!(
            safe_target(&target, OWN_HOSTS).as_deref(),
            Some(target.as_str()),
            "{location:?} gave {target:?}, which is not accepted as itself"
        );
    }
});
