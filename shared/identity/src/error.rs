//! Why a sign-in or an id token was not accepted.

use thiserror::Error;

use crate::EpochMillis;

/// Errors of the sign-in flow and of id token validation. Messages never contain a token, a
/// code, a PKCE verifier or the client secret.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum IdentityError {
    /// The configuration is unusable (a deployment error): e.g. a plain-http authority that is
    /// not this machine, an empty client id, an empty tenant allow-list.
    #[error("identity configuration is invalid: {0}")]
    Config(String),
    /// The operating system's random number generator failed (no state/nonce/verifier can be
    /// made safely).
    #[error("the system random number generator failed")]
    Random,
    /// The `state` returned to the redirect URI is not the one this browser started with:
    /// a forged or mixed-up callback (CSRF).
    #[error("the sign-in state does not match")]
    StateMismatch,
    /// The sign-in was started too long ago (see [`crate::SIGN_IN_MAX_AGE_MS`]).
    #[error("the sign-in took too long; start again")]
    SignInExpired,
    /// The callback carries neither a code nor an error, or is malformed.
    #[error("the sign-in callback is malformed: {0}")]
    BadCallback(String),
    /// The identity provider answered the redirect URI with an error (e.g. `access_denied`:
    /// the user cancelled, or a non-admin was asked for admin consent).
    #[error("sign-in was refused by the identity provider: {error}")]
    Denied {
        /// The OAuth `error` code.
        error: String,
        /// `error_description`, shortened; text from the query string, so escape before showing.
        description: String,
    },
    /// The token endpoint refused the code (reused, expired, PKCE verifier mismatch, wrong
    /// client secret, …).
    #[error("the token endpoint refused the code ({status}): {error}")]
    TokenEndpoint {
        /// HTTP status of the answer.
        status: u16,
        /// The OAuth `error` code (`invalid_grant`, `invalid_client`, …).
        error: String,
        /// `error_description` (Entra's `AADSTS…` text), shortened.
        description: String,
    },
    /// A request to the identity provider (JWKS or token endpoint) failed: network, timeout,
    /// non-success status, or an unusable answer.
    #[error("request to the identity provider failed: {0}")]
    Fetch(String),
    /// Not an id token we accept: malformed, an algorithm other than RS256, no `kid`, a missing
    /// or ill-formed claim.
    #[error("invalid id token: {0}")]
    InvalidToken(String),
    /// The signature does not verify with the key named by `kid`.
    #[error("id token signature is invalid")]
    BadSignature,
    /// No published key has the token's `kid`, even after refetching the JWKS (or a refetch was
    /// not allowed yet).
    #[error("id token is signed with an unknown key {kid:?}")]
    UnknownKey {
        /// The `kid` of the token's header.
        kid: String,
    },
    /// The token was issued for another application (`aud`).
    #[error("id token is for another application")]
    WrongAudience,
    /// `iss` is not Entra's issuer for the token's own tenant.
    #[error("id token issuer {issuer:?} is not the expected one")]
    WrongIssuer {
        /// The token's `iss`.
        issuer: String,
    },
    /// The token's tenant is not allowed to sign in here.
    #[error("tenant {tid} is not allowed to sign in")]
    TenantNotAllowed {
        /// The token's `tid`.
        tid: String,
    },
    /// The token expired (`exp`, plus [`crate::CLOCK_SKEW_LEEWAY_MS`]) before `now_ms`.
    #[error("id token expired at {expired_at_ms} (now {now_ms})")]
    Expired {
        /// The token's `exp` in ms.
        expired_at_ms: EpochMillis,
        /// The time it was checked at.
        now_ms: EpochMillis,
    },
    /// The token is not valid yet (`nbf`, minus the leeway, is after `now_ms`).
    #[error("id token is not valid before {not_before_ms} (now {now_ms})")]
    NotYetValid {
        /// The token's `nbf` in ms.
        not_before_ms: EpochMillis,
        /// The time it was checked at.
        now_ms: EpochMillis,
    },
    /// The token's `nonce` is missing or not the one this sign-in sent (a replayed or injected
    /// token).
    #[error("id token nonce does not match")]
    NonceMismatch,
}

impl IdentityError {
    /// Whether the failure is ours or the identity provider's (configuration, randomness,
    /// network) rather than a bad or refused sign-in: answer 5xx and log as an error.
    pub fn is_server_error(&self) -> bool {
        matches!(
            self,
            IdentityError::Config(_) | IdentityError::Random | IdentityError::Fetch(_)
        )
    }
}

/// Text from outside, shortened to `max` characters for error values and logs.
pub(crate) fn shorten(s: &str, max: usize) -> String {
    s.chars().take(max).collect()
}
