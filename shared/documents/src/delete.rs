//! Deleting a document with all its versions and blobs (DOC-11).
//!
//! Order, and why it is safe to interrupt:
//!
//! 1. One transaction deletes the document item and its index entry (on `ver` + the caller's
//!    guard). From here on the document is gone for every reader and no save can commit (saves
//!    require the document to exist).
//! 2. The remaining items under `DOC#<d>#` (versions and version aliases) are swept page by page:
//!    first the blobs a page's versions name, then the page's items in one transaction of at
//!    most 25 deletes.
//!
//! If this stops anywhere (crash, timeout, backend error), what is left are version items whose
//! blobs may already be gone, and blobs whose items are still there: never a visible document
//! pointing at missing content. Running `delete` again finds the document missing, sweeps the
//! leftovers and answers `Ok`; once nothing is left it answers [`DocError::NotFound`]. Blob
//! deletion is idempotent, so repeating a page is harmless.

use bridge_blobs::BlobKey;
use bridge_core::tenant::{Right, TenantId, User};
use bridge_store::{Condition, MAX_TRANSACTION_OPS, Query, StoreError, WriteOp};

use crate::model::from_item;
use crate::retry::{self, MAX_ATTEMPTS};
use crate::save::guard_failed;
use crate::{DocError, DocId, Document, Documents, auth, keys};

impl Documents {
    /// Deletes a document, its index entry, every version and every blob. Needs "add document".
    /// `guard` is an extra condition on the document item (WOPI DeleteFile: not locked).
    /// Safe to run again after an interruption (see the module documentation).
    pub async fn delete(
        &self,
        tenant: TenantId,
        actor: &User,
        doc_id: DocId,
        guard: Option<Condition>,
    ) -> Result<(), DocError> {
        auth::require(tenant, actor, Right::AddDocument)?;
        let removed = self.remove_document(tenant, doc_id, guard.as_ref()).await?;
        let swept = self.sweep_versions(tenant, doc_id).await?;
        if !removed && swept == 0 {
            return Err(DocError::NotFound(format!("document {doc_id}")));
        }
        Ok(())
    }

    /// Step 1: removes the document and its index entry; `false` when it was already gone.
    async fn remove_document(
        &self,
        tenant: TenantId,
        doc_id: DocId,
        guard: Option<&Condition>,
    ) -> Result<bool, DocError> {
        let key = keys::doc(tenant, doc_id);
        let mut canceled_at_ver: Option<i64> = None;
        for attempt in 0..MAX_ATTEMPTS {
            if attempt > 0 {
                retry::backoff(attempt).await;
            }
            let Some(item) = self.table.get(&key).await? else {
                return Ok(false);
            };
            let doc: Document = from_item(&item, "document")?;
            if let Some(g) = guard
                && !g.eval(Some(&item))
            {
                return Err(guard_failed());
            }
            if canceled_at_ver == Some(doc.ver) {
                return Err(match guard {
                    Some(_) => guard_failed(),
                    None => DocError::Conflict("the document changed meanwhile".into()),
                });
            }
            let mut condition = vec![Condition::version_is(doc.ver)];
            condition.extend(guard.cloned());
            let ops = vec![
                WriteOp::Delete {
                    key: key.clone(),
                    condition: Some(Condition::And(condition)),
                },
                WriteOp::Delete {
                    key: keys::index(tenant, doc.client_id, doc_id),
                    condition: None,
                },
            ];
            match self.table.transact(ops).await {
                Ok(()) => return Ok(true),
                Err(StoreError::TransactionCanceled { .. }) => canceled_at_ver = Some(doc.ver),
                Err(e) => return Err(e.into()),
            }
        }
        Err(DocError::Conflict(format!(
            "document {doc_id} kept changing; gave up after {MAX_ATTEMPTS} attempts"
        )))
    }

    /// Step 2: deletes the blobs, then the items, of everything under the document's prefix.
    /// Returns how many items it removed.
    async fn sweep_versions(&self, tenant: TenantId, doc_id: DocId) -> Result<usize, DocError> {
        let prefix = keys::doc_children_prefix(doc_id);
        let own_blobs = format!("tenants/{tenant}/docs/{doc_id}/");
        let mut removed = 0;
        loop {
            // Always the first page: what the previous round read is gone.
            let q = Query::partition(keys::pk(tenant))
                .prefix(prefix.clone())
                .limit(MAX_TRANSACTION_OPS);
            let page = self.table.query(&q).await?;
            if page.items.is_empty() {
                return Ok(removed);
            }
            for item in &page.items {
                let Some(raw) = item.get_str("blob_key") else {
                    continue; // an alias: no blob
                };
                // Only ever delete blobs of this very document, whatever an item says.
                match BlobKey::parse(raw) {
                    Ok(k) if k.as_str().starts_with(&own_blobs) => self.blobs.delete(&k).await?,
                    _ => {
                        tracing::warn!(item = %item.key.sk, key = raw, "version names a foreign or unusable blob key; not deleting it");
                    }
                }
            }
            let ops: Vec<WriteOp> = page
                .items
                .iter()
                .map(|i| WriteOp::Delete {
                    key: i.key.clone(),
                    condition: None,
                })
                .collect();
            removed += ops.len();
            self.table.transact(ops).await?;
        }
    }
}
