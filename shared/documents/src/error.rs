//! [`DocError`]: every way a documents use case can refuse or fail.
//!
//! The variants are chosen so the HTTP and WOPI layers can map them to an answer without looking
//! inside: client mistakes (`NotFound`, `Forbidden`, `Invalid*`, `TooLarge`, `Archived`) change
//! nothing; races (`Conflict`, `PreconditionFailed`) change nothing either and may be retried by
//! the caller; `Store`/`Blob`/`Corrupt` are our failures.

use bridge_blobs::BlobError;
use bridge_store::StoreError;

/// Why a documents operation was refused or failed. Whatever the variant, a refused request has
/// changed no document, index entry or version.
#[derive(Debug, thiserror::Error)]
pub enum DocError {
    /// The client file, document or version does not exist in this tenant (also what another
    /// tenant's ids look like: nothing crosses tenants).
    #[error("not found: {0}")]
    NotFound(String),
    /// The actor lacks the right the operation needs, or belongs to another tenant.
    #[error("forbidden: {0}")]
    Forbidden(String),
    /// A document or client name breaks the naming rules.
    #[error("invalid name: {0}")]
    InvalidName(String),
    /// An id from outside is not a well-formed id.
    #[error("invalid id: {0}")]
    InvalidId(String),
    /// Another input (labels, paging cursor, page size) is not acceptable.
    #[error("invalid input: {0}")]
    InvalidInput(String),
    /// The body exceeds the upload limit; nothing was stored.
    #[error("document larger than the limit of {limit} bytes")]
    TooLarge {
        /// The limit, in bytes.
        limit: u64,
    },
    /// The document is archived: it can be read and unarchived, not changed (DOC-11).
    #[error("document is archived")]
    Archived,
    /// A concurrent change won and retrying did not get through; nothing was written.
    #[error("conflict: {0}")]
    Conflict(String),
    /// The caller's guard condition (e.g. the WOPI lock) did not hold; nothing was written and
    /// the operation was not retried.
    #[error("precondition failed: {0}")]
    PreconditionFailed(String),
    /// A stored item or blob is not what this code wrote (unreadable attributes, digest mismatch).
    #[error("corrupt stored data: {0}")]
    Corrupt(String),
    /// The state store failed.
    #[error(transparent)]
    Store(StoreError),
    /// The blob store failed, or reading the request body failed.
    #[error(transparent)]
    Blob(BlobError),
}

impl From<StoreError> for DocError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::InvalidCursor => DocError::InvalidInput("invalid paging cursor".into()),
            other => DocError::Store(other),
        }
    }
}

impl From<BlobError> for DocError {
    fn from(e: BlobError) -> Self {
        match e {
            BlobError::TooLarge { limit } => DocError::TooLarge { limit },
            other => DocError::Blob(other),
        }
    }
}
