//! Dev sign-in, mounted only in local mode (embedded storage): trades a tenant and user id for
//! an API token, standing in for the real sign-in the app's front end will do. On AWS the route
//! is not mounted at all (404), so no configuration mistake can expose it.

use axum::Router;
use axum::extract::State;
use axum::response::IntoResponse;
use axum::routing::post;
use bridge_core::tenant::{TenantId, UserId};
use bridge_http::ApiError;
use bridge_http::auth::{DEV_TOKEN_TTL_MS, issue_api_token};
use secrecy::ExposeSecret;
use serde::{Deserialize, Serialize};

use crate::ApiState;
use crate::extract::JsonBody;

pub(crate) fn routes() -> Router<ApiState> {
    Router::new().route("/api/dev/sign-in", post(sign_in))
}

/// `POST /api/dev/sign-in` body.
#[derive(Debug, Deserialize)]
struct SignIn {
    tenant_id: String,
    user_id: String,
}

#[derive(Debug, Serialize)]
struct Token {
    token: String,
}

fn parse(what: &str, raw: &str) -> Result<uuid::Uuid, ApiError> {
    uuid::Uuid::try_parse(raw).map_err(|_| ApiError::bad_request(format!("{what} is not a UUID")))
}

async fn sign_in(
    State(s): State<ApiState>,
    JsonBody(body): JsonBody<SignIn>,
) -> Result<impl IntoResponse, ApiError> {
    bridge_http::request::record_operation("POST /api/dev/sign-in");
    let tenant = TenantId(parse("tenant_id", &body.tenant_id)?);
    let user = UserId(parse("user_id", &body.user_id)?);
    bridge_platform::seed::load_user(&s.adapters, tenant, user)
        .await?
        .ok_or_else(|| ApiError::not_found("no such user in this tenant"))?;
    let token = issue_api_token(
        s.adapters.signing_key.expose_secret(),
        tenant,
        user,
        s.adapters.clock.now_ms(),
        DEV_TOKEN_TTL_MS,
    )
    .map_err(|e| ApiError::internal(&e))?;
    Ok(axum::Json(Token { token }))
}
