//! Sections about the organisation and its other systems: branding shown on pages, the roster
//! source (file or RESO Web API) and the admin listener.

use std::time::Duration;

use super::super::raw::{RawAdmin, RawBranding, RawReso, RawRoster};
use super::super::{
    AdminConfig, Branding, ListenConfig, ResoAuth, ResoConfig, RosterConfig, RosterSource,
};
use super::network::existing_file;
use super::{checks, Context, Report};

const SECOND: Duration = Duration::from_secs(1);
/// Bounds for timeouts of calls to outside services (SMTP, SMS, RESO).
pub(super) const SERVICE_TIMEOUT_RANGE: (Duration, Duration) = (SECOND, Duration::from_secs(120));
/// Timeout of calls to outside services unless configured.
pub(super) const DEFAULT_SERVICE_TIMEOUT: Duration = Duration::from_secs(10);
/// Shortest admin token accepted; anything shorter is guessable over the network.
const MIN_ADMIN_TOKEN_BYTES: usize = 16;

pub(super) fn branding(context: &mut Context, raw: &RawBranding) -> Branding {
    let report = &mut context.report;
    let logo = raw.logo.as_ref().map(|logo| {
        if logo.is_empty()
            || logo.starts_with('/')
            || logo.split('/').any(|part| part == ".." || part.is_empty())
        {
            report.error(
                "branding.logo",
                format!("\"{logo}\" must be a relative path inside static/, e.g. img/logo.svg"),
            );
        }
        logo.clone()
    });
    Branding {
        name: checks::non_empty(report, "branding.name", &raw.name),
        support_email: checks::email_address(report, "branding.support_email", &raw.support_email),
        support_phone: checks::non_empty(report, "branding.support_phone", &raw.support_phone),
        support_hours: raw.support_hours.clone().unwrap_or_default(),
        roster_update_url: raw
            .roster_update_url
            .as_ref()
            .map(|url| checks::web_url(report, "branding.roster_update_url", url, true)),
        primary_color: checks::hex_color(
            report,
            "branding.primary_color",
            raw.primary_color.as_deref().unwrap_or("#1f4e79"),
        ),
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
            if ![".yaml", ".yml", ".csv"]
                .iter()
                .any(|extension| lower.ends_with(extension))
            {
                context.report.error(
                    "roster.file",
                    format!(
                        "\"{file}\" must end in .yaml, .yml or .csv (that decides how it is read)"
                    ),
                );
            }
            RosterSource::File {
                path: context.resolver.path(file),
            }
        }
        (None, Some(reso)) => RosterSource::Reso(Box::new(reso_config(context, reso))),
        (Some(_), Some(_)) => {
            context
                .report
                .error("roster", "set only one of file or reso");
            RosterSource::None
        }
    };
    RosterConfig { source, cache_ttl }
}

fn reso_config(context: &mut Context, raw: &RawReso) -> ResoConfig {
    let allow_http = context.is_demo();
    let auth = match (&raw.bearer_token, &raw.client_credentials) {
        (Some(token), None) => ResoAuth::Bearer {
            token: context
                .secret("roster.reso.bearer_token", Some(token))
                .unwrap_or_default(),
        },
        (None, Some(credentials)) => ResoAuth::ClientCredentials {
            token_url: checks::web_url(
                &mut context.report,
                "roster.reso.client_credentials.token_url",
                &credentials.token_url,
                allow_http,
            ),
            client_id: checks::non_empty(
                &mut context.report,
                "roster.reso.client_credentials.client_id",
                &credentials.client_id,
            ),
            client_secret: context
                .secret(
                    "roster.reso.client_credentials.client_secret",
                    Some(&credentials.client_secret),
                )
                .unwrap_or_default(),
            scope: credentials.scope.clone(),
        },
        (bearer, _) => {
            let problem = if bearer.is_some() {
                "set only one of"
            } else {
                "set one of"
            };
            context.report.error(
                "roster.reso",
                format!("{problem} bearer_token or client_credentials"),
            );
            ResoAuth::Bearer {
                token: String::new(),
            }
        }
    };
    let ca_file = raw.ca_file.as_deref().map(|file| {
        let token_url = match &auth {
            ResoAuth::ClientCredentials { token_url, .. } => Some(token_url.as_str()),
            ResoAuth::Bearer { .. } => None,
        };
        if !raw.base_url.starts_with("https://")
            && !token_url.is_some_and(|url| url.starts_with("https://"))
        {
            context.report.error(
                "roster.reso.ca_file",
                "only used with https:// URLs (roster.reso.base_url or the token_url)",
            );
        }
        existing_file(context, "roster.reso.ca_file", file)
    });
    let report = &mut context.report;
    let field = |report: &mut Report, key: &str, value: &Option<String>, default: &str| match value
    {
        Some(value) => checks::non_empty(report, key, value),
        None => default.to_string(),
    };
    ResoConfig {
        base_url: checks::web_url(report, "roster.reso.base_url", &raw.base_url, allow_http),
        auth,
        login_id_field: field(
            report,
            "roster.reso.login_id_field",
            &raw.login_id_field,
            "MemberLoginId",
        ),
        email_field: field(
            report,
            "roster.reso.email_field",
            &raw.email_field,
            "MemberEmail",
        ),
        phone_field: field(
            report,
            "roster.reso.phone_field",
            &raw.phone_field,
            "MemberMobilePhone",
        ),
        name_field: field(
            report,
            "roster.reso.name_field",
            &raw.name_field,
            "MemberFullName",
        ),
        timeout: checks::duration_between(
            report,
            "roster.reso.timeout",
            raw.timeout.as_ref(),
            DEFAULT_SERVICE_TIMEOUT,
            SERVICE_TIMEOUT_RANGE,
        ),
        ca_file,
    }
}

pub(super) fn admin(context: &mut Context, raw: &RawAdmin, listen: &ListenConfig) -> AdminConfig {
    let address = checks::socket_addr(&mut context.report, "admin.address", &raw.address);
    if address == listen.address {
        context
            .report
            .error("admin.address", "is the same as listen.address");
    }
    let token = context.secret("admin.token", raw.token.as_ref());
    if token
        .as_ref()
        .is_some_and(|token| token.len() < MIN_ADMIN_TOKEN_BYTES)
    {
        context.report.error(
            "admin.token",
            format!("is shorter than {MIN_ADMIN_TOKEN_BYTES} characters"),
        );
    }
    // Without a token the admin API trusts whoever can connect: acceptable on loopback only.
    if raw.token.is_none() && !address.ip().is_loopback() {
        context.report.error(
            "admin.token",
            "required when admin.address is not a loopback address",
        );
    }
    AdminConfig {
        address,
        token: token.map(String::into_bytes),
    }
}
