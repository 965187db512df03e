//! Smoke tests of the legacy "zoo" (`tests/legacy`, launched by `tests/common/legacy.rs`),
//! directly against each app with no gateway in front: each real stack signs in through its own
//! flow, keeps its own session, and its oracle log tells who it saw.
//!
//! The cases: `legacy_apps/form_sites.rs` (PHP and Express), `legacy_apps/tomcat.rs`, and
//! below, apps side by side; `legacy_apps/client.rs` is the client they share.

#[path = "legacy_apps/client.rs"]
mod client;
#[path = "legacy_apps/form_sites.rs"]
mod form_sites;
#[path = "common/legacy.rs"]
mod legacy;
#[path = "legacy_apps/tomcat.rs"]
mod tomcat;

use client::login_as;
use legacy::{LegacyApp, Stack};

/// Several apps of each kind run side by side, each with its own port, log and sessions.
#[tokio::test]
async fn apps_run_in_parallel_with_separate_oracles() {
    let (a, b) = tokio::join!(
        LegacyApp::start(Stack::Php),
        LegacyApp::start(Stack::Express)
    );
    let (Some(a), Some(b)) = (a, b) else {
        return;
    };
    assert_ne!(a.addr(), b.addr());
    assert_eq!(
        login_as(&a, "jdoe", "listings2024").await.as_deref(),
        Some("jdoe")
    );
    assert_eq!(
        login_as(&b, "asmith", "openhouse99").await.as_deref(),
        Some("asmith")
    );
    assert!(a.saw_session_of("jdoe") && !a.saw_session_of("asmith"));
    assert!(b.saw_session_of("asmith") && !b.saw_session_of("jdoe"));
}
