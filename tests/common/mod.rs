//! Test harness: a tiny DSL in the spirit of linkerd2-proxy's — start the demo legacy site,
//! start the real gateway binary in front of it on a free port, drive both with a client that
//! keeps cookies the way a browser does.
//!
//! The stores behind the gateway follow the test binary ([`Backend::of_this_binary`]): SQLite +
//! memory, or PostgreSQL + Redis for binaries named `scaleout*`. [`Harness::start_peer`] starts
//! a second gateway instance on the same stores and key files.

#![allow(dead_code)]

pub mod backend;
pub mod browser;
pub mod instance;
pub mod legacy;
pub mod totp;
pub mod zoo;

use std::net::{SocketAddr, TcpListener as StdListener};
use std::path::{Path, PathBuf};
use std::process::Child;
use std::sync::Arc;
use std::time::Duration;

use mfa_gateway::demo::{demo_users, DemoSite, DemoUser};

pub use backend::{Backend, ServerStores};
pub use browser::{Browser, Resp};
pub use instance::Peer;

use instance::{spawn_gateway, terminate, wait_for_port};

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
            tls: false,
            code_ttl: "5m".into(),
            smtp_port: None,
            twilio_base_url: None,
            reso: None,
            admin: false,
            cookie_key_ids: vec!["k1".into()],
            secret_key_ids: vec!["k1".into()],
            upstream: None,
            backend: Backend::of_this_binary(),
            postgres_via: None,
            redis_via: None,
            site_yaml: None,
            edge_yaml: None,
            revocation_check: "5s".into(),
            verify_contact: Some(false),
            allow_unlisted: None,
        }
    }
}

/// The admin API token the harness configures when `GatewayOptions::admin` is set.
pub const ADMIN_TOKEN: &str = "test-admin-token-0123456789abcdef";

/// Account of the fake Twilio provider.
pub const TWILIO_SID: &str = "AC00000000000000000000000000000001";
/// Its auth token (written to a file: secrets never sit in the config).
pub const TWILIO_TOKEN: &str = "test-twilio-auth-token";

/// A free TCP port on loopback (the OS picks; released just before the gateway binds it).
///
/// Ports come from 20000–32767, below Linux's ephemeral range (32768–60999): a port handed
/// out by `bind(0)` elsewhere (another test's demo site, a client socket) can then never be
/// the one a gateway is about to bind, which made tests talk to the wrong server.
pub fn free_port() -> u16 {
    use std::sync::atomic::{AtomicU16, Ordering};
    static NEXT: AtomicU16 = AtomicU16::new(0);
    let seed = (std::process::id() as u16).wrapping_mul(7919) % 12_000;
    for _ in 0..12_000 {
        let offset = NEXT.fetch_add(1, Ordering::Relaxed).wrapping_add(seed) % 12_000;
        let port = 20_000 + offset;
        if StdListener::bind(("127.0.0.1", port)).is_ok() {
            return port;
        }
    }
    panic!("no free port in 20000-32000")
}

/// The demo site plus one running gateway process.
pub struct Harness {
    pub site: DemoSite,
    pub users: Vec<DemoUser>,
    pub dir: tempfile::TempDir,
    pub port: u16,
    /// Port of the admin listener (used only when `options.admin`).
    pub admin_port: u16,
    pub options: GatewayOptions,
    child: Option<Child>,
    /// This test's schema and key prefix on the servers (with [`Backend::Servers`]); shared
    /// with peers, removed when the last of them is dropped.
    pub stores: Option<Arc<ServerStores>>,
    /// The real third-party legacy app the gateway fronts instead of the demo site, in the
    /// binaries named after a stack (`legacy_php`, …; see [`legacy::Stack::of_this_binary`]).
    pub legacy: Option<legacy::LegacyApp>,
}

impl Harness {
    /// Starts the demo site and a gateway with `options`. Panics if the options need the
    /// PostgreSQL / Redis servers and they are not configured: suites that also run on the
    /// servers use [`Harness::start_or_skip`].
    pub async fn start(options: GatewayOptions) -> Harness {
        Self::start_or_skip(options)
            .await
            .expect("MFA_TEST_POSTGRES_URL / MFA_TEST_REDIS_URL are not set")
    }

    /// Like [`Harness::start`], but `None` (after printing `SKIPPED`) when the options need the
    /// servers and they are not configured outside CI.
    pub async fn start_or_skip(options: GatewayOptions) -> Option<Harness> {
        let stores = match options.backend {
            Backend::Local => None,
            Backend::Servers => Some(Arc::new(ServerStores::create().await?)),
        };
        // In a binary named after a legacy stack, the suites run in front of that stack.
        let mut options = options;
        let legacy = match legacy::Stack::of_this_binary() {
            Some(stack) if options.upstream.is_none() => {
                let app = legacy::LegacyApp::start(stack).await?;
                options.upstream = Some(app.addr());
                options.site_yaml = Some(zoo::site_yaml(app.profile(), true));
                Some(app)
            }
            _ => None,
        };
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind site");
        let users = demo_users();
        let site = DemoSite::start(listener, users.clone())
            .await
            .expect("start site");
        let dir = tempfile::tempdir().expect("tempdir");
        for name in ["cookie-k1.key", "secret-k1.key"] {
            mfa_gateway::config::keys::ensure_key_file(&dir.path().join("keys").join(name))
                .expect("key file");
        }
        if options.tls {
            let cert = rcgen::generate_simple_self_signed(vec!["localhost".to_string()])
                .expect("self-signed cert");
            std::fs::write(dir.path().join("cert.pem"), cert.cert.pem()).expect("cert");
            std::fs::write(dir.path().join("key.pem"), cert.key_pair.serialize_pem()).expect("key");
        }
        let roster = mfa_gateway::demo::demo_roster_yaml(&users);
        std::fs::write(dir.path().join("roster.yaml"), roster).expect("roster");
        std::fs::write(dir.path().join("twilio.token"), TWILIO_TOKEN).expect("token");
        let mut h = Harness {
            site,
            users,
            dir,
            port: free_port(),
            admin_port: free_port(),
            options,
            child: None,
            stores,
            legacy,
        };
        h.write_config();
        h.start_gateway().await;
        Some(h)
    }

    /// Starts another gateway instance on its own ports with the same stores, key files,
    /// roster and upstream (several gateways behind a load balancer).
    pub async fn start_peer(&self) -> Peer {
        let (port, admin_port) = (free_port(), free_port());
        let config = self.dir.path().join(format!("gateway-{port}.yaml"));
        let audit = format!("audit-{port}.log");
        std::fs::write(&config, self.config_yaml(port, admin_port, &audit)).expect("peer config");
        let mut peer = Peer {
            port,
            admin_port,
            config,
            log: self.dir.path().join(format!("gateway-{port}.log")),
            child: None,
            _stores: self.stores.clone(),
        };
        peer.start().await;
        peer
    }

    /// Path of the generated config.
    pub fn config_path(&self) -> PathBuf {
        self.dir.path().join("gateway.yaml")
    }

    /// Path of the gateway's captured log.
    pub fn log_path(&self) -> PathBuf {
        self.dir.path().join("gateway.log")
    }

    /// Everything the gateway logged so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.log_path()).unwrap_or_default()
    }

    /// Writes the YAML for the current options.
    pub fn write_config(&self) {
        let yaml = self.config_yaml(self.port, self.admin_port, "audit.log");
        std::fs::write(self.config_path(), yaml).expect("write config");
    }

    /// The YAML for the current options, listening on `port` (admin listener on `admin_port`,
    /// audit log `audit_file` in the test directory, when `options.admin`).
    fn config_yaml(&self, port: u16, admin_port: u16, audit_file: &str) -> String {
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
{site_section}{edge_section}mfa:
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
            site_section = o.site_yaml.as_deref().unwrap_or(DEMO_SITE_YAML),
            edge_section = o.edge_yaml.as_deref().unwrap_or(""),
            storage = backend::storage_yaml(
                self.stores.as_deref(),
                self.dir.path(),
                o.postgres_via,
                o.redis_via,
            ),
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
        if o.admin {
            std::fs::write(self.dir.path().join("admin.token"), ADMIN_TOKEN).expect("admin token");
            yaml.push_str(&format!(
                "admin:\n  address: 127.0.0.1:{admin_port}\n  token: {{file: {d}/admin.token}}\naudit:\n  file: {d}/{audit_file}\n",
                d = self.dir.path().display()
            ));
        }
        yaml
    }

    /// Base URL of the admin listener.
    pub fn admin_url(&self) -> String {
        format!("http://127.0.0.1:{}", self.admin_port)
    }

    /// Path of the audit log (written when `options.admin`).
    pub fn audit_path(&self) -> PathBuf {
        self.dir.path().join("audit.log")
    }

    /// Process id of the running gateway, if one was started and not stopped.
    pub fn gateway_pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    /// True once the gateway process started by the harness has exited (reaping it).
    pub fn gateway_exited(&mut self) -> bool {
        self.child
            .as_mut()
            .is_none_or(|child| matches!(child.try_wait(), Ok(Some(_))))
    }

    /// Starts the gateway binary and waits until it accepts connections.
    pub async fn start_gateway(&mut self) {
        let mut child = spawn_gateway(&self.config_path(), &self.log_path());
        wait_for_port(self.port, &mut child, &self.log_path()).await;
        self.child = Some(child);
    }

    /// Stops the gateway (SIGTERM, then waits).
    pub fn stop_gateway(&mut self) {
        if let Some(child) = self.child.take() {
            terminate(child);
        }
    }

    /// Kills the gateway outright (SIGKILL: a crash, no graceful shutdown) and reaps it.
    pub fn kill_gateway(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Stops and starts the gateway with the same config and data.
    pub async fn restart_gateway(&mut self) {
        self.stop_gateway();
        self.start_gateway().await;
    }

    /// Base URL of the gateway.
    pub fn url(&self) -> String {
        if self.options.tls {
            format!("https://localhost:{}", self.port)
        } else {
            format!("http://127.0.0.1:{}", self.port)
        }
    }

    /// A new browser (empty cookie jar) pointed at the gateway.
    pub fn browser(&self) -> Browser {
        let mut b = Browser::new(&self.url());
        b.login_profile = self.legacy.as_ref().map(|app| app.profile());
        b
    }

    /// Name of the legacy app's session cookie.
    pub fn session_cookie(&self) -> &'static str {
        self.legacy
            .as_ref()
            .map_or("MLSSESSION", |app| app.profile().session_cookie)
    }

    /// Whether the legacy app says the browser is signed in, asked through the gateway: the
    /// demo site's dashboard answers 200 only with a session; a zoo app's `/whoami` names the
    /// member (a client holding a login that waits for MFA gets the JSON challenge: nobody).
    pub async fn signed_in(&self, b: &mut Browser) -> bool {
        match &self.legacy {
            None => b.get("/").await.status == 200,
            Some(app) => zoo::Zoo::whoami_at(b, app.profile().whoami_path)
                .await
                .is_some(),
        }
    }

    /// Where the legacy app sends a member after signing in.
    pub fn after_login_path(&self) -> &'static str {
        self.legacy
            .as_ref()
            .map_or("/", |app| app.profile().home_path)
    }

    /// The name of the stack in front of which the suites run (`demo` for the demo site), for
    /// cases that only make sense on one of them.
    pub fn stack_name(&self) -> &'static str {
        self.legacy
            .as_ref()
            .map_or("demo", |app| app.profile().name)
    }

    /// The demo member `i`.
    pub fn user(&self, i: usize) -> &DemoUser {
        &self.users[i]
    }

    /// True if the legacy site ever saw an authenticated request for `user`.
    pub fn site_saw_session_of(&self, user: &str) -> bool {
        if let Some(app) = &self.legacy {
            // The login POST itself is left out: Tomcat logs the member it signs in there.
            let login = app.profile().login_path;
            return app.requests().iter().any(|r| {
                !(r.method == "POST" && r.path.starts_with(login))
                    && r.user
                        .as_deref()
                        .is_some_and(|u| u.eq_ignore_ascii_case(user))
            });
        }
        self.site.seen().iter().any(|r| {
            r.session_user
                .as_deref()
                .is_some_and(|u| u.eq_ignore_ascii_case(user))
        })
    }
}

impl Drop for Harness {
    fn drop(&mut self) {
        self.stop_gateway();
        self.site.shutdown();
    }
}

/// What an enrollment produced.
#[derive(Debug, Clone)]
pub struct Enrolled {
    pub secret: Vec<u8>,
    /// Last TOTP step the gateway accepted for this member.
    pub last_step: u64,
}

impl Enrolled {
    /// A code the gateway has not accepted yet, waiting for the clock if every step within the
    /// ±1 window has been used (a correctness wait, not a speed assumption).
    pub async fn fresh_code(&mut self) -> String {
        loop {
            let now = totp::current_step();
            let candidate = (self.last_step + 1).max(now.saturating_sub(1));
            if candidate <= now + 1 {
                self.last_step = candidate;
                return totp::code_at_step(&self.secret, candidate);
            }
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
    }
}

/// Logs in and completes authenticator-app enrollment choosing `remember_secs`; returns the
/// secret and the final response (the release redirect).
pub async fn enroll_app(b: &mut Browser, user: &DemoUser, remember_secs: u64) -> (Enrolled, Resp) {
    let login = b.login(&user.username, &user.password).await;
    assert_eq!(login.status, 303, "login should be held: {login:?}");
    assert_eq!(login.location.as_deref(), Some("/_mfa/"));
    enroll_held(b, remember_secs).await
}

/// With a login held (at `/_mfa/`): completes authenticator-app set-up choosing
/// `remember_secs`; returns the secret and the release response.
pub async fn enroll_held(b: &mut Browser, remember_secs: u64) -> (Enrolled, Resp) {
    let mut page = b.get("/_mfa/").await;
    assert_eq!(page.status, 200, "{}", page.body);
    if page.otpauth_uri().is_none() {
        // Several methods enabled: choose the authenticator app.
        let csrf = page.input_value("csrf").expect("csrf on the choice page");
        page = b
            .post_form("/_mfa/enroll", &[("csrf", &csrf), ("method", "app")])
            .await;
    }
    let uri = page
        .otpauth_uri()
        .unwrap_or_else(|| panic!("no otpauth uri: {}", page.body));
    let secret = totp::secret_from_uri(&uri);
    let csrf = page.input_value("csrf").expect("csrf");
    let step = totp::current_step();
    let code = totp::code_at_step(&secret, step);
    let remember = remember_secs.to_string();
    let done = b
        .post_form(
            "/_mfa/enroll/app",
            &[("csrf", &csrf), ("code", &code), ("remember", &remember)],
        )
        .await;
    (
        Enrolled {
            secret,
            last_step: step,
        },
        done,
    )
}

/// Submits a code on the challenge page of the current held login.
pub async fn submit_code(b: &mut Browser, code: &str) -> Resp {
    let page = b.get("/_mfa/").await;
    let csrf = page.input_value("csrf").unwrap_or_default();
    b.post_form("/_mfa/verify", &[("csrf", &csrf), ("code", code)])
        .await
}

/// 30 days in seconds (the default trust period).
pub const THIRTY_DAYS: u64 = 30 * 86_400;

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
