//! Contract tests every storage backend must pass.
//!
//! The cases are plain async functions over `Arc<dyn DurableStore>` / `Arc<dyn EphemeralStore>`
//! (plus a small harness for what a contract cannot see through the trait: reopening after a
//! restart, the raw sealed column, the bytes at rest). The `durable_suite!` / `ephemeral_suite!`
//! macros instantiate every case as its own `#[tokio::test]` per backend, on a multi-threaded
//! runtime so the races are real.
//!
//! Layout: `store_contract/harness.rs` (harness traits, the local backends' harnesses),
//! `store_contract/remote.rs` (PostgreSQL and Redis harnesses, from `MFA_TEST_POSTGRES_URL` /
//! `MFA_TEST_REDIS_URL`; skipped when unset, failing under CI), `store_contract/durable_cases.rs`,
//! `store_contract/ephemeral_cases.rs`; backend-specific tests: `store_contract/outages.rs`
//! (fail fast and recover, through the relay in `store_contract/proxy.rs`) and
//! `store_contract/postgres_schema.rs` (migrations). To add a backend: implement its harness and
//! add one macro line in the marked section at the end of this file.

#[path = "store_contract/durable_cases.rs"]
mod durable_cases;
#[path = "store_contract/ephemeral_cases.rs"]
mod ephemeral_cases;
#[path = "store_contract/harness.rs"]
mod harness;
#[path = "store_contract/outages.rs"]
mod outages;
#[path = "store_contract/postgres_schema.rs"]
mod postgres_schema;
#[path = "store_contract/proxy.rs"]
mod proxy;
#[path = "store_contract/remote.rs"]
mod remote;

use harness::{memory_backend, sqlite_backend, DurableBackend, EphemeralBackend};
use remote::{postgres_backend, redis_backend};

/// Instantiates every durable case as a test for one backend. `$backend` is an async
/// expression yielding `Option<Box<dyn DurableBackend>>`; `None` skips (backend not configured).
macro_rules! durable_suite {
    ($name:ident, $backend:expr) => {
        durable_suite!(@cases $name, $backend;
            unknown_member_is_none, enrollment_round_trips_and_epoch_starts_at_zero,
            advance_totp_step_has_exactly_one_winner, failures_count_atomically_and_success_clears,
            reset_bumps_epoch_and_removes_enrollment, concurrent_epoch_bumps_are_all_distinct,
            data_survives_a_restart, ciphertext_is_bound_to_its_login,
            rotation_reseals_with_the_current_key, bulk_reseal_moves_every_secret_to_the_current_key,
            removing_a_key_before_reseal_fails_closed,
            plaintext_secret_is_not_at_rest, reset_keeps_failures_and_lock,
            logins_are_rekeyed_to_their_canonical_form);
    };
    (@cases $name:ident, $backend:expr; $($case:ident),*) => {
        mod $name {
            use super::*;
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $case() {
                    let backend: Option<Box<dyn DurableBackend>> = $backend.await;
                    match backend {
                        Some(backend) => durable_cases::$case(backend.as_ref()).await,
                        None => eprintln!("{}: backend not configured; skipped", stringify!($name)),
                    }
                }
            )*
        }
    };
}

/// Instantiates every ephemeral case as a test for one backend (same conventions as above).
macro_rules! ephemeral_suite {
    ($name:ident, $backend:expr) => {
        ephemeral_suite!(@cases $name, $backend;
            put_get_take_delete, put_if_absent_has_one_winner, take_if_eq_has_one_winner,
            incr_counts_each_value_once, incr_does_not_extend_the_ttl, ttl_reports_remaining_time,
            entries_expire, binary_values_round_trip, counters_are_text_and_a_non_counter_is_corrupt);
    };
    (@cases $name:ident, $backend:expr; $($case:ident),*) => {
        mod $name {
            use super::*;
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $case() {
                    let backend: Option<Box<dyn EphemeralBackend>> = $backend.await;
                    match backend {
                        Some(backend) => ephemeral_cases::$case(backend.as_ref()).await,
                        None => eprintln!("{}: backend not configured; skipped", stringify!($name)),
                    }
                }
            )*
        }
    };
}

// ---------------------------------------------------------------------------------------------
// Backends under test. The server backends' factories yield `None` (skip) when their URL
// variable is unset; each case gets its own schema / key prefix.
// ---------------------------------------------------------------------------------------------
durable_suite!(sqlite, sqlite_backend());
durable_suite!(postgres, postgres_backend());
ephemeral_suite!(memory, memory_backend());
ephemeral_suite!(redis, redis_backend());
