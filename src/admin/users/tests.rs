use super::*;
use crate::config::NamedKey;
use crate::store::crypto::SecretCipher;
use crate::store::sqlite::SqliteStore;
use crate::store::{EnrolledMethod, Enrollment};

async fn store(dir: &tempfile::TempDir) -> SqliteStore {
    let cipher = SecretCipher::new(&[NamedKey {
        id: "k1".into(),
        bytes: vec![7; 32],
    }])
    .unwrap();
    SqliteStore::open(&dir.path().join("db.sqlite"), cipher)
        .await
        .unwrap()
}

fn actor() -> Actor {
    Actor::new("alice (support)", "lost phone, ID checked").unwrap()
}

async fn enroll(store: &SqliteStore, login: &str) {
    let enrollment = Enrollment {
        method: EnrolledMethod::App,
        totp_secret: Some(vec![1; 20]),
        trust_period_secs: 30 * 86_400,
        enrolled_at: 1_700_000_000,
    };
    store
        .save_enrollment(login, &enrollment, None)
        .await
        .unwrap();
}

#[test]
fn notes_are_required_bounded_and_single_line() {
    assert!(Actor::new(" bob ", " why ").is_ok_and(|a| a.by == "bob" && a.reason == "why"));
    assert!(matches!(
        Actor::new("", "x"),
        Err(SupportError::Invalid { field: "by", .. })
    ));
    assert!(matches!(
        Actor::new("bob", "   "),
        Err(SupportError::Invalid {
            field: "reason",
            ..
        })
    ));
    assert!(Actor::new("bob", "line\nbreak").is_err());
    assert!(Actor::new("bob", &"x".repeat(501)).is_err());
}

#[test]
fn logins_are_normalised_like_the_gateway_does() {
    assert_eq!(normalize_login(true, "  JDoe ").unwrap(), "jdoe");
    assert_eq!(normalize_login(false, "JDoe").unwrap(), "JDoe");
    assert!(normalize_login(true, "   ").is_err());
    assert!(normalize_login(false, "a\u{0}b").is_err());
    assert!(normalize_login(false, &"x".repeat(257)).is_err());
}

#[test]
fn action_names_round_trip() {
    for action in [
        SupportAction::Reset,
        SupportAction::ForgetDevices,
        SupportAction::Unlock,
    ] {
        assert_eq!(SupportAction::parse(action.name()), Some(action));
    }
    assert_eq!(SupportAction::parse("delete"), None);
}

#[tokio::test]
async fn reset_removes_the_enrollment_and_bumps_the_epoch() {
    let dir = tempfile::tempdir().unwrap();
    let store = store(&dir).await;
    enroll(&store, "jdoe").await;
    let before = show(&store, "jdoe", 0).await.unwrap();
    assert!(before.enrolled && before.known);
    assert_eq!(before.method, Some("app"));
    let outcome = apply(&store, SupportAction::Reset, "jdoe", &actor(), Channel::Cli)
        .await
        .unwrap();
    assert_eq!(outcome.epoch, Some(before.epoch + 1));
    let after = show(&store, "jdoe", 0).await.unwrap();
    assert!(!after.enrolled);
    assert_eq!(after.epoch, before.epoch + 1);
}

#[tokio::test]
async fn forget_devices_keeps_the_enrollment() {
    let dir = tempfile::tempdir().unwrap();
    let store = store(&dir).await;
    enroll(&store, "jdoe").await;
    let outcome = apply(
        &store,
        SupportAction::ForgetDevices,
        "jdoe",
        &actor(),
        Channel::Api,
    )
    .await
    .unwrap();
    let after = show(&store, "jdoe", 0).await.unwrap();
    assert!(after.enrolled);
    assert_eq!(Some(after.epoch), outcome.epoch);
}

#[tokio::test]
async fn unlock_clears_a_permanent_lock() {
    let dir = tempfile::tempdir().unwrap();
    let store = store(&dir).await;
    enroll(&store, "jdoe").await;
    store.record_failure("jdoe").await.unwrap();
    store
        .lock_until("jdoe", LOCKED_UNTIL_UNLOCKED)
        .await
        .unwrap();
    let locked = show(&store, "jdoe", 0).await.unwrap();
    assert!(locked.locked && locked.locked_until_unlocked && locked.locked_until.is_none());
    assert_eq!(locked.consecutive_failures, 1);
    assert!(locked.to_string().contains("until support unlocks"));
    apply(
        &store,
        SupportAction::Unlock,
        "jdoe",
        &actor(),
        Channel::Cli,
    )
    .await
    .unwrap();
    let unlocked = show(&store, "jdoe", 0).await.unwrap();
    assert!(!unlocked.locked);
    assert_eq!(unlocked.consecutive_failures, 0);
}

#[tokio::test]
async fn temporary_locks_show_their_end_and_expire() {
    let dir = tempfile::tempdir().unwrap();
    let store = store(&dir).await;
    store.lock_until("jdoe", 1_000).await.unwrap();
    let status = show(&store, "jdoe", 999).await.unwrap();
    assert_eq!(status.locked_until.as_deref(), Some("1970-01-01T00:16:40Z"));
    assert!(!show(&store, "jdoe", 1_000).await.unwrap().locked);
}

#[tokio::test]
async fn unknown_members_are_shown_as_such() {
    let dir = tempfile::tempdir().unwrap();
    let store = store(&dir).await;
    let status = show(&store, "nobody", 0).await.unwrap();
    assert!(!status.known && !status.enrolled);
    assert!(status.to_string().contains("never seen"));
}

#[test]
fn periods_print_in_human_form() {
    assert_eq!(human_period(86_400), "24h");
    assert_eq!(human_period(30 * 86_400), "30d");
    assert_eq!(human_period(90), "90s");
}
