//! Sharing documents with partners (PAR-5), and the one check the documents side asks.
//!
//! A share is two items written together: `SHAREIN#<owner>#<doc>#…` in the **partner's**
//! partition (what the partner may read) and `SHAREOUT#<partner>#<doc>#…` in the owner's (what
//! the owner shared). Because the grant lives in the reader's own partition,
//! [`Directory::partner_can_read`] answers from the reader's tenant alone: its user, its relation
//! with the owner, and the grant. Nothing else of the owner is reachable through it: a grant
//! names one document, and without a grant the answer is no.
//!
//! Sharing with the relation group takes effect at once (one transaction). Sharing with one
//! relation manager goes through the [`crate::ShareQueue`] (it "may take a few minutes", PAR-5);
//! the consumer applies each job idempotently with [`Directory::apply_share_job`].
//!
//! Every share names the relation it was made under and counts only while that relation
//! lasts ([`Directory::end_relation`]).
//!
//! Unsharing deletes both items together and takes effect at the reader's next request, since
//! every read asks [`Directory::partner_can_read`] again.
//!
//! The caller (the documents API) vouches that `doc` is a document of the actor's tenant that the
//! actor may share; this crate does not know documents.

use bridge_core::clock::EpochMillis;
use bridge_core::tenant::{TenantId, UserId};
use bridge_store::{Condition, Cursor, WriteOp};
use uuid::Uuid;

use crate::error::{DirectoryError, Result};
use crate::model::{Actor, Share, ShareJob, ShareOutcome, ShareScope};
use crate::store::{Committed, Tx, new_item};
use crate::{Directory, Listing, keys, store};

/// The condition that a relation item is (still) relation `id`.
pub(crate) fn is_relation(id: Uuid) -> Condition {
    Condition::Equals("id".into(), serde_json::Value::from(id.to_string()))
}

/// The four writes of a share: both relation items must be the share's relation, then both
/// share items.
fn share_tx(share: &Share, user: Option<UserId>) -> Result<Tx> {
    let mut tx = Tx::new();
    tx.push(
        WriteOp::Check {
            key: keys::relation(share.owner, share.partner),
            condition: is_relation(share.relation),
        },
        Some(DirectoryError::NotPartners),
    )
    .push(
        WriteOp::Check {
            key: keys::relation(share.partner, share.owner),
            condition: is_relation(share.relation),
        },
        Some(DirectoryError::NotPartners),
    )
    .push(
        WriteOp::Put {
            item: new_item(
                keys::share_in(share.partner, share.owner, share.doc, user),
                share,
            )?,
            condition: None,
        },
        Some(DirectoryError::Conflict),
    )
    .push(
        WriteOp::Put {
            item: new_item(
                keys::share_out(share.owner, share.partner, share.doc, user),
                share,
            )?,
            condition: None,
        },
        Some(DirectoryError::Conflict),
    );
    Ok(tx)
}

impl Directory {
    /// Shares document `doc` of the actor's tenant with the relation group of `partner`
    /// (PAR-5): readable at once by the partner-side members of the group. Needs partner access
    /// and a relation ([`DirectoryError::NotPartners`]). Sharing again changes nothing but the
    /// time.
    pub async fn share_document_with_group(
        &self,
        by: Actor,
        partner: TenantId,
        doc: Uuid,
        now: EpochMillis,
    ) -> Result<Share> {
        self.relation_manager(by).await?;
        let (rel, _) = self.relation_with(by.tenant, partner).await?;
        let share = Share {
            owner: by.tenant,
            doc,
            partner,
            scope: ShareScope::Group,
            shared_by: by.user,
            shared_at_ms: now,
            relation: rel.id,
        };
        match share_tx(&share, None)?.commit(self.table.as_ref()).await? {
            Committed::Done => Ok(share),
            Committed::Refused(e) => Err(e.unwrap_or(DirectoryError::Conflict)),
        }
    }

    /// Queues sharing `doc` with `to_user`, a partner-side member of the relation group
    /// (PAR-5, "may take a few minutes"). Returns the queued job.
    pub async fn share_with_relation_manager(
        &self,
        by: Actor,
        partner: TenantId,
        doc: Uuid,
        to_user: UserId,
        now: EpochMillis,
    ) -> Result<ShareJob> {
        self.relation_manager(by).await?;
        let (rel, _) = self.relation_with(by.tenant, partner).await?;
        if !rel.has_member(partner, to_user) {
            return Err(DirectoryError::NotFound("relation manager"));
        }
        let job = ShareJob {
            id: self.ids.new_id(),
            owner: by.tenant,
            doc,
            partner,
            to_user,
            shared_by: by.user,
            requested_at_ms: now,
            relation: rel.id,
        };
        self.shares
            .enqueue(job.clone())
            .await
            .map_err(|e| DirectoryError::Unavailable(e.to_string()))?;
        Ok(job)
    }

    /// Applies a queued share job (for the queue's consumer). Idempotent: a job delivered twice
    /// shares once. When the relation ended meanwhile, nothing is shared and the job is done.
    pub async fn apply_share_job(&self, job: &ShareJob, now: EpochMillis) -> Result<ShareOutcome> {
        let share = Share {
            owner: job.owner,
            doc: job.doc,
            partner: job.partner,
            scope: ShareScope::Person { user: job.to_user },
            shared_by: job.shared_by,
            shared_at_ms: now,
            relation: job.relation,
        };
        match share_tx(&share, Some(job.to_user))?
            .commit(self.table.as_ref())
            .await?
        {
            Committed::Done => Ok(ShareOutcome::Applied),
            Committed::Refused(Some(DirectoryError::NotPartners)) => Ok(ShareOutcome::RelationGone),
            Committed::Refused(e) => Err(e.unwrap_or(DirectoryError::Conflict)),
        }
    }

    /// Stops sharing `doc` of the actor's tenant with `partner`: with the relation group
    /// (`user` None) or with one person there. Both share items go in one transaction, so the
    /// partner's next read is refused. Needs partner access (the same people who share);
    /// unsharing what is not shared is [`DirectoryError::NotFound`] and changes nothing.
    pub async fn unshare_document(
        &self,
        by: Actor,
        partner: TenantId,
        doc: Uuid,
        user: Option<UserId>,
    ) -> Result<()> {
        self.relation_manager(by).await?;
        let mut tx = Tx::new();
        tx.push(
            WriteOp::Delete {
                key: keys::share_out(by.tenant, partner, doc, user),
                condition: Some(Condition::Exists),
            },
            Some(DirectoryError::NotFound("share")),
        )
        .push(
            WriteOp::Delete {
                key: keys::share_in(partner, by.tenant, doc, user),
                condition: None,
            },
            None,
        );
        match tx.commit(self.table.as_ref()).await? {
            Committed::Done => {
                tracing::info!(tenant = %by.tenant, %partner, %doc, "share ended");
                Ok(())
            }
            Committed::Refused(e) => Err(e.unwrap_or(DirectoryError::Conflict)),
        }
    }

    /// A page of the shares the actor's tenant made under its current relations, by partner and
    /// document (the owner's view of what partners can read; a page may come back short when it
    /// skipped shares of ended relations). Needs partner access.
    pub async fn list_shares_made(
        &self,
        by: Actor,
        cursor: Option<Cursor>,
        limit: usize,
    ) -> Result<Listing<Share>> {
        self.relation_manager(by).await?;
        let mut page: Listing<Share> = self
            .list(by.tenant, keys::SHAREOUT_PREFIX, cursor, limit, "share")
            .await?;
        page.items = self.live_shares_made(by.tenant, page.items).await?;
        Ok(page)
    }

    /// Every live share of document `doc` of the actor's tenant (with whom of which partner).
    /// Needs partner access.
    pub async fn document_shares(&self, by: Actor, doc: Uuid) -> Result<Vec<Share>> {
        self.relation_manager(by).await?;
        let mut shares = Vec::new();
        let mut cursor = None;
        loop {
            let page: Listing<Share> = self
                .list(
                    by.tenant,
                    keys::SHAREOUT_PREFIX,
                    cursor,
                    crate::MAX_PAGE,
                    "share",
                )
                .await?;
            shares.extend(page.items.into_iter().filter(|sh| sh.doc == doc));
            cursor = page.next;
            if cursor.is_none() {
                return self.live_shares_made(by.tenant, shares).await;
            }
        }
    }

    /// The shares of `tenant` in `shares` made under its current relation with their partner:
    /// shares of an ended relation are history, not something partners can read. One relation
    /// read per partner.
    async fn live_shares_made(&self, tenant: TenantId, shares: Vec<Share>) -> Result<Vec<Share>> {
        let mut current = std::collections::HashMap::new();
        let mut live = Vec::with_capacity(shares.len());
        for share in shares {
            let relation = match current.get(&share.partner) {
                Some(r) => *r,
                None => {
                    let r = match self.relation_with(tenant, share.partner).await {
                        Ok((rel, _)) => Some(rel.id),
                        Err(DirectoryError::NotPartners) => None,
                        Err(e) => return Err(e),
                    };
                    current.insert(share.partner, r);
                    r
                }
            };
            if relation == Some(share.relation) {
                live.push(share);
            }
        }
        Ok(live)
    }

    /// A page of the shares the actor's tenant received, by owner and document. Any active user
    /// may ask; whether they may read one is [`Directory::partner_can_read`]'s to say, per
    /// share (a group share reaches only the group's members).
    pub async fn list_shares_received(
        &self,
        by: Actor,
        cursor: Option<Cursor>,
        limit: usize,
    ) -> Result<Listing<Share>> {
        self.acting(by).await?;
        self.list(by.tenant, keys::SHAREIN_PREFIX, cursor, limit, "share")
            .await
    }

    /// Whether `partner_user` of `partner_tenant` may read document `doc` of `owner_tenant`:
    /// the one check the documents and WOPI side calls for a reader from another tenant.
    ///
    /// Yes only when the reader is an active user of their tenant, the two tenants are partners,
    /// and the document is shared with the reader personally or with the relation group the
    /// reader belongs to. Reads only the reader's own partition. Fails closed: any store error is
    /// an `Err`, which the caller must treat as "no".
    pub async fn partner_can_read(
        &self,
        partner_tenant: TenantId,
        partner_user: UserId,
        owner_tenant: TenantId,
        doc: Uuid,
    ) -> Result<bool> {
        if partner_tenant == owner_tenant {
            return Ok(false);
        }
        match self.load_account(partner_tenant, partner_user).await? {
            Some((account, _)) if account.is_active() => {}
            _ => return Ok(false),
        }
        let rel = match self.relation_with(partner_tenant, owner_tenant).await {
            Ok((rel, _)) => rel,
            Err(DirectoryError::NotPartners) => return Ok(false),
            Err(e) => return Err(e),
        };
        let personal = keys::share_in(partner_tenant, owner_tenant, doc, Some(partner_user));
        if self.live_share(&personal, rel.id).await? {
            return Ok(true);
        }
        let group = keys::share_in(partner_tenant, owner_tenant, doc, None);
        Ok(rel.has_member(partner_tenant, partner_user) && self.live_share(&group, rel.id).await?)
    }

    /// Whether the share item at `key` exists and was made under relation `relation`.
    async fn live_share(&self, key: &bridge_store::Key, relation: Uuid) -> Result<bool> {
        match self.table.get(key).await? {
            Some(item) => Ok(store::record::<Share>(&item, "share")?.relation == relation),
            None => Ok(false),
        }
    }

    /// Ends the partnership with `partner`; either side's relation managers may. Both relation
    /// items go in one transaction, conditioned on still being the same relation. From then on
    /// nothing shared either way is readable, queued shares are dropped when they arrive, and a
    /// later relation between the two starts with nothing shared (every share names the
    /// relation it was made under). The share items stay as history of the ended relation.
    pub async fn end_relation(&self, by: Actor, partner: TenantId) -> Result<()> {
        self.relation_manager(by).await?;
        let (rel, _) = self.relation_with(by.tenant, partner).await?;
        let mut tx = Tx::new();
        for key in [
            keys::relation(by.tenant, partner),
            keys::relation(partner, by.tenant),
        ] {
            tx.push(
                WriteOp::Delete {
                    key,
                    condition: Some(is_relation(rel.id)),
                },
                Some(DirectoryError::NotPartners),
            );
        }
        match tx.commit(self.table.as_ref()).await? {
            Committed::Done => {
                tracing::info!(tenant = %by.tenant, %partner, relation = %rel.id, "relation ended");
                Ok(())
            }
            Committed::Refused(e) => Err(e.unwrap_or(DirectoryError::Conflict)),
        }
    }
}
