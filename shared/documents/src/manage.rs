//! Renaming, archiving and unarchiving documents (DOC-11).
//!
//! Each is a partial update of the document (attributes this crate does not know, such as the
//! WOPI lock, are kept) plus its listing index entry, in one transaction conditioned on `ver`,
//! retried a bounded number of times when another change came first.

use bridge_core::tenant::{Right, TenantId, User};
use bridge_store::{Condition, StoreError, Update, WriteOp};
use serde_json::json;

use crate::model::{from_item, item_of};
use crate::retry::{self, MAX_ATTEMPTS};
use crate::save::guard_failed;
use crate::{DocError, DocId, Document, DocumentName, DocumentSummary, Documents, auth, keys};

/// A planned change: the update of the document item and the document after it; `None` when
/// the document already is as wanted.
type Plan = Option<(Update, Document)>;

impl Documents {
    /// Renames a document. The new name must pass [`DocumentName::parse`] and keep the
    /// extension (case aside): the extension decides how a document opens, so a rename must not
    /// turn a `.docx` into something else. (WOPI RenameFile sends a name without extension; the
    /// WOPI layer appends the current one.) Needs "add document"; refused when archived.
    pub async fn rename(
        &self,
        tenant: TenantId,
        actor: &User,
        doc_id: DocId,
        new_name: &str,
        guard: Option<Condition>,
    ) -> Result<Document, DocError> {
        auth::require(tenant, actor, Right::AddDocument)?;
        let name = DocumentName::parse(new_name)?;
        self.change(tenant, doc_id, guard.as_ref(), |doc| {
            if doc.archived {
                return Err(DocError::Archived);
            }
            if name.extension() != doc.extension {
                return Err(DocError::InvalidName(format!(
                    "the extension must stay .{}",
                    doc.extension
                )));
            }
            if name.as_str() == doc.name {
                return Ok(None);
            }
            let mut next = doc.clone();
            next.name = name.as_str().to_owned();
            Ok(Some((Update::new().set("name", next.name.clone()), next)))
        })
        .await
    }

    /// Archives a document: hidden from default listings, readable, not changeable (DOC-11).
    /// Archiving an archived document is a no-op. Needs "add document". `guard` is an extra
    /// condition of the write (e.g. no WOPI lock: an open editing session must not lose its
    /// document to the archive between a check and the write).
    pub async fn archive(
        &self,
        tenant: TenantId,
        actor: &User,
        doc_id: DocId,
        guard: Option<Condition>,
    ) -> Result<Document, DocError> {
        auth::require(tenant, actor, Right::AddDocument)?;
        self.set_archived(tenant, doc_id, true, guard.as_ref())
            .await
    }

    /// Takes a document out of the archive. Needs "add document".
    pub async fn unarchive(
        &self,
        tenant: TenantId,
        actor: &User,
        doc_id: DocId,
    ) -> Result<Document, DocError> {
        auth::require(tenant, actor, Right::AddDocument)?;
        self.set_archived(tenant, doc_id, false, None).await
    }

    async fn set_archived(
        &self,
        tenant: TenantId,
        doc_id: DocId,
        archived: bool,
        guard: Option<&Condition>,
    ) -> Result<Document, DocError> {
        self.change(tenant, doc_id, guard, |doc| {
            if doc.archived == archived {
                return Ok(None);
            }
            let mut next = doc.clone();
            next.archived = archived;
            Ok(Some((Update::new().set("archived", json!(archived)), next)))
        })
        .await
    }

    /// Applies `plan` to the current document with `ver` + guard as the condition, re-reading
    /// and re-planning when another change came first.
    async fn change(
        &self,
        tenant: TenantId,
        doc_id: DocId,
        guard: Option<&Condition>,
        plan: impl Fn(&Document) -> Result<Plan, DocError>,
    ) -> Result<Document, DocError> {
        let mut canceled_at_ver: Option<i64> = None;
        for attempt in 0..MAX_ATTEMPTS {
            if attempt > 0 {
                retry::backoff(attempt).await;
            }
            let item = self.load_doc_item(tenant, doc_id).await?;
            let doc: Document = from_item(&item, "document")?;
            if let Some(g) = guard
                && !g.eval(Some(&item))
            {
                return Err(guard_failed());
            }
            if canceled_at_ver == Some(doc.ver) {
                // `ver` held, so the guard failed inside the transaction: do not retry past it.
                return Err(match guard {
                    Some(_) => guard_failed(),
                    None => DocError::Conflict("the document changed meanwhile".into()),
                });
            }
            let Some((update, mut next)) = plan(&doc)? else {
                return Ok(doc);
            };
            next.ver = doc.ver + 1;
            let mut condition = vec![Condition::Exists, Condition::version_is(doc.ver)];
            condition.extend(guard.cloned());
            let ops = vec![
                WriteOp::Update {
                    key: keys::doc(tenant, doc_id),
                    update: update.add("ver", 1),
                    condition: Some(Condition::And(condition)),
                },
                WriteOp::Put {
                    item: item_of(
                        keys::index(tenant, next.client_id, doc_id),
                        &DocumentSummary::of(&next),
                    )?,
                    condition: None,
                },
            ];
            match self.table.transact(ops).await {
                Ok(()) => return Ok(next),
                Err(StoreError::TransactionCanceled { .. }) => canceled_at_ver = Some(doc.ver),
                Err(e) => return Err(e.into()),
            }
        }
        Err(DocError::Conflict(format!(
            "document {doc_id} kept changing; gave up after {MAX_ATTEMPTS} attempts"
        )))
    }
}
