//! Token endpoint, bearer checks, users.
#![allow(clippy::unwrap_used)]

mod common;

use common::{CLIENT_ID, TENANT, fixture, request_token};
use graph_emulator::EmulatorConfig;
use serde_json::Value;

#[tokio::test]
async fn token_endpoint_checks_credentials() {
    let f = fixture(EmulatorConfig::default()).await;
    let bad = request_token(&f.http, &f.emu, CLIENT_ID, "wrong").await;
    assert_eq!(bad.status(), 401);
    let body: Value = bad.json().await.unwrap();
    assert_eq!(body["error"], "invalid_client");
    let unknown = request_token(&f.http, &f.emu, "other-app", "x").await;
    assert_eq!(unknown.status(), 400);

    let ok = request_token(&f.http, &f.emu, CLIENT_ID, common::SECRET).await;
    let body: Value = ok.json().await.unwrap();
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], 3600);
    assert!(body["access_token"].as_str().unwrap().len() > 10);
}

#[tokio::test]
async fn graph_calls_require_an_issued_bearer_token() {
    let f = fixture(EmulatorConfig::default()).await;
    let none = f.http.get(f.url("/users")).send().await.unwrap();
    assert_eq!(none.status(), 401);
    let body: Value = none.json().await.unwrap();
    assert_eq!(body["error"]["code"], "InvalidAuthenticationToken");
    assert!(body["error"]["message"].is_string());

    let forged = f
        .http
        .get(f.url(&format!("/users/{}/contacts", f.user.id)))
        .bearer_auth("forged")
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), 401);
    assert_eq!(f.get("/users").send().await.unwrap().status(), 200);

    f.emu.revoke_tokens();
    assert_eq!(f.get("/users").send().await.unwrap().status(), 401);
}

#[tokio::test]
async fn users_are_paged_and_addressable_by_id_or_upn() {
    let f = fixture(EmulatorConfig::default()).await;
    for i in 0..4 {
        f.emu
            .add_user(TENANT, &format!("User {i}"), &format!("u{i}@contoso.test"))
            .unwrap();
    }
    // a user of another tenant is invisible
    f.emu.add_tenant("other");
    let stranger = f.emu.add_user("other", "Eve", "eve@other.test").unwrap();

    let mut seen = Vec::new();
    let mut next = Some(f.url("/users?$top=2"));
    let mut pages = 0;
    while let Some(url) = next {
        let page: Value = f.get_abs(&url).send().await.unwrap().json().await.unwrap();
        pages += 1;
        let value = page["value"].as_array().unwrap();
        assert!(value.len() <= 2);
        for u in value {
            assert!(u["id"].is_string() && u["userPrincipalName"].is_string());
            assert!(u["displayName"].is_string() && u["mail"].is_string());
            seen.push(u["userPrincipalName"].as_str().unwrap().to_owned());
        }
        next = page["@odata.nextLink"].as_str().map(str::to_owned);
    }
    assert_eq!(pages, 3);
    assert_eq!(seen.len(), 5);
    assert_eq!(seen[0], "ada@contoso.test");

    let by_id: Value = f
        .get(&format!("/users/{}", f.user.id))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(by_id["displayName"], "Ada Lovelace");
    let by_upn: Value = f
        .get("/users/ADA@contoso.test")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(by_upn["id"], f.user.id.as_str());
    let other = f
        .get(&format!("/users/{}", stranger.id))
        .send()
        .await
        .unwrap();
    assert_eq!(other.status(), 404);
}

#[tokio::test]
async fn send_mail_lands_in_the_outbox() {
    let f = fixture(EmulatorConfig::default()).await;
    let msg = serde_json::json!({
        "message": {
            "subject": "Partner request",
            "body": {"contentType": "Text", "content": "hello"},
            "toRecipients": [{"emailAddress": {"address": "bob@partner.test"}}]
        }
    });
    let r = f
        .post(
            &format!("/users/{}/sendMail", f.user.user_principal_name),
            &msg,
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 202);
    let no_rcpt = serde_json::json!({"message": {"subject": "x"}});
    let r = f
        .post(&format!("/users/{}/sendMail", f.user.id), &no_rcpt)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let outbox = f.emu.outbox();
    assert_eq!(outbox.len(), 1);
    assert_eq!(outbox[0].user_id, f.user.id);
    assert_eq!(outbox[0].message["subject"], "Partner request");
    assert!(outbox[0].save_to_sent_items);
}
