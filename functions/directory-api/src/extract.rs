//! A JSON body extractor whose rejections come out in our JSON error shape.

use axum::extract::{FromRequest, Request};
use bridge_http::ApiError;
use serde::de::DeserializeOwned;

/// A JSON request body; a syntax, type or content-type error is a 400 in our shape.
#[derive(Debug, Clone)]
pub(crate) struct JsonBody<T>(pub T);

impl<S, T> FromRequest<S> for JsonBody<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match axum::Json::<T>::from_request(req, state).await {
            Ok(axum::Json(v)) => Ok(JsonBody(v)),
            Err(r) => Err(ApiError::bad_request(r.body_text())),
        }
    }
}
