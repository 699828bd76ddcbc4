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
use crate::{Directory, Listing, keys};

/// The four writes of a share: both relation items must exist, then both share items.
fn share_tx(share: &Share, user: Option<UserId>) -> Result<Tx> {
    let mut tx = Tx::new();
    tx.push(
        WriteOp::Check {
            key: keys::relation(share.owner, share.partner),
            condition: Condition::Exists,
        },
        Some(DirectoryError::NotPartners),
    )
    .push(
        WriteOp::Check {
            key: keys::relation(share.partner, share.owner),
            condition: Condition::Exists,
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
        self.relation_with(by.tenant, partner).await?;
        let share = Share {
            owner: by.tenant,
            doc,
            partner,
            scope: ShareScope::Group,
            shared_by: by.user,
            shared_at_ms: now,
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

    /// A page of the shares the actor's tenant made, by partner and document (the owner's view
    /// of what partners can read). Needs partner access.
    pub async fn list_shares_made(
        &self,
        by: Actor,
        cursor: Option<Cursor>,
        limit: usize,
    ) -> Result<Listing<Share>> {
        self.relation_manager(by).await?;
        self.list(by.tenant, keys::SHAREOUT_PREFIX, cursor, limit, "share")
            .await
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
        if self.table.get(&personal).await?.is_some() {
            return Ok(true);
        }
        let group = keys::share_in(partner_tenant, owner_tenant, doc, None);
        Ok(rel.has_member(partner_tenant, partner_user) && self.table.get(&group).await?.is_some())
    }
}
