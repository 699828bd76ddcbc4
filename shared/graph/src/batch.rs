//! JSON batching (`POST /$batch`): up to 20 requests in one HTTP call. Each inner request is
//! throttled by Outlook on its own, so inner 429/503 answers are retried here (only those, plus
//! the 424s they caused through `dependsOn`), after their `Retry-After`.
//!
//! In our usage a batch targets one mailbox, given as a parameter: the batch is charged one window
//! slot per inner request and takes up to `max_concurrency` permits of that mailbox. Outlook runs
//! at most 4 inner requests of one mailbox at once, so keep at most that many independent
//! requests in a batch, or chain them with `depends_on`.

use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant};

use reqwest::Method;
use serde_json::{Map, Value, json};

use crate::client::{GraphClient, Req, retry_after_secs};
use crate::error::GraphError;
use crate::limiter::Bucket;
use crate::model::{BatchRequest, BatchResponse};

/// Graph's limit on requests per batch.
pub const MAX_BATCH_REQUESTS: usize = 20;

fn invalid(msg: String) -> GraphError {
    GraphError::InvalidRequest(msg)
}

/// Checks what Graph would reject with a 400 for the whole batch, before anything is sent.
fn validate(requests: &[BatchRequest]) -> Result<(), GraphError> {
    if requests.is_empty() {
        return Err(invalid("a batch needs at least one request".into()));
    }
    if requests.len() > MAX_BATCH_REQUESTS {
        return Err(invalid(format!(
            "a batch holds at most {MAX_BATCH_REQUESTS} requests, got {}",
            requests.len()
        )));
    }
    let mut ids = HashSet::new();
    for r in requests {
        if r.id.is_empty() || !ids.insert(r.id.as_str()) {
            return Err(invalid(format!(
                "batch request id '{}' is empty or repeated",
                r.id
            )));
        }
        if !r.url.starts_with('/') || r.url.contains("://") {
            return Err(invalid(format!(
                "batch request '{}': the url must be relative, like /users/{{id}}/contacts",
                r.id
            )));
        }
    }
    if let Some((r, d)) = requests.iter().find_map(|r| {
        r.depends_on
            .iter()
            .find(|d| !ids.contains(d.as_str()))
            .map(|d| (r, d))
    }) {
        return Err(invalid(format!(
            "batch request '{}' depends on unknown id '{d}'",
            r.id
        )));
    }
    Ok(())
}

fn wire(requests: &[BatchRequest]) -> Value {
    let requests: Vec<Value> = requests
        .iter()
        .map(|r| {
            let mut headers = Map::new();
            headers.insert("Prefer".into(), json!("IdType=\"ImmutableId\""));
            let mut v = json!({ "id": r.id, "method": r.method.as_str(), "url": r.url });
            if let Some(body) = &r.body {
                headers.insert("Content-Type".into(), json!("application/json"));
                v["body"] = body.clone();
            }
            if !r.depends_on.is_empty() {
                v["dependsOn"] = json!(r.depends_on);
            }
            v["headers"] = Value::Object(headers);
            v
        })
        .collect();
    json!({ "requests": requests })
}

fn parse_responses(body: &Value) -> Result<Vec<BatchResponse>, GraphError> {
    let list = body
        .get("responses")
        .and_then(Value::as_array)
        .ok_or_else(|| GraphError::Decode("$batch answer without 'responses'".into()))?;
    list.iter()
        .map(|r| {
            let id = match r.get("id") {
                Some(Value::String(s)) => s.clone(),
                Some(Value::Number(n)) => n.to_string(),
                _ => return Err(GraphError::Decode("$batch response without an id".into())),
            };
            let status = r
                .get("status")
                .and_then(Value::as_u64)
                .and_then(|s| u16::try_from(s).ok())
                .ok_or_else(|| {
                    GraphError::Decode(format!("$batch response '{id}' without status"))
                })?;
            let retry_after = r
                .get("headers")
                .and_then(Value::as_object)
                .and_then(|h| {
                    h.iter()
                        .find(|(k, _)| k.eq_ignore_ascii_case("retry-after"))
                        .and_then(|(_, v)| v.as_str())
                })
                .and_then(retry_after_secs);
            Ok(BatchResponse {
                id,
                status,
                body: r.get("body").filter(|b| !b.is_null()).cloned(),
                retry_after,
            })
        })
        .collect()
}

fn throttled(status: u16) -> bool {
    status == 429 || status == 503
}

/// Ids to send again: throttled ones, and the 424s whose dependency (directly or not) was
/// throttled, since those never ran.
fn to_retry(pending: &[BatchRequest], answers: &HashMap<String, BatchResponse>) -> HashSet<String> {
    let mut retry: HashSet<String> = answers
        .values()
        .filter(|a| throttled(a.status))
        .map(|a| a.id.clone())
        .collect();
    loop {
        let before = retry.len();
        for r in pending {
            let failed_dep = answers.get(&r.id).is_some_and(|a| a.status == 424);
            if failed_dep && r.depends_on.iter().any(|d| retry.contains(d)) {
                retry.insert(r.id.clone());
            }
        }
        if retry.len() == before {
            return retry;
        }
    }
}

impl GraphClient {
    /// Sends up to [`MAX_BATCH_REQUESTS`] requests aimed at `mailbox` in one `$batch`, retrying
    /// inner 429/503 answers after their `Retry-After`. Returns one response per request, in
    /// request order; a request still throttled after every retry keeps its 429 and
    /// `retry_after`. More than 20 requests (or duplicate ids, unknown `depends_on`, absolute
    /// urls) are rejected with [`GraphError::InvalidRequest`] before anything is sent.
    pub async fn batch(
        &self,
        mailbox: &str,
        requests: Vec<BatchRequest>,
    ) -> Result<Vec<BatchResponse>, GraphError> {
        validate(&requests)?;
        let order: Vec<String> = requests.iter().map(|r| r.id.clone()).collect();
        let policy = self.retry_policy();
        let mut results: HashMap<String, BatchResponse> = HashMap::new();
        let mut pending = requests;
        let mut retries = 0u32;
        loop {
            let weight = u32::try_from(pending.len()).unwrap_or(u32::MAX);
            let url = self.url("/$batch");
            let answer: Value = self
                .execute(
                    Req::new(Method::POST, url, Bucket::Mailbox(mailbox))
                        .json(&wire(&pending))?
                        .weight(weight),
                )
                .await?
                .json()?;
            let mut answers: HashMap<String, BatchResponse> = parse_responses(&answer)?
                .into_iter()
                .map(|a| (a.id.clone(), a))
                .collect();
            if let Some(missing) = pending.iter().find(|r| !answers.contains_key(&r.id)) {
                return Err(GraphError::Decode(format!(
                    "$batch answer lacks request '{}'",
                    missing.id
                )));
            }
            let retry = to_retry(&pending, &answers);
            let wait = answers
                .values()
                .filter(|a| retry.contains(&a.id))
                .filter_map(|a| a.retry_after)
                .max()
                .unwrap_or(policy.default_backoff);
            for r in &pending {
                if let Some(a) = answers.remove(&r.id) {
                    results.insert(r.id.clone(), a);
                }
            }
            if retry.is_empty() || retries >= policy.max_retries {
                break;
            }
            retries += 1;
            let wait: Duration = wait.min(policy.max_backoff);
            tracing::warn!(
                requests = retry.len(),
                retry = retries,
                wait_ms = wait.as_millis() as u64,
                "graph $batch requests throttled; retrying them"
            );
            self.pause(Bucket::Mailbox(mailbox), Instant::now() + wait);
            pending = pending
                .into_iter()
                .filter(|r| retry.contains(&r.id))
                .map(|mut r| {
                    r.depends_on.retain(|d| retry.contains(d));
                    r
                })
                .collect();
        }
        order
            .iter()
            .map(|id| {
                results.remove(id).ok_or_else(|| {
                    GraphError::Decode(format!("no answer for batch request '{id}'"))
                })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn get(id: &str, deps: &[&str]) -> BatchRequest {
        BatchRequest {
            id: id.into(),
            method: Method::GET,
            url: "/users/u/contacts".into(),
            body: None,
            depends_on: deps.iter().map(|d| (*d).to_owned()).collect(),
        }
    }

    #[test]
    fn invalid_batches_are_rejected() {
        let many: Vec<BatchRequest> = (0..21).map(|i| get(&i.to_string(), &[])).collect();
        assert!(validate(&many[..20]).is_ok());
        assert!(matches!(
            validate(&many),
            Err(GraphError::InvalidRequest(_))
        ));
        assert!(validate(&[]).is_err());
        assert!(validate(&[get("1", &[]), get("1", &[])]).is_err());
        assert!(validate(&[get("1", &["2"])]).is_err());
        let mut abs = get("1", &[]);
        abs.url = "https://evil.example/v1.0/users".into();
        assert!(validate(&[abs]).is_err());
    }

    #[test]
    fn dependents_of_throttled_requests_are_retried_too() {
        let pending = vec![
            get("1", &[]),
            get("2", &["1"]),
            get("3", &["2"]),
            get("4", &[]),
        ];
        let answer = |id: &str, status: u16| BatchResponse {
            id: id.into(),
            status,
            body: None,
            retry_after: None,
        };
        let answers: HashMap<String, BatchResponse> = [
            answer("1", 429),
            answer("2", 424),
            answer("3", 424),
            answer("4", 404),
        ]
        .into_iter()
        .map(|a| (a.id.clone(), a))
        .collect();
        let mut got: Vec<String> = to_retry(&pending, &answers).into_iter().collect();
        got.sort();
        assert_eq!(got, ["1", "2", "3"]);
    }

    #[test]
    fn responses_are_parsed_defensively() {
        let body = json!({"responses": [
            {"id": "1", "status": 201, "body": {"id": "x"}},
            {"id": 2, "status": 429, "headers": {"Retry-After": "3"}},
        ]});
        let r = parse_responses(&body).unwrap();
        assert_eq!(r[0].body, Some(json!({"id": "x"})));
        assert_eq!(r[1].id, "2");
        assert_eq!(r[1].retry_after, Some(Duration::from_secs(3)));
        assert!(parse_responses(&json!({})).is_err());
        assert!(parse_responses(&json!({"responses": [{"id": "1"}]})).is_err());
    }
}
