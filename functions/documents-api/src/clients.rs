//! Client files: create and list (the records documents belong to, DOC-1).

use axum::Router;
use axum::extract::State;
use axum::response::IntoResponse;
use axum::routing::get;
use bridge_http::{ApiError, ApiUser};
use http::StatusCode;
use serde::Deserialize;

use crate::ApiState;
use crate::errors::doc_error;
use crate::extract::{JsonBody, Page, Paging, QueryParams};

/// `POST /api/clients` body.
#[derive(Debug, Deserialize)]
struct NewClient {
    name: String,
}

pub(crate) fn routes() -> Router<ApiState> {
    Router::new().route("/api/clients", get(list).post(create))
}

async fn create(
    auth: ApiUser,
    State(s): State<ApiState>,
    JsonBody(body): JsonBody<NewClient>,
) -> Result<impl IntoResponse, ApiError> {
    let client = s
        .docs
        .create_client(auth.tenant, &auth.user, &body.name)
        .await
        .map_err(doc_error)?;
    Ok((StatusCode::CREATED, axum::Json(client)))
}

async fn list(
    auth: ApiUser,
    State(s): State<ApiState>,
    QueryParams(p): QueryParams<Paging>,
) -> Result<impl IntoResponse, ApiError> {
    let listing = s
        .docs
        .list_clients(auth.tenant, &p.page())
        .await
        .map_err(doc_error)?;
    Ok(axum::Json(Page::from(listing)))
}
