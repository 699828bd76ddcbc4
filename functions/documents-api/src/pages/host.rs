//! The host page (reference §9): it asks for a WOPI session and posts `access_token` and
//! `access_token_ttl` into an iframe that script creates, so the token never appears in a URL and
//! going back does not load Office twice.

use axum::extract::{Path, RawQuery, State};
use axum::response::{IntoResponse, Redirect, Response};
use bridge_core::tenant::Right;
use bridge_documents::DocId;
use bridge_http::auth::PageUser;
use bridge_wopi::discovery::{ActionUrlParams, encode_query_value};
use bridge_wopi::filetypes::{effective_open_mode, may_convert, may_edit};
use bridge_wopi::token::Permission;
use http::{HeaderMap, StatusCode, header};

use bridge_wopi_host::partner::{SHARED_DOWNLOAD, shared_link};

use super::lists::{links, office_state};
use super::render::render;
use super::{PageError, PageResult};
use crate::ApiState;
use crate::errors::{doc_error, wopi_error};

/// What the host page opens Office for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum HostAction {
    Edit,
    View,
    Convert,
}

impl HostAction {
    /// The discovery action launched.
    fn discovery_name(self) -> &'static str {
        match self {
            HostAction::Edit => "edit",
            HostAction::View => "view",
            HostAction::Convert => "convert",
        }
    }
}

/// `GET /app/documents/{doc}/edit` (CheckFileInfo `HostEditUrl`).
pub(super) async fn edit(
    user: PageUser,
    state: State<ApiState>,
    doc: Path<String>,
    query: RawQuery,
    headers: HeaderMap,
) -> PageResult<Response> {
    open(user, state, doc, query, headers, HostAction::Edit).await
}

/// `GET /app/documents/{doc}/view` (CheckFileInfo `HostViewUrl`).
pub(super) async fn view(
    user: PageUser,
    state: State<ApiState>,
    doc: Path<String>,
    query: RawQuery,
    headers: HeaderMap,
) -> PageResult<Response> {
    open(user, state, doc, query, headers, HostAction::View).await
}

/// `GET /app/documents/{doc}/convert`: a legacy file converted to its modern format (Office
/// saves the result next to it with PutRelativeFile and then opens it for editing).
pub(super) async fn convert(
    user: PageUser,
    state: State<ApiState>,
    doc: Path<String>,
    query: RawQuery,
    headers: HeaderMap,
) -> PageResult<Response> {
    open(user, state, doc, query, headers, HostAction::Convert).await
}

/// The UI language for Office (`UI_LLCC`): the browser's first choice when it is a plain
/// language tag, else en-US.
fn ui_language(headers: &HeaderMap) -> String {
    headers
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(',').next())
        .map(|tag| tag.split(';').next().unwrap_or("").trim())
        .filter(|tag| {
            (2..=35).contains(&tag.len())
                && tag.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        })
        .map_or_else(|| "en-US".to_string(), str::to_string)
}

/// The `wd*` parameters of the page's own URL, passed to Office unchanged (reference §9).
fn wd_params(raw_query: Option<&str>) -> Vec<(String, String)> {
    raw_query
        .map(|q| {
            form_urlencoded::parse(q.as_bytes())
                .filter(|(k, _)| {
                    k.starts_with("wd")
                        && k.len() <= 64
                        && k.chars().all(|c| c.is_ascii_alphanumeric())
                })
                .map(|(k, v)| (k.into_owned(), encode_query_value(&v)))
                .collect()
        })
        .unwrap_or_default()
}

/// `scheme://host[:port]` of an absolute URL.
fn origin(url: &str) -> Option<&str> {
    let rest_at = url.find("://")? + 3;
    let end = url[rest_at..]
        .find(['/', '?', '#'])
        .map_or(url.len(), |i| rest_at + i);
    Some(&url[..end])
}

/// Office's discovery when `tenant`'s document platform uses Office and this deployment has
/// a discovery; else the 409 page that offers `download`.
async fn office_for(
    s: &ApiState,
    tenant: bridge_core::tenant::TenantId,
    download: &str,
) -> PageResult<std::sync::Arc<bridge_wopi::discovery::Discovery>> {
    let settings = s.docs.settings(tenant).await.map_err(doc_error)?;
    office_state(s, settings.document_platform).map_err(|why| {
        PageError::new(
            StatusCode::CONFLICT,
            "Office for the web is not available",
            format!("Documents open as regular downloads here ({why})."),
        )
        .with_download(download.to_string())
    })
}

/// The 409 page for a type Office does not open: the download instead.
fn not_in_office(extension: &str, download: String) -> PageError {
    PageError::new(
        StatusCode::CONFLICT,
        "Office for the web cannot open this file",
        format!("Files of type .{extension} open as a regular download."),
    )
    .with_download(download)
}

async fn open(
    PageUser(auth): PageUser,
    State(s): State<ApiState>,
    Path(doc): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    action: HostAction,
) -> PageResult<Response> {
    let doc_id = DocId::parse(&doc).map_err(doc_error)?;
    let doc = s.docs.get(auth.tenant, doc_id).await.map_err(doc_error)?;
    let links = links(&s, &headers);
    let download = links.download(doc.doc_id);
    let discovery = office_for(&s, auth.tenant, &download).await?;
    let mode = effective_open_mode(&doc.extension, s.wopi.settings().allow_wopitest, &discovery);
    let right = auth.user.has(Right::AddDocument) && !doc.archived;
    let permission = match action {
        HostAction::Edit if may_edit(right, mode) => Permission::Edit,
        // Someone who may not edit (right, type, archived) still reads it: Office's own "Edit"
        // button is hidden for them because CheckFileInfo gives no HostEditUrl.
        HostAction::Edit if mode.opens_in_office() => {
            return Ok(Redirect::to(&links.view(doc.doc_id)).into_response());
        }
        HostAction::View if mode.opens_in_office() => Permission::View,
        HostAction::Convert if may_convert(right, mode) => Permission::View,
        HostAction::Convert => {
            return Err(PageError::new(
                StatusCode::FORBIDDEN,
                "Cannot convert this document",
                "Converting needs the right to add documents and a file in an older Office format (such as .doc, .xls or .ppt).",
            )
            .with_download(download));
        }
        HostAction::Edit | HostAction::View => {
            return Err(not_in_office(&doc.extension, download));
        }
    };
    let token = s
        .wopi
        .open_session(auth.tenant, auth.user.id, doc.doc_id, permission)
        .await
        .map_err(|e| PageError::from(wopi_error(e)).with_download(download.clone()))?;
    let launch = Launch {
        doc: doc.doc_id,
        name: &doc.name,
        extension: &doc.extension,
        download,
        action,
    };
    launch.page(&s, &headers, query.as_deref(), &discovery, token)
}

/// `GET /app/shared/{owner}/{doc}/view`: a document a partner shared, in Office's viewer
/// (CheckFileInfo `HostViewUrl` of a partner session). The WOPI host's partner gate decides, at
/// this request, whether the signed-in user may still read it: when not, it is 404 as if it did
/// not exist.
pub(super) async fn shared_view(
    PageUser(auth): PageUser,
    State(s): State<ApiState>,
    Path((owner, doc)): Path<(String, String)>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> PageResult<Response> {
    let not_found = || {
        PageError::new(
            StatusCode::NOT_FOUND,
            "Not found",
            "No such document is shared with you.",
        )
    };
    let owner = uuid::Uuid::try_parse(&owner).map_err(|_| not_found())?;
    let doc = uuid::Uuid::try_parse(&doc).map_err(|_| not_found())?;
    let owner = bridge_core::tenant::TenantId(owner);
    let shared = s
        .wopi
        .partner_document(owner, doc, auth.tenant, auth.user.id)
        .await
        .map_err(|e| match e.status {
            401 | 404 => not_found(),
            _ => PageError::from(wopi_error(e)),
        })?;
    let links = links(&s, &headers);
    let download = shared_link(&links, SHARED_DOWNLOAD, owner, DocId(doc));
    // The reader's own document platform decides whether they use Office at all.
    let discovery = office_for(&s, auth.tenant, &download).await?;
    let mode = effective_open_mode(
        &shared.extension,
        s.wopi.settings().allow_wopitest,
        &discovery,
    );
    if !mode.opens_in_office() {
        return Err(not_in_office(&shared.extension, download));
    }
    let token = s
        .wopi
        .open_partner_view(owner, doc, auth.tenant, auth.user.id)
        .await
        .map_err(|e| PageError::from(wopi_error(e)).with_download(download.clone()))?;
    let launch = Launch {
        doc: DocId(doc),
        name: &shared.name,
        extension: &shared.extension,
        download,
        action: HostAction::View,
    };
    launch.page(&s, &headers, query.as_deref(), &discovery, token)
}

/// What the host page launches: one document in one Office action, with the download offered
/// when Office cannot be reached.
struct Launch<'a> {
    doc: DocId,
    name: &'a str,
    extension: &'a str,
    download: String,
    action: HostAction,
}

impl Launch<'_> {
    /// The host page: the action URL of `discovery` for this document, the token posted into
    /// Office's frame, and a CSP that lets the page talk to Office's origin only.
    fn page(
        self,
        s: &ApiState,
        headers: &HeaderMap,
        query: Option<&str>,
        discovery: &bridge_wopi::discovery::Discovery,
        token: bridge_wopi::token::IssuedToken,
    ) -> PageResult<Response> {
        let Launch {
            doc,
            name,
            extension,
            download,
            action,
        } = self;
        let base =
            bridge_wopi_host::http::wopi_base(s.adapters.config.public_url.as_deref(), headers);
        let mut params = ActionUrlParams::new(format!("{base}/wopi/files/{doc}"));
        params.ui_llcc = Some(ui_language(headers));
        // DOC-14: our users edit with a business licence; Office needs to know on every action.
        params.business_user = true;
        params.wd_params = wd_params(query);
        let action_url = discovery
            .action_url(extension, action.discovery_name(), &params)
            .ok_or_else(|| {
                PageError::new(
                    StatusCode::CONFLICT,
                    "Office for the web cannot open this file",
                    "Office's discovery offers no such action for this file type.",
                )
                .with_download(download.clone())
            })?
            .map_err(|e| PageError::from(bridge_http::ApiError::internal(&e)))?;
        let office_origin = origin(&action_url).unwrap_or("'none'").to_string();
        let nonce = uuid::Uuid::new_v4().simple().to_string();
        let csp = format!(
            "default-src 'none'; script-src 'nonce-{nonce}'; style-src 'nonce-{nonce}'; \
             img-src 'self' https:; frame-src {office_origin} https:; form-action {office_origin}; \
             frame-ancestors 'self'; base-uri 'none'"
        );
        let html = render(
            "host.html",
            serde_json::json!({
                "name": name,
                "action_url": action_url,
                "access_token": token.access_token,
                "access_token_ttl": token.access_token_ttl,
                "favicon": discovery.fav_icon_url(extension),
                "download_url": download,
                "nonce": nonce,
            }),
        )?
        .header(header::CACHE_CONTROL, "no-cache, no-store")
        .header(header::EXPIRES, "-1")
        .header(header::PRAGMA, "no-cache")
        .header(header::REFERRER_POLICY, "no-referrer")
        .header(header::CONTENT_SECURITY_POLICY, csp);
        Ok(html.into_response())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ui_language_is_the_first_plain_tag_or_en_us() {
        let mut h = HeaderMap::new();
        assert_eq!(ui_language(&h), "en-US");
        h.insert(
            header::ACCEPT_LANGUAGE,
            "nl-NL,nl;q=0.9,en;q=0.8".parse().unwrap(),
        );
        assert_eq!(ui_language(&h), "nl-NL");
        h.insert(header::ACCEPT_LANGUAGE, "x\"><script>".parse().unwrap());
        assert_eq!(ui_language(&h), "en-US");
    }

    #[test]
    fn only_wd_parameters_pass_and_are_encoded() {
        let p = wd_params(Some(
            "wdPreviousSession=a%20b&access_token=x&wdOrigin=OFFICECOM&wd%3Cx=1",
        ));
        assert_eq!(
            p,
            vec![
                ("wdPreviousSession".to_string(), "a%20b".to_string()),
                ("wdOrigin".to_string(), "OFFICECOM".to_string()),
            ]
        );
    }

    #[test]
    fn origin_is_scheme_and_authority() {
        assert_eq!(
            origin("https://word-edit.officeapps.live.com/we/x.aspx?a=1"),
            Some("https://word-edit.officeapps.live.com")
        );
        assert_eq!(origin("http://127.0.0.1:9/x"), Some("http://127.0.0.1:9"));
        assert_eq!(origin("no-scheme"), None);
    }
}
