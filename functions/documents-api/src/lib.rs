//! `documents-api`: the app side: tenants, clients, documents, upload/download, versions, settings, open in Office.
//!
//! The foundation mounts its health route; the capability itself arrives with its issue.

use axum::Router;
use bridge_http::Readiness;
use bridge_platform::{Adapters, ConfigError, QueueName};

/// The function's name: its binary, its health route `/health/documents-api`, its log field.
pub const NAME: &str = "documents-api";

/// What this function depends on, checked by its health route.
pub fn readiness(adapters: &Adapters) -> Result<Readiness, ConfigError> {
    Ok(Readiness::new(NAME)
        .table(adapters.table.clone())
        .blobs(adapters.blobs.clone())
        .queue(QueueName::Mail.as_str(), adapters.queue(QueueName::Mail)?))
}

/// The function's router.
pub fn router(adapters: &Adapters) -> Result<Router, ConfigError> {
    Ok(readiness(adapters)?.route())
}
