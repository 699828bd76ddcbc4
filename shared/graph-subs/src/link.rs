//! Account linking (SYNC-2) and sync switches (SYNC-1).
//!
//! One app user links exactly one Microsoft 365 user, and a Microsoft 365 user links exactly
//! one app user. Two items, written in one transaction, each created only if absent:
//!
//! - the link, under the tenant: pk `T#<tenant>`, sk `M365LINK#<user>` (one per app user);
//! - a uniqueness item for the Microsoft 365 user: pk `SYS#m365user#<graph tenant>#<graph
//!   user>`, sk `LINK` (one per Microsoft 365 user, whichever tenant links it).
//!
//! So two concurrent attempts can never both succeed, and the loser learns which side was taken.
//! The sync switches (contacts, calendar) live on the link; switching one on creates its Graph
//! subscription, switching it off deletes it, and unlinking deletes both items and every
//! subscription of the user.

use std::sync::Arc;

use bridge_core::Clock;
use bridge_core::tenant::{TenantId, UserId, tenant_pk, user_sk};
use bridge_graph::GraphError;
use bridge_queue::QueueError;
use bridge_store::{Condition, Item, Key, StoreError, Table, Update, WriteOp};
use serde::{Deserialize, Serialize};

use crate::graph::{GraphProvider, GraphUnavailable};
use crate::manager::{SubscriptionError, SubscriptionManager};
use crate::record::GraphResource;

/// Sort-key prefix of link items.
const LINK_PREFIX: &str = "M365LINK#";

/// Longest Graph user id (or user principal name) accepted.
const MAX_GRAPH_USER_ID: usize = 128;

/// The key of `user`'s link.
pub fn link_key(tenant: TenantId, user: UserId) -> Key {
    Key::new(tenant_pk(tenant), format!("{LINK_PREFIX}{user}"))
}

/// The key of the uniqueness item of Microsoft 365 user `graph_user_id` of `graph_tenant_id`.
/// Entra ids are case-insensitive GUIDs, so both are lower-cased: one person, one key.
pub fn m365_user_key(graph_tenant_id: &str, graph_user_id: &str) -> Key {
    Key::new(
        format!(
            "SYS#m365user#{}#{}",
            graph_tenant_id.to_ascii_lowercase(),
            graph_user_id.to_ascii_lowercase()
        ),
        "LINK",
    )
}

/// Whether `id` can be a Graph user id or user principal name and part of a key: 1..=128 of
/// ASCII letters, digits and `-._@` (Graph object ids are GUIDs).
fn valid_graph_user_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= MAX_GRAPH_USER_ID
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-._@".contains(&b))
}

/// Which resources a user syncs (SYNC-1: each one separately).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncSwitches {
    /// Contacts sync.
    pub contacts: bool,
    /// Calendar sync.
    pub calendar: bool,
}

impl SyncSwitches {
    fn get(self, r: GraphResource) -> bool {
        match r {
            GraphResource::Contacts => self.contacts,
            GraphResource::Events => self.calendar,
        }
    }
}

/// An app user's link to a Microsoft 365 user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MicrosoftLink {
    /// Our tenant.
    pub tenant_id: uuid::Uuid,
    /// Our user.
    pub user_id: uuid::Uuid,
    /// The Entra tenant of the Microsoft 365 user.
    pub graph_tenant_id: String,
    /// The Microsoft 365 user's object id (also its mailbox id).
    pub graph_user_id: String,
    /// Its display name when linked, for the admin's overview.
    #[serde(default)]
    pub display_name: Option<String>,
    /// Its user principal name when linked, for the admin's overview.
    #[serde(default)]
    pub user_principal_name: Option<String>,
    /// When it was linked, epoch ms.
    pub linked_at_ms: i64,
    /// Who linked it.
    pub linked_by: uuid::Uuid,
    /// Contacts sync is on.
    #[serde(default)]
    pub contacts: bool,
    /// Calendar sync is on.
    #[serde(default)]
    pub calendar: bool,
}

impl MicrosoftLink {
    /// The sync switches.
    pub fn switches(&self) -> SyncSwitches {
        SyncSwitches {
            contacts: self.contacts,
            calendar: self.calendar,
        }
    }
}

/// Why a link operation was refused or failed.
#[derive(Debug, thiserror::Error)]
pub enum LinkError {
    /// No such app user in the tenant.
    #[error("no such user in this tenant")]
    UserNotFound,
    /// Graph does not know the Microsoft 365 user.
    #[error("no Microsoft 365 user with that id")]
    M365UserNotFound,
    /// The given Graph user id is malformed.
    #[error("graph_user_id must be 1 to 128 letters, digits or -._@")]
    InvalidGraphUserId,
    /// The app user already has a link.
    #[error("this user is already linked to a Microsoft 365 account; unlink it first")]
    AppUserAlreadyLinked,
    /// The Microsoft 365 user is linked to another app user.
    #[error("this Microsoft 365 account is already linked to another user")]
    M365UserAlreadyLinked,
    /// The app user has no link.
    #[error("this user has no Microsoft 365 link")]
    NotLinked,
    /// Graph is not configured.
    #[error(transparent)]
    Unavailable(#[from] GraphUnavailable),
    /// Graph refused or failed.
    #[error("Microsoft Graph: {0}")]
    Graph(GraphError),
    /// The table failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A stored item is unreadable.
    #[error("corrupt link data: {0}")]
    Corrupt(String),
    /// The sync queue refused a resync request.
    #[error(transparent)]
    Queue(#[from] QueueError),
}

impl From<SubscriptionError> for LinkError {
    fn from(e: SubscriptionError) -> Self {
        match e {
            SubscriptionError::Unavailable(e) => Self::Unavailable(e),
            SubscriptionError::Graph(e) => Self::Graph(e),
            SubscriptionError::NotLinked => Self::NotLinked,
            SubscriptionError::Store(e) => Self::Store(e),
            SubscriptionError::Corrupt(m) => Self::Corrupt(m),
            SubscriptionError::Queue(e) => Self::Queue(e),
        }
    }
}

fn to_item(key: Key, v: &impl Serialize) -> Result<Item, LinkError> {
    match serde_json::to_value(v) {
        Ok(serde_json::Value::Object(attrs)) => Ok(Item { key, attrs }),
        Ok(_) => Err(LinkError::Corrupt("not an object".into())),
        Err(e) => Err(LinkError::Corrupt(e.to_string())),
    }
}

/// Links app users to Microsoft 365 users and switches their sync on and off.
#[derive(Debug, Clone)]
pub struct Links {
    table: Arc<dyn Table>,
    clock: Arc<dyn Clock>,
    subs: Arc<SubscriptionManager>,
}

impl Links {
    /// Links over the table, the clock and the subscription manager (which holds Graph).
    pub fn new(
        table: Arc<dyn Table>,
        clock: Arc<dyn Clock>,
        subs: Arc<SubscriptionManager>,
    ) -> Self {
        Self { table, clock, subs }
    }

    fn graph(&self) -> &GraphProvider {
        self.subs.graph()
    }

    /// Links `user` of `tenant` to Microsoft 365 user `graph_user_id` (an object id, or a user
    /// principal name that Graph resolves to one), on behalf of `actor`. The Microsoft 365 user
    /// must exist at Graph; neither side may be linked already. Sync starts switched off.
    pub async fn link(
        &self,
        tenant: TenantId,
        user: UserId,
        graph_user_id: &str,
        actor: UserId,
    ) -> Result<MicrosoftLink, LinkError> {
        if !valid_graph_user_id(graph_user_id) {
            return Err(LinkError::InvalidGraphUserId);
        }
        let user_key = Key::new(tenant_pk(tenant), user_sk(user));
        if self.table.get(&user_key).await?.is_none() {
            return Err(LinkError::UserNotFound);
        }
        let graph_tenant_id = self.graph().graph_tenant_id()?.to_owned();
        let m365 = match self.graph().client()?.get_user(graph_user_id).await {
            Ok(u) => u,
            Err(GraphError::NotFound) => return Err(LinkError::M365UserNotFound),
            Err(e) => return Err(LinkError::Graph(e)),
        };
        if !valid_graph_user_id(&m365.id) {
            return Err(LinkError::Corrupt(
                "Graph returned an unusable user id".into(),
            ));
        }
        let link = MicrosoftLink {
            tenant_id: tenant.0,
            user_id: user.0,
            graph_tenant_id: graph_tenant_id.clone(),
            graph_user_id: m365.id.clone(),
            display_name: m365.display_name,
            user_principal_name: m365.user_principal_name,
            linked_at_ms: self.clock.now_ms(),
            linked_by: actor.0,
            contacts: false,
            calendar: false,
        };
        let unique = Item::new(m365_user_key(&graph_tenant_id, &m365.id))
            .with("tenant_id", tenant.to_string())
            .with("user_id", user.to_string());
        let ops = vec![
            WriteOp::Put {
                item: to_item(link_key(tenant, user), &link)?,
                condition: Some(Condition::NotExists),
            },
            WriteOp::Put {
                item: unique,
                condition: Some(Condition::NotExists),
            },
        ];
        match self.table.transact(ops).await {
            Ok(()) => {
                tracing::info!(tenant_id = %tenant, user_id = %user, actor = %actor, "microsoft 365 account linked");
                Ok(link)
            }
            Err(StoreError::TransactionCanceled { failed }) if failed.contains(&0) => {
                Err(LinkError::AppUserAlreadyLinked)
            }
            Err(StoreError::TransactionCanceled { .. }) => Err(LinkError::M365UserAlreadyLinked),
            Err(e) => Err(e.into()),
        }
    }

    /// `user`'s link, if any.
    pub async fn get(
        &self,
        tenant: TenantId,
        user: UserId,
    ) -> Result<Option<MicrosoftLink>, LinkError> {
        let Some(item) = self.table.get(&link_key(tenant, user)).await? else {
            return Ok(None);
        };
        serde_json::from_value(serde_json::Value::Object(item.attrs))
            .map(Some)
            .map_err(|e| LinkError::Corrupt(e.to_string()))
    }

    /// Unlinks `user`: deletes its subscriptions (at Graph and stored), then the link and the
    /// Microsoft 365 user's uniqueness item together, so both sides are free again.
    pub async fn unlink(&self, tenant: TenantId, user: UserId) -> Result<(), LinkError> {
        let link = self.get(tenant, user).await?.ok_or(LinkError::NotLinked)?;
        self.subs.remove_all(tenant, user).await?;
        let ops = vec![
            WriteOp::Delete {
                key: link_key(tenant, user),
                condition: Some(Condition::Exists),
            },
            WriteOp::Delete {
                key: m365_user_key(&link.graph_tenant_id, &link.graph_user_id),
                condition: Some(
                    Condition::NotExists
                        .or(Condition::Equals("user_id".into(), user.to_string().into())),
                ),
            },
        ];
        match self.table.transact(ops).await {
            Ok(()) => {}
            Err(StoreError::TransactionCanceled { .. }) => return Err(LinkError::NotLinked),
            Err(e) => return Err(e.into()),
        }
        // A subscription created by a sync switch racing with this unlink committed before the
        // link was gone (its transaction checks the link); remove it too.
        if let Err(e) = self.subs.remove_all(tenant, user).await {
            tracing::warn!(tenant_id = %tenant, user_id = %user, error = %e, "subscription left after unlink; it expires on its own");
        }
        tracing::info!(tenant_id = %tenant, user_id = %user, "microsoft 365 account unlinked");
        Ok(())
    }

    /// Sets `user`'s sync switches: a resource switched on gets its subscription (and a full
    /// resync: the initial sync), one switched off loses it. Each switch is stored only after
    /// its subscription change succeeded, so a failure leaves the switch as it was.
    pub async fn set_sync(
        &self,
        tenant: TenantId,
        user: UserId,
        wanted: SyncSwitches,
    ) -> Result<SyncSwitches, LinkError> {
        let link = self.get(tenant, user).await?.ok_or(LinkError::NotLinked)?;
        let mut now = link.switches();
        for resource in [GraphResource::Contacts, GraphResource::Events] {
            if wanted.get(resource) {
                self.subs
                    .ensure(tenant, user, &link.graph_user_id, resource)
                    .await?;
            } else {
                self.subs.remove(tenant, user, resource).await?;
            }
            match resource {
                GraphResource::Contacts => now.contacts = wanted.contacts,
                GraphResource::Events => now.calendar = wanted.calendar,
            }
            let update = Update::new()
                .set("contacts", now.contacts)
                .set("calendar", now.calendar);
            match self
                .table
                .update(&link_key(tenant, user), update, Some(Condition::Exists))
                .await
            {
                Ok(_) => {}
                Err(StoreError::ConditionFailed) => return Err(LinkError::NotLinked),
                Err(e) => return Err(e.into()),
            }
        }
        tracing::info!(tenant_id = %tenant, user_id = %user, contacts = now.contacts, calendar = now.calendar, "sync switches set");
        Ok(now)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn graph_user_ids_are_checked_before_they_reach_a_key() {
        assert!(valid_graph_user_id("6e7b768e-07e2-4810-8459-485f84f8f204"));
        assert!(valid_graph_user_id("ada@contoso.test"));
        for bad in ["", "a/b", "a#b", "a b", "ü", &"x".repeat(129)] {
            assert!(!valid_graph_user_id(bad), "{bad}");
        }
    }

    #[test]
    fn keys_put_the_link_under_the_tenant_and_the_uniqueness_item_under_the_graph_user() {
        let t = TenantId(uuid::Uuid::from_u128(1));
        let u = UserId(uuid::Uuid::from_u128(2));
        let k = link_key(t, u);
        assert_eq!(k.pk, tenant_pk(t));
        assert_eq!(k.sk, format!("M365LINK#{u}"));
        let k = m365_user_key("gt", "gu");
        assert_eq!(
            (k.pk.as_str(), k.sk.as_str()),
            ("SYS#m365user#gt#gu", "LINK")
        );
    }
}
