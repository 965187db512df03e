//! `email:` and `sms:` how codes reach members, and the demo-only outbox.

use std::path::PathBuf;

use super::super::raw::{RawEmail, RawSms};
use super::super::{EmailConfig, EmailTransport, SmsConfig, SmsProvider, SmtpSecurity};
use super::network::existing_file;
use super::services::{DEFAULT_SERVICE_TIMEOUT, SERVICE_TIMEOUT_RANGE};
use super::{checks, Context, Report};

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
    if !from.is_empty() && !checks::is_email_address(address) {
        context.report.error(
            "email.from",
            format!("\"{from}\" is not an address or Name <address>"),
        );
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
                    report.error(
                        "email.smtp.security",
                        format!("\"{other}\" is not none, starttls or tls"),
                    );
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
            let timeout = checks::duration_between(
                report,
                "email.smtp.timeout",
                smtp.timeout.as_ref(),
                DEFAULT_SERVICE_TIMEOUT,
                SERVICE_TIMEOUT_RANGE,
            );
            let username = smtp
                .username
                .as_ref()
                .map(|user| checks::non_empty(report, "email.smtp.username", user));
            if smtp.password.is_some() && username.is_none() {
                report.error("email.smtp.password", "set email.smtp.username too");
            }
            if smtp.password.is_some() && security == SmtpSecurity::None {
                report.error(
                    "email.smtp.security",
                    "none would send the password in clear; use starttls or tls",
                );
            }
            let password = context.secret("email.smtp.password", smtp.password.as_ref());
            let ca_file = smtp.ca_file.as_deref().map(|file| {
                if security == SmtpSecurity::None {
                    context.report.error(
                        "email.smtp.ca_file",
                        "only used with security: starttls or tls",
                    );
                }
                existing_file(context, "email.smtp.ca_file", file)
            });
            EmailTransport::Smtp {
                host,
                port,
                security,
                username,
                password,
                timeout,
                ca_file,
            }
        }
        (None, Some(dir)) => EmailTransport::Outbox {
            dir: outbox(context, "email.outbox", dir, "email.smtp"),
        },
        (smtp, _) => {
            let problem = if smtp.is_some() {
                "set only one of"
            } else {
                "set one of"
            };
            context
                .report
                .error("email", format!("{problem} smtp or outbox"));
            EmailTransport::Outbox {
                dir: PathBuf::new(),
            }
        }
    };
    EmailConfig {
        transport,
        from,
        subject,
    }
}

pub(super) fn sms(context: &mut Context, raw: &RawSms) -> SmsConfig {
    let allow_http = context.is_demo();
    let from = raw.from.trim().to_string();
    let digits = from.strip_prefix('+').unwrap_or("");
    if !(8..=15).contains(&digits.len())
        || !digits.bytes().all(|b| b.is_ascii_digit())
        || digits.starts_with('0')
    {
        context.report.error(
            "sms.from",
            format!("\"{from}\" is not an E.164 number like \"+18336972963\" (quote it)"),
        );
    }
    let timeout = checks::duration_between(
        &mut context.report,
        "sms.timeout",
        raw.timeout.as_ref(),
        DEFAULT_SERVICE_TIMEOUT,
        SERVICE_TIMEOUT_RANGE,
    );
    let provider = match (&raw.twilio, &raw.webhook, &raw.outbox) {
        (Some(twilio), None, None) => SmsProvider::Twilio {
            base_url: checks::web_url(
                &mut context.report,
                "sms.twilio.base_url",
                twilio
                    .base_url
                    .as_deref()
                    .unwrap_or("https://api.twilio.com"),
                allow_http,
            ),
            account_sid: checks::non_empty(
                &mut context.report,
                "sms.twilio.account_sid",
                &twilio.account_sid,
            ),
            auth_token: context
                .secret("sms.twilio.auth_token", Some(&twilio.auth_token))
                .unwrap_or_default(),
        },
        (None, Some(webhook), None) => SmsProvider::Webhook {
            url: checks::web_url(
                &mut context.report,
                "sms.webhook.url",
                &webhook.url,
                allow_http,
            ),
            bearer_token: context.secret("sms.webhook.bearer_token", webhook.bearer_token.as_ref()),
        },
        (None, None, Some(dir)) => SmsProvider::Outbox {
            dir: outbox(context, "sms.outbox", dir, "sms.twilio or sms.webhook"),
        },
        (None, None, None) => {
            context
                .report
                .error("sms", "set one of twilio, webhook or outbox");
            SmsProvider::Outbox {
                dir: PathBuf::new(),
            }
        }
        _ => {
            context
                .report
                .error("sms", "set only one of twilio, webhook or outbox");
            SmsProvider::Outbox {
                dir: PathBuf::new(),
            }
        }
    };
    let ca_file = raw.ca_file.as_deref().map(|file| {
        let url = match &provider {
            SmsProvider::Twilio { base_url, .. } => Some(base_url.as_str()),
            SmsProvider::Webhook { url, .. } => Some(url.as_str()),
            SmsProvider::Outbox { .. } => None,
        };
        if !url.is_some_and(|url| url.starts_with("https://")) {
            context.report.error(
                "sms.ca_file",
                "only used with an https:// provider (sms.twilio or sms.webhook)",
            );
        }
        existing_file(context, "sms.ca_file", file)
    });
    SmsConfig {
        provider,
        from,
        timeout,
        ca_file,
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::super::super::keys::SecretResolver;
    use super::super::super::Mode;
    use super::*;

    fn no_env(_: &str) -> Option<String> {
        None
    }

    fn check_email(yaml: &str, mode: Mode) -> (EmailConfig, String) {
        let raw: RawEmail = serde_yaml::from_str(yaml).unwrap();
        let mut context = Context {
            report: Report::default(),
            resolver: SecretResolver {
                base_dir: Path::new("/srv/gw"),
                env: &no_env,
            },
            mode,
        };
        let config = email(&mut context, &raw, "Test MLS");
        (config, context.report.to_string())
    }

    #[test]
    fn from_accepts_name_and_address() {
        let (config, errors) = check_email(
            "{from: 'Test MLS <no-reply@test.example>', outbox: out}",
            Mode::Demo,
        );
        assert_eq!(errors, "");
        assert_eq!(config.from, "Test MLS <no-reply@test.example>");
        assert_eq!(config.subject, "Your Test MLS verification code");
        assert!(
            matches!(config.transport, EmailTransport::Outbox { ref dir } if dir == Path::new("/srv/gw/out"))
        );
        let (_, errors) = check_email("{from: 'Test MLS <nobody>', outbox: out}", Mode::Demo);
        assert_eq!(
            errors,
            "email.from: \"Test MLS <nobody>\" is not an address or Name <address>"
        );
    }

    #[test]
    fn header_values_stay_on_one_line() {
        let (_, errors) = check_email(
            "{from: a@b.example, subject: \"Hi\\nBcc: x@evil.example\", outbox: o}",
            Mode::Demo,
        );
        assert_eq!(errors, "email.subject: must be a single line");
    }

    #[test]
    fn smtp_defaults_and_clear_text_password() {
        let (config, errors) = check_email(
            "{from: a@b.example, smtp: {host: mail, security: tls}}",
            Mode::Production,
        );
        assert_eq!(errors, "");
        assert!(matches!(
            config.transport,
            EmailTransport::Smtp {
                port: 465,
                security: SmtpSecurity::Tls,
                ..
            }
        ));
        let yaml = "{from: a@b.example, smtp: {host: mail, security: none, username: u, password: {env: PW}}}";
        let (_, errors) = check_email(yaml, Mode::Production);
        assert!(
            errors.contains("email.smtp.security: none would send the password in clear"),
            "{errors}"
        );
        assert!(
            errors.contains("email.smtp.password.env: environment variable PW is not set"),
            "{errors}"
        );
    }

    #[test]
    fn outbox_is_refused_in_production() {
        let (_, errors) = check_email("{from: a@b.example, outbox: out}", Mode::Production);
        assert!(
            errors.starts_with("email.outbox: the outbox writes codes to a local folder"),
            "{errors}"
        );
        let (_, errors) = check_email("{from: a@b.example}", Mode::Demo);
        assert_eq!(errors, "email: set one of smtp or outbox");
    }
}
