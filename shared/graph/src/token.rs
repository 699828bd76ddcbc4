//! App-only access token by the client-credentials grant, cached until shortly before it expires.
//!
//! Why a cache with a single flight: every Graph call needs a token, a token lives about an hour,
//! and the identity platform throttles token requests too. So the token is fetched once and shared;
//! when many calls find it missing or stale at the same moment, one of them fetches while the rest
//! wait for its result (a `tokio::sync::Mutex` around the refresh, with a re-check inside).
//! A 401 from Graph invalidates the token that was used (by its generation, so a fresher token
//! fetched meanwhile by another task is not thrown away). Tokens and the secret are
//! [`SecretString`]s and are never logged.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use reqwest::header::{CONTENT_TYPE, HeaderValue};
use secrecy::{ExposeSecret, SecretString};
use serde_json::Value;

use crate::error::GraphError;

/// Refresh at most this long before expiry…
const MAX_MARGIN: Duration = Duration::from_secs(300);
/// …or after 90 % of the lifetime, whichever comes first.
const MARGIN_FRACTION: u32 = 10;
/// Lifetime assumed when the token endpoint omits `expires_in`.
const FALLBACK_LIFETIME: Duration = Duration::from_secs(300);

/// A token handed to one request.
#[derive(Debug, Clone)]
pub(crate) struct AccessToken {
    value: SecretString,
    /// Which fetch produced it (for [`TokenSource::invalidate`]).
    pub generation: u64,
}

impl AccessToken {
    /// `Authorization` header value, marked sensitive so HTTP debug output hides it.
    pub(crate) fn header(&self) -> Result<HeaderValue, GraphError> {
        let mut v = HeaderValue::from_str(&format!("Bearer {}", self.value.expose_secret()))
            .map_err(|_| GraphError::Auth("the access token is not a valid header value".into()))?;
        v.set_sensitive(true);
        Ok(v)
    }
}

#[derive(Debug)]
struct Cached {
    token: AccessToken,
    refresh_at: Instant,
}

/// Fetches and caches the app-only token of one tenant.
#[derive(Debug)]
pub(crate) struct TokenSource {
    http: reqwest::Client,
    token_url: String,
    client_id: String,
    client_secret: SecretString,
    scope: String,
    cached: Mutex<Option<Cached>>,
    /// Held by the one task that is fetching.
    refresh: tokio::sync::Mutex<u64>,
}

impl TokenSource {
    pub(crate) fn new(
        http: reqwest::Client,
        token_url: String,
        client_id: String,
        client_secret: SecretString,
        scope: String,
    ) -> Self {
        Self {
            http,
            token_url,
            client_id,
            client_secret,
            scope,
            cached: Mutex::new(None),
            refresh: tokio::sync::Mutex::new(0),
        }
    }

    fn current(&self) -> Option<AccessToken> {
        let cached = self.cached.lock().unwrap_or_else(|e| e.into_inner());
        cached
            .as_ref()
            .filter(|c| Instant::now() < c.refresh_at)
            .map(|c| c.token.clone())
    }

    /// A valid token: the cached one, or a new one fetched by exactly one caller.
    pub(crate) async fn get(&self) -> Result<AccessToken, GraphError> {
        if let Some(t) = self.current() {
            return Ok(t);
        }
        let mut generation = self.refresh.lock().await;
        // Another task may have fetched while we waited for the lock.
        if let Some(t) = self.current() {
            return Ok(t);
        }
        let (value, lifetime) = self.fetch().await?;
        *generation += 1;
        let token = AccessToken {
            value,
            generation: *generation,
        };
        let margin = MAX_MARGIN.min(lifetime / MARGIN_FRACTION);
        *self.cached.lock().unwrap_or_else(|e| e.into_inner()) = Some(Cached {
            token: token.clone(),
            refresh_at: Instant::now() + lifetime.saturating_sub(margin),
        });
        tracing::debug!(
            lifetime_s = lifetime.as_secs(),
            generation = token.generation,
            "graph access token acquired"
        );
        Ok(token)
    }

    /// Drops the cached token if it is the one of `generation` (Graph answered 401 to it).
    pub(crate) fn invalidate(&self, generation: u64) {
        let mut cached = self.cached.lock().unwrap_or_else(|e| e.into_inner());
        if cached
            .as_ref()
            .is_some_and(|c| c.token.generation == generation)
        {
            *cached = None;
            tracing::debug!(generation, "graph access token invalidated after 401");
        }
    }

    async fn fetch(&self) -> Result<(SecretString, Duration), GraphError> {
        let form = form_urlencoded::Serializer::new(String::new())
            .append_pair("grant_type", "client_credentials")
            .append_pair("client_id", &self.client_id)
            .append_pair("client_secret", self.client_secret.expose_secret())
            .append_pair("scope", &self.scope)
            .finish();
        let resp = self
            .http
            .post(&self.token_url)
            .header(
                CONTENT_TYPE,
                HeaderValue::from_static("application/x-www-form-urlencoded"),
            )
            .body(form)
            .send()
            .await?;
        let status = resp.status();
        let bytes = resp.bytes().await?;
        let body: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        if !status.is_success() {
            // AAD answers {"error","error_description"}; neither contains the secret.
            let field = |k: &str| body.get(k).and_then(Value::as_str).unwrap_or_default();
            if status.is_server_error() {
                return Err(GraphError::Server {
                    status: status.as_u16(),
                    code: field("error").to_owned(),
                });
            }
            return Err(GraphError::Auth(format!(
                "token endpoint answered {}: {} {}",
                status.as_u16(),
                field("error"),
                field("error_description")
            )));
        }
        let token = body
            .get("access_token")
            .and_then(Value::as_str)
            .filter(|t| !t.is_empty())
            .ok_or_else(|| GraphError::Decode("token response without access_token".into()))?;
        Ok((SecretString::from(token), lifetime(&body)))
    }
}

/// `expires_in` as a number or a numeric string (both occur), else a short fallback.
fn lifetime(body: &Value) -> Duration {
    let secs = match body.get("expires_in") {
        Some(Value::Number(n)) => n.as_u64(),
        Some(Value::String(s)) => s.trim().parse().ok(),
        _ => None,
    };
    secs.map_or(FALLBACK_LIFETIME, Duration::from_secs)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn expires_in_is_read_as_number_or_string() {
        assert_eq!(
            lifetime(&json!({"expires_in": 3599})),
            Duration::from_secs(3599)
        );
        assert_eq!(
            lifetime(&json!({"expires_in": "3600"})),
            Duration::from_secs(3600)
        );
        assert_eq!(lifetime(&json!({})), FALLBACK_LIFETIME);
        assert_eq!(lifetime(&json!({"expires_in": -1})), FALLBACK_LIFETIME);
    }

    #[test]
    fn the_authorization_header_is_sensitive() {
        let t = AccessToken {
            value: SecretString::from("abc"),
            generation: 1,
        };
        let h = t.header().unwrap();
        assert!(h.is_sensitive());
        assert_eq!(h.to_str().unwrap(), "Bearer abc");
        assert!(!format!("{t:?}").contains("abc"));
    }
}
