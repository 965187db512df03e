//! Differential fuzzing of the gateway in front of the real legacy stacks (`tests/legacy/`).
//!
//! A legitimate member (jdoe) passes MFA in one browser, so a live, released session value `X`
//! exists at the app. Then seeded, randomly combined raw requests (method spellings, login path
//! spellings, members' pages, framing tricks, forged identity headers, spellings of the stolen
//! session cookie, login bodies with credential spellings and appended smuggled requests) are
//! sent on fresh connections. None of them passed MFA, so after every variant the app's own
//! oracle log must show no signed-in request, no answer may hand out a live member session,
//! the gateway never names itself and its 400s are `no-store`, and every connection ends.
//!
//! Reproduce a run with `MFA_FUZZ_SEED=<seed printed at the start>`; bounds with
//! `MFA_FUZZ_VARIANTS` (default 300 per stack) and `MFA_FUZZ_SECS` (default 25 per stack).
//!
//! Layout: `legacy_fuzz/gen.rs` generates the variants, `legacy_fuzz/oracle.rs` sends each one
//! and checks the oracles; this file runs the loop per stack.

mod common;
#[path = "legacy_fuzz/gen.rs"]
mod gen;
#[path = "legacy_fuzz/oracle.rs"]
mod oracle;

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use common::legacy::Stack;
use common::zoo::Zoo;
use common::{enroll_held, THIRTY_DAYS};
use gen::{generate, Rng};
use oracle::{check_variant, visitor_cookies};

/// The member whose released session the variants try to ride on.
const USER: &str = "jdoe";

/// [`USER`]'s password at the demo site and the legacy apps.
fn password() -> String {
    mfa_gateway::demo::demo_users()
        .into_iter()
        .find(|u| u.username == USER)
        .map(|u| u.password)
        .expect("demo member")
}

/// A number from env `name`, decimal or `0x` hex.
fn env_number(name: &str) -> Option<u64> {
    let text = std::env::var(name).ok()?;
    let text = text.trim();
    match text.strip_prefix("0x") {
        Some(hex) => u64::from_str_radix(hex, 16).ok(),
        None => text.parse().ok(),
    }
}

/// The run's seed (one for every stack of the run): `MFA_FUZZ_SEED`, else the clock.
fn base_seed() -> u64 {
    static SEED: std::sync::OnceLock<u64> = std::sync::OnceLock::new();
    *SEED.get_or_init(|| {
        env_number("MFA_FUZZ_SEED").unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_nanos() as u64)
                .unwrap_or(0x5EED)
        })
    })
}

/// One seeded run in front of `stack`: the member passes MFA, then the variants, each checked
/// by the oracles, then a check that the connection pool was never desynchronised.
async fn fuzz(stack: Stack) {
    let Some(zoo) = Zoo::start(stack).await else {
        return;
    };
    let p = zoo.profile();
    let stack_index = Stack::ALL.iter().position(|s| *s == stack).unwrap_or(0) as u64;
    let seed = base_seed();
    let max_variants = env_number("MFA_FUZZ_VARIANTS").unwrap_or(300) as usize;
    let max_time = Duration::from_secs(env_number("MFA_FUZZ_SECS").unwrap_or(25));
    println!(
        "legacy_fuzz {}: MFA_FUZZ_SEED={seed} (at most {max_variants} variants, {max_time:?})",
        p.name
    );
    let mut rng = Rng::new(seed ^ (stack_index + 1).wrapping_mul(0xA076_1D64_78BD_642F));

    // The legitimate member passes MFA: their released session is the value to steal.
    let mut member = zoo.browser();
    let held = zoo.login(&mut member, USER, &password(), None).await;
    assert_eq!(held.location.as_deref(), Some("/_mfa/"), "held: {held:?}");
    let (_enrolled, done) = enroll_held(&mut member, THIRTY_DAYS).await;
    assert_eq!(done.status, 303, "released: {done:?}");
    assert_eq!(zoo.whoami(&mut member).await.as_deref(), Some(USER));
    let x = member
        .cookie(p.session_cookie)
        .expect("released session")
        .to_string();
    let name = p.session_cookie;
    assert_eq!(
        zoo.app
            .whoami_direct(&format!("{name}={x}"))
            .await
            .as_deref(),
        Some(USER),
        "the stolen value is a live session at the app"
    );

    let began = Instant::now();
    let mut ran = 0usize;
    let mut statuses: BTreeMap<String, usize> = BTreeMap::new();
    let mut reached_app = 0usize;
    let mut visitor = visitor_cookies(&zoo).await;
    let mut failures: Vec<String> = Vec::new();
    let mut notes: Vec<String> = Vec::new();
    while ran < max_variants && began.elapsed() < max_time {
        if ran.is_multiple_of(25) {
            visitor = visitor_cookies(&zoo).await;
        }
        let variant = generate(&mut rng, &zoo, &x, &visitor, zoo.gw.port);
        let ctx = format!(
            "[{} MFA_FUZZ_SEED={seed} variant #{ran}] {:?}",
            p.name,
            String::from_utf8_lossy(&variant.bytes)
        );
        let outcome = check_variant(&zoo, &variant, &ctx, &mut failures, &mut notes).await;
        if outcome.reached_app {
            reached_app += 1;
        }
        *statuses.entry(outcome.status).or_default() += 1;
        ran += 1;
    }
    println!(
        "legacy_fuzz {}: MFA_FUZZ_SEED={seed}: {ran} variants in {:?} ({reached_app} reached the app); statuses {statuses:?}",
        p.name,
        began.elapsed()
    );
    for note in &notes {
        println!("NOTE: {note}");
    }
    assert!(ran > 0, "no variant ran");
    assert!(
        failures.is_empty(),
        "[{} MFA_FUZZ_SEED={seed}] {} of {ran} variants failed the oracle:\n{}",
        p.name,
        failures.len(),
        failures
            .iter()
            .take(8)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n\n")
    );

    // The pool was never desynchronised: the member still gets their own answers, a fresh
    // browser nobody's.
    let ctx = format!("[{} MFA_FUZZ_SEED={seed} after {ran} variants]", p.name);
    for _ in 0..3 {
        assert_eq!(
            zoo.whoami(&mut member).await.as_deref(),
            Some(USER),
            "{ctx}: the member"
        );
        assert_eq!(
            zoo.whoami(&mut zoo.browser()).await,
            None,
            "{ctx}: a fresh browser"
        );
    }
}

#[tokio::test]
async fn fuzz_php() {
    fuzz(Stack::Php).await;
}

#[tokio::test]
async fn fuzz_express() {
    fuzz(Stack::Express).await;
}

#[tokio::test]
async fn fuzz_tomcat() {
    fuzz(Stack::Tomcat).await;
}

#[test]
fn every_stack_has_a_fuzz_test() {
    assert_eq!(Stack::ALL.len(), 3, "add a fuzz_* test for the new stack");
}
