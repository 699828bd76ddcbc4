//! "Open in Office": a WOPI session (source URL + access token) for one user and one document,
//! under the rules CheckFileInfo reports (DOC-5 types, DOC-6 rights) and only while the tenant's
//! document platform is Office (DOC-7; otherwise download, DOC-3).

use axum::Router;
use axum::extract::{Path, State};
use axum::response::IntoResponse;
use axum::routing::post;
use bridge_documents::{DocId, DocumentPlatform};
use bridge_http::{ApiError, ApiUser};
use bridge_wopi::token::Permission;
use http::HeaderMap;
use serde::{Deserialize, Serialize};

use crate::ApiState;
use crate::errors::{doc_error, wopi_error};
use crate::extract::JsonBody;

pub(crate) fn routes() -> Router<ApiState> {
    Router::new().route("/api/documents/{doc}/wopi-session", post(open))
}

/// `edit` or `view`.
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(rename_all = "lowercase")]
enum Action {
    Edit,
    View,
}

/// `POST /api/documents/{doc}/wopi-session` body.
#[derive(Debug, Deserialize)]
struct OpenRequest {
    action: Action,
}

/// What the host page posts to Office.
#[derive(Debug, Serialize)]
struct Session {
    wopi_src: String,
    access_token: String,
    access_token_ttl: i64,
}

async fn open(
    auth: ApiUser,
    State(s): State<ApiState>,
    Path(doc): Path<String>,
    headers: HeaderMap,
    JsonBody(body): JsonBody<OpenRequest>,
) -> Result<impl IntoResponse, ApiError> {
    let doc = DocId::parse(&doc).map_err(doc_error)?;
    let settings = s.docs.settings(auth.tenant).await.map_err(doc_error)?;
    if settings.document_platform != DocumentPlatform::O365 {
        // Existence first, so another tenant's id stays a 404.
        s.docs.get(auth.tenant, doc).await.map_err(doc_error)?;
        return Err(ApiError::forbidden(
            "Office is switched off for this tenant (document platform: regular); download the document",
        ));
    }
    let permission = match body.action {
        Action::Edit => Permission::Edit,
        Action::View => Permission::View,
    };
    let token = s
        .wopi
        .open_session(auth.tenant, auth.user.id, doc, permission)
        .await
        .map_err(wopi_error)?;
    let base = bridge_wopi_host::http::wopi_base(s.adapters.config.public_url.as_deref(), &headers);
    Ok(axum::Json(Session {
        wopi_src: format!("{base}/wopi/files/{doc}"),
        access_token: token.access_token,
        access_token_ttl: token.access_token_ttl,
    }))
}
