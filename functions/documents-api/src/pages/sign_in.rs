//! Signing in to the pages. In local mode (embedded storage) a form trades a tenant and user id
//! for a session cookie, standing in for the real sign-in of the app; on AWS the page only says
//! where to sign in, and its POST does not exist.

use axum::Form;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use bridge_core::tenant::{TenantId, UserId};
use bridge_http::auth::{DEV_TOKEN_TTL_MS, issue_api_token, session_cookie};
use bridge_platform::Storage;
use http::{HeaderMap, StatusCode, header};
use secrecy::ExposeSecret;
use serde::Deserialize;

use super::lists::{links, same_origin};
use super::render::{Html, render};
use super::{PageError, PageResult};
use crate::ApiState;

/// The form's fields (also accepted as query parameters to prefill it).
#[derive(Debug, Default, Deserialize)]
pub(super) struct SignIn {
    #[serde(default)]
    tenant_id: String,
    #[serde(default)]
    user_id: String,
}

/// `GET /app/sign-in`.
pub(super) async fn form(
    State(s): State<ApiState>,
    Query(prefill): Query<SignIn>,
) -> PageResult<Html> {
    let dev = matches!(s.adapters.config.storage, Storage::Embedded { .. });
    render(
        "sign_in.html",
        serde_json::json!({
            "title": "Sign in",
            "dev": dev,
            "tenant_id": prefill.tenant_id,
            "user_id": prefill.user_id,
        }),
    )
}

fn parse(what: &str, raw: &str) -> PageResult<uuid::Uuid> {
    uuid::Uuid::try_parse(raw.trim()).map_err(|_| {
        PageError::new(
            StatusCode::BAD_REQUEST,
            "Cannot sign in",
            format!("{what} is not a UUID"),
        )
    })
}

/// `POST /app/sign-in` (local mode only): sets the session cookie and opens the client files.
pub(super) async fn submit(
    State(s): State<ApiState>,
    headers: HeaderMap,
    Form(body): Form<SignIn>,
) -> PageResult<Response> {
    same_origin(&s, &headers)?;
    let tenant = TenantId(parse("tenant id", &body.tenant_id)?);
    let user = UserId(parse("user id", &body.user_id)?);
    bridge_platform::seed::load_user(&s.adapters, tenant, user)
        .await
        .map_err(|e| PageError::from(bridge_http::ApiError::from(e)))?
        .ok_or_else(|| {
            PageError::new(
                StatusCode::NOT_FOUND,
                "Cannot sign in",
                "no such user in this environment",
            )
        })?;
    let token = issue_api_token(
        s.adapters.signing_key.expose_secret(),
        tenant,
        user,
        s.adapters.clock.now_ms(),
        DEV_TOKEN_TTL_MS,
    )
    .map_err(|e| PageError::from(bridge_http::ApiError::internal(&e)))?;
    let links = links(&s, &headers);
    let secure = links.home().starts_with("https://");
    let mut resp = Redirect::to(&links.home()).into_response();
    let cookie = session_cookie(&token, DEV_TOKEN_TTL_MS / 1000, secure);
    match http::HeaderValue::from_str(&cookie) {
        Ok(v) => {
            resp.headers_mut().insert(header::SET_COOKIE, v);
        }
        Err(e) => return Err(PageError::from(bridge_http::ApiError::internal(&e))),
    }
    Ok(resp)
}
