//! Router tests on embedded adapters.
#![allow(clippy::unwrap_used)]

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use bridge_core::ManualClock;
use bridge_graph_subs::{GraphResource, SubscriptionRecord, client_state_sha256, put_record};
use bridge_platform::{Adapters, QueueName};
use bridge_queue::Delivery;
use serde_json::{Value, json};
use tower::ServiceExt;

const SECRET: &str = "the-secret";

struct Fx {
    adapters: Adapters,
    router: Router,
    _dir: tempfile::TempDir,
}

async fn fx() -> Fx {
    let dir = tempfile::tempdir().unwrap();
    let adapters = Adapters::embedded(dir.path(), Arc::new(ManualClock::new(0))).unwrap();
    let router = crate::router(&adapters).unwrap();
    Fx {
        adapters,
        router,
        _dir: dir,
    }
}

impl Fx {
    async fn subscribe(&self, id: &str, mailbox: &str, resource: GraphResource) {
        let rec = SubscriptionRecord {
            subscription_id: id.into(),
            tenant_id: uuid::Uuid::nil(),
            user_id: uuid::Uuid::max(),
            mailbox: mailbox.into(),
            resource,
            client_state_sha256: client_state_sha256(SECRET),
            expires_at_ms: 1,
        };
        put_record(self.adapters.table.as_ref(), &rec)
            .await
            .unwrap();
    }

    async fn post(&self, uri: &str, body: impl Into<Body>) -> (StatusCode, Option<String>, String) {
        let req = Request::post(uri)
            .header(header::CONTENT_TYPE, "application/json")
            .body(body.into())
            .unwrap();
        let resp = self.router.clone().oneshot(req).await.unwrap();
        let status = resp.status();
        let ctype = resp
            .headers()
            .get(header::CONTENT_TYPE)
            .map(|v| v.to_str().unwrap().to_owned());
        let bytes = axum::body::to_bytes(resp.into_body(), usize::MAX)
            .await
            .unwrap();
        (status, ctype, String::from_utf8(bytes.to_vec()).unwrap())
    }

    async fn queued(&self, q: QueueName) -> Vec<Delivery> {
        let queue = self.adapters.queue(q).unwrap();
        let mut all = Vec::new();
        loop {
            let got = queue.receive(10, Duration::ZERO).await.unwrap();
            if got.is_empty() {
                return all;
            }
            all.extend(got);
        }
    }
}

fn item(sub: &str, state: &str) -> Value {
    json!({
        "subscriptionId": sub,
        "clientState": state,
        "changeType": "updated",
        "tenantId": "graph-tenant",
        "resource": "Users/u/Contacts/c",
        "resourceData": {"id": "c", "@odata.etag": "W/\"1\""},
    })
}

fn lifecycle(sub: &str, event: &str) -> Value {
    json!({"subscriptionId": sub, "clientState": SECRET, "lifecycleEvent": event})
}

fn batch(items: Vec<Value>) -> String {
    json!({ "value": items }).to_string()
}

fn body_of(d: &Delivery) -> Value {
    serde_json::from_str(&d.body).unwrap()
}

#[tokio::test]
async fn handshake_echoes_the_decoded_token_as_text_plain_and_queues_nothing() {
    let f = fx().await;
    for path in ["/graph/notifications", "/graph/lifecycle"] {
        let (status, ctype, body) = f
            .post(
                &format!("{path}?tenant=t1&validationToken=Abc%2B1%20x%3Cy"),
                "",
            )
            .await;
        assert_eq!(status, StatusCode::OK);
        assert!(ctype.unwrap().starts_with("text/plain"));
        assert_eq!(body, "Abc+1 x<y");
    }
    assert!(f.queued(QueueName::Sync).await.is_empty());
    assert!(f.queued(QueueName::Subscriptions).await.is_empty());
}

#[tokio::test]
async fn a_burst_on_one_mailbox_queues_one_sync_per_mailbox_and_resource_with_dedupe_key() {
    let f = fx().await;
    f.subscribe("s-contacts", "mbx-1", GraphResource::Contacts)
        .await;
    f.subscribe("s-events", "mbx-1", GraphResource::Events)
        .await;
    let mut items: Vec<Value> = (0..5).map(|_| item("s-contacts", SECRET)).collect();
    items.push(item("s-events", SECRET));
    let (status, _, body) = f.post("/graph/notifications", batch(items)).await;
    assert_eq!(status, StatusCode::ACCEPTED);
    assert!(body.is_empty());
    let q = f.queued(QueueName::Sync).await;
    assert_eq!(q.len(), 2);
    assert_eq!(q[0].dedupe_key.as_deref(), Some("mbx-1/contacts"));
    assert_eq!(q[1].dedupe_key.as_deref(), Some("mbx-1/events"));
    assert_eq!(
        body_of(&q[0]),
        json!({"kind": "sync_mailbox", "tenant_id": uuid::Uuid::nil().to_string(),
            "user_id": uuid::Uuid::max().to_string(), "mailbox": "mbx-1",
            "resource": "contacts", "reason": "notification"})
    );
    assert_eq!(body_of(&q[1])["resource"], "events");
    assert!(f.queued(QueueName::Subscriptions).await.is_empty());
}

#[tokio::test]
async fn wrong_or_missing_client_state_is_refused_with_403_and_nothing_queued() {
    let f = fx().await;
    f.subscribe("s1", "mbx-1", GraphResource::Contacts).await;
    let no_state = json!({"subscriptionId": "s1", "changeType": "updated"});
    for items in [vec![item("s1", "guess")], vec![no_state]] {
        let (status, _, body) = f.post("/graph/notifications", batch(items)).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        assert!(!body.contains(SECRET));
    }
    assert!(f.queued(QueueName::Sync).await.is_empty());
}

#[tokio::test]
async fn unknown_subscription_is_refused_with_403_and_nothing_queued() {
    let f = fx().await;
    let (status, _, _) = f
        .post("/graph/notifications", batch(vec![item("nobody", SECRET)]))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _, _) = f.post("/graph/notifications", batch(vec![])).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(f.queued(QueueName::Sync).await.is_empty());
}

#[tokio::test]
async fn a_mixed_batch_is_accepted_and_only_valid_items_are_queued() {
    let f = fx().await;
    f.subscribe("s1", "mbx-1", GraphResource::Contacts).await;
    f.subscribe("s2", "mbx-2", GraphResource::Events).await;
    let items = vec![
        item("s2", "forged"),
        item("nobody", SECRET),
        item("s1", SECRET),
        item("s2", "forged"),
    ];
    let (status, _, _) = f.post("/graph/notifications", batch(items)).await;
    assert_eq!(status, StatusCode::ACCEPTED);
    let q = f.queued(QueueName::Sync).await;
    assert_eq!(q.len(), 1);
    assert_eq!(q[0].dedupe_key.as_deref(), Some("mbx-1/contacts"));
}

#[tokio::test]
async fn malformed_bodies_are_400_and_queue_nothing() {
    let f = fx().await;
    f.subscribe("s1", "mbx-1", GraphResource::Contacts).await;
    for body in ["not json", "{}", r#"{"value": "x"}"#, r#"{"value": [42]}"#] {
        for path in ["/graph/notifications", "/graph/lifecycle"] {
            let (status, ctype, _) = f.post(path, body).await;
            assert_eq!(status, StatusCode::BAD_REQUEST, "{path} {body}");
            assert!(ctype.unwrap().starts_with("application/json"));
        }
    }
    assert!(f.queued(QueueName::Sync).await.is_empty());
    assert!(f.queued(QueueName::Subscriptions).await.is_empty());
}

#[tokio::test]
async fn a_body_over_one_mebibyte_is_413() {
    let f = fx().await;
    let big = format!(r#"{{"value":[],"pad":"{}"}}"#, "x".repeat(crate::MAX_BODY));
    let (status, _, _) = f.post("/graph/notifications", big).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
}

#[tokio::test]
async fn lifecycle_events_queue_renew_recreate_and_missed_sync_on_the_right_queues() {
    let f = fx().await;
    f.subscribe("s1", "mbx-1", GraphResource::Contacts).await;
    f.subscribe("s2", "mbx-2", GraphResource::Events).await;
    let items = vec![
        lifecycle("s1", "reauthorizationRequired"),
        lifecycle("s1", "reauthorizationRequired"),
        lifecycle("s2", "subscriptionRemoved"),
        lifecycle("s2", "missed"),
        lifecycle("s1", "somethingNew"),
        json!({"subscriptionId": "s1", "clientState": "forged", "lifecycleEvent": "missed"}),
    ];
    let (status, _, _) = f.post("/graph/lifecycle", batch(items)).await;
    assert_eq!(status, StatusCode::ACCEPTED);
    let subs: Vec<Value> = f
        .queued(QueueName::Subscriptions)
        .await
        .iter()
        .map(body_of)
        .collect();
    assert_eq!(
        subs,
        vec![
            json!({"kind": "renew_subscription", "subscription_id": "s1"}),
            json!({"kind": "recreate_subscription", "subscription_id": "s2", "full_resync": true}),
        ]
    );
    let sync = f.queued(QueueName::Sync).await;
    assert_eq!(sync.len(), 1);
    assert_eq!(sync[0].dedupe_key.as_deref(), Some("mbx-2/events"));
    assert_eq!(body_of(&sync[0])["reason"], "missed");
    assert_eq!(body_of(&sync[0])["mailbox"], "mbx-2");
}

#[tokio::test]
async fn lifecycle_with_no_authentic_item_is_403() {
    let f = fx().await;
    f.subscribe("s1", "mbx-1", GraphResource::Contacts).await;
    let forged = json!({"subscriptionId": "s1", "clientState": "x", "lifecycleEvent": "missed"});
    let (status, _, _) = f.post("/graph/lifecycle", batch(vec![forged])).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(f.queued(QueueName::Sync).await.is_empty());
    assert!(f.queued(QueueName::Subscriptions).await.is_empty());
}
