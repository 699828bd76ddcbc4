//! Documents: upload (streamed), list per client, metadata with how it opens (DOC-5, DOC-6,
//! DOC-10), download (streamed, whatever the platform: DOC-3), rename, archive, delete (DOC-11).

use axum::Router;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use bridge_core::tenant::Right;
use bridge_documents::{ClientId, DocId, Document, DocumentPlatform};
use bridge_http::{ApiError, ApiUser};
use bridge_wopi::filetypes::{OpenMode, may_edit, office_app, open_mode};
use http::{HeaderValue, StatusCode, header};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use serde::{Deserialize, Serialize};

use crate::ApiState;
use crate::errors::{doc_error, locked};
use crate::extract::{JsonBody, Page, Paging, QueryParams};

pub(crate) fn routes() -> Router<ApiState> {
    Router::new()
        .route("/api/clients/{client}/documents", get(list).post(upload))
        .route("/api/documents/{doc}", get(metadata).delete(remove))
        .route("/api/documents/{doc}/content", get(download))
        .route("/api/documents/{doc}/rename", post(rename))
        .route("/api/documents/{doc}/archive", post(archive))
        .route("/api/documents/{doc}/unarchive", post(unarchive))
}

/// `?name=` of an upload.
#[derive(Debug, Deserialize)]
struct UploadParams {
    name: String,
}

/// `?archived=true` and paging of a list (no `serde(flatten)`: it breaks typed query values).
#[derive(Debug, Deserialize)]
struct ListParams {
    #[serde(default)]
    archived: bool,
    cursor: Option<String>,
    limit: Option<usize>,
}

/// `?version=` of a download.
#[derive(Debug, Deserialize)]
struct DownloadParams {
    version: Option<String>,
}

/// `POST /api/documents/{doc}/rename` body.
#[derive(Debug, Deserialize)]
struct Rename {
    name: String,
}

/// A document as the app shows it: its state without the WOPI lock internals, plus how it
/// opens for this user.
#[derive(Debug, Serialize)]
pub(crate) struct DocumentView {
    #[serde(flatten)]
    document: serde_json::Value,
    /// Whether Office holds an unexpired lock (someone has it open for editing).
    locked: bool,
    /// DOC-5: `edit`, `view_and_convert`, `view_only` or `download_only`.
    open_mode: &'static str,
    /// DOC-10: `Word`, `Excel`, `PowerPoint`, or null (no Office icon).
    office_app: Option<&'static str>,
    /// DOC-7: whether the tenant opens documents in Office at all (platform `o365`).
    office_enabled: bool,
    /// DOC-6: whether this user may edit it in Office (right, type, not archived).
    user_can_edit: bool,
}

fn mode_name(m: OpenMode) -> &'static str {
    match m {
        OpenMode::Edit => "edit",
        OpenMode::ViewAndConvert => "view_and_convert",
        OpenMode::ViewOnly => "view_only",
        OpenMode::DownloadOnly => "download_only",
    }
}

pub(crate) use bridge_wopi_host::is_locked;

/// The guard passed into document changes: no active WOPI lock at the moment of the write.
pub(crate) fn unlocked_guard(s: &ApiState) -> Option<bridge_store::Condition> {
    Some(bridge_wopi_host::not_locked(s.adapters.clock.now_ms()))
}

/// Refuses a change while Office has the document open for editing, with a clear `locked`
/// answer. The change itself is also guarded by [`unlocked_guard`] inside its write, so a lock
/// taken right after this check still wins.
pub(crate) async fn ensure_unlocked(
    s: &ApiState,
    auth: &ApiUser,
    doc: DocId,
) -> Result<(), ApiError> {
    match s.docs.get(auth.tenant, doc).await {
        Ok(d) if is_locked(&d, s.adapters.clock.now_ms()) => Err(locked()),
        // Absent: the operation itself answers (delete may finish an interrupted delete).
        Ok(_) | Err(bridge_documents::DocError::NotFound(_)) => Ok(()),
        Err(e) => Err(doc_error(e)),
    }
}

/// The view of `doc` for `auth`'s user.
pub(crate) async fn view(
    s: &ApiState,
    auth: &ApiUser,
    doc: Document,
) -> Result<DocumentView, ApiError> {
    let settings = s.docs.settings(auth.tenant).await.map_err(doc_error)?;
    let mode = open_mode(&doc.extension, s.wopi.settings().allow_wopitest);
    let office_enabled = settings.document_platform == DocumentPlatform::O365;
    let locked = is_locked(&doc, s.adapters.clock.now_ms());
    let user_can_edit =
        office_enabled && !doc.archived && may_edit(auth.user.has(Right::AddDocument), mode);
    let app = office_app(&doc.extension).map(|a| a.discovery_name());
    let mut document = serde_json::to_value(&doc).map_err(|e| ApiError::internal(&e))?;
    if let Some(o) = document.as_object_mut() {
        o.remove("lock_id");
        o.remove("lock_expires_at");
        o.remove("ver");
    }
    Ok(DocumentView {
        document,
        locked,
        open_mode: mode_name(mode),
        office_app: app,
        office_enabled,
        user_can_edit,
    })
}

fn doc_id(raw: &str) -> Result<DocId, ApiError> {
    DocId::parse(raw).map_err(doc_error)
}

async fn upload(
    auth: ApiUser,
    State(s): State<ApiState>,
    Path(client): Path<String>,
    QueryParams(p): QueryParams<UploadParams>,
    body: Body,
) -> Result<Response, ApiError> {
    let client = ClientId::parse(&client).map_err(doc_error)?;
    let doc = s
        .docs
        .upload(
            auth.tenant,
            &auth.user,
            client,
            &p.name,
            bridge_wopi_host::http::body_stream(body),
        )
        .await
        .map_err(doc_error)?;
    let v = view(&s, &auth, doc).await?;
    Ok((StatusCode::CREATED, axum::Json(v)).into_response())
}

async fn list(
    auth: ApiUser,
    State(s): State<ApiState>,
    Path(client): Path<String>,
    QueryParams(p): QueryParams<ListParams>,
) -> Result<impl IntoResponse, ApiError> {
    let client = ClientId::parse(&client).map_err(doc_error)?;
    let page = Paging {
        cursor: p.cursor,
        limit: p.limit,
    }
    .page();
    let listing = s
        .docs
        .list(auth.tenant, client, p.archived, &page)
        .await
        .map_err(doc_error)?;
    Ok(axum::Json(Page::from(listing)))
}

async fn metadata(
    auth: ApiUser,
    State(s): State<ApiState>,
    Path(doc): Path<String>,
) -> Result<impl IntoResponse, ApiError> {
    let doc = s
        .docs
        .get(auth.tenant, doc_id(&doc)?)
        .await
        .map_err(doc_error)?;
    Ok(axum::Json(view(&s, &auth, doc).await?))
}

/// RFC 5987 `attr-char`: what may stay unencoded in `filename*`.
const ATTR_CHAR: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'!')
    .remove(b'#')
    .remove(b'$')
    .remove(b'&')
    .remove(b'+')
    .remove(b'-')
    .remove(b'.')
    .remove(b'^')
    .remove(b'_')
    .remove(b'`')
    .remove(b'|')
    .remove(b'~');

/// `attachment` with an ASCII fallback `filename` and the exact name in `filename*` (RFC 6266).
pub(crate) fn content_disposition(name: &str) -> String {
    let fallback: String = name
        .chars()
        .map(|c| {
            if (c.is_ascii_graphic() && c != '"' && c != '\\') || c == ' ' {
                c
            } else {
                '_'
            }
        })
        .collect();
    format!(
        "attachment; filename=\"{fallback}\"; filename*=UTF-8''{}",
        utf8_percent_encode(name, ATTR_CHAR)
    )
}

async fn download(
    auth: ApiUser,
    State(s): State<ApiState>,
    Path(doc): Path<String>,
    QueryParams(p): QueryParams<DownloadParams>,
) -> Result<Response, ApiError> {
    stream_download(&s, auth.tenant, doc_id(&doc)?, p.version.as_deref()).await
}

/// A document's content (the current version, or `version`) as a streamed attachment; the API
/// and the pages' download links (CheckFileInfo `DownloadUrl`) answer through this one function.
pub(crate) async fn stream_download(
    s: &ApiState,
    tenant: bridge_core::tenant::TenantId,
    doc: DocId,
    version: Option<&str>,
) -> Result<Response, ApiError> {
    let content = s
        .docs
        .open_content(tenant, doc, version)
        .await
        .map_err(doc_error)?;
    let mut resp = (StatusCode::OK, Body::from_stream(content.blob.body)).into_response();
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/octet-stream"),
    );
    h.insert(
        header::CONTENT_LENGTH,
        HeaderValue::from(content.version.size),
    );
    let disposition = HeaderValue::from_str(&content_disposition(&content.document.name))
        .map_err(|e| ApiError::internal(&e))?;
    h.insert(header::CONTENT_DISPOSITION, disposition);
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-store"),
    );
    Ok(resp)
}

async fn rename(
    auth: ApiUser,
    State(s): State<ApiState>,
    Path(doc): Path<String>,
    JsonBody(body): JsonBody<Rename>,
) -> Result<impl IntoResponse, ApiError> {
    let doc = doc_id(&doc)?;
    ensure_unlocked(&s, &auth, doc).await?;
    let d = s
        .docs
        .rename(auth.tenant, &auth.user, doc, &body.name, unlocked_guard(&s))
        .await
        .map_err(doc_error)?;
    Ok(axum::Json(view(&s, &auth, d).await?))
}

async fn archive(
    auth: ApiUser,
    State(s): State<ApiState>,
    Path(doc): Path<String>,
) -> Result<impl IntoResponse, ApiError> {
    let doc = doc_id(&doc)?;
    ensure_unlocked(&s, &auth, doc).await?;
    let d = s
        .docs
        .archive(auth.tenant, &auth.user, doc, unlocked_guard(&s))
        .await
        .map_err(doc_error)?;
    Ok(axum::Json(view(&s, &auth, d).await?))
}

async fn unarchive(
    auth: ApiUser,
    State(s): State<ApiState>,
    Path(doc): Path<String>,
) -> Result<impl IntoResponse, ApiError> {
    let d = s
        .docs
        .unarchive(auth.tenant, &auth.user, doc_id(&doc)?)
        .await
        .map_err(doc_error)?;
    Ok(axum::Json(view(&s, &auth, d).await?))
}

async fn remove(
    auth: ApiUser,
    State(s): State<ApiState>,
    Path(doc): Path<String>,
) -> Result<StatusCode, ApiError> {
    let doc = doc_id(&doc)?;
    ensure_unlocked(&s, &auth, doc).await?;
    s.docs
        .delete(auth.tenant, &auth.user, doc, unlocked_guard(&s))
        .await
        .map_err(doc_error)?;
    Ok(StatusCode::NO_CONTENT)
}
