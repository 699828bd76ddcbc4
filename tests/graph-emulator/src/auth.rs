//! The identity platform token endpoint (client credentials here; authorization codes are
//! redeemed in `idp`) and the bearer check + per-mailbox throttling middleware.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Instant;

use axum::Form;
use axum::extract::{Path, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::error::GraphError;
use crate::shared::Shared;
use crate::state::IssuedToken;
use crate::throttle::Admission;

/// The authenticated caller (inserted into request extensions).
#[derive(Debug, Clone)]
pub(crate) struct Caller {
    pub tenant_id: String,
    pub app_id: String,
}

pub(crate) fn aad_error(status: StatusCode, error: &str, description: &str) -> Response {
    (
        status,
        axum::Json(json!({ "error": error, "error_description": description })),
    )
        .into_response()
}

/// `POST /{tenant}/oauth2/v2.0/token`: client credentials, or an authorization code.
pub(crate) async fn token(
    State(shared): State<Arc<Shared>>,
    Path(tenant): Path<String>,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    let field = |k: &str| form.get(k).map(String::as_str).unwrap_or_default();
    match field("grant_type") {
        "client_credentials" => {}
        "authorization_code" => return crate::idp::redeem_code(&shared, &tenant, &form),
        _ => {
            return aad_error(
                StatusCode::BAD_REQUEST,
                "unsupported_grant_type",
                "AADSTS70003: only client_credentials and authorization_code are supported",
            );
        }
    }
    if !field("scope").ends_with("/.default") {
        return aad_error(
            StatusCode::BAD_REQUEST,
            "invalid_scope",
            "AADSTS1002012: the scope must end with /.default",
        );
    }
    let mut st = shared.lock();
    let Some(t) = st.tenants.get(&tenant) else {
        return aad_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "AADSTS90002: tenant not found",
        );
    };
    match t.apps.get(field("client_id")) {
        None => {
            return aad_error(
                StatusCode::BAD_REQUEST,
                "unauthorized_client",
                "AADSTS700016: application not found in the directory",
            );
        }
        Some(secret) if secret != field("client_secret") => {
            return aad_error(
                StatusCode::UNAUTHORIZED,
                "invalid_client",
                "AADSTS7000215: invalid client secret provided",
            );
        }
        Some(_) => {}
    }
    let access_token = format!("emu.{}", uuid::Uuid::new_v4().simple());
    let lifetime = shared.config.token_lifetime;
    st.tokens.insert(
        access_token.clone(),
        IssuedToken {
            tenant_id: tenant,
            app_id: field("client_id").to_owned(),
            expires: Instant::now() + lifetime,
        },
    );
    axum::Json(json!({
        "token_type": "Bearer",
        "expires_in": lifetime.as_secs(),
        "ext_expires_in": lifetime.as_secs(),
        "access_token": access_token,
    }))
    .into_response()
}

fn authenticate(shared: &Shared, headers: &HeaderMap) -> Result<Caller, GraphError> {
    let raw = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .ok_or_else(|| GraphError::unauthorized("Access token is empty."))?;
    let token = raw
        .strip_prefix("Bearer ")
        .or_else(|| raw.strip_prefix("bearer "))
        .ok_or_else(|| GraphError::unauthorized("Authorization is not a bearer token."))?;
    let st = shared.lock();
    let issued = st.tokens.get(token.trim()).ok_or_else(|| {
        GraphError::unauthorized("Access token validation failure. Invalid audience.")
    })?;
    if issued.expires <= Instant::now() {
        return Err(GraphError::unauthorized(
            "Lifetime validation failed, the token is expired.",
        ));
    }
    Ok(Caller {
        tenant_id: issued.tenant_id.clone(),
        app_id: issued.app_id.clone(),
    })
}

/// The user reference of a mailbox-scoped path `/v1.0/users/{ref}/…`.
fn mailbox_ref(path: &str) -> Option<String> {
    let rest = path.strip_prefix("/v1.0/users/")?;
    let (user, tail) = rest.split_once('/')?;
    (!tail.is_empty() && !user.is_empty()).then(|| user.replace("%40", "@"))
}

/// Releases the concurrency slot when the request ends (even if the handler panics).
struct SlotGuard {
    shared: Arc<Shared>,
    app: String,
    user: String,
}

impl Drop for SlotGuard {
    fn drop(&mut self) {
        self.shared.lock().throttle.release(&self.app, &self.user);
    }
}

/// Middleware on every `/v1.0` route: bearer token, then mailbox throttling.
pub(crate) async fn guard(
    State(shared): State<Arc<Shared>>,
    mut req: Request,
    next: Next,
) -> Response {
    let caller = match authenticate(&shared, req.headers()) {
        Ok(c) => c,
        Err(e) => return e.into_response(),
    };
    let mut slot = None;
    if let Some(user_ref) = mailbox_ref(req.uri().path()) {
        let admission = {
            let mut st = shared.lock();
            let user = match st.resolve_user(Some(&caller.tenant_id), &user_ref) {
                Ok(u) => u,
                Err(e) => return GraphError::from(e).into_response(),
            };
            let adm = st
                .throttle
                .admit(&shared.config, &caller.app_id, &user, Instant::now());
            (adm, user)
        };
        match admission {
            (
                Admission::Throttled {
                    retry_after,
                    message,
                },
                _,
            ) => {
                return GraphError::throttled(retry_after, message).into_response();
            }
            (Admission::Admitted, user) => {
                slot = Some(SlotGuard {
                    shared: Arc::clone(&shared),
                    app: caller.app_id.clone(),
                    user,
                });
            }
        }
        if !shared.config.mailbox_latency.is_zero() {
            tokio::time::sleep(shared.config.mailbox_latency).await;
        }
    }
    req.extensions_mut().insert(caller);
    let resp = next.run(req).await;
    drop(slot);
    resp
}
