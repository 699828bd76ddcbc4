//! `graph-webhook`: receives Microsoft Graph change and lifecycle notifications, checks them, enqueues, answers fast.
//!
//! The foundation mounts its health route; the capability itself arrives with its issue.

use axum::Router;
use bridge_http::Readiness;
use bridge_platform::{Adapters, ConfigError, QueueName};

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
    Ok(readiness(adapters)?.route())
}
