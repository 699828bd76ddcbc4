//! App-only token: fetched once under concurrency, refreshed once after a 401.
#![allow(clippy::unwrap_used)]

mod common;

use bridge_graph::{GraphClient, GraphConfig, GraphError, SecretString};
use common::{CLIENT_ID, TENANT, setup};
use graph_emulator::EmulatorConfig;

#[tokio::test]
async fn concurrent_first_calls_fetch_the_token_exactly_once() {
    let s = setup(EmulatorConfig::default()).await;
    let mut set = tokio::task::JoinSet::new();
    for _ in 0..50 {
        let c = s.client.clone();
        let id = s.user.id.clone();
        set.spawn(async move { c.get_user(&id).await });
    }
    while let Some(r) = set.join_next().await {
        assert_eq!(r.unwrap().unwrap().id, s.user.id);
    }
    assert_eq!(s.token_requests(), 1);
    // later calls reuse the cached token
    s.client.list_users().await.unwrap();
    assert_eq!(s.token_requests(), 1);
}

#[tokio::test]
async fn a_revoked_token_is_refreshed_once_and_the_calls_succeed() {
    let s = setup(EmulatorConfig::default()).await;
    s.client.get_user(&s.user.id).await.unwrap();
    assert_eq!(s.token_requests(), 1);
    s.emu.revoke_tokens();
    let mut set = tokio::task::JoinSet::new();
    for _ in 0..20 {
        let c = s.client.clone();
        let id = s.user.id.clone();
        set.spawn(async move { c.list_contacts(&id, None).await });
    }
    while let Some(r) = set.join_next().await {
        r.unwrap().unwrap();
    }
    assert_eq!(s.token_requests(), 2, "all 401s share one refresh");
}

#[tokio::test]
async fn a_wrong_secret_is_an_auth_error_that_does_not_show_the_secret() {
    let s = setup(EmulatorConfig::default()).await;
    let config = GraphConfig::new(
        s.emu.base_url(),
        s.emu.token_url(TENANT),
        CLIENT_ID,
        SecretString::from("definitely-wrong"),
    );
    let client = GraphClient::new(config).unwrap();
    let err = client.get_user(&s.user.id).await.unwrap_err();
    match &err {
        GraphError::Auth(m) => assert!(m.contains("invalid_client"), "{m}"),
        other => panic!("expected Auth, got {other:?}"),
    }
    assert!(!err.to_string().contains("definitely-wrong"));
    assert!(!format!("{client:?}").contains("definitely-wrong"));
}
