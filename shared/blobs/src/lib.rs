//! Blob storage port: immutable document bytes, streamed in and out, never buffered whole.
//!
//! Adapters: [`s3::S3Blobs`] (production) and [`fs::FsBlobs`] (embedded, `bridge-local`).
//! Both are proven by the same [`conformance`] suite.

use async_trait::async_trait;
use bytes::Bytes;
use futures::stream::BoxStream;

pub mod conformance;
pub mod fs;
mod key;
pub mod s3;

pub use key::BlobKey;

/// A stream of body chunks. Errors are I/O errors of the source (client hung up, disk error).
pub type ByteStream = BoxStream<'static, std::io::Result<Bytes>>;

/// What we know of a stored blob without reading it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlobMeta {
    /// Size in bytes.
    pub size: u64,
    /// SHA-256 of the content, lowercase hex (64 chars). WOPI's CheckFileInfo `SHA256` wants
    /// base64 of the same digest; callers convert.
    pub sha256: String,
}

/// An open blob: its metadata and its body as a stream.
pub struct Blob {
    /// Size and digest.
    pub meta: BlobMeta,
    /// The content, streamed.
    pub body: ByteStream,
}

impl std::fmt::Debug for Blob {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Blob")
            .field("meta", &self.meta)
            .finish_non_exhaustive()
    }
}

/// Why a blob operation failed.
#[derive(Debug, thiserror::Error)]
pub enum BlobError {
    /// No blob under this key.
    #[error("blob not found: {0}")]
    NotFound(String),
    /// The key breaks the key rules of [`BlobKey`].
    #[error("invalid blob key: {0}")]
    InvalidKey(String),
    /// The body was longer than the `max_size` given to `put`; nothing was stored.
    #[error("blob larger than the limit of {limit} bytes")]
    TooLarge {
        /// The limit that was exceeded, in bytes.
        limit: u64,
    },
    /// Reading the body stream failed; nothing was stored.
    #[error("reading the body failed: {0}")]
    Body(std::io::Error),
    /// The storage backend failed (disk, network, S3 error).
    #[error("blob backend error: {0}")]
    Backend(String),
}

/// Streaming blob storage. Keys are immutable by convention (each document save writes a new
/// key), but `put` on an existing key replaces it atomically: a reader sees the old or the new
/// content, never a mix.
#[async_trait]
pub trait BlobStore: Send + Sync + std::fmt::Debug {
    /// Stores `body` under `key`, hashing while it streams. If the body exceeds `max_size`
    /// bytes, or the stream fails, nothing is stored and any partial upload is cleaned up.
    async fn put(
        &self,
        key: &BlobKey,
        body: ByteStream,
        max_size: Option<u64>,
    ) -> Result<BlobMeta, BlobError>;

    /// Opens the blob for streaming.
    async fn get(&self, key: &BlobKey) -> Result<Blob, BlobError>;

    /// Size and digest without reading the content.
    async fn head(&self, key: &BlobKey) -> Result<BlobMeta, BlobError>;

    /// Removes the blob. Deleting a missing key is not an error (idempotent, like S3).
    async fn delete(&self, key: &BlobKey) -> Result<(), BlobError>;

    /// Checks that the backend is reachable (used by health routes).
    async fn ready(&self) -> Result<(), BlobError>;
}
