//! Costs paid at login and at the MFA step: trust-cookie mint and verify, TOTP verification and
//! its single-use (replay) check.
//!
//! The replay check runs against the real SQLite store (`SqliteStore::advance_totp_step` on a
//! database in a temporary directory, WAL mode, `synchronous=FULL` as the gateway opens it),
//! because the durable store has no in-memory backend; the in-memory *ephemeral* path
//! (`MemoryStore::take_if_eq`, which consumes emailed / texted codes) is measured beside it.
//!
//! Run with `cargo bench --bench mfa`. Targets (issue 7): trust verify ≤ 1 µs, TOTP verify
//! ≤ 10 µs.

use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion};

use mfa_gateway::config::NamedKey;
use mfa_gateway::mfa::claims::TrustClaims;
use mfa_gateway::mfa::tokens::KeyRing;
use mfa_gateway::mfa::totp;
use mfa_gateway::store::crypto::SecretCipher;
use mfa_gateway::store::memory::MemoryStore;
use mfa_gateway::store::sqlite::SqliteStore;
use mfa_gateway::store::{DurableStore, EnrolledMethod, Enrollment, EphemeralStore};

const NOW: i64 = 1_760_000_000;
const SECRET: [u8; 20] = *b"12345678901234567890";

fn named(bytes: u8) -> Vec<NamedKey> {
    vec![NamedKey {
        id: "k1".into(),
        bytes: vec![bytes; 32],
    }]
}

fn trust_cookie(c: &mut Criterion) {
    let keys = KeyRing::new(&named(7));
    let claims = TrustClaims {
        user: "jane.doe@example.com".into(),
        device_id: [9; 16],
        issued: NOW - 3600,
        expires: NOW + 30 * 86_400,
        epoch: 4,
    };
    let token = claims.seal(&keys);
    let mut group = c.benchmark_group("trust");
    group.bench_function("mint (seal)", |b| b.iter(|| black_box(&claims).seal(&keys)));
    group.bench_function("verify (open)", |b| {
        b.iter(|| TrustClaims::open(&keys, black_box(&token), NOW))
    });
    let mut forged = token.clone();
    forged.pop();
    forged.push(if token.ends_with('A') { 'B' } else { 'A' });
    group.bench_function("verify, forged MAC (rejected)", |b| {
        b.iter(|| TrustClaims::open(&keys, black_box(&forged), NOW))
    });
    group.finish();
}

fn totp_verify(c: &mut Criterion) {
    let now = NOW as u64;
    let current = match totp::code_at(&SECRET, now) {
        Ok(code) => code,
        Err(e) => panic!("cannot compute a TOTP code: {e}"),
    };
    let previous = totp::code_at(&SECRET, now - totp::STEP_SECS).unwrap_or_default();
    let mut group = c.benchmark_group("totp");
    group.bench_function("matching_step, current code (skew 1)", |b| {
        b.iter(|| totp::matching_step(&SECRET, black_box(&current), now, 1, totp::DIGITS))
    });
    group.bench_function("matching_step, previous step's code", |b| {
        b.iter(|| totp::matching_step(&SECRET, black_box(&previous), now, 1, totp::DIGITS))
    });
    group.bench_function("matching_step, wrong code", |b| {
        b.iter(|| totp::matching_step(&SECRET, black_box("000000"), now, 1, totp::DIGITS))
    });
    group.finish();
}

fn replay_check(c: &mut Criterion) {
    let rt = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => panic!("tokio runtime: {e}"),
    };
    let dir = match tempfile::tempdir() {
        Ok(dir) => dir,
        Err(e) => panic!("tempdir: {e}"),
    };
    let store = rt.block_on(async {
        let cipher = SecretCipher::new(&named(5)).map_err(|e| e.to_string())?;
        let store = SqliteStore::open(&dir.path().join("bench.sqlite"), cipher)
            .await
            .map_err(|e| e.to_string())?;
        let enrollment = Enrollment {
            method: EnrolledMethod::App,
            totp_secret: Some(SECRET.to_vec()),
            trust_period_secs: 30 * 86_400,
            enrolled_at: NOW,
        };
        store
            .save_enrollment("jdoe", &enrollment, Some(0))
            .await
            .map_err(|e| e.to_string())?;
        Ok::<_, String>(store)
    });
    let store = match store {
        Ok(store) => store,
        Err(e) => panic!("cannot prepare the SQLite store: {e}"),
    };
    let now = NOW as u64;
    let code = totp::code_at(&SECRET, now).unwrap_or_default();

    let mut group = c.benchmark_group("totp_replay_sqlite");
    group.sample_size(20);
    group.measurement_time(Duration::from_secs(4));
    // Each accepted code must be a later step than the last one, as at real logins; the
    // counter stands in for the clock moving on between two logins of the member.
    let mut step = 1u64;
    group.bench_function("verify + advance_totp_step (accepted)", |b| {
        b.iter(|| {
            let matched = totp::matching_step(&SECRET, black_box(&code), now, 1, totp::DIGITS);
            step += 1;
            let accepted = rt.block_on(store.advance_totp_step("jdoe", step));
            matched.is_some() && matches!(accepted, Ok(true))
        })
    });
    group.bench_function("advance_totp_step, replayed step (refused)", |b| {
        b.iter(|| rt.block_on(store.advance_totp_step("jdoe", black_box(1))))
    });
    group.finish();

    let memory = MemoryStore::new(100_000);
    let mut group = c.benchmark_group("code_consume_memory");
    let mut n = 0u64;
    group.bench_function("put + take_if_eq (emailed code, single use)", |b| {
        b.iter(|| {
            n += 1;
            let key = format!("code:{n}");
            rt.block_on(async {
                let _ = memory.put(&key, b"hash", Duration::from_secs(300)).await;
                memory.take_if_eq(&key, black_box(b"hash")).await
            })
        })
    });
    group.finish();
}

criterion_group!(benches, trust_cookie, totp_verify, replay_check);
criterion_main!(benches);
