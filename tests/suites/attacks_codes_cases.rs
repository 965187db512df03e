//! Attacks on the codes: races and brute force (issue 8, classes 3–5; Keycloak CVE-2024-4629,
//! CVE-2024-5658 classes; NIST SP 800-63B-4 §3.1.3.2 / §5.2.2 rate limiting).
//!
//! Shared by `tests/attacks_codes.rs` (demo site) and `tests/legacy_*.rs` (the real legacy
//! stacks of `tests/legacy/`): the harness picks the app from the test binary's name.

use crate::common::{enroll_app, submit_code, Browser, GatewayOptions, Harness, THIRTY_DAYS};

async fn held_login(h: &Harness, user: &mfa_gateway::demo::DemoUser) -> (Browser, String) {
    let mut b = h.browser();
    let login = b.login(&user.username, &user.password).await;
    assert_eq!(login.location.as_deref(), Some("/_mfa/"));
    let page = b.get("/_mfa/").await;
    let csrf = page.input_value("csrf").unwrap();
    (b, csrf)
}

#[tokio::test]
async fn fifty_parallel_submissions_of_one_valid_code_release_exactly_one_login() {
    let h = Harness::start(GatewayOptions::default()).await;
    let user = h.user(0).clone();
    let mut first = h.browser();
    let (mut enrolled, _) = enroll_app(&mut first, &user, THIRTY_DAYS).await;
    let code = enrolled.fresh_code().await;
    let (b, csrf) = held_login(&h, &user).await;
    let tasks: Vec<_> = (0..50)
        .map(|_| {
            let (mut b, csrf, code) = (b.clone(), csrf.clone(), code.clone());
            tokio::spawn(async move {
                b.post_form("/_mfa/verify", &[("csrf", &csrf), ("code", &code)])
                    .await
                    .status
            })
        })
        .collect();
    let mut released = 0;
    for t in tasks {
        released += usize::from(t.await.unwrap() == 303);
    }
    assert_eq!(released, 1);
}

#[tokio::test]
async fn fifty_parallel_wrong_guesses_are_counted_exactly() {
    let h = Harness::start(GatewayOptions {
        per_challenge: 5,
        ..GatewayOptions::default()
    })
    .await;
    let user = h.user(0).clone();
    let mut first = h.browser();
    let (mut enrolled, _) = enroll_app(&mut first, &user, THIRTY_DAYS).await;
    let (b, csrf) = held_login(&h, &user).await;
    let tasks: Vec<_> = (0..50)
        .map(|i| {
            let (mut b, csrf) = (b.clone(), csrf.clone());
            let guess = format!("{:06}", 100_000 + i);
            tokio::spawn(async move {
                b.post_form("/_mfa/verify", &[("csrf", &csrf), ("code", &guess)])
                    .await
            })
        })
        .collect();
    let mut evaluated = 0;
    for t in tasks {
        let resp = t.await.unwrap();
        assert_ne!(resp.status, 303, "a guess released the login");
        if resp.body.contains("entered the code correctly") {
            evaluated += 1;
        }
    }
    // Exactly per_challenge guesses were compared with the real code: the first four show the
    // wrong-code page, the fifth and every later one answer "too many incorrect codes".
    assert_eq!(evaluated, 4, "guesses evaluated beyond the limit of 5");
    // And the held login is void: even the right code does not release it now.
    let code = enrolled.fresh_code().await;
    let mut b = b;
    let after = b
        .post_form("/_mfa/verify", &[("csrf", &csrf), ("code", &code)])
        .await;
    assert_ne!(after.status, 303);
    assert_eq!(
        h.site
            .seen()
            .iter()
            .filter(|r| r.session_user.is_some())
            .count(),
        0,
        "the legacy app saw no authenticated request (the enrolling browser never browsed)"
    );
}

#[tokio::test]
async fn new_challenges_do_not_reset_the_member_counter_and_backoff_applies() {
    let options = GatewayOptions {
        per_challenge: 3,
        per_user_before_backoff: 4,
        ..GatewayOptions::default()
    };
    let h = Harness::start(options).await;
    let user = h.user(0).clone();
    let mut first = h.browser();
    let (mut enrolled, _) = enroll_app(&mut first, &user, THIRTY_DAYS).await;
    // Two wrong codes on each of two fresh held logins: 4 consecutive failures in total.
    for _ in 0..2 {
        let (mut b, csrf) = held_login(&h, &user).await;
        for guess in ["000000", "000001"] {
            b.post_form("/_mfa/verify", &[("csrf", &csrf), ("code", guess)])
                .await;
        }
    }
    // A third held login: the member is in backoff, so even the right code is refused now.
    let (mut b, _) = held_login(&h, &user).await;
    let code = enrolled.fresh_code().await;
    let refused = submit_code(&mut b, &code).await;
    assert_ne!(
        refused.status, 303,
        "backoff must hold across new challenges"
    );
    assert!(
        refused.body.contains("second") || refused.status == 429,
        "{}",
        refused.body
    );
}

#[tokio::test]
async fn the_wrong_code_that_locks_the_member_says_so_on_its_own_answer() {
    let options = GatewayOptions {
        per_challenge: 5,
        per_user_before_backoff: 2,
        per_user_lockout: 2,
        ..GatewayOptions::default()
    };
    let h = Harness::start(options).await;
    let user = h.user(0).clone();
    let mut first = h.browser();
    let (mut enrolled, _) = enroll_app(&mut first, &user, THIRTY_DAYS).await;
    let (mut b, csrf) = held_login(&h, &user).await;
    let good = enrolled.fresh_code().await;
    let wrong = |n: u32| format!("{:06}", (good.parse::<u32>().unwrap() + n) % 1_000_000);
    let wrong_once = b
        .post_form("/_mfa/verify", &[("csrf", &csrf), ("code", &wrong(1))])
        .await;
    assert_eq!(wrong_once.status, 200, "{}", wrong_once.body);
    // Tries left count the member's lock (2 failures) as well as this sign-in's 5 attempts.
    assert!(
        wrong_once.text().contains("You can try 1 more time."),
        "{}",
        wrong_once.body
    );
    // The second wrong code reaches per_user_lockout: this very answer says "locked", with the
    // support contact, not "you can try 3 more times".
    let locking = b
        .post_form("/_mfa/verify", &[("csrf", &csrf), ("code", &wrong(2))])
        .await;
    assert_eq!(locking.status, 403, "{}", locking.body);
    assert!(locking.text().contains("MFA is locked"), "{}", locking.body);
    assert!(!locking.text().contains("more time"), "{}", locking.body);
    assert!(locking.body.contains("support@smartmls.com"));
}
