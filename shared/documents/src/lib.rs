//! The documents domain of m365-bridge and its use cases, written once against the ports.
//!
//! Documents stay in our storage (DOC-2): their bytes in the [`BlobStore`], their state in the
//! [`Table`]. This crate is the only writer of document state besides the WOPI lock fields, and
//! it keeps three promises on every adapter pair (memory/SQLite/DynamoDB × filesystem/S3):
//!
//! * **Blobs are immutable.** Every upload, save and restore streams to a *new* key
//!   (`tenants/<t>/docs/<d>/<version-id>`) first; only then does one transaction move the
//!   document's current-version pointer and write the version item. A failed or refused save
//!   therefore loses nothing: the current version stays exactly as it was and readable.
//! * **Every acknowledged save is exactly one version** (DOC-12). Versions are numbered without
//!   gaps; the pointer moves under an optimistic-concurrency condition on `ver`, retried a bounded
//!   number of times, but never past a failed caller guard (the WOPI lock).
//! * **Nothing crosses tenants.** Every key lives in the tenant's partition and every id from
//!   outside is parsed before it becomes a key.
//!
//! A crash between the blob write and the transaction leaves an unreferenced blob and no state;
//! removing such blobs is the job of a sweeper that does not exist yet (see [`save`]).
//!
//! The key layout is in [`keys`]; the use cases are methods of [`Documents`], grouped by module.

use std::sync::Arc;

use bridge_blobs::BlobStore;
use bridge_core::{Clock, IdGen};
use bridge_store::Table;

mod auth;
pub mod clients;
pub mod delete;
mod error;
mod ids;
pub mod keys;
pub mod manage;
mod model;
pub mod name;
pub mod paging;
pub mod read;
pub mod restore;
mod retry;
pub mod save;
pub mod settings;
mod stage;
pub mod sweep;
pub mod upload;

pub use error::DocError;
pub use ids::{ClientId, DocId, VersionId};
pub use model::{ClientFile, Document, DocumentSummary, Version, VersionCause};
pub use name::{DocumentName, GENERATED_LETTER_LABEL};
pub use paging::{Listing, PageRequest};
pub use read::Content;
pub use save::SaveOutcome;
pub use settings::{DocumentPlatform, MailOutputFormat, Settings, SettingsChange};
pub use sweep::SweepReport;

/// The documents service: every use case of the domain, over the four ports it needs.
///
/// Cheap to clone (it holds `Arc`s), so one instance can serve all requests of a function.
#[derive(Debug, Clone)]
pub struct Documents {
    table: Arc<dyn Table>,
    blobs: Arc<dyn BlobStore>,
    clock: Arc<dyn Clock>,
    ids: Arc<dyn IdGen>,
    max_upload_bytes: u64,
}

impl Documents {
    /// A service over the given adapters. `max_upload_bytes` bounds every upload and save; a
    /// larger body is refused with [`DocError::TooLarge`] and nothing is stored.
    pub fn new(
        table: Arc<dyn Table>,
        blobs: Arc<dyn BlobStore>,
        clock: Arc<dyn Clock>,
        ids: Arc<dyn IdGen>,
        max_upload_bytes: u64,
    ) -> Self {
        Documents {
            table,
            blobs,
            clock,
            ids,
            max_upload_bytes,
        }
    }

    /// The upload limit in bytes (the WOPI layer reports it and answers 413 above it).
    pub fn max_upload_bytes(&self) -> u64 {
        self.max_upload_bytes
    }
}
