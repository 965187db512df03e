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
pub mod transport;
pub mod zoo;

mod flows;
mod gateway_config;

use std::net::TcpListener as StdListener;
use std::path::PathBuf;
use std::process::{Child, ExitStatus};
use std::sync::Arc;
use std::time::{Duration, Instant};

use mfa_gateway::demo::{demo_users, DemoSite, DemoUser};

pub use backend::{Backend, ServerStores};
pub use browser::{Browser, Resp};
// The harness is used flat (`common::GatewayOptions`, `common::enroll_app`, …); not every test
// binary uses every item (as with `dead_code` above).
#[allow(unused_imports)]
pub use flows::{enroll_app, enroll_held, submit_code, Enrolled, THIRTY_DAYS};
#[allow(unused_imports)]
pub use gateway_config::{GatewayOptions, ADMIN_TOKEN, DEMO_SITE_YAML, TWILIO_SID, TWILIO_TOKEN};
pub use instance::Peer;

use instance::{spawn_gateway_with_env, terminate, wait_for_port};

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
        let mut h = Self::prepare_or_skip(options).await?;
        h.start_gateway().await;
        Some(h)
    }

    /// Everything [`Harness::start_or_skip`] does except starting the gateway (its config is
    /// written): for tests that start it themselves, e.g. to watch it refuse to start
    /// ([`Harness::run_until_exit`]).
    pub async fn prepare_or_skip(options: GatewayOptions) -> Option<Harness> {
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
        let h = Harness {
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
            tls: self.options.tls,
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
        let mut child = spawn_gateway_with_env(
            &self.config_path(),
            &self.log_path(),
            &self.options.gateway_env,
        );
        wait_for_port(self.port, &mut child, &self.log_path()).await;
        self.child = Some(child);
    }

    /// Runs the gateway with the written config, expecting it to stop by itself (a start-up
    /// refusal) within `limit`: returns its exit status and what it logged on this run.
    /// Panics (after killing it) if it still runs then.
    pub async fn run_until_exit(&self, limit: Duration) -> (ExitStatus, String) {
        let logged_before = self.log().len();
        let mut child = spawn_gateway_with_env(
            &self.config_path(),
            &self.log_path(),
            &self.options.gateway_env,
        );
        let deadline = Instant::now() + limit;
        loop {
            if let Some(status) = child.try_wait().expect("wait for the gateway") {
                let log = self.log();
                return (status, log.get(logged_before..).unwrap_or(&log).to_string());
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                let _ = child.wait();
                panic!("the gateway still runs after {limit:?}:\n{}", self.log());
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
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

    /// The on-the-wire name of the gateway cookie `base` (`mfa_trust`, `mfa_bind`,
    /// `mfa_pending`): `__Host-` prefixed when this gateway serves HTTPS.
    pub fn gateway_cookie(&self, base: &str) -> String {
        transport::gateway_cookie_name(base, self.options.tls)
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
