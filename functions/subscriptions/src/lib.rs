//! `subscriptions`: creates, renews and re-creates Microsoft Graph subscriptions; reacts to
//! lifecycle events.
//!
//! Glue only; the logic is [`bridge_graph_subs::SubscriptionManager`]. Two triggers:
//! - the subscriptions queue: `renew_subscription` (lifecycle `reauthorizationRequired`) renews
//!   now; `recreate_subscription` (lifecycle `subscriptionRemoved`) replaces the subscription
//!   and, when asked, requests a full resync. Messages about subscriptions we have no record of
//!   are acknowledged and logged: there is nothing to do, and retrying would not change that.
//! - the renewal schedule (every six hours): [`SubscriptionManager::renew_due`].

use std::sync::Arc;

use async_trait::async_trait;
use bridge_graph_subs::{
    GraphProvider, Recreated, Renewed, SubscriptionError, SubscriptionManager, SweepReport,
};
use bridge_http::Readiness;
use bridge_platform::messages::{FoundationHandler, Message};
use bridge_platform::{Adapters, ConfigError, QueueName};
use bridge_queue::Delivery;
use bridge_queue::consumer::{HandlerError, MessageHandler};

pub use bridge_graph_subs::{BY_EXPIRY_PK, RENEW_AHEAD_MS};

/// The function's name: its binary, its health route, its log field.
pub const NAME: &str = "subscriptions";

/// The queue this function consumes.
pub const QUEUE: QueueName = QueueName::Subscriptions;

/// The subscription manager over `adapters`, with Graph as configured. Without Graph
/// credentials it is still built (so the runner starts); its Graph operations then fail,
/// naming the missing variables.
pub fn manager(adapters: &Adapters) -> Result<Arc<SubscriptionManager>, ConfigError> {
    Ok(Arc::new(SubscriptionManager::new(
        adapters.table.clone(),
        adapters.clock.clone(),
        GraphProvider::from_config(&adapters.config),
        adapters.queue(QueueName::Sync)?,
    )))
}

/// The per-message handler.
pub fn handler(adapters: &Adapters) -> Result<Arc<dyn MessageHandler>, ConfigError> {
    Ok(handler_with(adapters, manager(adapters)?))
}

/// The per-message handler over a manager the caller built (one per cold start).
pub fn handler_with(
    adapters: &Adapters,
    manager: Arc<SubscriptionManager>,
) -> Arc<dyn MessageHandler> {
    Arc::new(SubscriptionsHandler {
        manager,
        foundation: FoundationHandler::new(NAME, adapters.table.clone(), adapters.clock.clone()),
    })
}

/// The scheduled sweep: renews every subscription expiring within [`RENEW_AHEAD_MS`].
pub async fn renew_due(manager: &SubscriptionManager) -> Result<SweepReport, SubscriptionError> {
    let report = manager.renew_due().await?;
    tracing::info!(
        due = report.due,
        renewed = report.renewed,
        recreated = report.recreated,
        stale = report.stale,
        failed = report.failed,
        "renewal sweep"
    );
    Ok(report)
}

/// What this function depends on: its table, its queue, and the sync queue it sends to.
pub fn readiness(adapters: &Adapters) -> Result<Readiness, ConfigError> {
    Ok(Readiness::consumer(NAME, QUEUE, adapters)?
        .queue(QueueName::Sync.as_str(), adapters.queue(QueueName::Sync)?))
}

/// Handles the subscription messages; pings go to the foundation's handler, which also fails
/// kinds meant for other consumers permanently.
struct SubscriptionsHandler {
    manager: Arc<SubscriptionManager>,
    foundation: FoundationHandler,
}

fn failed(e: SubscriptionError) -> HandlerError {
    if e.is_retryable() {
        HandlerError::Retryable(e.to_string())
    } else {
        HandlerError::Permanent(e.to_string())
    }
}

#[async_trait]
impl MessageHandler for SubscriptionsHandler {
    async fn handle(&self, msg: &Delivery) -> Result<(), HandlerError> {
        match Message::parse(&msg.body)? {
            Message::RenewSubscription { subscription_id } => {
                match self.manager.renew(&subscription_id).await.map_err(failed)? {
                    Renewed::Unknown => {
                        tracing::info!(%subscription_id, "renewal of an unknown subscription: nothing to do")
                    }
                    outcome => tracing::info!(%subscription_id, ?outcome, "renewal handled"),
                }
                Ok(())
            }
            Message::RecreateSubscription {
                subscription_id,
                full_resync,
            } => {
                match self
                    .manager
                    .recreate(&subscription_id, full_resync)
                    .await
                    .map_err(failed)?
                {
                    Recreated::Unknown => tracing::info!(
                        %subscription_id,
                        "re-creation of an unknown subscription: nothing to do"
                    ),
                    outcome => tracing::info!(%subscription_id, ?outcome, "re-creation handled"),
                }
                Ok(())
            }
            _ => self.foundation.handle(msg).await,
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use bridge_core::ManualClock;
    use bridge_platform::messages::ping_key;
    use bridge_store::{Item, Key};

    fn delivery(body: String) -> Delivery {
        Delivery {
            id: "m1".into(),
            receipt: "r1".into(),
            body,
            dedupe_key: None,
            receive_count: 1,
        }
    }

    fn adapters(dir: &std::path::Path) -> Adapters {
        Adapters::embedded(dir, Arc::new(ManualClock::new(1_800_000_000_000))).unwrap()
    }

    #[tokio::test]
    async fn messages_about_unknown_subscriptions_are_acknowledged() {
        let dir = tempfile::tempdir().unwrap();
        let h = handler(&adapters(dir.path())).unwrap();
        let renew = Message::RenewSubscription {
            subscription_id: "gone".into(),
        };
        let recreate = Message::RecreateSubscription {
            subscription_id: "gone".into(),
            full_resync: true,
        };
        for m in [renew, recreate] {
            h.handle(&delivery(m.to_body())).await.unwrap();
        }
    }

    #[tokio::test]
    async fn pings_still_work_and_other_kinds_fail_permanently() {
        let dir = tempfile::tempdir().unwrap();
        let a = adapters(dir.path());
        let h = handler(&a).unwrap();
        h.handle(&delivery(Message::Ping { id: "p1".into() }.to_body()))
            .await
            .unwrap();
        assert!(a.table.get(&ping_key(NAME, "p1")).await.unwrap().is_some());
        let r = h.handle(&delivery(r#"{"kind":"explode"}"#.into())).await;
        assert!(matches!(r, Err(HandlerError::Permanent(_))));
    }

    #[tokio::test]
    async fn the_sweep_needs_graph_only_when_something_is_due() {
        let dir = tempfile::tempdir().unwrap();
        let a = adapters(dir.path());
        let m = manager(&a).unwrap();
        assert_eq!(renew_due(&m).await.unwrap(), SweepReport::default());
        let due = a.clock.now_ms() + 60_000;
        a.table
            .put(
                Item::new(Key::new(BY_EXPIRY_PK, format!("EXP#{due:013}#s1"))),
                None,
            )
            .await
            .unwrap();
        let e = renew_due(&m).await.unwrap_err();
        assert!(e.to_string().contains("BRIDGE_GRAPH_CLIENT_ID"), "{e}");
        assert!(e.is_retryable());
    }
}
