//! `wopi-contents`: WOPI GetFile (streamed) and PutFile.
//!
//! The foundation mounts its health route; the capability itself arrives with its issue.

use axum::Router;
use bridge_http::Readiness;
use bridge_platform::{Adapters, ConfigError};

/// The function's name: its binary, its health route `/health/wopi-contents`, its log field.
pub const NAME: &str = "wopi-contents";

/// What this function depends on, checked by its health route.
pub fn readiness(adapters: &Adapters) -> Result<Readiness, ConfigError> {
    Ok(Readiness::new(NAME)
        .table(adapters.table.clone())
        .blobs(adapters.blobs.clone()))
}

/// The function's router.
pub fn router(adapters: &Adapters) -> Result<Router, ConfigError> {
    Ok(readiness(adapters)?.route())
}
