//! Pages for people who are not users yet: the invitation page and its answers (USR-2, USR-3,
//! USR-5), and the request to join (USR-4).
//!
//! `GET /app/invitations/{token}` only reads: mail scanners open links, so it shows who invites
//! to which environment and the state, and offers the answers as forms. Accepting and "link my
//! existing account" are same-origin POSTs (checked before anything else, so every cross-site
//! attempt is a 403) by the signed-in person ([`SignedIn`], the person
//! cookie); on success they start a page session for the resulting user. The token is only
//! passed to the domain; it is never logged or echoed into a page other than its own links.

use axum::Router;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use bridge_core::tenant::{TenantId, UserId};
use bridge_directory::{Actor, DirectoryError, InvitationState};
use bridge_http::ApiError;
use bridge_http::auth::{
    DEV_TOKEN_TTL_MS, PageRejection, PageUser, issue_api_token, session_cookie,
};
use bridge_http::page::Html;
use bridge_http::person::{SignInRequired, SignedIn};
use http::{HeaderMap, StatusCode, header};
use secrecy::ExposeSecret;
use serde::Serialize;

use super::{PageRefusal, TEMPLATES, minute, origin, same_origin};
use crate::{DirectoryState, signed_in_person};

/// Where a new session lands.
const APP_HOME: &str = "/app";

pub(super) fn routes() -> Router<DirectoryState> {
    Router::new()
        .route("/app/invitations/{token}", get(invitation_page))
        .route("/app/invitations/{token}/accept", post(accept))
        .route(
            "/app/invitations/{token}/link-existing",
            post(link_existing),
        )
        .route("/app/join-requests", post(request_join))
}

/// What the invitation page says about the signed-in person.
#[derive(Serialize)]
struct PersonCtx {
    name: String,
    username: Option<String>,
}

/// `GET /app/invitations/{token}`: the invitation, read-only.
async fn invitation_page(
    person: Result<SignedIn, SignInRequired>,
    session: Result<PageUser, PageRejection>,
    State(s): State<DirectoryState>,
    Path(token): Path<String>,
) -> Result<Html, PageRefusal> {
    let now = s.adapters.clock.now_ms();
    let view = s
        .directory
        .view_invitation(&token, now)
        .await
        .map_err(|e| invitation_refusal(e, "open"))?;
    let state = match view.state {
        InvitationState::Pending => "pending",
        InvitationState::Accepted => "used",
        InvitationState::Revoked => "revoked",
        InvitationState::Expired => "expired",
    };
    let person = person.ok().map(|SignedIn(p)| PersonCtx {
        name: p.name,
        username: p.username,
    });
    // Only the name: which tenant the session belongs to is not this page's business.
    let session_name = session.ok().map(|PageUser(u)| u.user.name);
    Ok(TEMPLATES.render(
        "invitation.html",
        serde_json::json!({
            "title": format!("Invitation to {}", view.tenant_name),
            "tenant_name": view.tenant_name,
            "invited_by_name": view.invited_by_name,
            "sent_to": view.sent_to,
            "microsoft_365": view.microsoft_365,
            "state": state,
            "expires": minute(view.expires_at_ms),
            "person": person,
            "session_name": session_name,
            "path": format!("/app/invitations/{token}"),
        }),
    )?)
}

/// A refusal of the invitation flow as a page, with what the person can do about it. The
/// domain's own messages say it for "not the invitee" and "already has an account".
fn invitation_refusal(e: DirectoryError, doing: &'static str) -> PageRefusal {
    let status = e.status();
    tracing::info!(status, doing, "invitation refused");
    let hint = match &e {
        DirectoryError::NotFound(_) => Some((
            "Invitation not found",
            "check that you opened the whole link from the invitation e-mail; if it still does \
             not work, ask for a new invitation",
        )),
        DirectoryError::Revoked | DirectoryError::Expired => Some((
            "This link no longer works",
            "ask the person who invited you to send a new invitation",
        )),
        DirectoryError::AlreadyUsed => Some((
            "This link no longer works",
            "if you accepted it yourself, just sign in to the app",
        )),
        _ => None,
    };
    match hint {
        Some((title, hint)) => PageRefusal::new(
            StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
            title,
            format!("{e}; {hint}."),
        ),
        None => e.into(),
    }
}

/// Answers a successful accept or link: a page session (`bridge_session`, `Secure` when our
/// origin is https) for `user` of `tenant`, and a 303 into the app.
fn start_session(
    s: &DirectoryState,
    headers: &HeaderMap,
    tenant: TenantId,
    user: UserId,
) -> Response {
    let token = match issue_api_token(
        s.adapters.signing_key.expose_secret(),
        tenant,
        user,
        s.adapters.clock.now_ms(),
        DEV_TOKEN_TTL_MS,
    ) {
        Ok(t) => t,
        Err(e) => return PageRefusal::from(ApiError::internal(&e)).into_response(),
    };
    let secure = origin(s, headers).starts_with("https://");
    let cookie = session_cookie(&token, DEV_TOKEN_TTL_MS / 1000, secure);
    (
        StatusCode::SEE_OTHER,
        [
            (header::LOCATION, APP_HOME.to_string()),
            (header::SET_COOKIE, cookie),
            (header::CACHE_CONTROL, "no-store".to_string()),
        ],
    )
        .into_response()
}

/// `POST /app/invitations/{token}/accept`: the signed-in invitee joins the inviting tenant.
async fn accept(
    person: Result<SignedIn, SignInRequired>,
    State(s): State<DirectoryState>,
    Path(token): Path<String>,
    headers: HeaderMap,
) -> Result<Response, Response> {
    same_origin(&s, &headers).map_err(IntoResponse::into_response)?;
    let SignedIn(person) = person.map_err(IntoResponse::into_response)?;
    let now = s.adapters.clock.now_ms();
    let account = s
        .directory
        .accept_invitation(&token, &signed_in_person(&person), now)
        .await
        .map_err(|e| invitation_refusal(e, "accept").into_response())?;
    tracing::info!(tenant = %account.user.tenant, user = %account.user.id, "joined by invitation");
    Ok(start_session(
        &s,
        &headers,
        account.user.tenant,
        account.user.id,
    ))
}

/// `POST /app/invitations/{token}/link-existing` ("Link my existing account", USR-3): the
/// signed-in invitee's Microsoft identity is linked to the account of this browser's session,
/// and so joins *that* account's tenant.
async fn link_existing(
    person: Result<SignedIn, SignInRequired>,
    session: Result<PageUser, PageRejection>,
    State(s): State<DirectoryState>,
    Path(token): Path<String>,
    headers: HeaderMap,
) -> Result<Response, Response> {
    same_origin(&s, &headers).map_err(IntoResponse::into_response)?;
    let SignedIn(person) = person.map_err(IntoResponse::into_response)?;
    let existing = match session {
        Ok(PageUser(u)) => Actor {
            tenant: u.tenant,
            user: u.user.id,
        },
        Err(PageRejection::SignIn) => {
            return Err(PageRefusal::new(
                StatusCode::UNAUTHORIZED,
                "Sign in to your existing account first",
                "to link your existing account, sign in to it in this browser first, then open \
                 the invitation link again and choose \"Link my existing account\"",
            )
            .into_response());
        }
        Err(PageRejection::Failed(e)) => return Err(e.into_response()),
    };
    let now = s.adapters.clock.now_ms();
    let account = s
        .directory
        .link_existing_account(&token, &signed_in_person(&person), existing, now)
        .await
        .map_err(|e| invitation_refusal(e, "link").into_response())?;
    Ok(start_session(
        &s,
        &headers,
        account.user.tenant,
        account.user.id,
    ))
}

/// `POST /app/join-requests` (USR-4): the signed-in person asks to join their organisation's
/// environment; every user manager there gets a mail.
async fn request_join(
    person: Result<SignedIn, SignInRequired>,
    State(s): State<DirectoryState>,
    headers: HeaderMap,
) -> Result<Html, Response> {
    same_origin(&s, &headers).map_err(IntoResponse::into_response)?;
    let SignedIn(person) = person.map_err(IntoResponse::into_response)?;
    let now = s.adapters.clock.now_ms();
    let sent = s
        .directory
        .request_join(&signed_in_person(&person), now)
        .await
        .map_err(|e| PageRefusal::from(e).into_response())?;
    TEMPLATES
        .render(
            "join_sent.html",
            serde_json::json!({
                "title": "Your request was sent",
                "expires": minute(sent.request.expires_at_ms),
            }),
        )
        .map_err(IntoResponse::into_response)
}
