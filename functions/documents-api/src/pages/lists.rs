//! The list pages (client files, a client's documents, version history), downloads, restore,
//! and the "Almost there…" explanation.

use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use bridge_core::tenant::Right;
use bridge_documents::{ClientId, DocId, DocumentPlatform, PageRequest, VersionCause};
use bridge_http::auth::{PageRejection, PageUser};
use bridge_wopi::checkfileinfo::format_last_modified_time;
use bridge_wopi::filetypes::{
    OfficeApp, OpenMode, effective_open_mode, may_convert, may_edit, office_app,
};
use bridge_wopi_host::AppLinks;
use http::HeaderMap;
use serde::{Deserialize, Serialize};

use super::PageResult;
use super::render::{Html, render};
use crate::ApiState;
use crate::documents::{ensure_unlocked, stream_download, unlocked_guard};
use crate::errors::doc_error;

/// Most documents a client page shows (in pages of the list's maximum).
const MAX_LISTED: usize = 1000;
/// Versions a history page shows (the newest first).
const VERSIONS_SHOWN: usize = 100;

/// The public base of this request's links.
pub(super) fn links(s: &ApiState, headers: &HeaderMap) -> AppLinks {
    AppLinks::new(&bridge_wopi_host::http::wopi_base(
        s.adapters.config.public_url.as_deref(),
        headers,
    ))
}

fn doc_id(raw: &str) -> PageResult<DocId> {
    DocId::parse(raw).map_err(|e| doc_error(e).into())
}

/// `2026-11-23 20:41` (UTC) from epoch milliseconds.
fn minute(epoch_ms: i64) -> String {
    let iso = format_last_modified_time(epoch_ms);
    iso.get(..16).unwrap_or(&iso).replace('T', " ")
}

/// `12.3 KB` from bytes.
fn human_size(bytes: u64) -> String {
    const UNITS: [&str; 4] = ["KB", "MB", "GB", "TB"];
    if bytes < 1024 {
        return format!("{bytes} B");
    }
    let mut value = bytes as f64 / 1024.0;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    format!("{value:.1} {}", UNITS[unit])
}

#[derive(Serialize)]
struct ClientRow {
    name: String,
    url: String,
}

/// `GET /app`: the tenant's client files.
pub(super) async fn home(
    PageUser(auth): PageUser,
    State(s): State<ApiState>,
    headers: HeaderMap,
) -> PageResult<Html> {
    let links = links(&s, &headers);
    let listing = s
        .docs
        .list_clients(auth.tenant, &PageRequest::first(200))
        .await
        .map_err(doc_error)?;
    let clients: Vec<ClientRow> = listing
        .items
        .into_iter()
        .map(|c| ClientRow {
            url: links.client(c.client_id),
            name: c.name,
        })
        .collect();
    render(
        "home.html",
        serde_json::json!({ "title": "Client files", "clients": clients }),
    )
}

/// How a row's document opens for this user.
#[derive(Serialize)]
struct DocRow {
    id: String,
    name: String,
    icon: &'static str,
    icon_letter: &'static str,
    app_label: &'static str,
    /// `edit`, `view` or `download`.
    action: &'static str,
    open_url: String,
    download_url: String,
    versions_url: String,
    convert_url: Option<String>,
    convert_to: Option<String>,
    /// The page that shares it with partners, for relation managers (PAR-5).
    share_url: Option<String>,
    size: String,
    modified: String,
}

/// DOC-10: the icon of the Office app that opens a type (PDF and other files get their own).
fn icon(ext: &str) -> (&'static str, &'static str, &'static str) {
    match office_app(ext) {
        Some(OfficeApp::Word) => ("word", "W", "Word"),
        Some(OfficeApp::Excel) => ("excel", "X", "Excel"),
        Some(OfficeApp::PowerPoint) => ("powerpoint", "P", "PowerPoint"),
        None if ext.eq_ignore_ascii_case("pdf") => ("pdf", "PDF", "PDF"),
        None => ("file", "·", "File"),
    }
}

/// Whether Office can be used in this tenant at all, and why not.
pub(super) fn office_state(
    s: &ApiState,
    platform: DocumentPlatform,
) -> Result<std::sync::Arc<bridge_wopi::discovery::Discovery>, &'static str> {
    if platform != DocumentPlatform::O365 {
        return Err("document platform: regular");
    }
    s.adapters
        .discovery
        .as_ref()
        .map(|live| live.get())
        .ok_or("Office for the web is not configured for this deployment")
}

/// `GET /app/clients/{client}`: the documents of a client file.
pub(super) async fn client(
    PageUser(auth): PageUser,
    State(s): State<ApiState>,
    Path(client): Path<String>,
    headers: HeaderMap,
) -> PageResult<Html> {
    let client = ClientId::parse(&client).map_err(doc_error)?;
    let file = s
        .docs
        .get_client(auth.tenant, client)
        .await
        .map_err(doc_error)?;
    let settings = s.docs.settings(auth.tenant).await.map_err(doc_error)?;
    let office = office_state(&s, settings.document_platform);
    let links = links(&s, &headers);
    let right = auth.user.has(Right::AddDocument);
    let allow_wopitest = s.wopi.settings().allow_wopitest;
    // PAR-1: only relation managers share with partners (the page itself checks again).
    let relation_manager = matches!(
        bridge_platform::seed::load_account(&s.adapters, auth.tenant, auth.user.id).await,
        Ok(Some(a)) if a.is_relation_manager()
    );
    let mut rows = Vec::new();
    let mut page = PageRequest::first(200);
    loop {
        let listing = s
            .docs
            .list(auth.tenant, client, false, &page)
            .await
            .map_err(doc_error)?;
        for d in listing.items {
            let (icon, icon_letter, app_label) = icon(&d.extension);
            let mode = match &office {
                Ok(discovery) => effective_open_mode(&d.extension, allow_wopitest, discovery),
                Err(_) => OpenMode::DownloadOnly,
            };
            let (action, open_url) = if may_edit(right, mode) {
                ("edit", links.edit(d.doc_id))
            } else if mode.opens_in_office() {
                ("view", links.view(d.doc_id))
            } else {
                ("download", links.download(d.doc_id))
            };
            let convert_to = match &office {
                Ok(discovery) if may_convert(right, mode) => discovery
                    .action(&d.extension, "convert")
                    .and_then(|a| a.target_ext.clone()),
                _ => None,
            };
            rows.push(DocRow {
                id: d.doc_id.to_string(),
                icon,
                icon_letter,
                app_label,
                action,
                open_url,
                download_url: links.download(d.doc_id),
                versions_url: links.versions(d.doc_id),
                convert_url: convert_to.as_ref().map(|_| links.convert(d.doc_id)),
                convert_to: convert_to.map(|t| format!(".{t}")),
                share_url: relation_manager
                    .then(|| bridge_wopi_host::partner::share_with_partners_path(d.doc_id.0)),
                size: human_size(d.size),
                modified: minute(d.modified_at),
                name: d.name,
            });
        }
        match listing.next {
            Some(c) if rows.len() < MAX_LISTED => page = PageRequest::after(Some(c), 200),
            _ => break,
        }
    }
    render(
        "client.html",
        serde_json::json!({
            "title": file.name,
            "client_name": file.name,
            "office_enabled": office.is_ok(),
            "office_reason": office.as_ref().err(),
            "documents": rows,
        }),
    )
}

#[derive(Serialize)]
struct VersionRow {
    id: String,
    seq: i64,
    current: bool,
    created: String,
    size: String,
    cause: &'static str,
    download_url: String,
    restore_url: Option<String>,
}

fn cause_name(c: VersionCause) -> &'static str {
    match c {
        VersionCause::Upload => "uploaded",
        VersionCause::Save => "saved in Office",
        VersionCause::Restore => "restored",
        VersionCause::Conversion => "converted",
    }
}

/// `GET /app/documents/{doc}/versions`: the history, newest first, with download and restore.
pub(super) async fn versions(
    PageUser(auth): PageUser,
    State(s): State<ApiState>,
    Path(doc): Path<String>,
    headers: HeaderMap,
) -> PageResult<Html> {
    let doc = s
        .docs
        .get(auth.tenant, doc_id(&doc)?)
        .await
        .map_err(doc_error)?;
    let client = s
        .docs
        .get_client(auth.tenant, doc.client_id)
        .await
        .map_err(doc_error)?;
    let links = links(&s, &headers);
    let may_restore = auth.user.has(Right::AddDocument) && !doc.archived;
    let listing = s
        .docs
        .history(auth.tenant, doc.doc_id, &PageRequest::first(VERSIONS_SHOWN))
        .await
        .map_err(doc_error)?;
    let rows: Vec<VersionRow> = listing
        .items
        .into_iter()
        .map(|v| {
            let current = v.version_id == doc.current_version;
            let id = v.version_id.to_string();
            VersionRow {
                download_url: links.version_download(doc.doc_id, &id),
                restore_url: (may_restore && !current).then(|| links.restore(doc.doc_id, &id)),
                seq: v.seq,
                current,
                created: minute(v.created_at),
                size: human_size(v.size),
                cause: cause_name(v.cause),
                id,
            }
        })
        .collect();
    render(
        "versions.html",
        serde_json::json!({
            "title": format!("Versions of {}", doc.name),
            "name": doc.name,
            "client_name": client.name,
            "client_url": links.client(doc.client_id),
            "versions": rows,
            "more": listing.next.is_some(),
        }),
    )
}

/// Refuses a state-changing page request that another site made the browser send. The session
/// cookie is `SameSite=Lax` already; this is the second line (Fetch Metadata, then `Origin`).
pub(super) fn same_origin(s: &ApiState, headers: &HeaderMap) -> PageResult<()> {
    let base = bridge_wopi_host::http::wopi_base(s.adapters.config.public_url.as_deref(), headers);
    bridge_http::page::same_origin(&base, headers)
}

/// `POST /app/documents/{doc}/versions/{version}/restore`: restores (a new version, DOC-12),
/// then shows the history again.
pub(super) async fn restore(
    PageUser(auth): PageUser,
    State(s): State<ApiState>,
    Path((doc, version)): Path<(String, String)>,
    headers: HeaderMap,
) -> PageResult<Response> {
    same_origin(&s, &headers)?;
    let doc = doc_id(&doc)?;
    ensure_unlocked(&s, &auth, doc).await?;
    s.docs
        .restore(auth.tenant, &auth.user, doc, &version, unlocked_guard(&s))
        .await
        .map_err(doc_error)?;
    Ok(Redirect::to(&links(&s, &headers).versions(doc)).into_response())
}

/// `GET /app/documents/{doc}/download` (CheckFileInfo `DownloadUrl`): always the latest version.
pub(super) async fn download(
    PageUser(auth): PageUser,
    State(s): State<ApiState>,
    Path(doc): Path<String>,
) -> PageResult<Response> {
    Ok(stream_download(&s, auth.tenant, doc_id(&doc)?, None).await?)
}

/// `GET /app/documents/{doc}/versions/{version}/download`: one version.
pub(super) async fn download_version(
    PageUser(auth): PageUser,
    State(s): State<ApiState>,
    Path((doc, version)): Path<(String, String)>,
) -> PageResult<Response> {
    Ok(stream_download(&s, auth.tenant, doc_id(&doc)?, Some(&version)).await?)
}

/// `?doc=` of the help page.
#[derive(Debug, Deserialize)]
pub(super) struct HelpParams {
    doc: Option<String>,
}

/// `GET /app/help/almost-there` (DOC-13): why Office says "Almost there…" (not signed in to
/// Microsoft 365, or no business licence) and the download as the way on. Readable without a
/// session; with one and `?doc=`, it links that document's download.
pub(super) async fn almost_there(
    auth: Result<PageUser, PageRejection>,
    State(s): State<ApiState>,
    Query(p): Query<HelpParams>,
    headers: HeaderMap,
) -> PageResult<Html> {
    let mut download = None;
    if let (Ok(PageUser(auth)), Some(raw)) = (auth, p.doc.as_deref())
        && let Ok(id) = DocId::parse(raw)
        && let Ok(doc) = s.docs.get(auth.tenant, id).await
    {
        download = Some((links(&s, &headers).download(doc.doc_id), doc.name));
    }
    let (download_url, name) = download.unzip();
    render(
        "almost_there.html",
        serde_json::json!({
            "title": "Office says “Almost there…”",
            "download_url": download_url,
            "name": name,
        }),
    )
}
