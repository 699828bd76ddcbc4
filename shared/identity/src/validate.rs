//! Validating an Entra v2 id token: RS256 with a published key, audience, Entra's per-tenant
//! issuer, lifetime against the caller's clock, tenant allow-list, nonce.

use std::collections::BTreeMap;
use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::flow::constant_time_eq;
use crate::{AllowedTenants, EpochMillis, IdentityError, OidcConfig, SignInState};

/// Role template id of Global Administrator, as listed in the `wids` claim.
pub const GLOBAL_ADMINISTRATOR_TEMPLATE_ID: &str = "62e90394-69f5-4237-9190-012177145e10";
/// Tolerance for clock differences between Entra and us, on `exp` and `nbf`.
pub const CLOCK_SKEW_LEEWAY_MS: i64 = 60_000;
/// Smallest RSA modulus accepted from a JWKS: 2048 bits.
pub const MIN_RSA_MODULUS_BYTES: usize = 256;

/// The signing keys of a JWKS document that can verify RS256 tokens, by `kid`.
#[derive(Clone)]
pub struct Jwks {
    keys: BTreeMap<String, DecodingKey>,
}

impl fmt::Debug for Jwks {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Jwks").field("kids", &self.kids()).finish()
    }
}

impl Jwks {
    /// Parses a JWKS document (`{"keys":[…]}`), keeping RSA signing keys of at least 2048 bits
    /// that have a `kid`; other keys are skipped. No usable key is an error (fail closed).
    pub fn from_json(json: &[u8]) -> Result<Self, IdentityError> {
        let doc: Value = serde_json::from_slice(json)
            .map_err(|_| IdentityError::Fetch("the JWKS is not JSON".into()))?;
        let list = doc
            .get("keys")
            .and_then(Value::as_array)
            .ok_or_else(|| IdentityError::Fetch("the JWKS has no keys array".into()))?;
        let mut keys = BTreeMap::new();
        for k in list {
            let s = |name: &str| k.get(name).and_then(Value::as_str);
            if s("kty") != Some("RSA") || s("use").is_some_and(|u| u != "sig") {
                continue;
            }
            let (Some(kid), Some(n), Some(e)) = (s("kid"), s("n"), s("e")) else {
                continue;
            };
            let (Ok(n), Ok(e)) = (URL_SAFE_NO_PAD.decode(n), URL_SAFE_NO_PAD.decode(e)) else {
                continue;
            };
            let modulus = n.iter().skip_while(|b| **b == 0).count();
            if modulus < MIN_RSA_MODULUS_BYTES || e.is_empty() {
                continue;
            }
            keys.insert(kid.to_owned(), DecodingKey::from_rsa_raw_components(&n, &e));
        }
        if keys.is_empty() {
            return Err(IdentityError::Fetch(
                "the JWKS has no usable RSA signing key".into(),
            ));
        }
        Ok(Self { keys })
    }

    /// Whether a key with this `kid` is present.
    pub fn contains(&self, kid: &str) -> bool {
        self.keys.contains_key(kid)
    }

    /// The `kid`s present, sorted.
    pub fn kids(&self) -> Vec<&str> {
        self.keys.keys().map(String::as_str).collect()
    }

    fn get(&self, kid: &str) -> Option<&DecodingKey> {
        self.keys.get(kid)
    }
}

/// What a valid id token must say.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExpectedClaims {
    /// Our application (client) id: the only accepted `aud`.
    pub client_id: String,
    /// The nonce this sign-in sent; the token must carry exactly it.
    pub nonce: String,
    /// The issuer with `{tenantid}` standing for the token's own `tid`, e.g.
    /// `https://login.microsoftonline.com/{tenantid}/v2.0` ([`OidcConfig::issuer_template`]).
    pub issuer_template: String,
    /// Tenants allowed to sign in.
    pub allowed_tenants: AllowedTenants,
}

impl ExpectedClaims {
    /// The expectations for the id token of the sign-in `state` under `config`.
    pub fn for_sign_in(config: &OidcConfig, state: &SignInState) -> Self {
        Self {
            client_id: config.client_id.clone(),
            nonce: state.nonce.clone(),
            issuer_template: config.issuer_template(),
            allowed_tenants: config.allowed_tenants.clone(),
        }
    }
}

/// Who signed in, from a validated id token. The account key is (`tid`, `oid`); the other
/// fields are for display and prefill.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Identity {
    /// Tenant (organisation) id.
    pub tid: String,
    /// The user's object id in that tenant: stable, the same for every app.
    pub oid: String,
    /// Pairwise subject: unique per user and application.
    pub sub: String,
    /// Display name (may be empty).
    pub name: String,
    /// Username, usually the UPN (mutable; never use it as a key).
    pub preferred_username: String,
    /// E-mail address if the token has one. Entra does **not** verify it: fine for display and
    /// to prefill, never to match an account or an invitation by itself.
    pub email: Option<String>,
    /// Whether Entra vouches that `email`'s domain is verified by the tenant that owns it: the
    /// optional claim `xms_edov` ("email domain owner verified") is `true`. Without it, treat
    /// `email` as unverified.
    #[serde(default)]
    pub email_verified: bool,
    /// Whether the user holds the Global Administrator role in `tid` (`wids` lists
    /// [`GLOBAL_ADMINISTRATOR_TEMPLATE_ID`]). The app registration must emit `wids` (it does
    /// for users with directory roles when group/role claims are configured).
    pub is_tenant_admin: bool,
}

#[derive(Deserialize)]
struct RawClaims {
    iss: String,
    #[serde(default)]
    tid: String,
    #[serde(default)]
    oid: String,
    sub: String,
    exp: i64,
    nbf: Option<i64>,
    nonce: Option<String>,
    #[serde(default)]
    name: String,
    #[serde(default)]
    preferred_username: String,
    email: Option<String>,
    /// `true`, or `"1"`/`"true"` as some Entra versions emit optional boolean claims.
    #[serde(default)]
    xms_edov: Option<Value>,
    #[serde(default)]
    wids: Vec<String>,
}

/// A tenant id is a GUID (or, in tests, a plain name): nothing that could change the issuer's
/// shape when put into the template.
fn plausible_tid(tid: &str) -> bool {
    !tid.is_empty()
        && tid.len() <= 64
        && tid
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.')
}

fn map_decode_error(e: &jsonwebtoken::errors::Error) -> IdentityError {
    match e.kind() {
        ErrorKind::InvalidSignature => IdentityError::BadSignature,
        ErrorKind::InvalidAudience => IdentityError::WrongAudience,
        ErrorKind::MissingRequiredClaim(c) => IdentityError::InvalidToken(format!("no {c} claim")),
        ErrorKind::InvalidAlgorithm | ErrorKind::InvalidAlgorithmName => {
            IdentityError::InvalidToken("algorithm not accepted".into())
        }
        ErrorKind::Json(_) => IdentityError::InvalidToken("claims are not as expected".into()),
        ErrorKind::Base64(_) | ErrorKind::Utf8(_) | ErrorKind::InvalidToken => {
            IdentityError::InvalidToken("malformed".into())
        }
        other => IdentityError::InvalidToken(format!("rejected ({other:?})")),
    }
}

/// An optional boolean claim is true: `true`, `"true"` or `"1"`.
fn claim_true(v: &Value) -> bool {
    match v {
        Value::Bool(b) => *b,
        Value::String(s) => s == "1" || s.eq_ignore_ascii_case("true"),
        _ => false,
    }
}

/// Validates an Entra v2 id token at `now_ms` (the caller's clock, not the system's):
///
/// 1. header: `alg` RS256 only, a `kid` found in `jwks` (else [`IdentityError::UnknownKey`]:
///    let [`crate::JwksCache`] refetch);
/// 2. signature, then `aud` = our client id;
/// 3. `iss` equals the issuer template with `{tenantid}` replaced by the token's `tid`;
/// 4. `exp`/`nbf` with [`CLOCK_SKEW_LEEWAY_MS`];
/// 5. the tenant is allowed; the nonce matches; an `oid` is present.
pub fn validate_id_token(
    token: &str,
    jwks: &Jwks,
    expected: &ExpectedClaims,
    now_ms: EpochMillis,
) -> Result<Identity, IdentityError> {
    let header = jsonwebtoken::decode_header(token)
        .map_err(|_| IdentityError::InvalidToken("malformed header".into()))?;
    if header.alg != Algorithm::RS256 {
        return Err(IdentityError::InvalidToken(format!(
            "algorithm {:?} is not accepted",
            header.alg
        )));
    }
    let kid = header
        .kid
        .ok_or_else(|| IdentityError::InvalidToken("no kid in the header".into()))?;
    let key = jwks
        .get(&kid)
        .ok_or_else(|| IdentityError::UnknownKey { kid: kid.clone() })?;
    let mut validation = Validation::new(Algorithm::RS256);
    // Lifetime is checked below against the caller's clock, not jsonwebtoken's system clock.
    validation.validate_exp = false;
    validation.validate_nbf = false;
    validation.leeway = 0;
    validation.validate_aud = true;
    validation.set_audience(&[&expected.client_id]);
    validation.set_required_spec_claims(&["exp", "aud", "iss", "sub"]);
    let claims = jsonwebtoken::decode::<RawClaims>(token, key, &validation)
        .map_err(|e| map_decode_error(&e))?
        .claims;

    if !plausible_tid(&claims.tid) {
        return Err(IdentityError::InvalidToken("no usable tid claim".into()));
    }
    let issuer = expected.issuer_template.replace("{tenantid}", &claims.tid);
    if claims.iss != issuer {
        return Err(IdentityError::WrongIssuer {
            issuer: crate::error::shorten(&claims.iss, 200),
        });
    }
    let expired_at_ms = claims.exp.saturating_mul(1000);
    if now_ms >= expired_at_ms.saturating_add(CLOCK_SKEW_LEEWAY_MS) {
        return Err(IdentityError::Expired {
            expired_at_ms,
            now_ms,
        });
    }
    if let Some(nbf) = claims.nbf {
        let not_before_ms = nbf.saturating_mul(1000);
        if now_ms.saturating_add(CLOCK_SKEW_LEEWAY_MS) < not_before_ms {
            return Err(IdentityError::NotYetValid {
                not_before_ms,
                now_ms,
            });
        }
    }
    if !expected.allowed_tenants.allows(&claims.tid) {
        return Err(IdentityError::TenantNotAllowed { tid: claims.tid });
    }
    match &claims.nonce {
        Some(n) if constant_time_eq(n, &expected.nonce) => {}
        _ => return Err(IdentityError::NonceMismatch),
    }
    if claims.oid.is_empty() {
        return Err(IdentityError::InvalidToken("no oid claim".into()));
    }
    let is_tenant_admin = claims
        .wids
        .iter()
        .any(|w| w.eq_ignore_ascii_case(GLOBAL_ADMINISTRATOR_TEMPLATE_ID));
    Ok(Identity {
        tid: claims.tid,
        oid: claims.oid,
        sub: claims.sub,
        name: claims.name,
        preferred_username: claims.preferred_username,
        email_verified: claims.email.as_deref().is_some_and(|e| !e.is_empty())
            && claims.xms_edov.as_ref().is_some_and(claim_true),
        email: claims.email.filter(|e| !e.is_empty()),
        is_tenant_admin,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b64(s: &str) -> String {
        URL_SAFE_NO_PAD.encode(s)
    }

    fn jwks_with(n_bytes: usize) -> String {
        let mut n = vec![0xC5_u8; n_bytes];
        n[0] = 0xE1;
        format!(
            r#"{{"keys":[{{"kty":"RSA","use":"sig","kid":"k1","n":"{}","e":"AQAB"}},
                {{"kty":"EC","kid":"ec","crv":"P-256","x":"AA","y":"AA"}},
                {{"kty":"RSA","use":"enc","kid":"enc","n":"{}","e":"AQAB"}}]}}"#,
            URL_SAFE_NO_PAD.encode(&n),
            URL_SAFE_NO_PAD.encode(&n)
        )
    }

    fn expected() -> ExpectedClaims {
        ExpectedClaims {
            client_id: "app".into(),
            nonce: "n".into(),
            issuer_template: "https://login.example/{tenantid}/v2.0".into(),
            allowed_tenants: AllowedTenants::Any,
        }
    }

    #[test]
    fn jwks_keeps_only_rsa_signing_keys_of_at_least_2048_bits() {
        let jwks = Jwks::from_json(jwks_with(256).as_bytes()).expect("usable");
        assert_eq!(jwks.kids(), vec!["k1"]);
        assert!(matches!(
            Jwks::from_json(jwks_with(128).as_bytes()),
            Err(IdentityError::Fetch(_))
        ));
        assert!(matches!(
            Jwks::from_json(br#"{"keys":[]}"#),
            Err(IdentityError::Fetch(_))
        ));
        assert!(matches!(
            Jwks::from_json(b"<html>"),
            Err(IdentityError::Fetch(_))
        ));
    }

    #[test]
    fn only_rs256_tokens_with_a_kid_are_considered() {
        let jwks = Jwks::from_json(jwks_with(256).as_bytes()).expect("usable");
        let claims = b64(r#"{"aud":"app","exp":9999999999}"#);
        for header in [
            r#"{"alg":"none","kid":"k1"}"#,
            r#"{"alg":"HS256","kid":"k1"}"#,
            r#"{"alg":"RS256"}"#,
        ] {
            let token = format!("{}.{claims}.c2ln", b64(header));
            let err = validate_id_token(&token, &jwks, &expected(), 0).expect_err(header);
            assert!(
                matches!(err, IdentityError::InvalidToken(_)),
                "{header}: {err:?}"
            );
        }
        let unknown = format!("{}.{claims}.c2ln", b64(r#"{"alg":"RS256","kid":"k9"}"#));
        assert_eq!(
            validate_id_token(&unknown, &jwks, &expected(), 0),
            Err(IdentityError::UnknownKey { kid: "k9".into() })
        );
        let forged = format!("{}.{claims}.c2ln", b64(r#"{"alg":"RS256","kid":"k1"}"#));
        assert_eq!(
            validate_id_token(&forged, &jwks, &expected(), 0),
            Err(IdentityError::BadSignature)
        );
        assert!(matches!(
            validate_id_token("not a jwt", &jwks, &expected(), 0),
            Err(IdentityError::InvalidToken(_))
        ));
    }

    #[test]
    fn tenant_ids_that_could_bend_the_issuer_are_refused() {
        assert!(plausible_tid("72f988bf-86f1-41af-91ab-2d7cd011db47"));
        assert!(!plausible_tid(""));
        assert!(!plausible_tid("evil.example/x"));
        assert!(!plausible_tid("a b"));
    }
}
