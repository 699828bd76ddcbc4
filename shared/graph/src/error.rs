//! What can go wrong talking to Graph, as one enum whose variants are the decisions a caller makes:
//! restart a delta round, re-read and merge, back off, fix the request, or give up. Graph's error
//! body `{"error":{"code","message"}}` is parsed defensively: a missing or malformed body still
//! yields an error with the status, never a panic.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::Value;

/// An error of a Graph call.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GraphError {
    /// 429/503 still answered after every retry; the mailbox (or app) should be left alone for
    /// `retry_after`.
    #[error("throttled by Graph; retry after {retry_after:?}")]
    Throttled {
        /// The last `Retry-After` (or the back-off used when there was none).
        retry_after: Duration,
    },
    /// 404: the item, folder, user or subscription does not exist.
    #[error("not found")]
    NotFound,
    /// The delta token is no longer valid (410 Gone, or `syncStateNotFound` / `resyncRequired`):
    /// the delta round must restart without a link and reconcile.
    #[error("delta sync state not found; a full resync is required")]
    SyncStateNotFound,
    /// 412: the `If-Match` change key is stale; re-read, merge, retry.
    #[error("precondition failed (stale change key)")]
    PreconditionFailed,
    /// 409: e.g. a folder with that name exists.
    #[error("conflict")]
    Conflict,
    /// 401/403 (after one token refresh), or the token endpoint refused the credentials.
    #[error("not authorised: {0}")]
    Auth(String),
    /// Another 4xx: the request is wrong and retrying will not help.
    #[error("bad request ({code}): {message}")]
    BadRequest {
        /// Graph's `error.code`.
        code: String,
        /// Graph's `error.message`.
        message: String,
    },
    /// 5xx (other than a retried 503/504 that finally succeeded).
    #[error("Graph server error {status} ({code})")]
    Server {
        /// HTTP status.
        status: u16,
        /// Graph's `error.code` (may be empty).
        code: String,
    },
    /// The request was refused before sending: more than 20 `$batch` requests, duplicate ids…
    #[error("invalid request: {0}")]
    InvalidRequest(String),
    /// A paging or delta link does not start with the configured base URL; following it would
    /// send the token to another host.
    #[error("refusing to follow a link outside the Graph base URL: {0}")]
    UntrustedLink(String),
    /// The request could not be sent (connection refused, DNS, TLS): Graph did not see it.
    #[error("transport error: {0}")]
    Transport(String),
    /// The request went out but no answer came back (timeout, reset): Graph may have processed
    /// it. Callers of non-idempotent operations (sendMail) must not assume either outcome.
    #[error("no answer from Graph, outcome unknown: {0}")]
    Unconfirmed(String),
    /// A response body was not what Graph documents.
    #[error("could not decode Graph's response: {0}")]
    Decode(String),
}

/// Graph's error body, read field by field.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(crate) struct ErrorBody {
    pub code: String,
    pub message: String,
}

impl ErrorBody {
    /// Reads `{"error":{"code","message"}}`; anything else gives empty strings.
    pub(crate) fn parse(bytes: &[u8]) -> Self {
        let Ok(v) = serde_json::from_slice::<Value>(bytes) else {
            return Self::default();
        };
        let field = |k: &str| {
            v.get("error")
                .and_then(|e| e.get(k))
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned()
        };
        Self {
            code: field("code"),
            message: field("message"),
        }
    }
}

/// Error codes meaning "the delta token is gone, start over" (seen with 400 and 410).
const RESYNC_CODES: &[&str] = &[
    "syncStateNotFound",
    "syncStateInvalid",
    "resyncRequired",
    "resyncApplicationRequired",
];

/// Maps a non-success, non-retried answer to a [`GraphError`].
pub(crate) fn from_status(status: StatusCode, body: &[u8]) -> GraphError {
    let ErrorBody { code, message } = ErrorBody::parse(body);
    if status == StatusCode::GONE || RESYNC_CODES.iter().any(|c| c.eq_ignore_ascii_case(&code)) {
        return GraphError::SyncStateNotFound;
    }
    match status {
        StatusCode::NOT_FOUND => GraphError::NotFound,
        StatusCode::PRECONDITION_FAILED => GraphError::PreconditionFailed,
        StatusCode::CONFLICT => GraphError::Conflict,
        StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => {
            GraphError::Auth(format!("{} {code}: {message}", status.as_u16()))
        }
        s if s.is_server_error() => GraphError::Server {
            status: s.as_u16(),
            code,
        },
        _ => GraphError::BadRequest { code, message },
    }
}

impl From<reqwest::Error> for GraphError {
    fn from(e: reqwest::Error) -> Self {
        // reqwest's Display includes the URL but never headers, so no token can leak here.
        if e.is_connect() || e.is_builder() {
            Self::Transport(e.to_string())
        } else {
            Self::Unconfirmed(e.to_string())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_bodies_are_parsed_defensively() {
        let ok = ErrorBody::parse(br#"{"error":{"code":"ErrorItemNotFound","message":"gone"}}"#);
        assert_eq!(ok.code, "ErrorItemNotFound");
        assert_eq!(ok.message, "gone");
        for junk in [
            &b""[..],
            b"<html>",
            b"[]",
            b"{\"error\":42}",
            b"{\"error\":{\"code\":1}}",
        ] {
            assert_eq!(ErrorBody::parse(junk), ErrorBody::default());
        }
    }

    #[test]
    fn statuses_and_codes_map_to_variants() {
        let body = |c: &str| format!(r#"{{"error":{{"code":"{c}","message":"m"}}}}"#);
        assert_eq!(
            from_status(StatusCode::GONE, b""),
            GraphError::SyncStateNotFound
        );
        assert_eq!(
            from_status(
                StatusCode::BAD_REQUEST,
                body("SyncStateNotFound").as_bytes()
            ),
            GraphError::SyncStateNotFound
        );
        assert_eq!(
            from_status(StatusCode::BAD_REQUEST, body("resyncRequired").as_bytes()),
            GraphError::SyncStateNotFound
        );
        assert_eq!(
            from_status(StatusCode::PRECONDITION_FAILED, b"x"),
            GraphError::PreconditionFailed
        );
        assert_eq!(
            from_status(StatusCode::NOT_FOUND, b""),
            GraphError::NotFound
        );
        assert_eq!(from_status(StatusCode::CONFLICT, b""), GraphError::Conflict);
        assert!(matches!(
            from_status(StatusCode::FORBIDDEN, b""),
            GraphError::Auth(_)
        ));
        assert_eq!(
            from_status(StatusCode::BAD_REQUEST, body("BadRequest").as_bytes()),
            GraphError::BadRequest {
                code: "BadRequest".into(),
                message: "m".into()
            }
        );
        assert_eq!(
            from_status(StatusCode::BAD_GATEWAY, b"oops"),
            GraphError::Server {
                status: 502,
                code: String::new()
            }
        );
    }
}
