//! Users and rights, invitations and join requests (USR-2..5): JSON API and pages.
//!
//! The rules live in [`bridge_directory`]; these handlers only authenticate, parse, and map the
//! domain's refusals to the status it assigns them ([`crate::errors::directory_error`]). Every
//! use case reloads the acting user from the token's own tenant, so a token of another tenant
//! can never reach this tenant's records: its ids simply do not exist there (404).
//!
//! Three audiences, three credentials: the JSON API takes a bearer token ([`ApiUser`], `api`);
//! the users page and its forms take the session cookie (`pages`); the invitation page and the
//! request to join take the signed-in *person* cookie, since that person is not a user yet
//! (`welcome`). Invitation tokens travel only in the path of `/app/invitations/{token}`, which
//! is logged as its route template, never as the raw path by our code.

use axum::Router;
use axum::response::{IntoResponse, Response};
use bridge_core::tenant::TenantId;
use bridge_directory::{Actor, DirectoryError, TenantRecord};
use bridge_http::ApiError;
use bridge_http::ApiUser;
use bridge_http::page::{PageError, Templates};
use http::{HeaderMap, HeaderValue, StatusCode, header};
use uuid::Uuid;

use crate::DirectoryState;
use crate::errors::directory_error;

mod api;
mod pages;
#[cfg(test)]
mod tests;
mod welcome;

/// The templates of this area (the layout and error page come with [`Templates`]).
pub(crate) static TEMPLATES: Templates = Templates::new(&[
    ("users.html", include_str!("../../templates/users.html")),
    (
        "invitation.html",
        include_str!("../../templates/invitation.html"),
    ),
    (
        "join_sent.html",
        include_str!("../../templates/join_sent.html"),
    ),
]);

/// The routes of this area.
pub(crate) fn routes() -> Router<DirectoryState> {
    api::routes()
        .merge(pages::routes())
        .merge(welcome::routes())
}

/// The acting user as the directory knows actors.
fn actor(auth: &ApiUser) -> Actor {
    Actor {
        tenant: auth.tenant,
        user: auth.user.id,
    }
}

/// A UUID from the path; `what` names it in the 400.
fn path_id(raw: &str, what: &str) -> Result<Uuid, ApiError> {
    Uuid::try_parse(raw).map_err(|_| ApiError::bad_request(format!("the {what} id is not a UUID")))
}

/// Our origin as the browser sees it: `BRIDGE_PUBLIC_URL` when set, else the request's host
/// (local mode). Used for the same-origin check of forms and the `Secure` flag of cookies.
fn origin(s: &DirectoryState, headers: &HeaderMap) -> String {
    if let Some(u) = s.adapters.config.public_url.as_deref() {
        return u.trim_end_matches('/').to_string();
    }
    let header = |n: &str| headers.get(n).and_then(|v| v.to_str().ok());
    let proto = header("x-forwarded-proto").unwrap_or("http");
    let host = header("host").unwrap_or("localhost");
    format!("{proto}://{host}")
}

/// Refuses a state-changing page request another site made the browser send (Fetch Metadata,
/// then `Origin`); the cookies are `SameSite=Lax` already, this is the second line.
fn same_origin(s: &DirectoryState, headers: &HeaderMap) -> Result<(), PageError> {
    bridge_http::page::same_origin(&origin(s, headers), headers)
}

/// The Entra tenant (Microsoft 365 organisation) `tenant` was installed from, if any: the
/// organisation whose users a manager invites as Microsoft 365 users (USR-2).
async fn organisation_of(s: &DirectoryState, tenant: TenantId) -> Result<Option<String>, ApiError> {
    let Some(item) = s
        .adapters
        .table
        .get(&bridge_directory::keys::tenant(tenant))
        .await?
    else {
        return Err(ApiError::not_found("tenant not found"));
    };
    let record: TenantRecord = serde_json::from_value(serde_json::Value::Object(item.attrs))
        .map_err(|e| ApiError::internal(&e))?;
    Ok(record.entra_tenant_id)
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

/// A page refusal: the HTML error page with the status the API would answer, a title that
/// says what happened and a message that says what to do; `Retry-After` on a rate limit.
#[derive(Debug)]
pub(crate) struct PageRefusal {
    page: PageError,
    retry_after_secs: Option<i64>,
}

impl PageRefusal {
    /// A page with `status`, `title` and `message`.
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

impl From<DirectoryError> for PageRefusal {
    fn from(e: DirectoryError) -> Self {
        let retry_after_secs = retry_after_secs(&e);
        let api = directory_error(e);
        let title = match api.status.as_u16() {
            403 => "Not allowed",
            404 => "Not found",
            409 => "Not possible",
            410 => "This link no longer works",
            429 => "Too many requests",
            s if s >= 500 => "Something went wrong",
            _ => "Not possible",
        };
        PageRefusal {
            page: PageError::new(api.status, title, api.message),
            retry_after_secs,
        }
    }
}

impl IntoResponse for PageRefusal {
    fn into_response(self) -> Response {
        with_retry_after(self.page.into_response(), self.retry_after_secs)
    }
}

/// `2026-11-23 20:41 UTC` from epoch milliseconds, for pages.
fn minute(ms: i64) -> String {
    let iso = bridge_core::rfc3339::format_ms(ms);
    format!("{} UTC", iso.get(..16).unwrap_or(&iso).replace('T', " "))
}
