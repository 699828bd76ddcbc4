//! `$batch`, `sendMail` and subscriptions against the emulator.
#![allow(clippy::unwrap_used)]

mod common;

use std::time::{Duration, SystemTime};

use bridge_graph::{
    BatchRequest, GraphError, MailMessage, Method, NewSubscription, Recipient, SecretString,
};
use common::{setup, webhook};
use graph_emulator::EmulatorConfig;
use serde_json::json;

fn req(id: &str, method: Method, url: String, deps: &[&str]) -> BatchRequest {
    BatchRequest {
        id: id.into(),
        method,
        url,
        body: None,
        depends_on: deps.iter().map(|d| (*d).to_owned()).collect(),
    }
}

#[tokio::test]
async fn batch_runs_dependencies_and_reports_each_status() {
    let s = setup(EmulatorConfig::default()).await;
    let u = &s.user.id;
    let contacts = format!("/users/{u}/contacts");
    let mut create = req("1", Method::POST, contacts.clone(), &[]);
    create.body = Some(json!({ "displayName": "batched" }));
    let requests = vec![
        create,
        req("2", Method::GET, contacts.clone(), &["1"]),
        req("3", Method::GET, format!("{contacts}/does-not-exist"), &[]),
        req("4", Method::GET, contacts, &["3"]),
    ];
    let out = s.client.batch(u, requests).await.unwrap();
    let ids: Vec<&str> = out.iter().map(|r| r.id.as_str()).collect();
    assert_eq!(ids, ["1", "2", "3", "4"], "answers in request order");
    let status: Vec<u16> = out.iter().map(|r| r.status).collect();
    assert_eq!(status, [201, 200, 404, 424]);
    let created = out[0].body.as_ref().unwrap();
    assert_eq!(created["displayName"], "batched");
    let listed = out[1].body.as_ref().unwrap()["value"].as_array().unwrap();
    assert_eq!(listed.len(), 1, "request 2 ran after request 1");
    assert_eq!(
        out[2].body.as_ref().unwrap()["error"]["code"],
        "ErrorItemNotFound"
    );
    assert_eq!(s.emu.contacts(u, None).unwrap().len(), 1);
}

#[tokio::test]
async fn batch_retries_only_the_throttled_requests() {
    let s = setup(EmulatorConfig::default()).await;
    let u = &s.user.id;
    s.emu.inject_429s(u, 2, 1).unwrap();
    let requests: Vec<BatchRequest> = (0..3)
        .map(|i| {
            let mut r = req(
                &i.to_string(),
                Method::POST,
                format!("/users/{u}/contacts"),
                &[],
            );
            r.body = Some(json!({ "displayName": format!("b{i}") }));
            r
        })
        .collect();
    let start = std::time::Instant::now();
    let out = s.client.batch(u, requests).await.unwrap();
    assert!(out.iter().all(|r| r.status == 201), "{out:?}");
    assert!(
        start.elapsed() >= Duration::from_secs(1),
        "waited Retry-After"
    );
    assert_eq!(
        s.emu.contacts(u, None).unwrap().len(),
        3,
        "each created once"
    );
    assert_eq!(s.emu.throttled_count(u), 2);
}

#[tokio::test]
async fn a_batch_of_more_than_20_is_rejected_before_sending() {
    let s = setup(EmulatorConfig::default()).await;
    let u = &s.user.id;
    let requests: Vec<BatchRequest> = (0..21)
        .map(|i| {
            req(
                &i.to_string(),
                Method::GET,
                format!("/users/{u}/contacts"),
                &[],
            )
        })
        .collect();
    let err = s.client.batch(u, requests).await.unwrap_err();
    assert!(matches!(err, GraphError::InvalidRequest(_)), "{err:?}");
    assert_eq!(s.token_requests(), 0, "nothing was sent");
    assert_eq!(s.emu.request_count(u), 0);
}

#[tokio::test]
async fn send_mail_lands_in_the_outbox() {
    let s = setup(EmulatorConfig::default()).await;
    let message = MailMessage {
        subject: "Partner request".into(),
        html_body: "<p>Contoso would like to connect.</p>".into(),
        to: vec![Recipient {
            address: "rm@fabrikam.test".into(),
            name: Some("Relation Manager".into()),
        }],
    };
    s.client
        .send_mail("ada@contoso.test", &message, false)
        .await
        .unwrap();
    let outbox = s.emu.outbox();
    assert_eq!(outbox.len(), 1);
    assert_eq!(outbox[0].user_id, s.user.id);
    assert_eq!(outbox[0].message["subject"], "Partner request");
    assert_eq!(outbox[0].message["body"]["contentType"], "HTML");
    assert_eq!(
        outbox[0].message["toRecipients"][0]["emailAddress"]["address"],
        "rm@fabrikam.test"
    );
    assert!(!outbox[0].save_to_sent_items);
}

#[tokio::test]
async fn subscriptions_are_created_renewed_and_deleted() {
    let s = setup(EmulatorConfig::default()).await;
    let hook = webhook().await;
    let resource = format!("/users/{}/contacts", s.user.id);
    let sub = s
        .client
        .create_subscription(&NewSubscription {
            resource: resource.clone(),
            change_type: "created,updated,deleted".into(),
            notification_url: format!("{}/notify", hook.url),
            lifecycle_notification_url: Some(format!("{}/lifecycle", hook.url)),
            client_state: SecretString::from("state-secret"),
            expiration: SystemTime::now() + Duration::from_secs(3600),
        })
        .await
        .unwrap();
    assert_eq!(sub.resource, resource);
    let listed = s.emu.subscriptions();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0]["id"], sub.id.as_str());

    let renewed = s
        .client
        .renew_subscription(&sub.id, SystemTime::now() + Duration::from_secs(48 * 3600))
        .await
        .unwrap();
    assert_eq!(renewed.id, sub.id);
    assert!(renewed.expiration_date_time > sub.expiration_date_time);

    s.client.delete_subscription(&sub.id).await.unwrap();
    assert!(s.emu.subscriptions().is_empty());
    assert_eq!(
        s.client.delete_subscription(&sub.id).await.unwrap_err(),
        GraphError::NotFound
    );
    // beyond Outlook's maximum lifetime (4,230 minutes) Graph answers 400: not retried
    let err = s
        .client
        .create_subscription(&NewSubscription {
            resource,
            change_type: "created".into(),
            notification_url: format!("{}/notify", hook.url),
            lifecycle_notification_url: None,
            client_state: SecretString::from("state-secret"),
            expiration: SystemTime::now() + Duration::from_secs(10 * 24 * 3600),
        })
        .await
        .unwrap_err();
    assert!(matches!(err, GraphError::BadRequest { .. }), "{err:?}");
}
