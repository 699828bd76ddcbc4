//! Emulator configuration.

use std::time::Duration;

/// How the emulator behaves; `Default` models Outlook's documented limits.
#[derive(Debug, Clone)]
pub struct EmulatorConfig {
    /// Concurrent requests allowed per app per mailbox (Outlook: 4).
    pub max_concurrency: u32,
    /// Requests allowed per app per mailbox within [`Self::rate_window`] (Outlook: 10,000).
    pub rate_limit: u32,
    /// Sliding window for [`Self::rate_limit`] (Outlook: 10 minutes).
    pub rate_window: Duration,
    /// `Retry-After` seconds sent when the concurrency limit is hit.
    pub concurrency_retry_after_secs: u64,
    /// Simulated processing time of every mailbox request (under `/users/{id}/…`), so that
    /// concurrent clients really overlap. Zero by default.
    pub mailbox_latency: Duration,
    /// `expires_in` of issued access tokens.
    pub token_lifetime: Duration,
    /// Default page size of collection and delta responses (`$top` / `Prefer: odata.maxpagesize`
    /// override it).
    pub default_page_size: usize,
    /// How long the subscription validation handshake may take (Graph: 10 s).
    pub validation_timeout: Duration,
    /// Timeout for delivering a notification (Graph expects 2xx within 3 s).
    pub delivery_timeout: Duration,
}

impl Default for EmulatorConfig {
    fn default() -> Self {
        Self {
            max_concurrency: 4,
            rate_limit: 10_000,
            rate_window: Duration::from_secs(600),
            concurrency_retry_after_secs: 1,
            mailbox_latency: Duration::ZERO,
            token_lifetime: Duration::from_secs(3600),
            default_page_size: 10,
            validation_timeout: Duration::from_secs(10),
            delivery_timeout: Duration::from_secs(3),
        }
    }
}
