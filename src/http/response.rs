//! Every response the gateway writes itself goes through [`GatewayResponse`], so that each one
//! carries `Content-Length`, `Cache-Control: no-store` and the security headers, whichever page
//! or API produced it.

use std::borrow::Cow;

use bytes::Bytes;
use pingora::http::ResponseHeader;

/// Content-Security-Policy of gateway pages: only the gateway's own stylesheet and inline SVG.
pub const PAGE_CSP: &str = "default-src 'none'; style-src 'self'; img-src 'self' data:; \
form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// `Strict-Transport-Security` for every gateway answer (`edge.hsts`), set once at start-up.
/// Process-wide because a gateway process serves one listener, and this keeps every page, API
/// answer and error page on the one helper below without threading the config through each.
static HSTS: std::sync::OnceLock<Option<String>> = std::sync::OnceLock::new();

/// Sets the `Strict-Transport-Security` value of gateway answers; the first call wins.
pub fn set_hsts(value: Option<String>) {
    let _ = HSTS.set(value);
}

/// `Server` of every gateway answer when `edge.server_header` replaces it; set once at start-up
/// like [`HSTS`].
static SERVER_NAME: std::sync::OnceLock<Option<String>> = std::sync::OnceLock::new();

/// Sets the `Server` value of gateway answers (`None`: they send none); the first call wins.
pub fn set_server_name(value: Option<String>) {
    let _ = SERVER_NAME.set(value);
}

/// A complete response produced by the gateway (never by the upstream).
#[derive(Debug, Clone)]
pub struct GatewayResponse {
    pub status: u16,
    pub content_type: Cow<'static, str>,
    /// Extra headers (e.g. `Location`, `Set-Cookie`), in order.
    pub headers: Vec<(Cow<'static, str>, String)>,
    pub body: Bytes,
}

impl GatewayResponse {
    /// An HTML page.
    pub fn html(status: u16, body: String) -> Self {
        GatewayResponse {
            status,
            content_type: "text/html; charset=utf-8".into(),
            headers: Vec::new(),
            body: body.into(),
        }
    }

    /// A JSON document.
    pub fn json(status: u16, value: &serde_json::Value) -> Self {
        GatewayResponse {
            status,
            content_type: "application/json".into(),
            headers: Vec::new(),
            body: value.to_string().into(),
        }
    }

    /// A static asset with the given type.
    pub fn asset(content_type: &'static str, body: Bytes) -> Self {
        GatewayResponse {
            status: 200,
            content_type: content_type.into(),
            headers: Vec::new(),
            body,
        }
    }

    /// `303 See Other` to a same-origin path (callers validate the target).
    pub fn see_other(location: &str) -> Self {
        let mut r = GatewayResponse {
            status: 303,
            content_type: "text/plain; charset=utf-8".into(),
            headers: Vec::new(),
            body: Bytes::new(),
        };
        r.headers.push(("Location".into(), location.to_string()));
        r
    }

    /// Adds a `Set-Cookie`.
    pub fn with_cookie(mut self, set_cookie: String) -> Self {
        self.headers.push(("Set-Cookie".into(), set_cookie));
        self
    }

    /// Adds any header.
    pub fn with_header(mut self, name: impl Into<Cow<'static, str>>, value: String) -> Self {
        self.headers.push((name.into(), value));
        self
    }

    /// Builds the response head. Fails only on header values that are not valid HTTP, which
    /// the gateway never produces from member input.
    pub fn head(&self) -> pingora::Result<ResponseHeader> {
        let mut head = ResponseHeader::build(self.status, Some(self.headers.len() + 8))?;
        head.insert_header("Content-Type", self.content_type.as_ref())?;
        head.insert_header("Content-Length", self.body.len().to_string())?;
        head.insert_header("Cache-Control", "no-store")?;
        head.insert_header("X-Content-Type-Options", "nosniff")?;
        head.insert_header("Referrer-Policy", "no-referrer")?;
        if let Some(Some(hsts)) = HSTS.get() {
            head.insert_header("Strict-Transport-Security", hsts.as_str())?;
        }
        if let Some(Some(name)) = SERVER_NAME.get() {
            head.insert_header("Server", name.as_str())?;
        }
        if self.content_type.starts_with("text/html") {
            head.insert_header("Content-Security-Policy", PAGE_CSP)?;
            head.insert_header("X-Frame-Options", "DENY")?;
        }
        for (name, value) in &self.headers {
            head.append_header(name.to_string(), value.as_str())?;
        }
        Ok(head)
    }

    /// The whole response as HTTP/1.1 bytes for a connection that ends after it: status line,
    /// the headers of [`Self::head`] plus `Connection: close`, the blank line, the body. For
    /// answers written below pingora's HTTP layer (`server::unparsable` prepares its answers
    /// once at start-up); everything else goes through [`Self::write`].
    pub fn to_http1_closing(&self) -> pingora::Result<Bytes> {
        use bytes::BufMut as _;
        let mut head = self.head()?;
        head.insert_header("Connection", "close")?;
        let mut out = bytes::BytesMut::with_capacity(512 + self.body.len());
        out.put_slice(b"HTTP/1.1 ");
        out.put_slice(head.status.as_str().as_bytes());
        out.put_u8(b' ');
        out.put_slice(head.get_reason_phrase().unwrap_or_default().as_bytes());
        out.put_slice(b"\r\n");
        head.header_to_h1_wire(&mut out);
        out.put_slice(b"\r\n");
        out.put_slice(&self.body);
        Ok(out.freeze())
    }

    /// Writes the whole response to the client.
    pub async fn write(self, session: &mut pingora::proxy::Session) -> pingora::Result<()> {
        let head = self.head()?;
        session
            .write_response_header(Box::new(head), self.body.is_empty())
            .await?;
        if !self.body.is_empty() {
            session.write_response_body(Some(self.body), true).await?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_response_has_length_and_no_store() {
        let r = GatewayResponse::html(200, "<p>hi</p>".into()).with_cookie("a=b".into());
        let head = r.head().unwrap();
        assert_eq!(head.headers.get("content-length").unwrap(), "9");
        assert_eq!(head.headers.get("cache-control").unwrap(), "no-store");
        assert!(head.headers.get("content-security-policy").is_some());
        assert_eq!(head.headers.get("set-cookie").unwrap(), "a=b");
        let redirect = GatewayResponse::see_other("/x").head().unwrap();
        assert_eq!(redirect.status.as_u16(), 303);
        assert_eq!(redirect.headers.get("content-length").unwrap(), "0");
    }

    #[test]
    fn http1_bytes_carry_the_head_close_and_body() {
        let r = GatewayResponse::html(400, "<p>no</p>".into());
        let bytes = r.to_http1_closing().unwrap();
        let text = std::str::from_utf8(&bytes).unwrap();
        let (head, body) = text.split_once("\r\n\r\n").unwrap();
        assert_eq!(body, "<p>no</p>");
        let mut lines = head.split("\r\n");
        assert_eq!(lines.next(), Some("HTTP/1.1 400 Bad Request"));
        let headers: Vec<&str> = lines.collect();
        for expected in [
            "Content-Type: text/html; charset=utf-8",
            "Content-Length: 9",
            "Cache-Control: no-store",
            "X-Content-Type-Options: nosniff",
            "Connection: close",
        ] {
            assert!(
                headers.contains(&expected),
                "{expected} missing in {headers:?}"
            );
        }
    }
}
