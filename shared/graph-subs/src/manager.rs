//! The life of our Graph subscriptions: create one per linked mailbox and resource, renew it
//! before it expires, re-create it when Graph removed it (or it cannot be renewed) and ask for a
//! full resync then, delete it when sync is switched off or the account is unlinked.
//!
//! Every Graph call happens before the table write it leads to, and the write is one
//! transaction (record + both index entries, with conditions), so two workers racing on the
//! same mailbox or subscription leave exactly one subscription stored; the loser deletes the
//! subscription it created at Graph.

use std::sync::Arc;

use bridge_core::Clock;
use bridge_core::tenant::{TenantId, UserId};
use bridge_graph::{GraphError, NewSubscription};
use bridge_platform::messages::{Message, SyncReason, SyncResource};
use bridge_queue::{OutgoingMessage, Queue, QueueError};
use bridge_store::{Condition, StoreError, Table, Update, WriteOp};
use secrecy::ExposeSecret;

use crate::graph::{GraphProvider, GraphUnavailable};
use crate::index::{
    delete_ops, delete_record, due_before, expiry_item, expiry_key, records_of_user,
    subscription_of, user_subscription_item,
};
use crate::link::link_key;
use crate::record::{
    GraphResource, SubsError, SubscriptionRecord, get_record, record_item, record_key,
};
use crate::secret::{client_state_sha256, new_client_state};
use crate::time::{parse_rfc3339_ms, to_system_time};

/// Longest lifetime Graph allows for Outlook contact and event subscriptions (without resource
/// data): 4,230 minutes (reference/graph-sync.md §2). Asking for more fails.
pub const MAX_LIFETIME_MS: i64 = 4230 * 60 * 1000;

/// The lifetime we ask for: 30 minutes under the maximum, so a clock ahead of Graph's by up to
/// that much still asks for an allowed expiry.
pub const SUBSCRIPTION_LIFETIME_MS: i64 = MAX_LIFETIME_MS - 30 * 60 * 1000;

/// Renew subscriptions this long before they expire. The schedule runs every six hours, so a
/// subscription gets four attempts before it lapses.
pub const RENEW_AHEAD_MS: i64 = 24 * 60 * 60 * 1000;

/// After this many failed renewals in a row, the subscription is re-created instead.
pub const MAX_RENEW_FAILURES: i64 = 3;

/// What we subscribe to.
pub const CHANGE_TYPES: &str = "created,updated,deleted";

/// Item attribute counting renewals that failed in a row (reset by a successful renewal).
const RENEW_FAILURES: &str = "renew_failures";

/// Why a subscription operation failed.
#[derive(Debug, thiserror::Error)]
pub enum SubscriptionError {
    /// Graph is not configured.
    #[error(transparent)]
    Unavailable(#[from] GraphUnavailable),
    /// Graph refused or failed.
    #[error("Microsoft Graph: {0}")]
    Graph(#[from] GraphError),
    /// The user has no Microsoft 365 link (any more).
    #[error("the user has no Microsoft 365 link")]
    NotLinked,
    /// The table failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A stored item is unreadable.
    #[error("corrupt subscription data: {0}")]
    Corrupt(String),
    /// The sync queue refused the resync request.
    #[error(transparent)]
    Queue(#[from] QueueError),
}

impl From<SubsError> for SubscriptionError {
    fn from(e: SubsError) -> Self {
        match e {
            SubsError::Store(e) => Self::Store(e),
            SubsError::Corrupt(m) => Self::Corrupt(m),
        }
    }
}

impl SubscriptionError {
    /// Whether trying again later may succeed (a queue message is then left for redelivery).
    pub fn is_retryable(&self) -> bool {
        match self {
            // Configuration can be fixed; the message waits (then dead-letters) meanwhile.
            Self::Unavailable(_) | Self::Queue(_) => true,
            // Throttling, server and transport failures, refused credentials: maybe later.
            Self::Graph(e) => !matches!(
                e,
                GraphError::NotFound
                    | GraphError::BadRequest { .. }
                    | GraphError::InvalidRequest(_)
                    | GraphError::Conflict
                    | GraphError::PreconditionFailed
                    | GraphError::SyncStateNotFound
                    | GraphError::UntrustedLink(_)
                    | GraphError::Decode(_)
            ),
            Self::Store(e) => matches!(
                e,
                StoreError::Backend(_)
                    | StoreError::ConditionFailed
                    | StoreError::TransactionCanceled { .. }
            ),
            Self::NotLinked | Self::Corrupt(_) => false,
        }
    }
}

/// What [`SubscriptionManager::renew`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Renewed {
    /// Graph moved the expiry; the record and its index entry moved with it.
    Renewed {
        /// The new expiry, epoch ms.
        expires_at_ms: i64,
    },
    /// Graph no longer had it (or it kept failing, or it had expired): a new subscription
    /// replaced it and a full resync was requested.
    Recreated(Recreated),
    /// No record of that id: nothing to do.
    Unknown,
}

/// What [`SubscriptionManager::recreate`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Recreated {
    /// The new subscription replaced the old one.
    Replaced {
        /// The new subscription id.
        subscription_id: String,
    },
    /// Someone else replaced or deleted the old record meanwhile; the subscription created
    /// here was deleted again.
    Superseded,
    /// No record of that id: nothing to do (already re-created, or sync was switched off).
    Unknown,
}

/// Counts of one renewal sweep.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SweepReport {
    /// Entries due for renewal.
    pub due: usize,
    /// Renewed in place.
    pub renewed: usize,
    /// Replaced by a new subscription.
    pub recreated: usize,
    /// Entries without a (matching) record, removed.
    pub stale: usize,
    /// Failed this run; left for the next run (the failure is counted on the record).
    pub failed: usize,
}

/// Creates, renews, re-creates and deletes our Graph subscriptions and their records.
#[derive(Debug, Clone)]
pub struct SubscriptionManager {
    table: Arc<dyn Table>,
    clock: Arc<dyn Clock>,
    graph: GraphProvider,
    sync: Arc<dyn Queue>,
}

/// The resource path of `mailbox`'s `resource`.
fn resource_path(mailbox: &str, resource: GraphResource) -> String {
    format!("/users/{mailbox}/{}", resource.as_str())
}

fn sync_resource(r: GraphResource) -> SyncResource {
    match r {
        GraphResource::Contacts => SyncResource::Contacts,
        GraphResource::Events => SyncResource::Events,
    }
}

impl SubscriptionManager {
    /// A manager over the table, the clock, Graph, and the sync queue (for full resyncs).
    pub fn new(
        table: Arc<dyn Table>,
        clock: Arc<dyn Clock>,
        graph: GraphProvider,
        sync: Arc<dyn Queue>,
    ) -> Self {
        Self {
            table,
            clock,
            graph,
            sync,
        }
    }

    /// The Graph provider in use.
    pub fn graph(&self) -> &GraphProvider {
        &self.graph
    }

    /// The subscription of `user` to `resource`, if any.
    pub async fn subscription_of(
        &self,
        tenant: TenantId,
        user: UserId,
        resource: GraphResource,
    ) -> Result<Option<SubscriptionRecord>, SubscriptionError> {
        Ok(subscription_of(self.table.as_ref(), tenant, user, resource).await?)
    }

    /// Every subscription of `user`.
    pub async fn records_of_user(
        &self,
        tenant: TenantId,
        user: UserId,
    ) -> Result<Vec<SubscriptionRecord>, SubscriptionError> {
        Ok(records_of_user(self.table.as_ref(), tenant, user).await?)
    }

    /// Makes sure `user`'s `mailbox` has a subscription to `resource`: returns the existing one,
    /// or creates one (fresh secret, longest lifetime) and requests a full resync, since changes
    /// made before it existed were never notified. The user must be linked.
    pub async fn ensure(
        &self,
        tenant: TenantId,
        user: UserId,
        mailbox: &str,
        resource: GraphResource,
    ) -> Result<SubscriptionRecord, SubscriptionError> {
        if let Some(rec) = self.subscription_of(tenant, user, resource).await? {
            return Ok(rec);
        }
        let rec = self
            .create_at_graph(tenant, user, mailbox, resource)
            .await?;
        // Asked for before the commit, so a failed enqueue leaves nothing half done; a commit
        // that then fails costs one redundant resync.
        if let Err(e) = self.request_full_resync(&rec).await {
            self.discard_at_graph(&rec.subscription_id).await;
            return Err(e);
        }
        let ops = vec![
            WriteOp::Put {
                item: record_item(&rec)?,
                condition: Some(Condition::NotExists),
            },
            WriteOp::Put {
                item: user_subscription_item(&rec),
                condition: Some(Condition::NotExists),
            },
            WriteOp::Put {
                item: expiry_item(&rec),
                condition: None,
            },
            WriteOp::Check {
                key: link_key(tenant, user),
                condition: Condition::Exists,
            },
        ];
        match self.table.transact(ops).await {
            Ok(()) => {
                tracing::info!(
                    subscription_id = %rec.subscription_id,
                    tenant_id = %tenant,
                    user_id = %user,
                    resource = rec.resource.as_str(),
                    "graph subscription created"
                );
                Ok(rec)
            }
            Err(e) => {
                self.discard_at_graph(&rec.subscription_id).await;
                match e {
                    StoreError::TransactionCanceled { failed } if failed.contains(&3) => {
                        Err(SubscriptionError::NotLinked)
                    }
                    // Another request created it first: theirs stands.
                    StoreError::TransactionCanceled { .. } => self
                        .subscription_of(tenant, user, resource)
                        .await?
                        .ok_or_else(|| StoreError::ConditionFailed.into()),
                    e => Err(e.into()),
                }
            }
        }
    }

    /// Deletes `user`'s subscription to `resource` (at Graph, then the record); `false` when
    /// there was none.
    pub async fn remove(
        &self,
        tenant: TenantId,
        user: UserId,
        resource: GraphResource,
    ) -> Result<bool, SubscriptionError> {
        match self.subscription_of(tenant, user, resource).await? {
            Some(rec) => {
                self.delete(&rec).await?;
                Ok(true)
            }
            None => Ok(false),
        }
    }

    /// Deletes every subscription of `user`; returns how many there were.
    pub async fn remove_all(
        &self,
        tenant: TenantId,
        user: UserId,
    ) -> Result<usize, SubscriptionError> {
        let records = self.records_of_user(tenant, user).await?;
        for rec in &records {
            self.delete(rec).await?;
        }
        Ok(records.len())
    }

    /// Deletes `rec` at Graph (already gone is fine) and then its record and index entries.
    /// Any other Graph failure keeps the record, so a live subscription is never forgotten.
    async fn delete(&self, rec: &SubscriptionRecord) -> Result<(), SubscriptionError> {
        match self
            .graph
            .client()?
            .delete_subscription(&rec.subscription_id)
            .await
        {
            Ok(()) | Err(GraphError::NotFound) => {}
            Err(e) => return Err(e.into()),
        }
        delete_record(self.table.as_ref(), rec).await?;
        tracing::info!(
            subscription_id = %rec.subscription_id,
            resource = rec.resource.as_str(),
            "graph subscription deleted"
        );
        Ok(())
    }

    /// Renews subscription `subscription_id` now (lifecycle `reauthorizationRequired`, or the
    /// sweep). Unknown ids are nothing to do.
    pub async fn renew(&self, subscription_id: &str) -> Result<Renewed, SubscriptionError> {
        match get_record(self.table.as_ref(), subscription_id).await? {
            Some(rec) => self.renew_record(rec).await,
            None => Ok(Renewed::Unknown),
        }
    }

    async fn renew_record(&self, rec: SubscriptionRecord) -> Result<Renewed, SubscriptionError> {
        let client = self.graph.client()?;
        let now = self.clock.now_ms();
        if rec.expires_at_ms <= now {
            // Graph has dropped it already; notifications may have been missed.
            tracing::warn!(subscription_id = %rec.subscription_id, "subscription expired; re-creating");
            return self.replace(rec, true).await.map(Renewed::Recreated);
        }
        let requested = now.saturating_add(SUBSCRIPTION_LIFETIME_MS);
        match client
            .renew_subscription(&rec.subscription_id, to_system_time(requested))
            .await
        {
            Ok(sub) => {
                let expires_at_ms =
                    parse_rfc3339_ms(&sub.expiration_date_time).unwrap_or(requested);
                self.move_expiry(&rec, expires_at_ms).await
            }
            Err(GraphError::NotFound) => {
                tracing::warn!(subscription_id = %rec.subscription_id, "Graph no longer has the subscription; re-creating");
                self.replace(rec, true).await.map(Renewed::Recreated)
            }
            Err(e) => {
                let failures = self.count_failure(&rec).await?;
                if failures >= MAX_RENEW_FAILURES {
                    tracing::warn!(
                        subscription_id = %rec.subscription_id,
                        failures,
                        error = %e,
                        "renewal keeps failing; re-creating"
                    );
                    self.replace(rec, true).await.map(Renewed::Recreated)
                } else {
                    tracing::warn!(
                        subscription_id = %rec.subscription_id,
                        failures,
                        error = %e,
                        "renewal failed; will retry"
                    );
                    Err(e.into())
                }
            }
        }
    }

    /// Stores the new expiry: the record (failure count reset) and its by-expiry entry move in
    /// one transaction, guarded by the old expiry so a concurrent renewal is not undone.
    async fn move_expiry(
        &self,
        rec: &SubscriptionRecord,
        expires_at_ms: i64,
    ) -> Result<Renewed, SubscriptionError> {
        let mut moved = rec.clone();
        moved.expires_at_ms = expires_at_ms;
        let mut ops = vec![WriteOp::Put {
            item: record_item(&moved)?,
            condition: Some(Condition::Equals(
                "expires_at_ms".into(),
                rec.expires_at_ms.into(),
            )),
        }];
        if expires_at_ms != rec.expires_at_ms {
            ops.push(WriteOp::Delete {
                key: expiry_key(rec.expires_at_ms, &rec.subscription_id),
                condition: None,
            });
            ops.push(WriteOp::Put {
                item: expiry_item(&moved),
                condition: None,
            });
        }
        match self.table.transact(ops).await {
            Ok(()) => {
                tracing::info!(subscription_id = %rec.subscription_id, expires_at_ms, "graph subscription renewed");
                Ok(Renewed::Renewed { expires_at_ms })
            }
            // Renewed or deleted concurrently: report what is stored now.
            Err(StoreError::TransactionCanceled { .. }) => {
                match get_record(self.table.as_ref(), &rec.subscription_id).await? {
                    Some(now) => Ok(Renewed::Renewed {
                        expires_at_ms: now.expires_at_ms,
                    }),
                    None => Ok(Renewed::Unknown),
                }
            }
            Err(e) => Err(e.into()),
        }
    }

    /// Adds one to the record's count of failed renewals; returns the new count.
    async fn count_failure(&self, rec: &SubscriptionRecord) -> Result<i64, SubscriptionError> {
        let update = Update::new().add(RENEW_FAILURES, 1);
        let item = self
            .table
            .update(
                &record_key(&rec.subscription_id),
                update,
                Some(Condition::Exists),
            )
            .await?;
        Ok(item.get_i64(RENEW_FAILURES).unwrap_or(1))
    }

    /// Re-creates subscription `subscription_id` for the same mailbox and resource (lifecycle
    /// `subscriptionRemoved`): new id, new secret; the old record and its index entries go;
    /// with `full_resync` a full resync of that resource is requested. Unknown ids are nothing
    /// to do (a redelivered message finds the old record already gone).
    pub async fn recreate(
        &self,
        subscription_id: &str,
        full_resync: bool,
    ) -> Result<Recreated, SubscriptionError> {
        match get_record(self.table.as_ref(), subscription_id).await? {
            Some(rec) => self.replace(rec, full_resync).await,
            None => Ok(Recreated::Unknown),
        }
    }

    async fn replace(
        &self,
        old: SubscriptionRecord,
        full_resync: bool,
    ) -> Result<Recreated, SubscriptionError> {
        let tenant = TenantId(old.tenant_id);
        let user = UserId(old.user_id);
        let new = self
            .create_at_graph(tenant, user, &old.mailbox, old.resource)
            .await?;
        if full_resync && let Err(e) = self.request_full_resync(&new).await {
            self.discard_at_graph(&new.subscription_id).await;
            return Err(e);
        }
        let mut ops = delete_ops(&old);
        // The old record must still be there: only one replacement wins.
        if let Some(WriteOp::Delete { condition, .. }) = ops.first_mut() {
            *condition = Some(Condition::Exists);
        }
        // The by-user entry moves to the new subscription.
        ops.pop();
        ops.push(WriteOp::Put {
            item: user_subscription_item(&new),
            condition: Some(Condition::NotExists.or(Condition::Equals(
                "subscription_id".into(),
                old.subscription_id.clone().into(),
            ))),
        });
        ops.push(WriteOp::Put {
            item: record_item(&new)?,
            condition: Some(Condition::NotExists),
        });
        ops.push(WriteOp::Put {
            item: expiry_item(&new),
            condition: None,
        });
        ops.push(WriteOp::Check {
            key: link_key(tenant, user),
            condition: Condition::Exists,
        });
        match self.table.transact(ops).await {
            Ok(()) => {}
            Err(StoreError::TransactionCanceled { .. }) => {
                self.discard_at_graph(&new.subscription_id).await;
                tracing::info!(subscription_id = %old.subscription_id, "subscription already replaced or removed");
                return Ok(Recreated::Superseded);
            }
            Err(e) => {
                self.discard_at_graph(&new.subscription_id).await;
                return Err(e.into());
            }
        }
        // A subscription that could not be renewed may still exist at Graph.
        self.discard_at_graph(&old.subscription_id).await;
        tracing::info!(
            old_subscription_id = %old.subscription_id,
            subscription_id = %new.subscription_id,
            full_resync,
            "graph subscription re-created"
        );
        Ok(Recreated::Replaced {
            subscription_id: new.subscription_id,
        })
    }

    /// The scheduled sweep: renews every subscription expiring within [`RENEW_AHEAD_MS`],
    /// soonest first. A failure is counted on its record and left for the next run (after
    /// [`MAX_RENEW_FAILURES`] the subscription is re-created); the sweep goes on with the rest.
    pub async fn renew_due(&self) -> Result<SweepReport, SubscriptionError> {
        let now = self.clock.now_ms();
        let due = due_before(self.table.as_ref(), now.saturating_add(RENEW_AHEAD_MS)).await?;
        let mut report = SweepReport {
            due: due.len(),
            ..SweepReport::default()
        };
        if due.is_empty() {
            return Ok(report);
        }
        // Say once, clearly, when nothing can be renewed for want of configuration.
        self.graph.client()?;
        for entry in due {
            let rec = match get_record(self.table.as_ref(), &entry.subscription_id).await {
                Ok(Some(rec)) if rec.expires_at_ms == entry.expires_at_ms => rec,
                Ok(_) => {
                    // No record, or the record expires at another time: a leftover entry.
                    let key = expiry_key(entry.expires_at_ms, &entry.subscription_id);
                    self.table.delete(&key, None).await?;
                    report.stale += 1;
                    continue;
                }
                Err(e) => {
                    tracing::warn!(subscription_id = %entry.subscription_id, error = %e, "unreadable subscription record");
                    report.failed += 1;
                    continue;
                }
            };
            match self.renew_record(rec).await {
                Ok(Renewed::Renewed { .. }) => report.renewed += 1,
                Ok(Renewed::Recreated(_)) => report.recreated += 1,
                Ok(Renewed::Unknown) => report.stale += 1,
                Err(e) => {
                    tracing::warn!(subscription_id = %entry.subscription_id, error = %e, "renewal failed");
                    report.failed += 1;
                }
            }
        }
        Ok(report)
    }

    /// Creates a subscription at Graph for `mailbox`'s `resource` and returns its record (not
    /// yet stored). The secret goes to Graph; only its hash is kept.
    async fn create_at_graph(
        &self,
        tenant: TenantId,
        user: UserId,
        mailbox: &str,
        resource: GraphResource,
    ) -> Result<SubscriptionRecord, SubscriptionError> {
        let client = self.graph.client()?;
        let (notification_url, lifecycle_url) = self.graph.notification_urls()?;
        let secret = new_client_state();
        let client_state_sha256 = client_state_sha256(secret.expose_secret());
        let requested = self.clock.now_ms().saturating_add(SUBSCRIPTION_LIFETIME_MS);
        let sub = client
            .create_subscription(&NewSubscription {
                resource: resource_path(mailbox, resource),
                change_type: CHANGE_TYPES.to_owned(),
                notification_url,
                lifecycle_notification_url: Some(lifecycle_url),
                client_state: secret,
                expiration: to_system_time(requested),
            })
            .await?;
        if sub.id.is_empty() {
            return Err(SubscriptionError::Corrupt(
                "Graph returned a subscription without an id".into(),
            ));
        }
        Ok(SubscriptionRecord {
            expires_at_ms: parse_rfc3339_ms(&sub.expiration_date_time).unwrap_or(requested),
            subscription_id: sub.id,
            tenant_id: tenant.0,
            user_id: user.0,
            mailbox: mailbox.to_owned(),
            resource,
            client_state_sha256,
        })
    }

    /// Deletes a subscription at Graph that we are not keeping. Best effort: one left behind
    /// expires within three days, and its notifications are dropped as unknown meanwhile.
    async fn discard_at_graph(&self, subscription_id: &str) {
        let Ok(client) = self.graph.client() else {
            return;
        };
        match client.delete_subscription(subscription_id).await {
            Ok(()) | Err(GraphError::NotFound) => {}
            Err(e) => {
                tracing::warn!(%subscription_id, error = %e, "could not delete an unused graph subscription; it will expire")
            }
        }
    }

    /// Queues a full resync of `rec`'s mailbox resource for sync-batch.
    async fn request_full_resync(&self, rec: &SubscriptionRecord) -> Result<(), SubscriptionError> {
        let resource = sync_resource(rec.resource);
        let body = Message::SyncMailbox {
            tenant_id: rec.tenant_id.to_string(),
            user_id: rec.user_id.to_string(),
            mailbox: rec.mailbox.clone(),
            resource,
            reason: SyncReason::FullResync,
        }
        .to_body();
        let msg = OutgoingMessage {
            dedupe_key: Some(format!("{}/{}", rec.mailbox, resource.as_str())),
            ..OutgoingMessage::new(body)
        };
        self.sync.send(msg).await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_lifetime_stays_under_graphs_maximum_for_outlook_resources() {
        assert_eq!(MAX_LIFETIME_MS, 253_800_000);
        const { assert!(SUBSCRIPTION_LIFETIME_MS < MAX_LIFETIME_MS) };
        const { assert!(SUBSCRIPTION_LIFETIME_MS > RENEW_AHEAD_MS * 2) };
    }

    #[test]
    fn resource_paths_name_the_mailbox() {
        assert_eq!(
            resource_path("u-1", GraphResource::Contacts),
            "/users/u-1/contacts"
        );
        assert_eq!(
            resource_path("u-1", GraphResource::Events),
            "/users/u-1/events"
        );
    }
}
