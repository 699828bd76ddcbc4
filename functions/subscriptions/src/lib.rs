//! `subscriptions`: creates, renews and re-creates Microsoft Graph subscriptions; reacts to lifecycle events.
//!
//! The foundation wires the consumer end to end (queue → handler → table) with the
//! foundation's message kinds; the capability itself arrives with its issue.

use std::sync::Arc;

use bridge_http::Readiness;
use bridge_platform::messages::FoundationHandler;
use bridge_platform::{Adapters, ConfigError, QueueName};
use bridge_queue::consumer::MessageHandler;

/// The function's name: its binary, its health route, its log field.
pub const NAME: &str = "subscriptions";

/// The queue this function consumes.
pub const QUEUE: QueueName = QueueName::Subscriptions;

/// The per-message handler.
pub fn handler(adapters: &Adapters) -> Result<Arc<dyn MessageHandler>, ConfigError> {
    Ok(FoundationHandler::shared(NAME, adapters))
}

/// What this function depends on: its table and its queue.
pub fn readiness(adapters: &Adapters) -> Result<Readiness, ConfigError> {
    Readiness::consumer(NAME, QUEUE, adapters)
}

/// Partition indexing subscriptions by expiry: sort key `EXP#<epoch-ms, 13 digits>#<id>`, so the
/// renewal sweep reads only the ones that are due.
pub const BY_EXPIRY_PK: &str = "SYS#subscriptions-by-expiry";

/// Renew subscriptions this long before they expire (Graph contact and event subscriptions live
/// at most about three days; the schedule runs every six hours).
pub const RENEW_AHEAD_MS: i64 = 24 * 60 * 60 * 1000;

/// The scheduled sweep: finds the subscriptions due for renewal and returns how many there are.
/// Creating and renewing subscriptions through Graph comes with the Graph-core capability; until
/// then no subscription exists and the sweep reports zero.
pub async fn due_for_renewal(adapters: &Adapters) -> Result<usize, bridge_store::StoreError> {
    let horizon = adapters.clock.now_ms().saturating_add(RENEW_AHEAD_MS);
    let limit = format!("EXP#{horizon:013}");
    let mut due = 0;
    let mut query = bridge_store::Query::partition(BY_EXPIRY_PK)
        .prefix("EXP#")
        .limit(100);
    loop {
        let page = adapters.table.query(&query).await?;
        let before = page.items.iter().filter(|i| i.key.sk < limit).count();
        due += before;
        match page.next {
            Some(c) if before == page.items.len() => query = query.after(Some(c)),
            _ => return Ok(due),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bridge_core::ManualClock;
    use bridge_store::{Item, Key};

    #[tokio::test]
    async fn only_subscriptions_expiring_within_a_day_are_due() {
        let dir = tempfile::tempdir().unwrap();
        let now = 1_800_000_000_000_i64;
        let adapters = Adapters::embedded(dir.path(), Arc::new(ManualClock::new(now))).unwrap();
        assert_eq!(due_for_renewal(&adapters).await.unwrap(), 0);
        for (offset, id) in [
            (3_600_000, "a"),
            (RENEW_AHEAD_MS - 1, "b"),
            (RENEW_AHEAD_MS + 1, "c"),
        ] {
            let sk = format!("EXP#{:013}#{id}", now + offset);
            adapters
                .table
                .put(Item::new(Key::new(BY_EXPIRY_PK, sk)), None)
                .await
                .unwrap();
        }
        assert_eq!(due_for_renewal(&adapters).await.unwrap(), 2);
    }
}
