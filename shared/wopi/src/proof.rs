//! Proof-key verification: proving a WOPI request really comes from Office for the web
//! (reference §10).
//!
//! Office signs every request with its RSA proof key and puts the signature in `X-WOPI-Proof`
//! (current key) and `X-WOPI-ProofOld` (previous key); the public keys come from discovery. We
//! rebuild the signed bytes from what we received, check RSASSA-PKCS#1 v1.5 / SHA-256, and check
//! the timestamp is fresh. Microsoft publishes no IP ranges, so this (plus the access token) is
//! the only evidence a caller is Office. Failures answer **500** (what the WOPI validator expects).
//!
//! The signed bytes, all lengths 4-byte big-endian:
//!
//! ```text
//! len(token) ‖ token (UTF-8, as in the URL query) ‖ len(URL) ‖ URL upper-cased (UTF-8) ‖ 8 ‖ ticks (i64 BE)
//! ```
//!
//! The URL must be the **public** URL Office called — scheme, host, path and the raw query string
//! exactly as sent — not what a proxy, API Gateway stage or TLS terminator rewrote it to.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use rsa::traits::PublicKeyParts as _;
use rsa::{BigUint, Pkcs1v15Sign, RsaPublicKey};
use sha2::{Digest as _, Sha256};
use thiserror::Error;

use crate::EpochMillis;
use crate::headers;

/// .NET `DateTime` ticks (100 ns since 0001-01-01T00:00:00Z) at 1970-01-01T00:00:00Z.
pub const TICKS_AT_UNIX_EPOCH: i64 = 621_355_968_000_000_000;
/// Ticks per millisecond.
pub const TICKS_PER_MS: i64 = 10_000;
/// A signed request older than this is rejected (WOPI docs: 20 minutes).
pub const MAX_TIMESTAMP_AGE_MS: i64 = 20 * 60 * 1000;
/// A signed request stamped further in the future than this is rejected. WOPI says nothing
/// about the future; like WopiHost we allow 5 minutes of clock skew and refuse the rest, so a
/// captured request cannot be stamped ahead to stretch its replay window.
pub const MAX_TIMESTAMP_AHEAD_MS: i64 = 5 * 60 * 1000;
/// Smallest RSA modulus we accept from discovery (Office's keys are RSA-2048).
pub const MIN_KEY_BITS: usize = 2048;

/// Converts .NET ticks to epoch milliseconds (rounding toward minus infinity).
pub fn ticks_to_epoch_ms(ticks: i64) -> EpochMillis {
    let ms =
        (i128::from(ticks) - i128::from(TICKS_AT_UNIX_EPOCH)).div_euclid(i128::from(TICKS_PER_MS));
    // |ms| ≤ (2^63 + 6.3e17) / 1e4, far inside i64.
    i64::try_from(ms).unwrap_or(i64::MIN)
}

/// Converts epoch milliseconds to .NET ticks (saturating at the i64 range).
pub fn epoch_ms_to_ticks(ms: EpochMillis) -> i64 {
    ms.saturating_mul(TICKS_PER_MS)
        .saturating_add(TICKS_AT_UNIX_EPOCH)
}

/// Why a discovery proof key is unusable. Discovery parsing fails with this, so a bad key is
/// noticed when discovery is loaded, not at the first request.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ProofKeyError {
    /// An attribute is not valid base64.
    #[error("proof key attribute {attribute} is not valid base64")]
    BadBase64 {
        /// The discovery attribute name.
        attribute: &'static str,
    },
    /// The `value` blob is not a .NET `PUBLICKEYBLOB` for RSA.
    #[error("proof key CSP blob is malformed: {0}")]
    BadCspBlob(&'static str),
    /// The numbers do not form an RSA public key.
    #[error("proof key is not a valid RSA public key: {0}")]
    InvalidKey(String),
    /// Modulus shorter than [`MIN_KEY_BITS`].
    #[error("proof key has {bits} bits, at least {MIN_KEY_BITS} required")]
    WeakKey {
        /// Size of the modulus in bits.
        bits: usize,
    },
    /// `value` and `modulus`/`exponent` are both present and describe different keys.
    #[error("proof key {which}: the CSP blob and modulus/exponent describe different keys")]
    Mismatch {
        /// `current` or `old`.
        which: &'static str,
    },
    /// Only one of `modulus` and `exponent` is present.
    #[error("proof key {which}: modulus and exponent must come together")]
    Incomplete {
        /// `current` or `old`.
        which: &'static str,
    },
    /// The current key is absent.
    #[error("discovery has no current proof key")]
    MissingCurrent,
}

/// One of Office's RSA public proof keys.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProofKey {
    key: RsaPublicKey,
}

impl ProofKey {
    /// From discovery's `modulus` and `exponent` attributes: base64 big-endian unsigned integers.
    pub fn from_modulus_exponent(
        modulus_b64: &str,
        exponent_b64: &str,
    ) -> Result<ProofKey, ProofKeyError> {
        let n = BASE64
            .decode(modulus_b64.trim())
            .map_err(|_| ProofKeyError::BadBase64 {
                attribute: "modulus",
            })?;
        let e = BASE64
            .decode(exponent_b64.trim())
            .map_err(|_| ProofKeyError::BadBase64 {
                attribute: "exponent",
            })?;
        ProofKey::from_parts(BigUint::from_bytes_be(&n), BigUint::from_bytes_be(&e))
    }

    /// From discovery's `value` attribute: a base64 .NET `RSACryptoServiceProvider.ExportCspBlob`
    /// `PUBLICKEYBLOB` — `BLOBHEADER` (type 0x06, version 0x02, reserved, algorithm
    /// `CALG_RSA_KEYX`/`CALG_RSA_SIGN`), `RSAPUBKEY` (`RSA1`, bit length, exponent; little-endian),
    /// then the modulus, little-endian.
    pub fn from_csp_blob(value_b64: &str) -> Result<ProofKey, ProofKeyError> {
        const CALG_RSA_KEYX: u32 = 0x0000_A400;
        const CALG_RSA_SIGN: u32 = 0x0000_2400;
        let b = BASE64
            .decode(value_b64.trim())
            .map_err(|_| ProofKeyError::BadBase64 { attribute: "value" })?;
        let u32_le = |at: usize| -> Result<u32, ProofKeyError> {
            b.get(at..at + 4)
                .and_then(|s| <[u8; 4]>::try_from(s).ok())
                .map(u32::from_le_bytes)
                .ok_or(ProofKeyError::BadCspBlob("truncated header"))
        };
        if b.first() != Some(&0x06) || b.get(1) != Some(&0x02) {
            return Err(ProofKeyError::BadCspBlob("not a PUBLICKEYBLOB v2"));
        }
        let alg = u32_le(4)?;
        if alg != CALG_RSA_KEYX && alg != CALG_RSA_SIGN {
            return Err(ProofKeyError::BadCspBlob("algorithm is not RSA"));
        }
        if b.get(8..12) != Some(b"RSA1".as_slice()) {
            return Err(ProofKeyError::BadCspBlob("magic is not RSA1"));
        }
        let bit_len =
            usize::try_from(u32_le(12)?).map_err(|_| ProofKeyError::BadCspBlob("bit length"))?;
        let exponent = u32_le(16)?;
        if bit_len == 0 || bit_len % 8 != 0 || b.len() != 20 + bit_len / 8 {
            return Err(ProofKeyError::BadCspBlob(
                "length does not match the bit length",
            ));
        }
        let n = BigUint::from_bytes_le(&b[20..]);
        ProofKey::from_parts(n, BigUint::from(exponent))
    }

    fn from_parts(n: BigUint, e: BigUint) -> Result<ProofKey, ProofKeyError> {
        let bits = n.bits();
        if bits < MIN_KEY_BITS {
            return Err(ProofKeyError::WeakKey { bits });
        }
        let key = RsaPublicKey::new(n, e).map_err(|e| ProofKeyError::InvalidKey(e.to_string()))?;
        Ok(ProofKey { key })
    }

    /// Whether `signature` is a valid RSASSA-PKCS#1 v1.5 SHA-256 signature of `signed_data`.
    pub fn verifies(&self, signed_data: &[u8], signature: &[u8]) -> bool {
        let digest = Sha256::digest(signed_data);
        self.key
            .verify(Pkcs1v15Sign::new::<Sha256>(), &digest, signature)
            .is_ok()
    }

    /// Size of the modulus in bits.
    pub fn bits(&self) -> usize {
        self.key.n().bits()
    }

    /// The public exponent as bytes, big-endian.
    pub fn exponent_be(&self) -> Vec<u8> {
        self.key.e().to_bytes_be()
    }
}

/// The raw `<proof-key>` attributes from discovery; any may be absent or empty.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ProofKeyAttributes<'a> {
    /// `value`: CSP blob of the current key.
    pub value: Option<&'a str>,
    /// `modulus` of the current key.
    pub modulus: Option<&'a str>,
    /// `exponent` of the current key.
    pub exponent: Option<&'a str>,
    /// `oldvalue`: CSP blob of the previous key.
    pub old_value: Option<&'a str>,
    /// `oldmodulus` of the previous key.
    pub old_modulus: Option<&'a str>,
    /// `oldexponent` of the previous key.
    pub old_exponent: Option<&'a str>,
}

/// Office's current proof key and, while keys rotate, the previous one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProofKeys {
    /// The key Office signs `X-WOPI-Proof` with.
    pub current: ProofKey,
    /// The key Office signs `X-WOPI-ProofOld` with; discovery's `oldvalue` may be empty.
    pub old: Option<ProofKey>,
}

impl ProofKeys {
    /// Builds the keys from discovery attributes. Each key may be given as `modulus`+`exponent`,
    /// as a CSP blob `value`, or both — then both must describe the same key. Empty attributes
    /// count as absent (discovery's `oldvalue` is sometimes `""`).
    pub fn from_attributes(attrs: ProofKeyAttributes<'_>) -> Result<ProofKeys, ProofKeyError> {
        let current = one_key("current", attrs.value, attrs.modulus, attrs.exponent)?
            .ok_or(ProofKeyError::MissingCurrent)?;
        let old = one_key(
            "old",
            attrs.old_value,
            attrs.old_modulus,
            attrs.old_exponent,
        )?;
        Ok(ProofKeys { current, old })
    }
}

fn one_key(
    which: &'static str,
    value: Option<&str>,
    modulus: Option<&str>,
    exponent: Option<&str>,
) -> Result<Option<ProofKey>, ProofKeyError> {
    fn present(s: Option<&str>) -> Option<&str> {
        s.map(str::trim).filter(|s| !s.is_empty())
    }
    let from_blob = present(value).map(ProofKey::from_csp_blob).transpose()?;
    let from_numbers = match (present(modulus), present(exponent)) {
        (Some(m), Some(e)) => Some(ProofKey::from_modulus_exponent(m, e)?),
        (None, None) => None,
        _ => return Err(ProofKeyError::Incomplete { which }),
    };
    match (from_blob, from_numbers) {
        (Some(a), Some(b)) if a != b => Err(ProofKeyError::Mismatch { which }),
        (a, b) => Ok(b.or(a)),
    }
}

/// What arrived with a request, as strings straight from the request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProofRequest<'a> {
    /// The `access_token` query value exactly as it appears in the URL (not re-encoded, not
    /// decoded): Microsoft's vectors sign the percent-encoded form. (The WOPI validator, when
    /// given keys, signs the *unencoded* token while percent-encoding it in the URL; our JWTs use
    /// only `[A-Za-z0-9-_.]`, which Office leaves unencoded, so both forms coincide for them.)
    pub access_token: &'a str,
    /// The full public URL Office called, including the raw query string.
    pub url: &'a str,
    /// `X-WOPI-TimeStamp`.
    pub timestamp: Option<&'a str>,
    /// `X-WOPI-Proof`.
    pub proof: Option<&'a str>,
    /// `X-WOPI-ProofOld` (optional: it only adds a way to succeed).
    pub proof_old: Option<&'a str>,
}

/// Which accepted combination verified (worth logging: key rotation shows up here).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ProofMatch {
    /// `X-WOPI-Proof` with the current key — the normal case.
    ProofWithCurrentKey,
    /// `X-WOPI-ProofOld` with the current key: Office rotated its keys and our discovery is
    /// behind. Re-fetch discovery.
    ProofOldWithCurrentKey,
    /// `X-WOPI-Proof` with the old key: we re-read discovery, the Office node has not yet.
    ProofWithOldKey,
}

impl ProofMatch {
    /// Whether our cached discovery is out of date and should be re-fetched.
    pub fn discovery_is_stale(self) -> bool {
        self == ProofMatch::ProofOldWithCurrentKey
    }
}

/// Which check failed. Every variant answers **500** (see [`ProofError::STATUS`]).
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ProofError {
    /// A required header is absent or empty (`X-WOPI-Proof` or `X-WOPI-TimeStamp`).
    #[error("required header {0} is missing")]
    MissingHeader(&'static str),
    /// `X-WOPI-TimeStamp` is not a 64-bit integer.
    #[error("X-WOPI-TimeStamp is not an integer: {0:?}")]
    BadTimestamp(String),
    /// The request was signed more than 20 minutes ago.
    #[error("X-WOPI-TimeStamp is {age_ms} ms old (limit {MAX_TIMESTAMP_AGE_MS} ms)")]
    StaleTimestamp {
        /// How old the timestamp is.
        age_ms: i64,
    },
    /// The request is stamped more than 5 minutes in the future.
    #[error("X-WOPI-TimeStamp is {ahead_ms} ms in the future (limit {MAX_TIMESTAMP_AHEAD_MS} ms)")]
    TimestampInFuture {
        /// How far ahead the timestamp is.
        ahead_ms: i64,
    },
    /// A proof header is not base64 (and no other combination verified).
    #[error("{header} is not valid base64")]
    BadBase64 {
        /// The header name.
        header: &'static str,
    },
    /// No accepted key/header combination verifies. Re-fetching discovery and retrying once is
    /// reasonable (keys may have rotated); then reject.
    #[error("proof signature does not verify with any accepted key combination")]
    SignatureMismatch,
    /// Token or URL longer than a 32-bit length prefix can express.
    #[error("access token or URL too long to sign")]
    InputTooLong,
}

impl ProofError {
    /// The HTTP status for a failed proof: the WOPI validator expects 500.
    pub const STATUS: u16 = 500;
}

/// Builds the exact bytes Office signs (see the module docs). The URL is upper-cased with
/// Unicode rules, like the reference script; a URL on the wire is ASCII, where all rules agree.
pub fn signed_data(
    access_token: &str,
    url: &str,
    timestamp_ticks: i64,
) -> Result<Vec<u8>, ProofError> {
    let token = access_token.as_bytes();
    let url_upper = url.to_uppercase();
    let url_bytes = url_upper.as_bytes();
    let len = |b: &[u8]| u32::try_from(b.len()).map_err(|_| ProofError::InputTooLong);
    let mut out = Vec::with_capacity(4 + token.len() + 4 + url_bytes.len() + 4 + 8);
    out.extend_from_slice(&len(token)?.to_be_bytes());
    out.extend_from_slice(token);
    out.extend_from_slice(&len(url_bytes)?.to_be_bytes());
    out.extend_from_slice(url_bytes);
    out.extend_from_slice(&8u32.to_be_bytes());
    out.extend_from_slice(&timestamp_ticks.to_be_bytes());
    Ok(out)
}

/// Parses `X-WOPI-TimeStamp` and checks it lies within [−20 min, +5 min] of `now_ms`.
/// Returns the ticks.
pub fn check_timestamp(timestamp: Option<&str>, now_ms: EpochMillis) -> Result<i64, ProofError> {
    let raw = timestamp
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .ok_or(ProofError::MissingHeader(headers::TIMESTAMP))?;
    let ticks: i64 = raw
        .parse()
        .map_err(|_| ProofError::BadTimestamp(raw.to_owned()))?;
    let age_ms = now_ms.saturating_sub(ticks_to_epoch_ms(ticks));
    if age_ms > MAX_TIMESTAMP_AGE_MS {
        return Err(ProofError::StaleTimestamp { age_ms });
    }
    if age_ms < -MAX_TIMESTAMP_AHEAD_MS {
        return Err(ProofError::TimestampInFuture { ahead_ms: -age_ms });
    }
    Ok(ticks)
}

/// Verifies a request's proof at `now_ms`. Checks, in order: headers present, timestamp parses
/// and is fresh, then the signatures. Accepted: `X-WOPI-Proof` with the current key,
/// `X-WOPI-ProofOld` with the current key, `X-WOPI-Proof` with the old key. `X-WOPI-ProofOld`
/// with the old key alone is **not** accepted (it proves nothing about the current key pair).
pub fn verify_proof(
    request: &ProofRequest<'_>,
    keys: &ProofKeys,
    now_ms: EpochMillis,
) -> Result<ProofMatch, ProofError> {
    let proof_header = request
        .proof
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .ok_or(ProofError::MissingHeader(headers::PROOF))?;
    let ticks = check_timestamp(request.timestamp, now_ms)?;
    let data = signed_data(request.access_token, request.url, ticks)?;

    let proof = BASE64.decode(proof_header).ok();
    let proof_old_header = request.proof_old.map(str::trim).filter(|s| !s.is_empty());
    let proof_old = proof_old_header.and_then(|p| BASE64.decode(p).ok());

    let verifies = |key: &ProofKey, sig: &Option<Vec<u8>>| {
        sig.as_ref().is_some_and(|sig| key.verifies(&data, sig))
    };
    if verifies(&keys.current, &proof) {
        return Ok(ProofMatch::ProofWithCurrentKey);
    }
    if verifies(&keys.current, &proof_old) {
        return Ok(ProofMatch::ProofOldWithCurrentKey);
    }
    if keys.old.as_ref().is_some_and(|old| verifies(old, &proof)) {
        return Ok(ProofMatch::ProofWithOldKey);
    }
    if proof.is_none() {
        return Err(ProofError::BadBase64 {
            header: headers::PROOF,
        });
    }
    if proof_old_header.is_some() && proof_old.is_none() {
        return Err(ProofError::BadBase64 {
            header: headers::PROOF_OLD,
        });
    }
    Err(ProofError::SignatureMismatch)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticks_convert_to_epoch_ms_and_back() {
        assert_eq!(ticks_to_epoch_ms(TICKS_AT_UNIX_EPOCH), 0);
        assert_eq!(epoch_ms_to_ticks(0), TICKS_AT_UNIX_EPOCH);
        // 2015-04-25T20:16:01.077353Z, the first vector's timestamp.
        assert_eq!(
            ticks_to_epoch_ms(635_655_897_610_773_532),
            1_429_992_961_077
        );
        assert_eq!(
            ticks_to_epoch_ms(epoch_ms_to_ticks(1_700_000_000_123)),
            1_700_000_000_123
        );
        assert_eq!(
            ticks_to_epoch_ms(TICKS_AT_UNIX_EPOCH - 1),
            -1,
            "floors before the epoch"
        );
        // No overflow at the extremes.
        assert!(ticks_to_epoch_ms(i64::MIN) < 0);
        assert!(ticks_to_epoch_ms(i64::MAX) > 0);
        assert_eq!(epoch_ms_to_ticks(i64::MAX), i64::MAX);
    }

    #[test]
    fn signed_data_layout_is_length_prefixed_big_endian() {
        let d = signed_data("tok", "https://h/p?a=b", 0x0102_0304_0506_0708).expect("signable");
        let mut expected = vec![0, 0, 0, 3];
        expected.extend_from_slice(b"tok");
        expected.extend_from_slice(&[0, 0, 0, 15]);
        expected.extend_from_slice(b"HTTPS://H/P?A=B");
        expected.extend_from_slice(&[0, 0, 0, 8, 1, 2, 3, 4, 5, 6, 7, 8]);
        assert_eq!(d, expected);
    }

    #[test]
    fn signed_data_keeps_the_token_case_and_upper_cases_the_url() {
        let d = signed_data("aBc%2f", "https://x/?access_token=aBc%2f", 1).expect("signable");
        assert_eq!(&d[4..10], b"aBc%2f", "token verbatim");
        assert_eq!(
            &d[14..44],
            b"HTTPS://X/?ACCESS_TOKEN=ABC%2F",
            "URL upper-cased, query included"
        );
    }

    #[test]
    fn timestamp_window_is_20_minutes_back_and_5_minutes_ahead() {
        let now = 1_700_000_000_000;
        let at = |ms: i64| epoch_ms_to_ticks(ms).to_string();
        assert!(check_timestamp(Some(&at(now)), now).is_ok());
        assert!(
            check_timestamp(Some(&at(now - MAX_TIMESTAMP_AGE_MS)), now).is_ok(),
            "exactly 20 min is still fresh"
        );
        assert_eq!(
            check_timestamp(Some(&at(now - MAX_TIMESTAMP_AGE_MS - 1)), now),
            Err(ProofError::StaleTimestamp {
                age_ms: MAX_TIMESTAMP_AGE_MS + 1
            })
        );
        assert!(check_timestamp(Some(&at(now + MAX_TIMESTAMP_AHEAD_MS)), now).is_ok());
        assert_eq!(
            check_timestamp(Some(&at(now + MAX_TIMESTAMP_AHEAD_MS + 1)), now),
            Err(ProofError::TimestampInFuture {
                ahead_ms: MAX_TIMESTAMP_AHEAD_MS + 1
            })
        );
    }

    #[test]
    fn timestamp_must_be_present_and_an_integer() {
        assert_eq!(
            check_timestamp(None, 0),
            Err(ProofError::MissingHeader(headers::TIMESTAMP))
        );
        assert_eq!(
            check_timestamp(Some("  "), 0),
            Err(ProofError::MissingHeader(headers::TIMESTAMP))
        );
        assert_eq!(
            check_timestamp(Some("12.5"), 0),
            Err(ProofError::BadTimestamp("12.5".into()))
        );
        assert_eq!(
            check_timestamp(Some("2015-08-17T00:00:00Z"), 0),
            Err(ProofError::BadTimestamp("2015-08-17T00:00:00Z".into()))
        );
    }

    #[test]
    fn csp_blob_parser_rejects_malformed_blobs() {
        let enc = |b: &[u8]| BASE64.encode(b);
        assert_eq!(
            ProofKey::from_csp_blob("%%%"),
            Err(ProofKeyError::BadBase64 { attribute: "value" })
        );
        assert!(matches!(
            ProofKey::from_csp_blob(&enc(&[0x07, 0x02])),
            Err(ProofKeyError::BadCspBlob(_))
        ));
        assert!(matches!(
            ProofKey::from_csp_blob(&enc(&[0x06, 0x02, 0, 0])),
            Err(ProofKeyError::BadCspBlob(_))
        ));
        let mut header = vec![0x06, 0x02, 0, 0, 0x00, 0xA4, 0, 0];
        header.extend_from_slice(b"RSA2");
        header.extend_from_slice(&2048u32.to_le_bytes());
        header.extend_from_slice(&65537u32.to_le_bytes());
        assert_eq!(
            ProofKey::from_csp_blob(&enc(&header)),
            Err(ProofKeyError::BadCspBlob("magic is not RSA1"))
        );
        header[8..12].copy_from_slice(b"RSA1");
        assert!(
            matches!(
                ProofKey::from_csp_blob(&enc(&header)),
                Err(ProofKeyError::BadCspBlob(_))
            ),
            "no modulus"
        );
    }

    #[test]
    fn small_keys_are_refused() {
        let n = BASE64.encode([0xC5u8; 128]); // 1024 bits
        assert_eq!(
            ProofKey::from_modulus_exponent(&n, "AQAB"),
            Err(ProofKeyError::WeakKey { bits: 1024 })
        );
    }

    #[test]
    fn modulus_without_exponent_is_incomplete() {
        let attrs = ProofKeyAttributes {
            modulus: Some("AQAB"),
            ..Default::default()
        };
        assert_eq!(
            ProofKeys::from_attributes(attrs),
            Err(ProofKeyError::Incomplete { which: "current" })
        );
        assert_eq!(
            ProofKeys::from_attributes(ProofKeyAttributes::default()),
            Err(ProofKeyError::MissingCurrent)
        );
    }

    #[test]
    fn proof_errors_answer_500() {
        assert_eq!(ProofError::STATUS, 500);
    }
}
