//! Client configuration. Everything that differs between Microsoft 365 and the emulator (URLs) or
//! between production and tests (limits, retry timing, page size) is a field here, so tests run
//! the production code path against `tests/graph-emulator` with a short throttle window.

use std::time::Duration;

use secrecy::SecretString;

/// Graph v1.0 on the public cloud.
pub const GRAPH_BASE_URL: &str = "https://graph.microsoft.com/v1.0";

/// Scope of an app-only token: every application permission an admin consented to.
pub const DEFAULT_SCOPE: &str = "https://graph.microsoft.com/.default";

/// How much of a budget one app may use: at most `max_concurrency` requests in flight and at most
/// `requests_per_window` requests started within any `window`.
///
/// The client enforces these itself, so that it never needs Outlook's 429 to slow down: throttled
/// requests still count against the budget, and a mailbox that keeps hitting the limit stays
/// throttled longer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MailboxLimits {
    /// Concurrent requests (Outlook: 4 per app per mailbox).
    pub max_concurrency: u32,
    /// Requests per [`Self::window`] (Outlook: 10,000 per app per mailbox).
    pub requests_per_window: u32,
    /// Length of the sliding window (Outlook: 10 minutes).
    pub window: Duration,
}

impl Default for MailboxLimits {
    /// Outlook's documented per-app-per-mailbox limits.
    fn default() -> Self {
        Self {
            max_concurrency: 4,
            requests_per_window: 10_000,
            window: Duration::from_secs(600),
        }
    }
}

impl MailboxLimits {
    /// Budget for requests that touch no mailbox (`/users`, `/subscriptions`): Graph's global
    /// limit per app (130,000 requests / 10 s), with a concurrency cap so one busy tenant cannot
    /// open an unbounded number of connections.
    pub fn app_wide() -> Self {
        Self {
            max_concurrency: 16,
            requests_per_window: 130_000,
            window: Duration::from_secs(10),
        }
    }
}

/// How 429/503 (and other retryable failures) are retried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Retries after the first attempt. A 401 refresh is not counted (it has its own single retry).
    pub max_retries: u32,
    /// Wait before the first retry when the response has no `Retry-After`; doubled on each retry.
    pub default_backoff: Duration,
    /// Upper bound of any wait, including a server's `Retry-After`.
    pub max_backoff: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_retries: 5,
            default_backoff: Duration::from_secs(1),
            max_backoff: Duration::from_secs(60),
        }
    }
}

/// Configuration of a [`crate::GraphClient`] for one tenant (a token is per tenant).
#[derive(Debug, Clone)]
pub struct GraphConfig {
    /// Graph base URL without a trailing slash, e.g. [`GRAPH_BASE_URL`]. Paging links are only
    /// followed when they start with it, so the token is never sent to another host.
    pub base_url: String,
    /// Token endpoint, e.g. `https://login.microsoftonline.com/{tenant}/oauth2/v2.0/token`.
    pub token_url: String,
    /// Application (client) id.
    pub client_id: String,
    /// Client secret; never logged.
    pub client_secret: SecretString,
    /// Token scope ([`DEFAULT_SCOPE`]).
    pub scope: String,
    /// Budget per mailbox (requests under `/users/{id}/…` and `$batch` aimed at one mailbox).
    pub limits: MailboxLimits,
    /// Budget for requests that touch no mailbox.
    pub app_limits: MailboxLimits,
    /// `Prefer: odata.maxpagesize` / `$top` on list and delta requests.
    pub page_size: u32,
    /// Retries on throttling and transient failures.
    pub retry: RetryPolicy,
    /// Timeout of one HTTP attempt (connect + response).
    pub timeout: Duration,
}

impl GraphConfig {
    /// A configuration with defaults for everything but the endpoints and credentials.
    pub fn new(
        base_url: impl Into<String>,
        token_url: impl Into<String>,
        client_id: impl Into<String>,
        client_secret: SecretString,
    ) -> Self {
        Self {
            base_url: base_url.into().trim_end_matches('/').to_owned(),
            token_url: token_url.into(),
            client_id: client_id.into(),
            client_secret,
            scope: DEFAULT_SCOPE.to_owned(),
            limits: MailboxLimits::default(),
            app_limits: MailboxLimits::app_wide(),
            page_size: 100,
            retry: RetryPolicy::default(),
            timeout: Duration::from_secs(30),
        }
    }

    /// Microsoft 365 (public cloud) for `tenant_id`.
    pub fn microsoft(
        tenant_id: &str,
        client_id: impl Into<String>,
        client_secret: SecretString,
    ) -> Self {
        Self::new(
            GRAPH_BASE_URL,
            format!("https://login.microsoftonline.com/{tenant_id}/oauth2/v2.0/token"),
            client_id,
            client_secret,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_outlooks_documented_limits() {
        let c = GraphConfig::microsoft("t1", "app", SecretString::from("s"));
        assert_eq!(c.base_url, GRAPH_BASE_URL);
        assert_eq!(
            c.token_url,
            "https://login.microsoftonline.com/t1/oauth2/v2.0/token"
        );
        assert_eq!(c.scope, DEFAULT_SCOPE);
        assert_eq!(c.limits.max_concurrency, 4);
        assert_eq!(c.limits.requests_per_window, 10_000);
        assert_eq!(c.limits.window, Duration::from_secs(600));
        assert!(
            !format!("{c:?}").contains("\"s\""),
            "secret must not be printed"
        );
    }

    #[test]
    fn trailing_slash_of_the_base_url_is_dropped() {
        let c = GraphConfig::new("http://x/v1.0/", "http://x/t", "a", SecretString::from("s"));
        assert_eq!(c.base_url, "http://x/v1.0");
    }
}
