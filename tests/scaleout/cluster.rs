//! Two gateway instances on two ports sharing PostgreSQL, Redis and the key files, as behind a
//! load balancer: a member's requests may land on either, and single use, attempt limits and
//! support resets must hold across both.

use mfa_gateway::mfa::codes::SENDS_PER_WINDOW;
use serde_json::json;

use crate::common::{
    enroll_app, totp, Browser, Enrolled, GatewayOptions, Harness, Resp, ADMIN_TOKEN, THIRTY_DAYS,
    TWILIO_SID, TWILIO_TOKEN,
};
use crate::helpers::{bounded, nth_text_code, on, wrong_code};
use crate::support::sms_provider::FakeSmsProvider;

/// Posts `code` to `/_mfa/verify` with the held login's CSRF token.
async fn verify(b: &mut Browser, csrf: &str, code: &str) -> Resp {
    bounded(
        "verify",
        b.post_form("/_mfa/verify", &[("csrf", csrf), ("code", code)]),
    )
    .await
}

/// Logs in on `b` (which must be held for MFA) and returns the challenge page's CSRF token.
async fn hold_login(b: &mut Browser, username: &str, password: &str) -> String {
    let login = bounded("login", b.login(username, password)).await;
    assert_eq!(login.location.as_deref(), Some("/_mfa/"), "{login:?}");
    let page = bounded("challenge page", b.get("/_mfa/")).await;
    page.input_value("csrf")
        .unwrap_or_else(|| panic!("no csrf on the challenge: {}", page.body))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_login_held_on_one_instance_is_set_up_and_verified_on_the_other() {
    let Some(h) = Harness::start_or_skip(GatewayOptions::default()).await else {
        return;
    };
    let peer = h.start_peer().await;
    let user = h.user(0).clone();

    // Set-up: the login is held by A, the set-up page (and its draft secret) comes from B, and
    // the first code is confirmed on A.
    let mut at_a = h.browser();
    let held = bounded("login on A", at_a.login(&user.username, &user.password)).await;
    assert_eq!(held.location.as_deref(), Some("/_mfa/"), "{held:?}");
    let mut at_b = on(&at_a, &peer.url());
    let page = bounded("set-up page on B", at_b.get("/_mfa/")).await;
    let uri = page
        .otpauth_uri()
        .unwrap_or_else(|| panic!("B shows the set-up of A's held login: {}", page.body));
    let secret = totp::secret_from_uri(&uri);
    let csrf = page.input_value("csrf").expect("csrf");
    let step = totp::current_step();
    let mut at_a = on(&at_b, &h.url());
    let remember = THIRTY_DAYS.to_string();
    let done = bounded(
        "confirm on A",
        at_a.post_form(
            "/_mfa/enroll/app",
            &[
                ("csrf", &csrf),
                ("code", &totp::code_at_step(&secret, step)),
                ("remember", &remember),
            ],
        ),
    )
    .await;
    assert_eq!(done.status, 303, "{}", done.body);

    // The session bound by A and the device trusted by A are honoured by B (shared key ring).
    let mut at_b = on(&at_a, &peer.url());
    let home = bounded("home on B", at_b.get("/")).await;
    assert_eq!(home.status, 200);
    assert!(home.body.contains(&user.display_name));
    bounded("logout on B", at_b.get("/logout")).await;
    let again = bounded("login on B", at_b.login(&user.username, &user.password)).await;
    assert_eq!(
        again.location.as_deref(),
        Some("/"),
        "trusted on B: {again:?}"
    );

    // Challenge: a new browser is held by B and verified on A; the release works on B.
    let mut enrolled = Enrolled {
        secret,
        last_step: step,
    };
    let mut fresh = peer.browser();
    let csrf = hold_login(&mut fresh, &user.username, &user.password).await;
    let mut fresh_at_a = on(&fresh, &h.url());
    let code = enrolled.fresh_code().await;
    let released = verify(&mut fresh_at_a, &csrf, &code).await;
    assert_eq!(released.status, 303, "{}", released.body);
    let mut back_at_b = on(&fresh_at_a, &peer.url());
    let home = bounded("home on B after release on A", back_at_b.get("/")).await;
    assert_eq!(home.status, 200);
    assert!(home.body.contains(&user.display_name));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn one_texted_code_raced_on_both_instances_releases_one_login_per_round() {
    let sms = FakeSmsProvider::start(TWILIO_SID, TWILIO_TOKEN, None).await;
    let options = GatewayOptions {
        methods: vec!["text".into()],
        twilio_base_url: Some(sms.base_url()),
        ..GatewayOptions::default()
    };
    let Some(h) = Harness::start_or_skip(options).await else {
        return;
    };
    let peer = h.start_peer().await;
    let nodes = [h.url(), peer.url()];
    let mut rounds = 0;
    for (i, user) in h.users.clone().iter().enumerate() {
        // Set-up by text: held on one instance, the code confirmed on the other.
        let mut b = Browser::new(&nodes[i % 2]);
        bounded("login", b.login(&user.username, &user.password)).await;
        let page = bounded("set-up page", b.get("/_mfa/")).await;
        let csrf = page.input_value("csrf").expect("csrf");
        let code = nth_text_code(&sms, &user.mobile, 0).await;
        let mut other = on(&b, &nodes[(i + 1) % 2]);
        let remember = THIRTY_DAYS.to_string();
        let done = bounded(
            "confirm",
            other.post_form(
                "/_mfa/enroll/contact",
                &[("csrf", &csrf), ("code", &code), ("remember", &remember)],
            ),
        )
        .await;
        assert_eq!(done.status, 303, "{}", done.body);

        // One round for each further send the member is allowed per window. Four copies of
        // one held login submit its code at once, two on each instance.
        for n in 1..SENDS_PER_WINDOW as usize {
            let mut held = Browser::new(&nodes[n % 2]);
            let csrf = hold_login(&mut held, &user.username, &user.password).await;
            let code = nth_text_code(&sms, &user.mobile, n).await;
            let racers: Vec<_> = (0..4)
                .map(|k| {
                    let mut racer = on(&held, &nodes[k % 2]);
                    let (csrf, code) = (csrf.clone(), code.clone());
                    tokio::spawn(async move {
                        let resp = verify(&mut racer, &csrf, &code).await;
                        (resp.status, racer.cookie("MLSSESSION").is_some())
                    })
                })
                .collect();
            let mut outcomes = Vec::new();
            for racer in racers {
                outcomes.push(racer.await.expect("racer"));
            }
            let released = outcomes.iter().filter(|(status, _)| *status == 303).count();
            let with_session = outcomes.iter().filter(|(_, session)| *session).count();
            assert_eq!(
                (released, with_session),
                (1, 1),
                "{}, round {n}: {outcomes:?}",
                user.username
            );
            rounds += 1;
        }
    }
    assert_eq!(rounds, 3 * (SENDS_PER_WINDOW as usize - 1));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn one_authenticator_code_raced_on_both_instances_releases_one_login() {
    let Some(h) = Harness::start_or_skip(GatewayOptions::default()).await else {
        return;
    };
    let peer = h.start_peer().await;
    let nodes = [h.url(), peer.url()];
    for (i, user) in h.users.clone().iter().enumerate() {
        let mut first = Browser::new(&nodes[i % 2]);
        let (mut enrolled, done) =
            bounded("enroll", enroll_app(&mut first, user, THIRTY_DAYS)).await;
        assert_eq!(done.status, 303, "{}", done.body);
        let code = enrolled.fresh_code().await;
        // Twelve browsers hold logins, six per instance, and all submit the same code at once:
        // the step advances in PostgreSQL for exactly one of them.
        let mut held = Vec::new();
        for k in 0..12 {
            let mut b = Browser::new(&nodes[k % 2]);
            let csrf = hold_login(&mut b, &user.username, &user.password).await;
            held.push((b, csrf));
        }
        let racers: Vec<_> = held
            .into_iter()
            .map(|(mut b, csrf)| {
                let code = code.clone();
                tokio::spawn(async move { verify(&mut b, &csrf, &code).await.status })
            })
            .collect();
        let mut statuses = Vec::new();
        for racer in racers {
            statuses.push(racer.await.expect("racer"));
        }
        let released = statuses.iter().filter(|s| **s == 303).count();
        assert_eq!(released, 1, "{}: {statuses:?}", user.username);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn attempt_limits_are_counted_across_instances() {
    let options = GatewayOptions {
        per_challenge: 3,
        per_user_before_backoff: 8,
        ..GatewayOptions::default()
    };
    let Some(h) = Harness::start_or_skip(options).await else {
        return;
    };
    let peer = h.start_peer().await;
    let stores = h.stores.clone().expect("server stores");
    let (a, b) = (h.url(), peer.url());
    let user = h.user(0).clone();
    let mut first = h.browser();
    let (mut enrolled, _) = bounded("enroll", enroll_app(&mut first, &user, THIRTY_DAYS)).await;
    let failures = || async {
        let mut db = stores.postgres().await;
        let (count, locked): (i64, Option<i64>) = sqlx::query_as(
            "SELECT consecutive_failures, locked_until FROM members WHERE login = $1",
        )
        .bind(&user.username)
        .fetch_one(&mut db)
        .await
        .expect("member row");
        (count, locked)
    };
    let wrong = wrong_code(&enrolled.secret);

    // Per held login: wrong on A, on B, on A; the third ends the sign-in, and then even the
    // right code on B is refused.
    let mut held = Browser::new(&a);
    let csrf = hold_login(&mut held, &user.username, &user.password).await;
    for (n, node) in [&a, &b, &a].into_iter().enumerate() {
        let resp = verify(&mut on(&held, node), &csrf, &wrong).await;
        if n < 2 {
            assert!(resp.text().contains("didn't work"), "{}", resp.body);
        } else {
            assert_eq!(resp.status, 403, "{}", resp.body);
            assert!(resp.text().contains("Too many incorrect codes"));
        }
    }
    let code = enrolled.fresh_code().await;
    let mut late = on(&held, &b);
    let refused = verify(&mut late, &csrf, &code).await;
    assert_ne!(refused.status, 303, "{}", refused.body);
    assert!(late.cookie("MLSSESSION").is_none());
    assert_eq!(failures().await.0, 3);

    // Ten wrong codes at once on one held login, five per instance: only three are looked at.
    let mut held = Browser::new(&b);
    let csrf = hold_login(&mut held, &user.username, &user.password).await;
    let racers: Vec<_> = (0..10)
        .map(|k| {
            let mut racer = on(&held, if k % 2 == 0 { &a } else { &b });
            let (csrf, wrong) = (csrf.clone(), wrong.clone());
            tokio::spawn(async move { verify(&mut racer, &csrf, &wrong).await.status })
        })
        .collect();
    for racer in racers {
        assert_ne!(racer.await.expect("racer"), 303);
    }
    assert_eq!(failures().await, (6, None));

    // Per member: failures on both instances add up to the backoff threshold (8).
    let mut held = Browser::new(&a);
    let csrf = hold_login(&mut held, &user.username, &user.password).await;
    let resp = verify(&mut on(&held, &a), &csrf, &wrong).await;
    assert!(resp.text().contains("didn't work"), "{}", resp.body);
    // The failure that starts the backoff says so on its own answer (issue 16).
    let resp = verify(&mut on(&held, &b), &csrf, &wrong).await;
    assert_eq!(resp.status, 429, "{}", resp.body);
    let (count, locked) = failures().await;
    assert_eq!(count, 8);
    assert!(locked.is_some(), "backoff recorded");
    // The right code (never accepted above: that login was void before its code was looked at)
    // is now refused on both instances, for this login and a new one.
    let mut right_on_a = on(&held, &a);
    let resp = verify(&mut right_on_a, &csrf, &code).await;
    assert_eq!(resp.status, 429, "{}", resp.body);
    let mut other = Browser::new(&b);
    let csrf = hold_login(&mut other, &user.username, &user.password).await;
    let resp = verify(&mut other, &csrf, &code).await;
    assert_eq!(resp.status, 429, "{}", resp.body);
    assert!(right_on_a.cookie("MLSSESSION").is_none() && other.cookie("MLSSESSION").is_none());
    // The enrollment's release was never followed, so no session of this member was ever used.
    assert!(!h.site_saw_session_of(&user.username));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reset_on_one_instance_voids_trust_on_the_other() {
    let options = GatewayOptions {
        admin: true,
        ..GatewayOptions::default()
    };
    let Some(h) = Harness::start_or_skip(options).await else {
        return;
    };
    let peer = h.start_peer().await;
    let user = h.user(0).clone();
    let mut at_a = h.browser();
    let (_, done) = bounded("enroll on A", enroll_app(&mut at_a, &user, THIRTY_DAYS)).await;
    assert_eq!(done.status, 303, "{}", done.body);
    let mut at_b = on(&at_a, &peer.url());
    bounded("logout on B", at_b.get("/logout")).await;
    let trusted = bounded("login on B", at_b.login(&user.username, &user.password)).await;
    assert_eq!(trusted.location.as_deref(), Some("/"), "trusted on B");

    // Support resets the member through A's admin API.
    let reset = bounded(
        "reset on A",
        reqwest::Client::new()
            .post(format!(
                "{}/v1/users/{}/reset",
                h.admin_url(),
                user.username
            ))
            .bearer_auth(ADMIN_TOKEN)
            .json(&json!({"reason": "new phone, ID checked", "by": "dave"}))
            .send(),
    )
    .await
    .expect("admin API");
    assert_eq!(reset.status(), 200);

    // B no longer honours the trust cookie: the browser is held and must set up again.
    bounded("logout on B", at_b.get("/logout")).await;
    let held = bounded("login on B", at_b.login(&user.username, &user.password)).await;
    assert_eq!(held.location.as_deref(), Some("/_mfa/"), "{held:?}");
    let page = bounded("set-up on B", at_b.get("/_mfa/")).await;
    let uri = page
        .otpauth_uri()
        .unwrap_or_else(|| panic!("the reset removed the enrollment: {}", page.body));

    // Set up again on B, then "forget devices" by the CLI with B's config voids A's trust.
    let secret = totp::secret_from_uri(&uri);
    let csrf = page.input_value("csrf").expect("csrf");
    let remember = THIRTY_DAYS.to_string();
    let code = totp::code_at_step(&secret, totp::current_step());
    let done = bounded(
        "confirm on B",
        at_b.post_form(
            "/_mfa/enroll/app",
            &[("csrf", &csrf), ("code", &code), ("remember", &remember)],
        ),
    )
    .await;
    assert_eq!(done.status, 303, "{}", done.body);
    let mut at_a = on(&at_b, &h.url());
    bounded("logout on A", at_a.get("/logout")).await;
    let trusted = bounded("login on A", at_a.login(&user.username, &user.password)).await;
    assert_eq!(trusted.location.as_deref(), Some("/"), "new trust on A");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_mfa-gateway"))
        .args(["users", "forget-devices", &user.username])
        .args(["--reason", "lost laptop", "--by", "dave", "--config"])
        .arg(peer.config_path())
        .env("MFA_LOG", "warn")
        .output()
        .expect("run mfa-gateway");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    bounded("logout on A", at_a.get("/logout")).await;
    let held = bounded("login on A", at_a.login(&user.username, &user.password)).await;
    assert_eq!(held.location.as_deref(), Some("/_mfa/"), "{held:?}");
    let page = bounded("challenge on A", at_a.get("/_mfa/")).await;
    assert!(
        page.body.contains("name=\"code\"") && page.otpauth_uri().is_none(),
        "still enrolled, challenged: {}",
        page.body
    );
}
