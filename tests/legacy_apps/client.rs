//! A small client for the legacy apps (redirects off, its own cookie jar) and the helpers the
//! cases share: reading the oracle and signing in.

use std::collections::BTreeMap;

use super::legacy::{AppRequest, LegacyApp};

/// A client with redirects off and a small cookie jar of its own.
pub struct Client {
    http: reqwest::Client,
    base: String,
    jar: BTreeMap<String, String>,
}

/// One answer, read whole.
pub struct Resp {
    /// The status code.
    pub status: u16,
    /// The `Location` header.
    pub location: Option<String>,
    /// `name=value` of each `Set-Cookie`.
    pub set_cookies: Vec<(String, String)>,
    /// The body as text.
    pub body: String,
}

impl Client {
    /// A client of `app` with an empty jar.
    pub fn new(app: &LegacyApp) -> Client {
        Client {
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .no_proxy()
                .timeout(std::time::Duration::from_secs(20))
                .build()
                .unwrap(),
            base: app.url(),
            jar: BTreeMap::new(),
        }
    }

    /// The `Cookie` header this client sends.
    pub fn cookie_header(&self) -> String {
        self.jar
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    /// The value of the cookie `name` in the jar.
    pub fn cookie(&self, name: &str) -> Option<String> {
        self.jar.get(name).cloned()
    }

    /// Sends `req` with the jar's cookies, updates the jar from the answer's `Set-Cookie`s.
    async fn send(&mut self, req: reqwest::RequestBuilder) -> Resp {
        let req = if self.jar.is_empty() {
            req
        } else {
            req.header(reqwest::header::COOKIE, self.cookie_header())
        };
        let resp = req.send().await.expect("request to the legacy app");
        let status = resp.status().as_u16();
        let location = resp
            .headers()
            .get(reqwest::header::LOCATION)
            .map(|v| v.to_str().unwrap().to_string());
        let mut set_cookies = Vec::new();
        for value in resp.headers().get_all(reqwest::header::SET_COOKIE) {
            let value = value.to_str().unwrap();
            let pair = value.split(';').next().unwrap_or_default();
            let (name, val) = pair.split_once('=').unwrap_or((pair, ""));
            let (name, val) = (name.trim().to_string(), val.trim().to_string());
            let lower = value.to_ascii_lowercase();
            let expired = val.is_empty()
                || lower.contains("max-age=0")
                || lower.contains("expires=thu, 01 jan 1970");
            if expired {
                self.jar.remove(&name);
            } else {
                self.jar.insert(name.clone(), val.clone());
            }
            set_cookies.push((name, val));
        }
        let body = resp.text().await.unwrap_or_default();
        Resp {
            status,
            location,
            set_cookies,
            body,
        }
    }

    /// `GET path`.
    pub async fn get(&mut self, path: &str) -> Resp {
        let req = self.http.get(format!("{}{path}", self.base));
        self.send(req).await
    }

    /// `POST path` with `fields` form-encoded.
    pub async fn post_form(&mut self, path: &str, fields: &[(&str, &str)]) -> Resp {
        let body = fields
            .iter()
            .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
            .collect::<Vec<_>>()
            .join("&");
        let req = self
            .http
            .post(format!("{}{path}", self.base))
            .header(
                reqwest::header::CONTENT_TYPE,
                "application/x-www-form-urlencoded",
            )
            .body(body);
        self.send(req).await
    }

    /// `POST path` with `value` as JSON.
    pub async fn post_json(&mut self, path: &str, value: serde_json::Value) -> Resp {
        let req = self.http.post(format!("{}{path}", self.base)).json(&value);
        self.send(req).await
    }

    /// Who the app says this client is (through its whoami endpoint).
    pub async fn whoami(&mut self) -> Option<String> {
        let resp = self.get("/whoami").await;
        assert_eq!(resp.status, 200, "whoami: {}", resp.body);
        let json: serde_json::Value = serde_json::from_str(&resp.body).expect("whoami JSON");
        json["user"].as_str().map(str::to_owned)
    }
}

/// Form encoding (`application/x-www-form-urlencoded`), UTF-8.
fn encode(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'*' => {
                out.push(b as char)
            }
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// Whether `requests` holds `method path` seen as `user` (`None`: anonymous).
pub fn has(requests: &[AppRequest], method: &str, path: &str, user: Option<&str>) -> bool {
    requests
        .iter()
        .any(|r| r.method == method && r.path == path && r.user.as_deref() == user)
}

/// Signs in with `username` and returns whom the app then sees.
pub async fn login_as(app: &LegacyApp, username: &str, password: &str) -> Option<String> {
    let mut c = Client::new(app);
    let r = c
        .post_form("/login", &[("username", username), ("password", password)])
        .await;
    if r.status == 302 {
        assert_eq!(r.location.as_deref(), Some("/home"));
    }
    c.whoami().await
}
