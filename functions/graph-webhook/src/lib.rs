//! `graph-webhook`: receives Microsoft Graph change and lifecycle notifications, checks them,
//! enqueues, answers fast.
//!
//! `POST /graph/notifications` and `POST /graph/lifecycle` answer the validation handshake
//! (`?validationToken=` echoed as text/plain), check each item's clientState against the stored
//! hash of its subscription's secret, drop (and count) the items that fail, refuse a request with
//! no valid item (403), and enqueue one message per (mailbox, resource) or per lifecycle action
//! before answering 202. No Graph call is made here; `sync-batch` and `subscriptions` do the work.

mod check;
mod http;
mod payload;
mod plan;

use axum::Router;
use axum::routing::post;
use bridge_http::Readiness;
use bridge_platform::{Adapters, ConfigError, QueueName};

pub use http::MAX_BODY;

/// The function's name: its binary, its health route `/health/graph-webhook`, its log field.
pub const NAME: &str = "graph-webhook";

/// What this function depends on, checked by its health route.
pub fn readiness(adapters: &Adapters) -> Result<Readiness, ConfigError> {
    Ok(Readiness::new(NAME)
        .table(adapters.table.clone())
        .queue(QueueName::Sync.as_str(), adapters.queue(QueueName::Sync)?)
        .queue(
            QueueName::Subscriptions.as_str(),
            adapters.queue(QueueName::Subscriptions)?,
        ))
}

/// The function's router.
pub fn router(adapters: &Adapters) -> Result<Router, ConfigError> {
    let hook = http::Hook {
        table: adapters.table.clone(),
        sync: adapters.queue(QueueName::Sync)?,
        subscriptions: adapters.queue(QueueName::Subscriptions)?,
    };
    let routes = Router::new()
        .route("/graph/notifications", post(http::notifications))
        .route("/graph/lifecycle", post(http::lifecycle))
        .with_state(hook);
    Ok(readiness(adapters)?.route().merge(routes))
}

#[cfg(test)]
mod tests;
