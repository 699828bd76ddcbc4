//! One error type for every HTTP answer that is not a success: a status and a JSON body
//! `{error, message, request_id}`. Client errors say what is wrong; server errors say only that
//! something failed (the detail goes to the log, with the same request id, never to the client).

use axum::Json;
use axum::response::{IntoResponse, Response};
use bridge_blobs::BlobError;
use bridge_queue::QueueError;
use bridge_store::StoreError;
use http::StatusCode;
use serde::Serialize;

use crate::request::current_request_id;

/// An error answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{status} {code}: {message}")]
pub struct ApiError {
    /// HTTP status.
    pub status: StatusCode,
    /// Stable machine-readable code, e.g. `not_found`.
    pub code: &'static str,
    /// Human-readable explanation, safe to show to the caller.
    pub message: String,
}

#[derive(Serialize)]
struct Body<'a> {
    error: &'a str,
    message: &'a str,
    request_id: String,
}

impl ApiError {
    /// Any status and code.
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
        }
    }

    /// 400: the request is malformed.
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "bad_request", message)
    }

    /// 401: no valid credentials.
    pub fn unauthorized(message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "unauthorized", message)
    }

    /// 403: valid credentials, not allowed.
    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, "forbidden", message)
    }

    /// 404: nothing here (also for things that exist but the caller may not know of).
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", message)
    }

    /// 409: the state changed under the caller, or the thing already exists.
    pub fn conflict(message: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, "conflict", message)
    }

    /// 413: the body is larger than allowed.
    pub fn too_large(message: impl Into<String>) -> Self {
        Self::new(StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large", message)
    }

    /// 503: a dependency is not ready; retry later.
    pub fn unavailable(message: impl Into<String>) -> Self {
        Self::new(StatusCode::SERVICE_UNAVAILABLE, "unavailable", message)
    }

    /// 500 with the cause logged, not returned.
    pub fn internal(cause: &dyn std::fmt::Display) -> Self {
        tracing::error!(error = %cause, "internal error");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "internal error",
        )
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = Body {
            error: self.code,
            message: &self.message,
            request_id: current_request_id(),
        };
        (self.status, Json(body)).into_response()
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::ConditionFailed | StoreError::TransactionCanceled { .. } => {
                ApiError::conflict("the item changed or already exists")
            }
            StoreError::InvalidCursor => ApiError::bad_request("invalid page cursor"),
            StoreError::Invalid(m) => ApiError::internal(&format!("store refused a request: {m}")),
            StoreError::Backend(m) => {
                tracing::error!(error = %m, "store backend error");
                ApiError::unavailable("storage is unavailable, retry later")
            }
        }
    }
}

impl From<BlobError> for ApiError {
    fn from(e: BlobError) -> Self {
        match e {
            BlobError::NotFound(_) => ApiError::not_found("content not found"),
            BlobError::TooLarge { limit } => {
                ApiError::too_large(format!("the body exceeds the limit of {limit} bytes"))
            }
            BlobError::Body(err) => {
                ApiError::bad_request(format!("reading the request body failed: {err}"))
            }
            BlobError::InvalidKey(m) => ApiError::internal(&format!("invalid blob key: {m}")),
            BlobError::Backend(m) => {
                tracing::error!(error = %m, "blob backend error");
                ApiError::unavailable("storage is unavailable, retry later")
            }
        }
    }
}

impl From<QueueError> for ApiError {
    fn from(e: QueueError) -> Self {
        match e {
            QueueError::Backend(m) => {
                tracing::error!(error = %m, "queue backend error");
                ApiError::unavailable("queue is unavailable, retry later")
            }
            other => ApiError::internal(&other),
        }
    }
}
