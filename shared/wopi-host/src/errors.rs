//! What the host answers: a status, WOPI headers and an optional JSON body. WOPI wants bare
//! status codes with headers (409 + `X-WOPI-Lock`, 412, 413, 501), not our JSON error shape.

use bridge_documents::DocError;
use bridge_wopi::lock::LockOutcome;

/// An answer to Office.
#[derive(Debug, Clone, PartialEq)]
pub struct Reply {
    /// HTTP status.
    pub status: u16,
    /// Headers to set (lowercase names).
    pub headers: Vec<(&'static str, String)>,
    /// JSON body, if any.
    pub body: Option<serde_json::Value>,
}

impl Reply {
    /// 200 with no body.
    pub fn ok() -> Self {
        Self {
            status: 200,
            headers: Vec::new(),
            body: None,
        }
    }

    /// 200 with a JSON body.
    pub fn json(body: serde_json::Value) -> Self {
        Self {
            status: 200,
            headers: Vec::new(),
            body: Some(body),
        }
    }

    /// Adds a header.
    pub fn header(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.headers.push((name, value.into()));
        self
    }

    /// The answer for a lock-rule outcome that is not a success (409/400/413), with the
    /// `X-WOPI-Lock` and `X-WOPI-LockFailureReason` headers the rule prescribes.
    pub fn from_outcome(outcome: &LockOutcome) -> Self {
        let mut r = Self {
            status: outcome.status(),
            headers: Vec::new(),
            body: None,
        };
        if let Some(lock) = outcome.lock_header() {
            r.headers
                .push((bridge_wopi::headers::LOCK, lock.to_string()));
        }
        if let Some(reason) = outcome.failure_reason() {
            r.headers.push((
                bridge_wopi::headers::LOCK_FAILURE_REASON,
                reason.to_string(),
            ));
        }
        r
    }
}

/// A refused request.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("WOPI {status}: {reason}")]
pub struct WopiError {
    /// HTTP status (401, 404, 409, 412, 413, 500, 501…).
    pub status: u16,
    /// For logs and `X-WOPI-ServerError`; never contains a token or content.
    pub reason: String,
}

impl WopiError {
    /// Any status.
    pub fn new(status: u16, reason: impl Into<String>) -> Self {
        Self {
            status,
            reason: reason.into(),
        }
    }

    /// 401: the token is missing, invalid or expired.
    pub fn unauthorized(reason: impl Into<String>) -> Self {
        Self::new(401, reason)
    }

    /// 404: no such file for this token.
    pub fn not_found() -> Self {
        Self::new(404, "file not found")
    }
}

impl From<DocError> for WopiError {
    fn from(e: DocError) -> Self {
        match e {
            DocError::NotFound(_) | DocError::InvalidId(_) => WopiError::not_found(),
            DocError::Forbidden(m) => WopiError::unauthorized(m),
            DocError::TooLarge { limit } => {
                WopiError::new(413, format!("larger than {limit} bytes"))
            }
            DocError::InvalidName(m) | DocError::InvalidInput(m) => WopiError::new(400, m),
            DocError::Archived => WopiError::new(409, "the document is archived"),
            DocError::Conflict(m) | DocError::PreconditionFailed(m) => WopiError::new(409, m),
            DocError::Blob(bridge_blobs::BlobError::Body(io)) => {
                WopiError::new(400, format!("reading the body failed: {io}"))
            }
            other => {
                tracing::error!(error = %other, "WOPI request failed");
                WopiError::new(500, "internal error")
            }
        }
    }
}
