//! Per-request costs of the proxy: what every member request pays (classification, the
//! session-binding check, the `Cookie` header rewrite) and what the login and rotated-session
//! responses pay (username extraction, `Set-Cookie` reading).
//!
//! Run with `cargo bench --bench hot_path`. Targets (issue 7): binding verify ≤ 1 µs.

use std::hint::black_box;
use std::path::Path;

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use criterion::{criterion_group, criterion_main, BatchSize, Criterion};

use mfa_gateway::config::{self, Config, NamedKey};
use mfa_gateway::http::classify::Classifier;
use mfa_gateway::http::cookies::filter_cookie_header;
use mfa_gateway::http::login_form::FormFieldExtractor;
use mfa_gateway::mfa::claims::BindingClaims;
use mfa_gateway::mfa::session::SessionCookies;
use mfa_gateway::mfa::tokens::KeyRing;

/// Seconds since the epoch used as "now" everywhere (a fixed value keeps runs comparable).
const NOW: i64 = 1_760_000_000;

/// The site section the classifier reads, in the shape of the shipped `gateway.yaml`.
const CONFIG_YAML: &str = r#"
mode: demo
listen: {address: "127.0.0.1:8080"}
upstream: {address: "127.0.0.1:8081"}
site:
  login:
    path: /login
    username_field: username
    success: {status: [302, 303], sets_session_cookie: true, location_not_prefix: [/login]}
  session_cookies: [MLSSESSION]
  logout:
    - path: /logout
    - {path: /api/logout, forget_device: true}
  public_paths: [/static/, /favicon.ico]
  api_paths: [/api/]
mfa:
  enforce_from: "2025-11-05"
  methods: [app]
  trust_periods: [24h, 30d]
  default_trust_period: 30d
cookies: {secure: "false"}
storage:
  durable: {sqlite: /nonexistent/bench.sqlite}
keys:
  cookie: [{id: k1, env: BENCH_COOKIE_KEY}]
  secret: [{id: k1, env: BENCH_SECRET_KEY}]
branding:
  name: SmartMLS
  support_email: support@example.com
  support_phone: "(203) 555-0100"
  support_hours: "Mon-Fri 9-5"
  roster_update_url: https://example.com/roster
roster: {file: /nonexistent/roster.yaml}
"#;

fn bench_config() -> Config {
    let key = STANDARD.encode([7u8; 32]);
    let env = move |name: &str| name.starts_with("BENCH_").then(|| key.clone());
    match config::load_str_with_env(CONFIG_YAML, Path::new("/"), &env) {
        Ok(config) => config,
        Err(errors) => panic!("bench config is invalid:\n{errors}"),
    }
}

fn key_ring() -> KeyRing {
    KeyRing::new(&[NamedKey {
        id: "k1".into(),
        bytes: vec![7; 32],
    }])
}

/// A browser's `Cookie` header on a listing page: the upstream session, its binding, a trust
/// cookie and two unrelated cookies the legacy app set.
fn bound_cookie_header(keys: &KeyRing, session_names: &[String]) -> String {
    let session = "3f9c2a7e5b1d4c6f8a0b2c4d6e8f0a1b";
    let cookies =
        SessionCookies::from_headers([format!("MLSSESSION={session}").as_str()], session_names);
    let binding = BindingClaims {
        user: "jdoe".into(),
        session_digest: cookies.digest(),
        expires: NOW + 86_400,
        epoch: 3,
    }
    .seal(keys);
    format!(
        "mls_pref=grid; MLSSESSION={session}; mfa_bind={binding}; mfa_trust=k1.AAAA.BBBB; _ga=GA1.2.3"
    )
}

fn binding_verify(c: &mut Criterion) {
    let config = bench_config();
    let names = &config.site.session_cookies;
    let keys = key_ring();
    let header = bound_cookie_header(&keys, names);
    let binding = header
        .split("; ")
        .find_map(|p| p.strip_prefix("mfa_bind="))
        .unwrap_or_default()
        .to_string();
    let cookies = SessionCookies::from_headers([header.as_str()], names);
    let digest = cookies.digest();

    let mut group = c.benchmark_group("binding");
    group.bench_function("open (HMAC + decode)", |b| {
        b.iter(|| BindingClaims::open(&keys, black_box(&binding), NOW, black_box(&digest)))
    });
    group.bench_function("from_headers + digest + open", |b| {
        b.iter(|| {
            let cookies = SessionCookies::from_headers([black_box(header.as_str())], names);
            BindingClaims::open(&keys, black_box(&binding), NOW, &cookies.digest())
        })
    });
    group.bench_function("open, wrong session (rejected)", |b| {
        let other = [0u8; 32];
        b.iter(|| BindingClaims::open(&keys, black_box(&binding), NOW, black_box(&other)))
    });
    group.finish();
}

fn cookie_rewrite(c: &mut Criterion) {
    let config = bench_config();
    let names = config.site.session_cookies.clone();
    let header = bound_cookie_header(&key_ring(), &names);
    let gateway = ["mfa_bind", "mfa_trust", "mfa_pending"];

    let mut group = c.benchmark_group("cookie_header");
    group.bench_function("strip gateway cookies (bound session)", |b| {
        b.iter(|| {
            filter_cookie_header([black_box(header.as_str())], |p| !gateway.contains(&p.name))
        })
    });
    group.bench_function("strip gateway + session cookies (unbound)", |b| {
        b.iter(|| {
            filter_cookie_header([black_box(header.as_str())], |p| {
                !gateway.contains(&p.name) && !names.iter().any(|n| n == p.name)
            })
        })
    });
    group.finish();

    let cookies = SessionCookies::from_headers([header.as_str()], &names);
    let rotated = [
        "MLSSESSION=9d8c7b6a5f4e3d2c1b0a9f8e7d6c5b4a; Path=/; HttpOnly",
        "mls_pref=list; Path=/; Expires=Thu, 01 Jan 2099 00:00:00 GMT",
    ];
    let untouched = ["mls_pref=list; Path=/; Max-Age=3600"];
    let mut group = c.benchmark_group("set_cookie");
    group.bench_function("after_response, session rotated", |b| {
        b.iter(|| cookies.after_response(black_box(&rotated), &names, NOW))
    });
    group.bench_function("after_response, session untouched", |b| {
        b.iter(|| cookies.after_response(black_box(&untouched), &names, NOW))
    });
    group.finish();
}

fn classification(c: &mut Criterion) {
    let config = bench_config();
    let classifier = Classifier::new(&config.site);
    let get = http::Method::GET;
    let post = http::Method::POST;
    let mut group = c.benchmark_group("classify");
    group.bench_function("listing page (proxied)", |b| {
        b.iter(|| classifier.classify(&get, black_box("/listings/123456/photos")))
    });
    group.bench_function("login post", |b| {
        b.iter(|| classifier.classify(&post, black_box("/login")))
    });
    group.bench_function("static asset (public)", |b| {
        b.iter(|| classifier.classify(&get, black_box("/static/css/site.css")))
    });
    group.bench_function("gateway page", |b| {
        b.iter(|| classifier.classify(&get, black_box("/_mfa/")))
    });
    group.finish();
}

fn login_form(c: &mut Criterion) {
    let typical = b"csrf_legacy=8f7e6d5c4b3a2910&username=Jane.Doe%40example.com&password=listings%212024&remember=on".as_slice();
    let mut large = Vec::with_capacity(16 * 1024);
    large.extend_from_slice(b"viewstate=");
    large.resize(16 * 1024 - 64, b'A');
    large.extend_from_slice(b"&username=jdoe&password=secret");
    let mut group = c.benchmark_group("login_form");
    group.bench_function("typical body, one chunk", |b| {
        b.iter(|| {
            let mut x = FormFieldExtractor::new("username", 65_536);
            x.feed(black_box(typical));
            x.finish()
        })
    });
    group.bench_function("16 KiB body in 4 KiB chunks", |b| {
        b.iter_batched(
            || FormFieldExtractor::new("username", 65_536),
            |mut x| {
                for chunk in large.chunks(4096) {
                    x.feed(black_box(chunk));
                }
                x.finish()
            },
            BatchSize::SmallInput,
        )
    });
    group.finish();
}

/// The strict edge and the forwarding plan (issue 12): what every request pays before routing
/// and before going upstream.
fn edge_and_forwarding(c: &mut Criterion) {
    use mfa_gateway::http::edge::{
        check_host, check_method, check_raw_head, check_request_framing, check_response,
    };
    use mfa_gateway::http::forwarded::{plan, Forwarding};
    let config = bench_config();
    let keys = key_ring();
    let cookie = bound_cookie_header(&keys, &config.site.session_cookies);
    let raw = format!(
        "GET /listings/1042?sort=price HTTP/1.1\r\nHost: mls.example.com\r\nUser-Agent: Mozilla/5.0 (X11; Linux x86_64)\r\n\
         Accept: text/html,application/xhtml+xml\r\nAccept-Language: en-US,en;q=0.9\r\n\
         Accept-Encoding: gzip, deflate, br\r\nCookie: {cookie}\r\nConnection: keep-alive\r\n\r\n"
    );
    let mut headers = http::HeaderMap::new();
    for line in raw.split("\r\n").skip(1).filter(|l| !l.is_empty()) {
        let (name, value) = line.split_once(": ").expect("header line");
        headers.append(
            http::HeaderName::from_bytes(name.as_bytes()).expect("name"),
            http::HeaderValue::from_str(value).expect("value"),
        );
    }
    let mut answer = http::HeaderMap::new();
    for (name, value) in [
        ("content-type", "text/html; charset=utf-8"),
        ("content-length", "2048"),
        ("cache-control", "private"),
        ("date", "Tue, 01 Dec 2026 12:00:00 GMT"),
        ("server", "legacy-mls"),
    ] {
        answer.insert(name, http::HeaderValue::from_static(value));
    }
    let mut group = c.benchmark_group("edge");
    group.bench_function("request: method, Host, raw head, framing", |b| {
        b.iter(|| {
            check_method(black_box(&http::Method::GET), &config.edge.methods)
                .and_then(|()| check_host(black_box(&headers), http::Version::HTTP_11))
                .and_then(|()| check_raw_head(black_box(raw.as_bytes())))
                .and_then(|()| check_request_framing(black_box(&headers), Some(raw.as_bytes())))
        })
    });
    group.bench_function("answer: framing and values", |b| {
        b.iter(|| check_response(black_box(&answer)))
    });
    let keep_all = |_: &str| false;
    let forwarding = Forwarding {
        edge: &config.edge,
        tls: false,
        peer: Some("192.0.2.7".parse().expect("ip")),
        rewrite_cookies: false,
        cookies_unreadable: false,
        drop_cookie: &keep_all,
        request_id: "0f1e2d3c4b5a6978-2a",
    };
    group.bench_function("forwarding plan (bound session, no rewrite)", |b| {
        b.iter(|| plan(black_box(&headers), &forwarding))
    });
    // Every request gets an id when no trusted proxy gave one (issue 15).
    let ids = mfa_gateway::http::request_id::RequestIds::random();
    group.bench_function("request id (made here)", |b| b.iter(|| ids.next()));
    group.finish();
}

/// The live-session revocation check every bound request makes (issue 13): a warm cache is
/// one hashed lookup; a miss (every `mfa.revocation_check`, 5 s by default, per member) reads
/// the member's epoch from SQLite.
fn revocation_check(c: &mut Criterion) {
    use mfa_gateway::mfa::revocation::EpochCache;
    use mfa_gateway::store::crypto::SecretCipher;
    use mfa_gateway::store::sqlite::SqliteStore;
    use mfa_gateway::store::DurableStore as _;

    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let dir = tempfile::tempdir().expect("temp dir");
    let cipher = SecretCipher::new(&[NamedKey {
        id: "k1".into(),
        bytes: vec![9; 32],
    }])
    .expect("cipher");
    let store = runtime
        .block_on(SqliteStore::open(&dir.path().join("bench.sqlite"), cipher))
        .expect("store");
    let epoch = runtime.block_on(store.bump_epoch("jdoe")).expect("epoch");
    let cache = EpochCache::new(std::time::Duration::from_secs(5), 100_000);
    assert!(runtime
        .block_on(cache.is_current(&store, "jdoe", epoch))
        .expect("warm"));
    let mut group = c.benchmark_group("revocation");
    group.bench_function("warm cache (every bound request)", |b| {
        b.iter(|| runtime.block_on(cache.is_current(&store, black_box("jdoe"), epoch)))
    });
    group.bench_function("miss: read the epoch from SQLite", |b| {
        b.iter(|| {
            runtime.block_on(async {
                cache.forget("jdoe").await;
                cache.is_current(&store, black_box("jdoe"), epoch).await
            })
        })
    });
    group.finish();
}

criterion_group!(
    benches,
    binding_verify,
    cookie_rewrite,
    classification,
    login_form,
    edge_and_forwarding,
    revocation_check
);
criterion_main!(benches);
