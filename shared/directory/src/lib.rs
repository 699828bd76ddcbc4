//! The directory of m365-bridge: users from Microsoft 365 (USR-1..5) and partner relations
//! between tenants (PAR-1..6), written once against the ports, with no HTTP.
//!
//! The promises, kept on every table adapter:
//!
//! * **Every state change is one conditional write or one transaction.** Nothing is read, decided
//!   and then written unguarded: installing is a create-if-absent of the organisation's key,
//!   accepting is an update conditional on `state = pending` and not expired, deciding a request
//!   likewise, and a tenant's last super admin is protected by a counter that may not drop to 0.
//!   So concurrent attempts have exactly one winner, and every loser (and every refused request)
//!   leaves the table exactly as it was.
//! * **E-mailed links change nothing on GET.** [`Directory::view_invitation`] and
//!   [`Directory::view_relation_request`] only read; accepting is a separate call the edge makes
//!   on POST, by a signed-in person who must be the intended recipient. Link tokens are 256-bit
//!   secrets stored only as SHA-256, single-use and expiring.
//! * **Nothing crosses tenants on a user's behalf.** Every use case takes the acting user's
//!   tenant and reads only that tenant's partition, plus the few global `SYS#` items that exist
//!   to be global (an organisation's tenant, a person's account, token lookups, the directory of
//!   findable environments). The one deliberate exception is a partner relation, whose items are
//!   written to both partners' partitions in one transaction.
//!
//! **One person, one tenant.** A Microsoft identity (Entra tenant id + object id) signs in as at
//! most one user ([`keys::person`]), as the product's users belong to one environment. "Link my
//! existing account" (USR-3) therefore does not add the person to the inviting tenant: as the
//! product notes say, the person joins *the existing account's* tenant, i.e. the invitee's
//! Microsoft identity is linked to that account ([`Directory::link_existing_account`]).
//!
//! The key layout is in [`keys`]; the use cases are methods of [`Directory`], by area:
//! [`install`], [`users`], [`invitations`], [`join`], [`partners`], [`relations`], [`sharing`].

use std::sync::Arc;

use bridge_core::IdGen;
use bridge_core::tenant::{TenantId, UserAccount, UserId};
use bridge_store::{Cursor, Query, Table};
use serde::de::DeserializeOwned;

mod error;
pub mod install;
pub mod invitations;
pub mod join;
pub mod keys;
mod model;
pub mod partners;
mod ports;
pub mod relations;
mod secret;
pub mod sharing;
mod store;
pub mod users;

pub use error::{DirectoryError, Result};
pub use model::{
    AcceptOutcome, Actor, Decision, Invitation, InvitationSent, InvitationState, InvitationView,
    Invitee, JoinRequest, JoinRequestState, JoinRequested, PartnerSuggestion, PublicManager,
    Relation, RelationMember, RelationRequest, RelationRequestSent, RelationRequestState,
    Requester, Share, ShareJob, ShareOutcome, ShareScope, SignInOutcome, SignedInPerson,
    TenantRecord, normalize_email,
};
pub use ports::{MailKind, MailRequest, Outbox, QueueFailed, ShareQueue};
pub use secret::TOKEN_HEX_LEN;
pub use users::AccessChange;

/// Largest page a list returns.
pub const MAX_PAGE: usize = 500;

/// One page of a list.
#[derive(Debug, Clone, PartialEq)]
pub struct Listing<T> {
    /// The records, in key order.
    pub items: Vec<T>,
    /// Pass to the next call for more; `None` at the end.
    pub next: Option<Cursor>,
}

/// One day in milliseconds.
pub const DAY_MS: i64 = 86_400_000;

/// Tunables: lifetimes of links and requests, and the rate limits that stop floods.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DirectoryConfig {
    /// Base URL of the app as users reach it (no trailing slash), for links in e-mails.
    pub public_url: String,
    /// How long an invitation can be accepted (default 7 days).
    pub invitation_ttl_ms: i64,
    /// How long a join request can be decided (default 14 days).
    pub join_request_ttl_ms: i64,
    /// How long a relation request can be accepted (default 14 days).
    pub relation_request_ttl_ms: i64,
    /// Join requests one person may make per day (default 3).
    pub join_requests_per_person_per_day: u32,
    /// Join requests one tenant receives per hour (default 20).
    pub join_requests_per_tenant_per_hour: u32,
    /// Invitations one tenant sends per day (default 200): a compromised manager account cannot
    /// turn the mailer into a spam cannon.
    pub invitations_per_tenant_per_day: u32,
    /// Partner searches one user may make per minute (default 20), against enumeration.
    pub searches_per_user_per_minute: u32,
    /// Relation requests one tenant sends per day (default 20).
    pub relation_requests_per_tenant_per_day: u32,
    /// Shortest partner search, in letters or digits (default 3).
    pub min_search_chars: usize,
    /// Most suggestions a search returns (default 10).
    pub max_suggestions: usize,
}

impl DirectoryConfig {
    /// The defaults, with links under `public_url`.
    pub fn new(public_url: impl Into<String>) -> Self {
        DirectoryConfig {
            public_url: public_url.into().trim_end_matches('/').to_string(),
            invitation_ttl_ms: 7 * DAY_MS,
            join_request_ttl_ms: 14 * DAY_MS,
            relation_request_ttl_ms: 14 * DAY_MS,
            join_requests_per_person_per_day: 3,
            join_requests_per_tenant_per_hour: 20,
            invitations_per_tenant_per_day: 200,
            searches_per_user_per_minute: 20,
            relation_requests_per_tenant_per_day: 20,
            min_search_chars: 3,
            max_suggestions: 10,
        }
    }
}

/// The directory service: every use case, over the table, the id source and two queues.
///
/// Cheap to clone (it holds `Arc`s). Time is passed to each use case as `now` (epoch ms) rather
/// than read from a clock here, so a handler reads its clock once per request and tests pass a
/// [`bridge_core::ManualClock`]'s time.
#[derive(Debug, Clone)]
pub struct Directory {
    table: Arc<dyn Table>,
    ids: Arc<dyn IdGen>,
    outbox: Arc<dyn Outbox>,
    shares: Arc<dyn ShareQueue>,
    config: DirectoryConfig,
}

impl Directory {
    /// A service over the given adapters.
    pub fn new(
        table: Arc<dyn Table>,
        ids: Arc<dyn IdGen>,
        outbox: Arc<dyn Outbox>,
        shares: Arc<dyn ShareQueue>,
        config: DirectoryConfig,
    ) -> Self {
        Directory {
            table,
            ids,
            outbox,
            shares,
            config,
        }
    }

    /// The configuration in use.
    pub fn config(&self) -> &DirectoryConfig {
        &self.config
    }

    /// A user of `tenant` with its version, if it exists.
    pub(crate) async fn load_account(
        &self,
        tenant: TenantId,
        user: UserId,
    ) -> Result<Option<(UserAccount, i64)>> {
        match self.table.get(&keys::user(tenant, user)).await? {
            None => Ok(None),
            Some(item) => Ok(Some((store::record(&item, "user")?, store::ver_of(&item)))),
        }
    }

    /// The acting user, fresh from its own tenant: it must exist and be active.
    pub(crate) async fn acting(&self, actor: Actor) -> Result<(UserAccount, i64)> {
        let (account, ver) = self
            .load_account(actor.tenant, actor.user)
            .await?
            .ok_or_else(|| DirectoryError::Forbidden("unknown user".into()))?;
        // Belt and braces: the item is in the actor's partition, so this always holds.
        if account.user.tenant != actor.tenant {
            return Err(DirectoryError::Forbidden("unknown user".into()));
        }
        if !account.is_active() {
            return Err(DirectoryError::Deactivated);
        }
        Ok((account, ver))
    }

    /// The acting user, who must hold "manage users".
    pub(crate) async fn acting_manager(&self, actor: Actor) -> Result<(UserAccount, i64)> {
        let (account, ver) = self.acting(actor).await?;
        if !account.may(bridge_core::tenant::Right::ManageUsers) {
            return Err(DirectoryError::Forbidden(
                "this needs the right \"manage users\"".into(),
            ));
        }
        Ok((account, ver))
    }

    /// A tenant record with its version.
    pub(crate) async fn load_tenant(&self, tenant: TenantId) -> Result<(TenantRecord, i64)> {
        let item = self
            .table
            .get(&keys::tenant(tenant))
            .await?
            .ok_or(DirectoryError::NotFound("tenant"))?;
        Ok((store::record(&item, "tenant")?, store::ver_of(&item)))
    }

    /// The user a Microsoft identity signs in as, if any.
    pub(crate) async fn person_account(
        &self,
        tid: &str,
        oid: &str,
    ) -> Result<Option<(TenantId, UserId)>> {
        let Some(item) = self.table.get(&keys::person(tid, oid)).await? else {
            return Ok(None);
        };
        let link: PersonLink = store::record(&item, "person link")?;
        Ok(Some((link.tenant, link.user)))
    }

    /// A page of the records of `tenant` under `prefix`.
    pub(crate) async fn list<T: DeserializeOwned>(
        &self,
        tenant: TenantId,
        prefix: &str,
        cursor: Option<Cursor>,
        limit: usize,
        what: &str,
    ) -> Result<Listing<T>> {
        if limit == 0 || limit > MAX_PAGE {
            return Err(DirectoryError::Invalid(format!(
                "page size must be 1..={MAX_PAGE}"
            )));
        }
        let page = self
            .table
            .query(
                &Query::partition(bridge_core::tenant::tenant_pk(tenant))
                    .prefix(prefix)
                    .limit(limit)
                    .after(cursor),
            )
            .await?;
        let items = page
            .items
            .iter()
            .map(|i| store::record(i, what))
            .collect::<Result<Vec<T>>>()?;
        Ok(Listing {
            items,
            next: page.next,
        })
    }

    /// Queues a mail, logging (not failing) when the outbox refuses.
    pub(crate) async fn queue_mail(&self, mail: MailRequest) -> bool {
        let id = mail.id.clone();
        match self.outbox.queue(mail).await {
            Ok(()) => true,
            Err(e) => {
                tracing::warn!(mail = %id, error = %e, "mail not queued");
                false
            }
        }
    }
}

/// The item behind [`keys::person`]: the user a Microsoft identity signs in as.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub(crate) struct PersonLink {
    pub tenant: TenantId,
    pub user: UserId,
}

/// The item behind [`keys::entra_tenant`].
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub(crate) struct TenantLink {
    pub tenant: TenantId,
}
