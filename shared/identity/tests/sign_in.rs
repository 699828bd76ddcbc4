//! Sign-in with Microsoft against the Graph emulator as the identity provider, over HTTP.
#![allow(clippy::unwrap_used)]

use std::time::{SystemTime, UNIX_EPOCH};

use bridge_identity::{
    AllowedTenants, Callback, ExpectedClaims, IdentityError, JwksCache, MIN_REFETCH_INTERVAL_MS,
    OidcConfig, SignInOptions, SignInState, admin_consent_result, exchange_code,
    start_admin_consent, start_sign_in, start_sign_in_with,
};
use graph_emulator::{Emulator, EmulatorConfig, UserInfo};
use secrecy::SecretString;

const TENANT: &str = "11111111-1111-4111-8111-111111111111";
const OTHER_TENANT: &str = "22222222-2222-4222-8222-222222222222";
const CLIENT_ID: &str = "00000000-0000-4000-8000-00000000a001";
const SECRET: &str = "s3cret";
const REDIRECT_URI: &str = "http://127.0.0.1:9/auth/callback";
const CONSENT_REDIRECT_URI: &str = "http://127.0.0.1:9/install/callback";

struct Fixture {
    emu: Emulator,
    http: reqwest::Client,
    ada: UserInfo,
    eve: UserInfo,
}

fn now_ms() -> i64 {
    i64::try_from(
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_millis(),
    )
    .unwrap()
}

async fn fixture() -> Fixture {
    let emu = Emulator::start(EmulatorConfig::default()).await.unwrap();
    emu.add_tenant(TENANT);
    emu.add_tenant(OTHER_TENANT);
    emu.add_app(TENANT, CLIENT_ID, SECRET).unwrap();
    emu.add_redirect_uri(CLIENT_ID, REDIRECT_URI).unwrap();
    emu.add_redirect_uri(CLIENT_ID, CONSENT_REDIRECT_URI)
        .unwrap();
    let ada = emu
        .add_user(TENANT, "Ada Lovelace", "ada@contoso.test")
        .unwrap();
    let eve = emu
        .add_user(OTHER_TENANT, "Eve Example", "eve@fabrikam.test")
        .unwrap();
    let http = bridge_identity::http_client().unwrap();
    Fixture {
        emu,
        http,
        ada,
        eve,
    }
}

impl Fixture {
    fn config(&self, allowed_tenants: AllowedTenants) -> OidcConfig {
        OidcConfig {
            authority: self.emu.authority(),
            client_id: CLIENT_ID.into(),
            client_secret: SecretString::from(SECRET),
            redirect_uri: REDIRECT_URI.into(),
            allowed_tenants,
        }
    }

    fn cache(&self, config: &OidcConfig) -> JwksCache {
        JwksCache::for_config(self.http.clone(), config)
    }

    /// Follows the authorize URL once (no redirects) and expects a 302 to `redirect_uri`.
    async fn authorize(&self, url: &str, redirect_uri: &str) -> String {
        let resp = self.http.get(url).send().await.unwrap();
        assert_eq!(resp.status(), 302, "{}", resp.text().await.unwrap());
        let location = resp.headers()["location"].to_str().unwrap().to_owned();
        let query = location
            .strip_prefix(&format!("{redirect_uri}?"))
            .unwrap_or_else(|| panic!("redirect to {redirect_uri}: {location}"));
        query.to_owned()
    }

    /// Runs the browser part: returns the stored state and the callback.
    async fn sign_in(
        &self,
        config: &OidcConfig,
        options: &SignInOptions,
    ) -> (SignInState, Callback) {
        let start = start_sign_in_with(config, now_ms(), options).unwrap();
        let query = self.authorize(&start.authorize_url, REDIRECT_URI).await;
        let callback = Callback::from_query(&query).unwrap();
        start
            .state
            .verify_callback(&callback.state, now_ms())
            .unwrap();
        (start.state, callback)
    }

    fn expected(&self, config: &OidcConfig, nonce: &str) -> ExpectedClaims {
        ExpectedClaims {
            client_id: CLIENT_ID.into(),
            nonce: nonce.into(),
            issuer_template: config.issuer_template(),
            allowed_tenants: config.allowed_tenants.clone(),
        }
    }
}

#[tokio::test]
async fn sign_in_with_microsoft_yields_the_validated_identity() {
    let f = fixture().await;
    f.emu.sign_in(&f.ada.user_principal_name).unwrap();
    let config = f.config(AllowedTenants::Any);
    let (state, callback) = f.sign_in(&config, &SignInOptions::default()).await;
    assert_eq!(state.tenant, "organizations");
    let id_token = exchange_code(&f.http, &config, &callback.code, &state)
        .await
        .unwrap();
    assert!(!format!("{id_token:?}").contains(id_token.as_str()));
    let cache = f.cache(&config);
    let identity = cache
        .validate(
            id_token.as_str(),
            &ExpectedClaims::for_sign_in(&config, &state),
            now_ms(),
        )
        .await
        .unwrap();
    assert_eq!(identity.tid, TENANT);
    assert_eq!(identity.oid, f.ada.id);
    assert_eq!(identity.name, "Ada Lovelace");
    assert_eq!(identity.preferred_username, "ada@contoso.test");
    assert_eq!(identity.email.as_deref(), Some("ada@contoso.test"));
    assert!(!identity.sub.is_empty());
    assert!(
        !identity.is_tenant_admin,
        "a member's wids hold no admin role"
    );
    assert_eq!(cache.fetch_count(), 1);
}

#[tokio::test]
async fn login_hint_signs_in_that_user_and_the_only_allowed_tenant_is_the_endpoint() {
    let f = fixture().await;
    let config = f.config(AllowedTenants::List(vec![OTHER_TENANT.into()]));
    let options = SignInOptions {
        login_hint: Some("EVE@fabrikam.test".into()),
        prompt: None,
    };
    let (state, callback) = f.sign_in(&config, &options).await;
    assert_eq!(state.tenant, OTHER_TENANT);
    let id_token = exchange_code(&f.http, &config, &callback.code, &state)
        .await
        .unwrap();
    let identity = f
        .cache(&config)
        .validate(
            id_token.as_str(),
            &ExpectedClaims::for_sign_in(&config, &state),
            now_ms(),
        )
        .await
        .unwrap();
    assert_eq!(
        (identity.tid.as_str(), identity.oid.as_str()),
        (OTHER_TENANT, f.eve.id.as_str())
    );
}

#[tokio::test]
async fn id_token_with_another_nonce_is_rejected() {
    let f = fixture().await;
    let config = f.config(AllowedTenants::Any);
    let token = f
        .emu
        .issue_id_token(
            TENANT,
            &f.ada.id,
            CLIENT_ID,
            Some("nonce-of-another-sign-in"),
        )
        .unwrap();
    let cache = f.cache(&config);
    let err = cache
        .validate(&token, &f.expected(&config, "my-nonce"), now_ms())
        .await
        .unwrap_err();
    assert_eq!(err, IdentityError::NonceMismatch);
    let no_nonce = f
        .emu
        .issue_id_token(TENANT, &f.ada.id, CLIENT_ID, None)
        .unwrap();
    let err = cache
        .validate(&no_nonce, &f.expected(&config, "my-nonce"), now_ms())
        .await
        .unwrap_err();
    assert_eq!(err, IdentityError::NonceMismatch);
}

#[tokio::test]
async fn id_token_for_another_application_is_rejected() {
    let f = fixture().await;
    let config = f.config(AllowedTenants::Any);
    let token = f
        .emu
        .issue_id_token(TENANT, &f.ada.id, "another-app", Some("n"))
        .unwrap();
    let err = f
        .cache(&config)
        .validate(&token, &f.expected(&config, "n"), now_ms())
        .await
        .unwrap_err();
    assert_eq!(err, IdentityError::WrongAudience);
}

#[tokio::test]
async fn user_of_a_tenant_not_allowed_is_rejected() {
    let f = fixture().await;
    let config = f.config(AllowedTenants::List(vec![TENANT.into()]));
    let token = f
        .emu
        .issue_id_token(OTHER_TENANT, &f.eve.id, CLIENT_ID, Some("n"))
        .unwrap();
    let err = f
        .cache(&config)
        .validate(&token, &f.expected(&config, "n"), now_ms())
        .await
        .unwrap_err();
    assert_eq!(
        err,
        IdentityError::TenantNotAllowed {
            tid: OTHER_TENANT.into()
        }
    );
}

#[tokio::test]
async fn id_token_from_another_issuer_is_rejected() {
    let f = fixture().await;
    let config = f.config(AllowedTenants::Any);
    let token = f
        .emu
        .issue_id_token(TENANT, &f.ada.id, CLIENT_ID, Some("n"))
        .unwrap();
    let mut expected = f.expected(&config, "n");
    expected.issuer_template = "https://login.microsoftonline.com/{tenantid}/v2.0".into();
    let err = f
        .cache(&config)
        .validate(&token, &expected, now_ms())
        .await
        .unwrap_err();
    assert_eq!(
        err,
        IdentityError::WrongIssuer {
            issuer: f.emu.issuer(TENANT)
        }
    );
}

#[tokio::test]
async fn expired_id_token_is_rejected_against_the_given_clock() {
    let f = fixture().await;
    let config = f.config(AllowedTenants::Any);
    let cache = f.cache(&config);
    let expected = f.expected(&config, "n");
    f.emu.expire_next_id_token();
    let expired = f
        .emu
        .issue_id_token(TENANT, &f.ada.id, CLIENT_ID, Some("n"))
        .unwrap();
    let err = cache
        .validate(&expired, &expected, now_ms())
        .await
        .unwrap_err();
    assert!(matches!(err, IdentityError::Expired { .. }), "{err:?}");

    // The clock is the caller's: a fresh token (1 h) is expired an hour and a minute later,
    // and not valid yet two minutes before it was issued.
    let fresh = f
        .emu
        .issue_id_token(TENANT, &f.ada.id, CLIENT_ID, Some("n"))
        .unwrap();
    let now = now_ms();
    assert!(cache.validate(&fresh, &expected, now).await.is_ok());
    let later = now + 3_600_000 + bridge_identity::CLOCK_SKEW_LEEWAY_MS + 1_000;
    assert!(matches!(
        cache.validate(&fresh, &expected, later).await,
        Err(IdentityError::Expired { .. })
    ));
    assert!(matches!(
        cache.validate(&fresh, &expected, now - 120_000).await,
        Err(IdentityError::NotYetValid { .. })
    ));
}

#[tokio::test]
async fn token_signed_with_an_unpublished_key_is_unknown_after_one_refetch() {
    let f = fixture().await;
    let config = f.config(AllowedTenants::Any);
    let cache = f.cache(&config);
    let expected = f.expected(&config, "n");
    let good = f
        .emu
        .issue_id_token(TENANT, &f.ada.id, CLIENT_ID, Some("n"))
        .unwrap();
    let now = now_ms();
    cache.validate(&good, &expected, now).await.unwrap();
    assert_eq!(cache.fetch_count(), 1);

    f.emu.sign_next_id_token_with_unpublished_key();
    let forged = f
        .emu
        .issue_id_token(TENANT, &f.ada.id, CLIENT_ID, Some("n"))
        .unwrap();
    let err = cache.validate(&forged, &expected, now).await.unwrap_err();
    assert!(matches!(err, IdentityError::UnknownKey { .. }), "{err:?}");
    assert_eq!(cache.fetch_count(), 2, "one refetch for the unknown kid");
    assert_eq!(f.emu.jwks_request_count(), 2);

    // More unknown kids within the interval cause no fetch: a forger cannot make us hammer Entra.
    for _ in 0..3 {
        let err = cache
            .validate(&forged, &expected, now + 1_000)
            .await
            .unwrap_err();
        assert!(matches!(err, IdentityError::UnknownKey { .. }));
    }
    assert_eq!(cache.fetch_count(), 2);
    // After the interval, one more attempt; still unknown, still rejected.
    let err = cache
        .validate(&forged, &expected, now + MIN_REFETCH_INTERVAL_MS)
        .await
        .unwrap_err();
    assert!(matches!(err, IdentityError::UnknownKey { .. }));
    assert_eq!(cache.fetch_count(), 3);
    // The known key still works without fetching.
    cache
        .validate(&good, &expected, now + MIN_REFETCH_INTERVAL_MS)
        .await
        .unwrap();
    assert_eq!(cache.fetch_count(), 3);
}

#[tokio::test]
async fn key_rotation_triggers_exactly_one_refetch_and_succeeds() {
    let f = fixture().await;
    let config = f.config(AllowedTenants::Any);
    let cache = f.cache(&config);
    let expected = f.expected(&config, "n");
    let now = now_ms();
    let old = f
        .emu
        .issue_id_token(TENANT, &f.ada.id, CLIENT_ID, Some("n"))
        .unwrap();
    cache.validate(&old, &expected, now).await.unwrap();
    assert_eq!(cache.fetch_count(), 1);

    let old_kid = f.emu.signing_key_id();
    let new_kid = f.emu.rotate_signing_key();
    assert_ne!(new_kid, old_kid);
    assert_eq!(f.emu.published_key_ids(), vec![old_kid, new_kid]);
    let new = f
        .emu
        .issue_id_token(TENANT, &f.ada.id, CLIENT_ID, Some("n"))
        .unwrap();
    cache.validate(&new, &expected, now + 1).await.unwrap();
    assert_eq!(
        cache.fetch_count(),
        2,
        "exactly one refetch for the new kid"
    );
    cache.validate(&new, &expected, now + 2).await.unwrap();
    cache.validate(&old, &expected, now + 3).await.unwrap();
    assert_eq!(cache.fetch_count(), 2, "both keys are known now");
}

#[tokio::test]
async fn concurrent_validations_after_a_rotation_fetch_once() {
    let f = fixture().await;
    let config = f.config(AllowedTenants::Any);
    let cache = std::sync::Arc::new(f.cache(&config));
    let expected = f.expected(&config, "n");
    let now = now_ms();
    cache.keys(now).await.unwrap();
    f.emu.rotate_signing_key();
    let token = f
        .emu
        .issue_id_token(TENANT, &f.ada.id, CLIENT_ID, Some("n"))
        .unwrap();
    let tasks: Vec<_> = (0..8)
        .map(|_| {
            let (cache, expected, token) = (cache.clone(), expected.clone(), token.clone());
            tokio::spawn(async move { cache.validate(&token, &expected, now).await })
        })
        .collect();
    for t in tasks {
        t.await.unwrap().unwrap();
    }
    assert_eq!(cache.fetch_count(), 2);
}

#[tokio::test]
async fn authorization_code_is_single_use() {
    let f = fixture().await;
    f.emu.sign_in(&f.ada.id).unwrap();
    let config = f.config(AllowedTenants::Any);
    let (state, callback) = f.sign_in(&config, &SignInOptions::default()).await;
    exchange_code(&f.http, &config, &callback.code, &state)
        .await
        .unwrap();
    let err = exchange_code(&f.http, &config, &callback.code, &state)
        .await
        .unwrap_err();
    match err {
        IdentityError::TokenEndpoint {
            status,
            error,
            description,
        } => {
            assert_eq!((status, error.as_str()), (400, "invalid_grant"));
            assert!(description.starts_with("AADSTS54005"), "{description}");
        }
        other => panic!("expected a refusal, got {other:?}"),
    }
}

#[tokio::test]
async fn pkce_verifier_mismatch_is_rejected() {
    let f = fixture().await;
    f.emu.sign_in(&f.ada.id).unwrap();
    let config = f.config(AllowedTenants::Any);
    let (mut state, callback) = f.sign_in(&config, &SignInOptions::default()).await;
    // A code intercepted on the way back is useless without this browser's verifier.
    state.pkce_verifier = start_sign_in(&config, now_ms())
        .unwrap()
        .state
        .pkce_verifier;
    let err = exchange_code(&f.http, &config, &callback.code, &state)
        .await
        .unwrap_err();
    match err {
        IdentityError::TokenEndpoint {
            error, description, ..
        } => {
            assert_eq!(error, "invalid_grant");
            assert!(description.starts_with("AADSTS501481"), "{description}");
        }
        other => panic!("expected a refusal, got {other:?}"),
    }
}

#[tokio::test]
async fn wrong_client_secret_is_rejected_by_the_token_endpoint() {
    let f = fixture().await;
    f.emu.sign_in(&f.ada.id).unwrap();
    let config = f.config(AllowedTenants::Any);
    let (state, callback) = f.sign_in(&config, &SignInOptions::default()).await;
    let mut wrong = config.clone();
    wrong.client_secret = SecretString::from("guess");
    let err = exchange_code(&f.http, &wrong, &callback.code, &state)
        .await
        .unwrap_err();
    assert!(
        matches!(&err, IdentityError::TokenEndpoint { status: 401, error, .. } if error == "invalid_client"),
        "{err:?}"
    );
    assert!(!err.to_string().contains("guess"));
}

#[tokio::test]
async fn global_administrator_is_flagged_from_wids() {
    let f = fixture().await;
    f.emu.set_tenant_admin(&f.ada.id, true).unwrap();
    f.emu.sign_in(&f.ada.id).unwrap();
    let config = f.config(AllowedTenants::Any);
    let (state, callback) = f.sign_in(&config, &SignInOptions::default()).await;
    let id_token = exchange_code(&f.http, &config, &callback.code, &state)
        .await
        .unwrap();
    let identity = f
        .cache(&config)
        .validate(
            id_token.as_str(),
            &ExpectedClaims::for_sign_in(&config, &state),
            now_ms(),
        )
        .await
        .unwrap();
    assert!(identity.is_tenant_admin);
}

#[tokio::test]
async fn admin_consent_by_a_non_admin_is_access_denied() {
    let f = fixture().await;
    let config = f.config(AllowedTenants::Any);
    f.emu.sign_in(&f.eve.id).unwrap();
    let start = start_admin_consent(&config, CONSENT_REDIRECT_URI).unwrap();
    let query = f.authorize(&start.url, CONSENT_REDIRECT_URI).await;
    match admin_consent_result(&query, &start.state) {
        Err(IdentityError::Denied { error, .. }) => assert_eq!(error, "access_denied"),
        other => panic!("expected access_denied, got {other:?}"),
    }
    assert!(!f.emu.has_admin_consent(OTHER_TENANT, CLIENT_ID));

    f.emu.set_tenant_admin(&f.eve.id, true).unwrap();
    let start = start_admin_consent(&config, CONSENT_REDIRECT_URI).unwrap();
    let query = f.authorize(&start.url, CONSENT_REDIRECT_URI).await;
    assert_eq!(
        admin_consent_result(&query, &start.state).unwrap(),
        OTHER_TENANT
    );
    assert!(f.emu.has_admin_consent(OTHER_TENANT, CLIENT_ID));
}

#[tokio::test]
async fn silent_sign_in_without_a_session_comes_back_as_login_required() {
    let f = fixture().await;
    let config = f.config(AllowedTenants::Any);
    let options = SignInOptions {
        login_hint: None,
        prompt: Some(bridge_identity::Prompt::None),
    };
    let start = start_sign_in_with(&config, now_ms(), &options).unwrap();
    let query = f.authorize(&start.authorize_url, REDIRECT_URI).await;
    match Callback::from_query(&query) {
        Err(IdentityError::Denied { error, .. }) => assert_eq!(error, "login_required"),
        other => panic!("expected login_required, got {other:?}"),
    }
}

#[tokio::test]
async fn unreachable_jwks_fails_closed() {
    let f = fixture().await;
    let config = f.config(AllowedTenants::Any);
    let token = f
        .emu
        .issue_id_token(TENANT, &f.ada.id, CLIENT_ID, Some("n"))
        .unwrap();
    let cache = JwksCache::new(
        f.http.clone(),
        format!("{}/no-such-tenant/discovery/v2.0/keys", f.emu.authority()),
    );
    let now = now_ms();
    let err = cache
        .validate(&token, &f.expected(&config, "n"), now)
        .await
        .unwrap_err();
    assert!(matches!(err, IdentityError::Fetch(_)), "{err:?}");
    assert!(err.is_server_error());
    // Retried only after a pause.
    assert!(
        cache
            .validate(&token, &f.expected(&config, "n"), now + 1)
            .await
            .is_err()
    );
    assert_eq!(cache.fetch_count(), 1);
}

#[tokio::test]
async fn tampered_id_token_fails_the_signature_check() {
    let f = fixture().await;
    let config = f.config(AllowedTenants::Any);
    let token = f
        .emu
        .issue_id_token(TENANT, &f.ada.id, CLIENT_ID, Some("n"))
        .unwrap();
    use base64::Engine as _;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let parts: Vec<&str> = token.split('.').collect();
    let claims = String::from_utf8(URL_SAFE_NO_PAD.decode(parts[1]).unwrap()).unwrap();
    let forged_claims = claims.replace(&f.ada.id, &f.eve.id);
    assert_ne!(claims, forged_claims);
    let forged = format!(
        "{}.{}.{}",
        parts[0],
        URL_SAFE_NO_PAD.encode(forged_claims),
        parts[2]
    );
    let err = f
        .cache(&config)
        .validate(&forged, &f.expected(&config, "n"), now_ms())
        .await
        .unwrap_err();
    assert_eq!(err, IdentityError::BadSignature);
}
