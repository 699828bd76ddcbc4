//! Errors: [`EmulatorError`] for the Rust API, `GraphError` for HTTP responses in Graph's shape.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

/// Errors of the test-facing API (and the source of most HTTP errors).
#[derive(Debug, thiserror::Error)]
pub enum EmulatorError {
    /// Binding the listener failed.
    #[error("could not bind the emulator: {0}")]
    Io(#[from] std::io::Error),
    /// Building the notification HTTP client failed.
    #[error("could not build the HTTP client: {0}")]
    Client(#[from] reqwest::Error),
    /// No such tenant.
    #[error("unknown tenant {0}")]
    UnknownTenant(String),
    /// No such user (id or userPrincipalName) in the tenant.
    #[error("unknown user {0}")]
    UnknownUser(String),
    /// No such item, folder or subscription.
    #[error("not found: {0}")]
    NotFound(String),
    /// `If-Match` did not match the current change key.
    #[error(
        "the change key passed in the request does not match the current change key of the item: {0}"
    )]
    PreconditionFailed(String),
    /// The item already exists (e.g. a folder name).
    #[error("conflict: {0}")]
    Conflict(String),
    /// Bad input.
    #[error("invalid request: {0}")]
    Invalid(String),
    /// Signing an id token failed.
    #[error("could not sign the token: {0}")]
    Signing(String),
}

/// An HTTP error rendered as `{"error":{"code","message"}}`.
#[derive(Debug)]
pub(crate) struct GraphError {
    pub status: StatusCode,
    pub code: String,
    pub message: String,
    pub retry_after: Option<u64>,
    pub location: Option<String>,
}

impl GraphError {
    pub(crate) fn new(status: StatusCode, code: &str, message: impl Into<String>) -> Self {
        Self {
            status,
            code: code.to_owned(),
            message: message.into(),
            retry_after: None,
            location: None,
        }
    }

    pub(crate) fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "BadRequest", message)
    }

    pub(crate) fn unauthorized(message: impl Into<String>) -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "InvalidAuthenticationToken",
            message,
        )
    }

    pub(crate) fn throttled(retry_after: u64, message: impl Into<String>) -> Self {
        Self {
            retry_after: Some(retry_after),
            ..Self::new(
                StatusCode::TOO_MANY_REQUESTS,
                "ApplicationThrottled",
                message,
            )
        }
    }
}

impl From<EmulatorError> for GraphError {
    fn from(e: EmulatorError) -> Self {
        let msg = e.to_string();
        match e {
            EmulatorError::UnknownUser(_) | EmulatorError::UnknownTenant(_) => {
                Self::new(StatusCode::NOT_FOUND, "ErrorInvalidUser", msg)
            }
            EmulatorError::NotFound(_) => {
                Self::new(StatusCode::NOT_FOUND, "ErrorItemNotFound", msg)
            }
            EmulatorError::PreconditionFailed(_) => Self::new(
                StatusCode::PRECONDITION_FAILED,
                "ErrorIrresolvableConflict",
                msg,
            ),
            EmulatorError::Conflict(_) => Self::new(StatusCode::CONFLICT, "ErrorFolderExists", msg),
            EmulatorError::Invalid(_) => Self::bad_request(msg),
            EmulatorError::Io(_) | EmulatorError::Client(_) | EmulatorError::Signing(_) => {
                Self::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "InternalServerError",
                    msg,
                )
            }
        }
    }
}

impl IntoResponse for GraphError {
    fn into_response(self) -> Response {
        let body = json!({
            "error": {
                "code": self.code,
                "message": self.message,
                "innerError": {
                    "date": crate::time::format_millis(crate::time::now_millis()),
                    "request-id": uuid::Uuid::new_v4().to_string(),
                }
            }
        });
        let mut resp = (self.status, axum::Json(body)).into_response();
        if let Some(secs) = self.retry_after {
            resp.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        if let Some(loc) = self.location.and_then(|l| HeaderValue::from_str(&l).ok()) {
            resp.headers_mut().insert(header::LOCATION, loc);
        }
        resp
    }
}
