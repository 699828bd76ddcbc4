//! Entra's signing keys, fetched once and kept, refetched when they rotate.
//!
//! Entra rotates its keys without notice: a token whose `kid` we do not know makes the cache
//! fetch the JWKS again, but at most once per [`MIN_REFETCH_INTERVAL_MS`] (per reason), so a
//! stream of tokens with made-up `kid`s cannot turn into a stream of fetches. Keys are also
//! refreshed when older than [`MAX_AGE_MS`]. The cache fails closed: no keys, no sign-in; a
//! failed refresh keeps the keys already loaded.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::{EpochMillis, ExpectedClaims, Identity, IdentityError, Jwks, OidcConfig};

/// At most one refetch per reason within this interval: 5 minutes.
pub const MIN_REFETCH_INTERVAL_MS: i64 = 5 * 60 * 1000;
/// Keys older than this are refreshed on the next use: 24 hours.
pub const MAX_AGE_MS: i64 = 24 * 60 * 60 * 1000;
/// With no keys loaded (first use, or every load failed so far), retry no sooner than this:
/// 10 seconds.
pub const RETRY_WHEN_EMPTY_MS: i64 = 10_000;

/// Why the JWKS is fetched; each reason has its own rate limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FetchReason {
    /// No keys loaded yet.
    Initial,
    /// A token named a `kid` we do not know (key rotation, or a forged token).
    UnknownKey,
    /// The keys are older than [`MAX_AGE_MS`].
    Stale,
}

impl FetchReason {
    fn min_interval_ms(self) -> i64 {
        match self {
            FetchReason::Initial => RETRY_WHEN_EMPTY_MS,
            FetchReason::UnknownKey | FetchReason::Stale => MIN_REFETCH_INTERVAL_MS,
        }
    }
}

#[derive(Debug, Default)]
struct Inner {
    jwks: Option<Arc<Jwks>>,
    fetched_at_ms: EpochMillis,
    last_attempt_ms: HashMap<FetchReason, EpochMillis>,
}

impl Inner {
    fn may_fetch(&self, reason: FetchReason, now_ms: EpochMillis) -> bool {
        self.last_attempt_ms
            .get(&reason)
            .is_none_or(|last| now_ms.saturating_sub(*last) >= reason.min_interval_ms())
    }
}

/// A cache of the JWKS at one URL. Share one per process (e.g. in an `Arc`); fetches are
/// serialised, so concurrent validations after a rotation cause one fetch.
#[derive(Debug)]
pub struct JwksCache {
    url: String,
    http: reqwest::Client,
    inner: tokio::sync::Mutex<Inner>,
    fetches: AtomicU64,
}

impl JwksCache {
    /// A cache of the JWKS at `jwks_uri`, fetched with `http` (see [`crate::http_client`]).
    pub fn new(http: reqwest::Client, jwks_uri: impl Into<String>) -> Self {
        Self {
            url: jwks_uri.into(),
            http,
            inner: tokio::sync::Mutex::new(Inner::default()),
            fetches: AtomicU64::new(0),
        }
    }

    /// A cache of the configuration's JWKS ([`OidcConfig::jwks_uri`]).
    pub fn for_config(http: reqwest::Client, config: &OidcConfig) -> Self {
        Self::new(http, config.jwks_uri())
    }

    /// HTTP fetches of the JWKS made so far (successful or not).
    pub fn fetch_count(&self) -> u64 {
        self.fetches.load(Ordering::SeqCst)
    }

    async fn fetch(&self) -> Result<Jwks, IdentityError> {
        self.fetches.fetch_add(1, Ordering::SeqCst);
        let resp = self
            .http
            .get(&self.url)
            .header(reqwest::header::ACCEPT, "application/json")
            .send()
            .await
            .map_err(|e| IdentityError::Fetch(format!("JWKS: {}", e.without_url())))?;
        if !resp.status().is_success() {
            return Err(IdentityError::Fetch(format!(
                "JWKS: status {}",
                resp.status().as_u16()
            )));
        }
        let bytes = resp
            .bytes()
            .await
            .map_err(|e| IdentityError::Fetch(format!("JWKS: {}", e.without_url())))?;
        Jwks::from_json(&bytes)
    }

    /// Fetches for `reason` if its rate limit allows; `Ok(false)` when it does not.
    async fn refresh(
        &self,
        inner: &mut Inner,
        reason: FetchReason,
        now_ms: EpochMillis,
    ) -> Result<bool, IdentityError> {
        if !inner.may_fetch(reason, now_ms) {
            return Ok(false);
        }
        inner.last_attempt_ms.insert(reason, now_ms);
        match self.fetch().await {
            Ok(jwks) => {
                tracing::info!(?reason, kids = ?jwks.kids(), "JWKS loaded");
                inner.jwks = Some(Arc::new(jwks));
                inner.fetched_at_ms = now_ms;
                Ok(true)
            }
            Err(e) => {
                tracing::warn!(?reason, error = %e, "JWKS fetch failed");
                Err(e)
            }
        }
    }

    /// The keys in force at `now_ms`: loaded on first use, refreshed when older than
    /// [`MAX_AGE_MS`] (a failed refresh keeps the loaded keys).
    pub async fn keys(&self, now_ms: EpochMillis) -> Result<Arc<Jwks>, IdentityError> {
        let mut inner = self.inner.lock().await;
        if inner.jwks.is_none() {
            if !self
                .refresh(&mut inner, FetchReason::Initial, now_ms)
                .await?
            {
                return Err(IdentityError::Fetch(
                    "no signing keys loaded yet; retrying shortly".into(),
                ));
            }
        } else if now_ms.saturating_sub(inner.fetched_at_ms) >= MAX_AGE_MS {
            // A failed refresh is logged in `refresh`; the loaded keys stay in force.
            let _ = self.refresh(&mut inner, FetchReason::Stale, now_ms).await;
        }
        inner
            .jwks
            .clone()
            .ok_or_else(|| IdentityError::Fetch("no signing keys loaded".into()))
    }

    /// The keys after a token named the unknown `kid`: refetched if allowed (or already
    /// refetched by a concurrent caller); [`IdentityError::UnknownKey`] if the refetch is not
    /// allowed yet or the new keys lack `kid` too.
    async fn keys_with(&self, kid: &str, now_ms: EpochMillis) -> Result<Arc<Jwks>, IdentityError> {
        let mut inner = self.inner.lock().await;
        let unknown = || IdentityError::UnknownKey {
            kid: crate::error::shorten(kid, 100),
        };
        if let Some(jwks) = inner.jwks.as_ref().filter(|j| j.contains(kid)) {
            return Ok(Arc::clone(jwks));
        }
        if !self
            .refresh(&mut inner, FetchReason::UnknownKey, now_ms)
            .await?
        {
            return Err(unknown());
        }
        match inner.jwks.as_ref().filter(|j| j.contains(kid)) {
            Some(jwks) => Ok(Arc::clone(jwks)),
            None => Err(unknown()),
        }
    }

    /// Validates an id token (see [`crate::validate_id_token`]) with the cached keys; a token
    /// signed with a key we do not know yet triggers one refetch (rate-limited).
    pub async fn validate(
        &self,
        token: &str,
        expected: &ExpectedClaims,
        now_ms: EpochMillis,
    ) -> Result<Identity, IdentityError> {
        let jwks = self.keys(now_ms).await?;
        match crate::validate_id_token(token, &jwks, expected, now_ms) {
            Err(IdentityError::UnknownKey { kid }) => {
                let jwks = self.keys_with(&kid, now_ms).await?;
                crate::validate_id_token(token, &jwks, expected, now_ms)
            }
            other => other,
        }
    }
}
