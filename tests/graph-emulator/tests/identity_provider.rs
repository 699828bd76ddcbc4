//! Identity provider mode: discovery, JWKS, authorize, code redemption, admin consent.
#![allow(clippy::unwrap_used)]

mod common;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use common::{CLIENT_ID, SECRET, TENANT, fixture, form};
use graph_emulator::{EmulatorConfig, GLOBAL_ADMINISTRATOR_TEMPLATE_ID};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde_json::Value;
use sha2::{Digest, Sha256};

const REDIRECT_URI: &str = "http://127.0.0.1:9/callback";
const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";

fn challenge(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

fn no_redirects() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

fn authorize_url(f: &common::Fixture, tenant: &str, extra: &[(&str, &str)]) -> String {
    let ch = challenge(VERIFIER);
    let mut pairs = vec![
        ("client_id", CLIENT_ID),
        ("response_type", "code"),
        ("redirect_uri", REDIRECT_URI),
        ("scope", "openid profile email"),
        ("state", "st-1"),
        ("nonce", "no-1"),
        ("code_challenge", ch.as_str()),
        ("code_challenge_method", "S256"),
    ];
    for (k, v) in extra {
        pairs.retain(|(n, _)| n != k);
        pairs.push((k, v));
    }
    format!("{}?{}", f.emu.authorize_url(tenant), form(&pairs))
}

/// Query pairs of a redirect's Location (which must go to REDIRECT_URI).
fn redirected(resp: &reqwest::Response) -> Vec<(String, String)> {
    assert_eq!(resp.status(), 302);
    let loc = resp.headers()["location"].to_str().unwrap();
    let query = loc.strip_prefix(&format!("{REDIRECT_URI}?")).unwrap();
    form_urlencoded::parse(query.as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

fn param<'a>(pairs: &'a [(String, String)], k: &str) -> Option<&'a str> {
    pairs.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str())
}

async fn get_code(f: &common::Fixture, http: &reqwest::Client) -> String {
    let resp = http
        .get(authorize_url(f, "organizations", &[]))
        .send()
        .await
        .unwrap();
    let pairs = redirected(&resp);
    assert_eq!(param(&pairs, "state"), Some("st-1"));
    param(&pairs, "code").unwrap().to_owned()
}

async fn redeem(
    f: &common::Fixture,
    http: &reqwest::Client,
    code: &str,
    overrides: &[(&str, &str)],
) -> reqwest::Response {
    let mut pairs = vec![
        ("grant_type", "authorization_code"),
        ("client_id", CLIENT_ID),
        ("client_secret", SECRET),
        ("code", code),
        ("redirect_uri", REDIRECT_URI),
        ("code_verifier", VERIFIER),
    ];
    for (k, v) in overrides {
        pairs.retain(|(n, _)| n != k);
        pairs.push((k, v));
    }
    http.post(f.emu.token_url("organizations"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form(&pairs))
        .send()
        .await
        .unwrap()
}

async fn setup() -> (common::Fixture, reqwest::Client) {
    let f = fixture(EmulatorConfig::default()).await;
    f.emu.add_redirect_uri(CLIENT_ID, REDIRECT_URI).unwrap();
    (f, no_redirects())
}

async fn jwks(f: &common::Fixture, http: &reqwest::Client, tenant: &str) -> Vec<Value> {
    let body: Value = http
        .get(f.emu.jwks_url(tenant))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    body["keys"].as_array().unwrap().clone()
}

/// Verifies an id token's RS256 signature with the published JWKS; returns its claims.
async fn verified_claims(f: &common::Fixture, http: &reqwest::Client, token: &str) -> Value {
    let kid = jsonwebtoken::decode_header(token).unwrap().kid.unwrap();
    let keys = jwks(f, http, "common").await;
    let jwk = keys.iter().find(|k| k["kid"] == kid.as_str()).unwrap();
    let key =
        DecodingKey::from_rsa_components(jwk["n"].as_str().unwrap(), jwk["e"].as_str().unwrap())
            .unwrap();
    let mut v = Validation::new(Algorithm::RS256);
    v.set_audience(&[CLIENT_ID]);
    jsonwebtoken::decode::<Value>(token, &key, &v)
        .unwrap()
        .claims
}

#[tokio::test]
async fn openid_configuration_names_the_tenant_issuer_and_endpoints() {
    let (f, http) = setup().await;
    let o = f.emu.authority();
    let doc: Value = http
        .get(f.emu.openid_configuration_url(TENANT))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(doc["issuer"], format!("{o}/{TENANT}/v2.0"));
    assert_eq!(
        doc["authorization_endpoint"],
        format!("{o}/{TENANT}/oauth2/v2.0/authorize")
    );
    assert_eq!(
        doc["token_endpoint"],
        format!("{o}/{TENANT}/oauth2/v2.0/token")
    );
    assert_eq!(doc["jwks_uri"], format!("{o}/{TENANT}/discovery/v2.0/keys"));
    assert_eq!(doc["id_token_signing_alg_values_supported"][0], "RS256");
    let common: Value = http
        .get(f.emu.openid_configuration_url("common"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(common["issuer"], format!("{o}/{{tenantid}}/v2.0"));
    let unknown = http
        .get(f.emu.openid_configuration_url("nobody"))
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), 400);
}

#[tokio::test]
async fn jwks_publishes_2048_bit_rsa_keys_and_rotation_adds_one() {
    let (f, http) = setup().await;
    let keys = jwks(&f, &http, "common").await;
    assert_eq!(keys.len(), 1);
    let k = &keys[0];
    assert_eq!(
        (k["kty"].as_str(), k["use"].as_str()),
        (Some("RSA"), Some("sig"))
    );
    assert_eq!(k["kid"], f.emu.signing_key_id().as_str());
    assert_eq!(k["e"], "AQAB");
    let n = URL_SAFE_NO_PAD.decode(k["n"].as_str().unwrap()).unwrap();
    assert_eq!(n.len(), 256, "2048-bit modulus");

    let first = f.emu.signing_key_id();
    let second = f.emu.rotate_signing_key();
    assert_ne!(first, second);
    let kids: Vec<String> = jwks(&f, &http, TENANT)
        .await
        .iter()
        .map(|k| k["kid"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(kids, vec![first, second]);
    assert_eq!(f.emu.jwks_request_count(), 2);
}

#[tokio::test]
async fn code_flow_answers_an_entra_v2_id_token_and_a_working_access_token() {
    let (f, http) = setup().await;
    f.emu.sign_in(&f.user.user_principal_name).unwrap();
    let code = get_code(&f, &http).await;
    let resp = redeem(&f, &http, &code, &[]).await;
    assert_eq!(resp.status(), 200);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["token_type"], "Bearer");
    let c = verified_claims(&f, &http, body["id_token"].as_str().unwrap()).await;
    assert_eq!(c["iss"], f.emu.issuer(TENANT));
    assert_eq!(c["aud"], CLIENT_ID);
    assert_eq!(c["tid"], TENANT);
    assert_eq!(c["oid"], f.user.id.as_str());
    assert_eq!(c["name"], "Ada Lovelace");
    assert_eq!(c["preferred_username"], "ada@contoso.test");
    assert_eq!(c["email"], "ada@contoso.test");
    assert_eq!(c["nonce"], "no-1");
    assert_eq!(c["ver"], "2.0");
    assert!(c["sub"].as_str().unwrap().len() >= 40);
    assert!(c["exp"].as_i64().unwrap() > c["iat"].as_i64().unwrap());
    assert_eq!(c["nbf"], c["iat"]);
    assert!(
        !c["wids"]
            .as_array()
            .unwrap()
            .contains(&Value::from(GLOBAL_ADMINISTRATOR_TEMPLATE_ID))
    );
    // The delegated access token is accepted by Graph.
    let users = http
        .get(format!("{}/users", f.emu.base_url()))
        .bearer_auth(body["access_token"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(users.status(), 200);
}

#[tokio::test]
async fn tenant_admin_gets_the_global_administrator_role_in_wids() {
    let (f, http) = setup().await;
    f.emu.set_tenant_admin(&f.user.id, true).unwrap();
    let token = f
        .emu
        .issue_id_token(TENANT, &f.user.id, CLIENT_ID, Some("n"))
        .unwrap();
    let c = verified_claims(&f, &http, &token).await;
    assert!(
        c["wids"]
            .as_array()
            .unwrap()
            .contains(&Value::from(GLOBAL_ADMINISTRATOR_TEMPLATE_ID))
    );
}

#[tokio::test]
async fn unknown_client_or_redirect_uri_gets_an_error_page_and_no_redirect() {
    let (f, http) = setup().await;
    f.emu.sign_in(&f.user.id).unwrap();
    for extra in [
        [("client_id", "unknown-app")],
        [("redirect_uri", "https://evil.example/steal")],
    ] {
        let resp = http
            .get(authorize_url(&f, "organizations", &extra))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 400);
        assert!(resp.headers().get("location").is_none());
        assert!(resp.text().await.unwrap().contains("AADSTS"));
    }
    let resp = http
        .get(authorize_url(&f, "no-such-tenant", &[]))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 400);
}

#[tokio::test]
async fn authorize_without_pkce_s256_redirects_with_invalid_request() {
    let (f, http) = setup().await;
    f.emu.sign_in(&f.user.id).unwrap();
    let resp = http
        .get(authorize_url(
            &f,
            "organizations",
            &[("code_challenge_method", "plain")],
        ))
        .send()
        .await
        .unwrap();
    let pairs = redirected(&resp);
    assert_eq!(param(&pairs, "error"), Some("invalid_request"));
    assert_eq!(param(&pairs, "state"), Some("st-1"));
    assert!(param(&pairs, "code").is_none());
}

#[tokio::test]
async fn without_a_signed_in_user_the_sign_in_page_is_shown() {
    let (f, http) = setup().await;
    let resp = http
        .get(authorize_url(&f, "organizations", &[]))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert!(resp.headers().get("location").is_none());
    // login_hint names the user instead.
    let resp = http
        .get(authorize_url(
            &f,
            "organizations",
            &[("login_hint", "ada@contoso.test")],
        ))
        .send()
        .await
        .unwrap();
    assert!(param(&redirected(&resp), "code").is_some());
}

#[tokio::test]
async fn user_of_another_tenant_cannot_sign_in_at_a_tenant_endpoint() {
    let (f, http) = setup().await;
    f.emu.add_tenant("other");
    f.emu.add_user("other", "Eve", "eve@other.test").unwrap();
    let resp = http
        .get(authorize_url(
            &f,
            TENANT,
            &[("login_hint", "eve@other.test")],
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 400);
    assert!(resp.headers().get("location").is_none());
}

#[tokio::test]
async fn code_is_bound_to_redirect_uri_client_and_verifier_and_burnt_by_any_attempt() {
    let (f, http) = setup().await;
    f.emu.sign_in(&f.user.id).unwrap();
    f.emu.add_app(TENANT, "app-2", "other-secret").unwrap();

    let cases: [(&[(&str, &str)], &str); 3] = [
        (
            &[("redirect_uri", "http://127.0.0.1:9/other")],
            "AADSTS500117",
        ),
        (
            &[("client_id", "app-2"), ("client_secret", "other-secret")],
            "AADSTS70000",
        ),
        (
            &[(
                "code_verifier",
                "not-the-verifier-not-the-verifier-not-the-ver",
            )],
            "AADSTS501481",
        ),
    ];
    for (overrides, aadsts) in cases {
        let code = get_code(&f, &http).await;
        let resp = redeem(&f, &http, &code, overrides).await;
        assert_eq!(resp.status(), 400);
        let body: Value = resp.json().await.unwrap();
        assert_eq!(body["error"], "invalid_grant");
        let desc = body["error_description"].as_str().unwrap();
        assert!(desc.starts_with(aadsts), "{desc}");
        // The failed attempt burnt the code.
        let again: Value = redeem(&f, &http, &code, &[]).await.json().await.unwrap();
        assert!(
            again["error_description"]
                .as_str()
                .unwrap()
                .starts_with("AADSTS54005")
        );
    }
    let code = get_code(&f, &http).await;
    let wrong_secret = redeem(&f, &http, &code, &[("client_secret", "nope")]).await;
    assert_eq!(wrong_secret.status(), 401);
    // A failed client authentication does not burn the code.
    assert_eq!(redeem(&f, &http, &code, &[]).await.status(), 200);
}

#[tokio::test]
async fn admin_consent_is_granted_only_by_an_admin() {
    let (f, http) = setup().await;
    f.emu.sign_in(&f.user.id).unwrap();
    let url = format!(
        "{}/organizations/adminconsent?{}",
        f.emu.authority(),
        form(&[
            ("client_id", CLIENT_ID),
            ("redirect_uri", REDIRECT_URI),
            ("state", "s-9")
        ])
    );
    let pairs = redirected(&http.get(&url).send().await.unwrap());
    assert_eq!(param(&pairs, "error"), Some("access_denied"));
    assert_eq!(param(&pairs, "state"), Some("s-9"));
    assert!(!f.emu.has_admin_consent(TENANT, CLIENT_ID));

    f.emu.set_tenant_admin(&f.user.id, true).unwrap();
    let pairs = redirected(&http.get(&url).send().await.unwrap());
    assert_eq!(param(&pairs, "admin_consent"), Some("True"));
    assert_eq!(param(&pairs, "tenant"), Some(TENANT));
    assert_eq!(param(&pairs, "state"), Some("s-9"));
    assert!(f.emu.has_admin_consent(TENANT, CLIENT_ID));
}

#[tokio::test]
async fn client_credentials_still_work_next_to_the_code_grant() {
    let (f, http) = setup().await;
    let resp = common::request_token(&http, &f.emu, CLIENT_ID, SECRET).await;
    assert_eq!(resp.status(), 200);
    let body: Value = resp.json().await.unwrap();
    assert!(body.get("id_token").is_none());
    let bad = http
        .post(f.emu.token_url(TENANT))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form(&[("grant_type", "password")]))
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 400);
}
