//! The signed-in *person* of a browser: who Microsoft (or another identity provider) says is at
//! the keyboard, whether or not they are a user of any tenant yet.
//!
//! Accepting an invitation, requesting to join and installing all happen before the person is a
//! user, so these pages cannot use the tenant session ([`crate::auth::SESSION_COOKIE`]). After
//! sign-in the edge stores the validated identity in its own cookie, [`PERSON_COOKIE`]: an HS256
//! JWT signed with the deployment's key, audience [`PERSON_AUDIENCE`] (so it is neither an API
//! nor a WOPI token, and those are not person tokens), `HttpOnly`, `SameSite=Lax`, under `/app`.
//!
//! [`SignedIn`] is the extractor; without a valid cookie it answers 401 with a page that links
//! to the sign-in.

use axum::extract::{FromRef, FromRequestParts};
use bridge_core::clock::EpochMillis;
use bridge_platform::Adapters;
use http::request::Parts;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use secrecy::ExposeSecret;
use serde::{Deserialize, Serialize};

#[cfg(test)]
use crate::auth::EXPIRY_LEEWAY_MS;
use crate::auth::{AuthError, check_key, cookie, verify_hs256};
use crate::request::record_route;

/// Name of the cookie that holds the person token.
pub const PERSON_COOKIE: &str = "bridge_person";
/// The audience of person tokens.
pub const PERSON_AUDIENCE: &str = "m365-bridge-person";
/// How long a sign-in lasts: a working day.
pub const PERSON_TTL_MS: i64 = 8 * 60 * 60 * 1000;

/// Who signed in, as the identity provider vouched for it at sign-in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Person {
    /// Entra tenant id (`tid`).
    pub tid: String,
    /// Object id in that tenant (`oid`).
    pub oid: String,
    /// Display name.
    pub name: String,
    /// Sign-in name (UPN), for display and prefill only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    /// An address the identity provider verified belongs to the person, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verified_email: Option<String>,
    /// Whether the person administers their Entra tenant (may install).
    #[serde(default)]
    pub admin: bool,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct PersonClaims {
    #[serde(flatten)]
    person: Person,
    aud: String,
    iat: i64,
    exp: i64,
}

/// Issues a person token valid from `now_ms` for `ttl_ms`.
pub fn issue_person_token(
    key: &[u8],
    person: &Person,
    now_ms: EpochMillis,
    ttl_ms: i64,
) -> Result<String, AuthError> {
    check_key(key)?;
    if ttl_ms < 1000 {
        return Err(AuthError::InvalidTtl(ttl_ms));
    }
    let claims = PersonClaims {
        person: person.clone(),
        aud: PERSON_AUDIENCE.to_string(),
        iat: now_ms.div_euclid(1000),
        exp: now_ms.saturating_add(ttl_ms).div_euclid(1000),
    };
    let mut header = Header::new(Algorithm::HS256);
    header.typ = None;
    jsonwebtoken::encode(&header, &claims, &EncodingKey::from_secret(key))
        .map_err(|e| AuthError::Signing(e.to_string()))
}

/// Verifies a person token at `now_ms` (HS256, signature, audience, expiry by the caller's clock).
pub fn verify_person_token(
    key: &[u8],
    token: &str,
    now_ms: EpochMillis,
) -> Result<Person, AuthError> {
    verify_hs256(
        key,
        token,
        PERSON_AUDIENCE,
        &["exp", "aud"],
        now_ms,
        |c: &PersonClaims| c.exp,
    )
    .map(|c| c.person)
}

/// The `Set-Cookie` value that keeps `token` as the person for `max_age_secs` (0 ends it).
pub fn person_cookie(token: &str, max_age_secs: i64, secure: bool) -> String {
    let secure = if secure { "; Secure" } else { "" };
    format!(
        "{PERSON_COOKIE}={token}; Path=/app; Max-Age={max_age_secs}; HttpOnly; SameSite=Lax{secure}"
    )
}

/// The signed-in person of a page request (cookie [`PERSON_COOKIE`]).
#[derive(Debug, Clone)]
pub struct SignedIn(pub Person);

/// The answer to a request that needs a signed-in person and has none.
#[derive(Debug)]
pub struct SignInRequired;

impl axum::response::IntoResponse for SignInRequired {
    fn into_response(self) -> axum::response::Response {
        (
            http::StatusCode::UNAUTHORIZED,
            [
                (http::header::CONTENT_TYPE, "text/html; charset=utf-8"),
                (http::header::CACHE_CONTROL, "no-store"),
            ],
            "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
             <title>Sign in required</title></head><body><h1>Sign in required</h1>\
             <p>Sign in with your Microsoft account first, then open the link again.</p>\
             <p><a href=\"/app/sign-in/microsoft\">Sign in with Microsoft</a></p></body></html>",
        )
            .into_response()
    }
}

impl<S> FromRequestParts<S> for SignedIn
where
    Adapters: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = SignInRequired;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        record_route(parts);
        let adapters = Adapters::from_ref(state);
        let token = cookie(&parts.headers, PERSON_COOKIE).ok_or(SignInRequired)?;
        verify_person_token(
            adapters.signing_key.expose_secret(),
            token,
            adapters.clock.now_ms(),
        )
        .map(SignedIn)
        .map_err(|e| {
            tracing::info!(reason = %e, "page request refused: no valid person session");
            SignInRequired
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &[u8] = b"0123456789abcdef0123456789abcdef-test-key";
    const NOW: EpochMillis = 1_700_000_000_123;

    fn person() -> Person {
        Person {
            tid: "7d2f0e5c-1111-4a4a-9b9b-0123456789ab".into(),
            oid: "00000000-0000-0000-0000-0000000000a1".into(),
            name: "Ada".into(),
            username: Some("ada@contoso.example".into()),
            verified_email: None,
            admin: true,
        }
    }

    #[test]
    fn a_person_token_round_trips_and_expires() {
        let t = issue_person_token(KEY, &person(), NOW, 60_000).expect("issue");
        assert_eq!(verify_person_token(KEY, &t, NOW).expect("valid"), person());
        assert!(matches!(
            verify_person_token(KEY, &t, NOW + 60_000 + EXPIRY_LEEWAY_MS),
            Err(AuthError::Expired { .. })
        ));
        let other = b"another-key-another-key-another-key!";
        assert!(matches!(
            verify_person_token(other, &t, NOW),
            Err(AuthError::Invalid(_))
        ));
    }

    #[test]
    fn api_tokens_are_not_person_tokens_and_back() {
        let ids = (
            bridge_core::tenant::TenantId(uuid::Uuid::from_u128(1)),
            bridge_core::tenant::UserId(uuid::Uuid::from_u128(2)),
        );
        let api = crate::auth::issue_api_token(KEY, ids.0, ids.1, NOW, 60_000).expect("api");
        assert!(verify_person_token(KEY, &api, NOW).is_err());
        let p = issue_person_token(KEY, &person(), NOW, 60_000).expect("person");
        assert!(crate::auth::verify_api_token(KEY, &p, NOW).is_err());
    }

    #[test]
    fn the_person_cookie_is_http_only_lax_under_app() {
        let c = person_cookie("x.y.z", 60, true);
        assert!(c.starts_with("bridge_person=x.y.z; Path=/app;"));
        assert!(c.contains("HttpOnly") && c.contains("SameSite=Lax") && c.contains("Secure"));
    }
}
