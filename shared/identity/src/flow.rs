//! The authorization code flow with PKCE: the redirect to Entra, the callback, and redeeming
//! the code for an id token. Admin consent (the "install" step of USR-1) sits here too.

use std::fmt;
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use secrecy::ExposeSecret as _;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::error::shorten;
use crate::{EpochMillis, IdentityError, OidcConfig};

/// How long a started sign-in may take until the callback: 10 minutes (Entra's codes live
/// about as long).
pub const SIGN_IN_MAX_AGE_MS: i64 = 10 * 60 * 1000;
/// Scopes asked for at sign-in: an id token with the user's name, username and e-mail.
pub const SIGN_IN_SCOPES: &str = "openid profile email";
/// Timeout of requests to the identity provider.
pub const HTTP_TIMEOUT: Duration = Duration::from_secs(10);

/// An HTTP client for the identity provider: rustls, [`HTTP_TIMEOUT`], no redirects followed.
/// Build it once per process and share it.
pub fn http_client() -> Result<reqwest::Client, IdentityError> {
    reqwest::Client::builder()
        .timeout(HTTP_TIMEOUT)
        .connect_timeout(HTTP_TIMEOUT)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .map_err(|e| IdentityError::Config(format!("cannot build the HTTP client: {e}")))
}

/// `n` bytes from the operating system's CSPRNG, base64url without padding.
pub(crate) fn random_b64(n: usize) -> Result<String, IdentityError> {
    let mut buf = vec![0_u8; n];
    getrandom::fill(&mut buf).map_err(|_| IdentityError::Random)?;
    Ok(URL_SAFE_NO_PAD.encode(buf))
}

/// Equality that takes the same time wherever the first difference is.
pub(crate) fn constant_time_eq(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0_u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// The PKCE S256 challenge of a verifier: base64url(SHA-256(verifier)).
pub fn pkce_challenge(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

/// Entra's `prompt` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Prompt {
    /// Always ask for credentials.
    Login,
    /// No interaction: fails with `login_required` unless the user is signed in at Entra.
    None,
    /// Show the consent dialog.
    Consent,
    /// Let the user pick one of the accounts signed in at Entra.
    SelectAccount,
}

impl Prompt {
    fn as_str(self) -> &'static str {
        match self {
            Prompt::Login => "login",
            Prompt::None => "none",
            Prompt::Consent => "consent",
            Prompt::SelectAccount => "select_account",
        }
    }
}

/// Optional parts of the authorize request.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SignInOptions {
    /// Prefills the username (a UPN or e-mail), e.g. from an invitation (USR-2).
    pub login_hint: Option<String>,
    /// How Entra should interact with the user.
    pub prompt: Option<Prompt>,
}

/// What the caller keeps between the redirect to Entra and the callback, e.g. in a short-lived,
/// signed, HTTP-only cookie bound to the browser. Serializable for that purpose; its `Debug`
/// hides the PKCE verifier.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignInState {
    /// The `state` sent to Entra (CSRF protection): the callback must bring it back.
    pub state: String,
    /// The `nonce` sent to Entra: the id token must carry it.
    pub nonce: String,
    /// The PKCE verifier whose S256 challenge was sent; needed to redeem the code. Secret.
    pub pkce_verifier: String,
    /// The tenant segment sign-in went through (`organizations` or a tenant id).
    pub tenant: String,
    /// When the sign-in started.
    pub created_at_ms: EpochMillis,
}

impl fmt::Debug for SignInState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SignInState")
            .field("state", &self.state)
            .field("nonce", &self.nonce)
            .field("pkce_verifier", &"[REDACTED]")
            .field("tenant", &self.tenant)
            .field("created_at_ms", &self.created_at_ms)
            .finish()
    }
}

impl SignInState {
    /// Checks the callback's `state` against this one (constant time) and the sign-in's age
    /// against `now_ms`.
    pub fn verify_callback(
        &self,
        returned_state: &str,
        now_ms: EpochMillis,
    ) -> Result<(), IdentityError> {
        if !constant_time_eq(&self.state, returned_state) {
            return Err(IdentityError::StateMismatch);
        }
        if now_ms.saturating_sub(self.created_at_ms) > SIGN_IN_MAX_AGE_MS {
            return Err(IdentityError::SignInExpired);
        }
        Ok(())
    }
}

/// A started sign-in: send the browser to `authorize_url`, keep `state`.
#[derive(Debug, Clone)]
pub struct SignInStart {
    /// Entra's authorize URL with all parameters (302 the browser there).
    pub authorize_url: String,
    /// What to keep until the callback.
    pub state: SignInState,
}

/// Starts a sign-in: fresh `state`, `nonce` and PKCE verifier (32 bytes each from the OS
/// CSPRNG) and the authorize URL (`response_type=code`, `response_mode=query`, PKCE S256).
pub fn start_sign_in(
    config: &OidcConfig,
    now_ms: EpochMillis,
) -> Result<SignInStart, IdentityError> {
    start_sign_in_with(config, now_ms, &SignInOptions::default())
}

/// [`start_sign_in`] with a login hint or prompt.
pub fn start_sign_in_with(
    config: &OidcConfig,
    now_ms: EpochMillis,
    options: &SignInOptions,
) -> Result<SignInStart, IdentityError> {
    config.validate()?;
    let state = SignInState {
        state: random_b64(32)?,
        nonce: random_b64(32)?,
        pkce_verifier: random_b64(32)?,
        tenant: config.sign_in_tenant().to_owned(),
        created_at_ms: now_ms,
    };
    let challenge = pkce_challenge(&state.pkce_verifier);
    let mut q = form_urlencoded::Serializer::new(String::new());
    q.append_pair("client_id", &config.client_id)
        .append_pair("response_type", "code")
        .append_pair("redirect_uri", &config.redirect_uri)
        .append_pair("response_mode", "query")
        .append_pair("scope", SIGN_IN_SCOPES)
        .append_pair("state", &state.state)
        .append_pair("nonce", &state.nonce)
        .append_pair("code_challenge", &challenge)
        .append_pair("code_challenge_method", "S256");
    if let Some(hint) = &options.login_hint {
        q.append_pair("login_hint", hint);
    }
    if let Some(prompt) = options.prompt {
        q.append_pair("prompt", prompt.as_str());
    }
    let authorize_url = format!(
        "{}?{}",
        config.authorize_endpoint(&state.tenant),
        q.finish()
    );
    Ok(SignInStart {
        authorize_url,
        state,
    })
}

/// What Entra sent to the redirect URI. `Debug` hides the code.
#[derive(Clone, PartialEq, Eq)]
pub struct Callback {
    /// The authorization code (a one-time credential).
    pub code: String,
    /// The returned `state`; check it with [`SignInState::verify_callback`].
    pub state: String,
}

impl fmt::Debug for Callback {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Callback")
            .field("code", &"[REDACTED]")
            .field("state", &self.state)
            .finish()
    }
}

fn query_pairs(query: &str) -> Vec<(String, String)> {
    form_urlencoded::parse(query.trim_start_matches('?').as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

fn denied(pairs: &[(String, String)]) -> Option<IdentityError> {
    let get = |k: &str| pairs.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
    get("error").map(|error| IdentityError::Denied {
        error: shorten(error, 100),
        description: shorten(get("error_description").unwrap_or_default(), 500),
    })
}

impl Callback {
    /// Parses the callback's query string (with or without the leading `?`). An `error` from
    /// Entra becomes [`IdentityError::Denied`].
    pub fn from_query(query: &str) -> Result<Self, IdentityError> {
        let pairs = query_pairs(query);
        if let Some(e) = denied(&pairs) {
            return Err(e);
        }
        let get = |k: &str| {
            pairs
                .iter()
                .find(|(n, _)| n == k)
                .map(|(_, v)| v.clone())
                .filter(|v| !v.is_empty())
        };
        match (get("code"), get("state")) {
            (Some(code), Some(state)) => Ok(Callback { code, state }),
            (None, _) => Err(IdentityError::BadCallback("no code".into())),
            (_, None) => Err(IdentityError::BadCallback("no state".into())),
        }
    }
}

/// An id token as received (a JWT); not yet validated. `Debug` hides it.
#[derive(Clone, PartialEq, Eq)]
pub struct IdToken(String);

impl fmt::Debug for IdToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("IdToken([REDACTED])")
    }
}

impl IdToken {
    /// Wraps a token string.
    pub fn new(token: impl Into<String>) -> Self {
        Self(token.into())
    }

    /// The compact JWT.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[derive(Deserialize)]
struct TokenAnswer {
    id_token: Option<String>,
}

#[derive(Deserialize, Default)]
struct ErrorAnswer {
    #[serde(default)]
    error: String,
    #[serde(default)]
    error_description: String,
}

/// Redeems the authorization code at the token endpoint of the tenant the sign-in went through
/// (form POST with the client secret and the PKCE verifier) and returns the id token, to be
/// checked with [`crate::validate_id_token`] or [`crate::JwksCache::validate`]. Check the
/// callback's `state` first ([`SignInState::verify_callback`]).
pub async fn exchange_code(
    http: &reqwest::Client,
    config: &OidcConfig,
    code: &str,
    state: &SignInState,
) -> Result<IdToken, IdentityError> {
    let body = form_urlencoded::Serializer::new(String::new())
        .append_pair("client_id", &config.client_id)
        .append_pair("client_secret", config.client_secret.expose_secret())
        .append_pair("grant_type", "authorization_code")
        .append_pair("code", code)
        .append_pair("redirect_uri", &config.redirect_uri)
        .append_pair("code_verifier", &state.pkce_verifier)
        .append_pair("scope", SIGN_IN_SCOPES)
        .finish();
    let resp = http
        .post(config.token_endpoint(&state.tenant))
        .header(
            reqwest::header::CONTENT_TYPE,
            "application/x-www-form-urlencoded",
        )
        .header(reqwest::header::ACCEPT, "application/json")
        .body(body)
        .send()
        .await
        .map_err(|e| IdentityError::Fetch(format!("token endpoint: {}", e.without_url())))?;
    let status = resp.status();
    let bytes = resp
        .bytes()
        .await
        .map_err(|e| IdentityError::Fetch(format!("token endpoint: {}", e.without_url())))?;
    if !status.is_success() {
        let err: ErrorAnswer = serde_json::from_slice(&bytes).unwrap_or_default();
        return Err(IdentityError::TokenEndpoint {
            status: status.as_u16(),
            error: shorten(&err.error, 100),
            description: shorten(&err.error_description, 500),
        });
    }
    let answer: TokenAnswer = serde_json::from_slice(&bytes)
        .map_err(|_| IdentityError::Fetch("token endpoint answered no JSON".into()))?;
    answer
        .id_token
        .filter(|t| !t.is_empty())
        .map(IdToken)
        .ok_or_else(|| IdentityError::InvalidToken("the token answer has no id_token".into()))
}

/// A started admin consent (Entra's `/adminconsent`): an admin grants the app access for the
/// whole organisation.
#[derive(Debug, Clone)]
pub struct AdminConsentStart {
    /// Where to send the admin's browser.
    pub url: String,
    /// Keep it: the callback must bring it back.
    pub state: String,
}

/// Starts an admin consent for `redirect_uri` (registered for the app). The result carries a
/// tenant id that is **not authenticated** (anyone can craft the callback URL): an install is
/// only granted to a sign-in whose validated id token says [`crate::Identity::is_tenant_admin`].
pub fn start_admin_consent(
    config: &OidcConfig,
    redirect_uri: &str,
) -> Result<AdminConsentStart, IdentityError> {
    config.validate()?;
    let state = random_b64(32)?;
    let q = form_urlencoded::Serializer::new(String::new())
        .append_pair("client_id", &config.client_id)
        .append_pair("redirect_uri", redirect_uri)
        .append_pair("state", &state)
        .finish();
    Ok(AdminConsentStart {
        url: format!(
            "{}/{}/adminconsent?{q}",
            config.authority(),
            config.sign_in_tenant()
        ),
        state,
    })
}

/// Reads the admin-consent callback: `Ok(tenant id)` when consent was granted (unauthenticated,
/// see [`start_admin_consent`]); [`IdentityError::Denied`] (`access_denied` for a non-admin)
/// otherwise.
pub fn admin_consent_result(query: &str, expected_state: &str) -> Result<String, IdentityError> {
    let pairs = query_pairs(query);
    let get = |k: &str| pairs.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
    if !constant_time_eq(get("state").unwrap_or_default(), expected_state) {
        return Err(IdentityError::StateMismatch);
    }
    if let Some(e) = denied(&pairs) {
        return Err(e);
    }
    match (get("admin_consent"), get("tenant")) {
        (Some(granted), Some(tid)) if granted.eq_ignore_ascii_case("true") && !tid.is_empty() => {
            Ok(tid.to_owned())
        }
        _ => Err(IdentityError::BadCallback(
            "no admin_consent=True with a tenant".into(),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::AllowedTenants;
    use secrecy::SecretString;

    fn config() -> OidcConfig {
        OidcConfig {
            authority: "https://login.example".into(),
            client_id: "app-1".into(),
            client_secret: SecretString::from("s3cret"),
            redirect_uri: "https://bridge.example/auth/callback".into(),
            allowed_tenants: AllowedTenants::Any,
        }
    }

    #[test]
    fn authorize_url_asks_for_a_code_with_pkce_s256_state_and_nonce() {
        let start = start_sign_in(&config(), 1_000).expect("started");
        let (base, query) = start.authorize_url.split_once('?').expect("query");
        assert_eq!(
            base,
            "https://login.example/organizations/oauth2/v2.0/authorize"
        );
        let pairs = query_pairs(query);
        let get = |k: &str| {
            pairs
                .iter()
                .find(|(n, _)| n == k)
                .map(|(_, v)| v.clone())
                .expect(k)
        };
        assert_eq!(get("response_type"), "code");
        assert_eq!(get("scope"), "openid profile email");
        assert_eq!(get("redirect_uri"), "https://bridge.example/auth/callback");
        assert_eq!(get("state"), start.state.state);
        assert_eq!(get("nonce"), start.state.nonce);
        assert_eq!(get("code_challenge_method"), "S256");
        assert_eq!(
            get("code_challenge"),
            pkce_challenge(&start.state.pkce_verifier)
        );
        assert!(
            !query.contains(&start.state.pkce_verifier),
            "verifier never leaves"
        );
        assert_eq!(
            start.state.pkce_verifier.len(),
            43,
            "32 bytes, RFC 7636 length"
        );
        assert_eq!(start.state.created_at_ms, 1_000);
        let again = start_sign_in(&config(), 1_000).expect("started");
        assert_ne!(again.state.state, start.state.state);
        assert_ne!(again.state.nonce, start.state.nonce);
        assert_ne!(again.state.pkce_verifier, start.state.pkce_verifier);
    }

    #[test]
    fn pkce_challenge_matches_rfc_7636_appendix_b() {
        assert_eq!(
            pkce_challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
    }

    #[test]
    fn sign_in_state_survives_serialization_and_hides_the_verifier_in_debug() {
        let start = start_sign_in(&config(), 5).expect("started");
        let json = serde_json::to_string(&start.state).expect("json");
        let back: SignInState = serde_json::from_str(&json).expect("parsed");
        assert_eq!(back, start.state);
        assert!(!format!("{back:?}").contains(&back.pkce_verifier));
    }

    #[test]
    fn callback_state_must_match_and_be_fresh() {
        let start = start_sign_in(&config(), 0).expect("started");
        let s = &start.state;
        assert!(s.verify_callback(&s.state, SIGN_IN_MAX_AGE_MS).is_ok());
        assert_eq!(
            s.verify_callback("forged", 1),
            Err(IdentityError::StateMismatch)
        );
        assert_eq!(
            s.verify_callback(&s.state, SIGN_IN_MAX_AGE_MS + 1),
            Err(IdentityError::SignInExpired)
        );
    }

    #[test]
    fn callback_query_yields_code_and_state_or_the_providers_error() {
        let cb = Callback::from_query("?code=abc&state=xyz&session_state=1").expect("cb");
        assert_eq!((cb.code.as_str(), cb.state.as_str()), ("abc", "xyz"));
        assert!(!format!("{cb:?}").contains("abc"));
        let err =
            Callback::from_query("error=access_denied&error_description=AADSTS65004+no&state=x")
                .expect_err("denied");
        assert_eq!(
            err,
            IdentityError::Denied {
                error: "access_denied".into(),
                description: "AADSTS65004 no".into()
            }
        );
        assert!(matches!(
            Callback::from_query("state=x"),
            Err(IdentityError::BadCallback(_))
        ));
    }

    #[test]
    fn admin_consent_result_checks_state_then_reads_the_tenant() {
        assert_eq!(
            admin_consent_result("admin_consent=True&tenant=t1&state=s", "s"),
            Ok("t1".into())
        );
        assert_eq!(
            admin_consent_result("admin_consent=True&tenant=t1&state=other", "s"),
            Err(IdentityError::StateMismatch)
        );
        assert!(matches!(
            admin_consent_result("error=access_denied&state=s", "s"),
            Err(IdentityError::Denied { .. })
        ));
    }
}
