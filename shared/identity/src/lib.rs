//! Sign-in with Microsoft: the OpenID Connect authorization code flow with PKCE against
//! Microsoft Entra ID, validation of Entra v2 id tokens, and a cache of Entra's signing keys.
//!
//! A sign-in, as a web back end runs it:
//!
//! 1. [`start_sign_in`] makes fresh `state`, `nonce` and PKCE verifier and the authorize URL.
//!    Keep the [`SignInState`] (e.g. in a short-lived signed cookie) and 302 the browser to
//!    [`SignInStart::authorize_url`].
//! 2. On the callback, parse [`Callback::from_query`], check it with
//!    [`SignInState::verify_callback`], then [`exchange_code`] for the id token.
//! 3. [`JwksCache::validate`] the id token against [`ExpectedClaims::for_sign_in`]: the result
//!    is the [`Identity`] (tenant id, object id, name, whether a Global Administrator).
//!
//! No I/O besides the two HTTP calls (token endpoint, JWKS); time comes in as `now_ms` from the
//! caller's clock, randomness from the OS CSPRNG. Tokens, codes, verifiers and the client secret
//! never appear in `Debug` output, errors or logs.

mod config;
mod error;
mod flow;
mod jwks;
mod validate;

/// Milliseconds since the Unix epoch (the same as `bridge_core::EpochMillis`).
pub type EpochMillis = i64;

pub use config::{AllowedTenants, CONSUMERS_TENANT_ID, ENTRA_AUTHORITY, OidcConfig};
pub use error::IdentityError;
pub use flow::{
    AdminConsentStart, Callback, HTTP_TIMEOUT, IdToken, Prompt, SIGN_IN_MAX_AGE_MS, SIGN_IN_SCOPES,
    SignInOptions, SignInStart, SignInState, admin_consent_result, exchange_code, http_client,
    pkce_challenge, start_admin_consent, start_sign_in, start_sign_in_with,
};
pub use jwks::{FetchReason, JwksCache, MAX_AGE_MS, MIN_REFETCH_INTERVAL_MS, RETRY_WHEN_EMPTY_MS};
pub use validate::{
    CLOCK_SKEW_LEEWAY_MS, ExpectedClaims, GLOBAL_ADMINISTRATOR_TEMPLATE_ID, Identity, Jwks,
    MIN_RSA_MODULUS_BYTES, validate_id_token,
};
