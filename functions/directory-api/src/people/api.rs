//! The JSON API of users, invitations and join requests (bearer token, [`ApiUser`]).
//!
//! `GET /api/users`, `PATCH /api/users/{user}`, `POST /api/users/{user}/deactivate|reactivate`,
//! `POST|GET /api/invitations`, `POST /api/invitations/{id}/revoke`, `GET /api/join-requests`,
//! `POST /api/join-requests/{id}/approve|decline`. All need "manage users" (the domain checks it
//! against the freshly loaded user, not the token).
//!
//! Listings are paged: `?limit=` (1..=500, default [`DEFAULT_LIMIT`]) and `?cursor=` (the
//! `next` of the previous answer, an opaque store cursor that only works for the same list of
//! the same tenant).

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::response::IntoResponse;
use axum::routing::{get, patch, post};
use bridge_core::clock::EpochMillis;
use bridge_core::tenant::{Group, Right, Role, UserAccount, UserId};
use bridge_directory::{
    AccessChange, Decision, DirectoryError, Invitation, InvitationState, Invitee, JoinRequest,
    JoinRequestState, MAX_PAGE,
};
use bridge_http::{ApiError, ApiUser};
use bridge_store::Cursor;
use http::StatusCode;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{ApiRefusal, actor, organisation_of, path_id};
use crate::DirectoryState;
use crate::errors::directory_error;
use crate::extract::JsonBody;

/// Page size of the listings when the caller names none.
pub(super) const DEFAULT_LIMIT: usize = 100;

pub(super) fn routes() -> Router<DirectoryState> {
    Router::new()
        .route("/api/users", get(list_users))
        .route("/api/users/{user}", patch(change_access))
        .route("/api/users/{user}/deactivate", post(deactivate))
        .route("/api/users/{user}/reactivate", post(reactivate))
        .route("/api/invitations", get(list_invitations).post(invite))
        .route("/api/invitations/{id}/revoke", post(revoke))
        .route("/api/join-requests", get(list_join_requests))
        .route("/api/join-requests/{id}/approve", post(approve))
        .route("/api/join-requests/{id}/decline", post(decline))
        .route("/api/m365-users", get(m365_users))
}

/// `?limit=&cursor=` of the listings.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Page {
    limit: Option<usize>,
    /// Where the page starts: the `next` of the previous answer.
    cursor: Option<String>,
}

impl Page {
    /// The page size, checked here so a bad value is a 400 naming the bounds.
    fn limit(&self) -> Result<usize, ApiError> {
        match self.limit {
            None => Ok(DEFAULT_LIMIT),
            Some(n) if (1..=MAX_PAGE).contains(&n) => Ok(n),
            Some(_) => Err(ApiError::bad_request(format!(
                "limit must be 1..={MAX_PAGE}"
            ))),
        }
    }

    /// The store cursor the page starts at, if any (an empty one is the first page).
    fn cursor(&self) -> Option<Cursor> {
        self.cursor
            .as_deref()
            .filter(|c| !c.is_empty())
            .map(Cursor::from_string)
    }
}

/// For the pages, which show a whole list: at most `limit` records whose id is greater than
/// `after`, read in store pages of [`MAX_PAGE`], and the id of the last one when more exist.
///
/// Records come from the store in key order, and their keys end in the id (lower-case
/// hyphenated UUIDs sort like the UUIDs themselves), so "after" is a comparison of ids.
pub(super) async fn page_after<T, C, F, Fut>(
    mut fetch: F,
    id_of: impl Fn(&T) -> Uuid,
    after: Option<Uuid>,
    limit: usize,
) -> Result<(Vec<T>, Option<Uuid>), DirectoryError>
where
    F: FnMut(Option<C>) -> Fut,
    Fut: Future<Output = Result<(Vec<T>, Option<C>), DirectoryError>>,
{
    let mut out = Vec::new();
    let mut cursor = None;
    loop {
        let (items, next) = fetch(cursor).await?;
        for item in items {
            if after.is_some_and(|a| id_of(&item) <= a) {
                continue;
            }
            if out.len() == limit {
                // There is at least one more: the next page starts after the last one here.
                let next = out.last().map(&id_of);
                return Ok((out, next));
            }
            out.push(item);
        }
        match next {
            Some(c) => cursor = Some(c),
            None => return Ok((out, None)),
        }
    }
}

/// The query of a listing, with its rejection in our JSON error shape.
fn page(
    q: Result<Query<Page>, axum::extract::rejection::QueryRejection>,
) -> Result<Page, ApiError> {
    q.map(|Query(p)| p)
        .map_err(|e| ApiError::bad_request(e.body_text()))
}

/// A user as user managers see it.
#[derive(Debug, Serialize)]
pub(super) struct UserView {
    pub id: UserId,
    pub name: String,
    pub role: Role,
    pub rights: Vec<Right>,
    pub groups: Vec<Group>,
    pub active: bool,
    pub email: Option<String>,
    /// Whether the user signs in with Microsoft (the identity itself is not shown).
    pub microsoft: bool,
}

impl From<UserAccount> for UserView {
    fn from(a: UserAccount) -> Self {
        UserView {
            active: a.is_active(),
            microsoft: a.entra.is_some(),
            id: a.user.id,
            name: a.user.name,
            role: a.role,
            rights: a.user.rights,
            groups: a.groups,
            email: a.email,
        }
    }
}

/// An invitation as user managers see it: never its token or link (the invitee's secret).
#[derive(Debug, Serialize)]
pub(super) struct InvitationView {
    pub id: uuid::Uuid,
    /// Where it was sent.
    pub sent_to: String,
    /// `email` or `microsoft365`.
    pub kind: &'static str,
    pub role: Role,
    pub rights: Vec<Right>,
    /// The state as of now (a pending invitation past its expiry is `expired`).
    pub state: InvitationState,
    pub invited_by_name: String,
    pub created_at_ms: EpochMillis,
    pub expires_at_ms: EpochMillis,
    pub accepted_user: Option<UserId>,
}

impl InvitationView {
    pub(super) fn new(i: Invitation, now: EpochMillis) -> Self {
        InvitationView {
            id: i.id,
            sent_to: i.invitee.address().to_string(),
            kind: match i.invitee {
                Invitee::Email { .. } => "email",
                Invitee::Microsoft365 { .. } => "microsoft365",
            },
            state: i.effective_state(now),
            role: i.role,
            rights: i.rights,
            invited_by_name: i.invited_by_name,
            created_at_ms: i.created_at_ms,
            expires_at_ms: i.expires_at_ms,
            accepted_user: i.accepted_user,
        }
    }
}

/// A join request as user managers see it.
#[derive(Debug, Serialize)]
pub(super) struct JoinRequestView {
    pub id: uuid::Uuid,
    pub name: String,
    pub username: Option<String>,
    pub email: Option<String>,
    /// The state as of now.
    pub state: JoinRequestState,
    pub created_at_ms: EpochMillis,
    pub expires_at_ms: EpochMillis,
    pub decided_at_ms: Option<EpochMillis>,
    /// The user approving created.
    pub user: Option<UserId>,
}

impl JoinRequestView {
    pub(super) fn new(r: JoinRequest, now: EpochMillis) -> Self {
        JoinRequestView {
            state: r.effective_state(now),
            id: r.id,
            name: r.person.name,
            username: r.person.username,
            email: r.person.email,
            created_at_ms: r.created_at_ms,
            expires_at_ms: r.expires_at_ms,
            decided_at_ms: r.decided_at_ms,
            user: r.user,
        }
    }
}

/// A listing answer: the items under `key`, whether more exist, and the `cursor` of the next
/// page.
fn listing<T: Serialize>(
    key: &str,
    items: Vec<T>,
    next: Option<Cursor>,
) -> Result<axum::Json<serde_json::Value>, ApiError> {
    let mut body = serde_json::Map::new();
    body.insert(
        key.to_string(),
        serde_json::to_value(items).map_err(|e| ApiError::internal(&e))?,
    );
    body.insert("more".into(), next.is_some().into());
    body.insert(
        "next".into(),
        next.map_or(serde_json::Value::Null, |n| n.as_str().into()),
    );
    Ok(axum::Json(serde_json::Value::Object(body)))
}

async fn list_users(
    auth: ApiUser,
    State(s): State<DirectoryState>,
    q: Result<Query<Page>, axum::extract::rejection::QueryRejection>,
) -> Result<impl IntoResponse, ApiError> {
    let q = page(q)?;
    let l = s
        .directory
        .list_users(actor(&auth), q.cursor(), q.limit()?)
        .await
        .map_err(directory_error)?;
    let (users, next) = (l.items, l.next);
    let users: Vec<UserView> = users.into_iter().map(UserView::from).collect();
    listing("users", users, next)
}

/// `PATCH /api/users/{user}` body; absent fields stay as they are.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct AccessBody {
    role: Option<Role>,
    rights: Option<Vec<Right>>,
    groups: Option<Vec<Group>>,
}

async fn change_access(
    auth: ApiUser,
    State(s): State<DirectoryState>,
    Path(user): Path<String>,
    JsonBody(body): JsonBody<AccessBody>,
) -> Result<impl IntoResponse, ApiError> {
    let target = UserId(path_id(&user, "user")?);
    let change = AccessChange {
        role: body.role,
        rights: body.rights,
        groups: body.groups,
    };
    let account = s
        .directory
        .change_access(actor(&auth), target, change)
        .await
        .map_err(directory_error)?;
    Ok(axum::Json(UserView::from(account)))
}

async fn deactivate(
    auth: ApiUser,
    State(s): State<DirectoryState>,
    Path(user): Path<String>,
) -> Result<impl IntoResponse, ApiError> {
    let target = UserId(path_id(&user, "user")?);
    let account = s
        .directory
        .deactivate(actor(&auth), target)
        .await
        .map_err(directory_error)?;
    Ok(axum::Json(UserView::from(account)))
}

async fn reactivate(
    auth: ApiUser,
    State(s): State<DirectoryState>,
    Path(user): Path<String>,
) -> Result<impl IntoResponse, ApiError> {
    let target = UserId(path_id(&user, "user")?);
    let account = s
        .directory
        .reactivate(actor(&auth), target)
        .await
        .map_err(directory_error)?;
    Ok(axum::Json(UserView::from(account)))
}

/// `POST /api/invitations` body: exactly one of
/// * `email` — anyone, by e-mail (USR-5);
/// * `m365_user_id` (the object id) with `upn` (where the mail goes) — a Microsoft 365 user of
///   the organisation this environment was installed from (USR-2);
/// * `invitee` — an [`Invitee`] as the domain takes it (`{"kind": "microsoft365", "tid",
///   "oid", "upn"}` or `{"kind": "email", "email"}`);
///
/// with the role (default user) and rights (default none) the accepting user gets.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct InviteBody {
    email: Option<String>,
    m365_user_id: Option<String>,
    upn: Option<String>,
    invitee: Option<Invitee>,
    #[serde(default)]
    role: Role,
    #[serde(default)]
    rights: Vec<Right>,
}

/// A Microsoft 365 user of `tenant`'s own organisation as an invitee.
pub(super) async fn organisation_invitee(
    s: &DirectoryState,
    tenant: bridge_core::tenant::TenantId,
    oid: String,
    upn: Option<String>,
) -> Result<Invitee, ApiError> {
    let upn = upn.filter(|u| !u.trim().is_empty()).ok_or_else(|| {
        ApiError::bad_request(
            "a Microsoft 365 user needs `upn` (their sign-in address), where the invitation goes",
        )
    })?;
    let tid = organisation_of(s, tenant).await?.ok_or_else(|| {
        ApiError::bad_request(
            "this environment was not installed from a Microsoft 365 organisation; invite by e-mail",
        )
    })?;
    Ok(Invitee::Microsoft365 {
        tid,
        oid: oid.trim().to_string(),
        upn,
    })
}

async fn invite(
    auth: ApiUser,
    State(s): State<DirectoryState>,
    JsonBody(body): JsonBody<InviteBody>,
) -> Result<impl IntoResponse, ApiRefusal> {
    let invitee = match (body.email, body.m365_user_id, body.invitee) {
        (Some(email), None, None) if body.upn.is_none() => Invitee::Email { email },
        (None, Some(oid), None) => organisation_invitee(&s, auth.tenant, oid, body.upn).await?,
        (None, None, Some(i)) if body.upn.is_none() => i,
        _ => {
            return Err(ApiError::bad_request(
                "give exactly one of `email`, `m365_user_id` (with `upn`) and `invitee`",
            )
            .into());
        }
    };
    let now = s.adapters.clock.now_ms();
    let sent = s
        .directory
        .invite(actor(&auth), invitee, body.role, body.rights, now)
        .await?;
    // The accept link and its token stay out of the answer: they are the invitee's secret.
    Ok((
        StatusCode::CREATED,
        axum::Json(InvitationView::new(sent.invitation, now)),
    ))
}

async fn list_invitations(
    auth: ApiUser,
    State(s): State<DirectoryState>,
    q: Result<Query<Page>, axum::extract::rejection::QueryRejection>,
) -> Result<impl IntoResponse, ApiError> {
    let q = page(q)?;
    let now = s.adapters.clock.now_ms();
    let l = s
        .directory
        .list_invitations(actor(&auth), q.cursor(), q.limit()?)
        .await
        .map_err(directory_error)?;
    let (items, next) = (l.items, l.next);
    let items: Vec<InvitationView> = items
        .into_iter()
        .map(|i| InvitationView::new(i, now))
        .collect();
    listing("invitations", items, next)
}

async fn revoke(
    auth: ApiUser,
    State(s): State<DirectoryState>,
    Path(id): Path<String>,
) -> Result<impl IntoResponse, ApiError> {
    let id = path_id(&id, "invitation")?;
    let now = s.adapters.clock.now_ms();
    let inv = s
        .directory
        .revoke_invitation(actor(&auth), id, now)
        .await
        .map_err(directory_error)?;
    Ok(axum::Json(InvitationView::new(inv, now)))
}

async fn list_join_requests(
    auth: ApiUser,
    State(s): State<DirectoryState>,
    q: Result<Query<Page>, axum::extract::rejection::QueryRejection>,
) -> Result<impl IntoResponse, ApiError> {
    let q = page(q)?;
    let now = s.adapters.clock.now_ms();
    let l = s
        .directory
        .list_join_requests(actor(&auth), q.cursor(), q.limit()?)
        .await
        .map_err(directory_error)?;
    let (items, next) = (l.items, l.next);
    let items: Vec<JoinRequestView> = items
        .into_iter()
        .map(|r| JoinRequestView::new(r, now))
        .collect();
    listing("join_requests", items, next)
}

async fn decide(
    auth: ApiUser,
    s: DirectoryState,
    id: String,
    decision: Decision,
) -> Result<axum::Json<JoinRequestView>, ApiError> {
    let id = path_id(&id, "join request")?;
    let now = s.adapters.clock.now_ms();
    let r = s
        .directory
        .decide_join_request(actor(&auth), id, decision, now)
        .await
        .map_err(directory_error)?;
    Ok(axum::Json(JoinRequestView::new(r, now)))
}

async fn approve(
    auth: ApiUser,
    State(s): State<DirectoryState>,
    Path(id): Path<String>,
) -> Result<impl IntoResponse, ApiError> {
    decide(auth, s, id, Decision::Approve).await
}

async fn decline(
    auth: ApiUser,
    State(s): State<DirectoryState>,
    Path(id): Path<String>,
) -> Result<impl IntoResponse, ApiError> {
    decide(auth, s, id, Decision::Decline).await
}

/// A Microsoft 365 user of the organisation, to pick for an invitation (USR-2): the
/// `m365_user_id` and `upn` of `POST /api/invitations`.
#[derive(Debug, Serialize)]
struct M365UserView {
    id: String,
    display_name: Option<String>,
    mail: Option<String>,
    user_principal_name: Option<String>,
}

/// `GET /api/m365-users`: the users of the organisation this environment was installed from,
/// read from Microsoft Graph, for user managers to invite. 503 naming the missing settings when
/// Graph is not configured; 409 when the deployment's Graph connection reaches another
/// organisation (listing those users would show one organisation's people to another).
async fn m365_users(
    auth: ApiUser,
    State(s): State<DirectoryState>,
) -> Result<impl IntoResponse, ApiError> {
    if !auth.user.has(Right::ManageUsers) {
        return Err(ApiError::forbidden(
            "listing Microsoft 365 users needs the right \"manage users\"",
        ));
    }
    let graph = bridge_graph_subs::GraphProvider::from_config(&s.adapters.config);
    let client = graph
        .client()
        .map_err(|e| ApiError::unavailable(e.to_string()))?;
    let graph_tenant = graph
        .graph_tenant_id()
        .map_err(|e| ApiError::unavailable(e.to_string()))?;
    let own = organisation_of(&s, auth.tenant).await?;
    if !own.is_some_and(|t| t.eq_ignore_ascii_case(graph_tenant)) {
        return Err(ApiError::conflict(
            "this deployment's Microsoft Graph connection does not reach this environment's \
             Microsoft 365 organisation; invite by e-mail instead",
        ));
    }
    let users = client.list_users().await.map_err(|e| {
        crate::errors::link_error(
            bridge_graph_subs::LinkError::Graph(e),
            crate::errors::NotLinked::NotFound,
        )
    })?;
    let users: Vec<M365UserView> = users
        .into_iter()
        .map(|u| M365UserView {
            id: u.id,
            display_name: u.display_name,
            mail: u.mail,
            user_principal_name: u.user_principal_name,
        })
        .collect();
    Ok(axum::Json(serde_json::json!({ "users": users })))
}
