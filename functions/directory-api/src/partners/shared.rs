//! Documents partners shared with the signed-in user (PAR-5, the reading side): the list, the
//! download, and a WOPI view session for Office.
//!
//! The list starts from the shares the reader's environment received, and every entry, download
//! and session goes through the WOPI host's partner gate, which asks
//! [`bridge_directory::Directory::partner_can_read`] at request time: a share the reader is not
//! (any more) entitled to simply does not show, and its document answers 404 like any document
//! that does not exist.

use std::collections::HashSet;

use axum::body::Body;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use bridge_core::tenant::{TenantId, UserId};
use bridge_http::auth::PageUser;
use bridge_http::page::Html;
use bridge_http::{ApiError, ApiUser};
use bridge_wopi_host::partner::{
    SHARED, SHARED_DOWNLOAD, SHARED_VIEW, SharedContent, SharedDocument, shared_route,
};
use http::{HeaderValue, header};
use uuid::Uuid;

use super::{PageRefusal, TEMPLATES, minute, parse_id, wopi_error};
use crate::DirectoryState;

/// Most share items the list reads (the page and the API show at most this many documents).
const MAX_SHARES: usize = 1000;

pub(super) fn routes() -> axum::Router<DirectoryState> {
    axum::Router::new()
        .route("/api/shared-documents", get(api_list))
        .route(
            "/api/shared-documents/{owner}/{doc}/content",
            get(api_download),
        )
        .route(
            "/api/shared-documents/{owner}/{doc}/sessions",
            post(api_session),
        )
        .route(SHARED, get(page_list))
        .route(SHARED_DOWNLOAD, get(page_download))
}

/// The `(owner, doc)` of the path.
fn ids(owner: &str, doc: &str) -> Result<(TenantId, Uuid), ApiError> {
    Ok((
        parse_id(owner, "owner environment").map(TenantId)?,
        parse_id(doc, "document")?,
    ))
}

/// The documents shared with `user` of `tenant` that they may read now, in share order.
async fn readable(
    s: &DirectoryState,
    tenant: TenantId,
    user: UserId,
) -> Result<Vec<SharedDocument>, ApiError> {
    let by = bridge_directory::Actor { tenant, user };
    let mut shares: Vec<(TenantId, Uuid)> = Vec::new();
    let mut seen = HashSet::new();
    let mut cursor = None;
    loop {
        let page = s
            .directory
            .list_shares_received(by, cursor, bridge_directory::MAX_PAGE)
            .await
            .map_err(crate::errors::directory_error)?;
        for share in page.items {
            if seen.insert((share.owner, share.doc)) {
                shares.push((share.owner, share.doc));
            }
        }
        cursor = page.next;
        if cursor.is_none() || seen.len() >= MAX_SHARES {
            break;
        }
    }
    let host = s.adapters.wopi_host();
    let mut out = Vec::with_capacity(shares.len());
    for (owner, doc) in shares {
        match host.partner_document(owner, doc, tenant, user).await {
            Ok(d) => out.push(d),
            // Not (or no longer) readable, or deleted: not listed.
            Err(e) if e.status == 404 => {}
            Err(e) => return Err(wopi_error(e)),
        }
    }
    Ok(out)
}

/// A shared document's content as a streamed attachment.
fn attachment(c: SharedContent) -> Result<Response, ApiError> {
    let mut resp = Body::from_stream(c.body).into_response();
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/octet-stream"),
    );
    h.insert(header::CONTENT_LENGTH, HeaderValue::from(c.document.size));
    let disposition = HeaderValue::from_str(&content_disposition(&c.document.name))
        .map_err(|e| ApiError::internal(&e))?;
    h.insert(header::CONTENT_DISPOSITION, disposition);
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-store"),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    Ok(resp)
}

/// `attachment` with an ASCII fallback name and the exact name RFC 5987-encoded.
fn content_disposition(name: &str) -> String {
    let ascii: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() && c != '"' && c != '\\' || c == ' ' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let encoded: String = name
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"!#$&+-.^_`|~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect();
    format!("attachment; filename=\"{ascii}\"; filename*=UTF-8''{encoded}")
}

async fn download(
    s: &DirectoryState,
    tenant: TenantId,
    user: UserId,
    owner: &str,
    doc: &str,
) -> Result<Response, ApiError> {
    let (owner, doc) = ids(owner, doc)?;
    let c = s
        .adapters
        .wopi_host()
        .partner_content(owner, doc, tenant, user)
        .await
        .map_err(wopi_error)?;
    attachment(c)
}

/// `GET /api/shared-documents`: what partners shared with the caller and they may read now.
async fn api_list(
    auth: ApiUser,
    State(s): State<DirectoryState>,
) -> Result<impl IntoResponse, ApiError> {
    let docs = readable(&s, auth.tenant, auth.user.id).await?;
    Ok(axum::Json(serde_json::json!({ "documents": docs })))
}

/// `GET /api/shared-documents/{owner}/{doc}/content`: the current version.
async fn api_download(
    auth: ApiUser,
    State(s): State<DirectoryState>,
    Path((owner, doc)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    download(&s, auth.tenant, auth.user.id, &owner, &doc).await
}

/// `POST /api/shared-documents/{owner}/{doc}/sessions`: a WOPI **view** token for Office (the
/// host page posts it to Office's viewer with `wopi_src`).
async fn api_session(
    auth: ApiUser,
    State(s): State<DirectoryState>,
    Path((owner, doc)): Path<(String, String)>,
    headers: http::HeaderMap,
) -> Result<impl IntoResponse, ApiError> {
    let (owner, doc) = ids(&owner, &doc)?;
    let token = s
        .adapters
        .wopi_host()
        .open_partner_view(owner, doc, auth.tenant, auth.user.id)
        .await
        .map_err(wopi_error)?;
    let base = bridge_wopi_host::http::wopi_base(s.adapters.config.public_url.as_deref(), &headers);
    Ok((
        http::StatusCode::CREATED,
        [(header::CACHE_CONTROL, "no-store")],
        axum::Json(serde_json::json!({
            "access_token": token.access_token,
            "access_token_ttl": token.access_token_ttl,
            "wopi_src": format!("{base}/wopi/files/{doc}"),
            "permission": "view",
        })),
    ))
}

/// A row of the shared-documents page.
#[derive(serde::Serialize)]
struct Row {
    name: String,
    extension: String,
    size: u64,
    modified: String,
    /// The host page in Office's viewer, when Office can show the type.
    view_url: Option<String>,
    download_url: String,
}

/// `GET /app/shared`: the documents partners shared with the signed-in user. Read-only.
async fn page_list(
    PageUser(auth): PageUser,
    State(s): State<DirectoryState>,
) -> Result<Html, PageRefusal> {
    let docs = readable(&s, auth.tenant, auth.user.id).await?;
    let rows: Vec<Row> = docs
        .into_iter()
        .map(|d| Row {
            view_url: d
                .opens_in_office
                .then(|| shared_route(SHARED_VIEW, d.owner_tenant, d.doc_id)),
            download_url: shared_route(SHARED_DOWNLOAD, d.owner_tenant, d.doc_id),
            modified: minute(d.modified_at_ms),
            name: d.name,
            extension: d.extension,
            size: d.size,
        })
        .collect();
    Ok(TEMPLATES.render(
        "shared.html",
        serde_json::json!({ "title": "Shared with you", "documents": rows }),
    )?)
}

/// `GET /app/shared/{owner}/{doc}/download` (a partner's CheckFileInfo `DownloadUrl`).
async fn page_download(
    PageUser(auth): PageUser,
    State(s): State<DirectoryState>,
    Path((owner, doc)): Path<(String, String)>,
) -> Result<Response, PageRefusal> {
    Ok(download(&s, auth.tenant, auth.user.id, &owner, &doc).await?)
}
