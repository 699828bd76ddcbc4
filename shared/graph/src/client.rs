//! [`GraphClient`]: one place where every Graph request is authorised, charged to its budget,
//! retried and mapped to a [`GraphError`]. The typed calls (users, contacts, calendars,
//! subscriptions, mail, `$batch`) live in their own modules and only build requests.
//!
//! Retry rules, and why:
//! - 429 and 503 mean Graph did not process the request, so every method — creates included — is
//!   retried, after `Retry-After` (or a doubling back-off when absent, capped by
//!   [`RetryPolicy::max_backoff`](crate::RetryPolicy)). The wait pauses the whole budget (the
//!   mailbox), not only this request: Outlook throttles the app on that mailbox.
//! - 504 and transport failures are retried only when repeating cannot create a duplicate (GET,
//!   PUT, DELETE, or a connection that was never established).
//! - 401 refreshes the token once and repeats the request; a second 401 is [`GraphError::Auth`].

use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use percent_encoding::{AsciiSet, CONTROLS, NON_ALPHANUMERIC, utf8_percent_encode};
use reqwest::header::{CONTENT_TYPE, HeaderMap, HeaderValue, IF_MATCH, RETRY_AFTER};
use reqwest::{Method, StatusCode};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::config::{GraphConfig, RetryPolicy};
use crate::error::{GraphError, from_status};
use crate::limiter::{Bucket, Limiter};
use crate::model::{DeltaPage, GraphItem, Removed};
use crate::token::TokenSource;

/// Safety net against a server that keeps answering `@odata.nextLink`.
const MAX_PAGES: usize = 10_000;

/// Characters escaped in a path segment (ids, UPNs): `/`, `?`, `#`, `%` and the like; `@` stays so
/// a UPN reads as Graph documents it.
const SEGMENT: &AsciiSet = &CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'#')
    .add(b'%')
    .add(b'/')
    .add(b'<')
    .add(b'>')
    .add(b'?')
    .add(b'\\')
    .add(b'^')
    .add(b'`')
    .add(b'{')
    .add(b'|')
    .add(b'}');

/// Characters escaped in a query value (`+` of a time-zone offset must not become a space).
const QUERY_VALUE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~')
    .remove(b':');

/// Escapes one path segment.
pub(crate) fn seg(s: &str) -> String {
    utf8_percent_encode(s, SEGMENT).to_string()
}

/// Escapes one query value.
pub(crate) fn query_value(s: &str) -> String {
    utf8_percent_encode(s, QUERY_VALUE).to_string()
}

/// Returns `link` if it lies under `base` (same scheme, host, port and path prefix), so that the
/// bearer token is only ever sent to the configured Graph endpoint.
pub(crate) fn trusted_link(base: &str, link: &str) -> Result<String, GraphError> {
    match link.strip_prefix(base) {
        Some(rest) if rest.is_empty() || rest.starts_with('/') || rest.starts_with('?') => {
            Ok(link.to_owned())
        }
        _ => {
            let shown: String = link.chars().take(120).collect();
            Err(GraphError::UntrustedLink(shown))
        }
    }
}

/// A Microsoft Graph client for one tenant. Cheap to clone (an `Arc` inside): build it once per
/// process and share it, so the token cache and the per-mailbox budgets are shared too.
#[derive(Debug, Clone)]
pub struct GraphClient {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    http: reqwest::Client,
    base_url: String,
    page_size: u32,
    retry: RetryPolicy,
    tokens: TokenSource,
    limiter: Limiter,
}

/// One request to send (and re-send on retry).
#[derive(Debug, Clone)]
pub(crate) struct Req<'a> {
    method: Method,
    url: String,
    bucket: Bucket<'a>,
    body: Option<Bytes>,
    if_match: Option<String>,
    paged: bool,
    immutable_ids: bool,
    weight: u32,
}

impl<'a> Req<'a> {
    pub(crate) fn new(method: Method, url: String, bucket: Bucket<'a>) -> Self {
        Self {
            method,
            url,
            immutable_ids: matches!(bucket, Bucket::Mailbox(_)),
            bucket,
            body: None,
            if_match: None,
            paged: false,
            weight: 1,
        }
    }

    /// JSON body.
    pub(crate) fn json(mut self, body: &Value) -> Result<Self, GraphError> {
        let bytes = serde_json::to_vec(body).map_err(|e| GraphError::Decode(e.to_string()))?;
        self.body = Some(Bytes::from(bytes));
        Ok(self)
    }

    /// `If-Match` from a change key or an etag.
    pub(crate) fn if_match(mut self, version: Option<&str>) -> Self {
        self.if_match = version.map(etag_of);
        self
    }

    /// A list or delta request: ask for the configured page size.
    pub(crate) fn paged(mut self) -> Self {
        self.paged = true;
        self
    }

    /// Ask for immutable ids even though no mailbox budget applies (subscription create).
    pub(crate) fn immutable_ids(mut self) -> Self {
        self.immutable_ids = true;
        self
    }

    /// Window slots this request uses (`$batch`: one per inner request).
    pub(crate) fn weight(mut self, n: u32) -> Self {
        self.weight = n.max(1);
        self
    }
}

/// `W/"…"` for a bare change key; an etag is passed through.
fn etag_of(version: &str) -> String {
    let v = version.trim();
    if v.starts_with("W/") || v.starts_with('"') || v == "*" {
        v.to_owned()
    } else {
        format!("W/\"{v}\"")
    }
}

/// A successful answer.
#[derive(Debug)]
pub(crate) struct Answer {
    pub body: Bytes,
}

impl Answer {
    pub(crate) fn json<T: DeserializeOwned>(&self) -> Result<T, GraphError> {
        serde_json::from_slice(&self.body).map_err(|e| GraphError::Decode(e.to_string()))
    }

    pub(crate) fn item(&self) -> Result<GraphItem, GraphError> {
        GraphItem::from_json(self.json()?)
    }
}

/// One page of a collection or delta.
#[derive(Debug, Deserialize)]
struct Page {
    #[serde(default)]
    value: Vec<Value>,
    #[serde(rename = "@odata.nextLink", default)]
    next_link: Option<String>,
    #[serde(rename = "@odata.deltaLink", default)]
    delta_link: Option<String>,
}

/// `Retry-After` in seconds (Graph sends an integer; fractions are accepted).
pub(crate) fn retry_after_secs(value: &str) -> Option<Duration> {
    let secs: f64 = value.trim().parse().ok()?;
    (secs.is_finite() && secs >= 0.0).then(|| Duration::from_secs_f64(secs.min(86_400.0)))
}

fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    headers
        .get(RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(retry_after_secs)
}

fn idempotent(m: &Method) -> bool {
    [
        Method::GET,
        Method::HEAD,
        Method::PUT,
        Method::DELETE,
        Method::OPTIONS,
    ]
    .contains(m)
}

impl GraphClient {
    /// Builds the client (HTTPS by rustls; redirects are not followed, so the token cannot be
    /// carried elsewhere).
    pub fn new(config: GraphConfig) -> Result<Self, GraphError> {
        let http = reqwest::Client::builder()
            .timeout(config.timeout)
            .connect_timeout(config.timeout.min(Duration::from_secs(10)))
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("m365-bridge/", env!("CARGO_PKG_VERSION")))
            .build()?;
        let tokens = TokenSource::new(
            http.clone(),
            config.token_url,
            config.client_id,
            config.client_secret,
            config.scope,
        );
        Ok(Self {
            inner: Arc::new(Inner {
                http,
                base_url: config.base_url.trim_end_matches('/').to_owned(),
                page_size: config.page_size.max(1),
                retry: config.retry,
                tokens,
                limiter: Limiter::new(config.limits, config.app_limits),
            }),
        })
    }

    /// The Graph base URL in use.
    pub fn base_url(&self) -> &str {
        &self.inner.base_url
    }

    /// `base_url` + `path` (`path` starts with `/` and is already escaped).
    pub(crate) fn url(&self, path: &str) -> String {
        format!("{}{path}", self.inner.base_url)
    }

    pub(crate) fn page_size(&self) -> u32 {
        self.inner.page_size
    }

    pub(crate) fn trusted(&self, link: &str) -> Result<String, GraphError> {
        trusted_link(&self.inner.base_url, link)
    }

    pub(crate) fn retry_policy(&self) -> RetryPolicy {
        self.inner.retry
    }

    /// Makes every request of `bucket` wait until `until`.
    pub(crate) fn pause(&self, bucket: Bucket<'_>, until: Instant) {
        self.inner.limiter.pause(bucket, until);
    }

    fn backoff(&self, retry: u32) -> Duration {
        let p = self.inner.retry;
        p.default_backoff
            .saturating_mul(2u32.saturating_pow(retry))
            .min(p.max_backoff)
    }

    /// GET of one mailbox item at `path` (a contact, an event).
    pub(crate) async fn get_item(
        &self,
        mailbox: &str,
        path: &str,
    ) -> Result<GraphItem, GraphError> {
        self.execute(Req::new(
            Method::GET,
            self.url(path),
            Bucket::Mailbox(mailbox),
        ))
        .await?
        .item()
    }

    /// PATCH of one mailbox item, only while it is at `if_match` when given (a concurrent change
    /// then gives [`GraphError::PreconditionFailed`] instead of being overwritten).
    pub(crate) async fn patch_item(
        &self,
        mailbox: &str,
        path: &str,
        patch: &serde_json::Value,
        if_match: Option<&str>,
    ) -> Result<GraphItem, GraphError> {
        self.execute(
            Req::new(Method::PATCH, self.url(path), Bucket::Mailbox(mailbox))
                .json(patch)?
                .if_match(if_match),
        )
        .await?
        .item()
    }

    /// DELETE of one mailbox item, only while it is at `if_match` when given.
    pub(crate) async fn delete_item(
        &self,
        mailbox: &str,
        path: &str,
        if_match: Option<&str>,
    ) -> Result<(), GraphError> {
        self.execute(
            Req::new(Method::DELETE, self.url(path), Bucket::Mailbox(mailbox)).if_match(if_match),
        )
        .await
        .map(|_| ())
    }

    /// Sends `req` with the retry rules of this module; `Ok` only for a 2xx answer.
    pub(crate) async fn execute(&self, req: Req<'_>) -> Result<Answer, GraphError> {
        let policy = self.inner.retry;
        let mut retries = 0u32;
        let mut refreshed = false;
        loop {
            // The token is taken after the wait for the budget, which can be long, so that it
            // is fresh when the request goes out.
            let ticket = self.inner.limiter.acquire(req.bucket, req.weight).await?;
            let token = self.inner.tokens.get().await?;
            let sent = self.send_once(&req, token.header()?).await;
            drop(ticket);
            let (status, headers, body) = match sent {
                Ok(parts) => parts,
                Err(e) => {
                    if (e.is_connect() || idempotent(&req.method)) && retries < policy.max_retries {
                        let wait = self.backoff(retries);
                        retries += 1;
                        tracing::warn!(method = %req.method, error = %e, retry = retries, wait_ms = wait.as_millis() as u64, "graph transport error; retrying");
                        tokio::time::sleep(wait).await;
                        continue;
                    }
                    return Err(e.into());
                }
            };
            if status.is_success() {
                return Ok(Answer { body });
            }
            if status == StatusCode::UNAUTHORIZED && !refreshed {
                refreshed = true;
                self.inner.tokens.invalidate(token.generation);
                continue;
            }
            let throttled = status == StatusCode::TOO_MANY_REQUESTS
                || status == StatusCode::SERVICE_UNAVAILABLE;
            let gateway = status == StatusCode::GATEWAY_TIMEOUT && idempotent(&req.method);
            if !(throttled || gateway) {
                let err = from_status(status, &body);
                tracing::debug!(method = %req.method, status = status.as_u16(), error = %err, "graph request failed");
                return Err(err);
            }
            let wait = retry_after(&headers).unwrap_or_else(|| self.backoff(retries));
            if retries >= policy.max_retries {
                tracing::warn!(method = %req.method, status = status.as_u16(), retries, "graph retries exhausted");
                return Err(if throttled {
                    GraphError::Throttled { retry_after: wait }
                } else {
                    from_status(status, &body)
                });
            }
            let wait = wait.min(policy.max_backoff);
            retries += 1;
            tracing::warn!(method = %req.method, status = status.as_u16(), retry = retries, wait_ms = wait.as_millis() as u64, "graph throttled; waiting");
            if throttled {
                self.inner.limiter.pause(req.bucket, Instant::now() + wait);
            } else {
                tokio::time::sleep(wait).await;
            }
        }
    }

    /// One attempt; the whole body is read before the budget ticket is released.
    async fn send_once(
        &self,
        req: &Req<'_>,
        auth: HeaderValue,
    ) -> Result<(StatusCode, HeaderMap, Bytes), reqwest::Error> {
        let mut b = self
            .inner
            .http
            .request(req.method.clone(), &req.url)
            .header(reqwest::header::AUTHORIZATION, auth)
            .header(
                reqwest::header::ACCEPT,
                HeaderValue::from_static("application/json"),
            );
        let mut prefer = Vec::new();
        if req.immutable_ids {
            prefer.push("IdType=\"ImmutableId\"".to_owned());
        }
        if req.paged {
            prefer.push(format!("odata.maxpagesize={}", self.inner.page_size));
        }
        if !prefer.is_empty() {
            b = b.header("Prefer", prefer.join(", "));
        }
        if let Some(m) = &req.if_match {
            b = b.header(IF_MATCH, m.as_str());
        }
        if let Some(body) = &req.body {
            b = b
                .header(CONTENT_TYPE, HeaderValue::from_static("application/json"))
                .body(body.clone());
        }
        let resp = b.send().await?;
        let status = resp.status();
        let headers = resp.headers().clone();
        let body = resp.bytes().await?;
        Ok((status, headers, body))
    }

    /// GETs `first` and every `@odata.nextLink` after it; returns all `value` entries.
    pub(crate) async fn get_all(
        &self,
        first: String,
        bucket: Bucket<'_>,
    ) -> Result<Vec<Value>, GraphError> {
        let mut url = first;
        let mut out = Vec::new();
        for _ in 0..MAX_PAGES {
            let page: Page = self
                .execute(Req::new(Method::GET, url, bucket).paged())
                .await?
                .json()?;
            out.extend(page.value);
            match page.next_link {
                Some(next) => url = self.trusted(&next)?,
                None => return Ok(out),
            }
        }
        Err(GraphError::Decode(format!("more than {MAX_PAGES} pages")))
    }

    /// Runs one delta round from `first` (an initial delta URL or a stored delta link) to its
    /// `@odata.deltaLink`.
    pub(crate) async fn delta_round(
        &self,
        first: String,
        bucket: Bucket<'_>,
    ) -> Result<DeltaPage, GraphError> {
        let mut url = first;
        let mut items = Vec::new();
        let mut removed = Vec::new();
        for _ in 0..MAX_PAGES {
            let page: Page = self
                .execute(Req::new(Method::GET, url, bucket).paged())
                .await?
                .json()?;
            for v in page.value {
                match v.get("@removed") {
                    Some(r) => removed.push(Removed {
                        id: v
                            .get("id")
                            .and_then(Value::as_str)
                            .ok_or_else(|| GraphError::Decode("removed item without id".into()))?
                            .to_owned(),
                        reason: r
                            .get("reason")
                            .and_then(Value::as_str)
                            .unwrap_or("deleted")
                            .to_owned(),
                    }),
                    None => items.push(GraphItem::from_json(v)?),
                }
            }
            match (page.delta_link, page.next_link) {
                (Some(delta), _) => {
                    return Ok(DeltaPage {
                        items,
                        removed,
                        delta_link: self.trusted(&delta)?,
                    });
                }
                (None, Some(next)) => url = self.trusted(&next)?,
                (None, None) => {
                    return Err(GraphError::Decode(
                        "delta page with neither nextLink nor deltaLink".into(),
                    ));
                }
            }
        }
        Err(GraphError::Decode(format!("more than {MAX_PAGES} pages")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_are_followed_only_under_the_base_url() {
        let base = "https://graph.microsoft.com/v1.0";
        for ok in [
            "https://graph.microsoft.com/v1.0/users?$skiptoken=x",
            "https://graph.microsoft.com/v1.0/users/a/contacts/delta?$deltatoken=y",
        ] {
            assert_eq!(trusted_link(base, ok).unwrap(), ok);
        }
        for bad in [
            "https://evil.example/v1.0/users?$skiptoken=x",
            "https://graph.microsoft.com.evil.example/v1.0/users",
            "https://graph.microsoft.com/v1.0.evil/users",
            "https://graph.microsoft.com/v1.0@evil.example/users",
            "http://graph.microsoft.com/v1.0/users",
            "https://graph.microsoft.com/beta/users",
            "/v1.0/users",
        ] {
            assert!(
                matches!(trusted_link(base, bad), Err(GraphError::UntrustedLink(_))),
                "{bad}"
            );
        }
    }

    #[test]
    fn retry_after_is_parsed_defensively() {
        assert_eq!(retry_after_secs("7"), Some(Duration::from_secs(7)));
        assert_eq!(retry_after_secs(" 0.5 "), Some(Duration::from_millis(500)));
        assert_eq!(retry_after_secs("-1"), None);
        assert_eq!(retry_after_secs("NaN"), None);
        assert_eq!(retry_after_secs("Wed, 21 Oct 2015 07:28:00 GMT"), None);
    }

    #[test]
    fn change_keys_become_weak_etags() {
        assert_eq!(etag_of("EQAAAB"), "W/\"EQAAAB\"");
        assert_eq!(etag_of("W/\"EQAAAB\""), "W/\"EQAAAB\"");
        assert_eq!(etag_of("*"), "*");
    }

    #[test]
    fn ids_and_query_values_are_escaped() {
        assert_eq!(seg("ada@contoso.com"), "ada@contoso.com");
        assert_eq!(seg("AAMk/a+b=?#"), "AAMk%2Fa+b=%3F%23");
        assert_eq!(
            query_value("2025-01-01T00:00:00+01:00"),
            "2025-01-01T00:00:00%2B01:00"
        );
    }
}
