//! `documents-api`: the app side of documents: client files, documents, upload/download,
//! versions, settings, and "open in Office" (issuing WOPI sessions).
//!
//! Every `/api` route authenticates with an API bearer token ([`bridge_http::ApiUser`]) and is
//! scoped to that token's tenant; errors are our JSON shape. In local mode (embedded storage)
//! a dev sign-in route issues tokens; on AWS it does not exist. The pages under `/app` (document
//! lists, the Office host page, history, help) use a session cookie instead (see `pages`).

use axum::Router;
use axum::extract::FromRef;
use bridge_documents::Documents;
use bridge_http::Readiness;
use bridge_platform::{Adapters, ConfigError, QueueName, Storage};
use bridge_wopi_host::WopiHost;

mod clients;
mod dev;
mod documents;
mod errors;
mod extract;
mod pages;
mod sessions;
mod settings;
mod versions;

/// The function's name: its binary, its health route `/health/documents-api`, its log field.
pub const NAME: &str = "documents-api";

/// What every handler needs, built once per process.
#[derive(Debug, Clone)]
pub struct ApiState {
    /// The adapters (key, clock and table for the [`bridge_http::ApiUser`] extractor).
    pub adapters: Adapters,
    /// The documents service.
    pub docs: Documents,
    /// The WOPI host, to issue Office sessions.
    pub wopi: WopiHost,
}

impl FromRef<ApiState> for Adapters {
    fn from_ref(state: &ApiState) -> Adapters {
        state.adapters.clone()
    }
}

/// What this function depends on, checked by its health route.
pub fn readiness(adapters: &Adapters) -> Result<Readiness, ConfigError> {
    Ok(Readiness::new(NAME)
        .table(adapters.table.clone())
        .blobs(adapters.blobs.clone())
        .queue(QueueName::Mail.as_str(), adapters.queue(QueueName::Mail)?))
}

/// The function's router: health plus every `/api` route; the dev sign-in only on embedded
/// storage (local mode), so a deployed stack can never mint tokens without a real sign-in.
pub fn router(adapters: &Adapters) -> Result<Router, ConfigError> {
    let state = ApiState {
        adapters: adapters.clone(),
        docs: adapters.documents(),
        wopi: adapters.wopi_host(),
    };
    let mut api = Router::new()
        .merge(clients::routes())
        .merge(documents::routes())
        .merge(versions::routes())
        .merge(settings::routes())
        .merge(sessions::routes());
    let local = matches!(adapters.config.storage, Storage::Embedded { .. });
    if local {
        api = api.merge(dev::routes());
    }
    api = api.merge(pages::routes(local));
    Ok(readiness(adapters)?.route().merge(api.with_state(state)))
}

#[cfg(test)]
mod tests;
