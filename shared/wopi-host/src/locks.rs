//! The writing operations: Lock, Unlock, RefreshLock, UnlockAndRelock, GetLock, PutFile,
//! RenameFile, DeleteFile. Each reads the document, decides with the rule table of
//! `bridge_wopi::lock`, and writes under a condition that makes the decision still true at the
//! moment of the write.

use bridge_blobs::ByteStream;
use bridge_documents::{DocError, Document, VersionCause, keys};
use bridge_store::{Condition, StoreError, Update};
use bridge_wopi::headers;
use bridge_wopi::lock::{self, LockId, LockOutcome, LockState, PutFileRequest};
use serde_json::json;

use crate::{Reply, Session, WopiError, WopiHost, decode_utf7};

/// The lock operations that share one read–decide–write loop.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LockOp {
    /// Take (or refresh, with the same id) the lock.
    Lock,
    /// Release it.
    Unlock,
    /// Extend it by 30 minutes.
    RefreshLock,
    /// Swap the lock from `X-WOPI-OldLock` to `X-WOPI-Lock`.
    UnlockAndRelock,
    /// Report it.
    GetLock,
}

/// How many times a lost race on the document item is retried before answering 500.
const MAX_ATTEMPTS: usize = 8;

/// The lock stored on a document, if any (expired or not; the rules judge expiry).
pub(crate) fn stored_lock(doc: &Document) -> Option<LockState> {
    let id = LockId::parse(doc.lock_id.as_deref()?).ok()?;
    Some(LockState {
        lock_id: id,
        expires_at_ms: doc.lock_expires_at?,
    })
}

/// Whether Office holds a lock on `doc` that is still active at `now`.
pub fn is_locked(doc: &Document, now: i64) -> bool {
    stored_lock(doc).is_some_and(|l| l.is_active(now))
}

/// The document holds no lock that is still active at `now`: the guard condition for changes
/// made outside WOPI (the documents API) while Office may have the document open.
pub fn not_locked(now: i64) -> Condition {
    Condition::AttrNotExists("lock_id".into()).or(Condition::LessThan(
        "lock_expires_at".into(),
        json!(now.saturating_add(1)),
    ))
}

/// The document holds lock `id`, still active at `now`.
fn holds_lock(id: &str, now: i64) -> Condition {
    Condition::Equals("lock_id".into(), json!(id))
        .and(Condition::GreaterThan("lock_expires_at".into(), json!(now)))
}

fn store_err(e: StoreError) -> WopiError {
    WopiError::new(500, e.to_string())
}

/// Rename and delete change the file, not its content: they need an edit token and the
/// "add document" right, whatever the file type (a Save As target may be of a type Office
/// cannot edit, and Office still deletes or renames it).
fn need_manage(s: &Session) -> Result<(), WopiError> {
    if s.claims.permission.can_write() && s.user.has(bridge_core::tenant::Right::AddDocument) {
        Ok(())
    } else {
        Err(WopiError::unauthorized(
            "this token or user may not rename or delete the file",
        ))
    }
}

fn need_write(s: &Session) -> Result<(), WopiError> {
    if s.can_write {
        Ok(())
    } else {
        Err(WopiError::unauthorized(
            "this token or user may not change the file",
        ))
    }
}

impl WopiHost {
    /// Runs one lock operation.
    pub async fn lock_op(
        &self,
        s: &Session,
        op: LockOp,
        lock_header: Option<&str>,
        old_lock: Option<&str>,
    ) -> Result<Reply, WopiError> {
        if op != LockOp::GetLock {
            need_write(s)?;
        }
        let key = keys::doc(s.tenant, s.doc.doc_id);
        for _ in 0..MAX_ATTEMPTS {
            let doc = self.docs.get(s.tenant, s.doc.doc_id).await?;
            let now = self.now();
            let current = stored_lock(&doc);
            let outcome = match op {
                LockOp::Lock => lock::lock(current.as_ref(), lock_header, now),
                LockOp::Unlock => lock::unlock(current.as_ref(), lock_header, now),
                LockOp::RefreshLock => lock::refresh_lock(current.as_ref(), lock_header, now),
                LockOp::UnlockAndRelock => {
                    lock::unlock_and_relock(current.as_ref(), lock_header, old_lock, now)
                }
                LockOp::GetLock => lock::get_lock(current.as_ref(), now),
            };
            let update = match &outcome {
                LockOutcome::Grant { new_lock } => Update::new()
                    .set("lock_id", new_lock.lock_id.as_str())
                    .set("lock_expires_at", new_lock.expires_at_ms)
                    .add("ver", 1),
                LockOutcome::Release => Update::new()
                    .remove("lock_id")
                    .remove("lock_expires_at")
                    .add("ver", 1),
                LockOutcome::Report { current_lock } => {
                    return Ok(Reply::ok().header(headers::LOCK, current_lock.clone()));
                }
                other => return Ok(Reply::from_outcome(other)),
            };
            let cond = Condition::Exists.and(Condition::version_is(doc.ver));
            match self.table.update(&key, update, Some(cond)).await {
                Ok(_) => {
                    return Ok(
                        Reply::ok().header(headers::ITEM_VERSION, doc.current_version.to_string())
                    );
                }
                Err(StoreError::ConditionFailed) => continue,
                Err(e) => return Err(store_err(e)),
            }
        }
        Err(WopiError::new(500, "the document kept changing; retry"))
    }

    /// PutFile: saves the body as a new version if the caller holds the lock (or the file is
    /// empty and unlocked: the create-new flow). `body_len` is the declared length, if known.
    pub async fn put_file(
        &self,
        s: &Session,
        lock_header: Option<&str>,
        body_len: Option<u64>,
        body: ByteStream,
    ) -> Result<Reply, WopiError> {
        need_write(s)?;
        let now = self.now();
        let current = stored_lock(&s.doc);
        let request = PutFileRequest {
            lock: lock_header,
            body_len: body_len.unwrap_or(0),
        };
        let outcome = lock::put_file(
            current.as_ref(),
            request,
            s.doc.size,
            self.settings.max_put_bytes,
            now,
        );
        if outcome != LockOutcome::Proceed {
            return Ok(Reply::from_outcome(&outcome));
        }
        let guard = match current.filter(|l| l.is_active(now)) {
            Some(held) => holds_lock(held.lock_id.as_str(), now),
            None => not_locked(now),
        };
        let saved = self
            .docs
            .save_new_version(
                s.tenant,
                &s.user,
                s.doc.doc_id,
                body,
                Some(guard),
                VersionCause::Save,
            )
            .await;
        match saved {
            Ok(out) => {
                Ok(Reply::ok().header(headers::ITEM_VERSION, out.version.version_id.to_string()))
            }
            Err(DocError::PreconditionFailed(_)) => {
                // The lock changed between our read and the write: answer with the lock now.
                let doc = self.docs.get(s.tenant, s.doc.doc_id).await?;
                let again = lock::put_file(
                    stored_lock(&doc).as_ref(),
                    request,
                    doc.size,
                    self.settings.max_put_bytes,
                    self.now(),
                );
                match again {
                    LockOutcome::Proceed => Err(WopiError::new(409, "the lock changed; retry")),
                    other => Ok(Reply::from_outcome(&other)),
                }
            }
            Err(e) => Err(e.into()),
        }
    }

    /// RenameFile: `X-WOPI-RequestedName` (UTF-7, without extension) becomes the new name; the
    /// extension stays. Answers `{"Name": …}`; an unusable name → 400 with
    /// `X-WOPI-InvalidFileNameError`.
    pub async fn rename(
        &self,
        s: &Session,
        lock_header: Option<&str>,
        requested: Option<&str>,
    ) -> Result<Reply, WopiError> {
        need_manage(s)?;
        let now = self.now();
        let current = stored_lock(&s.doc);
        let outcome = lock::rename_file(current.as_ref(), lock_header, now);
        if outcome != LockOutcome::Proceed {
            return Ok(Reply::from_outcome(&outcome));
        }
        let invalid = |why: &str| Reply {
            status: 400,
            headers: vec![(headers::INVALID_FILE_NAME_ERROR, why.to_string())],
            body: None,
        };
        let Some(name) = requested.and_then(decode_utf7) else {
            return Ok(invalid("X-WOPI-RequestedName is missing or not UTF-7"));
        };
        let full = format!("{name}.{}", s.doc.extension);
        let guard = match lock_header.filter(|l| !l.is_empty()) {
            Some(l) => not_locked(now).or(holds_lock(l, now)),
            None => not_locked(now),
        };
        match self
            .docs
            .rename(s.tenant, &s.user, s.doc.doc_id, &full, Some(guard))
            .await
        {
            Ok(_) => Ok(Reply::json(json!({ "Name": name }))),
            Err(DocError::InvalidName(why)) => Ok(invalid(&why)),
            Err(DocError::PreconditionFailed(_)) => {
                let doc = self.docs.get(s.tenant, s.doc.doc_id).await?;
                Ok(Reply::from_outcome(&lock::rename_file(
                    stored_lock(&doc).as_ref(),
                    lock_header,
                    self.now(),
                )))
            }
            Err(e) => Err(e.into()),
        }
    }

    /// DeleteFile: refused (409 + lock) while anyone holds the lock.
    pub async fn delete(&self, s: &Session) -> Result<Reply, WopiError> {
        need_manage(s)?;
        let now = self.now();
        let outcome = lock::delete_file(stored_lock(&s.doc).as_ref(), now);
        if outcome != LockOutcome::Proceed {
            return Ok(Reply::from_outcome(&outcome));
        }
        match self
            .docs
            .delete(s.tenant, &s.user, s.doc.doc_id, Some(not_locked(now)))
            .await
        {
            Ok(()) => Ok(Reply::ok()),
            Err(DocError::PreconditionFailed(_)) => {
                let doc = self.docs.get(s.tenant, s.doc.doc_id).await?;
                Ok(Reply::from_outcome(&lock::delete_file(
                    stored_lock(&doc).as_ref(),
                    self.now(),
                )))
            }
            Err(e) => Err(e.into()),
        }
    }
}
