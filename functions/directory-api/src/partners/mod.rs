//! Partners: search, relation requests, relations and sharing (PAR-1..6): JSON API and pages,
//! and a partner reading what was shared with them.
//!
//! The rules live in [`bridge_directory`] (who may use partners, search limits, one pending
//! request per pair, single-use links, sharing) and, for reading a shared document, in
//! [`bridge_directory::Directory::partner_can_read`], which every partner read goes through
//! ([`bridge_wopi_host::partner`]). These handlers authenticate, parse and map the domain's
//! refusals to the status it assigns them ([`crate::errors::directory_error`]).
//!
//! Three credentials: the JSON API takes a bearer token (`api`, `shared`); the partners page
//! and the shared-documents page take the session cookie (`pages`, `shared`); the relation
//! request page, opened from a mail, takes the signed-in *person* cookie for its POSTs, and its
//! GET changes nothing (mail scanners open links). The request token travels only in the path,
//! which is logged as its route template.

use axum::Router;
use axum::response::{IntoResponse, Response};
use bridge_directory::{Actor, DirectoryError};
use bridge_http::page::{PageError, Templates};
use bridge_http::{ApiError, ApiUser};
use bridge_wopi_host::WopiError;
use http::{HeaderMap, HeaderValue, StatusCode, header};
use uuid::Uuid;

use crate::DirectoryState;
use crate::errors::directory_error;

mod api;
mod pages;
mod share_page;
mod shared;
#[cfg(test)]
mod tests;

/// The templates of this area (the layout and error page come with [`Templates`]).
pub(crate) static TEMPLATES: Templates = Templates::new(&[
    (
        "partners.html",
        include_str!("../../templates/partners.html"),
    ),
    (
        "relation_request.html",
        include_str!("../../templates/relation_request.html"),
    ),
    ("shared.html", include_str!("../../templates/shared.html")),
    ("share.html", include_str!("../../templates/share.html")),
]);

/// The routes of this area.
pub(crate) fn routes() -> Router<DirectoryState> {
    api::routes()
        .merge(pages::routes())
        .merge(share_page::routes())
        .merge(shared::routes())
}

/// The acting user as the directory knows actors.
fn actor(auth: &ApiUser) -> Actor {
    Actor {
        tenant: auth.tenant,
        user: auth.user.id,
    }
}

/// What sharing a document did (PAR-5).
enum Shared {
    /// With the relation group: readable at once.
    Now(bridge_directory::Share),
    /// With one relation manager: queued, "may take a few minutes".
    Queued(bridge_directory::ShareJob),
}

/// Shares `doc` of the actor's tenant with `partner`'s relation group, or with `manager` there.
/// Partner access is checked first, so users without it learn nothing about documents; then
/// the document must be the tenant's own (the directory trusts its caller on that).
async fn share_document(
    s: &DirectoryState,
    auth: &ApiUser,
    doc: Uuid,
    partner: bridge_core::tenant::TenantId,
    manager: Option<bridge_core::tenant::UserId>,
) -> Result<Shared, ApiRefusal> {
    let by = actor(auth);
    s.directory.check_partner_access(by).await?;
    own_document(s, auth, doc).await?;
    let now = s.adapters.clock.now_ms();
    Ok(match manager {
        None => Shared::Now(
            s.directory
                .share_document_with_group(by, partner, doc, now)
                .await?,
        ),
        Some(user) => Shared::Queued(
            s.directory
                .share_with_relation_manager(by, partner, doc, user, now)
                .await?,
        ),
    })
}

/// `doc` as a document of the actor's tenant: another tenant's is as unknown as one that never
/// existed (404).
async fn own_document(
    s: &DirectoryState,
    auth: &ApiUser,
    doc: Uuid,
) -> Result<bridge_wopi_host::partner::SharedDocument, ApiError> {
    s.adapters
        .wopi_host()
        .own_document(auth.tenant, doc)
        .await
        .map_err(|e| match e.status {
            404 => ApiError::not_found("no such document in this environment"),
            _ => wopi_error(e),
        })
}

/// A UUID from the path or a body; `what` names it in the 400.
fn parse_id(raw: &str, what: &str) -> Result<Uuid, ApiError> {
    Uuid::try_parse(raw.trim())
        .map_err(|_| ApiError::bad_request(format!("the {what} id is not a UUID")))
}

/// Our origin as the browser sees it: `BRIDGE_PUBLIC_URL` when set, else the request's host
/// (local mode). Used for the same-origin check of forms.
fn origin(s: &DirectoryState, headers: &HeaderMap) -> String {
    if let Some(u) = s.adapters.config.public_url.as_deref() {
        return u.trim_end_matches('/').to_string();
    }
    let header = |n: &str| headers.get(n).and_then(|v| v.to_str().ok());
    let proto = header("x-forwarded-proto").unwrap_or("http");
    let host = header("host").unwrap_or("localhost");
    format!("{proto}://{host}")
}

/// Refuses a state-changing page request another site made the browser send.
fn same_origin(s: &DirectoryState, headers: &HeaderMap) -> Result<(), PageRefusal> {
    bridge_http::page::same_origin(&origin(s, headers), headers).map_err(PageRefusal::from)
}

/// Seconds to wait before retrying a rate-limited request, rounded up (at least 1).
fn retry_after_secs(e: &DirectoryError) -> Option<i64> {
    match e {
        DirectoryError::RateLimited { retry_after_ms } => {
            Some((retry_after_ms.saturating_add(999) / 1000).max(1))
        }
        _ => None,
    }
}

/// Adds `Retry-After` when there is something to wait for.
fn with_retry_after(mut resp: Response, secs: Option<i64>) -> Response {
    if let Some(secs) = secs
        && let Ok(v) = HeaderValue::from_str(&secs.to_string())
    {
        resp.headers_mut().insert(header::RETRY_AFTER, v);
    }
    resp
}

/// A WOPI host refusal of a partner read as an HTTP answer: no access is 404 (as if the
/// document did not exist), a type Office cannot open is 409 (download it instead).
fn wopi_error(e: WopiError) -> ApiError {
    match e.status {
        400 => ApiError::bad_request(e.reason),
        401 | 404 => ApiError::not_found("no such document shared with you"),
        403 => ApiError::conflict(e.reason),
        _ => ApiError::internal(&e.reason),
    }
}

/// A JSON API refusal: [`ApiError`] in our shape, plus `Retry-After` on a rate limit (429).
#[derive(Debug)]
pub(crate) struct ApiRefusal {
    error: ApiError,
    retry_after_secs: Option<i64>,
}

impl From<ApiError> for ApiRefusal {
    fn from(error: ApiError) -> Self {
        ApiRefusal {
            error,
            retry_after_secs: None,
        }
    }
}

impl From<DirectoryError> for ApiRefusal {
    fn from(e: DirectoryError) -> Self {
        ApiRefusal {
            retry_after_secs: retry_after_secs(&e),
            error: directory_error(e),
        }
    }
}

impl IntoResponse for ApiRefusal {
    fn into_response(self) -> Response {
        with_retry_after(self.error.into_response(), self.retry_after_secs)
    }
}

/// A page refusal: the HTML error page with the status the API would answer, a title that says
/// what happened and a message that says what to do; `Retry-After` on a rate limit.
#[derive(Debug)]
pub(crate) struct PageRefusal {
    page: PageError,
    retry_after_secs: Option<i64>,
}

impl PageRefusal {
    fn new(status: StatusCode, title: &str, message: impl Into<String>) -> Self {
        PageError::new(status, title, message).into()
    }
}

impl From<PageError> for PageRefusal {
    fn from(page: PageError) -> Self {
        PageRefusal {
            page,
            retry_after_secs: None,
        }
    }
}

impl From<ApiError> for PageRefusal {
    fn from(e: ApiError) -> Self {
        PageError::from(e).into()
    }
}

impl From<ApiRefusal> for PageRefusal {
    fn from(r: ApiRefusal) -> Self {
        PageRefusal {
            page: PageError::from(r.error),
            retry_after_secs: r.retry_after_secs,
        }
    }
}

impl From<DirectoryError> for PageRefusal {
    fn from(e: DirectoryError) -> Self {
        let retry_after_secs = retry_after_secs(&e);
        let title = match &e {
            DirectoryError::PartnerRelationsNotInSubscription
            | DirectoryError::NotARelationManager => "Partners are not available to you",
            _ => match e.status() {
                403 => "Not allowed",
                404 => "Not found",
                409 => "Not possible",
                410 => "This link no longer works",
                429 => "Too many requests",
                s if s >= 500 => "Something went wrong",
                _ => "Not possible",
            },
        };
        let message = match &e {
            // PAR-1, PAR-2: say who may, so the user knows whom to ask.
            DirectoryError::PartnerRelationsNotInSubscription
            | DirectoryError::NotARelationManager => format!(
                "{e}. Partners can be used by advanced users and admins who are members of the \
                 group \"relation managers\", and only when your environment's subscription \
                 includes partner relations. Ask an admin of your environment."
            ),
            _ => e.to_string(),
        };
        let api = directory_error(e);
        PageRefusal {
            page: PageError::new(api.status, title, message),
            retry_after_secs,
        }
    }
}

impl IntoResponse for PageRefusal {
    fn into_response(self) -> Response {
        with_retry_after(self.page.into_response(), self.retry_after_secs)
    }
}

/// An epoch-ms instant as `YYYY-MM-DD HH:MM UTC`, for pages.
fn minute(ms: i64) -> String {
    let secs = ms.div_euclid(1000);
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02} UTC",
        rem / 3600,
        (rem % 3600) / 60
    )
}
