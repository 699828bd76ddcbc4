//! `wopi-files`: WOPI CheckFileInfo and the X-WOPI-Override operations (locks, PutRelativeFile, rename, delete, user info).
//!
//! The foundation mounts its health route; the capability itself arrives with its issue.

use axum::Router;
use bridge_http::Readiness;
use bridge_platform::{Adapters, ConfigError};

/// The function's name: its binary, its health route `/health/wopi-files`, its log field.
pub const NAME: &str = "wopi-files";

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
