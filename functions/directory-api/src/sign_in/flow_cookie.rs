//! The short-lived cookies that carry a flow from its start to its callback in the same
//! browser: the sign-in's state, nonce and PKCE verifier, and the admin consent's state.
//!
//! Each is an HS256 JWT signed with the deployment's key, with its own audience (so it is no
//! API, WOPI or person token, and those are not flow cookies), expiring after
//! [`FLOW_TTL_MS`] by our clock; `HttpOnly`, `SameSite=Lax` (it must come back on the identity
//! provider's top-level redirect), `Path=/app`. Signed, not encrypted: the PKCE verifier is
//! visible to whoever can read this browser's cookies, who could take the session anyway.

use bridge_core::clock::EpochMillis;
use bridge_identity::SignInState;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

/// Cookie of a started sign-in.
pub(crate) const SIGN_IN_COOKIE: &str = "bridge_sign_in";
/// Audience of [`SIGN_IN_COOKIE`] tokens.
const SIGN_IN_AUDIENCE: &str = "m365-bridge-sign-in-flow";
/// Cookie of a started admin consent.
pub(crate) const CONSENT_COOKIE: &str = "bridge_install";
/// Audience of [`CONSENT_COOKIE`] tokens.
const CONSENT_AUDIENCE: &str = "m365-bridge-install-flow";
/// How long a flow may take: 10 minutes, as [`bridge_identity::SIGN_IN_MAX_AGE_MS`].
pub(crate) const FLOW_TTL_MS: i64 = bridge_identity::SIGN_IN_MAX_AGE_MS;

/// A started sign-in: what the callback checks, and where the person goes afterwards.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct SignInFlow {
    /// State, nonce, PKCE verifier.
    pub flow: SignInState,
    /// A local path under `/app` (checked when the sign-in started).
    pub return_to: String,
}

/// A started admin consent, bound to the person who started it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct ConsentFlow {
    /// The `state` sent to the admin consent endpoint.
    pub state: String,
    /// The person's tenant (`tid`) and object id (`oid`).
    pub tid: String,
    pub oid: String,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Sealed<T> {
    aud: String,
    exp: i64,
    v: T,
}

/// Why a flow cookie was not accepted (the detail goes to the log, never to the page).
#[derive(Debug, thiserror::Error)]
pub(crate) enum FlowError {
    #[error("flow cookie invalid: {0}")]
    Invalid(String),
    #[error("flow cookie expired")]
    Expired,
}

fn seal<T: Serialize>(key: &[u8], aud: &str, v: T, now: EpochMillis) -> Result<String, FlowError> {
    let claims = Sealed {
        aud: aud.to_string(),
        exp: now.saturating_add(FLOW_TTL_MS).div_euclid(1000),
        v,
    };
    let mut header = Header::new(Algorithm::HS256);
    header.typ = None;
    jsonwebtoken::encode(&header, &claims, &EncodingKey::from_secret(key))
        .map_err(|e| FlowError::Invalid(e.to_string()))
}

fn open<T: DeserializeOwned>(
    key: &[u8],
    aud: &str,
    token: &str,
    now: EpochMillis,
) -> Result<T, FlowError> {
    let mut validation = Validation::new(Algorithm::HS256);
    // Expiry is judged by our clock below, not jsonwebtoken's system clock.
    validation.validate_exp = false;
    validation.validate_nbf = false;
    validation.leeway = 0;
    validation.set_audience(&[aud]);
    validation.set_required_spec_claims(&["exp", "aud"]);
    let sealed =
        jsonwebtoken::decode::<Sealed<T>>(token, &DecodingKey::from_secret(key), &validation)
            .map_err(|e| FlowError::Invalid(e.to_string()))?
            .claims;
    if now >= sealed.exp.saturating_mul(1000) {
        return Err(FlowError::Expired);
    }
    Ok(sealed.v)
}

/// The `Set-Cookie` value of `name` holding `token` (or ending it with `Max-Age=0`).
fn cookie(name: &str, token: &str, max_age_secs: i64, secure: bool) -> String {
    let secure = if secure { "; Secure" } else { "" };
    format!("{name}={token}; Path=/app; Max-Age={max_age_secs}; HttpOnly; SameSite=Lax{secure}")
}

/// The cookie that keeps a started sign-in.
pub(crate) fn sign_in_cookie(
    key: &[u8],
    flow: &SignInFlow,
    now: EpochMillis,
    secure: bool,
) -> Result<String, FlowError> {
    let token = seal(key, SIGN_IN_AUDIENCE, flow, now)?;
    Ok(cookie(SIGN_IN_COOKIE, &token, FLOW_TTL_MS / 1000, secure))
}

/// The started sign-in of this browser, if its cookie is valid.
pub(crate) fn open_sign_in(
    key: &[u8],
    token: &str,
    now: EpochMillis,
) -> Result<SignInFlow, FlowError> {
    open(key, SIGN_IN_AUDIENCE, token, now)
}

/// The cookie that keeps a started admin consent.
pub(crate) fn consent_cookie(
    key: &[u8],
    flow: &ConsentFlow,
    now: EpochMillis,
    secure: bool,
) -> Result<String, FlowError> {
    let token = seal(key, CONSENT_AUDIENCE, flow, now)?;
    Ok(cookie(CONSENT_COOKIE, &token, FLOW_TTL_MS / 1000, secure))
}

/// The started admin consent of this browser, if its cookie is valid.
pub(crate) fn open_consent(
    key: &[u8],
    token: &str,
    now: EpochMillis,
) -> Result<ConsentFlow, FlowError> {
    open(key, CONSENT_AUDIENCE, token, now)
}

/// Ends cookie `name` (a finished or abandoned flow).
pub(crate) fn clear(name: &str, secure: bool) -> String {
    cookie(name, "", 0, secure)
}

#[cfg(test)]
mod unit {
    use super::*;

    const KEY: &[u8] = b"0123456789abcdef0123456789abcdef-flow";

    fn flow() -> SignInFlow {
        SignInFlow {
            flow: SignInState {
                state: "s".into(),
                nonce: "n".into(),
                pkce_verifier: "v".into(),
                tenant: "organizations".into(),
                created_at_ms: 1_000,
            },
            return_to: "/app/users".into(),
        }
    }

    #[test]
    fn a_flow_cookie_round_trips_expires_and_is_not_the_other_kind() {
        let now = 1_700_000_000_000;
        let token = seal(KEY, SIGN_IN_AUDIENCE, flow(), now).expect("sealed");
        assert_eq!(open_sign_in(KEY, &token, now).expect("opens"), flow());
        assert!(matches!(
            open_sign_in(KEY, &token, now + FLOW_TTL_MS),
            Err(FlowError::Expired)
        ));
        assert!(open_consent(KEY, &token, now).is_err(), "audience differs");
        assert!(open_sign_in(b"another-key-another-key-another-key!", &token, now).is_err());
        let c = sign_in_cookie(KEY, &flow(), now, true).expect("cookie");
        assert!(c.starts_with("bridge_sign_in=") && c.contains("Path=/app; Max-Age=600"));
        assert!(c.contains("HttpOnly") && c.contains("SameSite=Lax") && c.ends_with("Secure"));
    }
}
