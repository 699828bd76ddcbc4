//! `GET /users`, `GET /users/{id}`.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Extension, Path, Query, State};
use serde_json::Value;

use super::{Params, int_param, paged};
use crate::auth::Caller;
use crate::error::{EmulatorError, GraphError};
use crate::shared::Shared;

/// `GET /v1.0/users` (`$top`, `$skip`; default page 100).
pub(crate) async fn list(
    State(shared): State<Arc<Shared>>,
    Extension(caller): Extension<Caller>,
    Query(q): Query<Params>,
) -> Result<Json<Value>, GraphError> {
    let top = int_param(&q, "$top")?.unwrap_or(100);
    let skip = int_param(&q, "$skip")?.unwrap_or(0);
    let st = shared.lock();
    let tenant = st
        .tenants
        .get(&caller.tenant_id)
        .ok_or_else(|| EmulatorError::UnknownTenant(caller.tenant_id.clone()))?;
    let users: Vec<Value> = tenant
        .user_ids
        .iter()
        .filter_map(|id| st.users.get(id))
        .map(crate::state::User::to_json)
        .collect();
    Ok(Json(paged(
        users,
        skip,
        top,
        &format!("{}/users", shared.graph_base()),
    )))
}

/// `GET /v1.0/users/{id|userPrincipalName}`.
pub(crate) async fn get(
    State(shared): State<Arc<Shared>>,
    Extension(caller): Extension<Caller>,
    Path(user): Path<String>,
) -> Result<Json<Value>, GraphError> {
    let st = shared.lock();
    let id = st.resolve_user(Some(&caller.tenant_id), &user)?;
    Ok(Json(st.user(&id)?.to_json()))
}
