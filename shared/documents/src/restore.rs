//! Restoring an older version (DOC-12).
//!
//! History is never rewritten: a restore adds a **new** version (cause `restore`) whose content
//! is a copy of the old version's, streamed from the old blob to a new key. Copying instead of
//! pointing at the old blob keeps "one blob per version" true, so deleting or sweeping blobs
//! never has to ask which versions share one.

use bridge_blobs::BlobKey;
use bridge_core::tenant::{Right, TenantId, User};
use bridge_store::Condition;

use crate::model::from_item;
use crate::save::writable;
use crate::{DocError, DocId, Document, Documents, SaveOutcome, VersionCause, auth};

impl Documents {
    /// Makes the content of version `version_id` the current content again, as a new version.
    /// Needs the right "add document"; refused for archived documents; `guard` as in
    /// [`Documents::save_new_version`] (e.g. refuse while the document is locked in Office).
    pub async fn restore(
        &self,
        tenant: TenantId,
        actor: &User,
        doc_id: DocId,
        version_id: &str,
        guard: Option<Condition>,
    ) -> Result<SaveOutcome, DocError> {
        auth::require(tenant, actor, Right::AddDocument)?;
        let item = self.load_doc_item(tenant, doc_id).await?;
        let doc: Document = from_item(&item, "document")?;
        writable(&item, &doc, guard.as_ref())?;
        let old = self.version(tenant, doc_id, version_id).await?;
        let key = BlobKey::parse(&old.blob_key)
            .map_err(|e| DocError::Corrupt(format!("version blob key: {e}")))?;
        let source = self.blobs.get(&key).await?;
        // No size limit: the content was accepted once, and a lowered limit must not make old
        // versions unrestorable.
        let staged = self.stage(tenant, doc_id, source.body, None).await?;
        if staged.meta.sha256 != old.sha256 || staged.meta.size != old.size {
            self.discard(&staged).await;
            return Err(DocError::Corrupt(format!(
                "version {} of document {doc_id} does not match its recorded digest",
                old.version_id
            )));
        }
        self.commit(
            tenant,
            actor,
            doc_id,
            &staged,
            guard.as_ref(),
            VersionCause::Restore,
        )
        .await
    }
}
