//! TLS to the stores (issue 15), against servers each test starts itself with a certificate
//! from a private CA (`store_servers.rs`, `postgres_server.rs`): PostgreSQL with
//! `sslmode=verify-full` and Redis with `rediss://` work when `ca_file` names the CA, refuse to
//! start without it (fail closed: the platform's roots do not know the CA), and trust the
//! platform's roots by default — `SSL_CERT_FILE` naming the CA is enough. The PostgreSQL cluster accepts TCP connections over
//! TLS only, and its `pg_stat_ssl` view shows the gateway's sessions encrypted.

use std::path::Path;
use std::time::{Duration, Instant};

use sqlx::Row as _;

use crate::common::{enroll_app, GatewayOptions, Harness, THIRTY_DAYS};
use crate::postgres_server::{plain_tcp_is_refused, PrivatePostgres};
use crate::store_servers::{or_skip, PrivateCa, PrivateRedis};

/// Longest a gateway may take to give up on a store it cannot trust.
const REFUSAL_LIMIT: Duration = Duration::from_secs(30);

/// The `storage:` section for the private PostgreSQL server (memory for ephemeral state).
fn postgres_storage(server: &PrivatePostgres, ca_file: Option<&Path>) -> String {
    let mut yaml = format!(
        "storage:\n  durable:\n    postgres:\n      url: \"postgres://postgres@127.0.0.1:{}/postgres?sslmode=verify-full\"\n",
        server.port
    );
    if let Some(ca_file) = ca_file {
        yaml.push_str(&format!("      ca_file: {}\n", ca_file.display()));
    }
    yaml
}

/// The `storage:` section for the private Redis server (SQLite in the test directory).
fn redis_storage(server: &PrivateRedis, ca_file: Option<&Path>) -> String {
    let mut yaml = format!(
        "storage:\n  durable:\n    sqlite: mfa.sqlite\n  ephemeral:\n    redis:\n      url: \"rediss://127.0.0.1:{}\"\n",
        server.port
    );
    if let Some(ca_file) = ca_file {
        yaml.push_str(&format!("      ca_file: {}\n", ca_file.display()));
    }
    yaml
}

async fn prepared(options: GatewayOptions) -> Harness {
    Harness::prepare_or_skip(options)
        .await
        .expect("these tests use their own servers")
}

/// Runs the gateway, which must refuse to start, and checks it said why.
async fn refuses_to_start(h: &Harness, store_key: &str) {
    let (status, log) = h.run_until_exit(REFUSAL_LIMIT).await;
    assert!(
        !status.success(),
        "started without trusting the server:\n{log}"
    );
    assert!(
        log.contains(&format!("mfa-gateway: {store_key}:"))
            && log.contains("TLS error: invalid peer certificate: UnknownIssuer"),
        "no clear reason:\n{log}"
    );
}

/// Sessions of the gateway seen by the server: (encrypted, all).
async fn gateway_sessions(server: &PrivatePostgres) -> (i64, i64) {
    let row = sqlx::query(
        "SELECT count(*) FILTER (WHERE s.ssl), count(*) FROM pg_stat_ssl s \
         JOIN pg_stat_activity a USING (pid) WHERE a.application_name = 'mfa-gateway'",
    )
    .fetch_one(&mut server.admin().await)
    .await
    .expect("pg_stat_ssl");
    (row.get(0), row.get(1))
}

#[tokio::test]
async fn postgres_over_tls_trusts_the_ca_file_and_fails_closed_without_it() {
    let ca = PrivateCa::new("Test MLS store CA");
    let Some(server) = or_skip("PostgreSQL over TLS", PrivatePostgres::start(&ca).await) else {
        return;
    };
    plain_tcp_is_refused(server.port).await.unwrap();
    let files = tempfile::tempdir().unwrap();
    let ca_file = ca.write(files.path(), "store-ca.pem");

    let mut h = prepared(GatewayOptions {
        storage_yaml: Some(postgres_storage(&server, None)),
        ..GatewayOptions::default()
    })
    .await;
    refuses_to_start(&h, "storage.durable").await;

    h.options.storage_yaml = Some(postgres_storage(&server, Some(&ca_file)));
    h.write_config();
    h.start_gateway().await;
    let user = h.user(0).clone();
    let mut b = h.browser();
    enroll_app(&mut b, &user, THIRTY_DAYS).await;
    assert_eq!(b.get("/").await.status, 200, "signed in after enrolling");
    let members: i64 = sqlx::query("SELECT count(*) FROM members")
        .fetch_one(&mut server.admin().await)
        .await
        .expect("members")
        .get(0);
    assert_eq!(members, 1, "the enrollment was stored");
    let (encrypted, all) = gateway_sessions(&server).await;
    assert!(
        all > 0 && encrypted == all,
        "{encrypted} of {all} sessions over TLS"
    );
}

#[tokio::test]
async fn postgres_trusts_the_platform_roots_by_default() {
    let ca = PrivateCa::new("Test MLS store CA");
    let Some(server) = or_skip("PostgreSQL over TLS", PrivatePostgres::start(&ca).await) else {
        return;
    };
    let files = tempfile::tempdir().unwrap();
    let bundle = ca.write(files.path(), "platform-roots.pem");
    // rustls-native-certs reads the platform's roots from SSL_CERT_FILE when it is set.
    let h = Harness::start(GatewayOptions {
        storage_yaml: Some(postgres_storage(&server, None)),
        gateway_env: vec![("SSL_CERT_FILE".into(), bundle.display().to_string())],
        ..GatewayOptions::default()
    })
    .await;
    let user = h.user(0).clone();
    let mut b = h.browser();
    // Held for MFA: the member was looked up in PostgreSQL (else the fail-closed page).
    let login = b.login(&user.username, &user.password).await;
    assert_eq!(login.location.as_deref(), Some("/_mfa/"), "{login:?}");
    let (encrypted, all) = gateway_sessions(&server).await;
    assert!(
        all > 0 && encrypted == all,
        "{encrypted} of {all} sessions over TLS"
    );
}

/// How many subscribers the revocation channel (default key prefix) has.
async fn channel_subscribers(server: &PrivateRedis) -> i64 {
    let (_, count): (String, i64) = redis::cmd("PUBSUB")
        .arg("NUMSUB")
        .arg("mfa-gateway:epochs")
        .query_async(&mut server.connection().await)
        .await
        .expect("PUBSUB NUMSUB");
    count
}

/// Waits until the gateway's revocation subscriber is on the channel.
async fn wait_for_subscriber(server: &PrivateRedis, h: &Harness) {
    let deadline = Instant::now() + Duration::from_secs(15);
    while channel_subscribers(server).await != 1 {
        assert!(
            Instant::now() < deadline,
            "the revocation channel was never subscribed:\n{}",
            h.log()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn redis_over_tls_trusts_the_ca_file_for_the_store_and_the_revocation_channel() {
    let ca = PrivateCa::new("Test MLS store CA");
    let Some(server) = or_skip("Redis over TLS", PrivateRedis::start(&ca).await) else {
        return;
    };
    let files = tempfile::tempdir().unwrap();
    let ca_file = ca.write(files.path(), "store-ca.pem");

    let mut h = prepared(GatewayOptions {
        storage_yaml: Some(redis_storage(&server, None)),
        // Only the announcement over Redis can end a session within this test.
        revocation_check: "10m".into(),
        ..GatewayOptions::default()
    })
    .await;
    refuses_to_start(&h, "storage.ephemeral").await;

    h.options.storage_yaml = Some(redis_storage(&server, Some(&ca_file)));
    h.write_config();
    h.start_gateway().await;
    let user = h.user(0).clone();
    let mut b = h.browser();
    // The held login lives in Redis until the enrollment completes.
    enroll_app(&mut b, &user, THIRTY_DAYS).await;
    assert_eq!(b.get("/").await.status, 200, "signed in after enrolling");
    wait_for_subscriber(&server, &h).await;

    // `users forget-devices` announces over its own TLS connection; the gateway's subscriber
    // hears it and ends the live session at once.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_mfa-gateway"))
        .args(["users", "forget-devices", &user.username])
        .args(["--reason", "lost phone", "--by", "support", "--config"])
        .arg(h.config_path())
        .env("MFA_LOG", "warn")
        .output()
        .expect("run mfa-gateway users");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(!stderr.contains("could not tell"), "{stderr}");
    let announced = Instant::now();
    while b.get("/").await.status == 200 {
        assert!(
            announced.elapsed() < Duration::from_secs(5),
            "the session outlived the announcement:\n{}",
            h.log()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn redis_trusts_the_platform_roots_by_default() {
    let ca = PrivateCa::new("Test MLS store CA");
    let Some(server) = or_skip("Redis over TLS", PrivateRedis::start(&ca).await) else {
        return;
    };
    let files = tempfile::tempdir().unwrap();
    let bundle = ca.write(files.path(), "platform-roots.pem");
    let h = Harness::start(GatewayOptions {
        storage_yaml: Some(redis_storage(&server, None)),
        gateway_env: vec![("SSL_CERT_FILE".into(), bundle.display().to_string())],
        ..GatewayOptions::default()
    })
    .await;
    let user = h.user(0).clone();
    let mut b = h.browser();
    // Held for MFA: the held login was written to Redis (else the fail-closed page).
    let login = b.login(&user.username, &user.password).await;
    assert_eq!(login.location.as_deref(), Some("/_mfa/"), "{login:?}");
    // The revocation channel uses the same trust.
    wait_for_subscriber(&server, &h).await;
}
