//! The partners page (`/app/partners`) and the relation-request page a mail links to.
//!
//! The partners page checks partner access first: a user who may not use partners gets a 403
//! page saying who may (PAR-1, PAR-2). It lists partners and requests, offers the search
//! (PAR-3; a POST, since every search counts against a rate limit) with the details of each
//! suggested environment, and a relation-request form per relation manager of that environment
//! (PAR-4). Admins switch findability there too.
//!
//! The relation-request page (`/app/relation-requests/{token}`) only reads: mail scanners open
//! links. Accepting and declining are same-origin POSTs by the signed-in person, who must be the
//! addressed relation manager; a used link is 409, an expired or revoked one 410.

use axum::Form;
use axum::Router;
use axum::extract::rejection::FormRejection;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use bridge_core::tenant::{Role, TenantId, UserId};
use bridge_directory::{
    Actor, DirectoryError, MAX_PAGE, PartnerSuggestion, RelationRequestState, SignInOutcome,
    TenantRecord,
};
use bridge_http::auth::{PageUser, cookie};
use bridge_http::page::Html;
use bridge_http::person::{PERSON_COOKIE, Person, SignedIn, verify_person_token};
use http::{HeaderMap, StatusCode};
use secrecy::ExposeSecret;
use serde::{Deserialize, Serialize};

use super::api::RequestView;
use super::{PageRefusal, TEMPLATES, actor, minute, parse_id, same_origin};
use crate::DirectoryState;

/// The partners page, where its forms return to.
const PARTNERS_PAGE: &str = "/app/partners";
/// The relation-request page.
const REQUEST_PAGE: &str = "/app/relation-requests/{token}";

pub(super) fn routes() -> Router<DirectoryState> {
    Router::new()
        .route(PARTNERS_PAGE, get(partners_page))
        .route("/app/partners/search", post(search))
        .route("/app/partners/requests", post(request))
        .route("/app/partners/settings", post(settings))
        .route("/app/partners/{partner}/end", post(end_relation))
        .route(REQUEST_PAGE, get(request_page))
        .route("/app/relation-requests/{token}/accept", post(accept))
        .route("/app/relation-requests/{token}/decline", post(decline))
}

/// Search form.
#[derive(Debug, Deserialize)]
struct SearchForm {
    q: String,
}

/// Relation-request form.
#[derive(Debug, Deserialize)]
struct RequestForm {
    to_tenant: String,
    to_user: String,
}

/// Findability form: `findable=on` or `findable=off`.
#[derive(Debug, Deserialize)]
struct SettingsForm {
    findable: String,
}

/// A form body, its rejection as a 400 page.
fn form<T>(f: Result<Form<T>, FormRejection>) -> Result<T, PageRefusal> {
    f.map(|Form(v)| v)
        .map_err(|e| PageRefusal::new(StatusCode::BAD_REQUEST, "Bad request", e.body_text()))
}

/// A partner row.
#[derive(Serialize)]
struct PartnerRow {
    id: String,
    name: String,
    since: String,
    group: Vec<String>,
}

/// The tenant's own record (for the findability switch).
async fn own_tenant(s: &DirectoryState, tenant: TenantId) -> Result<TenantRecord, PageRefusal> {
    let item = s
        .adapters
        .table
        .get(&bridge_directory::keys::tenant(tenant))
        .await
        .map_err(bridge_http::ApiError::from)?
        .ok_or_else(|| PageRefusal::new(StatusCode::NOT_FOUND, "Not found", "no such tenant"))?;
    serde_json::from_value(serde_json::Value::Object(item.attrs))
        .map_err(|e| PageRefusal::from(bridge_http::ApiError::internal(&e)))
}

/// Renders the partners page, with `suggestions` when a search ran.
async fn render_partners(
    s: &DirectoryState,
    auth: &bridge_http::ApiUser,
    search: Option<(&str, Vec<PartnerSuggestion>)>,
) -> Result<Html, PageRefusal> {
    let by = actor(auth);
    // PAR-1, PAR-2: before anything else.
    s.directory.check_partner_access(by).await?;
    let now = s.adapters.clock.now_ms();
    let partners = s.directory.list_partners(by, None, MAX_PAGE).await?;
    let incoming = s
        .directory
        .list_relation_requests(by, true, None, MAX_PAGE)
        .await?;
    let outgoing = s
        .directory
        .list_relation_requests(by, false, None, MAX_PAGE)
        .await?;
    let tenant = own_tenant(s, auth.tenant).await?;
    let partners: Vec<PartnerRow> = partners
        .items
        .into_iter()
        .map(|r| PartnerRow {
            id: r.partner.to_string(),
            since: minute(r.created_at_ms),
            group: r.group.into_iter().map(|m| m.name).collect(),
            name: r.partner_name,
        })
        .collect();
    let pending = |l: Vec<bridge_directory::RelationRequest>| -> Vec<RequestView> {
        l.iter()
            .filter(|r| r.effective_state(now) == RelationRequestState::Pending)
            .map(|r| RequestView::of(r, now))
            .collect()
    };
    let (query, suggestions) = match search {
        Some((q, found)) => (Some(q.to_string()), Some(found)),
        None => (None, None),
    };
    let admin = is_admin(s, auth.tenant, auth.user.id).await;
    Ok(TEMPLATES.render(
        "partners.html",
        serde_json::json!({
            "title": "Partners",
            "partners": partners,
            "incoming": pending(incoming.items),
            "outgoing": pending(outgoing.items),
            "query": query,
            "suggestions": suggestions,
            "findable": tenant.findable,
            "admin": admin,
            "min_chars": s.directory.config().min_search_chars,
        }),
    )?)
}

/// Whether the user is an admin (shows the findability switch; the domain decides anyway).
async fn is_admin(s: &DirectoryState, tenant: TenantId, user: UserId) -> bool {
    matches!(
        bridge_platform::seed::load_account(&s.adapters, tenant, user).await,
        Ok(Some(a)) if a.role >= Role::Admin
    )
}

/// `GET /app/partners`. Read-only.
async fn partners_page(
    PageUser(auth): PageUser,
    State(s): State<DirectoryState>,
) -> Result<Html, PageRefusal> {
    render_partners(&s, &auth, None).await
}

/// `POST /app/partners/search`: the page with suggestions (PAR-3).
async fn search(
    PageUser(auth): PageUser,
    State(s): State<DirectoryState>,
    headers: HeaderMap,
    f: Result<Form<SearchForm>, FormRejection>,
) -> Result<Html, PageRefusal> {
    same_origin(&s, &headers)?;
    let f = form(f)?;
    let now = s.adapters.clock.now_ms();
    let found = s.directory.search_partners(actor(&auth), &f.q, now).await?;
    render_partners(&s, &auth, Some((&f.q, found))).await
}

/// `POST /app/partners/requests`: a relation request to the chosen relation manager (PAR-4).
async fn request(
    PageUser(auth): PageUser,
    State(s): State<DirectoryState>,
    headers: HeaderMap,
    f: Result<Form<RequestForm>, FormRejection>,
) -> Result<Redirect, PageRefusal> {
    same_origin(&s, &headers)?;
    let f = form(f)?;
    let to_tenant = TenantId(parse_id(&f.to_tenant, "environment")?);
    let to_user = UserId(parse_id(&f.to_user, "relation manager")?);
    let now = s.adapters.clock.now_ms();
    s.directory
        .request_relation(actor(&auth), to_tenant, to_user, now)
        .await?;
    Ok(Redirect::to(PARTNERS_PAGE))
}

/// `POST /app/partners/settings`: findable on or off (admins).
async fn settings(
    PageUser(auth): PageUser,
    State(s): State<DirectoryState>,
    headers: HeaderMap,
    f: Result<Form<SettingsForm>, FormRejection>,
) -> Result<Redirect, PageRefusal> {
    same_origin(&s, &headers)?;
    let findable = match form(f)?.findable.as_str() {
        "on" => true,
        "off" => false,
        _ => {
            return Err(PageRefusal::new(
                StatusCode::BAD_REQUEST,
                "Bad request",
                "findable must be on or off",
            ));
        }
    };
    s.directory.set_findable(actor(&auth), findable).await?;
    Ok(Redirect::to(PARTNERS_PAGE))
}

/// `POST /app/partners/{partner}/end`: ends the partnership (either side's relation managers).
async fn end_relation(
    PageUser(auth): PageUser,
    State(s): State<DirectoryState>,
    Path(partner): Path<String>,
    headers: HeaderMap,
) -> Result<Redirect, PageRefusal> {
    same_origin(&s, &headers)?;
    let partner = TenantId(parse_id(&partner, "partner")?);
    s.directory.end_relation(actor(&auth), partner).await?;
    Ok(Redirect::to(PARTNERS_PAGE))
}

/// The person of a valid person cookie, if any (the page works without one).
fn person(s: &DirectoryState, headers: &HeaderMap) -> Option<Person> {
    let token = cookie(headers, PERSON_COOKIE)?;
    verify_person_token(
        s.adapters.signing_key.expose_secret(),
        token,
        s.adapters.clock.now_ms(),
    )
    .ok()
}

/// The page's own path (the token is already in the address bar; it is not logged by us).
fn request_path(token: &str) -> String {
    REQUEST_PAGE.replace("{token}", token)
}

/// `GET /app/relation-requests/{token}`: who asks and the state. Changes nothing.
async fn request_page(
    State(s): State<DirectoryState>,
    Path(token): Path<String>,
    headers: HeaderMap,
) -> Result<Html, PageRefusal> {
    let now = s.adapters.clock.now_ms();
    let r = s.directory.view_relation_request(&token, now).await?;
    let person = person(&s, &headers);
    Ok(TEMPLATES.render(
        "relation_request.html",
        serde_json::json!({
            "title": "Relation request",
            "from_tenant_name": r.from_tenant_name,
            "from_user_name": r.from_user_name,
            "to_tenant_name": r.to_tenant_name,
            "to_user_name": r.to_user_name,
            "state": r.state,
            "expires": minute(r.expires_at_ms),
            "path": request_path(&token),
            "person": person.map(|p| p.name),
        }),
    )?)
}

/// The actor a signed-in person is: they must be an active user of some environment; whether
/// they are the addressee the domain decides.
async fn person_actor(s: &DirectoryState, p: &Person) -> Result<Actor, PageRefusal> {
    match s
        .directory
        .resolve_sign_in(&crate::signed_in_person(p))
        .await?
    {
        SignInOutcome::Member { tenant, user } => Ok(Actor { tenant, user }),
        SignInOutcome::Deactivated => Err(DirectoryError::Deactivated.into()),
        SignInOutcome::NotAMember { .. } => Err(DirectoryError::NotTheAddressee.into()),
    }
}

/// `POST /app/relation-requests/{token}/accept`: the environments become partners (PAR-4).
async fn accept(
    SignedIn(p): SignedIn,
    State(s): State<DirectoryState>,
    Path(token): Path<String>,
    headers: HeaderMap,
) -> Result<Response, PageRefusal> {
    same_origin(&s, &headers)?;
    let by = person_actor(&s, &p).await?;
    let now = s.adapters.clock.now_ms();
    s.directory.accept_relation_request(&token, by, now).await?;
    Ok(Redirect::to(&request_path(&token)).into_response())
}

/// `POST /app/relation-requests/{token}/decline`.
async fn decline(
    SignedIn(p): SignedIn,
    State(s): State<DirectoryState>,
    Path(token): Path<String>,
    headers: HeaderMap,
) -> Result<Response, PageRefusal> {
    same_origin(&s, &headers)?;
    let by = person_actor(&s, &p).await?;
    let now = s.adapters.clock.now_ms();
    s.directory
        .decline_relation_request(&token, by, now)
        .await?;
    Ok(Redirect::to(&request_path(&token)).into_response())
}
