//! `directory-api`: users, invitations, join requests, partner search and relation requests.
//!
//! The foundation mounts its health route; the capability itself arrives with its issue.

use axum::Router;
use bridge_http::Readiness;
use bridge_platform::{Adapters, ConfigError, QueueName};

/// The function's name: its binary, its health route `/health/directory-api`, its log field.
pub const NAME: &str = "directory-api";

/// What this function depends on, checked by its health route.
pub fn readiness(adapters: &Adapters) -> Result<Readiness, ConfigError> {
    Ok(Readiness::new(NAME)
        .table(adapters.table.clone())
        .queue(QueueName::Mail.as_str(), adapters.queue(QueueName::Mail)?))
}

/// The function's router.
pub fn router(adapters: &Adapters) -> Result<Router, ConfigError> {
    Ok(readiness(adapters)?.route())
}
