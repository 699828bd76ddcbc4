//! The HTTP handlers: handshake, size limit, parsing, checking, enqueueing, 202.

use std::sync::Arc;

use axum::body::Body;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use bridge_graph_subs::SubsError;
use bridge_http::ApiError;
use bridge_platform::QueueName;
use bridge_queue::Queue;
use bridge_store::Table;

use crate::check::{Dropped, authentic};
use crate::payload::{parse, validation_token};
use crate::plan::{Endpoint, plan};

/// Largest notification body read (Graph batches stay far below it).
pub const MAX_BODY: usize = 1024 * 1024;

/// What the handlers need: the table with the subscription records and the two queues.
#[derive(Debug, Clone)]
pub(crate) struct Hook {
    pub table: Arc<dyn Table>,
    pub sync: Arc<dyn Queue>,
    pub subscriptions: Arc<dyn Queue>,
}

/// `POST /graph/notifications`.
pub(crate) async fn notifications(
    State(hook): State<Hook>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: Body,
) -> Response {
    receive(&hook, Endpoint::Changes, query, &headers, body)
        .await
        .unwrap_or_else(IntoResponse::into_response)
}

/// `POST /graph/lifecycle`.
pub(crate) async fn lifecycle(
    State(hook): State<Hook>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: Body,
) -> Response {
    receive(&hook, Endpoint::Lifecycle, query, &headers, body)
        .await
        .unwrap_or_else(IntoResponse::into_response)
}

async fn receive(
    hook: &Hook,
    endpoint: Endpoint,
    query: Option<String>,
    headers: &HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    // The handshake comes before any parsing: its body is not JSON.
    if let Some(token) = validation_token(query.as_deref()) {
        return Ok((
            StatusCode::OK,
            [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
            token,
        )
            .into_response());
    }
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > MAX_BODY) {
        return Err(too_large());
    }
    let bytes = axum::body::to_bytes(body, MAX_BODY)
        .await
        .map_err(|_| too_large())?;
    let envelope = parse(&bytes).ok_or_else(|| {
        ApiError::bad_request("expected a JSON object with a `value` array of notifications")
    })?;
    let mut dropped = Dropped::default();
    let valid = authentic(hook.table.as_ref(), &envelope.value, &mut dropped)
        .await
        .map_err(subs_error)?;
    if valid.is_empty() {
        tracing::warn!(
            items = envelope.value.len(),
            unknown = dropped.unknown,
            mismatched = dropped.mismatched,
            "graph notifications refused: no valid item"
        );
        return Err(ApiError::forbidden(
            "no notification in the request is valid",
        ));
    }
    let messages = plan(endpoint, &valid, &mut dropped);
    for (queue, msg) in &messages {
        let q = match queue {
            QueueName::Subscriptions => &hook.subscriptions,
            _ => &hook.sync,
        };
        q.send(msg.clone())
            .await
            .map_err(|e| ApiError::internal(&e))?;
    }
    tracing::info!(
        items = envelope.value.len(),
        valid = valid.len(),
        unknown = dropped.unknown,
        mismatched = dropped.mismatched,
        unhandled = dropped.unhandled,
        enqueued = messages.len(),
        "graph notifications accepted"
    );
    Ok(StatusCode::ACCEPTED.into_response())
}

fn too_large() -> ApiError {
    ApiError::too_large(format!(
        "the body exceeds {MAX_BODY} bytes or is unreadable"
    ))
}

fn subs_error(e: SubsError) -> ApiError {
    match e {
        SubsError::Store(e) => e.into(),
        SubsError::Corrupt(_) => ApiError::internal(&e),
    }
}
