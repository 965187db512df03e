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
    let path = if let Some((scheme, rest)) = location.split_once("://") {
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
    // Check the decoded form too (repeatedly, for double encoding): `/%2F/evil`, `/%5Cevil`.
    let mut current = path.to_string();
    for _ in 0..3 {
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
            break;
        }
        current = decoded;
    }
    true
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
