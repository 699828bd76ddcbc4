//! The Graph emulator notifies `bridge-local`'s webhook end to end: real handshake, a contact
//! changed by the Outlook user, a 202 answer and a sync message on the Sync queue.

#![allow(clippy::unwrap_used)] // test helpers outside #[test] fns

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bridge_graph_subs::{GraphResource, SubscriptionRecord, client_state_sha256, put_record};
use bridge_platform::{Config, QueueName, Storage};
use graph_emulator::{DeliveryKind, Emulator, EmulatorConfig};
use serde_json::{Value, json};

const TENANT: &str = "graph-tenant";
const APP: &str = "app-1";
const CLIENT_STATE: &str = "e2e-client-state";

/// RFC 3339 (UTC) for now + `minutes`.
fn in_minutes(minutes: u64) -> String {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
        + minutes * 60;
    let (days, sod) = (secs / 86_400, secs % 86_400);
    // civil-from-days (Howard Hinnant)
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        sod / 3600,
        sod % 3600 / 60,
        sod % 60
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_emulated_contact_change_reaches_the_sync_queue_through_the_webhook() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = Config::from_lookup(|_| None).unwrap();
    config.storage = Storage::Embedded {
        data_dir: dir.path().to_path_buf(),
    };
    let running = bridge_local::start(&config, "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let base = format!("http://{}", running.addr);

    let emu = Emulator::start(EmulatorConfig::default()).await.unwrap();
    emu.add_tenant(TENANT);
    emu.add_app(TENANT, APP, "s3cret").unwrap();
    let user = emu.add_user(TENANT, "Ada", "ada@contoso.test").unwrap();
    let token = emu.issue_token(TENANT, APP).unwrap();

    // The emulator runs the validation handshake against both of bridge-local's URLs.
    let created = reqwest::Client::new()
        .post(format!("{}/subscriptions", emu.base_url()))
        .bearer_auth(&token)
        .json(&json!({
            "changeType": "created,updated,deleted",
            "notificationUrl": format!("{base}/graph/notifications"),
            "lifecycleNotificationUrl": format!("{base}/graph/lifecycle"),
            "resource": format!("/users/{}/contacts", user.id),
            "expirationDateTime": in_minutes(600),
            "clientState": CLIENT_STATE,
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 201, "handshake against bridge-local");
    let sub: Value = created.json().await.unwrap();
    let sub_id = sub["id"].as_str().unwrap();

    let demo = &running.demo;
    let record = SubscriptionRecord {
        subscription_id: sub_id.to_owned(),
        tenant_id: demo.tenant.id.0,
        user_id: demo.user.id.0,
        mailbox: user.id.clone(),
        resource: GraphResource::Contacts,
        client_state_sha256: client_state_sha256(CLIENT_STATE),
        expires_at_ms: 0,
    };
    put_record(running.adapters.table.as_ref(), &record)
        .await
        .unwrap();

    // The Outlook user adds a contact.
    emu.create_contact(&user.id, None, json!({"displayName": "Grace"}))
        .unwrap();
    let delivered = emu
        .wait_for_deliveries(DeliveryKind::Change, 1, Duration::from_secs(10))
        .await;
    assert_eq!(delivered.len(), 1);
    assert_eq!(delivered[0].status, Some(202), "{:?}", delivered[0].error);

    // The in-process sync consumer does not handle sync_mailbox yet and fails it permanently,
    // so the message stays on the queue (visible or in flight) rather than being acked.
    let q = running.adapters.queue(QueueName::Sync).unwrap();
    let stats = q.stats().await.unwrap();
    assert!(
        stats.visible + stats.in_flight >= 1,
        "a sync message is queued: {stats:?}"
    );

    running.shutdown();
    running.wait().await.unwrap();
}
