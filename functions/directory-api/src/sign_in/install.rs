//! Installing for an organisation (USR-1): a Microsoft 365 administrator signs in, grants admin
//! consent at Microsoft, names the environment, and becomes its super admin.
//!
//! The admin consent's callback carries a tenant id anyone could type, so it only decides which
//! page to show; the install itself is granted to the signed-in person's own validated id token
//! (`admin`, from `wids`), for their own tenant (`tid`), by [`bridge_directory::Directory::install`].

use axum::Form;
use axum::extract::rejection::FormRejection;
use axum::extract::{RawQuery, State};
use axum::response::{IntoResponse, Response};
use bridge_directory::DirectoryError;
use bridge_http::auth::{cookie, issue_api_token, session_cookie};
use bridge_http::page::{Html, PageError};
use bridge_http::person::{PERSON_TTL_MS, Person, SignInRequired, SignedIn};
use bridge_identity::{IdentityError, admin_consent_result, start_admin_consent};
use http::{HeaderMap, StatusCode};
use secrecy::ExposeSecret;
use serde::Deserialize;

use super::flow_cookie::{self, CONSENT_COOKIE, ConsentFlow};
use super::{configured, render, same_origin, see_other, sign_in_link, token_failure};
use crate::errors::directory_error;
use crate::{DirectoryState, signed_in_person};

/// Where the new super admin lands: the users page, to invite their colleagues.
const AFTER_INSTALL: &str = "/app/users";
/// This area's own page, the `return_to` of its sign-in link.
const INSTALL_PAGE: &str = "/app/install";

/// 403: only an administrator of the organisation may install.
fn not_an_admin() -> Result<Response, PageError> {
    tracing::info!("install refused: not an administrator of the organisation");
    Ok(render(
        StatusCode::FORBIDDEN,
        "install_refused.html",
        serde_json::json!({
            "title": "Only an administrator can install",
            "message": "only a Microsoft 365 administrator of your organisation can install \
                        the app; ask one of them to open this page and install it, then sign in \
                        or ask to join",
            "sign_in_url": serde_json::Value::Null,
        }),
    )?
    .into_response())
}

/// 409: the organisation has an environment already.
fn already_installed() -> Result<Response, PageError> {
    Ok(render(
        StatusCode::CONFLICT,
        "install_refused.html",
        serde_json::json!({
            "title": "Already installed",
            "message": "the app is already installed for your organisation; nothing was \
                        changed. Sign in to use it, or ask a user manager to invite you",
            "sign_in_url": sign_in_link("/app"),
        }),
    )?
    .into_response())
}

/// `GET /app/install`: what installing means; for a signed-in administrator, the button that
/// starts admin consent; otherwise the sign-in link (or why this person cannot install).
pub(super) async fn page(
    person: Result<SignedIn, SignInRequired>,
    State(s): State<DirectoryState>,
) -> Result<Html, PageError> {
    let svc = configured(&s)?;
    let csp = svc.csp_with_authority();
    let person = person.ok().map(|SignedIn(p)| p);
    let installed = match &person {
        Some(p) => s
            .directory
            .installed_tenant(&p.tid)
            .await
            .map_err(|e| PageError::from(directory_error(e)))?
            .is_some(),
        None => false,
    };
    render(
        StatusCode::OK,
        "install_start.html",
        serde_json::json!({
            "title": "Install for your organisation",
            "signed_in": person.is_some(),
            "name": person.as_ref().map(|p| p.name.clone()),
            "admin": person.as_ref().is_some_and(|p| p.admin),
            "installed": installed,
            "sign_in_url": sign_in_link(INSTALL_PAGE),
        }),
    )
    .map(|html| html.header(http::header::CONTENT_SECURITY_POLICY, csp))
}

/// The signed-in person of a form POST, after the same-origin check (so every cross-site
/// attempt is a 403, with or without the cookie).
fn poster(
    s: &DirectoryState,
    headers: &HeaderMap,
    person: Result<SignedIn, SignInRequired>,
) -> Result<Result<Person, Response>, PageError> {
    let svc = configured(s)?;
    same_origin(svc, headers)?;
    Ok(person
        .map(|SignedIn(p)| p)
        .map_err(IntoResponse::into_response))
}

/// `POST /app/install/consent`: 303 to Microsoft's admin consent, the state in a cookie.
pub(super) async fn consent(
    person: Result<SignedIn, SignInRequired>,
    State(s): State<DirectoryState>,
    headers: HeaderMap,
) -> Result<Response, PageError> {
    let person = match poster(&s, &headers, person)? {
        Ok(p) => p,
        Err(resp) => return Ok(resp),
    };
    if !person.admin {
        return not_an_admin();
    }
    let svc = configured(&s)?;
    let started = start_admin_consent(&svc.oidc, &svc.consent_redirect_uri()).map_err(|e| {
        tracing::error!(error = %e, "admin consent cannot start");
        PageError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "Install is not working",
            "sign-in with Microsoft is misconfigured here; tell the operator of this environment",
        )
    })?;
    let now = s.adapters.clock.now_ms();
    let flow = ConsentFlow {
        state: started.state,
        tid: person.tid,
        oid: person.oid,
    };
    let cookie = flow_cookie::consent_cookie(
        s.adapters.signing_key.expose_secret(),
        &flow,
        now,
        svc.secure(),
    )
    .map_err(|e| token_failure(&e))?;
    Ok(see_other(&started.url, &[cookie]))
}

/// `GET /app/install/consented`: admin consent's callback. Read-only: checks the state and
/// shows the form that installs.
pub(super) async fn consented(
    person: Result<SignedIn, SignInRequired>,
    State(s): State<DirectoryState>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Result<Response, PageError> {
    configured(&s)?;
    let SignedIn(person) = match person {
        Ok(p) => p,
        Err(r) => return Ok(r.into_response()),
    };
    let now = s.adapters.clock.now_ms();
    let restart = "start the install again from the install page";
    let flow = cookie(&headers, CONSENT_COOKIE)
        .and_then(|t| {
            flow_cookie::open_consent(s.adapters.signing_key.expose_secret(), t, now)
                .map_err(|e| tracing::info!(reason = %e, "consent flow cookie refused"))
                .ok()
        })
        .filter(|f| f.tid == person.tid && f.oid == person.oid)
        .ok_or_else(|| {
            PageError::new(
                StatusCode::BAD_REQUEST,
                "Install not completed",
                format!("this consent was started in another browser, by another account, or took too long; {restart}"),
            )
        })?;
    let tid = match admin_consent_result(query.as_deref().unwrap_or_default(), &flow.state) {
        Ok(tid) => tid,
        Err(IdentityError::Denied { error, .. }) => {
            tracing::info!(error = %error, "admin consent refused");
            return Err(PageError::new(
                StatusCode::BAD_REQUEST,
                "Consent was not granted",
                format!(
                    "Microsoft did not grant the app access to your organisation (only an administrator can); {restart}"
                ),
            ));
        }
        Err(e) => {
            tracing::info!(reason = %e, "admin consent callback refused");
            return Err(PageError::new(
                StatusCode::BAD_REQUEST,
                "Install not completed",
                format!("Microsoft's answer does not belong to this install; {restart}"),
            ));
        }
    };
    if !tid.eq_ignore_ascii_case(&person.tid) {
        return Err(PageError::new(
            StatusCode::FORBIDDEN,
            "Consent for another organisation",
            "consent was granted for an organisation other than the one you signed in with; \
             sign in with an administrator account of the organisation to install for",
        ));
    }
    if !person.admin {
        return not_an_admin();
    }
    let installed = s
        .directory
        .installed_tenant(&person.tid)
        .await
        .map_err(|e| PageError::from(directory_error(e)))?;
    if installed.is_some() {
        return already_installed();
    }
    Ok(render(
        StatusCode::OK,
        "install_confirm.html",
        serde_json::json!({
            "title": "Install for your organisation",
            "name": person.name,
            "max_name": bridge_directory::install::MAX_TENANT_NAME_CHARS,
        }),
    )?
    .into_response())
}

/// The install form.
#[derive(Debug, Deserialize)]
pub(super) struct InstallForm {
    /// The environment's name.
    #[serde(default)]
    name: String,
}

/// `POST /app/install` (same-origin): creates the environment with the signed-in administrator
/// as its super admin, starts their page session, and opens the users page.
pub(super) async fn install(
    person: Result<SignedIn, SignInRequired>,
    State(s): State<DirectoryState>,
    headers: HeaderMap,
    form: Result<Form<InstallForm>, FormRejection>,
) -> Result<Response, PageError> {
    let person = match poster(&s, &headers, person)? {
        Ok(p) => p,
        Err(resp) => return Ok(resp),
    };
    let Form(form) = form.map_err(|_| {
        PageError::new(
            StatusCode::BAD_REQUEST,
            "Install not completed",
            "the form was not sent as expected; reload the page and try again",
        )
    })?;
    if !person.admin {
        return not_an_admin();
    }
    let now = s.adapters.clock.now_ms();
    let installed = match s
        .directory
        .install(&person.tid, &signed_in_person(&person), &form.name, now)
        .await
    {
        Ok(i) => i,
        Err(DirectoryError::NotAnAdmin) => return not_an_admin(),
        Err(DirectoryError::AlreadyInstalled { .. }) => return already_installed(),
        Err(e) => return Err(directory_error(e).into()),
    };
    let svc = configured(&s)?;
    let tenant = installed.tenant.tenant.id;
    let token = issue_api_token(
        s.adapters.signing_key.expose_secret(),
        tenant,
        installed.super_admin.user.id,
        now,
        PERSON_TTL_MS,
    )
    .map_err(|e| token_failure(&e))?;
    let secure = svc.secure();
    Ok(see_other(
        AFTER_INSTALL,
        &[
            session_cookie(&token, PERSON_TTL_MS / 1000, secure),
            flow_cookie::clear(CONSENT_COOKIE, secure),
        ],
    ))
}
