//! `POST /$batch`: up to 20 inner requests, each routed through the full stack (auth, throttling)
//! with its own status; `dependsOn` sequences them (failed dependency ⇒ 424), the rest run
//! concurrently — so more than 4 independent requests to one mailbox can hit the
//! MailboxConcurrency limit, as in Outlook.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use axum::Json;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, Method, Request, header};
use serde_json::{Map, Value, json};
use tower::ServiceExt;

use crate::error::GraphError;
use crate::shared::Shared;

/// Graph's limit on requests per batch.
pub(crate) const MAX_BATCH: usize = 20;

#[derive(Debug, Clone)]
struct Inner {
    id: String,
    method: Method,
    url: String,
    headers: Map<String, Value>,
    body: Option<Value>,
    depends_on: Vec<String>,
}

fn parse(body: Value) -> Result<Vec<Inner>, GraphError> {
    let bad = |m: String| GraphError::bad_request(m);
    let requests = body
        .get("requests")
        .and_then(Value::as_array)
        .ok_or_else(|| bad("The batch body must contain a 'requests' array.".into()))?;
    if requests.is_empty() || requests.len() > MAX_BATCH {
        return Err(bad(format!(
            "A batch must contain between 1 and {MAX_BATCH} requests."
        )));
    }
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    for r in requests {
        let id = match r.get("id") {
            Some(Value::String(s)) => s.clone(),
            Some(Value::Number(n)) => n.to_string(),
            _ => return Err(bad("Each batch request needs an id.".into())),
        };
        if !seen.insert(id.clone()) {
            return Err(bad(format!("Duplicate batch request id '{id}'.")));
        }
        let method = r
            .get("method")
            .and_then(Value::as_str)
            .and_then(|m| Method::from_bytes(m.to_ascii_uppercase().as_bytes()).ok())
            .ok_or_else(|| bad(format!("Request {id}: invalid method.")))?;
        let url = r
            .get("url")
            .and_then(Value::as_str)
            .filter(|u| !u.contains("://"))
            .ok_or_else(|| bad(format!("Request {id}: url must be relative.")))?;
        let url = format!("/v1.0/{}", url.trim_start_matches('/'));
        let headers = r
            .get("headers")
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default();
        let body = r.get("body").filter(|b| !b.is_null()).cloned();
        if body.is_some()
            && !headers
                .keys()
                .any(|k| k.eq_ignore_ascii_case("content-type"))
        {
            return Err(bad(format!(
                "Request {id}: a Content-Type header is required when a body is present."
            )));
        }
        let depends_on = r
            .get("dependsOn")
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default();
        out.push(Inner {
            id,
            method,
            url,
            headers,
            body,
            depends_on,
        });
    }
    for r in &out {
        if let Some(d) = r.depends_on.iter().find(|d| !seen.contains(*d)) {
            return Err(bad(format!(
                "Request {}: dependsOn refers to unknown id '{d}'.",
                r.id
            )));
        }
    }
    Ok(out)
}

async fn run_one(shared: Arc<Shared>, auth: Option<String>, r: Inner) -> (String, Value, u16) {
    let mut builder = Request::builder().method(r.method).uri(&r.url);
    for (k, v) in &r.headers {
        if let Some(v) = v.as_str() {
            builder = builder.header(k.as_str(), v);
        }
    }
    if let Some(a) = &auth {
        builder = builder.header(header::AUTHORIZATION, a);
    }
    let body = r
        .body
        .as_ref()
        .map_or_else(Body::empty, |b| Body::from(b.to_string()));
    let resp = match builder.body(body) {
        Ok(req) => {
            crate::router::router(Arc::clone(&shared))
                .oneshot(req)
                .await
        }
        Err(e) => {
            let v = json!({"id": r.id, "status": 400, "body": {"error": {"code": "BadRequest", "message": e.to_string()}}});
            return (r.id, v, 400);
        }
    };
    let resp = match resp {
        Ok(resp) => resp,
        Err(never) => match never {},
    };
    let status = resp.status().as_u16();
    let headers: Map<String, Value> = resp
        .headers()
        .iter()
        .filter_map(|(k, v)| Some((k.to_string(), Value::String(v.to_str().ok()?.to_owned()))))
        .collect();
    let bytes = axum::body::to_bytes(resp.into_body(), usize::MAX)
        .await
        .unwrap_or_default();
    let mut out = json!({ "id": r.id, "status": status, "headers": headers });
    if !bytes.is_empty() {
        out["body"] = serde_json::from_slice(&bytes)
            .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into_owned()));
    }
    (r.id, out, status)
}

/// `POST /v1.0/$batch`
pub(crate) async fn batch(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    Json(body): Json<Value>,
) -> Result<Json<Value>, GraphError> {
    let mut pending = parse(body)?;
    let auth = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let mut status: HashMap<String, u16> = HashMap::new();
    let mut responses = Vec::new();
    while !pending.is_empty() {
        // dependents of failed requests: 424
        let (failed, rest): (Vec<Inner>, Vec<Inner>) = pending.into_iter().partition(|r| {
            r.depends_on
                .iter()
                .any(|d| status.get(d).is_some_and(|s| *s >= 400))
        });
        for r in failed {
            status.insert(r.id.clone(), 424);
            responses.push(json!({"id": r.id, "status": 424, "body": {"error": {
                "code": "FailedDependency", "message": "A request this one depends on failed."}}}));
        }
        let (ready, waiting): (Vec<Inner>, Vec<Inner>) = rest
            .into_iter()
            .partition(|r| r.depends_on.iter().all(|d| status.contains_key(d)));
        if ready.is_empty() {
            // cycle: nothing can run
            for r in waiting {
                responses.push(json!({"id": r.id, "status": 424, "body": {"error": {
                    "code": "FailedDependency", "message": "Circular dependsOn."}}}));
            }
            break;
        }
        let mut set = tokio::task::JoinSet::new();
        for r in ready {
            set.spawn(run_one(Arc::clone(&shared), auth.clone(), r));
        }
        while let Some(done) = set.join_next().await {
            if let Ok((id, resp, st)) = done {
                status.insert(id, st);
                responses.push(resp);
            }
        }
        pending = waiting;
    }
    Ok(Json(json!({ "responses": responses })))
}
