//! Bounded retries of optimistic read-modify-write cycles.

use std::time::Duration;

/// Most read-modify-write attempts of one change. Each lost attempt means another change of the
/// same document committed in between, so this many attempts get a change through against up to
/// `MAX_ATTEMPTS - 1` concurrent writers; beyond that the caller gets a conflict.
pub(crate) const MAX_ATTEMPTS: u32 = 24;

/// Most attempts that end in a backend error (e.g. DynamoDB's `TransactionConflict`, throttling)
/// before giving up.
pub(crate) const MAX_BACKEND_FAILURES: u32 = 3;

/// Waits a random time before attempt `attempt` (1-based retries), growing with the attempt, so
/// writers that collided spread out instead of colliding again.
pub(crate) async fn backoff(attempt: u32) {
    let cap_ms: u64 = (2u64 << attempt.min(5)).min(50);
    // Jitter needs no reproducibility, only spread: a random UUID is a ready source.
    let r = (uuid::Uuid::new_v4().as_u128() & 0xffff_ffff) as u64;
    tokio::time::sleep(Duration::from_millis(r % (cap_ms + 1))).await;
}
