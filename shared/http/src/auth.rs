//! API bearer tokens: short HS256 JWTs that say "this user of this tenant", sent by the app's
//! front end as `Authorization: Bearer <token>` on every `/api` request.
//!
//! They are signed with the same key as WOPI access tokens (one secret to rotate), so the two
//! kinds are kept apart by their claims: an API token carries `aud: "m365-bridge-api"` and
//! nothing about a document; a WOPI token has no `aud` but `doc` and `perm`. Each verifier
//! requires its own claim set, so a WOPI token (which rides in URLs and Office's logs) never
//! opens the API, and an API token never opens a WOPI file.
//!
//! Like WOPI tokens (`bridge_wopi::token`), expiry is judged against the injected clock
//! (`now_ms`), never the system clock, so it is testable and identical on every Lambda.
//!
//! [`ApiUser`] is the axum extractor: it verifies the token, loads the user (a deleted user's
//! token stops working at once), records tenant and operation on the request span, and
//! otherwise answers 401 in our JSON error shape.

use axum::extract::{FromRef, FromRequestParts};
use bridge_core::clock::EpochMillis;
use bridge_core::tenant::{TenantId, User, UserId};
use bridge_platform::Adapters;
use http::request::Parts;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use secrecy::ExposeSecret;
use serde::{Deserialize, Serialize};

use crate::ApiError;
use crate::request::{record_route, record_tenant};

/// The audience of API tokens; a token without it (e.g. a WOPI token) is refused.
pub const API_AUDIENCE: &str = "m365-bridge-api";
/// Shortest HMAC key accepted: 256 bits (RFC 7518 §3.2), as for WOPI tokens.
pub const MIN_KEY_LEN: usize = 32;
/// Tolerance for clock differences between the issuing and the checking process.
pub const EXPIRY_LEEWAY_MS: i64 = 5_000;
/// Lifetime of a dev sign-in token: a working day, so local sessions do not expire mid-task.
pub const DEV_TOKEN_TTL_MS: i64 = 12 * 60 * 60 * 1000;

/// The claims of an API token. Unknown claims (such as a WOPI token's `doc`/`perm`) are refused.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApiClaims {
    /// Tenant id (UUID).
    pub tid: String,
    /// User id (UUID).
    pub sub: String,
    /// Always [`API_AUDIENCE`].
    pub aud: String,
    /// Issued at, epoch seconds.
    pub iat: i64,
    /// Expires at, epoch seconds.
    pub exp: i64,
    /// Unique token id, for audit logs.
    pub jti: String,
}

/// Why a token was not issued or not accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    /// The signing key is too short (a deployment error).
    #[error("token key is {len} bytes, at least {MIN_KEY_LEN} required")]
    KeyTooShort {
        /// Length of the given key.
        len: usize,
    },
    /// Lifetime shorter than one second (`exp` has second resolution).
    #[error("token lifetime must be at least 1000 ms, got {0}")]
    InvalidTtl(i64),
    /// Signing failed.
    #[error("token could not be signed: {0}")]
    Signing(String),
    /// Not an API token we issued: bad shape, signature, algorithm, audience or claims.
    #[error("invalid token: {0}")]
    Invalid(String),
    /// Expired, judged against the caller's clock.
    #[error("token expired at {expired_at_ms} (now {now_ms})")]
    Expired {
        /// The token's expiry in ms.
        expired_at_ms: EpochMillis,
        /// The time it was checked at.
        now_ms: EpochMillis,
    },
}

pub(crate) fn check_key(key: &[u8]) -> Result<(), AuthError> {
    if key.len() < MIN_KEY_LEN {
        return Err(AuthError::KeyTooShort { len: key.len() });
    }
    Ok(())
}

/// Issues an API token for `user` of `tenant`, valid from `now_ms` for `ttl_ms`. `exp` is
/// rounded down to the second, so the token never outlives the requested lifetime.
pub fn issue_api_token(
    key: &[u8],
    tenant: TenantId,
    user: UserId,
    now_ms: EpochMillis,
    ttl_ms: i64,
) -> Result<String, AuthError> {
    check_key(key)?;
    if ttl_ms < 1000 {
        return Err(AuthError::InvalidTtl(ttl_ms));
    }
    let claims = ApiClaims {
        tid: tenant.to_string(),
        sub: user.to_string(),
        aud: API_AUDIENCE.to_string(),
        iat: now_ms.div_euclid(1000),
        exp: now_ms.saturating_add(ttl_ms).div_euclid(1000),
        jti: uuid::Uuid::new_v4().to_string(),
    };
    let mut header = Header::new(Algorithm::HS256);
    header.typ = None;
    jsonwebtoken::encode(&header, &claims, &EncodingKey::from_secret(key))
        .map_err(|e| AuthError::Signing(e.to_string()))
}

/// Verifies an API token at `now_ms`: HS256 only, signature with `key`, audience, the exact
/// claim set, and `now_ms < exp×1000 + EXPIRY_LEEWAY_MS`.
pub fn verify_api_token(
    key: &[u8],
    token: &str,
    now_ms: EpochMillis,
) -> Result<ApiClaims, AuthError> {
    verify_hs256(
        key,
        token,
        API_AUDIENCE,
        &["exp", "sub", "aud"],
        now_ms,
        |c: &ApiClaims| c.exp,
    )
}

/// Verifies one of our HS256 tokens with audience `audience`: signature, algorithm, the claim
/// set of `T` and `required`, and `now_ms < exp×1000 + EXPIRY_LEEWAY_MS` by the caller's clock
/// (never jsonwebtoken's system clock).
pub(crate) fn verify_hs256<T: serde::de::DeserializeOwned>(
    key: &[u8],
    token: &str,
    audience: &str,
    required: &[&str],
    now_ms: EpochMillis,
    exp: impl Fn(&T) -> i64,
) -> Result<T, AuthError> {
    check_key(key)?;
    let mut validation = Validation::new(Algorithm::HS256);
    validation.validate_exp = false;
    validation.validate_nbf = false;
    validation.leeway = 0;
    validation.set_audience(&[audience]);
    validation.set_required_spec_claims(required);
    let claims = jsonwebtoken::decode::<T>(token, &DecodingKey::from_secret(key), &validation)
        .map_err(|e| AuthError::Invalid(e.to_string()))?
        .claims;
    let expired_at_ms = exp(&claims).saturating_mul(1000);
    if now_ms >= expired_at_ms.saturating_add(EXPIRY_LEEWAY_MS) {
        return Err(AuthError::Expired {
            expired_at_ms,
            now_ms,
        });
    }
    Ok(claims)
}

/// The authenticated caller of an API request: the tenant it acts in and its current user record.
#[derive(Debug, Clone)]
pub struct ApiUser {
    /// The tenant every query of this request is scoped to.
    pub tenant: TenantId,
    /// The user, as stored now (rights included).
    pub user: User,
}

fn bearer(parts: &Parts) -> Option<&str> {
    let value = parts
        .headers
        .get(http::header::AUTHORIZATION)?
        .to_str()
        .ok()?;
    let (scheme, token) = value.split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

fn refuse(reason: &dyn std::fmt::Display) -> ApiError {
    tracing::info!(reason = %reason, "API request refused: bad credentials");
    ApiError::unauthorized("a valid bearer token is required")
}

impl<S> FromRequestParts<S> for ApiUser
where
    Adapters: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        record_route(parts);
        let adapters = Adapters::from_ref(state);
        let token = bearer(parts).ok_or_else(|| refuse(&"no bearer token"))?;
        authenticate(&adapters, token).await.map_err(|e| match e {
            Refused::Credentials(why) => refuse(&why),
            Refused::Failed(e) => e,
        })
    }
}

/// Why [`authenticate`] did not yield a user.
enum Refused {
    /// The token is missing, invalid, expired, or names no user.
    Credentials(String),
    /// The user could not be loaded (storage failure).
    Failed(ApiError),
}

/// Verifies an API token and loads its user; records the tenant on the request span.
async fn authenticate(adapters: &Adapters, token: &str) -> Result<ApiUser, Refused> {
    let claims = verify_api_token(
        adapters.signing_key.expose_secret(),
        token,
        adapters.clock.now_ms(),
    )
    .map_err(|e| Refused::Credentials(e.to_string()))?;
    let tenant = uuid::Uuid::try_parse(&claims.tid)
        .map(TenantId)
        .map_err(|_| Refused::Credentials("tid is not a UUID".into()))?;
    let user_id = uuid::Uuid::try_parse(&claims.sub)
        .map(UserId)
        .map_err(|_| Refused::Credentials("sub is not a UUID".into()))?;
    record_tenant(&tenant);
    let account = bridge_platform::seed::load_account(adapters, tenant, user_id)
        .await
        .map_err(|e| Refused::Failed(e.into()))?
        .ok_or_else(|| Refused::Credentials("the token's user does not exist".into()))?;
    // A deactivated user's tokens stop working at once, like a deleted user's.
    if !account.is_active() {
        return Err(Refused::Credentials(
            "the token's user is deactivated".into(),
        ));
    }
    Ok(ApiUser {
        tenant,
        user: account.user,
    })
}

/// Name of the browser session cookie of the app's pages. It holds an API token; it is
/// `HttpOnly` (no script reads it) and `SameSite=Lax` (no cross-site POST carries it), and it is
/// accepted only by the page routes under `/app`, never by the JSON API.
pub const SESSION_COOKIE: &str = "bridge_session";

/// The `Set-Cookie` value that starts a page session with `token` for `max_age_secs`;
/// `secure` (an https deployment) adds `Secure`.
pub fn session_cookie(token: &str, max_age_secs: i64, secure: bool) -> String {
    let secure = if secure { "; Secure" } else { "" };
    format!(
        "{SESSION_COOKIE}={token}; Path=/app; Max-Age={max_age_secs}; HttpOnly; SameSite=Lax{secure}"
    )
}

/// The value of cookie `name` in the request's `Cookie` headers, if any.
pub fn cookie<'a>(headers: &'a http::HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(n, _)| *n == name)
        .map(|(_, v)| v.trim())
        .filter(|v| !v.is_empty())
}

/// The signed-in user of a page request (session cookie [`SESSION_COOKIE`]). Without a valid
/// session the page answers 401 with a short HTML explanation and a link to sign in again.
#[derive(Debug, Clone)]
pub struct PageUser(pub ApiUser);

/// The answer to a page request without a valid session.
#[derive(Debug)]
pub enum PageRejection {
    /// No valid session: 401 with an HTML page.
    SignIn,
    /// Storage failed while loading the user.
    Failed(ApiError),
}

impl axum::response::IntoResponse for PageRejection {
    fn into_response(self) -> axum::response::Response {
        match self {
            PageRejection::SignIn => (
                http::StatusCode::UNAUTHORIZED,
                [(http::header::CONTENT_TYPE, "text/html; charset=utf-8")],
                "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
                 <title>Sign in required</title></head><body><h1>Sign in required</h1>\
                 <p>You are not signed in, or your session has ended. Sign in to the app again, \
                 then reopen this page.</p><p><a href=\"/app/sign-in\">Sign in</a></p></body></html>",
            )
                .into_response(),
            PageRejection::Failed(e) => e.into_response(),
        }
    }
}

impl<S> FromRequestParts<S> for PageUser
where
    Adapters: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = PageRejection;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        record_route(parts);
        let adapters = Adapters::from_ref(state);
        let Some(token) = cookie(&parts.headers, SESSION_COOKIE) else {
            return Err(PageRejection::SignIn);
        };
        match authenticate(&adapters, token).await {
            Ok(user) => Ok(PageUser(user)),
            Err(Refused::Credentials(why)) => {
                tracing::info!(reason = %why, "page request refused: no valid session");
                Err(PageRejection::SignIn)
            }
            Err(Refused::Failed(e)) => Err(PageRejection::Failed(e)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bridge_wopi::token::{Permission, TokenGrant};

    const KEY: &[u8] = b"0123456789abcdef0123456789abcdef-test-key";
    const NOW: EpochMillis = 1_700_000_000_123;

    fn ids() -> (TenantId, UserId) {
        (
            TenantId(uuid::Uuid::from_u128(0xa)),
            UserId(uuid::Uuid::from_u128(0xb1)),
        )
    }

    #[test]
    fn the_session_cookie_is_found_among_others_and_is_http_only_lax() {
        let mut h = http::HeaderMap::new();
        h.append(
            http::header::COOKIE,
            "a=1; bridge_session=tok.en.x ; b=2".parse().expect("hv"),
        );
        assert_eq!(cookie(&h, SESSION_COOKIE), Some("tok.en.x"));
        assert_eq!(cookie(&h, "c"), None);
        h.clear();
        h.append(http::header::COOKIE, "bridge_session=".parse().expect("hv"));
        assert_eq!(cookie(&h, SESSION_COOKIE), None);
        let set = session_cookie("t", 60, true);
        for part in [
            "HttpOnly",
            "SameSite=Lax",
            "Secure",
            "Path=/app",
            "Max-Age=60",
        ] {
            assert!(set.contains(part), "{set} lacks {part}");
        }
        assert!(!session_cookie("t", 60, false).contains("Secure"));
    }

    #[test]
    fn issued_token_verifies_with_its_claims() {
        let (t, u) = ids();
        let token = issue_api_token(KEY, t, u, NOW, 60_000).expect("issued");
        let c = verify_api_token(KEY, &token, NOW + 1000).expect("valid");
        assert_eq!(c.tid, t.to_string());
        assert_eq!(c.sub, u.to_string());
        assert_eq!(c.aud, API_AUDIENCE);
        assert_eq!(c.iat, 1_700_000_000);
        assert_eq!(c.exp, 1_700_000_060);
        assert!(!c.jti.is_empty());
    }

    #[test]
    fn expiry_is_judged_against_the_given_clock() {
        let (t, u) = ids();
        let token = issue_api_token(KEY, t, u, NOW, 60_000).expect("issued");
        let exp_ms = 1_700_000_060_000;
        assert!(verify_api_token(KEY, &token, exp_ms + EXPIRY_LEEWAY_MS - 1).is_ok());
        assert_eq!(
            verify_api_token(KEY, &token, exp_ms + EXPIRY_LEEWAY_MS),
            Err(AuthError::Expired {
                expired_at_ms: exp_ms,
                now_ms: exp_ms + EXPIRY_LEEWAY_MS
            })
        );
    }

    #[test]
    fn other_key_garbage_and_short_keys_are_refused() {
        let (t, u) = ids();
        let token = issue_api_token(KEY, t, u, NOW, 60_000).expect("issued");
        let other = b"another-key-of-at-least-32-bytes-long!!";
        assert!(matches!(
            verify_api_token(other, &token, NOW),
            Err(AuthError::Invalid(_))
        ));
        for g in ["", "abc", "a.b.c", "!!!.e30.x"] {
            assert!(matches!(
                verify_api_token(KEY, g, NOW),
                Err(AuthError::Invalid(_))
            ));
        }
        assert_eq!(
            issue_api_token(&KEY[..31], t, u, NOW, 60_000),
            Err(AuthError::KeyTooShort { len: 31 })
        );
        assert_eq!(
            issue_api_token(KEY, t, u, NOW, 999),
            Err(AuthError::InvalidTtl(999))
        );
    }

    #[test]
    fn a_wopi_token_is_not_an_api_token() {
        let (t, u) = ids();
        let grant = TokenGrant {
            tenant_id: t.to_string(),
            user_id: u.to_string(),
            document_id: uuid::Uuid::from_u128(0xd).to_string(),
            permission: Permission::Edit,
            jti: "j".into(),
        };
        let wopi = bridge_wopi::token::issue(KEY, &grant, NOW, 60_000).expect("issued");
        assert!(matches!(
            verify_api_token(KEY, &wopi.access_token, NOW),
            Err(AuthError::Invalid(_))
        ));
    }

    #[test]
    fn an_api_token_is_not_a_wopi_token() {
        let (t, u) = ids();
        let token = issue_api_token(KEY, t, u, NOW, 60_000).expect("issued");
        let err =
            bridge_wopi::token::verify(KEY, &token, &uuid::Uuid::from_u128(0xd).to_string(), NOW)
                .expect_err("not a WOPI token");
        assert_eq!(err.status(), 401);
    }
}
