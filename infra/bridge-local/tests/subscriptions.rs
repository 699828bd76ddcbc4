//! Account linking, sync switches and Graph subscriptions end to end: `bridge-local` (every
//! router and consumer in one process) against the Graph emulator, which performs the real
//! validation handshake against bridge-local's webhook and delivers notifications to it.

#![allow(clippy::unwrap_used)] // test helpers outside #[test] fns

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bridge_core::tenant::User;
use bridge_core::{Clock, ManualClock, SystemClock};
use bridge_graph_subs::{client_state_sha256, get_record, record_key};
use bridge_http::auth::issue_api_token;
use bridge_local::Running;
use bridge_platform::Adapters;
use bridge_platform::config::GraphCredentials;
use bridge_platform::messages::{Message, SyncReason, SyncResource};
use graph_emulator::{DeliveryKind, Emulator, EmulatorConfig, UserInfo};
use secrecy::ExposeSecret;
use serde_json::{Value, json};

const GRAPH_TENANT: &str = "graph-tenant";
const APP: &str = "app-1";
const APP_SECRET: &str = "s3cret";
const HOUR: i64 = 60 * 60 * 1000;

struct Setup {
    dir: tempfile::TempDir,
    emu: Emulator,
    ada: UserInfo,
    running: Running,
    clock: ManualClock,
    base: String,
    http: reqwest::Client,
}

/// A free loopback port: bridge-local's public URL (where Graph posts) must be known before it
/// starts, so the port is picked first.
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// bridge-local on embedded storage with Graph pointed at the emulator and a manual clock
/// standing at `clock_ms`.
async fn setup_at(clock_ms: i64) -> Setup {
    let dir = tempfile::tempdir().unwrap();
    let emu = Emulator::start(EmulatorConfig::default()).await.unwrap();
    emu.add_tenant(GRAPH_TENANT);
    emu.add_app(GRAPH_TENANT, APP, APP_SECRET).unwrap();
    let ada = emu
        .add_user(GRAPH_TENANT, "Ada", "ada@contoso.test")
        .unwrap();

    let clock = ManualClock::new(clock_ms);
    let mut adapters = Adapters::embedded(dir.path(), Arc::new(clock.clone())).unwrap();
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let mut config = (*adapters.config).clone();
    config.public_url = Some(base.clone());
    config.graph = Some(GraphCredentials {
        tenant_id: GRAPH_TENANT.into(),
        client_id: APP.into(),
        client_secret: APP_SECRET.into(),
    });
    config.graph_base_url = Some(emu.base_url());
    config.graph_token_url = Some(emu.token_url(GRAPH_TENANT));
    adapters.config = Arc::new(config);
    let running = bridge_local::start_with(adapters, format!("127.0.0.1:{port}").parse().unwrap())
        .await
        .unwrap();
    Setup {
        dir,
        emu,
        ada,
        running,
        clock,
        base,
        http: reqwest::Client::new(),
    }
}

async fn setup() -> Setup {
    setup_at(SystemClock.now_ms()).await
}

impl Setup {
    fn user(&self) -> &User {
        &self.running.demo.user
    }

    /// An API token of the demo user (who has "manage users"), valid at the clock's time.
    fn token(&self) -> String {
        let a = &self.running.adapters;
        let u = self.user();
        issue_api_token(
            a.signing_key.expose_secret(),
            u.tenant,
            u.id,
            a.clock.now_ms(),
            HOUR,
        )
        .unwrap()
    }

    async fn call(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> (u16, Value) {
        let mut req = self
            .http
            .request(method, format!("{}{path}", self.base))
            .bearer_auth(self.token());
        if let Some(b) = body {
            req = req.json(&b);
        }
        let resp = req.send().await.unwrap();
        let status = resp.status().as_u16();
        let text = resp.text().await.unwrap();
        let v = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap()
        };
        (status, v)
    }

    fn link_path(&self) -> String {
        format!("/api/users/{}/microsoft-link", self.user().id)
    }

    fn sync_path(&self) -> String {
        format!("/api/users/{}/sync", self.user().id)
    }

    async fn link_ada(&self) {
        let (status, v) = self
            .call(
                reqwest::Method::PUT,
                &self.link_path(),
                Some(json!({ "graph_user_id": self.ada.id })),
            )
            .await;
        assert_eq!(status, 201, "{v}");
    }

    async fn set_sync(&self, contacts: bool, calendar: bool) {
        let body = json!({ "contacts": contacts, "calendar": calendar });
        let (status, v) = self
            .call(reqwest::Method::PUT, &self.sync_path(), Some(body.clone()))
            .await;
        assert_eq!((status, v), (200, body));
    }

    /// The emulator's subscriptions.
    fn graph_subs(&self) -> Vec<Value> {
        self.emu.subscriptions()
    }

    /// Every SyncMailbox message on the sync queue: waiting, in flight or dead-lettered (the
    /// in-process sync-batch consumer does not handle them yet and never acks them).
    fn sync_messages(&self) -> Vec<(SyncResource, SyncReason, String)> {
        queued(self.dir.path(), &["sync", "sync-dlq"])
            .into_iter()
            .filter_map(|body| match Message::parse(&body).ok()? {
                Message::SyncMailbox {
                    resource,
                    reason,
                    mailbox,
                    ..
                } => Some((resource, reason, mailbox)),
                _ => None,
            })
            .collect()
    }

    async fn stop(self) {
        self.running.shutdown();
        self.running.wait().await.unwrap();
    }
}

/// The bodies of every message stored for `queues` in bridge-local's queue database.
fn queued(data_dir: &Path, queues: &[&str]) -> Vec<String> {
    let conn = rusqlite::Connection::open_with_flags(
        data_dir.join("queues.db"),
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
    )
    .unwrap();
    let mut stmt = conn
        .prepare("SELECT queue, body FROM queue_messages ORDER BY seq")
        .unwrap();
    stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))
        .unwrap()
        .map(Result::unwrap)
        .filter(|(q, _)| queues.contains(&q.as_str()))
        .map(|(_, b)| b)
        .collect()
}

/// Waits until `f` holds (or fails after 10 s).
async fn eventually(what: &str, mut f: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while !f() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn enabling_contacts_sync_subscribes_through_the_webhook_and_contact_changes_reach_the_sync_queue()
 {
    let s = setup().await;
    s.link_ada().await;
    s.set_sync(true, false).await;

    // One subscription, to Ada's contacts, validated by the emulator against bridge-local.
    let subs = s.graph_subs();
    assert_eq!(subs.len(), 1, "{subs:?}");
    let sub = &subs[0];
    assert_eq!(sub["resource"], format!("/users/{}/contacts", s.ada.id));
    assert_eq!(
        sub["notificationUrl"],
        format!("{}/graph/notifications", s.base)
    );
    assert_eq!(
        sub["lifecycleNotificationUrl"],
        format!("{}/graph/lifecycle", s.base)
    );
    let handshakes: Vec<_> = s
        .emu
        .deliveries()
        .into_iter()
        .filter(|d| d.kind == DeliveryKind::Validation)
        .collect();
    assert_eq!(handshakes.len(), 2);
    for h in &handshakes {
        assert!(h.url.starts_with(&s.base), "{}", h.url);
        assert_eq!(h.status, Some(200), "{:?}", h.error);
    }

    // Only the hash of the clientState secret is stored.
    let id = sub["id"].as_str().unwrap();
    let secret = sub["clientState"].as_str().unwrap();
    let table = s.running.adapters.table.as_ref();
    let rec = get_record(table, id).await.unwrap().unwrap();
    assert_eq!(rec.client_state_sha256, client_state_sha256(secret));
    assert_eq!(rec.mailbox, s.ada.id);
    assert_eq!(rec.user_id, s.user().id.0);
    let stored = table.get(&record_key(id)).await.unwrap().unwrap();
    assert!(
        !serde_json::to_string(&stored.attrs)
            .unwrap()
            .contains(secret)
    );

    // Switching sync on asked for the initial (full) sync.
    assert_eq!(
        s.sync_messages(),
        vec![(
            SyncResource::Contacts,
            SyncReason::FullResync,
            s.ada.id.clone()
        )]
    );

    // Ada adds a contact in Outlook: the notification is accepted and queued for sync-batch.
    s.emu
        .create_contact(&s.ada.id, None, json!({"displayName": "Grace"}))
        .unwrap();
    let delivered = s
        .emu
        .wait_for_deliveries(DeliveryKind::Change, 1, Duration::from_secs(10))
        .await;
    assert_eq!(delivered.len(), 1);
    assert_eq!(delivered[0].status, Some(202), "{:?}", delivered[0].error);
    assert!(
        s.sync_messages().contains(&(
            SyncResource::Contacts,
            SyncReason::Notification,
            s.ada.id.clone()
        )),
        "{:?}",
        s.sync_messages()
    );
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_renewal_sweep_moves_the_expiry_at_graph_before_the_subscription_lapses() {
    // The subscription is created while the clock stands 47 hours behind the real time, so it
    // expires within a day of it (the emulator judges expiries by its own, real, clock).
    let real = SystemClock.now_ms();
    let s = setup_at(real - 47 * HOUR).await;
    s.link_ada().await;
    s.set_sync(false, true).await;
    let before = s.graph_subs()[0].clone();
    let id = before["id"].as_str().unwrap().to_owned();
    let table = s.running.adapters.table.as_ref();
    let old = get_record(table, &id).await.unwrap().unwrap();
    assert!(old.expires_at_ms - real < 24 * HOUR);

    // Six hours' schedule later, at the real time: the subscription is due.
    s.clock.set_ms(real);
    let manager = subscriptions::manager(&s.running.adapters).unwrap();
    let report = subscriptions::renew_due(&manager).await.unwrap();
    assert_eq!((report.due, report.renewed, report.failed), (1, 1, 0));

    let after = s.graph_subs();
    assert_eq!(after.len(), 1);
    assert_eq!(
        after[0]["id"],
        id.as_str(),
        "renewed in place, not re-created"
    );
    assert!(
        after[0]["expirationDateTime"].as_str().unwrap()
            > before["expirationDateTime"].as_str().unwrap(),
        "{after:?} vs {before:?}"
    );
    let renewed = get_record(table, &id).await.unwrap().unwrap();
    assert!(renewed.expires_at_ms > old.expires_at_ms + 40 * HOUR);
    assert_eq!(subscriptions::renew_due(&manager).await.unwrap().due, 0);
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_subscription_graph_removed_is_recreated_by_the_consumer_with_a_full_resync() {
    let s = setup().await;
    s.link_ada().await;
    s.set_sync(false, true).await;
    let old_id = s.graph_subs()[0]["id"].as_str().unwrap().to_owned();

    // Graph removes it and tells bridge-local's lifecycle URL; graph-webhook queues the
    // re-creation, the in-process subscriptions consumer performs it.
    s.emu
        .send_lifecycle(&old_id, "subscriptionRemoved")
        .unwrap();
    eventually("a new subscription at Graph", || {
        s.graph_subs().iter().any(|v| v["id"] != old_id.as_str())
    })
    .await;
    let subs = s.graph_subs();
    assert_eq!(subs.len(), 1, "{subs:?}");
    let new_id = subs[0]["id"].as_str().unwrap().to_owned();
    assert_eq!(subs[0]["resource"], format!("/users/{}/events", s.ada.id));

    let table = s.running.adapters.table.as_ref();
    let mut new_rec = None;
    for _ in 0..500 {
        new_rec = get_record(table, &new_id).await.unwrap();
        if new_rec.is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let new_rec = new_rec.expect("the new subscription's record");
    assert_eq!(
        get_record(table, &old_id).await.unwrap(),
        None,
        "old record gone"
    );
    assert_eq!(
        new_rec.client_state_sha256,
        client_state_sha256(subs[0]["clientState"].as_str().unwrap())
    );
    let resyncs = s
        .sync_messages()
        .into_iter()
        .filter(|m| {
            *m == (
                SyncResource::Events,
                SyncReason::FullResync,
                s.ada.id.clone(),
            )
        })
        .count();
    assert_eq!(resyncs, 2, "the initial sync and the one after re-creation");
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn disabling_sync_and_unlinking_delete_the_subscriptions_at_graph() {
    let s = setup().await;
    s.link_ada().await;
    s.set_sync(true, true).await;
    assert_eq!(s.graph_subs().len(), 2);

    s.set_sync(false, true).await;
    let subs = s.graph_subs();
    assert_eq!(subs.len(), 1);
    assert_eq!(subs[0]["resource"], format!("/users/{}/events", s.ada.id));
    let events_id = subs[0]["id"].as_str().unwrap().to_owned();

    let (status, _) = s.call(reqwest::Method::DELETE, &s.link_path(), None).await;
    assert_eq!(status, 204);
    assert!(s.graph_subs().is_empty());
    let table = s.running.adapters.table.as_ref();
    assert_eq!(get_record(table, &events_id).await.unwrap(), None);
    let (status, _) = s.call(reqwest::Method::GET, &s.sync_path(), None).await;
    assert_eq!(status, 404);
    s.stop().await;
}
