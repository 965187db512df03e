//! Where a member is sent after MFA: same-origin paths only.
//!
//! The target comes from the upstream's login response (`Location`), which a hostile request may
//! have influenced (a `next=` parameter). Anything that a browser could resolve to another origin
//! — `//evil`, `/\evil`, absolute URLs to other hosts, their percent-encoded forms, or tabs and
//! newlines that browsers strip — is replaced by the configured default.

/// Returns a safe same-origin path for `location`, or `None` if it must not be used.
///
/// `own_hosts` are host[:port] values that count as this site (the public host the member used
/// and the upstream's own address, since legacy apps often redirect with absolute URLs).
pub fn safe_target(location: &str, own_hosts: &[&str]) -> Option<String> {
    if location.is_empty() || location.len() > 2048 {
        return None;
    }
    // Browsers drop tabs and newlines from URLs, which turns `/\t/evil` into `//evil`.
    if location.chars().any(|c| c.is_control() || c == ' ') {
        return None;
    }
    // Only a scheme at the very start makes an absolute URL (RFC 3986 §3.1: a letter, then
    // letters, digits, `+`, `-`, `.`). `/search?back=http://x` is a local path whose query
    // holds a URL; fuzzing found that such a path was refused, so the path the gateway
    // returned for `https://own.host/search?back=http://x` was not accepted as itself.
    let absolute = location.split_once("://").filter(|(scheme, _)| {
        let mut chars = scheme.chars();
        chars.next().is_some_and(|c| c.is_ascii_alphabetic())
            && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
    });
    let path = if let Some((scheme, rest)) = absolute {
        if !scheme.eq_ignore_ascii_case("http") && !scheme.eq_ignore_ascii_case("https") {
            return None;
        }
        let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
        let authority = &rest[..end];
        if authority.contains('@') || !own_hosts.iter().any(|h| h.eq_ignore_ascii_case(authority)) {
            return None;
        }
        let path = &rest[end..];
        if path.is_empty() || !path.starts_with('/') {
            "/".to_string()
        } else {
            path.to_string()
        }
    } else {
        location.to_string()
    };
    is_safe_local_path(&path).then_some(path)
}

/// True for `/something` that every browser resolves on the same origin.
pub fn is_safe_local_path(path: &str) -> bool {
    if !path.starts_with('/') || path.contains('\\') {
        return false;
    }
    if path.chars().any(|c| c.is_control()) {
        return false;
    }
    // Check every decoded form too, down to the one that no longer changes: `/%2F/evil`,
    // `/%5Cevil`, and any depth of re-encoding (`/%2525252F/evil`; fuzzing found that stopping
    // after three rounds let a fourth-level `//` through). Each decoding that changes the text
    // makes it shorter or removes a `%`, so the fixed point comes within twice the length; the
    // bound only guards that reasoning, failing closed.
    let mut current = path.to_string();
    for _ in 0..=2 * path.len() {
        let decoded = percent_encoding::percent_decode_str(&current)
            .decode_utf8_lossy()
            .into_owned();
        let starts_like_authority = decoded.starts_with("//") || decoded.starts_with("/\\");
        if starts_like_authority
            || decoded.contains('\\')
            || decoded.chars().any(|c| c.is_control())
        {
            return false;
        }
        if decoded == current {
            return true;
        }
        current = decoded;
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    const OWN: &[&str] = &["mls.example.com", "127.0.0.1:8081"];

    #[test]
    fn local_paths_pass() {
        assert_eq!(safe_target("/", OWN).as_deref(), Some("/"));
        assert_eq!(
            safe_target("/listings/1?x=%20y", OWN).as_deref(),
            Some("/listings/1?x=%20y")
        );
        assert_eq!(
            safe_target("http://127.0.0.1:8081/home", OWN).as_deref(),
            Some("/home")
        );
        assert_eq!(
            safe_target("https://MLS.example.com", OWN).as_deref(),
            Some("/")
        );
    }

    #[test]
    fn regression_fuzz_redirect_path_with_url_in_query() {
        // The fuzzer's input: an own absolute URL whose path holds `scheme://`.
        let first = safe_target("http://127.0.0.1:8081/homettp://127.0.0.1:", OWN);
        assert_eq!(first.as_deref(), Some("/homettp://127.0.0.1:"));
        assert_eq!(safe_target("/homettp://127.0.0.1:", OWN), first);
        assert_eq!(
            safe_target("/search?back=https://evil.example/", OWN).as_deref(),
            Some("/search?back=https://evil.example/")
        );
        // Still refused: a real scheme, or text that is neither a scheme nor a path.
        for refused in [
            "https://evil.example/x?y=http://mls.example.com",
            "ftp://mls.example.com/",
            "1http://mls.example.com/",
            "mls.example.com/x://y",
        ] {
            assert_eq!(safe_target(refused, OWN), None, "{refused:?}");
        }
    }

    #[test]
    fn regression_fuzz_redirect_fourth_level_encoding() {
        // The fuzzer's input, and its plain form: `%2525252F` is `/` after four decodings.
        assert!(!is_safe_local_path("/%2525252F%@\u{fffd}/%2"));
        assert_eq!(safe_target("/%2525252F%2525252Fevil.example", OWN), None);
        assert_eq!(safe_target("/%252525255Cevil.example", OWN), None);
        // Forty levels: each encoding of `%2F` inserts one more `25`.
        let deep = format!("/%{}2F/evil.example", "25".repeat(40));
        assert_eq!(safe_target(&deep, OWN), None);
        // Deeply encoded text that never becomes an authority is still a fine path.
        let literal_percent = format!("/search?q=100%{}", "25".repeat(40));
        assert!(is_safe_local_path(&literal_percent));
    }

    #[test]
    fn open_redirect_tricks_are_refused() {
        for evil in [
            "//evil.example",
            "/\\evil.example",
            "\\\\evil.example",
            "https://evil.example/",
            "http://mls.example.com@evil.example/",
            "https://evil.example\\@mls.example.com/",
            "%2F%2Fevil.example",
            "/%2F/evil.example",
            "/%2f%2fevil.example",
            "/%5Cevil",
            "/%255Cevil",
            "/\t/evil.example",
            "/\n/evil.example",
            "javascript:alert(1)",
            "evil.example",
            "",
        ] {
            assert_eq!(safe_target(evil, OWN), None, "{evil:?}");
        }
    }
}
