//! Mapping the domain's and the WOPI host's refusals to our JSON error answers, in one place so
//! every route answers the same status for the same cause.

use bridge_documents::DocError;
use bridge_http::ApiError;
use bridge_wopi_host::WopiError;
use http::StatusCode;

/// A documents refusal as an HTTP answer. Client mistakes say what is wrong; our own failures
/// are a 500 whose cause goes to the log only.
pub(crate) fn doc_error(e: DocError) -> ApiError {
    match e {
        DocError::NotFound(m) => ApiError::not_found(m),
        DocError::Forbidden(m) => ApiError::forbidden(m),
        DocError::InvalidName(m) | DocError::InvalidInput(m) | DocError::InvalidId(m) => {
            ApiError::bad_request(m)
        }
        DocError::TooLarge { limit } => {
            ApiError::too_large(format!("the document exceeds the limit of {limit} bytes"))
        }
        DocError::Archived => ApiError::conflict("the document is archived"),
        DocError::Conflict(m) | DocError::PreconditionFailed(m) => ApiError::conflict(m),
        other => ApiError::internal(&other),
    }
}

/// A WOPI host refusal (from opening a session) as an HTTP answer.
pub(crate) fn wopi_error(e: WopiError) -> ApiError {
    match e.status {
        400 => ApiError::bad_request(e.reason),
        401 | 403 => ApiError::forbidden(e.reason),
        404 => ApiError::not_found(e.reason),
        409 => ApiError::conflict(e.reason),
        413 => ApiError::too_large(e.reason),
        _ => ApiError::internal(&e.reason),
    }
}

/// 409 for changes while Office holds the document's lock: the editing session would lose its
/// work or fail at its next save.
pub(crate) fn locked() -> ApiError {
    ApiError::new(
        StatusCode::CONFLICT,
        "locked",
        "the document is open for editing in Office; try again when it is closed",
    )
}
