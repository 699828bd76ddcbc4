//! Uploading a new document into a client file.

use bridge_blobs::ByteStream;
use bridge_core::tenant::{Right, TenantId, User};
use bridge_store::{Condition, StoreError, WriteOp};
use serde_json::json;

use crate::model::{from_item, item_of};
use crate::stage::Staged;
use crate::{
    ClientId, DocError, DocId, Document, DocumentName, DocumentSummary, Documents, Version,
    VersionCause, auth, keys, name,
};

/// Index of the client check in the upload transaction.
const OP_CLIENT: usize = 0;

impl Documents {
    /// Uploads a new document (version 1, cause `upload`) into a client file.
    ///
    /// Needs the right "add document" (DOC-6). The name must pass [`DocumentName::parse`] and the
    /// client file must exist. The body is streamed to a new blob (over the upload limit:
    /// [`DocError::TooLarge`], nothing stored); then one transaction writes the document, its
    /// index entry and version 1. If that fails, the blob is deleted (best effort).
    pub async fn upload(
        &self,
        tenant: TenantId,
        actor: &User,
        client_id: ClientId,
        name: &str,
        body: ByteStream,
    ) -> Result<Document, DocError> {
        self.upload_with_labels(tenant, actor, client_id, name, &[], body)
            .await
    }

    /// [`Documents::upload`] with labels, e.g. [`crate::GENERATED_LETTER_LABEL`] for generated
    /// letters saved automatically (DOC-8).
    pub async fn upload_with_labels(
        &self,
        tenant: TenantId,
        actor: &User,
        client_id: ClientId,
        name: &str,
        labels: &[String],
        body: ByteStream,
    ) -> Result<Document, DocError> {
        auth::require(tenant, actor, Right::AddDocument)?;
        let name = DocumentName::parse(name)?;
        let labels = name::labels(labels)?;
        // Refuse before streaming a body that could not be stored anyway.
        self.get_client(tenant, client_id).await?;
        let doc_id = DocId(self.ids.new_id());
        let staged = self
            .stage(tenant, doc_id, body, Some(self.max_upload_bytes))
            .await?;
        let now = self.clock.now_ms();
        let doc = Document {
            doc_id,
            client_id,
            name: name.as_str().to_owned(),
            extension: name.extension().to_owned(),
            labels,
            owner: actor.id,
            size: staged.meta.size,
            sha256: staged.meta.sha256.clone(),
            current_version: staged.version_id,
            version_seq: 1,
            ver: 1,
            created_by: actor.id,
            created_at: now,
            modified_by: actor.id,
            modified_at: now,
            archived: false,
            lock_id: None,
            lock_expires_at: None,
        };
        let version = new_version(&doc, &staged, actor, now, VersionCause::Upload);
        let ops = vec![
            WriteOp::Check {
                key: keys::client(tenant, client_id),
                condition: Condition::Exists,
            },
            put_new(item_of(keys::doc(tenant, doc_id), &doc)?),
            put_new(item_of(
                keys::index(tenant, client_id, doc_id),
                &DocumentSummary::of(&doc),
            )?),
            put_new(item_of(
                keys::version(tenant, doc_id, version.seq),
                &version,
            )?),
            put_new(alias_item(tenant, &version)),
        ];
        match self.table.transact(ops).await {
            Ok(()) => Ok(doc),
            Err(StoreError::Backend(msg)) => {
                // The outcome is unknown: the transaction may have committed. If the document is
                // there it did; otherwise keep the blob (it may yet be referenced) and report.
                if let Ok(Some(item)) = self.table.get(&keys::doc(tenant, doc_id)).await {
                    return from_item(&item, "document");
                }
                Err(DocError::Store(StoreError::Backend(msg)))
            }
            Err(e) => {
                self.discard(&staged).await;
                Err(match e {
                    StoreError::TransactionCanceled { failed } if failed.contains(&OP_CLIENT) => {
                        DocError::NotFound(format!("client file {client_id}"))
                    }
                    other => other.into(),
                })
            }
        }
    }
}

/// A put that only creates.
pub(crate) fn put_new(item: bridge_store::Item) -> WriteOp {
    WriteOp::Put {
        item,
        condition: Some(Condition::NotExists),
    }
}

/// The version record for staged content that becomes version `doc.version_seq`.
pub(crate) fn new_version(
    doc: &Document,
    staged: &Staged,
    actor: &User,
    now: bridge_core::clock::EpochMillis,
    cause: VersionCause,
) -> Version {
    Version {
        doc_id: doc.doc_id,
        seq: doc.version_seq,
        version_id: staged.version_id,
        blob_key: staged.key.to_string(),
        size: staged.meta.size,
        sha256: staged.meta.sha256.clone(),
        created_by: actor.id,
        created_at: now,
        cause,
    }
}

/// The alias item mapping a version id to its number.
pub(crate) fn alias_item(tenant: TenantId, v: &Version) -> bridge_store::Item {
    bridge_store::Item::new(keys::version_alias(tenant, v.doc_id, v.version_id))
        .with("doc_id", json!(v.doc_id))
        .with("version_id", json!(v.version_id))
        .with("seq", v.seq)
}
