//! The page where a relation manager shares one of their environment's documents with partners
//! and stops sharing it (PAR-5): `/app/partners/documents/{doc}`, linked from the client's
//! document list.
//!
//! It reads only; sharing and unsharing are same-origin POSTs that come back to it. A share with
//! the relation group is readable at once; one with a relation manager is queued, so the page
//! says it may take a few minutes.

use axum::Form;
use axum::Router;
use axum::extract::rejection::FormRejection;
use axum::extract::{Path, Query, State};
use axum::response::Redirect;
use axum::routing::{get, post};
use bridge_core::tenant::{TenantId, UserId};
use bridge_directory::{MAX_PAGE, ShareScope};
use bridge_http::auth::PageUser;
use bridge_http::page::Html;
use http::{HeaderMap, StatusCode};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{PageRefusal, Shared, TEMPLATES, actor, own_document, parse_id, same_origin};
use crate::DirectoryState;

/// The page of one document.
const PAGE: &str = bridge_wopi_host::partner::SHARE_WITH_PARTNERS;

pub(super) fn routes() -> Router<DirectoryState> {
    Router::new()
        .route(PAGE, get(page))
        .route("/app/partners/documents/{doc}/shares", post(share))
        .route("/app/partners/documents/{doc}/shares/remove", post(unshare))
}

fn page_path(doc: Uuid) -> String {
    bridge_wopi_host::partner::share_with_partners_path(doc)
}

/// A share or unshare form: the partner, and the person there (empty = the relation group).
#[derive(Debug, Deserialize)]
struct ShareForm {
    partner: String,
    #[serde(default)]
    user: String,
}

impl ShareForm {
    fn parse(
        f: Result<Form<ShareForm>, FormRejection>,
    ) -> Result<(TenantId, Option<UserId>), PageRefusal> {
        let Form(f) =
            f.map_err(|e| PageRefusal::new(StatusCode::BAD_REQUEST, "Bad request", e.body_text()))?;
        let partner = TenantId(parse_id(&f.partner, "partner")?);
        let user = match f.user.trim() {
            "" => None,
            u => Some(UserId(parse_id(u, "person")?)),
        };
        Ok((partner, user))
    }
}

/// `?queued=1` after a share with a relation manager.
#[derive(Debug, Deserialize)]
struct Notice {
    #[serde(default)]
    queued: Option<String>,
}

/// A partner to share with: the relation group, or one of its people on the partner's side.
#[derive(Serialize)]
struct PartnerOption {
    id: String,
    name: String,
    members: Vec<MemberOption>,
}

#[derive(Serialize)]
struct MemberOption {
    id: String,
    name: String,
}

/// A current share.
#[derive(Serialize)]
struct ShareRow {
    partner: String,
    partner_name: String,
    /// The person's id, empty for the relation group.
    user: String,
    with: String,
}

/// `GET /app/partners/documents/{doc}`. Read-only.
async fn page(
    PageUser(auth): PageUser,
    State(s): State<DirectoryState>,
    Path(doc): Path<String>,
    Query(notice): Query<Notice>,
) -> Result<Html, PageRefusal> {
    let by = actor(&auth);
    // PAR-1, PAR-2 first: who may not share learns nothing about the document.
    s.directory.check_partner_access(by).await?;
    let doc = parse_id(&doc, "document")?;
    let document = own_document(&s, &auth, doc).await?;
    let partners = s.directory.list_partners(by, None, MAX_PAGE).await?.items;
    let shares = s.directory.document_shares(by, doc).await?;
    let rows: Vec<ShareRow> = shares
        .iter()
        .map(|sh| {
            let rel = partners.iter().find(|r| r.partner == sh.partner);
            let partner_name = rel.map(|r| r.partner_name.clone()).unwrap_or_default();
            let (user, with) = match sh.scope {
                ShareScope::Group => (String::new(), "the relation group".to_string()),
                ShareScope::Person { user } => (
                    user.to_string(),
                    rel.and_then(|r| r.group.iter().find(|m| m.user == user))
                        .map_or_else(|| "a relation manager".to_string(), |m| m.name.clone()),
                ),
            };
            ShareRow {
                partner: sh.partner.to_string(),
                partner_name,
                user,
                with,
            }
        })
        .collect();
    let options: Vec<PartnerOption> = partners
        .iter()
        .map(|r| PartnerOption {
            id: r.partner.to_string(),
            name: r.partner_name.clone(),
            members: r
                .group
                .iter()
                .filter(|m| m.tenant == r.partner)
                .map(|m| MemberOption {
                    id: m.user.to_string(),
                    name: m.name.clone(),
                })
                .collect(),
        })
        .collect();
    Ok(TEMPLATES.render(
        "share.html",
        serde_json::json!({
            "title": "Share with partners",
            "name": document.name,
            "path": page_path(doc),
            "shares": rows,
            "partners": options,
            "queued": notice.queued.is_some(),
        }),
    )?)
}

/// `POST /app/partners/documents/{doc}/shares`: with the relation group (at once) or one of
/// its people on the partner's side (queued).
async fn share(
    PageUser(auth): PageUser,
    State(s): State<DirectoryState>,
    Path(doc): Path<String>,
    headers: HeaderMap,
    f: Result<Form<ShareForm>, FormRejection>,
) -> Result<Redirect, PageRefusal> {
    same_origin(&s, &headers)?;
    let doc = parse_id(&doc, "document")?;
    let (partner, user) = ShareForm::parse(f)?;
    let back = page_path(doc);
    Ok(
        match super::share_document(&s, &auth, doc, partner, user).await? {
            Shared::Now(_) => Redirect::to(&back),
            Shared::Queued(_) => Redirect::to(&format!("{back}?queued=1")),
        },
    )
}

/// `POST /app/partners/documents/{doc}/shares/remove`: stops a share; the partner's next read
/// is refused.
async fn unshare(
    PageUser(auth): PageUser,
    State(s): State<DirectoryState>,
    Path(doc): Path<String>,
    headers: HeaderMap,
    f: Result<Form<ShareForm>, FormRejection>,
) -> Result<Redirect, PageRefusal> {
    same_origin(&s, &headers)?;
    let doc = parse_id(&doc, "document")?;
    let (partner, user) = ShareForm::parse(f)?;
    s.directory
        .unshare_document(actor(&auth), partner, doc, user)
        .await?;
    Ok(Redirect::to(&page_path(doc)))
}
