//! Sign-in with Microsoft (OpenID Connect) and install (USR-1).

use axum::Router;

use crate::DirectoryState;

/// The routes of this area.
pub(crate) fn routes() -> Router<DirectoryState> {
    Router::new()
}
