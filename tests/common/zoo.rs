//! The gateway in front of a real third-party legacy stack from `tests/legacy/` (see
//! [`super::legacy`]): the app is started, the gateway is configured from the app's
//! [`Profile`], and the tests drive the app's own login flow through the gateway. The oracle
//! is always the app's own view of who is signed in: its request log and its `/whoami`.

use super::legacy::{LegacyApp, Profile, Stack};
use super::{Browser, GatewayOptions, Harness, Resp};

/// A legacy app with the gateway in front of it.
pub struct Zoo {
    pub app: LegacyApp,
    pub gw: Harness,
}

/// The gateway's `site:` section for a stack.
pub fn site_yaml(p: &Profile, with_api_login: bool) -> String {
    let mut yaml = format!(
        r#"site:
  login:
    path: {login}
    username_field: {field}
    pre_login_session: {pre}
    success:
      status: [302, 303]
      sets_session_cookie: true
      location_not_prefix: [{failure}]
  session_cookies: ["{cookie}"]
  logout:
    - path: {logout}
  api_paths: [/api/]
"#,
        login = p.login_path,
        field = p.username_field,
        pre = p.needs_pre_login_session,
        failure = p.login_failure_prefix,
        cookie = p.session_cookie,
        logout = p.logout_path,
    );
    if let (Some(api), true) = (p.api_login, with_api_login) {
        yaml.push_str(&format!(
            "  api_login:\n    path: {}\n    username_pointer: {}\n    success:\n      status: [200]\n      sets_session_cookie: true\n",
            api.path, api.username_pointer
        ));
    }
    yaml
}

/// The `site.identity` probe for a stack: its own "who am I" page, the member at `/user`.
pub fn identity_yaml(p: &Profile) -> String {
    format!(
        "  identity:\n    path: {}{PROBE_QUERY}\n    json_pointer: /user\n    timeout: 2s\n",
        p.whoami_path
    )
}

/// Query the tests' identity probe carries, so the oracle can tell the gateway's own probe
/// (the one sanctioned request with a held session: the gateway asking the app who it belongs
/// to, its answer never given to the client) from a member's or an attacker's request.
pub const PROBE_QUERY: &str = "?source=mfa-gateway-probe";

impl Zoo {
    /// Like [`Zoo::start`] with the identity probe configured.
    pub async fn start_with_probe(stack: Stack) -> Option<Zoo> {
        Self::start_with_site(stack, |p| {
            format!("{}{}", site_yaml(p, true), identity_yaml(p))
        })
        .await
    }

    /// Starts `stack` and a gateway whose `site:` section is `site(profile)`.
    pub async fn start_with_site(
        stack: Stack,
        site: impl FnOnce(&Profile) -> String,
    ) -> Option<Zoo> {
        let app = LegacyApp::start(stack).await?;
        let options = GatewayOptions {
            upstream: Some(app.addr()),
            site_yaml: Some(site(app.profile())),
            ..GatewayOptions::default()
        };
        let gw = Harness::start_or_skip(options).await?;
        Some(Zoo { app, gw })
    }

    /// Starts `stack` and a gateway in front of it; `None` (after `SKIPPED`) when the stack
    /// is not installed outside CI.
    pub async fn start(stack: Stack) -> Option<Zoo> {
        Self::start_with(stack, GatewayOptions::default(), true).await
    }

    /// Like [`Zoo::start`] with gateway options; the upstream and `site:` come from the app.
    pub async fn start_with(
        stack: Stack,
        options: GatewayOptions,
        with_api_login: bool,
    ) -> Option<Zoo> {
        let app = LegacyApp::start(stack).await?;
        let options = GatewayOptions {
            upstream: Some(app.addr()),
            site_yaml: Some(site_yaml(app.profile(), with_api_login)),
            ..options
        };
        let gw = Harness::start_or_skip(options).await?;
        Some(Zoo { app, gw })
    }

    /// The app's profile.
    pub fn profile(&self) -> &'static Profile {
        self.app.profile()
    }

    /// A new browser pointed at the gateway.
    pub fn browser(&self) -> Browser {
        self.gw.browser()
    }

    /// Signs in through the gateway with the app's own flow (for Tomcat: first the protected
    /// page, which hands out the form and the anonymous session FORM auth needs). `next` is
    /// sent for stacks that have a `next` field.
    pub async fn login(
        &self,
        b: &mut Browser,
        user: &str,
        password: &str,
        next: Option<&str>,
    ) -> Resp {
        let p = self.profile();
        let page = b.get(p.login_page).await;
        assert!(page.status < 500, "login page: {page:?}");
        let mut form = vec![(p.username_field, user), (p.password_field, password)];
        if let (Some(field), Some(next)) = (p.next_field, next) {
            form.push((field, next));
        }
        b.post_form(p.login_path, &form).await
    }

    /// Who the app says the browser's session belongs to, asked through the gateway.
    pub async fn whoami(&self, b: &mut Browser) -> Option<String> {
        Self::whoami_at(b, self.profile().whoami_path).await
    }

    /// Like [`Zoo::whoami`] at another "who am I" path (e.g. `/api/whoami`). A client holding
    /// a login still waiting for MFA gets the gateway's JSON challenge instead: nobody then.
    pub async fn whoami_at(b: &mut Browser, path: &str) -> Option<String> {
        let resp = b.get_with(path, &[("accept", "application/json")]).await;
        if resp.status == 401 && resp.json()["error"] == "mfa_required" {
            return None;
        }
        assert_eq!(resp.status, 200, "whoami: {resp:?}");
        resp.json()["user"].as_str().map(str::to_string)
    }

    /// Requests the app saw with a signed-in member, leaving out the login POST itself
    /// (Tomcat records the member it signs in on that very request; the gateway then holds
    /// the new session, which is what the rest of the log shows).
    pub fn authenticated_requests(&self) -> Vec<super::legacy::AppRequest> {
        let login = self.profile().login_path;
        self.app
            .authenticated_requests()
            .into_iter()
            .filter(|r| !(r.method == "POST" && r.path.starts_with(login)))
            .filter(|r| !r.path.ends_with(PROBE_QUERY))
            .collect()
    }

    /// Panics when the app saw any signed-in request (other than the login POST itself).
    pub fn assert_app_saw_nobody_signed_in(&self, context: &str) {
        let seen = self.authenticated_requests();
        assert!(
            seen.is_empty(),
            "{} ({}): the app saw signed-in requests that never passed MFA: {seen:?}",
            context,
            self.profile().name
        );
    }
}
