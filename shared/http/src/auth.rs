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

use axum::extract::{FromRef, FromRequestParts, MatchedPath};
use bridge_core::clock::EpochMillis;
use bridge_core::tenant::{TenantId, User, UserId};
use bridge_platform::Adapters;
use http::request::Parts;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use secrecy::ExposeSecret;
use serde::{Deserialize, Serialize};

use crate::ApiError;
use crate::request::{record_operation, record_tenant};

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

fn check_key(key: &[u8]) -> Result<(), AuthError> {
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
    check_key(key)?;
    let mut validation = Validation::new(Algorithm::HS256);
    // Expiry is checked below against the caller's clock, not jsonwebtoken's system clock.
    validation.validate_exp = false;
    validation.validate_nbf = false;
    validation.leeway = 0;
    validation.set_audience(&[API_AUDIENCE]);
    validation.set_required_spec_claims(&["exp", "sub", "aud"]);
    let claims =
        jsonwebtoken::decode::<ApiClaims>(token, &DecodingKey::from_secret(key), &validation)
            .map_err(|e| AuthError::Invalid(e.to_string()))?
            .claims;
    let expired_at_ms = claims.exp.saturating_mul(1000);
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
        let operation = match parts.extensions.get::<MatchedPath>() {
            Some(p) => format!("{} {}", parts.method, p.as_str()),
            None => format!("{} {}", parts.method, parts.uri.path()),
        };
        record_operation(&operation);
        let adapters = Adapters::from_ref(state);
        let token = bearer(parts).ok_or_else(|| refuse(&"no bearer token"))?;
        let claims = verify_api_token(
            adapters.signing_key.expose_secret(),
            token,
            adapters.clock.now_ms(),
        )
        .map_err(|e| refuse(&e))?;
        let tenant = uuid::Uuid::try_parse(&claims.tid)
            .map(TenantId)
            .map_err(|_| refuse(&"tid is not a UUID"))?;
        let user_id = uuid::Uuid::try_parse(&claims.sub)
            .map(UserId)
            .map_err(|_| refuse(&"sub is not a UUID"))?;
        record_tenant(&tenant);
        let user = bridge_platform::seed::load_user(&adapters, tenant, user_id)
            .await?
            .ok_or_else(|| refuse(&"the token's user does not exist"))?;
        Ok(ApiUser { tenant, user })
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
