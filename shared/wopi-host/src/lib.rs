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
pub mod links;
pub mod live;
pub mod locks;
pub mod partner;
pub mod relative;
mod session;
mod utf7;

use std::sync::Arc;

use bridge_core::Clock;
use bridge_documents::Documents;
use bridge_store::Table;

pub use errors::{Reply, WopiError};
pub use links::AppLinks;
pub use live::LiveDiscovery;
pub use locks::{LockOp, is_locked, not_locked};
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
    /// Office's discovery, when configured. When it carries proof keys, every WOPI request must
    /// carry a valid proof (X-WOPI-Proof / X-WOPI-ProofOld / X-WOPI-TimeStamp), else it is
    /// refused with 500. Held live, so rotated keys take effect without a restart.
    pub discovery: Option<Arc<LiveDiscovery>>,
}

/// The WOPI host service.
#[derive(Clone)]
pub struct WopiHost {
    docs: Documents,
    table: Arc<dyn Table>,
    clock: Arc<dyn Clock>,
    key: Arc<Vec<u8>>,
    settings: HostSettings,
    /// The directory, for the one question about partners ([`partner`]).
    partners: bridge_directory::Directory,
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
            partners: partner::reader_directory(table.clone()),
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

    /// Checks that a request really comes from Office (proof keys), when keys are configured.
    /// `url` is the full public URL Office called, raw query included.
    pub fn check_proof(
        &self,
        access_token: &str,
        url: &str,
        timestamp: Option<&str>,
        proof: Option<&str>,
        proof_old: Option<&str>,
    ) -> Result<(), WopiError> {
        let Some(live) = &self.settings.discovery else {
            return Ok(());
        };
        let discovery = live.get();
        let Some(keys) = discovery.proof_keys() else {
            return Ok(());
        };
        let request = bridge_wopi::proof::ProofRequest {
            access_token,
            url,
            timestamp,
            proof,
            proof_old,
        };
        match bridge_wopi::proof::verify_proof(&request, keys, self.now()) {
            Ok(m) => {
                if m.discovery_is_stale() {
                    tracing::warn!(
                        "WOPI proof matched only with the old key: discovery is stale, refreshing"
                    );
                    live.request_refresh();
                }
                Ok(())
            }
            Err(e) => {
                // Office may have rotated to a key we have not loaded yet.
                live.request_refresh();
                Err(WopiError::new(500, format!("proof key check failed: {e}")))
            }
        }
    }

    fn now(&self) -> i64 {
        self.clock.now_ms()
    }
}
