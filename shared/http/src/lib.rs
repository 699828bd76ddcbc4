//! Shared axum pieces of every HTTP function: the error type and its JSON response, API bearer
//! tokens and their extractor, request ids and the request span, health routes, and the
//! finishing layers.

pub mod auth;
pub mod error;
pub mod health;
pub mod lambda;
pub mod page;
pub mod person;
pub mod request;

pub use auth::ApiUser;
pub use error::ApiError;
pub use health::Readiness;

use axum::Router;

/// Wraps a function's router (or the local runner's merged router) with what every service
/// needs: JSON 404/405 answers in our error shape, and the request span + request id.
pub fn finish(router: Router) -> Router {
    router
        .fallback(|| async { ApiError::not_found("no such route") })
        .method_not_allowed_fallback(|| async {
            ApiError::new(
                http::StatusCode::METHOD_NOT_ALLOWED,
                "method_not_allowed",
                "method not allowed",
            )
        })
        .layer(axum::middleware::from_fn(request::request_context))
}
