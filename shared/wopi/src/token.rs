//! WOPI access tokens: short HS256 JWTs bound to one tenant, one user, one document and one
//! permission (reference §2).
//!
//! Office treats the token as opaque, sends it back on every WOPI call (`?access_token=`), and
//! assumes it stays valid until `access_token_ttl`. So the token carries what a handler needs to
//! authorise without a lookup, and its expiry is judged against the caller's clock (`now_ms`),
//! never the system clock, so expiry is testable and identical on every Lambda.
//!
//! Length matters: Office's URLs are limited to ~2,000 characters and the token rides in the
//! query string, so claim names are short, there is no `typ` header, and the alphabet is
//! URL-safe (`[A-Za-z0-9-_.]`, base64url without padding).
//!
//! Status mapping for handlers ([`TokenError::status`]): a bad, tampered or expired token is
//! **401**; a valid token for **another document** is **404** ("unknown file or no access" —
//! the user has no access to *this* file, and 404 does not confirm the file exists).

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::EpochMillis;

/// Recommended token lifetime (reference §2): 10 hours.
pub const DEFAULT_TOKEN_TTL_MS: i64 = 10 * 60 * 60 * 1000;
/// Shortest HMAC key we accept: 256 bits, the size of the SHA-256 output (RFC 7518 §3.2).
pub const MIN_KEY_LEN: usize = 32;
/// Tolerance for clock differences between the Lambda that issued a token and the one checking
/// it (both NTP-synced). Small on purpose: Office is told the exact expiry in `access_token_ttl`.
pub const EXPIRY_LEEWAY_MS: i64 = 5_000;

/// What the token lets the user do with the document.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Permission {
    /// Read only: CheckFileInfo says `UserCanWrite=false`; write operations answer 401/404.
    View,
    /// Read and write.
    Edit,
}

impl Permission {
    /// Whether the permission allows writing (PutFile, locks, rename, …).
    pub fn can_write(self) -> bool {
        self == Permission::Edit
    }
}

/// Ids on the wire: a UUID travels as its 16 bytes in base64url (22 characters instead of 36),
/// anything else as it is. With four UUIDs per token this keeps tokens near 300 characters, the
/// top of the 100–300 the WOPI guidance recommends for Office's URL limit.
mod compact_id {
    use base64::Engine as _;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(id: &str, s: S) -> Result<S::Ok, S::Error> {
        match uuid::Uuid::try_parse(id) {
            Ok(u) => s.serialize_str(&URL_SAFE_NO_PAD.encode(u.as_bytes())),
            Err(_) => s.serialize_str(id),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
        let raw = String::deserialize(d)?;
        if raw.len() == 22
            && let Ok(bytes) = URL_SAFE_NO_PAD.decode(&raw)
            && let Ok(u) = uuid::Uuid::from_slice(&bytes)
        {
            return Ok(u.to_string());
        }
        Ok(raw)
    }
}

/// The claims inside a token. Claim names are short to keep URLs short; UUIDs are compact on
/// the wire (see `compact_id`) and hyphenated here.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    /// Tenant id (`tid`).
    #[serde(rename = "tid", with = "compact_id")]
    pub tenant_id: String,
    /// User id (`sub`).
    #[serde(rename = "sub", with = "compact_id")]
    pub user_id: String,
    /// Document id (`doc`): the WOPI file id the token opens.
    #[serde(rename = "doc", with = "compact_id")]
    pub document_id: String,
    /// `perm`: `view` or `edit`.
    #[serde(rename = "perm")]
    pub permission: Permission,
    /// Issued at, epoch seconds.
    pub iat: i64,
    /// Expires at, epoch seconds.
    pub exp: i64,
    /// Unique token id (for audit logs and, if ever needed, revocation on permission change).
    #[serde(with = "compact_id")]
    pub jti: String,
    /// `rt`: the reader's home tenant, present only on a partner's view token (PAR-5): the user
    /// (`sub`) is then a user of this tenant, not of the document's tenant (`tid`), and the host
    /// must ask the directory on every request whether that reader may still read the document.
    /// Absent on every ordinary token, so ordinary tokens keep their size and meaning.
    #[serde(
        rename = "rt",
        default,
        skip_serializing_if = "Option::is_none",
        with = "compact_opt_id"
    )]
    pub reader_tenant_id: Option<String>,
}

/// [`compact_id`] for an optional claim.
mod compact_opt_id {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(id: &Option<String>, s: S) -> Result<S::Ok, S::Error> {
        match id {
            Some(id) => super::compact_id::serialize(id, s),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
        #[derive(Deserialize)]
        struct Wrapped(#[serde(with = "super::compact_id")] String);
        Ok(Option::<Wrapped>::deserialize(d)?.map(|Wrapped(s)| s))
    }
}

/// What to put in a new token. The `jti` comes from the caller's id generator (randomness is
/// injected, like time).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenGrant {
    /// Tenant the document belongs to.
    pub tenant_id: String,
    /// The user the token acts for.
    pub user_id: String,
    /// The one document it opens.
    pub document_id: String,
    /// View or edit.
    pub permission: Permission,
    /// Unique id of this token.
    pub jti: String,
}

/// A freshly issued token, ready for the host page's form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssuedToken {
    /// The `access_token` form field.
    pub access_token: String,
    /// The `access_token_ttl` form field: **absolute** expiry in ms since the epoch (not a
    /// duration). Equals `exp × 1000`, so Office and [`verify`] agree on the instant.
    pub access_token_ttl: EpochMillis,
}

/// Why a token was not issued or not accepted.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum TokenError {
    /// The signing key is shorter than [`MIN_KEY_LEN`] bytes (a deployment error).
    #[error("token key is {len} bytes, at least {MIN_KEY_LEN} required")]
    KeyTooShort {
        /// Length of the given key.
        len: usize,
    },
    /// Lifetime shorter than one second (the JWT `exp` has second resolution).
    #[error("token lifetime must be at least 1000 ms, got {0}")]
    InvalidTtl(i64),
    /// A grant field is empty.
    #[error("token grant has an empty {0}")]
    EmptyClaim(&'static str),
    /// Signing failed.
    #[error("token could not be signed: {0}")]
    Signing(String),
    /// Not a JWT we can read (wrong shape, bad base64/JSON, missing claims).
    #[error("malformed token: {0}")]
    Malformed(String),
    /// The header names an algorithm other than HS256 (including `none`).
    #[error("token algorithm {0:?} is not accepted")]
    UnsupportedAlgorithm(String),
    /// The signature does not match: tampered, or signed with another key.
    #[error("token signature is invalid")]
    BadSignature,
    /// Expired at `exp` (ms) judged against the caller's `now`.
    #[error("token expired at {expired_at_ms} (now {now_ms})")]
    Expired {
        /// The token's expiry in ms.
        expired_at_ms: EpochMillis,
        /// The time it was checked at.
        now_ms: EpochMillis,
    },
    /// A valid token for another document.
    #[error("token is for another document")]
    WrongDocument,
    /// A reader of another tenant was to get an edit token: partners only ever view.
    #[error("a token for a reader of another tenant can only be a view token")]
    ReaderMayOnlyView,
}

impl TokenError {
    /// The HTTP status a WOPI handler answers with: 404 for another document's token, 500 for
    /// our own configuration/signing errors, 401 for every bad or expired token.
    pub fn status(&self) -> u16 {
        match self {
            TokenError::WrongDocument => 404,
            TokenError::KeyTooShort { .. }
            | TokenError::InvalidTtl(_)
            | TokenError::EmptyClaim(_)
            | TokenError::Signing(_)
            | TokenError::ReaderMayOnlyView => 500,
            TokenError::Malformed(_)
            | TokenError::UnsupportedAlgorithm(_)
            | TokenError::BadSignature
            | TokenError::Expired { .. } => 401,
        }
    }
}

fn check_key(key: &[u8]) -> Result<(), TokenError> {
    if key.len() < MIN_KEY_LEN {
        return Err(TokenError::KeyTooShort { len: key.len() });
    }
    Ok(())
}

/// Issues a token for `grant`, valid from `now_ms` for `ttl_ms` (use [`DEFAULT_TOKEN_TTL_MS`]).
/// `exp` is rounded down to the second, so the token never outlives the requested lifetime.
pub fn issue(
    key: &[u8],
    grant: &TokenGrant,
    now_ms: EpochMillis,
    ttl_ms: i64,
) -> Result<IssuedToken, TokenError> {
    issue_claims(key, grant, None, now_ms, ttl_ms)
}

/// Issues a **view** token for a reader of another tenant (a partner, PAR-5): `grant.tenant_id`
/// is the document's tenant, `grant.user_id` a user of `reader_tenant_id`. Only view tokens
/// can be issued this way ([`TokenError::EmptyClaim`] names the permission otherwise), so a
/// partner token can never carry edit rights, whatever the caller asks.
pub fn issue_for_reader(
    key: &[u8],
    grant: &TokenGrant,
    reader_tenant_id: &str,
    now_ms: EpochMillis,
    ttl_ms: i64,
) -> Result<IssuedToken, TokenError> {
    if grant.permission != Permission::View {
        return Err(TokenError::ReaderMayOnlyView);
    }
    if reader_tenant_id.is_empty() {
        return Err(TokenError::EmptyClaim("reader tenant id"));
    }
    issue_claims(key, grant, Some(reader_tenant_id), now_ms, ttl_ms)
}

fn issue_claims(
    key: &[u8],
    grant: &TokenGrant,
    reader_tenant_id: Option<&str>,
    now_ms: EpochMillis,
    ttl_ms: i64,
) -> Result<IssuedToken, TokenError> {
    check_key(key)?;
    if ttl_ms < 1000 {
        return Err(TokenError::InvalidTtl(ttl_ms));
    }
    for (name, value) in [
        ("tenant id", &grant.tenant_id),
        ("user id", &grant.user_id),
        ("document id", &grant.document_id),
        ("jti", &grant.jti),
    ] {
        if value.is_empty() {
            return Err(TokenError::EmptyClaim(name));
        }
    }
    let iat = now_ms.div_euclid(1000);
    let exp = now_ms.saturating_add(ttl_ms).div_euclid(1000);
    let claims = Claims {
        tenant_id: grant.tenant_id.clone(),
        user_id: grant.user_id.clone(),
        document_id: grant.document_id.clone(),
        permission: grant.permission,
        iat,
        exp,
        jti: grant.jti.clone(),
        reader_tenant_id: reader_tenant_id.map(str::to_string),
    };
    let mut header = Header::new(Algorithm::HS256);
    header.typ = None;
    let access_token = jsonwebtoken::encode(&header, &claims, &EncodingKey::from_secret(key))
        .map_err(|e| TokenError::Signing(e.to_string()))?;
    Ok(IssuedToken {
        access_token,
        access_token_ttl: exp.saturating_mul(1000),
    })
}

/// Reads the `alg` of a token's header ourselves, so `none` and foreign algorithms get a precise
/// error instead of a generic parse failure.
fn header_alg(token: &str) -> Result<String, TokenError> {
    let head = token.split('.').next().unwrap_or_default();
    let bytes = URL_SAFE_NO_PAD
        .decode(head)
        .map_err(|_| TokenError::Malformed("header is not base64url".into()))?;
    let v: serde_json::Value = serde_json::from_slice(&bytes)
        .map_err(|_| TokenError::Malformed("header is not JSON".into()))?;
    v.get("alg")
        .and_then(serde_json::Value::as_str)
        .map(str::to_owned)
        .ok_or_else(|| TokenError::Malformed("header has no alg".into()))
}

/// Verifies `token` for `document_id` at `now_ms`: HS256 signature with `key`, not expired
/// (`now_ms < exp×1000 + EXPIRY_LEEWAY_MS`), and issued for this document.
pub fn verify(
    key: &[u8],
    token: &str,
    document_id: &str,
    now_ms: EpochMillis,
) -> Result<Claims, TokenError> {
    check_key(key)?;
    if token.split('.').count() != 3 {
        return Err(TokenError::Malformed(
            "not three dot-separated parts".into(),
        ));
    }
    let alg = header_alg(token)?;
    if alg != "HS256" {
        return Err(TokenError::UnsupportedAlgorithm(alg));
    }
    let mut validation = Validation::new(Algorithm::HS256);
    // Expiry is checked below against the caller's clock, not jsonwebtoken's system clock.
    validation.validate_exp = false;
    validation.validate_nbf = false;
    validation.validate_aud = false;
    validation.leeway = 0;
    validation.set_required_spec_claims(&["exp", "sub"]);
    let data = jsonwebtoken::decode::<Claims>(token, &DecodingKey::from_secret(key), &validation)
        .map_err(|e| {
        use jsonwebtoken::errors::ErrorKind;
        match e.kind() {
            ErrorKind::InvalidSignature => TokenError::BadSignature,
            ErrorKind::InvalidAlgorithm | ErrorKind::InvalidAlgorithmName => {
                TokenError::UnsupportedAlgorithm(alg.clone())
            }
            _ => TokenError::Malformed(e.to_string()),
        }
    })?;
    let claims = data.claims;
    let expired_at_ms = claims.exp.saturating_mul(1000);
    if now_ms >= expired_at_ms.saturating_add(EXPIRY_LEEWAY_MS) {
        return Err(TokenError::Expired {
            expired_at_ms,
            now_ms,
        });
    }
    if claims.document_id != document_id {
        return Err(TokenError::WrongDocument);
    }
    Ok(claims)
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &[u8] = b"0123456789abcdef0123456789abcdef-test-key";
    const NOW: EpochMillis = 1_700_000_000_123;
    const DOC_A: &str = "0190f3c2-7d4e-7b1a-9c55-3b1f2a6d9e10";
    const DOC_B: &str = "0190f3c2-7d4e-7b1a-9c55-3b1f2a6d9e11";

    fn grant(doc: &str, permission: Permission) -> TokenGrant {
        TokenGrant {
            tenant_id: "0190f3c2-0000-7000-8000-00000000000a".into(),
            user_id: "0190f3c2-0000-7000-8000-0000000000b1".into(),
            document_id: doc.into(),
            permission,
            jti: "0190f3c2-0000-7000-8000-0000000000c1".into(),
        }
    }

    fn token(doc: &str, permission: Permission) -> IssuedToken {
        issue(KEY, &grant(doc, permission), NOW, DEFAULT_TOKEN_TTL_MS).expect("issued")
    }

    /// Signs arbitrary header/claims JSON with KEY (HS256 computed by jsonwebtoken itself).
    fn forge(header_json: &str, claims_json: &str, alg: Algorithm) -> String {
        let h = URL_SAFE_NO_PAD.encode(header_json);
        let c = URL_SAFE_NO_PAD.encode(claims_json);
        let msg = format!("{h}.{c}");
        let sig = jsonwebtoken::crypto::sign(msg.as_bytes(), &EncodingKey::from_secret(KEY), alg)
            .expect("sign");
        format!("{msg}.{sig}")
    }

    #[test]
    fn issued_token_verifies_and_carries_its_claims() {
        let t = token(DOC_A, Permission::Edit);
        let c = verify(KEY, &t.access_token, DOC_A, NOW + 1000).expect("valid");
        assert_eq!(c.document_id, DOC_A);
        assert_eq!(c.tenant_id, "0190f3c2-0000-7000-8000-00000000000a");
        assert_eq!(c.user_id, "0190f3c2-0000-7000-8000-0000000000b1");
        assert_eq!(c.jti, "0190f3c2-0000-7000-8000-0000000000c1");
        assert_eq!(c.permission, Permission::Edit);
        assert!(c.permission.can_write());
        assert_eq!(c.iat, 1_700_000_000);
        assert_eq!(c.exp, 1_700_036_000);
    }

    #[test]
    fn access_token_ttl_is_the_absolute_expiry_in_ms() {
        assert_eq!(DEFAULT_TOKEN_TTL_MS, 36_000_000, "10 hours");
        let t = token(DOC_A, Permission::View);
        assert_eq!(
            t.access_token_ttl, 1_700_036_000_000,
            "exp rounded down to the second, in ms"
        );
        assert!(t.access_token_ttl <= NOW + DEFAULT_TOKEN_TTL_MS);
        assert!(t.access_token_ttl > NOW + DEFAULT_TOKEN_TTL_MS - 1000);
    }

    #[test]
    fn token_for_document_a_does_not_open_document_b() {
        let t = token(DOC_A, Permission::Edit);
        let err = verify(KEY, &t.access_token, DOC_B, NOW).expect_err("other document");
        assert_eq!(err, TokenError::WrongDocument);
        assert_eq!(err.status(), 404);
    }

    #[test]
    fn view_token_carries_view_permission() {
        let t = token(DOC_A, Permission::View);
        let c = verify(KEY, &t.access_token, DOC_A, NOW).expect("valid");
        assert_eq!(c.permission, Permission::View);
        assert!(!c.permission.can_write());
        let payload = t.access_token.split('.').nth(1).expect("payload");
        let json = String::from_utf8(URL_SAFE_NO_PAD.decode(payload).expect("b64")).expect("utf8");
        assert!(json.contains(r#""perm":"view""#), "{json}");
    }

    #[test]
    fn expired_token_is_rejected_against_the_given_clock() {
        let t = token(DOC_A, Permission::Edit);
        let exp_ms = t.access_token_ttl;
        assert!(verify(KEY, &t.access_token, DOC_A, exp_ms - 1).is_ok());
        assert!(
            verify(KEY, &t.access_token, DOC_A, exp_ms + EXPIRY_LEEWAY_MS - 1).is_ok(),
            "within leeway"
        );
        let err =
            verify(KEY, &t.access_token, DOC_A, exp_ms + EXPIRY_LEEWAY_MS).expect_err("expired");
        assert_eq!(
            err,
            TokenError::Expired {
                expired_at_ms: exp_ms,
                now_ms: exp_ms + EXPIRY_LEEWAY_MS
            }
        );
        assert_eq!(err.status(), 401);
        // The system clock plays no part: a token issued "in 2023" verifies whenever now_ms says so.
        assert!(verify(KEY, &t.access_token, DOC_A, NOW).is_ok());
    }

    #[test]
    fn expired_token_for_another_document_is_401_not_404() {
        let t = token(DOC_A, Permission::Edit);
        let err =
            verify(KEY, &t.access_token, DOC_B, t.access_token_ttl + 60_000).expect_err("expired");
        assert_eq!(err.status(), 401);
    }

    #[test]
    fn tampered_token_is_rejected() {
        let t = token(DOC_A, Permission::View);
        let parts: Vec<&str> = t.access_token.split('.').collect();
        // Rewrite the payload to claim edit permission, keep the signature.
        let payload =
            String::from_utf8(URL_SAFE_NO_PAD.decode(parts[1]).expect("b64")).expect("utf8");
        let forged_payload =
            URL_SAFE_NO_PAD.encode(payload.replace(r#""perm":"view""#, r#""perm":"edit""#));
        let forged = format!("{}.{}.{}", parts[0], forged_payload, parts[2]);
        assert_eq!(
            verify(KEY, &forged, DOC_A, NOW),
            Err(TokenError::BadSignature)
        );
        // Flip one character of the signature.
        let mut sig: Vec<char> = parts[2].chars().collect();
        sig[5] = if sig[5] == 'A' { 'B' } else { 'A' };
        let forged = format!(
            "{}.{}.{}",
            parts[0],
            parts[1],
            sig.into_iter().collect::<String>()
        );
        assert_eq!(
            verify(KEY, &forged, DOC_A, NOW),
            Err(TokenError::BadSignature)
        );
        assert_eq!(TokenError::BadSignature.status(), 401);
    }

    #[test]
    fn token_signed_with_another_key_is_rejected() {
        let t = token(DOC_A, Permission::Edit);
        let other = b"another-key-of-at-least-32-bytes-long!!";
        assert_eq!(
            verify(other, &t.access_token, DOC_A, NOW),
            Err(TokenError::BadSignature)
        );
    }

    #[test]
    fn none_algorithm_is_rejected() {
        let claims = format!(
            r#"{{"tid":"t","sub":"u","doc":"{DOC_A}","perm":"edit","iat":1700000000,"exp":1800000000,"jti":"j"}}"#
        );
        let unsigned = format!(
            "{}.{}.",
            URL_SAFE_NO_PAD.encode(r#"{"alg":"none"}"#),
            URL_SAFE_NO_PAD.encode(&claims)
        );
        let err = verify(KEY, &unsigned, DOC_A, NOW).expect_err("alg none");
        assert_eq!(err, TokenError::UnsupportedAlgorithm("none".into()));
        assert_eq!(err.status(), 401);
    }

    #[test]
    fn other_algorithms_are_rejected_even_with_the_right_key() {
        let claims = format!(
            r#"{{"tid":"t","sub":"u","doc":"{DOC_A}","perm":"edit","iat":1700000000,"exp":1800000000,"jti":"j"}}"#
        );
        let hs512 = forge(r#"{"alg":"HS512"}"#, &claims, Algorithm::HS512);
        assert_eq!(
            verify(KEY, &hs512, DOC_A, NOW),
            Err(TokenError::UnsupportedAlgorithm("HS512".into()))
        );
        // Sanity check of the forge helper: the same claims under HS256 verify.
        let hs256 = forge(r#"{"alg":"HS256"}"#, &claims, Algorithm::HS256);
        assert!(verify(KEY, &hs256, DOC_A, NOW).is_ok());
    }

    #[test]
    fn token_without_exp_is_malformed() {
        let claims = format!(
            r#"{{"tid":"t","sub":"u","doc":"{DOC_A}","perm":"edit","iat":1700000000,"jti":"j"}}"#
        );
        let t = forge(r#"{"alg":"HS256"}"#, &claims, Algorithm::HS256);
        assert!(matches!(
            verify(KEY, &t, DOC_A, NOW),
            Err(TokenError::Malformed(_))
        ));
    }

    #[test]
    fn garbage_is_malformed() {
        for t in ["", "abc", "a.b", "a.b.c.d", "!!!.e30.x"] {
            let err = verify(KEY, t, DOC_A, NOW).expect_err(t);
            assert!(matches!(err, TokenError::Malformed(_)), "{t:?}: {err:?}");
            assert_eq!(err.status(), 401);
        }
    }

    #[test]
    fn key_shorter_than_32_bytes_is_refused_at_issue_time() {
        let err = issue(
            &KEY[..31],
            &grant(DOC_A, Permission::Edit),
            NOW,
            DEFAULT_TOKEN_TTL_MS,
        )
        .expect_err("short key");
        assert_eq!(err, TokenError::KeyTooShort { len: 31 });
        assert_eq!(err.status(), 500);
        assert!(
            issue(
                &KEY[..32],
                &grant(DOC_A, Permission::Edit),
                NOW,
                DEFAULT_TOKEN_TTL_MS
            )
            .is_ok()
        );
        assert_eq!(
            verify(b"short", "a.b.c", DOC_A, NOW),
            Err(TokenError::KeyTooShort { len: 5 })
        );
    }

    #[test]
    fn nonsense_lifetimes_and_empty_claims_are_refused() {
        assert_eq!(
            issue(KEY, &grant(DOC_A, Permission::Edit), NOW, 999),
            Err(TokenError::InvalidTtl(999))
        );
        assert_eq!(
            issue(KEY, &grant(DOC_A, Permission::Edit), NOW, -5),
            Err(TokenError::InvalidTtl(-5))
        );
        assert_eq!(
            issue(KEY, &grant("", Permission::Edit), NOW, 60_000),
            Err(TokenError::EmptyClaim("document id"))
        );
    }

    #[test]
    fn a_reader_token_names_the_readers_tenant_and_only_views() {
        let reader = "0190f3c2-0000-7000-8000-0000000000d1";
        let t = issue_for_reader(
            KEY,
            &grant(DOC_A, Permission::View),
            reader,
            NOW,
            DEFAULT_TOKEN_TTL_MS,
        )
        .unwrap();
        let c = verify(KEY, &t.access_token, DOC_A, NOW).unwrap();
        assert_eq!(c.reader_tenant_id.as_deref(), Some(reader));
        assert_eq!(c.permission, Permission::View);
        assert!(t.access_token.len() <= 340, "{}", t.access_token.len());
        // Ordinary tokens carry no reader tenant.
        let plain = verify(
            KEY,
            &token(DOC_A, Permission::View).access_token,
            DOC_A,
            NOW,
        )
        .unwrap();
        assert_eq!(plain.reader_tenant_id, None);
        assert_eq!(
            issue_for_reader(KEY, &grant(DOC_A, Permission::Edit), reader, NOW, 60_000),
            Err(TokenError::ReaderMayOnlyView)
        );
        assert_eq!(
            issue_for_reader(KEY, &grant(DOC_A, Permission::View), "", NOW, 60_000),
            Err(TokenError::EmptyClaim("reader tenant id"))
        );
    }

    #[test]
    fn tokens_are_short_and_url_safe() {
        let t = token(DOC_A, Permission::Edit);
        let len = t.access_token.len();
        assert!(len < 400, "token is {len} chars");
        assert!(
            t.access_token
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b)),
            "{}",
            t.access_token
        );
        assert!(len > 100, "token is {len} chars");
    }

    #[test]
    fn uuid_ids_travel_compactly_and_come_back_hyphenated() {
        let ids: Vec<String> = (1..=4u128)
            .map(|i| {
                uuid::Uuid::from_u128(0x0190_f3c2_0000_7000_8000_0000_0000_0000 + i).to_string()
            })
            .collect();
        let g = TokenGrant {
            tenant_id: ids[0].clone(),
            user_id: ids[1].clone(),
            document_id: ids[2].clone(),
            permission: Permission::Edit,
            jti: ids[3].clone(),
        };
        let t = issue(KEY, &g, NOW, DEFAULT_TOKEN_TTL_MS).unwrap();
        // Four UUIDs, view/edit, iat, exp: within the WOPI guidance's 100–300 characters.
        assert!(
            t.access_token.len() <= 300,
            "{} chars",
            t.access_token.len()
        );
        let c = verify(KEY, &t.access_token, &ids[2], NOW).unwrap();
        assert_eq!(
            (c.tenant_id, c.user_id, c.document_id, c.jti),
            (
                ids[0].clone(),
                ids[1].clone(),
                ids[2].clone(),
                ids[3].clone()
            )
        );
        // The hyphenated form is not on the wire.
        let payload = t.access_token.split('.').nth(1).unwrap();
        let json = String::from_utf8(URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap();
        assert!(!json.contains(&ids[2]), "{json}");
        assert!(!t.access_token.contains("typ"), "no typ header");
    }
}
