//! `directory-api`: users, invitations, join requests, partner search and relation requests.
//!
//! Today: linking an app user to a Microsoft 365 user (SYNC-2) and the user's contacts and
//! calendar sync switches (SYNC-1), under `/api/users/{user}/…`. Every route authenticates with
//! an API bearer token ([`bridge_http::ApiUser`]) and stays inside the token's tenant; the logic
//! is in [`bridge_graph_subs::Links`], the handlers only check rights and map errors.

use std::sync::Arc;

use axum::Router;
use axum::extract::FromRef;
use bridge_graph_subs::{GraphProvider, Links, SubscriptionManager};
use bridge_http::Readiness;
use bridge_platform::{Adapters, ConfigError, QueueName};

mod errors;
mod extract;
mod links;
mod partners;
mod people;
mod sign_in;

/// The function's name: its binary, its health route `/health/directory-api`, its log field.
pub const NAME: &str = "directory-api";

/// What every handler needs, built once per process.
#[derive(Debug, Clone)]
pub struct DirectoryState {
    /// The adapters (key, clock and table for the [`bridge_http::ApiUser`] extractor).
    pub adapters: Adapters,
    /// Account links and sync switches.
    pub links: Links,
    /// Users, invitations, join requests, partners (USR-1..5, PAR-1..6).
    pub directory: bridge_directory::Directory,
    /// Sign-in with Microsoft and install (USR-1); `None` when `BRIDGE_OIDC_*` or
    /// `BRIDGE_PUBLIC_URL` is not set (those routes answer 503 naming them).
    pub(crate) sign_in: Option<Arc<sign_in::SignInService>>,
}

impl FromRef<DirectoryState> for Adapters {
    fn from_ref(state: &DirectoryState) -> Adapters {
        state.adapters.clone()
    }
}

/// What this function depends on, checked by its health route: the table, the mail queue
/// (invitations) and the sync queue (switching sync on asks for the initial sync).
pub fn readiness(adapters: &Adapters) -> Result<Readiness, ConfigError> {
    Ok(Readiness::new(NAME)
        .table(adapters.table.clone())
        .queue(QueueName::Mail.as_str(), adapters.queue(QueueName::Mail)?)
        .queue(QueueName::Sync.as_str(), adapters.queue(QueueName::Sync)?))
}

/// The links service over `adapters`, with Graph as configured (routes that need Graph answer
/// 503 naming the missing variables when it is not).
pub fn links(adapters: &Adapters) -> Result<Links, ConfigError> {
    let subs = SubscriptionManager::new(
        adapters.table.clone(),
        adapters.clock.clone(),
        GraphProvider::from_config(&adapters.config),
        adapters.queue(QueueName::Sync)?,
    );
    Ok(Links::new(
        adapters.table.clone(),
        adapters.clock.clone(),
        Arc::new(subs),
    ))
}

/// The function's router.
pub fn router(adapters: &Adapters) -> Result<Router, ConfigError> {
    let state = DirectoryState {
        adapters: adapters.clone(),
        links: links(adapters)?,
        directory: bridge_platform::directory::service(adapters)?,
        sign_in: sign_in::service(adapters)?,
    };
    let routes = links::routes()
        .merge(sign_in::routes())
        .merge(people::routes())
        .merge(partners::routes());
    Ok(readiness(adapters)?.route().merge(routes.with_state(state)))
}

#[cfg(test)]
mod tests;

/// The signed-in person (from the person cookie) as the directory knows people.
pub(crate) fn signed_in_person(
    p: &bridge_http::person::Person,
) -> bridge_directory::SignedInPerson {
    bridge_directory::SignedInPerson {
        tid: p.tid.clone(),
        oid: p.oid.clone(),
        name: p.name.clone(),
        preferred_username: p.username.clone(),
        verified_email: p.verified_email.clone(),
        is_tenant_admin: p.admin,
    }
}
