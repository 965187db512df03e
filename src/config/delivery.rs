//! Where members' email addresses and mobile numbers come from (`roster`, file or RESO Web
//! API) and how codes reach them (`email` over SMTP, `sms` through a provider). Secrets in
//! these types never reach debug output.

use std::path::PathBuf;
use std::time::Duration;

/// Roster source.
#[derive(Debug, Clone)]
pub struct RosterConfig {
    pub source: RosterSource,
    /// How long a looked-up entry is cached (so a corrected roster shows up soon).
    pub cache_ttl: Duration,
}

/// Where roster entries come from.
#[derive(Debug, Clone)]
pub enum RosterSource {
    /// No roster: only the authenticator-app method can be used.
    None,
    /// A local YAML or CSV file (by extension) of login id, name, email, mobile phone.
    File { path: PathBuf },
    /// RESO Web API `Member` resource.
    Reso(Box<ResoConfig>),
}

/// RESO Web API access.
#[derive(Debug, Clone)]
pub struct ResoConfig {
    /// Base URL, e.g. `https://api.example.com/reso/odata`.
    pub base_url: String,
    pub auth: ResoAuth,
    pub login_id_field: String,
    pub email_field: String,
    pub phone_field: String,
    pub name_field: String,
    pub timeout: Duration,
    /// CA bundle trusted instead of the platform's roots (see [`crate::trust`]).
    pub ca_file: Option<PathBuf>,
}

/// How the gateway authenticates to the RESO API.
#[derive(Clone)]
pub enum ResoAuth {
    Bearer {
        token: String,
    },
    ClientCredentials {
        token_url: String,
        client_id: String,
        client_secret: String,
        scope: Option<String>,
    },
}

impl std::fmt::Debug for ResoAuth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ResoAuth::Bearer { .. } => write!(f, "Bearer(<redacted>)"),
            ResoAuth::ClientCredentials {
                token_url,
                client_id,
                ..
            } => {
                write!(f, "ClientCredentials {{ token_url: {token_url:?}, client_id: {client_id:?}, secret: <redacted> }}")
            }
        }
    }
}

/// Email delivery of codes.
#[derive(Debug, Clone)]
pub struct EmailConfig {
    pub transport: EmailTransport,
    /// `From:` header, e.g. `SmartMLS <no-reply@connectmls.com>`.
    pub from: String,
    pub subject: String,
}

/// How emails leave the gateway.
#[derive(Clone)]
pub enum EmailTransport {
    Smtp {
        host: String,
        port: u16,
        security: SmtpSecurity,
        username: Option<String>,
        password: Option<String>,
        timeout: Duration,
        /// CA bundle trusted instead of the platform's roots (see [`crate::trust`]).
        ca_file: Option<PathBuf>,
    },
    /// Writes messages to a folder; refused outside demo mode.
    Outbox { dir: PathBuf },
}

impl std::fmt::Debug for EmailTransport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            EmailTransport::Smtp { host, port, security, username, ca_file, .. } => write!(
                f,
                "Smtp {{ host: {host:?}, port: {port}, security: {security:?}, username: {username:?}, password: <redacted>, ca_file: {ca_file:?} }}"
            ),
            EmailTransport::Outbox { dir } => write!(f, "Outbox {{ dir: {dir:?} }}"),
        }
    }
}

/// SMTP transport security.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmtpSecurity {
    /// Plain SMTP (local relays only).
    None,
    StartTls,
    /// Implicit TLS (port 465).
    Tls,
}

/// Text-message delivery.
#[derive(Debug, Clone)]
pub struct SmsConfig {
    pub provider: SmsProvider,
    /// Sender number shown to members, e.g. `+18336972963`.
    pub from: String,
    pub timeout: Duration,
    /// CA bundle trusted instead of the platform's roots (see [`crate::trust`]).
    pub ca_file: Option<PathBuf>,
}

/// SMS provider.
#[derive(Clone)]
pub enum SmsProvider {
    /// Twilio-compatible Messages API.
    Twilio {
        base_url: String,
        account_sid: String,
        auth_token: String,
    },
    /// Generic JSON webhook: POST `{"to","from","body"}` with an optional bearer token.
    Webhook {
        url: String,
        bearer_token: Option<String>,
    },
    /// Writes messages to a folder; refused outside demo mode.
    Outbox { dir: PathBuf },
}

impl std::fmt::Debug for SmsProvider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SmsProvider::Twilio {
                base_url,
                account_sid,
                ..
            } => {
                write!(f, "Twilio {{ base_url: {base_url:?}, account_sid: {account_sid:?}, auth_token: <redacted> }}")
            }
            SmsProvider::Webhook { url, .. } => write!(f, "Webhook {{ url: {url:?} }}"),
            SmsProvider::Outbox { dir } => write!(f, "Outbox {{ dir: {dir:?} }}"),
        }
    }
}
