//! Extractors whose rejections come out in our JSON error shape (axum's own answer in plain
//! text), and the paging parameters shared by the list routes.

use axum::extract::{FromRequest, FromRequestParts, Request};
use bridge_documents::PageRequest;
use bridge_documents::paging::DEFAULT_PAGE_SIZE;
use bridge_http::ApiError;
use bridge_store::Cursor;
use http::request::Parts;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

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

/// Query parameters; a malformed query is a 400 in our shape.
#[derive(Debug, Clone)]
pub(crate) struct QueryParams<T>(pub T);

impl<S, T> FromRequestParts<S> for QueryParams<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match axum::extract::Query::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Query(v)) => Ok(QueryParams(v)),
            Err(r) => Err(ApiError::bad_request(r.body_text())),
        }
    }
}

/// `?cursor=&limit=`: which page of a list.
#[derive(Debug, Clone, Default, Deserialize)]
pub(crate) struct Paging {
    /// The `next` of the previous page.
    pub cursor: Option<String>,
    /// Page size (the domain checks the bounds).
    pub limit: Option<usize>,
}

impl Paging {
    /// The domain's page request (an empty cursor means the first page).
    pub fn page(&self) -> PageRequest {
        PageRequest::after(
            self.cursor
                .as_deref()
                .filter(|c| !c.is_empty())
                .map(Cursor::from_string),
            self.limit.unwrap_or(DEFAULT_PAGE_SIZE),
        )
    }
}

/// One page of a list as JSON: `{items, next}`, `next` absent on the last page.
#[derive(Debug, Serialize)]
pub(crate) struct Page<T> {
    /// The items.
    pub items: Vec<T>,
    /// Cursor of the next page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next: Option<String>,
}

impl<T> From<bridge_documents::Listing<T>> for Page<T> {
    fn from(l: bridge_documents::Listing<T>) -> Self {
        Page {
            items: l.items,
            next: l.next.map(|c| c.as_str().to_string()),
        }
    }
}
