//! A client that keeps cookies like a browser (name → value, deletions honoured), follows no
//! redirects by itself, and can be cloned into a "second browser" or stripped of cookies.

use std::collections::BTreeMap;

/// A finished response.
#[derive(Debug, Clone)]
pub struct Resp {
    pub status: u16,
    pub location: Option<String>,
    pub set_cookies: Vec<String>,
    pub headers: reqwest::header::HeaderMap,
    pub body: String,
    /// The HTTP version the answer came in (HTTP/2 over the TLS listener, `tests/edge_h2.rs`).
    pub version: reqwest::Version,
}

impl Resp {
    /// The body as JSON (panics with the body when it is not JSON).
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }

    /// The value of a hidden/visible input named `name` in the body.
    pub fn input_value(&self, name: &str) -> Option<String> {
        let needle = format!("name=\"{name}\"");
        let at = self.body.find(&needle)?;
        let tag_start = self.body[..at].rfind('<')?;
        let tag_end = at + self.body[at..].find('>')?;
        let tag = &self.body[tag_start..tag_end];
        let v = tag.split("value=\"").nth(1)?;
        Some(html_unescape(&v[..v.find('"')?]))
    }

    /// The body with the HTML escapes the templates use undone (for text assertions).
    pub fn text(&self) -> String {
        html_unescape(&self.body)
    }

    /// The first `otpauth://` URI on the page.
    pub fn otpauth_uri(&self) -> Option<String> {
        let body = html_unescape(&self.body);
        let start = body.find("otpauth://")?;
        let end = start + body[start..].find('"')?;
        Some(body[start..end].to_string())
    }
}

fn html_unescape(s: &str) -> String {
    s.replace("&amp;", "&")
        .replace("&#x3d;", "=")
        .replace("&#x2f;", "/")
        .replace("&quot;", "\"")
        .replace("&#x27;", "'")
}

/// A browser with its own cookie jar.
#[derive(Debug, Clone)]
pub struct Browser {
    base: String,
    http: reqwest::Client,
    pub jar: BTreeMap<String, String>,
    /// The legacy app's login flow when the gateway fronts a zoo app (`None`: the demo site).
    pub login_profile: Option<&'static super::legacy::Profile>,
}

impl Browser {
    /// A browser pointed at `base` (e.g. `http://127.0.0.1:8080`).
    pub fn new(base: &str) -> Self {
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            // The TLS tests use a self-signed certificate made for the test run.
            .danger_accept_invalid_certs(base.starts_with("https://"))
            .resolve("localhost", std::net::SocketAddr::from(([127, 0, 0, 1], 0)))
            .build()
            .expect("client");
        Browser {
            base: base.to_string(),
            http,
            jar: BTreeMap::new(),
            login_profile: None,
        }
    }

    /// A cookie's current value.
    pub fn cookie(&self, name: &str) -> Option<&str> {
        self.jar.get(name).map(String::as_str)
    }

    fn cookie_header(&self) -> Option<String> {
        (!self.jar.is_empty()).then(|| {
            self.jar
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>()
                .join("; ")
        })
    }

    fn absorb(&mut self, set_cookies: &[String]) {
        for sc in set_cookies {
            let mut parts = sc.split(';');
            let Some((name, value)) = parts.next().and_then(|p| p.split_once('=')) else {
                continue;
            };
            let deleted = parts.any(|a| {
                let a = a.trim().to_ascii_lowercase();
                a == "max-age=0"
                    || a.starts_with("max-age=-")
                    || a.contains("expires=thu, 01 jan 1970")
            });
            if deleted {
                self.jar.remove(name.trim());
            } else {
                self.jar
                    .insert(name.trim().to_string(), value.trim().to_string());
            }
        }
    }

    async fn send(&mut self, req: reqwest::RequestBuilder) -> Resp {
        let req = match self.cookie_header() {
            Some(c) => req.header("cookie", c),
            None => req,
        };
        let resp = req.send().await.expect("request");
        let status = resp.status().as_u16();
        let version = resp.version();
        if self.base.starts_with("https://")
            && super::transport::Transport::of_this_binary() == super::transport::Transport::Http2
        {
            // The h2 binaries exist to run the suites over HTTP/2: no silent fallback.
            assert_eq!(version, reqwest::Version::HTTP_2, "answer not over h2");
        }
        let headers = resp.headers().clone();
        let set_cookies: Vec<String> = headers
            .get_all("set-cookie")
            .iter()
            .filter_map(|v| v.to_str().ok().map(String::from))
            .collect();
        let location = headers
            .get("location")
            .and_then(|v| v.to_str().ok())
            .map(String::from);
        let body = resp.text().await.unwrap_or_default();
        self.absorb(&set_cookies);
        Resp {
            status,
            location,
            set_cookies,
            headers,
            body,
            version,
        }
    }

    /// GET a path.
    pub async fn get(&mut self, path: &str) -> Resp {
        let req = self.http.get(format!("{}{path}", self.base));
        self.send(req).await
    }

    /// POST a urlencoded form.
    pub async fn post_form(&mut self, path: &str, form: &[(&str, &str)]) -> Resp {
        let body: String = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(form)
            .finish();
        let req = self
            .http
            .post(format!("{}{path}", self.base))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body);
        self.send(req).await
    }

    /// POST a JSON body (the mobile app's requests).
    pub async fn post_json(&mut self, path: &str, body: &serde_json::Value) -> Resp {
        let req = self
            .http
            .post(format!("{}{path}", self.base))
            .header("content-type", "application/json")
            .header("accept", "application/json")
            .body(body.to_string());
        self.send(req).await
    }

    /// POST raw bytes with a content type (for malformed-input tests).
    pub async fn post_raw(&mut self, path: &str, content_type: &str, body: Vec<u8>) -> Resp {
        let req = self
            .http
            .post(format!("{}{path}", self.base))
            .header("content-type", content_type)
            .body(body);
        self.send(req).await
    }

    /// GET with extra headers.
    pub async fn get_with(&mut self, path: &str, headers: &[(&str, &str)]) -> Resp {
        let mut req = self.http.get(format!("{}{path}", self.base));
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        self.send(req).await
    }

    /// Follows one redirect if the response is one.
    pub async fn follow(&mut self, resp: Resp) -> Resp {
        match (resp.status, resp.location.clone()) {
            (301 | 302 | 303 | 307, Some(loc)) => {
                let path = loc
                    .strip_prefix(&self.base)
                    .map(String::from)
                    .unwrap_or(loc);
                self.get(&path).await
            }
            _ => resp,
        }
    }

    /// Posts the legacy login form with these credentials.
    pub async fn login(&mut self, username: &str, password: &str) -> Resp {
        let Some(p) = self.login_profile else {
            return self
                .post_form("/login", &[("username", username), ("password", password)])
                .await;
        };
        // The app's own flow: Tomcat's FORM login needs the session its login page made.
        if p.needs_pre_login_session {
            let _ = self.get(p.login_page).await;
        }
        self.post_form(
            p.login_path,
            &[(p.username_field, username), (p.password_field, password)],
        )
        .await
    }
}
