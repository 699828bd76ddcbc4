//! The partners JSON API (bearer): partners, findability, search, relation requests, sharing
//! (and unsharing) and the relation group (PAR-1..6).
//!
//! Search writes a rate counter, so it is a POST even though it answers a question. Relation
//! request answers never carry the request's link token: it is the addressee's secret, sent only
//! in their mail.

use axum::Router;
use axum::extract::{Path, State};
use axum::response::IntoResponse;
use axum::routing::{delete, get, post, put};
use bridge_core::tenant::{TenantId, UserId};
use bridge_directory::{MAX_PAGE, RelationRequest};
use bridge_http::{ApiError, ApiUser};
use http::StatusCode;
use serde::{Deserialize, Serialize};

use super::{ApiRefusal, Shared, actor, parse_id, share_document};
use crate::DirectoryState;
use crate::extract::JsonBody;

pub(super) fn routes() -> Router<DirectoryState> {
    Router::new()
        .route("/api/partners", get(list_partners))
        .route("/api/partners/settings", put(settings))
        .route("/api/partners/search", post(search))
        .route("/api/partners/{partner}", delete(end_relation))
        .route("/api/partners/{partner}/members", post(add_member))
        .route(
            "/api/relation-requests",
            get(list_requests).post(request_relation),
        )
        .route("/api/relation-requests/{id}/revoke", post(revoke))
        .route("/api/documents/{doc}/shares", get(list_shares).post(share))
        .route(
            "/api/documents/{doc}/shares/{partner}",
            delete(unshare_group),
        )
        .route(
            "/api/documents/{doc}/shares/{partner}/{user}",
            delete(unshare_person),
        )
}

/// `PUT /api/partners/settings` body.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SettingsBody {
    /// Whether other environments can find this one (PAR-3).
    findable: bool,
}

/// `POST /api/partners/search` body.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SearchBody {
    q: String,
}

/// `POST /api/relation-requests` body.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RequestBody {
    to_tenant: String,
    to_user: String,
}

/// `POST /api/documents/{doc}/shares` body.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ShareBody {
    partner: String,
    scope: ShareWith,
    /// The partner's relation manager, for `scope: "manager"`.
    #[serde(default)]
    user: Option<String>,
}

/// With whom a document is shared.
#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
enum ShareWith {
    /// The relation group: at once.
    Group,
    /// One relation manager of the partner: queued (PAR-5, "may take a few minutes").
    Manager,
}

/// `POST /api/partners/{partner}/members` body.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct MemberBody {
    user: String,
}

/// A relation request as the API shows it (no token).
#[derive(Debug, Serialize)]
pub(super) struct RequestView {
    id: String,
    from_tenant: String,
    from_tenant_name: String,
    from_user_name: String,
    to_tenant: String,
    to_tenant_name: String,
    to_user_name: String,
    state: bridge_directory::RelationRequestState,
    created_at_ms: i64,
    expires_at_ms: i64,
}

impl RequestView {
    pub(super) fn of(r: &RelationRequest, now: i64) -> Self {
        RequestView {
            id: r.id.to_string(),
            from_tenant: r.from_tenant.to_string(),
            from_tenant_name: r.from_tenant_name.clone(),
            from_user_name: r.from_user_name.clone(),
            to_tenant: r.to_tenant.to_string(),
            to_tenant_name: r.to_tenant_name.clone(),
            to_user_name: r.to_user_name.clone(),
            state: r.effective_state(now),
            created_at_ms: r.created_at_ms,
            expires_at_ms: r.expires_at_ms,
        }
    }
}

fn tenant_id(raw: &str, what: &str) -> Result<TenantId, ApiError> {
    parse_id(raw, what).map(TenantId)
}

fn user_id(raw: &str, what: &str) -> Result<UserId, ApiError> {
    parse_id(raw, what).map(UserId)
}

/// `GET /api/partners`: the environment's partners with their relation groups.
async fn list_partners(
    auth: ApiUser,
    State(s): State<DirectoryState>,
) -> Result<impl IntoResponse, ApiRefusal> {
    let l = s
        .directory
        .list_partners(actor(&auth), None, MAX_PAGE)
        .await?;
    Ok(axum::Json(serde_json::json!({
        "partners": l.items,
        "more": l.next.is_some(),
    })))
}

/// `PUT /api/partners/settings`: findable on or off (admins; the domain checks).
async fn settings(
    auth: ApiUser,
    State(s): State<DirectoryState>,
    JsonBody(body): JsonBody<SettingsBody>,
) -> Result<impl IntoResponse, ApiRefusal> {
    let t = s
        .directory
        .set_findable(actor(&auth), body.findable)
        .await?;
    Ok(axum::Json(serde_json::json!({
        "findable": t.findable,
        "partner_relations": t.partner_relations,
    })))
}

/// `POST /api/partners/search`: suggestions with public details only (PAR-3).
async fn search(
    auth: ApiUser,
    State(s): State<DirectoryState>,
    JsonBody(body): JsonBody<SearchBody>,
) -> Result<impl IntoResponse, ApiRefusal> {
    let now = s.adapters.clock.now_ms();
    let found = s
        .directory
        .search_partners(actor(&auth), &body.q, now)
        .await?;
    Ok(axum::Json(serde_json::json!({ "suggestions": found })))
}

/// `POST /api/relation-requests`: asks a relation manager of another environment (PAR-4).
async fn request_relation(
    auth: ApiUser,
    State(s): State<DirectoryState>,
    JsonBody(body): JsonBody<RequestBody>,
) -> Result<impl IntoResponse, ApiRefusal> {
    let to_tenant = tenant_id(&body.to_tenant, "environment")?;
    let to_user = user_id(&body.to_user, "relation manager")?;
    let now = s.adapters.clock.now_ms();
    let sent = s
        .directory
        .request_relation(actor(&auth), to_tenant, to_user, now)
        .await?;
    Ok((
        StatusCode::CREATED,
        axum::Json(RequestView::of(&sent.request, now)),
    ))
}

/// `GET /api/relation-requests`: received and sent requests.
async fn list_requests(
    auth: ApiUser,
    State(s): State<DirectoryState>,
) -> Result<impl IntoResponse, ApiRefusal> {
    let now = s.adapters.clock.now_ms();
    let by = actor(&auth);
    let incoming = s
        .directory
        .list_relation_requests(by, true, None, MAX_PAGE)
        .await?;
    let outgoing = s
        .directory
        .list_relation_requests(by, false, None, MAX_PAGE)
        .await?;
    let views = |l: &[RelationRequest]| -> Vec<RequestView> {
        l.iter().map(|r| RequestView::of(r, now)).collect()
    };
    Ok(axum::Json(serde_json::json!({
        "incoming": views(&incoming.items),
        "outgoing": views(&outgoing.items),
    })))
}

/// `POST /api/relation-requests/{id}/revoke`: withdraws a pending request this environment sent.
async fn revoke(
    auth: ApiUser,
    State(s): State<DirectoryState>,
    Path(id): Path<String>,
) -> Result<impl IntoResponse, ApiRefusal> {
    let id = parse_id(&id, "relation request")?;
    let now = s.adapters.clock.now_ms();
    let r = s
        .directory
        .revoke_relation_request(actor(&auth), id, now)
        .await?;
    Ok(axum::Json(RequestView::of(&r, now)))
}

/// `POST /api/documents/{doc}/shares`: with the relation group (201, readable at once) or with
/// one relation manager of the partner (202, queued; PAR-5).
async fn share(
    auth: ApiUser,
    State(s): State<DirectoryState>,
    Path(doc): Path<String>,
    JsonBody(body): JsonBody<ShareBody>,
) -> Result<axum::response::Response, ApiRefusal> {
    let doc = parse_id(&doc, "document")?;
    let partner = tenant_id(&body.partner, "partner")?;
    let manager = match (body.scope, body.user.as_deref()) {
        (ShareWith::Group, None) => None,
        (ShareWith::Manager, Some(user)) => Some(user_id(user, "relation manager")?),
        (ShareWith::Group, Some(_)) => {
            return Err(
                ApiError::bad_request("a share with the relation group names no user").into(),
            );
        }
        (ShareWith::Manager, None) => {
            return Err(
                ApiError::bad_request("a share with a relation manager needs \"user\"").into(),
            );
        }
    };
    match share_document(&s, &auth, doc, partner, manager).await? {
        Shared::Now(share) => Ok((StatusCode::CREATED, axum::Json(share)).into_response()),
        Shared::Queued(job) => Ok((
            StatusCode::ACCEPTED,
            axum::Json(serde_json::json!({
                "job": job.id.to_string(),
                "partner": job.partner.to_string(),
                "user": job.to_user.to_string(),
                "doc": job.doc.to_string(),
                "state": "queued",
            })),
        )
            .into_response()),
    }
}

/// `POST /api/partners/{partner}/members`: adds a person of the partner to the relation group
/// (PAR-6), so documents shared with the group reach them too.
async fn add_member(
    auth: ApiUser,
    State(s): State<DirectoryState>,
    Path(partner): Path<String>,
    JsonBody(body): JsonBody<MemberBody>,
) -> Result<impl IntoResponse, ApiRefusal> {
    let partner = tenant_id(&partner, "partner")?;
    let person = user_id(&body.user, "person")?;
    let rel = s
        .directory
        .add_partner_person_as_member(actor(&auth), partner, person)
        .await?;
    Ok(axum::Json(rel))
}

/// `GET /api/documents/{doc}/shares`: with whom of which partner the document is shared.
async fn list_shares(
    auth: ApiUser,
    State(s): State<DirectoryState>,
    Path(doc): Path<String>,
) -> Result<impl IntoResponse, ApiRefusal> {
    let doc = parse_id(&doc, "document")?;
    let by = actor(&auth);
    let shares = s.directory.document_shares(by, doc).await?;
    Ok(axum::Json(serde_json::json!({ "shares": shares })))
}

/// `DELETE /api/documents/{doc}/shares/{partner}`: stops sharing with the relation group; the
/// partner's next read is refused (204).
async fn unshare_group(
    auth: ApiUser,
    State(s): State<DirectoryState>,
    Path((doc, partner)): Path<(String, String)>,
) -> Result<StatusCode, ApiRefusal> {
    let doc = parse_id(&doc, "document")?;
    let partner = tenant_id(&partner, "partner")?;
    s.directory
        .unshare_document(actor(&auth), partner, doc, None)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `DELETE /api/documents/{doc}/shares/{partner}/{user}`: stops sharing with one person of the
/// partner (204).
async fn unshare_person(
    auth: ApiUser,
    State(s): State<DirectoryState>,
    Path((doc, partner, user)): Path<(String, String, String)>,
) -> Result<StatusCode, ApiRefusal> {
    let doc = parse_id(&doc, "document")?;
    let partner = tenant_id(&partner, "partner")?;
    let user = user_id(&user, "person")?;
    s.directory
        .unshare_document(actor(&auth), partner, doc, Some(user))
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `DELETE /api/partners/{partner}`: ends the partnership (either side); nothing shared either
/// way is readable from then on (204).
async fn end_relation(
    auth: ApiUser,
    State(s): State<DirectoryState>,
    Path(partner): Path<String>,
) -> Result<StatusCode, ApiRefusal> {
    let partner = tenant_id(&partner, "partner")?;
    s.directory.end_relation(actor(&auth), partner).await?;
    Ok(StatusCode::NO_CONTENT)
}
