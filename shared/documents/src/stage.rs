//! Staging content: streaming a body to a new, not yet referenced blob.
//!
//! Every content change stages first and commits after, so the expensive, failure-prone part (a
//! long upload) happens before any state changes, and a failure at any point leaves the
//! document as it was.

use bridge_blobs::{BlobKey, BlobMeta, ByteStream};
use bridge_core::tenant::TenantId;

use crate::{DocError, DocId, Documents, VersionId, keys};

/// Content written to a new blob key that no version references yet.
#[derive(Debug)]
pub(crate) struct Staged {
    /// The id the version will get; also the last segment of `key`.
    pub version_id: VersionId,
    /// Where the content is.
    pub key: BlobKey,
    /// Its size and digest.
    pub meta: BlobMeta,
}

impl Documents {
    /// Streams `body` to a fresh key of document `doc`. Over `limit` bytes (when given) or on a
    /// failing body stream, the blob store keeps nothing and the error is returned.
    pub(crate) async fn stage(
        &self,
        tenant: TenantId,
        doc: DocId,
        body: ByteStream,
        limit: Option<u64>,
    ) -> Result<Staged, DocError> {
        let version_id = VersionId(self.ids.new_id());
        let key = keys::blob(tenant, doc, version_id)?;
        // The intent first: if this process dies between the blob and its commit, the sweeper
        // finds the blob through it (a blob store cannot be searched for what is unreferenced).
        let intent =
            bridge_store::Item::new(keys::staged(self.clock.now_ms(), tenant, doc, version_id))
                .with("blob_key", key.as_str())
                .with("tenant", tenant.to_string())
                .with("doc", doc.to_string())
                .with("version", version_id.to_string());
        self.table.put(intent, None).await?;
        let meta = self.blobs.put(&key, body, limit).await?;
        Ok(Staged {
            version_id,
            key,
            meta,
        })
    }

    /// Removes a staged blob whose commit did not happen. Best effort: a failure only leaves an
    /// unreferenced blob behind, which the sweeper (`sweep`) removes later, so it is logged, not
    /// returned.
    pub(crate) async fn discard(&self, staged: &Staged) {
        if let Err(e) = self.blobs.delete(&staged.key).await {
            tracing::warn!(key = %staged.key, error = %e, "could not delete an unreferenced blob");
        }
    }
}
