//! Removing blobs that no version references: what a process leaves behind when it dies
//! between writing a blob and committing the version that points at it (or when the best-effort
//! delete after a failed commit fails too).
//!
//! Every staged blob first gets an intent item ([`keys::staged`]). The sweeper reads intents
//! older than a grace period — far longer than any upload can take (Lambda stops at 15 minutes),
//! so it never races a commit still under way — and for each: if the version exists, the blob is
//! referenced and only the intent goes; otherwise the blob goes, then the intent. Both deletes
//! are idempotent, so an interrupted sweep is simply run again.

use bridge_blobs::BlobKey;
use bridge_core::tenant::TenantId;
use bridge_store::Query;

use crate::{DocError, DocId, Documents, VersionId, keys};

/// Default grace: intents younger than this are left alone.
pub const DEFAULT_GRACE_MS: i64 = 24 * 60 * 60 * 1000;

/// What one sweep did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SweepReport {
    /// Intents old enough to be examined.
    pub examined: usize,
    /// Unreferenced blobs deleted.
    pub blobs_deleted: usize,
    /// Intents whose blob is a committed version (only the intent was removed).
    pub committed: usize,
    /// Intents that could not be read (left in place, logged).
    pub unreadable: usize,
}

impl Documents {
    /// Sweeps up to `max` intents older than `grace_ms`.
    pub async fn sweep_staged(&self, grace_ms: i64, max: usize) -> Result<SweepReport, DocError> {
        let cutoff = self.clock.now_ms().saturating_sub(grace_ms);
        let mut report = SweepReport::default();
        let mut query = Query::partition(keys::STAGED_PK).limit(100);
        'pages: loop {
            let page = self.table.query(&query).await?;
            for item in &page.items {
                // Sorted by the time prefix: the first young one ends the sweep.
                let at_ms = item
                    .key
                    .sk
                    .get(..13)
                    .and_then(|t| t.parse::<i64>().ok())
                    .unwrap_or(i64::MAX);
                if report.examined >= max || at_ms > cutoff {
                    break 'pages;
                }
                report.examined += 1;
                let parsed = (
                    item.get_str("tenant")
                        .and_then(|t| t.parse().ok())
                        .map(TenantId),
                    item.get_str("doc").and_then(|d| DocId::parse(d).ok()),
                    item.get_str("version")
                        .and_then(|v| uuid::Uuid::try_parse(v).ok())
                        .map(VersionId),
                    item.get_str("blob_key")
                        .and_then(|b| BlobKey::parse(b).ok()),
                );
                let (Some(tenant), Some(doc), Some(version), Some(blob)) = parsed else {
                    tracing::warn!(sk = %item.key.sk, "unreadable staging intent left in place");
                    report.unreadable += 1;
                    continue;
                };
                if self
                    .table
                    .get(&keys::version_alias(tenant, doc, version))
                    .await?
                    .is_some()
                {
                    report.committed += 1;
                } else {
                    self.blobs.delete(&blob).await?;
                    report.blobs_deleted += 1;
                }
                self.table.delete(&item.key, None).await?;
            }
            match page.next {
                Some(c) => query = query.after(Some(c)),
                None => break,
            }
        }
        if report.blobs_deleted > 0 {
            tracing::info!(
                examined = report.examined,
                blobs_deleted = report.blobs_deleted,
                "unreferenced blobs removed"
            );
        }
        Ok(report)
    }
}
