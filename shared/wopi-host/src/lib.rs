//! The WOPI host: every WOPI operation as a use case over the documents domain, the lock rules
//! of `bridge-wopi` and the table. The function crates only translate HTTP to these calls and
//! [`Reply`]s back to HTTP, so the behaviour Office sees is written, and tested, once.
//!
//! Locks live on the document item (`lock_id`, `lock_expires_at`). Every lock change is a
//! conditional update on the document's `ver` as it was read, so the rule decided from that
//! read holds at the moment of the write; a lost race re-reads and decides again. PutFile,
//! RenameFile and DeleteFile pass the lock as a guard condition into the documents use case, so a
//! save can only land while the caller holds the lock (expiry included: the condition compares
//! `lock_expires_at` with now, it does not rely on a TTL sweeper).

mod errors;
pub mod http;
mod issue;
pub mod relative;
pub mod locks;
mod session;
mod utf7;

use std::sync::Arc;

use bridge_core::Clock;
use bridge_documents::Documents;
use bridge_store::Table;

pub use errors::{Reply, WopiError};
pub use locks::LockOp;
pub use session::Session;
pub use utf7::decode_utf7;

/// Settings of the host.
#[derive(Debug, Clone)]
pub struct HostSettings {
    /// Allow the validator's `.wopitest` extension to be edited (`BRIDGE_WOPI_TEST_FILES=1`).
    pub allow_wopitest: bool,
    /// Largest PutFile body; larger answers 413 and writes nothing.
    pub max_put_bytes: u64,
    /// Shown in Office's header breadcrumb.
    pub brand_name: String,
}

/// The WOPI host service.
#[derive(Clone)]
pub struct WopiHost {
    docs: Documents,
    table: Arc<dyn Table>,
    clock: Arc<dyn Clock>,
    key: Arc<Vec<u8>>,
    settings: HostSettings,
}

impl std::fmt::Debug for WopiHost {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WopiHost")
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

impl WopiHost {
    /// A host over the documents service and table, verifying tokens with `key`.
    pub fn new(
        docs: Documents,
        table: Arc<dyn Table>,
        clock: Arc<dyn Clock>,
        key: Vec<u8>,
        settings: HostSettings,
    ) -> Self {
        Self {
            docs,
            table,
            clock,
            key: Arc::new(key),
            settings,
        }
    }

    /// The settings in force.
    pub fn settings(&self) -> &HostSettings {
        &self.settings
    }

    fn now(&self) -> i64 {
        self.clock.now_ms()
    }
}
