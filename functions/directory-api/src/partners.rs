//! Partners: search, relation requests, relations and sharing (PAR-1..6): JSON API and pages.

use axum::Router;

use crate::DirectoryState;

/// The routes of this area.
pub(crate) fn routes() -> Router<DirectoryState> {
    Router::new()
}
