//! Cases every ephemeral store must pass.

use std::collections::BTreeSet;
use std::time::Duration;

use mfa_gateway::store::StoreError;

use crate::harness::{race, EphemeralBackend};

const LONG: Duration = Duration::from_secs(60);

pub async fn put_get_take_delete(b: &dyn EphemeralBackend) {
    let store = b.open().await;
    store.ping().await.unwrap();
    assert_eq!(store.get("a").await.unwrap(), None);
    store.put("a", b"one", LONG).await.unwrap();
    assert_eq!(store.get("a").await.unwrap().as_deref(), Some(&b"one"[..]));
    store.put("a", b"two", LONG).await.unwrap();
    assert_eq!(
        store.get("a").await.unwrap().as_deref(),
        Some(&b"two"[..]),
        "put replaces"
    );
    assert_eq!(store.take("a").await.unwrap().as_deref(), Some(&b"two"[..]));
    assert_eq!(store.take("a").await.unwrap(), None, "single use");
    store.put("b", b"x", LONG).await.unwrap();
    store.delete("b").await.unwrap();
    assert_eq!(store.get("b").await.unwrap(), None);
    store.delete("never-there").await.unwrap();
}

pub async fn put_if_absent_has_one_winner(b: &dyn EphemeralBackend) {
    let store = b.open().await;
    let wins = race(50, |i| {
        let store = store.clone();
        async move {
            store
                .put_if_absent("slot", format!("v{i}").as_bytes(), LONG)
                .await
                .unwrap()
                .then_some(i)
        }
    })
    .await;
    let winners: Vec<usize> = wins.into_iter().flatten().collect();
    assert_eq!(winners.len(), 1, "{winners:?}");
    let stored = store.get("slot").await.unwrap().unwrap();
    assert_eq!(
        stored,
        format!("v{}", winners[0]).into_bytes(),
        "the winner's value is stored"
    );
}

pub async fn take_if_eq_has_one_winner(b: &dyn EphemeralBackend) {
    let store = b.open().await;
    store.put("code", b"123456", LONG).await.unwrap();
    assert!(
        !store.take_if_eq("code", b"654321").await.unwrap(),
        "wrong value"
    );
    assert!(
        store.get("code").await.unwrap().is_some(),
        "a wrong guess does not consume"
    );
    let wins = race(50, |_| {
        let store = store.clone();
        async move { store.take_if_eq("code", b"123456").await.unwrap() }
    })
    .await;
    assert_eq!(wins.iter().filter(|won| **won).count(), 1);
    assert_eq!(store.get("code").await.unwrap(), None);
    assert!(!store.take_if_eq("missing", b"x").await.unwrap());
}

pub async fn incr_counts_each_value_once(b: &dyn EphemeralBackend) {
    let store = b.open().await;
    let values = race(50, |_| {
        let store = store.clone();
        async move { store.incr("attempts", LONG).await.unwrap() }
    })
    .await;
    assert_eq!(
        values.into_iter().collect::<BTreeSet<u64>>(),
        (1..=50).collect::<BTreeSet<u64>>()
    );
}

pub async fn incr_does_not_extend_the_ttl(b: &dyn EphemeralBackend) {
    let store = b.open().await;
    assert_eq!(
        store
            .incr("short", Duration::from_millis(400))
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        store
            .incr("short", Duration::from_secs(3_600))
            .await
            .unwrap(),
        2
    );
    let left = store.ttl("short").await.unwrap().expect("live");
    assert!(
        left <= Duration::from_millis(400),
        "TTL was extended to {left:?}"
    );
}

pub async fn ttl_reports_remaining_time(b: &dyn EphemeralBackend) {
    let store = b.open().await;
    assert_eq!(store.ttl("nothing").await.unwrap(), None);
    store.put("t", b"v", LONG).await.unwrap();
    let left = store.ttl("t").await.unwrap().expect("live");
    assert!(
        left <= LONG && left > LONG - Duration::from_secs(10),
        "{left:?}"
    );
}

pub async fn entries_expire(b: &dyn EphemeralBackend) {
    let store = b.open().await;
    let ttl = Duration::from_millis(300);
    store.put("p", b"v", ttl).await.unwrap();
    store.put("q", b"v", ttl).await.unwrap();
    store.put("r", b"v", ttl).await.unwrap();
    assert!(store.put_if_absent("s", b"old", ttl).await.unwrap());
    store.incr("n", ttl).await.unwrap();
    // A correctness wait (twice the TTL), not a speed assertion.
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert_eq!(store.get("p").await.unwrap(), None);
    assert_eq!(store.take("q").await.unwrap(), None);
    assert!(!store.take_if_eq("r", b"v").await.unwrap());
    assert_eq!(store.ttl("p").await.unwrap(), None);
    assert!(
        store.put_if_absent("s", b"new", LONG).await.unwrap(),
        "an expired key is absent"
    );
    assert_eq!(store.get("s").await.unwrap().as_deref(), Some(&b"new"[..]));
    assert_eq!(
        store.incr("n", LONG).await.unwrap(),
        1,
        "an expired counter restarts"
    );
}

pub async fn binary_values_round_trip(b: &dyn EphemeralBackend) {
    let store = b.open().await;
    let value: Vec<u8> = (0..=255).collect();
    store.put("bin", &value, LONG).await.unwrap();
    assert_eq!(store.get("bin").await.unwrap(), Some(value.clone()));
    let mut other = value.clone();
    other[0] = 1;
    assert!(
        !store.take_if_eq("bin", &other).await.unwrap(),
        "compared byte for byte"
    );
    assert!(store.take_if_eq("bin", &value).await.unwrap());
    assert!(store.put_if_absent("bin", &[0, 0xff], LONG).await.unwrap());
    assert_eq!(store.take("bin").await.unwrap(), Some(vec![0, 0xff]));
}

pub async fn counters_are_text_and_a_non_counter_is_corrupt(b: &dyn EphemeralBackend) {
    let store = b.open().await;
    store.incr("c", LONG).await.unwrap();
    store.incr("c", LONG).await.unwrap();
    assert_eq!(store.get("c").await.unwrap().as_deref(), Some(&b"2"[..]));
    store.put("word", b"not a number", LONG).await.unwrap();
    assert!(matches!(
        store.incr("word", LONG).await,
        Err(StoreError::Corrupt(_))
    ));
    assert_eq!(
        store.get("word").await.unwrap().as_deref(),
        Some(&b"not a number"[..]),
        "left untouched"
    );
}
