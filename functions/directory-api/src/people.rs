//! Users and rights, invitations and join requests (USR-2..5): JSON API and pages.

use axum::Router;

use crate::DirectoryState;

/// The routes of this area.
pub(crate) fn routes() -> Router<DirectoryState> {
    Router::new()
}
