//! The app's server-rendered pages under `/app`: the client files, a client's documents with the
//! icon of their Office app and a name that opens them (edit or view by rights and type, DOC-5,
//! DOC-6, DOC-10), downloads (DOC-3), version history with restore (DOC-12), the Office host
//! page (also for a document a partner shared, view only), and the explanation of Office's
//! "Almost there…" (DOC-13).
//!
//! Pages authenticate with the session cookie ([`bridge_http::auth::PageUser`]); the JSON API
//! stays bearer-only. Nothing changes on GET: the only state-changing page request (restore) is
//! a same-origin POST.

mod host;
mod lists;
mod render;
mod sign_in;

use axum::Router;
use axum::routing::{get, post};
use bridge_wopi_host::links;

use crate::ApiState;

pub(crate) use render::{PageError, PageResult};

/// The page routes; `dev` mounts the local dev sign-in form (embedded storage only).
pub(crate) fn routes(dev: bool) -> Router<ApiState> {
    let sign_in = if dev {
        get(sign_in::form).post(sign_in::submit)
    } else {
        get(sign_in::form)
    };
    Router::new()
        .route(links::HOME, get(lists::home))
        .route(links::CLIENT, get(lists::client))
        .route(links::VERSIONS, get(lists::versions))
        .route(links::RESTORE, post(lists::restore))
        .route(links::DOWNLOAD, get(lists::download))
        .route(links::VERSION_DOWNLOAD, get(lists::download_version))
        .route(links::EDIT, get(host::edit))
        .route(links::VIEW, get(host::view))
        .route(links::CONVERT, get(host::convert))
        .route(
            bridge_wopi_host::partner::SHARED_VIEW,
            get(host::shared_view),
        )
        .route(links::ALMOST_THERE, get(lists::almost_there))
        .route("/app/sign-in", sign_in)
}

#[cfg(test)]
mod tests;
