//! `site:` how the gateway recognises the legacy site's login, session cookies and logout.

use std::collections::HashSet;

use super::super::raw::RawApiLogin;
use super::super::raw::RawSite;
use super::super::{
    ApiLoginConfig, CookieConfig, LoginConfig, LoginSuccess, LogoutPath, SiteConfig,
};
use super::{checks, Context};

/// Default and bounds for `site.login.max_body_bytes`: login forms are small, and the body is
/// inspected while it streams, so the bound only limits how far the gateway looks.
const DEFAULT_MAX_LOGIN_BODY: usize = 64 * 1024;
const MAX_BODY_RANGE: std::ops::RangeInclusive<usize> = 256..=1024 * 1024;

pub(super) fn site(context: &mut Context, raw: &RawSite, cookies: &CookieConfig) -> SiteConfig {
    let report = &mut context.report;
    let login_path = checks::site_path(report, "site.login.path", &raw.login.path);
    let username_field = match &raw.login.username_field {
        Some(field) => checks::non_empty(report, "site.login.username_field", field),
        None => "username".to_string(),
    };
    let max_body_bytes = raw.login.max_body_bytes.unwrap_or(DEFAULT_MAX_LOGIN_BODY);
    if !MAX_BODY_RANGE.contains(&max_body_bytes) {
        report.error(
            "site.login.max_body_bytes",
            format!(
                "{max_body_bytes} is out of range: use {} to {}",
                MAX_BODY_RANGE.start(),
                MAX_BODY_RANGE.end()
            ),
        );
    }

    let raw_success = &raw.login.success;
    let status = raw_success.status.clone().unwrap_or_default();
    for (index, code) in status.iter().enumerate() {
        if !(100..=599).contains(code) {
            report.error(
                format!("site.login.success.status[{index}]"),
                format!("{code} is not an HTTP status code"),
            );
        }
    }
    // Default: a redirect back to the login page is a failed attempt.
    let location_not_prefix = raw_success
        .location_not_prefix
        .clone()
        .unwrap_or_else(|| vec![login_path.clone()]);
    for (index, prefix) in location_not_prefix.iter().enumerate() {
        if !prefix.starts_with('/') {
            report.error(
                format!("site.login.success.location_not_prefix[{index}]"),
                format!("\"{prefix}\" must be a path starting with /"),
            );
        }
    }
    let sets_session_cookie = raw_success.sets_session_cookie.unwrap_or(true);
    if status.is_empty() && !sets_session_cookie && location_not_prefix.is_empty() {
        report.error(
            "site.login.success",
            "no condition left: every answer to a login post would count as a successful login; \
             set status, sets_session_cookie or location_not_prefix",
        );
    }

    if raw.session_cookies.is_empty() {
        report.error(
            "site.session_cookies",
            "name at least one session cookie of the legacy site, e.g. [JSESSIONID]",
        );
    }
    let mut seen = HashSet::new();
    for (index, name) in raw.session_cookies.iter().enumerate() {
        let key = format!("site.session_cookies[{index}]");
        checks::cookie_name(report, &key, name);
        if !seen.insert(name.as_str()) {
            report.error(&key, format!("\"{name}\" is listed twice"));
        }
        let own_prefix = format!("{}_", cookies.name_prefix);
        if name.starts_with(&own_prefix) || name.starts_with(&format!("__Host-{own_prefix}")) {
            report.error(&key, format!("\"{name}\" clashes with the gateway's own cookies ({own_prefix}*); change cookies.name_prefix"));
        }
    }

    let mut logout_paths = HashSet::new();
    let logout = raw
        .logout
        .iter()
        .enumerate()
        .map(|(index, entry)| {
            let key = format!("site.logout[{index}].path");
            let path = checks::site_path(report, &key, &entry.path);
            if path == login_path {
                report.error(&key, "is the login path");
            } else if !logout_paths.insert(path.clone()) {
                report.error(&key, format!("\"{path}\" is listed twice"));
            }
            LogoutPath {
                path,
                forget_device: entry.forget_device.unwrap_or(false),
            }
        })
        .collect();

    let path_list = |report: &mut super::Report, key: &str, paths: &[String]| -> Vec<String> {
        paths
            .iter()
            .enumerate()
            .map(|(index, path)| checks::site_path(report, &format!("{key}[{index}]"), path))
            .collect()
    };
    let public_paths = path_list(report, "site.public_paths", &raw.public_paths);
    let api_paths = path_list(report, "site.api_paths", &raw.api_paths);
    let default_after_login = match &raw.default_after_login {
        Some(path) => checks::site_path(report, "site.default_after_login", path),
        None => "/".to_string(),
    };
    let sign_in_url = raw
        .sign_in_url
        .as_ref()
        .map(|path| checks::site_path(report, "site.sign_in_url", path));

    let api_login = raw
        .api_login
        .as_ref()
        .map(|api| api_login(report, api, &login_path));

    let identity = raw
        .identity
        .as_ref()
        .map(|probe| super::identity::identity(report, probe));

    SiteConfig {
        identity,
        api_login,
        login: LoginConfig {
            path: login_path,
            username_field,
            username_case_insensitive: raw.login.username_case_insensitive.unwrap_or(true),
            pre_login_session: raw.login.pre_login_session.unwrap_or(false),
            max_body_bytes,
            success: LoginSuccess {
                status,
                sets_session_cookie,
                location_not_prefix,
            },
        },
        session_cookies: raw.session_cookies.clone(),
        logout,
        public_paths,
        api_paths,
        default_after_login,
        sign_in_url,
    }
}

/// `site.api_login`: the mobile app's JSON login.
fn api_login(
    report: &mut super::Report,
    raw: &RawApiLogin,
    form_login_path: &str,
) -> ApiLoginConfig {
    let path = checks::site_path(report, "site.api_login.path", &raw.path);
    if path == form_login_path {
        report.error("site.api_login.path", "is the same as site.login.path");
    }
    let pointer = |report: &mut super::Report, key: &str, value: &str| {
        if !(value.is_empty() || value.starts_with('/')) {
            report.error(
                key,
                format!("\"{value}\" is not a JSON pointer (use e.g. /username)"),
            );
        }
        value.to_string()
    };
    let username_pointer = match &raw.username_pointer {
        Some(p) => pointer(report, "site.api_login.username_pointer", p),
        None => "/username".to_string(),
    };
    let token_pointer = raw
        .success
        .token_pointer
        .as_ref()
        .map(|p| pointer(report, "site.api_login.success.token_pointer", p));
    let max_body_bytes = raw.max_body_bytes.unwrap_or(DEFAULT_MAX_LOGIN_BODY);
    if !MAX_BODY_RANGE.contains(&max_body_bytes) {
        report.error(
            "site.api_login.max_body_bytes",
            format!(
                "{max_body_bytes} is out of range: use {} to {}",
                MAX_BODY_RANGE.start(),
                MAX_BODY_RANGE.end()
            ),
        );
    }
    let success_status = raw.success.status.clone().unwrap_or_else(|| vec![200]);
    for (index, code) in success_status.iter().enumerate() {
        if !(100..=599).contains(code) {
            report.error(
                format!("site.api_login.success.status[{index}]"),
                format!("{code} is not an HTTP status code"),
            );
        }
    }
    ApiLoginConfig {
        path,
        username_pointer,
        max_body_bytes,
        success_status,
        sets_session_cookie: raw.success.sets_session_cookie.unwrap_or(false),
        token_pointer,
    }
}
