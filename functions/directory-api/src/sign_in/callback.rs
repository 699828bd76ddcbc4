//! Starting a sign-in, its callback, and signing out.
//!
//! Who the person is comes only from the validated id token. `verified_email` is set only when
//! the address is trustworthy, because e-mail invitations (USR-5) are accepted by it: Entra's
//! `email` claim is whatever a tenant admin typed, so it counts only when the token says its
//! domain is verified by its owner (`xms_edov`, an optional claim the app registration must
//! request) or the account is a personal Microsoft account (tenant
//! [`bridge_identity::CONSUMERS_TENANT_ID`], whose addresses Microsoft verifies).

use axum::extract::{Query, RawQuery, State};
use axum::response::{IntoResponse, Response};
use bridge_directory::SignInOutcome;
use bridge_http::auth::{cookie, issue_api_token, session_cookie};
use bridge_http::page::{Html, PageError};
use bridge_http::person::{PERSON_TTL_MS, Person, issue_person_token, person_cookie};
use bridge_identity::{
    CONSUMERS_TENANT_ID, Callback, ExpectedClaims, Identity, IdentityError, SignInOptions,
    exchange_code, start_sign_in_with,
};
use http::{HeaderMap, StatusCode};
use secrecy::ExposeSecret;
use serde::Deserialize;

use super::flow_cookie::{self, SIGN_IN_COOKIE, SignInFlow};
use super::{
    APP_HOME, SignInService, configured, render, same_origin, see_other, sign_in_link,
    token_failure, with_cookies,
};
use crate::errors::directory_error;
use crate::{DirectoryState, signed_in_person};

/// Longest accepted `return_to` and `login_hint`.
const MAX_RETURN_TO: usize = 1024;
const MAX_LOGIN_HINT: usize = 256;

/// The query of `GET /app/sign-in/microsoft`.
#[derive(Debug, Default, Deserialize)]
pub(super) struct StartQuery {
    return_to: Option<String>,
    /// Prefills the Microsoft account (e.g. the address an invitation went to).
    login_hint: Option<String>,
}

/// `return_to` if it is a path of this app (`/app` or under `/app/`), else `None`: never
/// another site (`//evil.example`, `/\evil.example`, `https://…`), never a `..` segment.
pub(crate) fn safe_return_to(raw: &str) -> Option<&str> {
    let path_ok = raw == APP_HOME || raw.starts_with("/app/") || raw.starts_with("/app?");
    let clean = raw.len() <= MAX_RETURN_TO
        && !raw.contains("//")
        && !raw.contains('\\')
        && !raw.chars().any(|c| c.is_control() || c.is_whitespace())
        && !raw.split(['/', '?', '#']).any(|seg| seg == "..");
    (path_ok && clean).then_some(raw)
}

/// Pages a person without an account comes back to after signing in (an invitation, the
/// install); other `return_to`s need an account.
fn serves_people_without_account(return_to: &str) -> bool {
    return_to.starts_with("/app/invitations/")
        || return_to == "/app/install"
        || return_to.starts_with("/app/install?")
}

fn bad_request(title: &str, message: impl Into<String>) -> PageError {
    PageError::new(StatusCode::BAD_REQUEST, title, message)
}

/// `GET /app/sign-in/microsoft`: 303 to Microsoft's authorize page, the flow in a cookie.
pub(super) async fn start(
    State(s): State<DirectoryState>,
    query: Result<Query<StartQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, PageError> {
    let svc = configured(&s)?;
    let Query(q) =
        query.map_err(|_| bad_request("Cannot sign in", "the sign-in link is malformed"))?;
    let return_to = match q.return_to.as_deref().filter(|r| !r.is_empty()) {
        None => APP_HOME,
        Some(r) => safe_return_to(r).ok_or_else(|| {
            tracing::info!("sign-in refused: return_to is not a page of this app");
            bad_request(
                "Cannot sign in",
                "the sign-in link names a page outside this app; open the app and sign in from there",
            )
        })?,
    };
    let login_hint = match q.login_hint.filter(|h| !h.is_empty()) {
        Some(h) if h.len() > MAX_LOGIN_HINT || h.chars().any(char::is_control) => {
            return Err(bad_request(
                "Cannot sign in",
                "the suggested account name is malformed",
            ));
        }
        h => h,
    };
    let now = s.adapters.clock.now_ms();
    let options = SignInOptions {
        login_hint,
        prompt: None,
    };
    let started = start_sign_in_with(&svc.oidc, now, &options).map_err(identity_failure)?;
    let flow = SignInFlow {
        flow: started.state,
        return_to: return_to.to_string(),
    };
    let cookie = flow_cookie::sign_in_cookie(
        s.adapters.signing_key.expose_secret(),
        &flow,
        now,
        svc.secure(),
    )
    .map_err(|e| token_failure(&e))?;
    Ok(see_other(&started.authorize_url, &[cookie]))
}

/// A refused or failed sign-in as a page: the person can always start again.
fn identity_failure(e: IdentityError) -> PageError {
    let again = "start again from the app's sign-in link";
    match &e {
        IdentityError::Config(_) | IdentityError::Random => {
            tracing::error!(error = %e, "sign-in cannot run");
            PageError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "Sign-in is not working",
                "sign-in with Microsoft is misconfigured here; tell the operator of this environment",
            )
        }
        IdentityError::Fetch(_) => {
            tracing::warn!(error = %e, "identity provider unreachable");
            PageError::new(
                StatusCode::BAD_GATEWAY,
                "Microsoft could not be reached",
                "Microsoft's sign-in service did not answer; try again in a moment",
            )
        }
        IdentityError::StateMismatch | IdentityError::SignInExpired => {
            tracing::info!(reason = %e, "sign-in callback refused");
            bad_request(
                "Sign-in not completed",
                format!(
                    "this sign-in was started in another browser tab or took too long; {again}"
                ),
            )
        }
        IdentityError::BadCallback(_) => bad_request(
            "Sign-in not completed",
            format!("Microsoft's answer is incomplete; {again}"),
        ),
        IdentityError::Denied { error, .. } => {
            tracing::info!(error = %error, "identity provider refused the sign-in");
            let why = match error.as_str() {
                "access_denied" => "you cancelled, or did not give the permission asked for",
                "consent_required" | "interaction_required" | "login_required" => {
                    "Microsoft needs you to sign in or consent first"
                }
                "temporarily_unavailable" | "server_error" => {
                    "Microsoft's sign-in service had a problem"
                }
                _ => "Microsoft refused the sign-in",
            };
            bad_request("Microsoft did not sign you in", format!("{why}; {again}"))
        }
        IdentityError::TokenEndpoint { error, .. } => {
            tracing::warn!(error = %error, "token endpoint refused the code");
            bad_request(
                "Sign-in not completed",
                format!("Microsoft did not accept this sign-in any more; {again}"),
            )
        }
        IdentityError::TenantNotAllowed { .. } => PageError::new(
            StatusCode::FORBIDDEN,
            "Your organisation cannot sign in here",
            "accounts of your organisation may not sign in to this environment; use a work \
             account of an organisation that uses it",
        ),
        _ => {
            tracing::warn!(reason = %e, "id token refused");
            bad_request(
                "Sign-in not completed",
                format!("Microsoft's answer could not be verified; {again}"),
            )
        }
    }
}

/// The person an id token describes; the e-mail only when verified (see the module doc).
pub(crate) fn person_of(identity: &Identity) -> Person {
    let trusted = identity.email_verified || identity.tid.eq_ignore_ascii_case(CONSUMERS_TENANT_ID);
    Person {
        tid: identity.tid.clone(),
        oid: identity.oid.clone(),
        name: identity.name.clone(),
        username: Some(identity.preferred_username.clone()).filter(|u| !u.is_empty()),
        verified_email: identity.email.clone().filter(|_| trusted),
        admin: identity.is_tenant_admin,
    }
}

/// `GET /app/auth/callback`: check the flow, redeem the code, validate the id token, then
/// let the person in (member), refuse (deactivated), or say what they can do.
pub(super) async fn callback(
    State(s): State<DirectoryState>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Result<Response, PageError> {
    let svc = configured(&s)?;
    let cb =
        Callback::from_query(query.as_deref().unwrap_or_default()).map_err(identity_failure)?;
    let key = s.adapters.signing_key.expose_secret();
    let now = s.adapters.clock.now_ms();
    let flow = cookie(&headers, SIGN_IN_COOKIE)
        .ok_or(IdentityError::StateMismatch)
        .and_then(|t| {
            flow_cookie::open_sign_in(key, t, now).map_err(|e| {
                tracing::info!(reason = %e, "sign-in flow cookie refused");
                IdentityError::SignInExpired
            })
        })
        .map_err(identity_failure)?;
    flow.flow
        .verify_callback(&cb.state, now)
        .map_err(identity_failure)?;
    let id_token = exchange_code(&svc.http, &svc.oidc, &cb.code, &flow.flow)
        .await
        .map_err(identity_failure)?;
    let identity = svc
        .jwks
        .validate(
            id_token.as_str(),
            &ExpectedClaims::for_sign_in(&svc.oidc, &flow.flow),
            now,
        )
        .await
        .map_err(identity_failure)?;
    let person = person_of(&identity);
    let outcome = s
        .directory
        .resolve_sign_in(&signed_in_person(&person))
        .await
        .map_err(|e| PageError::from(directory_error(e)))?;
    signed_in(svc, key, now, &person, outcome, &flow.return_to)
}

/// The answer once Microsoft vouched for `person`.
fn signed_in(
    svc: &SignInService,
    key: &[u8],
    now: i64,
    person: &Person,
    outcome: SignInOutcome,
    return_to: &str,
) -> Result<Response, PageError> {
    let secure = svc.secure();
    let done = flow_cookie::clear(SIGN_IN_COOKIE, secure);
    let person_token =
        issue_person_token(key, person, now, PERSON_TTL_MS).map_err(|e| token_failure(&e))?;
    let person_set = person_cookie(&person_token, PERSON_TTL_MS / 1000, secure);
    match outcome {
        SignInOutcome::Member { tenant, user } => {
            let session = issue_api_token(key, tenant, user, now, PERSON_TTL_MS)
                .map_err(|e| token_failure(&e))?;
            tracing::info!(tenant = %tenant, "signed in");
            let session_set = session_cookie(&session, PERSON_TTL_MS / 1000, secure);
            Ok(see_other(return_to, &[done, person_set, session_set]))
        }
        SignInOutcome::Deactivated => {
            tracing::info!("sign-in refused: the user is deactivated");
            let page = render(
                StatusCode::FORBIDDEN,
                "sign_in_refused.html",
                serde_json::json!({
                    "title": "Your account is deactivated",
                    "message": "your account in this environment is deactivated; ask a user \
                                manager of your organisation to reactivate it",
                }),
            )?;
            // Any older session of this browser ends too.
            Ok(with_cookies(
                page.into_response(),
                &[done, clear_person(secure), clear_session(secure)],
            ))
        }
        SignInOutcome::NotAMember { .. } if serves_people_without_account(return_to) => Ok(
            see_other(return_to, &[done, person_set, clear_session(secure)]),
        ),
        SignInOutcome::NotAMember {
            organisation_tenant,
        } => {
            let page: Html = render(
                StatusCode::OK,
                "sign_in_not_member.html",
                serde_json::json!({
                    "title": "You are not a user here yet",
                    "name": person.name,
                    "organisation_installed": organisation_tenant.is_some(),
                    "admin": person.admin,
                }),
            )?;
            Ok(with_cookies(
                page.into_response(),
                &[done, person_set, clear_session(secure)],
            ))
        }
    }
}

/// Ends the person cookie.
pub(super) fn clear_person(secure: bool) -> String {
    person_cookie("", 0, secure)
}

/// Ends the page session cookie.
pub(super) fn clear_session(secure: bool) -> String {
    session_cookie("", 0, secure)
}

/// `POST /app/sign-out` (same-origin): ends the person and the page session of this browser.
pub(super) async fn sign_out(
    State(s): State<DirectoryState>,
    headers: HeaderMap,
) -> Result<Response, PageError> {
    let svc = configured(&s)?;
    same_origin(svc, &headers)?;
    let secure = svc.secure();
    let page = render(
        StatusCode::OK,
        "sign_in_signed_out.html",
        serde_json::json!({ "title": "Signed out", "sign_in_url": sign_in_link(APP_HOME) }),
    )?;
    Ok(with_cookies(
        page.into_response(),
        &[
            clear_person(secure),
            clear_session(secure),
            flow_cookie::clear(SIGN_IN_COOKIE, secure),
            flow_cookie::clear(flow_cookie::CONSENT_COOKIE, secure),
        ],
    ))
}
