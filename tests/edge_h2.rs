//! HTTP/2 on the TLS listener (issue 14): browsers speak h2 to an HTTPS gateway, so the flow
//! and the strict-edge rules must hold for h2 requests too (`:authority` instead of `Host`,
//! cookie crumbs in several `cookie` fields, methods as pseudo-headers). The legacy app is still
//! reached over HTTP/1.1; the oracle is what the demo site saw.

mod common;

use common::{enroll_held, GatewayOptions, Harness, THIRTY_DAYS};

fn tls() -> GatewayOptions {
    GatewayOptions {
        tls: true,
        ..GatewayOptions::default()
    }
}

/// A client like the harness's browser, for requests the browser type cannot send.
fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .danger_accept_invalid_certs(true)
        .build()
        .expect("client")
}

#[tokio::test]
async fn the_flow_runs_over_http2() {
    let h = Harness::start(tls()).await;
    let user = h.user(0).clone();
    let mut b = h.browser();
    let held = b.login(&user.username, &user.password).await;
    assert_eq!(held.version, reqwest::Version::HTTP_2, "h2 negotiated");
    assert_eq!(held.location.as_deref(), Some("/_mfa/"), "{held:?}");
    assert!(b.cookie("MLSSESSION").is_none());
    assert!(!h.site_saw_session_of(&user.username));
    let (_, done) = enroll_held(&mut b, THIRTY_DAYS).await;
    assert_eq!(done.status, 303, "{}", done.body);
    let page = b.get("/").await;
    assert_eq!((page.status, page.version), (200, reqwest::Version::HTTP_2));
    let seen = h.site.seen().pop().expect("the site saw the page");
    assert_eq!(seen.session_user.as_deref(), Some("jdoe"));
    // The app got one Host, the h2 authority, and one Cookie line without the gateway's cookies.
    let hosts: Vec<_> = seen.headers.iter().filter(|(n, _)| n == "host").collect();
    assert_eq!(hosts.len(), 1, "{:?}", seen.headers);
    assert_eq!(hosts[0].1, format!("localhost:{}", h.port));
    let cookies = seen.cookie_header.unwrap_or_default();
    assert!(!cookies.contains("mfa_"), "{cookies}");
}

#[tokio::test]
async fn regression_method_case_bypass_over_http2() {
    let h = Harness::start(tls()).await;
    let user = h.user(0).clone();
    let lower = reqwest::Method::from_bytes(b"post").expect("extension method");
    let resp = client()
        .request(lower, format!("{}/login", h.url()))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!(
            "username={}&password={}",
            user.username, user.password
        ))
        .send()
        .await
        .expect("request");
    assert_eq!(resp.version(), reqwest::Version::HTTP_2);
    // A method the edge does not let through: 405 with the methods it does (RFC 9110 §15.5.6).
    assert_eq!(resp.status(), 405);
    assert!(resp.headers().contains_key("allow"));
    assert!(resp.headers().get_all("set-cookie").iter().next().is_none());
    assert!(h.site.seen().is_empty(), "{:?}", h.site.seen());
}

#[tokio::test]
async fn cookie_crumbs_are_joined_and_an_unbound_session_is_stripped_over_http2() {
    let h = Harness::start(tls()).await;
    let stolen = h.site.login_direct_session("jdoe").expect("a session");
    let resp = client()
        .get(format!("{}/search?q=elm", h.url()))
        // h2 clients send each cookie in its own field (RFC 9113 §8.2.3).
        .header("cookie", format!("MLSSESSION={stolen}"))
        .header("cookie", "mls_pref=list")
        .send()
        .await
        .expect("request");
    assert_eq!(resp.version(), reqwest::Version::HTTP_2);
    let seen = h.site.seen().pop().expect("forwarded");
    assert_eq!(
        seen.session_user, None,
        "the stolen session reached the app"
    );
    let cookie_lines = seen.headers.iter().filter(|(n, _)| n == "cookie").count();
    assert!(cookie_lines <= 1, "{:?}", seen.headers);
    assert_eq!(seen.cookie_header.as_deref(), Some("mls_pref=list"));
}

#[tokio::test]
async fn a_host_that_disagrees_with_the_authority_is_refused_over_http2() {
    let h = Harness::start(tls()).await;
    let resp = client()
        .get(format!("{}/search?q=elm", h.url()))
        .header("host", "other.example")
        .send()
        .await
        .expect("request");
    assert_eq!(resp.version(), reqwest::Version::HTTP_2);
    assert_eq!(resp.status(), 400);
    assert!(h.site.seen().is_empty(), "{:?}", h.site.seen());
}
