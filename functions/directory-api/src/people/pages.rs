//! The users page (`/app/users`) of user managers, and its forms.
//!
//! The page lists the tenant's users with role, rights and groups, pending join requests with
//! "Approve & Add" and "Decline" (USR-4; `?join_request=<id>`, the link in the managers' mail,
//! highlights one), the invite form (USR-2, USR-5) and pending invitations. Every form is a
//! same-origin POST with the session cookie that answers 303 back to the page; a refusal is the
//! HTML error page with the domain's status. The domain checks "manage users" on every call.

use axum::Form;
use axum::Router;
use axum::extract::rejection::{FormRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use bridge_core::tenant::{Group, Right, Role, UserAccount, UserId};
use bridge_directory::{
    AccessChange, Decision, Invitation, InvitationState, Invitee, JoinRequest, JoinRequestState,
    MAX_PAGE,
};
use bridge_http::auth::PageUser;
use bridge_http::page::Html;
use http::{HeaderMap, StatusCode};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::api::{organisation_invitee, page_after};
use super::{PageRefusal, TEMPLATES, actor, minute, path_id, same_origin};
use crate::DirectoryState;

/// Where every form of the page returns to.
const USERS_PAGE: &str = "/app/users";

/// Most records of each kind the page shows.
const SHOWN: usize = 1000;

pub(super) fn routes() -> Router<DirectoryState> {
    Router::new()
        .route(USERS_PAGE, get(users_page))
        .route("/app/users/{user}/access", post(change_access))
        .route("/app/users/{user}/deactivate", post(deactivate))
        .route("/app/users/{user}/reactivate", post(reactivate))
        .route("/app/users/invitations", post(invite))
        .route("/app/users/invitations/{id}/revoke", post(revoke))
        .route("/app/users/join-requests/{id}/approve", post(approve))
        .route("/app/users/join-requests/{id}/decline", post(decline))
}

/// `?join_request=` of the users page.
#[derive(Debug, Deserialize)]
struct UsersQuery {
    join_request: Option<String>,
}

/// A user row.
#[derive(Serialize)]
struct UserRow {
    id: String,
    name: String,
    email: Option<String>,
    role: Role,
    add_document: bool,
    manage_users: bool,
    relation_manager: bool,
    active: bool,
    /// The viewer themselves (no deactivate button: the domain refuses it anyway).
    me: bool,
}

/// A join request row.
#[derive(Serialize)]
struct JoinRow {
    id: String,
    name: String,
    address: Option<String>,
    requested: String,
    state: JoinRequestState,
    highlighted: bool,
}

/// An invitation row.
#[derive(Serialize)]
struct InvitationRow {
    id: String,
    sent_to: String,
    microsoft_365: bool,
    role: Role,
    expires: String,
}

/// `GET /app/users`: users, join requests, invitations. Read-only.
async fn users_page(
    PageUser(auth): PageUser,
    State(s): State<DirectoryState>,
    q: Result<Query<UsersQuery>, QueryRejection>,
) -> Result<Html, PageRefusal> {
    // A malformed highlight is ignored: the page is still useful without it.
    let highlight = q
        .ok()
        .and_then(|Query(q)| q.join_request)
        .and_then(|r| Uuid::try_parse(&r).ok());
    let (by, dir) = (actor(&auth), &s.directory);
    let now = s.adapters.clock.now_ms();
    let (users, more_users) = page_after(
        |c| async move {
            let l = dir.list_users(by, c, MAX_PAGE).await?;
            Ok((l.items, l.next))
        },
        |u: &UserAccount| u.user.id.0,
        None,
        SHOWN,
    )
    .await?;
    let (requests, _) = page_after(
        |c| async move {
            let l = dir.list_join_requests(by, c, MAX_PAGE).await?;
            Ok((l.items, l.next))
        },
        |r: &JoinRequest| r.id,
        None,
        SHOWN,
    )
    .await?;
    let (invitations, _) = page_after(
        |c| async move {
            let l = dir.list_invitations(by, c, MAX_PAGE).await?;
            Ok((l.items, l.next))
        },
        |i: &Invitation| i.id,
        None,
        SHOWN,
    )
    .await?;
    // Offer "super admin" only to super admins (the domain decides anyway).
    let super_admin = users
        .iter()
        .any(|u| u.user.id == auth.user.id && u.role == Role::SuperAdmin);
    let users: Vec<UserRow> = users
        .into_iter()
        .map(|u| UserRow {
            id: u.user.id.to_string(),
            add_document: u.may(Right::AddDocument),
            manage_users: u.may(Right::ManageUsers),
            relation_manager: u.in_group(Group::RelationManagers),
            active: u.is_active(),
            me: u.user.id == auth.user.id,
            name: u.user.name,
            email: u.email,
            role: u.role,
        })
        .collect();
    let mut highlighted = None;
    let join_requests: Vec<JoinRow> = requests
        .into_iter()
        .filter_map(|r| {
            let state = r.effective_state(now);
            let is_highlighted = Some(r.id) == highlight;
            if is_highlighted {
                highlighted = Some(state);
            }
            (state == JoinRequestState::Pending || is_highlighted).then(|| JoinRow {
                id: r.id.to_string(),
                address: r.person.email.or(r.person.username),
                name: r.person.name,
                requested: minute(r.created_at_ms),
                state,
                highlighted: is_highlighted,
            })
        })
        .collect();
    let invitations: Vec<InvitationRow> = invitations
        .into_iter()
        .filter(|i| i.effective_state(now) == InvitationState::Pending)
        .map(|i| InvitationRow {
            id: i.id.to_string(),
            sent_to: i.invitee.address().to_string(),
            microsoft_365: matches!(i.invitee, Invitee::Microsoft365 { .. }),
            role: i.role,
            expires: minute(i.expires_at_ms),
        })
        .collect();
    Ok(TEMPLATES.render(
        "users.html",
        serde_json::json!({
            "title": "Users",
            "users": users,
            "more_users": more_users.is_some(),
            "join_requests": join_requests,
            "highlight_asked": highlight.is_some(),
            "highlight_state": highlighted,
            "invitations": invitations,
            "super_admin": super_admin,
        }),
    )?)
}

/// A form body, its rejection as a 400 page.
fn form<T>(f: Result<Form<T>, FormRejection>) -> Result<T, PageRefusal> {
    f.map(|Form(v)| v)
        .map_err(|e| PageRefusal::new(StatusCode::BAD_REQUEST, "Bad request", e.body_text()))
}

/// Back to the users page (303).
fn back() -> Response {
    Redirect::to(USERS_PAGE).into_response()
}

/// The access form of one user: the role, and one checkbox per right and group (a checkbox
/// that is not ticked is not sent, so absent means "no").
#[derive(Debug, Deserialize)]
struct AccessForm {
    role: Role,
    add_document: Option<String>,
    manage_users: Option<String>,
    relation_manager: Option<String>,
}

/// `POST /app/users/{user}/access`: sets role, rights and groups as the form shows them.
async fn change_access(
    PageUser(auth): PageUser,
    State(s): State<DirectoryState>,
    Path(user): Path<String>,
    headers: HeaderMap,
    f: Result<Form<AccessForm>, FormRejection>,
) -> Result<Response, PageRefusal> {
    same_origin(&s, &headers)?;
    let target = UserId(path_id(&user, "user")?);
    let f = form(f)?;
    let mut rights = Vec::new();
    if f.add_document.is_some() {
        rights.push(Right::AddDocument);
    }
    if f.manage_users.is_some() {
        rights.push(Right::ManageUsers);
    }
    let groups = if f.relation_manager.is_some() {
        vec![Group::RelationManagers]
    } else {
        Vec::new()
    };
    let change = AccessChange {
        role: Some(f.role),
        rights: Some(rights),
        groups: Some(groups),
    };
    s.directory
        .change_access(actor(&auth), target, change)
        .await?;
    Ok(back())
}

/// `POST /app/users/{user}/deactivate`.
async fn deactivate(
    PageUser(auth): PageUser,
    State(s): State<DirectoryState>,
    Path(user): Path<String>,
    headers: HeaderMap,
) -> Result<Response, PageRefusal> {
    same_origin(&s, &headers)?;
    let target = UserId(path_id(&user, "user")?);
    s.directory.deactivate(actor(&auth), target).await?;
    Ok(back())
}

/// `POST /app/users/{user}/reactivate`.
async fn reactivate(
    PageUser(auth): PageUser,
    State(s): State<DirectoryState>,
    Path(user): Path<String>,
    headers: HeaderMap,
) -> Result<Response, PageRefusal> {
    same_origin(&s, &headers)?;
    let target = UserId(path_id(&user, "user")?);
    s.directory.reactivate(actor(&auth), target).await?;
    Ok(back())
}

/// The invite form: an e-mail address (USR-5), or a Microsoft 365 user of the organisation by
/// object id and sign-in address (USR-2); the role and rights the user will get.
#[derive(Debug, Deserialize)]
struct InviteForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    m365_user_id: String,
    #[serde(default)]
    upn: String,
    role: Role,
    add_document: Option<String>,
    manage_users: Option<String>,
}

/// `POST /app/users/invitations`: invites, and the mail goes out.
async fn invite(
    PageUser(auth): PageUser,
    State(s): State<DirectoryState>,
    headers: HeaderMap,
    f: Result<Form<InviteForm>, FormRejection>,
) -> Result<Response, PageRefusal> {
    same_origin(&s, &headers)?;
    let f = form(f)?;
    let invitee = match (f.email.trim(), f.m365_user_id.trim()) {
        (email, "") if !email.is_empty() => Invitee::Email {
            email: email.to_string(),
        },
        ("", oid) if !oid.is_empty() => {
            organisation_invitee(&s, auth.tenant, oid.to_string(), Some(f.upn)).await?
        }
        _ => {
            return Err(PageRefusal::new(
                StatusCode::BAD_REQUEST,
                "Bad request",
                "fill in either an e-mail address or a Microsoft 365 user, not both",
            ));
        }
    };
    let mut rights = Vec::new();
    if f.add_document.is_some() {
        rights.push(Right::AddDocument);
    }
    if f.manage_users.is_some() {
        rights.push(Right::ManageUsers);
    }
    let now = s.adapters.clock.now_ms();
    s.directory
        .invite(actor(&auth), invitee, f.role, rights, now)
        .await?;
    Ok(back())
}

/// `POST /app/users/invitations/{id}/revoke`.
async fn revoke(
    PageUser(auth): PageUser,
    State(s): State<DirectoryState>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, PageRefusal> {
    same_origin(&s, &headers)?;
    let id = path_id(&id, "invitation")?;
    let now = s.adapters.clock.now_ms();
    s.directory.revoke_invitation(actor(&auth), id, now).await?;
    Ok(back())
}

async fn decide(
    auth: &bridge_http::ApiUser,
    s: &DirectoryState,
    id: &str,
    headers: &HeaderMap,
    decision: Decision,
) -> Result<Response, PageRefusal> {
    same_origin(s, headers)?;
    let id = path_id(id, "join request")?;
    let now = s.adapters.clock.now_ms();
    s.directory
        .decide_join_request(actor(auth), id, decision, now)
        .await?;
    Ok(back())
}

/// `POST /app/users/join-requests/{id}/approve` ("Approve & Add", USR-4).
async fn approve(
    PageUser(auth): PageUser,
    State(s): State<DirectoryState>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, PageRefusal> {
    decide(&auth, &s, &id, &headers, Decision::Approve).await
}

/// `POST /app/users/join-requests/{id}/decline`.
async fn decline(
    PageUser(auth): PageUser,
    State(s): State<DirectoryState>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, PageRefusal> {
    decide(&auth, &s, &id, &headers, Decision::Decline).await
}
