//! The gateway's configuration in the tests: the knobs a test turns ([`GatewayOptions`]), the
//! demo site's `site:` section, the tokens the harness writes to files, and the YAML the
//! harness writes for a gateway instance from them.

use std::net::SocketAddr;
use std::path::Path;

use super::backend::{self, Backend};
use super::Harness;

/// Knobs the tests turn; everything else is the demo's configuration.
#[derive(Debug, Clone)]
pub struct GatewayOptions {
    pub enforce_from: String,
    pub trust_periods: Vec<String>,
    pub default_trust_period: String,
    pub per_challenge: u32,
    pub per_user_before_backoff: u32,
    pub per_user_lockout: u32,
    pub methods: Vec<String>,
    /// Serve HTTPS with a self-signed certificate for `localhost` (cookies then get `Secure`
    /// and the `__Host-` prefix automatically).
    pub tls: bool,
    /// Validity of emailed / texted codes.
    pub code_ttl: String,
    /// Port of a real SMTP receiver: enables the `email:` section (plain SMTP).
    pub smtp_port: Option<u16>,
    /// Base URL of a Twilio-compatible provider: enables the `sms:` section.
    pub twilio_base_url: Option<String>,
    /// RESO Web API roster (base URL, bearer token) instead of the roster file.
    pub reso: Option<(String, String)>,
    /// Start the admin listener on a free loopback port with [`ADMIN_TOKEN`], and write the
    /// audit log to `audit.log` in the test directory.
    pub admin: bool,
    /// Ids of the cookie keys listed (first = current); files `keys/cookie-<id>.key`.
    pub cookie_key_ids: Vec<String>,
    /// Ids of the secret keys listed (first = current); files `keys/secret-<id>.key`.
    pub secret_key_ids: Vec<String>,
    /// Another upstream instead of the demo site (e.g. a hostile legacy app in attack tests).
    pub upstream: Option<String>,
    /// More keys of the `upstream:` section (each line indented two spaces, ending in a
    /// newline), e.g. `tls`, `sni`, `ca_file`.
    pub upstream_yaml: Option<String>,
    /// Which stores the gateway uses (default: the test binary's, see
    /// [`Backend::of_this_binary`]).
    pub backend: Backend,
    /// With [`Backend::Servers`]: reach PostgreSQL at this address (a relay the test can cut)
    /// instead of the server's own.
    pub postgres_via: Option<SocketAddr>,
    /// With [`Backend::Servers`]: reach Redis at this address instead of the server's own.
    pub redis_via: Option<SocketAddr>,
    /// The whole `site:` section (ending in a newline) for another legacy app than the demo
    /// site (see `tests/common/zoo.rs`); `None` = [`DEMO_SITE_YAML`].
    pub site_yaml: Option<String>,
    /// An `edge:` section (ending in a newline); `None` = the defaults.
    pub edge_yaml: Option<String>,
    /// `mfa.revocation_check` (how stale a member's cached epoch may be).
    pub revocation_check: String,
    /// `mfa.enrollment.verify_contact`; `None` leaves it out (the product default: on with a
    /// roster and email / text). The default here is `Some(false)`: the suites written before
    /// the contact proof set up with the password alone; `tests/enrollment_policy.rs` covers
    /// the proof.
    pub verify_contact: Option<bool>,
    /// `mfa.enrollment.allow_unlisted`; `None` leaves it out (product default: false).
    pub allow_unlisted: Option<bool>,
    /// `access_log.format` (json / combined) of an access log written to `access.log` in the
    /// test directory; `None` = no access log (the product default).
    pub access_log: Option<&'static str>,
    /// The whole `storage:` section (ending in a newline) instead of the backend's, e.g. for
    /// servers a test starts itself; relative paths are read from the test directory.
    pub storage_yaml: Option<String>,
    /// More environment variables for the harness's own gateway process (not its peers),
    /// e.g. `SSL_CERT_FILE`.
    pub gateway_env: Vec<(String, String)>,
}

/// The `site:` section for the demo legacy site.
pub const DEMO_SITE_YAML: &str = r#"site:
  login:
    path: /login
    username_field: username
    success:
      status: [302, 303]
      sets_session_cookie: true
      location_not_prefix: [/login]
  session_cookies: [MLSSESSION]
  logout:
    - path: /logout
    - path: /api/logout
      forget_device: true
  public_paths: [/static/, /favicon.ico]
  api_paths: [/api/]
  api_login:
    path: /api/login
    success:
      token_pointer: /token
"#;

impl Default for GatewayOptions {
    fn default() -> Self {
        GatewayOptions {
            enforce_from: "2025-11-05".into(),
            trust_periods: vec!["24h".into(), "30d".into()],
            default_trust_period: "30d".into(),
            per_challenge: 5,
            per_user_before_backoff: 10,
            per_user_lockout: 100,
            methods: vec!["app".into()],
            // On in the `h2_*` binaries: browsers there speak HTTP/2, which needs TLS.
            tls: super::transport::Transport::of_this_binary()
                == super::transport::Transport::Http2,
            code_ttl: "5m".into(),
            smtp_port: None,
            twilio_base_url: None,
            reso: None,
            admin: false,
            cookie_key_ids: vec!["k1".into()],
            secret_key_ids: vec!["k1".into()],
            upstream: None,
            upstream_yaml: None,
            backend: Backend::of_this_binary(),
            postgres_via: None,
            redis_via: None,
            site_yaml: None,
            edge_yaml: None,
            revocation_check: "5s".into(),
            verify_contact: Some(false),
            allow_unlisted: None,
            access_log: None,
            storage_yaml: None,
            gateway_env: Vec::new(),
        }
    }
}

/// The admin API token the harness configures when `GatewayOptions::admin` is set.
pub const ADMIN_TOKEN: &str = "test-admin-token-0123456789abcdef";

/// Account of the fake Twilio provider.
pub const TWILIO_SID: &str = "AC00000000000000000000000000000001";
/// Its auth token (written to a file: secrets never sit in the config).
pub const TWILIO_TOKEN: &str = "test-twilio-auth-token";

impl Harness {
    /// The YAML for the current options, listening on `port` (admin listener on `admin_port`,
    /// audit log `audit_file` in the test directory, when `options.admin`).
    pub(super) fn config_yaml(&self, port: u16, admin_port: u16, audit_file: &str) -> String {
        let o = &self.options;
        let list = |v: &[String]| format!("[{}]", v.join(", "));
        let yaml = format!(
            r#"
mode: demo
listen:
  address: 127.0.0.1:{port}
{tls}threads: 2
upstream:
  address: {site}
{upstream_more}{site_section}{edge_section}mfa:
  enforce_from: "{enforce}"
  methods: {methods}
  code_ttl: {code_ttl}
  attempts:
    per_challenge: {per_challenge}
    per_user_before_backoff: {before_backoff}
    per_user_lockout: {lockout}
  trust_periods: {periods}
  default_trust_period: {default_period}
  revocation_check: {revocation_check}
{enrollment}{cookies}{storage}keys:
  cookie:
{cookie_keys}  secret:
{secret_keys}branding:
  name: SmartMLS
  support_email: support@smartmls.com
  support_phone: "(203) 750-6000"
  support_hours: "Mon-Thu 8:30am-7:00pm"
  roster_update_url: https://www.smartmls.com/roster
"#,
            port = port,
            upstream_more = o.upstream_yaml.as_deref().unwrap_or(""),
            site_section = o.site_yaml.as_deref().unwrap_or(DEMO_SITE_YAML),
            edge_section = o.edge_yaml.as_deref().unwrap_or(""),
            storage = o
                .storage_yaml
                .clone()
                .unwrap_or_else(|| backend::storage_yaml(
                    self.stores.as_deref(),
                    self.dir.path(),
                    o.postgres_via,
                    o.redis_via,
                )),
            tls = if o.tls {
                format!(
                    "  tls:\n    cert_file: {d}/cert.pem\n    key_file: {d}/key.pem\n",
                    d = self.dir.path().display()
                )
            } else {
                String::new()
            },
            cookies = if o.tls {
                String::new()
            } else {
                "cookies:\n  secure: \"false\"\n".to_string()
            },
            site = o
                .upstream
                .clone()
                .unwrap_or_else(|| self.site.addr().to_string()),
            enforce = o.enforce_from,
            methods = list(&o.methods),
            per_challenge = o.per_challenge,
            before_backoff = o.per_user_before_backoff,
            lockout = o.per_user_lockout,
            periods = list(&o.trust_periods),
            default_period = o.default_trust_period,
            code_ttl = o.code_ttl,
            revocation_check = o.revocation_check,
            enrollment = {
                let mut e = String::new();
                if let Some(v) = o.verify_contact {
                    e.push_str(&format!("    verify_contact: {v}\n"));
                }
                if let Some(v) = o.allow_unlisted {
                    e.push_str(&format!("    allow_unlisted: {v}\n"));
                }
                if e.is_empty() {
                    e
                } else {
                    format!("  enrollment:\n{e}")
                }
            },
            cookie_keys = key_list(&o.cookie_key_ids, "cookie", self.dir.path()),
            secret_keys = key_list(&o.secret_key_ids, "secret", self.dir.path()),
        );
        let mut yaml = yaml;
        match &o.reso {
            None => yaml.push_str(&format!(
                "roster:\n  file: {}/roster.yaml\n",
                self.dir.path().display()
            )),
            Some((url, token)) => {
                std::fs::write(self.dir.path().join("reso.token"), token).expect("reso token");
                yaml.push_str(&format!(
                    "roster:\n  cache_ttl: 1s\n  reso:\n    base_url: {url}\n    bearer_token: {{file: {}/reso.token}}\n",
                    self.dir.path().display()
                ));
            }
        }
        if let Some(port) = o.smtp_port {
            yaml.push_str(&format!(
                "email:\n  from: \"SmartMLS <no-reply@connectmls.com>\"\n  smtp:\n    host: 127.0.0.1\n    port: {port}\n    security: none\n    timeout: 5s\n"
            ));
        }
        if let Some(url) = &o.twilio_base_url {
            yaml.push_str(&format!(
                "sms:\n  from: \"+18336972963\"\n  twilio:\n    base_url: {url}\n    account_sid: {TWILIO_SID}\n    auth_token: {{file: {}/twilio.token}}\n",
                self.dir.path().display()
            ));
        }
        if let Some(format) = o.access_log {
            yaml.push_str(&format!(
                "access_log:\n  file: {}/access.log\n  format: {format}\n",
                self.dir.path().display()
            ));
        }
        if o.admin {
            std::fs::write(self.dir.path().join("admin.token"), ADMIN_TOKEN).expect("admin token");
            yaml.push_str(&format!(
                "admin:\n  address: 127.0.0.1:{admin_port}\n  token: {{file: {d}/admin.token}}\naudit:\n  file: {d}/{audit_file}\n",
                d = self.dir.path().display()
            ));
        }
        yaml
    }
}

/// YAML list entries for key files named `<kind>-<id>.key` under `dir/keys`.
fn key_list(ids: &[String], kind: &str, dir: &Path) -> String {
    ids.iter()
        .map(|id| {
            format!(
                "    - id: {id}\n      file: {}/keys/{kind}-{id}.key\n",
                dir.display()
            )
        })
        .collect()
}
