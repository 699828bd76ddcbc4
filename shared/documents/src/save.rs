//! Saving a new version of a document (WOPI PutFile, re-upload, restore, conversion).
//!
//! A save streams the body to a **new** blob first, then commits with one transaction:
//!
//! 0. update of the document — new current version, size, digest, `modified_*`,
//!    `version_seq + 1`, `ver + 1` — on condition *exists ∧ not archived ∧ `ver` as read ∧ the
//!    caller's guard* (the WOPI layer passes its lock condition as the guard);
//! 1. the listing index entry;
//! 2. the version item `DOC#<d>#V#<seq>` (must not exist);
//! 3. the version-id alias (must not exist).
//!
//! **Concurrency.** The version number is read with `ver` and the transaction holds only if `ver`
//! is unchanged, so two saves never take the same number and numbers have no gaps: every `Ok` is
//! exactly one version item. A save that lost the race re-reads and tries again (bounded, with
//! jitter). It never retries past a failed guard: the guard is checked again on every re-read,
//! and when the transaction failed although `ver` had not moved, the guard (or the archived flag)
//! is what failed, so the answer is [`DocError::PreconditionFailed`].
//!
//! **Failure.** On any refusal the new blob is deleted and the current version stays exactly as
//! it was and readable. When the store answers with a backend error the outcome is unknown (the
//! transaction may have committed): the save retries with the *same* version id, whose alias
//! makes a second commit impossible and reveals an earlier one, and the blob is kept whatever
//! happens. A crash between the blob write and the transaction leaves only an unreferenced blob
//! under the document's prefix; nothing points at it, and removing such blobs is left to a
//! sweeper (future work), which may delete any blob of a document that no version item names and
//! that is older than the longest possible save.

use bridge_blobs::ByteStream;
use bridge_core::tenant::{Right, TenantId, User};
use bridge_store::{Condition, Item, StoreError, Update, WriteOp};
use serde_json::json;

use crate::model::{from_item, item_of};
use crate::retry::{self, MAX_ATTEMPTS, MAX_BACKEND_FAILURES};
use crate::stage::Staged;
use crate::upload::{alias_item, new_version, put_new};
use crate::{
    DocError, DocId, Document, DocumentSummary, Documents, Version, VersionCause, auth, keys,
};

/// Index of the document update in the save transaction.
const OP_DOC: usize = 0;

/// What a successful save produced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SaveOutcome {
    /// The document after the save (its current version may already be newer if another save
    /// followed at once).
    pub document: Document,
    /// The version this save created.
    pub version: Version,
}

/// A staged save waiting for its commit.
struct Pending<'a> {
    tenant: TenantId,
    actor: &'a User,
    doc_id: DocId,
    staged: &'a Staged,
    guard: Option<&'a Condition>,
    cause: VersionCause,
}

/// Refuses a change of an archived document, or one whose guard does not hold on `item`.
pub(crate) fn writable(
    item: &Item,
    doc: &Document,
    guard: Option<&Condition>,
) -> Result<(), DocError> {
    if doc.archived {
        return Err(DocError::Archived);
    }
    if let Some(g) = guard
        && !g.eval(Some(item))
    {
        return Err(guard_failed());
    }
    Ok(())
}

pub(crate) fn guard_failed() -> DocError {
    DocError::PreconditionFailed("the caller's guard condition does not hold (locked?)".into())
}

impl Documents {
    /// Saves `body` as a new version of a document; see the module documentation for the
    /// guarantees. Needs the right "add document" (DOC-6). `guard` is an extra condition on the
    /// document item (e.g. WOPI: `lock_id` equals X and not expired); if it does not hold the
    /// answer is [`DocError::PreconditionFailed`] and nothing changes.
    pub async fn save_new_version(
        &self,
        tenant: TenantId,
        actor: &User,
        doc_id: DocId,
        body: ByteStream,
        guard: Option<Condition>,
        cause: VersionCause,
    ) -> Result<SaveOutcome, DocError> {
        auth::require(tenant, actor, Right::AddDocument)?;
        let item = self.load_doc_item(tenant, doc_id).await?;
        let doc: Document = from_item(&item, "document")?;
        // Refuse before streaming a body that could not be saved anyway.
        writable(&item, &doc, guard.as_ref())?;
        let staged = self
            .stage(tenant, doc_id, body, Some(self.max_upload_bytes))
            .await?;
        self.commit(tenant, actor, doc_id, &staged, guard.as_ref(), cause)
            .await
    }

    /// Commits staged content as the next version; deletes the blob when the commit surely did
    /// not happen.
    pub(crate) async fn commit(
        &self,
        tenant: TenantId,
        actor: &User,
        doc_id: DocId,
        staged: &Staged,
        guard: Option<&Condition>,
        cause: VersionCause,
    ) -> Result<SaveOutcome, DocError> {
        let pending = Pending {
            tenant,
            actor,
            doc_id,
            staged,
            guard,
            cause,
        };
        let mut ambiguous = false;
        let res = self.commit_attempts(&pending, &mut ambiguous).await;
        if res.is_err() && !ambiguous {
            self.discard(staged).await;
        }
        res
    }

    async fn commit_attempts(
        &self,
        p: &Pending<'_>,
        ambiguous: &mut bool,
    ) -> Result<SaveOutcome, DocError> {
        let doc_key = keys::doc(p.tenant, p.doc_id);
        // The `ver` an attempt conditioned on when the document update's condition failed.
        let mut canceled_at_ver: Option<i64> = None;
        let mut backend_failures = 0;
        for attempt in 0..MAX_ATTEMPTS {
            if attempt > 0 {
                retry::backoff(attempt).await;
            }
            let Some(item) = self.table.get(&doc_key).await? else {
                return Err(DocError::NotFound(format!("document {}", p.doc_id)));
            };
            let doc: Document = from_item(&item, "document")?;
            if *ambiguous && let Some(version) = self.committed_version(p).await? {
                return Ok(SaveOutcome {
                    document: doc,
                    version,
                });
            }
            writable(&item, &doc, p.guard)?;
            if canceled_at_ver == Some(doc.ver) {
                // `ver` held, so the guard or the archived flag failed inside the transaction
                // (and has flipped back since): never retry past a failed guard.
                return Err(match p.guard {
                    Some(_) => guard_failed(),
                    None => DocError::Conflict("the document changed during the save".into()),
                });
            }
            let (document, version, ops) = self.save_ops(p, &doc)?;
            match self.table.transact(ops).await {
                Ok(()) => return Ok(SaveOutcome { document, version }),
                Err(StoreError::TransactionCanceled { failed }) => {
                    if failed.contains(&OP_DOC) {
                        canceled_at_ver = Some(doc.ver);
                    } else if *ambiguous {
                        // Our own earlier attempt may hold the slot; the alias check decides.
                        canceled_at_ver = None;
                    } else {
                        return Err(DocError::Conflict(format!(
                            "version {} of document {} already exists",
                            version.seq, p.doc_id
                        )));
                    }
                }
                Err(StoreError::Backend(msg)) => {
                    *ambiguous = true;
                    canceled_at_ver = None;
                    backend_failures += 1;
                    tracing::warn!(doc = %p.doc_id, error = %msg, "save transaction failed; retrying");
                    if backend_failures >= MAX_BACKEND_FAILURES {
                        return Err(DocError::Store(StoreError::Backend(msg)));
                    }
                }
                Err(e) => return Err(e.into()),
            }
        }
        Err(DocError::Conflict(format!(
            "document {} kept changing; gave up after {MAX_ATTEMPTS} attempts",
            p.doc_id
        )))
    }

    /// The version our staged content became, if an earlier attempt committed after all.
    async fn committed_version(&self, p: &Pending<'_>) -> Result<Option<Version>, DocError> {
        let alias = keys::version_alias(p.tenant, p.doc_id, p.staged.version_id);
        let Some(item) = self.table.get(&alias).await? else {
            return Ok(None);
        };
        let seq = item
            .get_i64("seq")
            .ok_or_else(|| DocError::Corrupt(format!("version alias {} has no seq", alias.sk)))?;
        self.load_version(p.tenant, p.doc_id, seq).await.map(Some)
    }

    /// The document after the save, the new version, and the transaction.
    fn save_ops(
        &self,
        p: &Pending<'_>,
        doc: &Document,
    ) -> Result<(Document, Version, Vec<WriteOp>), DocError> {
        let seq = doc
            .version_seq
            .checked_add(1)
            .filter(|s| *s <= keys::MAX_SEQ)
            .ok_or_else(|| DocError::Conflict("the document has too many versions".into()))?;
        let now = self.clock.now_ms();
        let meta = &p.staged.meta;
        let mut next = doc.clone();
        next.current_version = p.staged.version_id;
        next.size = meta.size;
        next.sha256 = meta.sha256.clone();
        next.modified_by = p.actor.id;
        next.modified_at = now;
        next.version_seq = seq;
        next.ver = doc.ver + 1;
        let version = new_version(&next, p.staged, p.actor, now, p.cause);
        let update = Update::new()
            .set("current_version", json!(next.current_version))
            .set("size", next.size)
            .set("sha256", next.sha256.clone())
            .set("modified_by", json!(next.modified_by))
            .set("modified_at", now)
            .add("version_seq", 1)
            .add("ver", 1);
        let mut condition = vec![
            Condition::Exists,
            Condition::Equals("archived".into(), json!(false)),
            Condition::version_is(doc.ver),
        ];
        condition.extend(p.guard.cloned());
        let ops = vec![
            WriteOp::Update {
                key: keys::doc(p.tenant, p.doc_id),
                update,
                condition: Some(Condition::And(condition)),
            },
            WriteOp::Put {
                item: item_of(
                    keys::index(p.tenant, next.client_id, p.doc_id),
                    &DocumentSummary::of(&next),
                )?,
                condition: None,
            },
            put_new(item_of(keys::version(p.tenant, p.doc_id, seq), &version)?),
            put_new(alias_item(p.tenant, &version)),
        ];
        Ok((next, version, ops))
    }
}
