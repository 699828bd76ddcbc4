//! Loading Office's discovery from the configured source, and keeping it fresh.
//!
//! The source (`BRIDGE_WOPI_DISCOVERY`) is an https URL (plain http only from this machine, for
//! tests) or a file path. A configured source that cannot be loaded at start stops the start:
//! running without the proof keys it was meant to enforce would fail open. Afterwards a
//! [`DiscoveryRefresher`] reloads it every [`MAX_AGE_MS`] and soon after the WOPI host asks for it
//! (a proof that matched only the old key, or none: Office may have rotated its keys); a failed
//! reload keeps the discovery in force and is logged.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use bridge_core::Clock;
use bridge_wopi::discovery::Discovery;
use bridge_wopi_host::LiveDiscovery;

use crate::ConfigError;

/// Reload discovery at least this often (the reference says every 12–24 hours).
pub const MAX_AGE_MS: i64 = 12 * 60 * 60 * 1000;
/// At most one reload asked for by requests per this interval, so a stream of bad proofs
/// cannot turn into a stream of fetches.
pub const MIN_RETRY_MS: i64 = 5 * 60 * 1000;
/// How often the background task checks whether a reload is due.
pub const CHECK_EVERY: Duration = Duration::from_secs(30);

fn invalid(reason: String) -> ConfigError {
    ConfigError::Invalid {
        var: "BRIDGE_WOPI_DISCOVERY",
        reason,
    }
}

/// Loads and parses discovery from `source` (URL or file).
pub async fn load(source: &str) -> Result<Discovery, ConfigError> {
    let xml = if source.starts_with("https://") || crate::config::is_loopback_http(source) {
        fetch(source)
            .await
            .map_err(|e| invalid(format!("cannot fetch discovery: {e}")))?
    } else {
        tokio::fs::read_to_string(source)
            .await
            .map_err(|e| invalid(format!("cannot read {source}: {e}")))?
    };
    Discovery::parse(&xml).map_err(|e| invalid(format!("unusable discovery: {e}")))
}

async fn fetch(url: &str) -> Result<String, reqwest::Error> {
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()?;
    client
        .get(url)
        .send()
        .await?
        .error_for_status()?
        .text()
        .await
}

/// The discovery configured in `config`, loaded now; `None` when none is configured (local
/// runs: proof keys are then not enforced, and the log says so).
pub async fn load_configured(
    config: &crate::Config,
    clock: &dyn Clock,
) -> Result<Option<Arc<LiveDiscovery>>, ConfigError> {
    let Some(source) = &config.wopi_discovery else {
        tracing::warn!(
            "WOPI proof keys are NOT enforced: BRIDGE_WOPI_DISCOVERY is not set (fine for local \
             runs; production must configure Office's discovery)"
        );
        return Ok(None);
    };
    let discovery = load(source).await?;
    if discovery.proof_keys().is_some() {
        tracing::info!("WOPI proof keys enforced on every WOPI request");
    } else {
        tracing::warn!("discovery has no proof-key element: WOPI proof keys are NOT enforced");
    }
    Ok(Some(Arc::new(LiveDiscovery::new(
        discovery,
        clock.now_ms(),
    ))))
}

/// Reloads a [`LiveDiscovery`] from its source when it is due.
#[derive(Debug)]
pub struct DiscoveryRefresher {
    source: String,
    live: Arc<LiveDiscovery>,
    clock: Arc<dyn Clock>,
    last_attempt_ms: Mutex<i64>,
}

/// What one [`DiscoveryRefresher::tick`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Tick {
    /// Nothing was due.
    NotDue,
    /// Reloaded and put in force.
    Reloaded,
    /// The reload failed; the previous discovery stays in force.
    Failed(String),
}

impl DiscoveryRefresher {
    /// A refresher of `live` from `source`.
    pub fn new(source: String, live: Arc<LiveDiscovery>, clock: Arc<dyn Clock>) -> Self {
        let now = clock.now_ms();
        Self {
            source,
            live,
            clock,
            last_attempt_ms: Mutex::new(now),
        }
    }

    /// Reloads when the discovery is older than [`MAX_AGE_MS`], or when the host asked for a
    /// reload and the last attempt is at least [`MIN_RETRY_MS`] ago (a request arriving sooner
    /// stays pending until then).
    pub async fn tick(&self) -> Tick {
        let now = self.clock.now_ms();
        let last = *self
            .last_attempt_ms
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let old = now.saturating_sub(self.live.loaded_at_ms()) >= MAX_AGE_MS
            && now.saturating_sub(last) >= MIN_RETRY_MS;
        let asked = now.saturating_sub(last) >= MIN_RETRY_MS && self.live.take_refresh_request();
        if !old && !asked {
            return Tick::NotDue;
        }
        *self
            .last_attempt_ms
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = now;
        match load(&self.source).await {
            Ok(d) => {
                self.live.replace(d, now);
                tracing::info!(asked, "discovery reloaded");
                Tick::Reloaded
            }
            Err(e) => {
                tracing::warn!(error = %e, "discovery reload failed; the loaded one stays in force");
                if asked {
                    // Keep the request so the next allowed attempt tries again.
                    self.live.request_refresh();
                }
                Tick::Failed(e.to_string())
            }
        }
    }

    /// Runs [`Self::tick`] every [`CHECK_EVERY`] on the current Tokio runtime for the life of
    /// the process (in Lambda it pauses while the environment is frozen and goes on after).
    pub fn spawn(self: Arc<Self>) {
        if let Ok(rt) = tokio::runtime::Handle::try_current() {
            rt.spawn(async move {
                let mut every = tokio::time::interval(CHECK_EVERY);
                every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
                loop {
                    every.tick().await;
                    self.tick().await;
                }
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bridge_core::ManualClock;

    fn xml(ext: &str) -> String {
        format!(
            r#"<wopi-discovery><net-zone name="external-https"><app name="Word"><action name="view" ext="{ext}" urlsrc="https://o.example/v?"/></app></net-zone></wopi-discovery>"#
        )
    }

    #[tokio::test]
    async fn reloads_when_old_or_asked_but_not_more_often_than_allowed() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("d.xml");
        std::fs::write(&path, xml("docx")).unwrap();
        let clock = Arc::new(ManualClock::new(1_000_000));
        let live = Arc::new(LiveDiscovery::new(
            Discovery::parse(&xml("docx")).unwrap(),
            1_000_000,
        ));
        let r = DiscoveryRefresher::new(path.to_str().unwrap().into(), live.clone(), clock.clone());
        std::fs::write(&path, xml("xlsx")).unwrap();
        assert_eq!(r.tick().await, Tick::NotDue);
        // Asked for right away: waits for the retry interval, then reloads.
        live.request_refresh();
        assert_eq!(r.tick().await, Tick::NotDue);
        clock.advance_ms(MIN_RETRY_MS);
        assert_eq!(r.tick().await, Tick::Reloaded);
        assert!(live.get().action("xlsx", "view").is_some());
        assert_eq!(r.tick().await, Tick::NotDue);
        // Old: reloads; a broken source keeps the loaded discovery.
        std::fs::write(&path, "not xml").unwrap();
        clock.advance_ms(MAX_AGE_MS);
        assert!(matches!(r.tick().await, Tick::Failed(_)));
        assert!(live.get().action("xlsx", "view").is_some());
    }
}
