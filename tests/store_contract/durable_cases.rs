//! Cases every durable store must pass.

use std::collections::BTreeSet;

use mfa_gateway::store::{EnrolledMethod, Enrollment, StoreError};

use crate::harness::{key, race, DurableBackend};

/// A plaintext TOTP secret distinctive enough to search for in files.
const SECRET: &[u8; 20] = b"PLAINTEXT-TOTP-SEC!!";

/// An authenticator-app enrollment with `secret`.
fn app_enrollment(secret: &[u8]) -> Enrollment {
    Enrollment {
        method: EnrolledMethod::App,
        totp_secret: Some(secret.to_vec()),
        trust_period_secs: 30 * 24 * 3600,
        enrolled_at: 1_700_000_000,
    }
}

pub async fn unknown_member_is_none(b: &dyn DurableBackend) {
    let store = b.open(&[key("k1", 1)]).await;
    assert!(store.member("nobody").await.unwrap().is_none());
    store.ping().await.unwrap();
}

pub async fn enrollment_round_trips_and_epoch_starts_at_zero(b: &dyn DurableBackend) {
    let store = b.open(&[key("k1", 1)]).await;
    store
        .save_enrollment("alice", &app_enrollment(SECRET), Some(100))
        .await
        .unwrap();
    let record = store.member("alice").await.unwrap().expect("saved");
    assert_eq!(record.login, "alice");
    assert_eq!(record.epoch, 0);
    assert_eq!(record.enrollment, Some(app_enrollment(SECRET)));
    assert_eq!(
        (
            record.consecutive_failures,
            record.locked_until,
            record.last_success_at
        ),
        (0, None, None)
    );
    // The confirming code's step cannot be used again; a later one can.
    assert!(!store.advance_totp_step("alice", 100).await.unwrap());
    assert!(store.advance_totp_step("alice", 101).await.unwrap());

    let email = Enrollment {
        method: EnrolledMethod::Email,
        totp_secret: None,
        trust_period_secs: 86_400,
        enrolled_at: 5,
    };
    store.save_enrollment("alice", &email, None).await.unwrap();
    let record = store.member("alice").await.unwrap().expect("saved");
    assert_eq!(record.enrollment, Some(email));
    // Replacing an enrollment never rewinds the last accepted step.
    assert!(!store.advance_totp_step("alice", 101).await.unwrap());
}

pub async fn advance_totp_step_has_exactly_one_winner(b: &dyn DurableBackend) {
    let store = b.open(&[key("k1", 1)]).await;
    store
        .save_enrollment("racer", &app_enrollment(SECRET), None)
        .await
        .unwrap();
    let wins = race(50, |_| {
        let store = store.clone();
        async move { store.advance_totp_step("racer", 5_000).await.unwrap() }
    })
    .await;
    assert_eq!(wins.iter().filter(|won| **won).count(), 1, "{wins:?}");
    assert!(
        !store.advance_totp_step("racer", 5_000).await.unwrap(),
        "same step again"
    );
    assert!(
        !store.advance_totp_step("racer", 4_999).await.unwrap(),
        "smaller step after larger"
    );
    assert!(store.advance_totp_step("racer", 5_001).await.unwrap());
    assert!(
        !store.advance_totp_step("ghost", 1).await.unwrap(),
        "no row, no acceptance"
    );
}

pub async fn failures_count_atomically_and_success_clears(b: &dyn DurableBackend) {
    let store = b.open(&[key("k1", 1)]).await;
    let counts = race(50, |_| {
        let store = store.clone();
        async move { store.record_failure("guesser").await.unwrap() }
    })
    .await;
    assert_eq!(
        counts.into_iter().collect::<BTreeSet<u32>>(),
        (1..=50).collect::<BTreeSet<u32>>()
    );
    let record = store
        .member("guesser")
        .await
        .unwrap()
        .expect("row created by failures");
    assert_eq!(
        (record.consecutive_failures, record.epoch, record.enrollment),
        (50, 0, None)
    );

    store.lock_until("guesser", 2_000).await.unwrap();
    store.lock_until("guesser", 1_000).await.unwrap();
    assert_eq!(
        store.member("guesser").await.unwrap().unwrap().locked_until,
        Some(2_000),
        "never shortened"
    );
    store.lock_until("guesser", 3_000).await.unwrap();
    assert_eq!(
        store.member("guesser").await.unwrap().unwrap().locked_until,
        Some(3_000)
    );

    store.record_success("guesser", 1_234).await.unwrap();
    let record = store.member("guesser").await.unwrap().unwrap();
    assert_eq!(
        (
            record.consecutive_failures,
            record.locked_until,
            record.last_success_at
        ),
        (0, None, Some(1_234))
    );

    store.record_failure("guesser").await.unwrap();
    store.lock_until("guesser", 9_000).await.unwrap();
    store.unlock("guesser").await.unwrap();
    let record = store.member("guesser").await.unwrap().unwrap();
    assert_eq!(
        (
            record.consecutive_failures,
            record.locked_until,
            record.last_success_at
        ),
        (0, None, Some(1_234))
    );
    assert_eq!(
        store.record_failure("guesser").await.unwrap(),
        1,
        "counting restarts after unlock"
    );
}

pub async fn reset_bumps_epoch_and_removes_enrollment(b: &dyn DurableBackend) {
    let store = b.open(&[key("k1", 1)]).await;
    store
        .save_enrollment("carol", &app_enrollment(SECRET), Some(10))
        .await
        .unwrap();
    assert_eq!(store.bump_epoch("carol").await.unwrap(), 1);
    let record = store.member("carol").await.unwrap().unwrap();
    assert_eq!(record.epoch, 1);
    assert!(
        record.enrollment.is_some(),
        "forget-devices keeps the enrollment"
    );

    assert_eq!(store.reset("carol").await.unwrap(), 2);
    let record = store.member("carol").await.unwrap().unwrap();
    assert_eq!((record.epoch, record.enrollment), (2, None));

    store
        .save_enrollment("carol", &app_enrollment(b"another-secret-20byt"), None)
        .await
        .unwrap();
    assert_eq!(
        store.member("carol").await.unwrap().unwrap().epoch,
        2,
        "enrolling keeps the epoch"
    );

    assert!(
        store.reset("stranger").await.unwrap() >= 1,
        "reset of an unknown member still revokes"
    );
    assert!(store.bump_epoch("stranger2").await.unwrap() >= 1);
}

pub async fn concurrent_epoch_bumps_are_all_distinct(b: &dyn DurableBackend) {
    let store = b.open(&[key("k1", 1)]).await;
    let epochs = race(20, |_| {
        let store = store.clone();
        async move { store.bump_epoch("dave").await.unwrap() }
    })
    .await;
    assert_eq!(
        epochs.into_iter().collect::<BTreeSet<u64>>(),
        (1..=20).collect::<BTreeSet<u64>>()
    );
}

pub async fn data_survives_a_restart(b: &dyn DurableBackend) {
    let store = b.open(&[key("k1", 1)]).await;
    store
        .save_enrollment("erin", &app_enrollment(SECRET), Some(77))
        .await
        .unwrap();
    store.bump_epoch("erin").await.unwrap();
    store.record_failure("erin").await.unwrap();
    drop(store);

    let reopened = b.open(&[key("k1", 1)]).await;
    let record = reopened.member("erin").await.unwrap().expect("still there");
    assert_eq!((record.epoch, record.consecutive_failures), (1, 1));
    assert_eq!(record.enrollment, Some(app_enrollment(SECRET)));
    assert!(
        !reopened.advance_totp_step("erin", 77).await.unwrap(),
        "used step remembered"
    );
}

pub async fn ciphertext_is_bound_to_its_login(b: &dyn DurableBackend) {
    let store = b.open(&[key("k1", 1)]).await;
    store
        .save_enrollment("frank", &app_enrollment(SECRET), None)
        .await
        .unwrap();
    store
        .save_enrollment("mallory", &app_enrollment(b"mallorys-own-secret!"), None)
        .await
        .unwrap();
    let franks = b
        .sealed_secret("frank")
        .await
        .expect("sealed secret stored");
    b.set_sealed_secret("mallory", &franks).await;
    match store.member("mallory").await {
        Err(StoreError::Decrypt(id)) => assert_eq!(id, "k1"),
        other => panic!("expected a Decrypt error, got {other:?}"),
    }
    assert!(store.member("frank").await.unwrap().is_some());
}

pub async fn rotation_reseals_with_the_current_key(b: &dyn DurableBackend) {
    let old = b.open(&[key("k1", 1)]).await;
    old.save_enrollment("gina", &app_enrollment(SECRET), None)
        .await
        .unwrap();
    assert!(b.sealed_secret("gina").await.unwrap().starts_with("v1:k1:"));
    drop(old);

    let rotated = b.open(&[key("k2", 2), key("k1", 1)]).await;
    let record = rotated.member("gina").await.unwrap().unwrap();
    assert_eq!(
        record.enrollment.unwrap().totp_secret.as_deref(),
        Some(&SECRET[..])
    );
    assert!(
        b.sealed_secret("gina").await.unwrap().starts_with("v1:k2:"),
        "resealed on read"
    );
    drop(rotated);

    // k1 can now leave the ring.
    let new_only = b.open(&[key("k2", 2)]).await;
    assert!(new_only.member("gina").await.unwrap().is_some());
}

pub async fn bulk_reseal_moves_every_secret_to_the_current_key(b: &dyn DurableBackend) {
    let old = b.open(&[key("k1", 1)]).await;
    for login in ["rita", "sam"] {
        old.save_enrollment(login, &app_enrollment(SECRET), None)
            .await
            .unwrap();
    }
    drop(old);
    let rotated = b.open(&[key("k2", 2), key("k1", 1)]).await;
    let summary = rotated.reseal_secrets().await.unwrap();
    assert_eq!((summary.examined, summary.resealed), (2, 2), "{summary:?}");
    assert!(summary.unreadable.is_empty());
    assert!(b.sealed_secret("sam").await.unwrap().starts_with("v1:k2:"));
    // A second run has nothing left to do.
    assert_eq!(rotated.reseal_secrets().await.unwrap().resealed, 0);
    drop(rotated);
    let new_only = b.open(&[key("k2", 2)]).await;
    let record = new_only.member("rita").await.unwrap().unwrap();
    assert_eq!(
        record.enrollment.unwrap().totp_secret.as_deref(),
        Some(&SECRET[..])
    );
}

pub async fn removing_a_key_before_reseal_fails_closed(b: &dyn DurableBackend) {
    let old = b.open(&[key("k1", 1)]).await;
    old.save_enrollment("hank", &app_enrollment(SECRET), None)
        .await
        .unwrap();
    drop(old);
    let new_only = b.open(&[key("k2", 2)]).await;
    match new_only.member("hank").await {
        Err(StoreError::Decrypt(id)) => assert_eq!(id, "k1"),
        other => panic!("expected a Decrypt error, got {other:?}"),
    }
}

pub async fn plaintext_secret_is_not_at_rest(b: &dyn DurableBackend) {
    let store = b.open(&[key("k1", 1)]).await;
    store
        .save_enrollment("ivy-at-rest", &app_enrollment(SECRET), None)
        .await
        .unwrap();
    assert!(store.member("ivy-at-rest").await.unwrap().is_some());
    let Some(bytes) = b.bytes_at_rest().await else {
        eprintln!("backend has no local files to inspect; skipped");
        return;
    };
    // The login is stored in clear, so finding it proves the search looks at the right data.
    assert!(
        contains(&bytes, b"ivy-at-rest"),
        "search found nothing at all: wrong files?"
    );
    assert!(
        !contains(&bytes, SECRET),
        "plaintext TOTP secret found at rest"
    );
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack
        .windows(needle.len())
        .any(|window| window == needle)
}

pub async fn reset_keeps_failures_and_lock(b: &dyn DurableBackend) {
    let store = b.open(&[key("k1", 1)]).await;
    store
        .save_enrollment("jack", &app_enrollment(SECRET), Some(40))
        .await
        .unwrap();
    store.record_failure("jack").await.unwrap();
    store.record_failure("jack").await.unwrap();
    store.lock_until("jack", 5_000).await.unwrap();
    assert_eq!(store.reset("jack").await.unwrap(), 1);
    let record = store.member("jack").await.unwrap().unwrap();
    // A reset must not hand a guesser fresh attempts, nor lift a lock.
    assert_eq!(
        (
            record.enrollment,
            record.consecutive_failures,
            record.locked_until
        ),
        (None, 2, Some(5_000))
    );
    store
        .save_enrollment("jack", &app_enrollment(SECRET), None)
        .await
        .unwrap();
    assert!(
        !store.advance_totp_step("jack", 40).await.unwrap(),
        "steps used before the reset stay used"
    );
}

/// Members keyed by an earlier, weaker normalisation (`ｊdoe` was only lower-cased) move to
/// the canonical key with their enrolment, epoch and counters; the TOTP secret is re-sealed
/// for the new key; a move onto an existing member is refused; running again changes nothing.
pub async fn logins_are_rekeyed_to_their_canonical_form(b: &dyn DurableBackend) {
    let store = b.open(&[key("k1", 1)]).await;
    store
        .save_enrollment("ｊdoe", &app_enrollment(SECRET), Some(7))
        .await
        .unwrap();
    store.bump_epoch("ｊdoe").await.unwrap();
    store.record_failure("ｊdoe").await.unwrap();
    // Both spellings enrolled: the canonical row wins and the other is reported.
    store
        .save_enrollment("asmith", &app_enrollment(b"asmiths-own-secret!!"), None)
        .await
        .unwrap();
    store
        .save_enrollment("ａsmith", &app_enrollment(b"a-thiefs-own-secret!"), None)
        .await
        .unwrap();
    let canon = |login: &str| mfa_gateway::mfa::username::canonical(login, true).ok();
    let summary = store.rekey_logins(&canon).await.unwrap();
    assert_eq!(
        summary.rekeyed,
        vec![("ｊdoe".to_string(), "jdoe".to_string())]
    );
    assert_eq!(
        summary.conflicts,
        vec![("ａsmith".to_string(), "asmith".to_string())]
    );
    assert!(store.member("ｊdoe").await.unwrap().is_none());
    let moved = store.member("jdoe").await.unwrap().expect("moved");
    assert_eq!(moved.epoch, 1);
    assert_eq!(moved.consecutive_failures, 1);
    assert_eq!(
        moved.enrollment,
        Some(app_enrollment(SECRET)),
        "secret opens under the new key"
    );
    assert!(
        !store.advance_totp_step("jdoe", 7).await.unwrap(),
        "last step kept"
    );
    let asmith = store.member("asmith").await.unwrap().expect("kept");
    assert_eq!(
        asmith.enrollment,
        Some(app_enrollment(b"asmiths-own-secret!!"))
    );
    let again = store.rekey_logins(&canon).await.unwrap();
    assert!(again.rekeyed.is_empty());
}
