//! Decides what kind of request the gateway is looking at, from its method and path alone.
//!
//! Paths are compared after normalisation (percent-decoding, `.`/`..` segments, repeated
//! slashes, `;params`, trailing slash, ASCII case) because the legacy app may accept all of those
//! spellings for its login: a login the gateway failed to recognise would not be intercepted.

use std::borrow::Cow;

use crate::config::SiteConfig;

/// Prefix of every gateway-owned path.
pub const PORTAL_PREFIX: &str = "/_mfa/";

/// What the gateway does with a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Route {
    /// A gateway page or asset under `/_mfa/`.
    Portal,
    /// The legacy login form post: forwarded, inspected, possibly held.
    Login,
    /// The mobile app's JSON login: relayed by the gateway itself, possibly held.
    ApiLogin,
    /// Another method on the JSON login's path: the gateway's own `405` with `Allow: POST`
    /// (the path is the gateway's documented operation, `docs/openapi.yaml`).
    ApiLoginOtherMethod,
    /// A logout path: forwarded, then the gateway session ends.
    Logout { forget_device: bool },
    /// A path that never needs a session: upstream session cookies are stripped unchecked.
    Public,
    /// Everything else: forwarded when the session is bound (or absent).
    Proxied,
}

/// Normalises a request path for matching (not for forwarding: the upstream gets the original).
///
/// Almost every request already has a normal path, so that case is recognised without
/// allocating; only paths with escapes, odd separators, dot segments or capitals are rebuilt.
pub fn normalize_path(raw_path: &str) -> Cow<'_, str> {
    if is_normal(raw_path) {
        return Cow::Borrowed(raw_path);
    }
    Cow::Owned(rebuild(raw_path))
}

/// True when [`rebuild`] would return `raw_path` unchanged.
fn is_normal(raw_path: &str) -> bool {
    let bytes = raw_path.as_bytes();
    if raw_path == "/" {
        return true;
    }
    if bytes.first() != Some(&b'/') || bytes.last() == Some(&b'/') {
        return false;
    }
    if bytes
        .iter()
        .any(|b| matches!(b, b'%' | b'\\' | b';' | b'A'..=b'Z') || !b.is_ascii())
    {
        return false;
    }
    raw_path[1..]
        .split('/')
        .all(|segment| !matches!(segment, "" | "." | ".."))
}

fn rebuild(raw_path: &str) -> String {
    let decoded = percent_encoding::percent_decode_str(raw_path).decode_utf8_lossy();
    let mut segments: Vec<String> = Vec::new();
    // A backslash is a separator to some servers (IIS), so treat it as one.
    for segment in decoded.split(['/', '\\']) {
        let segment = segment.split(';').next().unwrap_or_default();
        match segment {
            "" | "." => {}
            ".." => {
                segments.pop();
            }
            s => segments.push(s.to_ascii_lowercase()),
        }
    }
    let mut out = String::with_capacity(decoded.len() + 1);
    for s in &segments {
        out.push('/');
        out.push_str(s);
    }
    if out.is_empty() {
        out.push('/');
    }
    out
}

/// Normalised prefixes and paths from the site config, prepared once at start-up.
#[derive(Debug, Clone)]
pub struct Classifier {
    login_path: String,
    api_login_path: Option<String>,
    logout: Vec<(String, bool)>,
    public_prefixes: Vec<String>,
    api_prefixes: Vec<String>,
}

impl Classifier {
    /// Prepares the matcher from the site configuration.
    pub fn new(site: &SiteConfig) -> Self {
        Classifier {
            login_path: normalize_path(&site.login.path).into_owned(),
            api_login_path: site
                .api_login
                .as_ref()
                .map(|a| normalize_path(&a.path).into_owned()),
            logout: site
                .logout
                .iter()
                .map(|l| (normalize_path(&l.path).into_owned(), l.forget_device))
                .collect(),
            public_prefixes: site.public_paths.iter().map(|p| prefix_form(p)).collect(),
            api_prefixes: site.api_paths.iter().map(|p| prefix_form(p)).collect(),
        }
    }

    /// Classifies one request. `raw_path` excludes the query string.
    pub fn classify(&self, method: &http::Method, raw_path: &str) -> Route {
        // Gateway pages are matched on the raw path first: it is the cheap common case and
        // the gateway's own router only serves exact paths below the prefix.
        if raw_path.starts_with(PORTAL_PREFIX) || raw_path == "/_mfa" {
            return Route::Portal;
        }
        let normalized = normalize_path(raw_path);
        let path: &str = &normalized;
        if path == "/_mfa" || path.starts_with(PORTAL_PREFIX) {
            return Route::Portal;
        }
        if method == http::Method::POST && path == self.login_path {
            return Route::Login;
        }
        if self.api_login_path.as_deref() == Some(path) {
            return if method == http::Method::POST {
                Route::ApiLogin
            } else {
                Route::ApiLoginOtherMethod
            };
        }
        if let Some((_, forget)) = self.logout.iter().find(|(p, _)| p == path) {
            return Route::Logout {
                forget_device: *forget,
            };
        }
        if self.public_prefixes.iter().any(|p| has_prefix(path, p)) {
            return Route::Public;
        }
        Route::Proxied
    }

    /// True for paths the mobile app calls as a JSON API.
    pub fn is_api_path(&self, raw_path: &str) -> bool {
        let path = normalize_path(raw_path);
        self.api_prefixes.iter().any(|p| has_prefix(&path, p))
    }

    /// True when the client expects JSON rather than pages and redirects: a configured API
    /// path, or (as a fallback) an `Accept` preferring JSON or an `X-Requested-With` header.
    pub fn wants_json(
        &self,
        raw_path: &str,
        accept: Option<&str>,
        requested_with: Option<&str>,
    ) -> bool {
        if self.is_api_path(raw_path) || raw_path.starts_with("/_mfa/api/") {
            return true;
        }
        let accept = accept.unwrap_or_default().to_ascii_lowercase();
        let json_accept = accept.contains("application/json") && !accept.contains("text/html");
        json_accept || requested_with.is_some_and(|v| v.eq_ignore_ascii_case("xmlhttprequest"))
    }
}

fn prefix_form(p: &str) -> String {
    let n = normalize_path(p);
    if p.ends_with('/') && n != "/" {
        format!("{n}/")
    } else {
        n.into_owned()
    }
}

fn has_prefix(path: &str, prefix: &str) -> bool {
    match prefix.strip_suffix('/') {
        // `/static/` matches `/static` itself and everything below it.
        Some(stem) => path == stem || path.starts_with(prefix),
        // `/favicon.ico` matches itself and, as a directory, whatever is below it.
        None => {
            path == prefix
                || (path.starts_with(prefix) && path.as_bytes().get(prefix.len()) == Some(&b'/'))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalisation_defeats_spelling_tricks() {
        for p in [
            "/login",
            "/LOGIN",
            "//login",
            "/./login",
            "/x/../login",
            "/login/",
            "/%6Cogin",
            "/login;jsessionid=1",
            "\\login",
        ] {
            assert_eq!(normalize_path(p), "/login", "{p}");
        }
        assert_eq!(normalize_path("/../../"), "/");
        assert_eq!(normalize_path("/_mfa/../secure"), "/secure");
    }

    #[test]
    fn normal_paths_are_borrowed_and_agree_with_the_full_rebuild() {
        for p in [
            "/",
            "/listings/1",
            "/a/b.c/d-e_f",
            "/static/site.css",
            "/_mfa/x",
        ] {
            assert!(matches!(normalize_path(p), Cow::Borrowed(_)), "{p}");
            assert_eq!(rebuild(p), p, "{p}");
        }
        for p in [
            "/Listings",
            "/a//b",
            "/a/./b",
            "/a/../b",
            "/a/",
            "/%61",
            "/a;b",
            "\\a",
            "a",
            "",
            "/é",
        ] {
            assert!(matches!(normalize_path(p), Cow::Owned(_)), "{p:?}");
        }
    }

    #[test]
    fn prefixes_match_whole_segments() {
        assert!(has_prefix("/static/a.css", "/static/"));
        assert!(has_prefix("/static", "/static/"));
        assert!(!has_prefix("/staticky", "/static/"));
        assert!(has_prefix("/favicon.ico", "/favicon.ico"));
        assert!(!has_prefix("/favicon.icox", "/favicon.ico"));
    }
}
