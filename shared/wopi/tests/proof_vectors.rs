//! Proof-key verification against Microsoft's published test vectors
//! (`reference/wopi-proof-key-vectors.json`, beside the repository), plus the rejections the
//! vectors imply: tampered URL or token, swapped or missing keys, stale timestamps, and the one
//! combination that must never be accepted alone (X-WOPI-ProofOld with the old key).
//!
//! How a vector is judged: `expected_valid` says accept or reject. The vectors date from 2015,
//! and the reference script skips the 20-minute freshness rule; we instead verify each one *at its
//! own timestamp* (now = the vector's `timestamp` converted to epoch ms), so the full verifier —
//! freshness included — runs on every case. `signed_data_len` and `signed_data_sha256_hex` pin the
//! byte layout before any RSA; `accepted_by` is recomputed combination by combination.

use std::path::PathBuf;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use bridge_wopi::proof::{
    self, MAX_TIMESTAMP_AGE_MS, MAX_TIMESTAMP_AHEAD_MS, ProofKeyAttributes, ticks_to_epoch_ms,
};
use bridge_wopi::{Discovery, ProofError, ProofKey, ProofKeys, ProofMatch, ProofRequest};
use serde_json::Value;
use sha2::{Digest as _, Sha256};

fn vectors_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/reference/wopi-proof-key-vectors.json")
}

fn load() -> Value {
    let path = vectors_path();
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "cannot read the WOPI proof-key vectors at {} ({e}). They live in the shared reference folder \
             beside the repository (../shared/reference/); these tests never skip.",
            path.display()
        )
    });
    serde_json::from_str(&text).expect("vectors file is JSON")
}

fn s<'a>(v: &'a Value, key: &str) -> &'a str {
    v[key]
        .as_str()
        .unwrap_or_else(|| panic!("{key} is not a string"))
}

fn discovery_attrs(v: &Value) -> ProofKeyAttributes<'_> {
    let d = &v["discovery_proof_key"];
    ProofKeyAttributes {
        value: Some(s(d, "value")),
        modulus: Some(s(d, "modulus")),
        exponent: Some(s(d, "exponent")),
        old_value: Some(s(d, "oldvalue")),
        old_modulus: Some(s(d, "oldmodulus")),
        old_exponent: Some(s(d, "oldexponent")),
    }
}

fn keys(v: &Value) -> ProofKeys {
    ProofKeys::from_attributes(discovery_attrs(v)).expect("vector keys parse")
}

fn cases(v: &Value) -> &Vec<Value> {
    v["test_cases"].as_array().expect("test_cases array")
}

fn case<'a>(v: &'a Value, name: &str) -> &'a Value {
    cases(v)
        .iter()
        .find(|c| s(c, "name") == name)
        .unwrap_or_else(|| panic!("no vector {name}"))
}

fn ticks(c: &Value) -> i64 {
    c["timestamp"].as_i64().expect("timestamp")
}

/// A request exactly as in the vector, plus its timestamp as epoch ms.
fn request(c: &Value) -> (ProofRequest<'_>, i64) {
    let req = ProofRequest {
        access_token: s(c, "access_token"),
        url: s(c, "url"),
        timestamp: None,
        proof: Some(s(c, "x_wopi_proof")),
        proof_old: Some(s(c, "x_wopi_proof_old")),
    };
    (req, ticks_to_epoch_ms(ticks(c)))
}

fn verify_case(c: &Value, keys: &ProofKeys) -> Result<ProofMatch, ProofError> {
    let (mut req, at) = request(c);
    let ts = ticks(c).to_string();
    req.timestamp = Some(&ts);
    proof::verify_proof(&req, keys, at)
}

#[test]
fn vectors_file_is_present_and_complete() {
    let v = load();
    assert_eq!(cases(&v).len(), 8, "the reference lists 8 cases");
    assert!(
        v["_about"]["accept_rule"]
            .as_str()
            .is_some_and(|r| r.contains("ProofOld with old key"))
    );
}

#[test]
fn csp_blob_and_modulus_exponent_describe_the_same_keys() {
    let v = load();
    let d = &v["discovery_proof_key"];
    for (blob, modulus, exponent) in [
        ("value", "modulus", "exponent"),
        ("oldvalue", "oldmodulus", "oldexponent"),
    ] {
        let from_blob = ProofKey::from_csp_blob(s(d, blob)).expect("CSP blob parses");
        let from_numbers =
            ProofKey::from_modulus_exponent(s(d, modulus), s(d, exponent)).expect("numbers parse");
        assert_eq!(from_blob, from_numbers, "{blob} vs {modulus}/{exponent}");
        assert_eq!(from_blob.bits(), 2048);
        assert_eq!(from_blob.exponent_be(), vec![1, 0, 1], "e = 65537");
    }
    // Either representation alone gives the same ProofKeys as both together.
    let both = keys(&v);
    let blob_only = ProofKeys::from_attributes(ProofKeyAttributes {
        value: Some(s(d, "value")),
        old_value: Some(s(d, "oldvalue")),
        ..Default::default()
    })
    .expect("blob only");
    let numbers_only = ProofKeys::from_attributes(ProofKeyAttributes {
        modulus: Some(s(d, "modulus")),
        exponent: Some(s(d, "exponent")),
        old_modulus: Some(s(d, "oldmodulus")),
        old_exponent: Some(s(d, "oldexponent")),
        ..Default::default()
    })
    .expect("numbers only");
    assert_eq!(blob_only, both);
    assert_eq!(numbers_only, both);
    assert!(both.old.is_some());
    assert_ne!(both.current, both.old.clone().expect("old key"));
}

#[test]
fn disagreeing_blob_and_numbers_are_refused() {
    let v = load();
    let d = &v["discovery_proof_key"];
    let err = ProofKeys::from_attributes(ProofKeyAttributes {
        value: Some(s(d, "oldvalue")),
        modulus: Some(s(d, "modulus")),
        exponent: Some(s(d, "exponent")),
        ..Default::default()
    })
    .expect_err("mismatch");
    assert_eq!(err, proof::ProofKeyError::Mismatch { which: "current" });
}

#[test]
fn empty_old_value_means_no_old_key() {
    let v = load();
    let d = &v["discovery_proof_key"];
    let k = ProofKeys::from_attributes(ProofKeyAttributes {
        value: Some(s(d, "value")),
        old_value: Some(""),
        old_modulus: Some(""),
        old_exponent: Some(""),
        ..Default::default()
    })
    .expect("parses");
    assert!(k.old.is_none());
}

#[test]
fn signed_data_matches_every_vector_layout() {
    let v = load();
    for c in cases(&v) {
        let data =
            proof::signed_data(s(c, "access_token"), s(c, "url"), ticks(c)).expect("signable");
        assert_eq!(
            data.len() as u64,
            c["signed_data_len"].as_u64().expect("len"),
            "{}",
            s(c, "name")
        );
        assert_eq!(
            hex::encode(Sha256::digest(&data)),
            s(c, "signed_data_sha256_hex"),
            "{}",
            s(c, "name")
        );
    }
}

#[test]
fn every_vector_is_judged_as_expected() {
    let v = load();
    let k = keys(&v);
    let old = k.old.clone().expect("old key");
    for c in cases(&v) {
        let name = s(c, "name");
        let data =
            proof::signed_data(s(c, "access_token"), s(c, "url"), ticks(c)).expect("signable");
        let proof_sig = BASE64.decode(s(c, "x_wopi_proof")).expect("b64");
        let proof_old_sig = BASE64.decode(s(c, "x_wopi_proof_old")).expect("b64");

        // Combination by combination, as the reference script reports them.
        let mut accepted_by = Vec::new();
        if k.current.verifies(&data, &proof_sig) {
            accepted_by.push("proof+current");
        }
        if k.current.verifies(&data, &proof_old_sig) {
            accepted_by.push("proofold+current");
        }
        if old.verifies(&data, &proof_sig) {
            accepted_by.push("proof+old");
        }
        let expected: Vec<&str> = c["accepted_by"]
            .as_array()
            .expect("accepted_by")
            .iter()
            .map(|x| x.as_str().expect("str"))
            .collect();
        assert_eq!(accepted_by, expected, "{name}: accepted_by");

        // The full verifier, at the vector's own time.
        let result = verify_case(c, &k);
        let expected_valid = c["expected_valid"].as_bool().expect("expected_valid");
        assert_eq!(result.is_ok(), expected_valid, "{name}: {result:?}");
        match (result, expected.first()) {
            (Ok(m), Some(&"proof+current")) => {
                assert_eq!(m, ProofMatch::ProofWithCurrentKey, "{name}")
            }
            (Ok(m), Some(&"proofold+current")) => {
                assert_eq!(m, ProofMatch::ProofOldWithCurrentKey, "{name}");
                assert!(m.discovery_is_stale());
            }
            (Ok(m), Some(&"proof+old")) => {
                assert_eq!(m, ProofMatch::ProofWithOldKey, "{name}");
                assert!(!m.discovery_is_stale());
            }
            (Err(e), None) => assert_eq!(e, ProofError::SignatureMismatch, "{name}"),
            (other, first) => panic!("{name}: {other:?} with accepted_by {first:?}"),
        }
    }
}

#[test]
fn every_vector_still_verifies_19_minutes_later_and_is_rejected_21_minutes_later() {
    let v = load();
    let k = keys(&v);
    for c in cases(&v)
        .iter()
        .filter(|c| c["expected_valid"].as_bool() == Some(true))
    {
        let (mut req, at) = request(c);
        let ts = ticks(c).to_string();
        req.timestamp = Some(&ts);
        assert!(
            proof::verify_proof(&req, &k, at + 19 * 60 * 1000).is_ok(),
            "{}",
            s(c, "name")
        );
        assert!(
            proof::verify_proof(&req, &k, at + MAX_TIMESTAMP_AGE_MS).is_ok(),
            "exactly 20 min"
        );
        let err = proof::verify_proof(&req, &k, at + 21 * 60 * 1000).expect_err("stale");
        assert_eq!(
            err,
            ProofError::StaleTimestamp {
                age_ms: 21 * 60 * 1000
            },
            "{}",
            s(c, "name")
        );
        assert_eq!(ProofError::STATUS, 500);
    }
}

#[test]
fn request_stamped_more_than_5_minutes_ahead_is_rejected() {
    let v = load();
    let k = keys(&v);
    let c = case(&v, "test_proof_current_key1");
    let (mut req, at) = request(c);
    let ts = ticks(c).to_string();
    req.timestamp = Some(&ts);
    assert!(proof::verify_proof(&req, &k, at - MAX_TIMESTAMP_AHEAD_MS).is_ok());
    assert_eq!(
        proof::verify_proof(&req, &k, at - MAX_TIMESTAMP_AHEAD_MS - 1),
        Err(ProofError::TimestampInFuture {
            ahead_ms: MAX_TIMESTAMP_AHEAD_MS + 1
        })
    );
}

#[test]
fn tampered_url_is_rejected() {
    let v = load();
    let k = keys(&v);
    for name in [
        "test_proof_current_key1",
        "test_old_proof_current_key1",
        "test_proof_old_key1",
    ] {
        let c = case(&v, name);
        let (mut req, at) = request(c);
        let ts = ticks(c).to_string();
        req.timestamp = Some(&ts);
        let other_file = req.url.replacen("/wopi/files/", "/wopi/files/x", 1);
        req.url = &other_file;
        assert_eq!(
            proof::verify_proof(&req, &k, at),
            Err(ProofError::SignatureMismatch),
            "{name}"
        );
        // http vs https after TLS termination is a different URL too.
        let http = s(c, "url").replacen("https://", "http://", 1);
        req.url = &http;
        assert_eq!(
            proof::verify_proof(&req, &k, at),
            Err(ProofError::SignatureMismatch),
            "{name}"
        );
        // Dropping the query string breaks it as well.
        let no_query = s(c, "url").split('?').next().expect("path").to_owned();
        req.url = &no_query;
        assert_eq!(
            proof::verify_proof(&req, &k, at),
            Err(ProofError::SignatureMismatch),
            "{name}"
        );
    }
}

#[test]
fn url_case_does_not_matter_because_it_is_upper_cased() {
    let v = load();
    let k = keys(&v);
    let c = case(&v, "test_proof_current_key2");
    let (mut req, at) = request(c);
    let ts = ticks(c).to_string();
    req.timestamp = Some(&ts);
    let lower = s(c, "url").to_lowercase();
    req.url = &lower;
    assert_eq!(
        proof::verify_proof(&req, &k, at),
        Ok(ProofMatch::ProofWithCurrentKey)
    );
}

#[test]
fn tampered_token_is_rejected() {
    let v = load();
    let k = keys(&v);
    for name in [
        "test_proof_current_key1",
        "test_old_proof_current_key2",
        "test_proof_old_key2",
    ] {
        let c = case(&v, name);
        let (mut req, at) = request(c);
        let ts = ticks(c).to_string();
        req.timestamp = Some(&ts);
        let token = format!("{}x", req.access_token);
        req.access_token = &token;
        assert_eq!(
            proof::verify_proof(&req, &k, at),
            Err(ProofError::SignatureMismatch),
            "{name}"
        );
        // The percent-decoded form is a different byte string: the token must be used as in the URL.
        let decoded = s(c, "access_token")
            .replace("%2f", "/")
            .replace("%2b", "+")
            .replace("%3d", "=");
        if decoded != s(c, "access_token") {
            req.access_token = &decoded;
            assert_eq!(
                proof::verify_proof(&req, &k, at),
                Err(ProofError::SignatureMismatch),
                "{name}"
            );
        }
    }
}

#[test]
fn tampered_timestamp_is_rejected() {
    let v = load();
    let k = keys(&v);
    let c = case(&v, "test_proof_current_key1");
    let (mut req, at) = request(c);
    let ts = (ticks(c) + 1).to_string();
    req.timestamp = Some(&ts);
    assert_eq!(
        proof::verify_proof(&req, &k, at),
        Err(ProofError::SignatureMismatch)
    );
}

#[test]
fn proof_old_signed_with_the_old_key_alone_is_rejected() {
    // No vector's ProofOld verifies with the discovery's old key (the reference script reports
    // proofold+old=False for all 8), so build that situation by swapping the keys: the
    // ProofOld-with-current vectors then verify *only* as ProofOld with the old key.
    let v = load();
    let k = keys(&v);
    let swapped = ProofKeys {
        current: k.old.clone().expect("old key"),
        old: Some(k.current.clone()),
    };
    let swapped_old = swapped.old.clone().expect("old key");
    for name in ["test_old_proof_current_key1", "test_old_proof_current_key2"] {
        let c = case(&v, name);
        let data =
            proof::signed_data(s(c, "access_token"), s(c, "url"), ticks(c)).expect("signable");
        let proof_sig = BASE64.decode(s(c, "x_wopi_proof")).expect("b64");
        let proof_old_sig = BASE64.decode(s(c, "x_wopi_proof_old")).expect("b64");
        // The situation is real (not vacuous): ProofOld verifies with the old key, nothing else does.
        assert!(swapped_old.verifies(&data, &proof_old_sig), "{name}");
        assert!(!swapped.current.verifies(&data, &proof_sig), "{name}");
        assert!(!swapped.current.verifies(&data, &proof_old_sig), "{name}");
        assert!(!swapped_old.verifies(&data, &proof_sig), "{name}");

        assert!(
            verify_case(c, &k).is_ok(),
            "{name} is valid with the real keys"
        );
        assert_eq!(
            verify_case(c, &swapped),
            Err(ProofError::SignatureMismatch),
            "{name} with swapped keys"
        );
    }
}

#[test]
fn swapped_keys_still_accept_proof_signed_with_either_discovery_key() {
    // The accept rule is symmetric for X-WOPI-Proof: a Proof made with the real current key
    // verifies as "Proof with old key" after a swap, and vice versa — only ProofOld is one-way.
    let v = load();
    let k = keys(&v);
    let swapped = ProofKeys {
        current: k.old.clone().expect("old key"),
        old: Some(k.current.clone()),
    };
    assert_eq!(
        verify_case(case(&v, "test_proof_current_key1"), &swapped),
        Ok(ProofMatch::ProofWithOldKey)
    );
    assert_eq!(
        verify_case(case(&v, "test_proof_old_key1"), &swapped),
        Ok(ProofMatch::ProofWithCurrentKey)
    );
    assert!(verify_case(case(&v, "test_invalid1"), &swapped).is_err());
    assert!(verify_case(case(&v, "test_invalid2"), &swapped).is_err());
}

#[test]
fn proof_with_old_key_needs_the_old_key() {
    let v = load();
    let k = keys(&v);
    let current_only = ProofKeys {
        current: k.current.clone(),
        old: None,
    };
    for name in ["test_proof_old_key1", "test_proof_old_key2"] {
        let c = case(&v, name);
        assert_eq!(
            verify_case(c, &k),
            Ok(ProofMatch::ProofWithOldKey),
            "{name}"
        );
        assert_eq!(
            verify_case(c, &current_only),
            Err(ProofError::SignatureMismatch),
            "{name} without old key"
        );
    }
}

#[test]
fn proof_old_with_current_key_works_without_x_wopi_proof_being_valid_but_not_without_the_header() {
    let v = load();
    let k = keys(&v);
    let c = case(&v, "test_old_proof_current_key1");
    let (mut req, at) = request(c);
    let ts = ticks(c).to_string();
    req.timestamp = Some(&ts);
    assert_eq!(
        proof::verify_proof(&req, &k, at),
        Ok(ProofMatch::ProofOldWithCurrentKey)
    );
    req.proof = None;
    assert_eq!(
        proof::verify_proof(&req, &k, at),
        Err(ProofError::MissingHeader("x-wopi-proof"))
    );
}

#[test]
fn missing_headers_are_reported_by_name() {
    let v = load();
    let k = keys(&v);
    let c = case(&v, "test_proof_current_key1");
    let (req, at) = request(c);
    assert_eq!(
        proof::verify_proof(&req, &k, at),
        Err(ProofError::MissingHeader("x-wopi-timestamp"))
    );
    let ts = ticks(c).to_string();
    let mut with_ts = ProofRequest {
        timestamp: Some(&ts),
        ..req
    };
    with_ts.proof = Some("");
    assert_eq!(
        proof::verify_proof(&with_ts, &k, at),
        Err(ProofError::MissingHeader("x-wopi-proof"))
    );
    // ProofOld is optional: Proof with the current key is enough.
    let proof_only = ProofRequest {
        timestamp: Some(&ts),
        proof_old: None,
        ..req
    };
    assert_eq!(
        proof::verify_proof(&proof_only, &k, at),
        Ok(ProofMatch::ProofWithCurrentKey)
    );
}

#[test]
fn bad_base64_is_reported_when_nothing_verifies() {
    let v = load();
    let k = keys(&v);
    let c = case(&v, "test_proof_current_key1");
    let (req, at) = request(c);
    let ts = ticks(c).to_string();
    let bad_proof = ProofRequest {
        timestamp: Some(&ts),
        proof: Some("not base64!"),
        proof_old: None,
        ..req
    };
    assert_eq!(
        proof::verify_proof(&bad_proof, &k, at),
        Err(ProofError::BadBase64 {
            header: "x-wopi-proof"
        })
    );
    let invalid = case(&v, "test_invalid1");
    let (req, at) = request(invalid);
    let ts = ticks(invalid).to_string();
    let bad_old = ProofRequest {
        timestamp: Some(&ts),
        proof_old: Some("***"),
        ..req
    };
    assert_eq!(
        proof::verify_proof(&bad_old, &k, at),
        Err(ProofError::BadBase64 {
            header: "x-wopi-proofold"
        })
    );
    // A garbled ProofOld does not spoil a valid Proof.
    let (req, at) = request(c);
    let ts = ticks(c).to_string();
    let ok = ProofRequest {
        timestamp: Some(&ts),
        proof_old: Some("***"),
        ..req
    };
    assert_eq!(
        proof::verify_proof(&ok, &k, at),
        Ok(ProofMatch::ProofWithCurrentKey)
    );
}

#[test]
fn discovery_fixture_carries_the_vector_keys() {
    let v = load();
    let xml = std::fs::read_to_string(
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/discovery.xml"),
    )
    .expect("fixture");
    let d = Discovery::parse(&xml).expect("fixture parses");
    let from_discovery = d.proof_keys().expect("proof keys").clone();
    assert_eq!(from_discovery, keys(&v));
    // And they verify a vector end to end.
    let c = case(&v, "test_proof_current_key1");
    assert_eq!(
        verify_case(c, &from_discovery),
        Ok(ProofMatch::ProofWithCurrentKey)
    );
}
