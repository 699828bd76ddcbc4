//! `/api/users/{user}/microsoft-link` (SYNC-2) and `/api/users/{user}/sync` (SYNC-1).
//!
//! Rules: linking and unlinking are administrator operations ("manage users") until Microsoft
//! sign-in lets users link themselves; a user reads their own link and reads and sets their own
//! sync switches, and "manage users" may do so for anyone of the tenant. A user of another
//! tenant does not exist here (404).

use axum::Router;
use axum::extract::{Path, State};
use axum::response::IntoResponse;
use axum::routing::get;
use bridge_core::tenant::{Right, UserId};
use bridge_graph_subs::{MicrosoftLink, SyncSwitches};
use bridge_http::{ApiError, ApiUser};
use http::StatusCode;
use serde::{Deserialize, Serialize};

use crate::DirectoryState;
use crate::errors::{NotLinked, link_error};
use crate::extract::JsonBody;

pub(crate) fn routes() -> Router<DirectoryState> {
    Router::new()
        .route(
            "/api/users/{user}/microsoft-link",
            get(read_link).put(put_link).delete(delete_link),
        )
        .route("/api/users/{user}/sync", get(read_sync).put(put_sync))
}

/// `PUT /api/users/{user}/microsoft-link` body.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct LinkBody {
    /// The Microsoft 365 user's object id (or user principal name).
    graph_user_id: String,
}

/// `PUT /api/users/{user}/sync` body: both switches.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SyncBody {
    contacts: bool,
    calendar: bool,
}

/// A link as the API shows it.
#[derive(Debug, Serialize)]
struct LinkView {
    user_id: String,
    graph_tenant_id: String,
    graph_user_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    display_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    user_principal_name: Option<String>,
    linked_at_ms: i64,
    sync: SyncSwitches,
}

impl From<MicrosoftLink> for LinkView {
    fn from(l: MicrosoftLink) -> Self {
        let sync = l.switches();
        Self {
            user_id: l.user_id.to_string(),
            graph_tenant_id: l.graph_tenant_id,
            graph_user_id: l.graph_user_id,
            display_name: l.display_name,
            user_principal_name: l.user_principal_name,
            linked_at_ms: l.linked_at_ms,
            sync,
        }
    }
}

/// The user named in the path.
fn parse_user(raw: &str) -> Result<UserId, ApiError> {
    uuid::Uuid::try_parse(raw)
        .map(UserId)
        .map_err(|_| ApiError::bad_request("the user id in the path is not a UUID"))
}

/// Checks that `user` exists in the caller's tenant (a user of another tenant is as unknown as
/// one that never existed). Called after the rights check, so existence is not revealed to
/// callers without the right.
async fn exists(s: &DirectoryState, auth: &ApiUser, user: UserId) -> Result<(), ApiError> {
    bridge_platform::seed::load_user(&s.adapters, auth.tenant, user)
        .await?
        .map(|_| ())
        .ok_or_else(|| ApiError::not_found("no such user in this tenant"))
}

fn manage_users(auth: &ApiUser) -> Result<(), ApiError> {
    if auth.user.has(Right::ManageUsers) {
        Ok(())
    } else {
        Err(ApiError::forbidden(
            "linking Microsoft 365 accounts needs the \"manage users\" right",
        ))
    }
}

fn self_or_manager(auth: &ApiUser, user: UserId) -> Result<(), ApiError> {
    if auth.user.id == user || auth.user.has(Right::ManageUsers) {
        Ok(())
    } else {
        Err(ApiError::forbidden(
            "only the user themselves or someone with \"manage users\" may do this",
        ))
    }
}

async fn put_link(
    auth: ApiUser,
    State(s): State<DirectoryState>,
    Path(user): Path<String>,
    JsonBody(body): JsonBody<LinkBody>,
) -> Result<impl IntoResponse, ApiError> {
    let user = parse_user(&user)?;
    manage_users(&auth)?;
    exists(&s, &auth, user).await?;
    let link = s
        .links
        .link(auth.tenant, user, body.graph_user_id.trim(), auth.user.id)
        .await
        .map_err(|e| link_error(e, NotLinked::Conflict))?;
    Ok((StatusCode::CREATED, axum::Json(LinkView::from(link))))
}

async fn read_link(
    auth: ApiUser,
    State(s): State<DirectoryState>,
    Path(user): Path<String>,
) -> Result<impl IntoResponse, ApiError> {
    let user = parse_user(&user)?;
    self_or_manager(&auth, user)?;
    exists(&s, &auth, user).await?;
    let link = s
        .links
        .get(auth.tenant, user)
        .await
        .map_err(|e| link_error(e, NotLinked::NotFound))?
        .ok_or_else(|| ApiError::not_found("this user has no Microsoft 365 link"))?;
    Ok(axum::Json(LinkView::from(link)))
}

async fn delete_link(
    auth: ApiUser,
    State(s): State<DirectoryState>,
    Path(user): Path<String>,
) -> Result<impl IntoResponse, ApiError> {
    let user = parse_user(&user)?;
    manage_users(&auth)?;
    exists(&s, &auth, user).await?;
    s.links
        .unlink(auth.tenant, user)
        .await
        .map_err(|e| link_error(e, NotLinked::NotFound))?;
    Ok(StatusCode::NO_CONTENT)
}

async fn read_sync(
    auth: ApiUser,
    State(s): State<DirectoryState>,
    Path(user): Path<String>,
) -> Result<impl IntoResponse, ApiError> {
    let user = parse_user(&user)?;
    self_or_manager(&auth, user)?;
    exists(&s, &auth, user).await?;
    let link = s
        .links
        .get(auth.tenant, user)
        .await
        .map_err(|e| link_error(e, NotLinked::NotFound))?
        .ok_or_else(|| ApiError::not_found("this user has no Microsoft 365 link"))?;
    Ok(axum::Json(link.switches()))
}

async fn put_sync(
    auth: ApiUser,
    State(s): State<DirectoryState>,
    Path(user): Path<String>,
    JsonBody(body): JsonBody<SyncBody>,
) -> Result<impl IntoResponse, ApiError> {
    let user = parse_user(&user)?;
    self_or_manager(&auth, user)?;
    exists(&s, &auth, user).await?;
    let wanted = SyncSwitches {
        contacts: body.contacts,
        calendar: body.calendar,
    };
    let now = s
        .links
        .set_sync(auth.tenant, user, wanted)
        .await
        .map_err(|e| link_error(e, NotLinked::Conflict))?;
    Ok(axum::Json(now))
}
