//! Version history and restore (DOC-12: every save is a version; restoring writes a new one).

use axum::Router;
use axum::extract::{Path, State};
use axum::response::IntoResponse;
use axum::routing::{get, post};
use bridge_documents::DocId;
use bridge_http::{ApiError, ApiUser};
use serde::Serialize;

use crate::ApiState;
use crate::documents::{DocumentView, ensure_unlocked, unlocked_guard, view};
use crate::errors::doc_error;
use crate::extract::{Page, Paging, QueryParams};

pub(crate) fn routes() -> Router<ApiState> {
    Router::new()
        .route("/api/documents/{doc}/versions", get(history))
        .route(
            "/api/documents/{doc}/versions/{version}/restore",
            post(restore),
        )
}

/// The answer of a restore: the document after it and the version it wrote.
#[derive(Debug, Serialize)]
struct Restored {
    document: DocumentView,
    version: bridge_documents::Version,
}

async fn history(
    auth: ApiUser,
    State(s): State<ApiState>,
    Path(doc): Path<String>,
    QueryParams(p): QueryParams<Paging>,
) -> Result<impl IntoResponse, ApiError> {
    let doc = DocId::parse(&doc).map_err(doc_error)?;
    let listing = s
        .docs
        .history(auth.tenant, doc, &p.page())
        .await
        .map_err(doc_error)?;
    Ok(axum::Json(Page::from(listing)))
}

async fn restore(
    auth: ApiUser,
    State(s): State<ApiState>,
    Path((doc, version)): Path<(String, String)>,
) -> Result<impl IntoResponse, ApiError> {
    let doc = DocId::parse(&doc).map_err(doc_error)?;
    ensure_unlocked(&s, &auth, doc).await?;
    let outcome = s
        .docs
        .restore(auth.tenant, &auth.user, doc, &version, unlocked_guard(&s))
        .await
        .map_err(doc_error)?;
    Ok(axum::Json(Restored {
        document: view(&s, &auth, outcome.document).await?,
        version: outcome.version,
    }))
}
