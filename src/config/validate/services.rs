//! Sections about things outside the gateway: storage backends, roster source, email and text
//! delivery, the admin listener, and the branding shown on pages.

use std::path::PathBuf;
use std::time::Duration;

use percent_encoding::{utf8_percent_encode, NON_ALPHANUMERIC};

use super::super::raw::{RawAdmin, RawBranding, RawEmail, RawEphemeral, RawReso, RawRoster, RawSms, RawStorage};
use super::super::{
    AdminConfig, Branding, DurableStore, EmailConfig, EmailTransport, EphemeralStore, ListenConfig, ResoAuth,
    ResoConfig, RosterConfig, RosterSource, SmsConfig, SmsProvider, SmtpSecurity, StorageConfig,
};
use super::{checks, Context, Report};

const SECOND: Duration = Duration::from_secs(1);
/// Bounds for timeouts of calls to outside services (SMTP, SMS, RESO).
const SERVICE_TIMEOUT_RANGE: (Duration, Duration) = (SECOND, Duration::from_secs(120));
const DEFAULT_SERVICE_TIMEOUT: Duration = Duration::from_secs(10);
/// Shortest admin token accepted; anything shorter is guessable over the network.
const MIN_ADMIN_TOKEN_BYTES: usize = 16;

pub(super) fn storage(context: &mut Context, raw: &RawStorage) -> StorageConfig {
    let durable = match (&raw.durable.sqlite, &raw.durable.postgres) {
        (Some(path), None) => {
            let path = checks::non_empty(&mut context.report, "storage.durable.sqlite", path);
            let resolved = context.resolver.path(&path);
            if resolved.is_dir() {
                context.report.error("storage.durable.sqlite", format!("{} is a directory; name the database file", resolved.display()));
            }
            DurableStore::Sqlite { path: resolved }
        }
        (None, Some(postgres)) => {
            let password = context.secret("storage.durable.postgres.password", postgres.password.as_ref());
            let url = service_url(
                &mut context.report,
                "storage.durable.postgres.url",
                &postgres.url,
                &["postgres", "postgresql"],
                password.as_deref(),
            );
            DurableStore::Postgres { url }
        }
        (Some(_), Some(_)) => {
            context.report.error("storage.durable", "set only one of sqlite or postgres");
            DurableStore::Sqlite { path: PathBuf::new() }
        }
        (None, None) => {
            context.report.error("storage.durable", "set sqlite: PATH or postgres: {url: ...}");
            DurableStore::Sqlite { path: PathBuf::new() }
        }
    };
    let ephemeral = match &raw.ephemeral {
        None | Some(RawEphemeral::Memory) => EphemeralStore::Memory,
        Some(RawEphemeral::Redis(redis)) => {
            let password = context.secret("storage.ephemeral.redis.password", redis.password.as_ref());
            let url = service_url(
                &mut context.report,
                "storage.ephemeral.redis.url",
                &redis.url,
                &["redis", "rediss"],
                password.as_deref(),
            );
            EphemeralStore::Redis { url }
        }
    };
    StorageConfig { durable, ephemeral }
}

/// Checks a database URL's scheme, refuses a password written inside it (secrets come from
/// files or the environment only) and merges `password` in when given. Messages never quote
/// the URL, which may end up holding the password.
fn service_url(report: &mut Report, key: &str, url: &str, schemes: &[&str], password: Option<&str>) -> String {
    let expected = schemes.iter().map(|s| format!("{s}://")).collect::<Vec<_>>().join(" or ");
    let Some((scheme, rest)) = url.split_once("://").filter(|(scheme, _)| schemes.contains(scheme)) else {
        report.error(key, format!("must start with {expected}"));
        return url.to_string();
    };
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(authority_end);
    let (userinfo, host) = authority.rsplit_once('@').map_or((None, authority), |(user, host)| (Some(user), host));
    if host.is_empty() {
        report.error(key, "names no host");
    }
    let lower_tail = tail.to_ascii_lowercase();
    if userinfo.is_some_and(|user| user.contains(':')) || lower_tail.contains("password=") {
        report.error(key, "holds a password; move it to password: {file: PATH} or {env: NAME} next to url");
        return url.to_string();
    }
    let Some(password) = password else {
        return url.to_string();
    };
    let encoded = utf8_percent_encode(password, NON_ALPHANUMERIC);
    match userinfo {
        Some(user) if !user.is_empty() => format!("{scheme}://{user}:{encoded}@{host}{tail}"),
        // Redis accepts a password without a user name; PostgreSQL needs to know who logs in.
        _ if scheme.starts_with("redis") => format!("{scheme}://:{encoded}@{host}{tail}"),
        _ => {
            report.error(key, format!("name the user ({scheme}://USER@host/...) when the password comes from password:"));
            url.to_string()
        }
    }
}

pub(super) fn branding(context: &mut Context, raw: &RawBranding) -> Branding {
    let report = &mut context.report;
    let logo = raw.logo.as_ref().map(|logo| {
        if logo.is_empty() || logo.starts_with('/') || logo.split('/').any(|part| part == ".." || part.is_empty()) {
            report.error("branding.logo", format!("\"{logo}\" must be a relative path inside static/, e.g. img/logo.svg"));
        }
        logo.clone()
    });
    Branding {
        name: checks::non_empty(report, "branding.name", &raw.name),
        support_email: checks::email_address(report, "branding.support_email", &raw.support_email),
        support_phone: checks::non_empty(report, "branding.support_phone", &raw.support_phone),
        support_hours: raw.support_hours.clone().unwrap_or_default(),
        roster_update_url: raw.roster_update_url.as_ref().map(|url| checks::web_url(report, "branding.roster_update_url", url, true)),
        primary_color: checks::hex_color(report, "branding.primary_color", raw.primary_color.as_deref().unwrap_or("#1f4e79")),
        logo,
    }
}

pub(super) fn roster(context: &mut Context, raw: Option<&RawRoster>) -> RosterConfig {
    let default_raw = RawRoster::default();
    let raw = raw.unwrap_or(&default_raw);
    let cache_ttl = checks::duration_between(
        &mut context.report,
        "roster.cache_ttl",
        raw.cache_ttl.as_ref(),
        Duration::from_secs(300),
        (Duration::ZERO, Duration::from_secs(86_400)),
    );
    let source = match (&raw.file, &raw.reso) {
        (None, None) => RosterSource::None,
        (Some(file), None) => {
            let lower = file.to_ascii_lowercase();
            if ![".yaml", ".yml", ".csv"].iter().any(|extension| lower.ends_with(extension)) {
                context.report.error("roster.file", format!("\"{file}\" must end in .yaml, .yml or .csv (that decides how it is read)"));
            }
            RosterSource::File { path: context.resolver.path(file) }
        }
        (None, Some(reso)) => RosterSource::Reso(reso_config(context, reso)),
        (Some(_), Some(_)) => {
            context.report.error("roster", "set only one of file or reso");
            RosterSource::None
        }
    };
    RosterConfig { source, cache_ttl }
}

fn reso_config(context: &mut Context, raw: &RawReso) -> ResoConfig {
    let allow_http = context.is_demo();
    let auth = match (&raw.bearer_token, &raw.client_credentials) {
        (Some(token), None) => {
            ResoAuth::Bearer { token: context.secret("roster.reso.bearer_token", Some(token)).unwrap_or_default() }
        }
        (None, Some(credentials)) => ResoAuth::ClientCredentials {
            token_url: checks::web_url(&mut context.report, "roster.reso.client_credentials.token_url", &credentials.token_url, allow_http),
            client_id: checks::non_empty(&mut context.report, "roster.reso.client_credentials.client_id", &credentials.client_id),
            client_secret: context
                .secret("roster.reso.client_credentials.client_secret", Some(&credentials.client_secret))
                .unwrap_or_default(),
            scope: credentials.scope.clone(),
        },
        (bearer, _) => {
            let problem = if bearer.is_some() { "set only one of" } else { "set one of" };
            context.report.error("roster.reso", format!("{problem} bearer_token or client_credentials"));
            ResoAuth::Bearer { token: String::new() }
        }
    };
    let report = &mut context.report;
    let field = |report: &mut Report, key: &str, value: &Option<String>, default: &str| match value {
        Some(value) => checks::non_empty(report, key, value),
        None => default.to_string(),
    };
    ResoConfig {
        base_url: checks::web_url(report, "roster.reso.base_url", &raw.base_url, allow_http),
        auth,
        login_id_field: field(report, "roster.reso.login_id_field", &raw.login_id_field, "MemberLoginId"),
        email_field: field(report, "roster.reso.email_field", &raw.email_field, "MemberEmail"),
        phone_field: field(report, "roster.reso.phone_field", &raw.phone_field, "MemberMobilePhone"),
        name_field: field(report, "roster.reso.name_field", &raw.name_field, "MemberFullName"),
        timeout: checks::duration_between(report, "roster.reso.timeout", raw.timeout.as_ref(), DEFAULT_SERVICE_TIMEOUT, SERVICE_TIMEOUT_RANGE),
    }
}

/// Outbox delivery writes codes to a local folder: fine for a demo, a leak in production.
fn outbox(context: &mut Context, key: &str, dir: &str, real_alternative: &str) -> PathBuf {
    if !context.is_demo() {
        context.report.error(
            key,
            format!("the outbox writes codes to a local folder instead of delivering them, so it is only allowed with mode: demo; use {real_alternative}"),
        );
    }
    let dir = checks::non_empty(&mut context.report, key, dir);
    context.resolver.path(&dir)
}

/// Header values must stay on one line, or they could smuggle extra headers into the message.
fn header_value(report: &mut Report, key: &str, value: &str) -> String {
    if value.contains(['\r', '\n']) {
        report.error(key, "must be a single line");
    }
    checks::non_empty(report, key, value)
}

pub(super) fn email(context: &mut Context, raw: &RawEmail, organisation: &str) -> EmailConfig {
    let from = header_value(&mut context.report, "email.from", &raw.from);
    // `Name <address>` or a bare address.
    let address = match from.rsplit_once('<') {
        Some((_, bracketed)) => bracketed.strip_suffix('>').unwrap_or("").trim(),
        None => from.as_str(),
    };
    if checks::email_address(&mut Report::default(), "", address).is_empty() || !address.contains('@') {
        context.report.error("email.from", format!("\"{from}\" is not an address or Name <address>"));
    }
    let subject = match &raw.subject {
        Some(subject) => header_value(&mut context.report, "email.subject", subject),
        None => format!("Your {organisation} verification code"),
    };
    let transport = match (&raw.smtp, &raw.outbox) {
        (Some(smtp), None) => {
            let report = &mut context.report;
            let security = match smtp.security.as_deref() {
                None | Some("starttls") => SmtpSecurity::StartTls,
                Some("tls") => SmtpSecurity::Tls,
                Some("none") => SmtpSecurity::None,
                Some(other) => {
                    report.error("email.smtp.security", format!("\"{other}\" is not none, starttls or tls"));
                    SmtpSecurity::StartTls
                }
            };
            let default_port = match security {
                SmtpSecurity::None => 25,
                SmtpSecurity::StartTls => 587,
                SmtpSecurity::Tls => 465,
            };
            let port = smtp.port.unwrap_or(default_port);
            if port == 0 {
                report.error("email.smtp.port", "0 is not a port");
            }
            let host = checks::non_empty(report, "email.smtp.host", &smtp.host);
            let timeout = checks::duration_between(report, "email.smtp.timeout", smtp.timeout.as_ref(), DEFAULT_SERVICE_TIMEOUT, SERVICE_TIMEOUT_RANGE);
            let username = smtp.username.as_ref().map(|user| checks::non_empty(report, "email.smtp.username", user));
            if smtp.password.is_some() && username.is_none() {
                report.error("email.smtp.password", "set email.smtp.username too");
            }
            if smtp.password.is_some() && security == SmtpSecurity::None {
                report.error("email.smtp.security", "none would send the password in clear; use starttls or tls");
            }
            let password = context.secret("email.smtp.password", smtp.password.as_ref());
            EmailTransport::Smtp { host, port, security, username, password, timeout }
        }
        (None, Some(dir)) => EmailTransport::Outbox { dir: outbox(context, "email.outbox", dir, "email.smtp") },
        (smtp, _) => {
            let problem = if smtp.is_some() { "set only one of" } else { "set one of" };
            context.report.error("email", format!("{problem} smtp or outbox"));
            EmailTransport::Outbox { dir: PathBuf::new() }
        }
    };
    EmailConfig { transport, from, subject }
}

pub(super) fn sms(context: &mut Context, raw: &RawSms) -> SmsConfig {
    let allow_http = context.is_demo();
    let from = raw.from.trim().to_string();
    let digits = from.strip_prefix('+').unwrap_or("");
    if !(8..=15).contains(&digits.len()) || !digits.bytes().all(|b| b.is_ascii_digit()) || digits.starts_with('0') {
        context.report.error("sms.from", format!("\"{from}\" is not an E.164 number like \"+18336972963\" (quote it)"));
    }
    let timeout = checks::duration_between(&mut context.report, "sms.timeout", raw.timeout.as_ref(), DEFAULT_SERVICE_TIMEOUT, SERVICE_TIMEOUT_RANGE);
    let provider = match (&raw.twilio, &raw.webhook, &raw.outbox) {
        (Some(twilio), None, None) => SmsProvider::Twilio {
            base_url: checks::web_url(
                &mut context.report,
                "sms.twilio.base_url",
                twilio.base_url.as_deref().unwrap_or("https://api.twilio.com"),
                allow_http,
            ),
            account_sid: checks::non_empty(&mut context.report, "sms.twilio.account_sid", &twilio.account_sid),
            auth_token: context.secret("sms.twilio.auth_token", Some(&twilio.auth_token)).unwrap_or_default(),
        },
        (None, Some(webhook), None) => SmsProvider::Webhook {
            url: checks::web_url(&mut context.report, "sms.webhook.url", &webhook.url, allow_http),
            bearer_token: context.secret("sms.webhook.bearer_token", webhook.bearer_token.as_ref()),
        },
        (None, None, Some(dir)) => SmsProvider::Outbox { dir: outbox(context, "sms.outbox", dir, "sms.twilio or sms.webhook") },
        (None, None, None) => {
            context.report.error("sms", "set one of twilio, webhook or outbox");
            SmsProvider::Outbox { dir: PathBuf::new() }
        }
        _ => {
            context.report.error("sms", "set only one of twilio, webhook or outbox");
            SmsProvider::Outbox { dir: PathBuf::new() }
        }
    };
    SmsConfig { provider, from, timeout }
}

pub(super) fn admin(context: &mut Context, raw: &RawAdmin, listen: &ListenConfig) -> AdminConfig {
    let address = checks::socket_addr(&mut context.report, "admin.address", &raw.address);
    if address == listen.address {
        context.report.error("admin.address", "is the same as listen.address");
    }
    let token = context.secret("admin.token", raw.token.as_ref());
    if token.as_ref().is_some_and(|token| token.len() < MIN_ADMIN_TOKEN_BYTES) {
        context.report.error("admin.token", format!("is shorter than {MIN_ADMIN_TOKEN_BYTES} characters"));
    }
    // Without a token the admin API trusts whoever can connect: acceptable on loopback only.
    if raw.token.is_none() && !address.ip().is_loopback() {
        context.report.error("admin.token", "required when admin.address is not a loopback address");
    }
    AdminConfig { address, token: token.map(String::into_bytes) }
}
