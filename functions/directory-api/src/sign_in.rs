//! Sign-in with Microsoft (OpenID Connect) and install (USR-1): the HTTP edge of
//! [`bridge_identity`] and [`bridge_directory::Directory::install`].
//!
//! * `GET /app/sign-in/microsoft?return_to=/app/…` starts the authorization code flow (PKCE); the
//!   flow's secrets ride in a short-lived signed cookie ([`flow_cookie`]) bound to this browser.
//! * `GET /app/auth/callback` finishes it: the id token is validated, the person cookie
//!   ([`bridge_http::person`]) is set, and a member also gets the page session
//!   ([`bridge_http::auth::SESSION_COOKIE`]) and goes on to `return_to`.
//! * `POST /app/sign-out` ends both.
//! * `GET /app/install`, `POST /app/install/consent`, `GET /app/install/consented`,
//!   `POST /app/install`: a Microsoft 365 administrator grants admin consent, then creates the
//!   environment and becomes its super admin.
//!
//! Nothing but the short-lived flow cookies changes on a GET; every POST is same-origin checked
//! before anything else. Tokens, codes and personal data are never logged.

use std::fmt;
use std::sync::Arc;

use axum::Router;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use bridge_http::page::{Html, PageError, Templates};
use bridge_identity::{AllowedTenants, JwksCache, OidcConfig};
use bridge_platform::{Adapters, ConfigError};
use http::{HeaderMap, HeaderValue, StatusCode, header};

use crate::DirectoryState;

mod callback;
mod flow_cookie;
mod install;
#[cfg(test)]
mod tests;

/// Sign-in's redirect URI (registered with the app registration), under `BRIDGE_PUBLIC_URL`.
pub const CALLBACK_PATH: &str = "/app/auth/callback";
/// Admin consent's redirect URI.
pub const CONSENTED_PATH: &str = "/app/install/consented";
/// Where a signed-in member lands when the sign-in named no `return_to`.
const APP_HOME: &str = "/app";

/// The templates of this area (the layout and error page come with [`Templates`]).
static TEMPLATES: Templates = Templates::new(&[
    (
        "sign_in_not_member.html",
        include_str!("../templates/sign_in_not_member.html"),
    ),
    (
        "sign_in_signed_out.html",
        include_str!("../templates/sign_in_signed_out.html"),
    ),
    (
        "sign_in_refused.html",
        include_str!("../templates/sign_in_refused.html"),
    ),
    (
        "install_start.html",
        include_str!("../templates/install_start.html"),
    ),
    (
        "install_confirm.html",
        include_str!("../templates/install_confirm.html"),
    ),
    (
        "install_refused.html",
        include_str!("../templates/install_refused.html"),
    ),
]);

/// Everything a sign-in needs besides the request, built once per process: the app
/// registration, the cache of Entra's signing keys (shared by every request, so key rotation
/// costs one fetch), and the HTTP client for the token endpoint.
pub struct SignInService {
    oidc: OidcConfig,
    jwks: JwksCache,
    http: reqwest::Client,
    /// Our public base URL (`BRIDGE_PUBLIC_URL`): redirect URIs and the same-origin check.
    base: String,
}

impl fmt::Debug for SignInService {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SignInService")
            .field("authority", &self.oidc.authority)
            .field("client_id", &self.oidc.client_id)
            .field("base", &self.base)
            .finish_non_exhaustive()
    }
}

impl SignInService {
    /// Admin consent's redirect URI.
    fn consent_redirect_uri(&self) -> String {
        format!("{}{CONSENTED_PATH}", self.base)
    }

    /// Whether cookies get `Secure` (an https deployment).
    fn secure(&self) -> bool {
        self.base.starts_with("https://")
    }
}

/// The sign-in service for `adapters`' configuration, or `None` when `BRIDGE_OIDC_*` or
/// `BRIDGE_PUBLIC_URL` are not set (the routes then answer 503 naming them). A configuration
/// that is set but unusable stops the start with the variable's name.
pub fn service(adapters: &Adapters) -> Result<Option<Arc<SignInService>>, ConfigError> {
    let config = &adapters.config;
    let (Some(o), Some(base)) = (&config.oidc, &config.public_url) else {
        return Ok(None);
    };
    let base = base.trim_end_matches('/').to_string();
    let oidc = OidcConfig {
        authority: o.authority.clone(),
        client_id: o.client_id.clone(),
        client_secret: o.client_secret.clone(),
        redirect_uri: format!("{base}{CALLBACK_PATH}"),
        allowed_tenants: if o.allowed_tenants.is_empty() {
            AllowedTenants::Any
        } else {
            AllowedTenants::List(o.allowed_tenants.clone())
        },
    };
    oidc.validate().map_err(|e| ConfigError::Invalid {
        var: "BRIDGE_OIDC_AUTHORITY",
        reason: format!("{e} (redirect URIs are under BRIDGE_PUBLIC_URL)"),
    })?;
    let http = bridge_identity::http_client().map_err(|e| ConfigError::Invalid {
        var: "BRIDGE_OIDC_AUTHORITY",
        reason: e.to_string(),
    })?;
    let jwks = JwksCache::for_config(http.clone(), &oidc);
    Ok(Some(Arc::new(SignInService {
        oidc,
        jwks,
        http,
        base,
    })))
}

/// The routes of this area.
pub(crate) fn routes() -> Router<DirectoryState> {
    Router::new()
        .route("/app/sign-in/microsoft", get(callback::start))
        .route(CALLBACK_PATH, get(callback::callback))
        .route("/app/sign-out", post(callback::sign_out))
        .route("/app/install", get(install::page).post(install::install))
        .route("/app/install/consent", post(install::consent))
        .route(CONSENTED_PATH, get(install::consented))
}

/// The configured service, or a 503 page naming what to set.
impl SignInService {
    /// The page CSP, with Microsoft's login origin allowed as a form target: a form whose
    /// answer redirects there (admin consent) is otherwise blocked by `form-action 'self'`,
    /// which browsers apply to redirects too.
    fn csp_with_authority(&self) -> String {
        let origin = reqwest::Url::parse(&self.oidc.authority)
            .map(|u| u.origin().ascii_serialization())
            .unwrap_or_default();
        bridge_http::page::PAGE_CSP.replace(
            "form-action 'self'",
            &format!("form-action 'self' {origin}"),
        )
    }
}

fn configured(s: &DirectoryState) -> Result<&SignInService, PageError> {
    if let Some(svc) = s.sign_in.as_deref() {
        return Ok(svc);
    }
    let mut missing = Vec::new();
    if s.adapters.config.oidc.is_none() {
        missing.extend(["BRIDGE_OIDC_CLIENT_ID", "BRIDGE_OIDC_CLIENT_SECRET"]);
    }
    if s.adapters.config.public_url.is_none() {
        missing.push("BRIDGE_PUBLIC_URL");
    }
    Err(PageError::new(
        StatusCode::SERVICE_UNAVAILABLE,
        "Sign-in with Microsoft is not set up",
        format!(
            "this environment has no Microsoft app registration for sign-in; an operator must \
             set {}",
            missing.join(", ")
        ),
    ))
}

/// Refuses a state-changing request another site made the browser send.
fn same_origin(svc: &SignInService, headers: &HeaderMap) -> Result<(), PageError> {
    bridge_http::page::same_origin(&svc.base, headers)
}

/// `/app/sign-in/microsoft?return_to=…`: the link that signs in and comes back to `return_to`.
fn sign_in_link(return_to: &str) -> String {
    let q = form_urlencoded::Serializer::new(String::new())
        .append_pair("return_to", return_to)
        .finish();
    format!("/app/sign-in/microsoft?{q}")
}

/// A page answer with `status`.
fn render(status: StatusCode, template: &str, ctx: serde_json::Value) -> Result<Html, PageError> {
    Ok(TEMPLATES.render(template, ctx)?.status(status))
}

/// Adds `Set-Cookie` headers (appended: a response may set several).
fn with_cookies(mut resp: Response, cookies: &[String]) -> Response {
    for c in cookies {
        match HeaderValue::from_str(c) {
            Ok(v) => {
                resp.headers_mut().append(header::SET_COOKIE, v);
            }
            Err(_) => {
                tracing::error!("a cookie value is not a valid header");
                return PageError::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "Something went wrong",
                    "the session could not be stored; try again",
                )
                .into_response();
            }
        }
    }
    resp
}

/// 303 See Other to `location` (a local path or the identity provider) with `cookies`.
fn see_other(location: &str, cookies: &[String]) -> Response {
    let mut resp = StatusCode::SEE_OTHER.into_response();
    match HeaderValue::from_str(location) {
        Ok(v) => {
            resp.headers_mut().insert(header::LOCATION, v);
        }
        Err(_) => {
            return PageError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "Something went wrong",
                "the next address could not be built",
            )
            .into_response();
        }
    }
    resp.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    with_cookies(resp, cookies)
}

/// A failure to issue one of our tokens (a deployment error: the key).
fn token_failure(e: &dyn fmt::Display) -> PageError {
    tracing::error!(error = %e, "could not issue a session token");
    PageError::new(
        StatusCode::INTERNAL_SERVER_ERROR,
        "Something went wrong",
        "the session could not be started; try again later",
    )
}
