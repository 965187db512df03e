//! Several gateway instances on shared PostgreSQL + Redis (issue 6 acceptance), through the real
//! binary: `scaleout/cluster.rs` (login on one instance, verify on another; one code raced on
//! both; attempt limits counted across both; a reset on one voids trust on the other),
//! `scaleout/outages.rs` (Redis or PostgreSQL cut or frozen mid-run: fail closed, `/readyz`,
//! recovery without restart), `scaleout/restarts.rs` (no enrollment lost across restarts) and
//! `scaleout/revocations.rs` (a revocation announced over Redis pub/sub ends live sessions on
//! every instance within a second).
//!
//! The binary's name starts with `scaleout`, so every harness runs on the servers of
//! `MFA_TEST_POSTGRES_URL` / `MFA_TEST_REDIS_URL` with its own schema and key prefix; unset
//! variables skip the tests (`SKIPPED: …`), except under CI.

mod common;
#[path = "support/mod.rs"]
mod support;

// Part 1's loopback relay; these tests use only part of it.
#[allow(dead_code)]
#[path = "store_contract/proxy.rs"]
mod relay;

#[path = "scaleout/cluster.rs"]
mod cluster;
#[path = "scaleout/helpers.rs"]
mod helpers;
#[path = "scaleout/outages.rs"]
mod outages;
#[path = "scaleout/restarts.rs"]
mod restarts;
#[path = "scaleout/revocations.rs"]
mod revocations;

use std::net::SocketAddr;

use common::backend::{split_password, with_address};

#[test]
fn store_urls_are_rewritten_for_the_gateway() {
    let relay: SocketAddr = "127.0.0.1:4000".parse().unwrap();
    assert_eq!(
        with_address("postgres://postgres@127.0.0.1:5432/test", Some(relay)),
        "postgres://postgres@127.0.0.1:4000/test"
    );
    assert_eq!(
        with_address("redis://127.0.0.1:6379", None),
        "redis://127.0.0.1:6379"
    );
    assert_eq!(
        split_password("redis://:p%40ss@cache:6379/0"),
        ("redis://cache:6379/0".to_string(), Some("p@ss".to_string()))
    );
    assert_eq!(
        split_password("postgres://app:pw@db/x?sslmode=disable"),
        (
            "postgres://app@db/x?sslmode=disable".to_string(),
            Some("pw".to_string())
        )
    );
    assert_eq!(
        split_password("postgres://app@db/x"),
        ("postgres://app@db/x".to_string(), None)
    );
}
