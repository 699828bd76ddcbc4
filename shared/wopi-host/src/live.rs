//! Office's discovery as the running process knows it, replaceable while requests are served.
//!
//! Office rotates its proof keys: the new key appears in discovery as `value` with the previous
//! one as `oldvalue`, and after a while Office signs with the new key only. A host that loaded
//! discovery once would then refuse every request. So discovery is held here, refreshed on a
//! schedule (reference: every 12–24 h) and *asked* to refresh sooner when a proof verified only
//! with the old key or did not verify at all (the keys may have rotated). Who fetches is the
//! platform's business (`bridge_platform::discovery`); this type only holds and signals.

use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::sync::{Arc, RwLock};

use bridge_wopi::discovery::Discovery;

/// The current discovery, and whether a refresh was asked for.
#[derive(Debug)]
pub struct LiveDiscovery {
    current: RwLock<Arc<Discovery>>,
    loaded_at_ms: AtomicI64,
    refresh_requested: AtomicBool,
}

impl LiveDiscovery {
    /// Holds `discovery`, loaded at `now_ms`.
    pub fn new(discovery: Discovery, now_ms: i64) -> Self {
        Self {
            current: RwLock::new(Arc::new(discovery)),
            loaded_at_ms: AtomicI64::new(now_ms),
            refresh_requested: AtomicBool::new(false),
        }
    }

    /// The discovery in force now.
    pub fn get(&self) -> Arc<Discovery> {
        // A poisoned lock still holds a complete Arc (replacement is a single assignment).
        self.current
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    /// Puts a freshly loaded discovery in force.
    pub fn replace(&self, discovery: Discovery, now_ms: i64) {
        *self
            .current
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Arc::new(discovery);
        self.loaded_at_ms.store(now_ms, Ordering::SeqCst);
    }

    /// When the discovery in force was loaded (epoch ms).
    pub fn loaded_at_ms(&self) -> i64 {
        self.loaded_at_ms.load(Ordering::SeqCst)
    }

    /// Asks the refresher to load discovery again soon (keys may have rotated).
    pub fn request_refresh(&self) {
        self.refresh_requested.store(true, Ordering::SeqCst);
    }

    /// Whether a refresh was asked for since the last call (clears the request).
    pub fn take_refresh_request(&self) -> bool {
        self.refresh_requested.swap(false, Ordering::SeqCst)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const XML: &str = r#"<wopi-discovery><net-zone name="external-https"><app name="Word"><action name="view" ext="docx" urlsrc="https://o.example/v?"/></app></net-zone></wopi-discovery>"#;

    #[test]
    fn a_replacement_is_seen_by_the_next_get_and_a_request_is_taken_once() {
        let live = LiveDiscovery::new(Discovery::parse(XML).unwrap(), 1);
        assert!(live.get().action("docx", "view").is_some());
        assert!(!live.take_refresh_request());
        live.request_refresh();
        live.request_refresh();
        assert!(live.take_refresh_request());
        assert!(!live.take_refresh_request());
        let empty = XML.replace(
            r#"<action name="view" ext="docx" urlsrc="https://o.example/v?"/>"#,
            "",
        );
        live.replace(Discovery::parse(&empty).unwrap(), 5);
        assert!(live.get().action("docx", "view").is_none());
        assert_eq!(live.loaded_at_ms(), 5);
    }
}
