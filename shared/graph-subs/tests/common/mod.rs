//! Set-up shared by the tests: the Graph emulator with one tenant, app and two users; a stand-in
//! webhook that answers Graph's validation handshake; a proxy in front of the emulator that can
//! fail renewals; a manual clock standing at the real time (the emulator judges expiries by the
//! real clock); a memory table and an in-memory sync queue.
#![allow(clippy::unwrap_used, dead_code)]

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use bridge_core::tenant::{TenantId, UserId};
use bridge_core::{Clock, ManualClock, SystemClock};
use bridge_graph::{GraphClient, GraphConfig, SecretString};
use bridge_graph_subs::{GraphProvider, Links, SubscriptionManager};
use bridge_platform::messages::Message;
use bridge_queue::local::LocalQueues;
use bridge_queue::{Queue, QueueSettings};
use bridge_store::memory::MemoryTable;
use bridge_store::{Item, Key, Table};
use graph_emulator::{Emulator, EmulatorConfig, UserInfo};

pub const TENANT: &str = "graph-tenant";
pub const APP: &str = "app-1";
pub const SECRET: &str = "s3cret";

/// A background server, stopped on drop.
pub struct Server {
    pub url: String,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Server {
    fn drop(&mut self) {
        self.task.abort();
    }
}

pub async fn serve(app: axum::Router) -> Server {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let task = tokio::spawn(async move {
        axum::serve(listener, app).await.unwrap();
    });
    Server {
        url: format!("http://{addr}"),
        task,
    }
}

/// Echoes `?validationToken=` as text/plain; answers 202 to anything else.
async fn webhook(Query(q): Query<HashMap<String, String>>) -> Response {
    match q.get("validationToken") {
        Some(t) => (
            StatusCode::OK,
            [("content-type", "text/plain; charset=utf-8")],
            t.clone(),
        )
            .into_response(),
        None => StatusCode::ACCEPTED.into_response(),
    }
}

#[derive(Clone)]
struct ProxyState {
    upstream: String,
    http: reqwest::Client,
    fail_renewals: Arc<AtomicBool>,
}

/// Forwards to the emulator; while `fail_renewals` is set, `PATCH /subscriptions/{id}` answers
/// 500 instead.
async fn proxy(
    State(st): State<ProxyState>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if method == Method::PATCH
        && uri.path().starts_with("/v1.0/subscriptions/")
        && st.fail_renewals.load(Ordering::SeqCst)
    {
        return (
            StatusCode::INTERNAL_SERVER_ERROR,
            axum::Json(serde_json::json!({"error":{"code":"InternalServerError","message":"x"}})),
        )
            .into_response();
    }
    let path = uri.path_and_query().map(|p| p.as_str()).unwrap_or("/");
    let mut req = st
        .http
        .request(method, format!("{}{path}", st.upstream))
        .body(body);
    for (k, v) in &headers {
        if k != "host" && k != "content-length" {
            req = req.header(k, v);
        }
    }
    let r = req.send().await.unwrap();
    let status = StatusCode::from_u16(r.status().as_u16()).unwrap();
    let ctype = r
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("application/json")
        .to_owned();
    let bytes = r.bytes().await.unwrap();
    (status, [("content-type", ctype)], bytes).into_response()
}

pub struct Fixture {
    pub emu: Emulator,
    pub alice: UserInfo,
    pub bob: UserInfo,
    pub clock: ManualClock,
    pub table: Arc<MemoryTable>,
    pub queues: LocalQueues,
    pub sync: Arc<dyn Queue>,
    pub manager: Arc<SubscriptionManager>,
    pub links: Links,
    pub fail_renewals: Arc<AtomicBool>,
    pub tenant: TenantId,
    pub admin: UserId,
    _webhook: Server,
    _proxy: Server,
}

impl Fixture {
    pub async fn new() -> Self {
        Self::with_public_url(true).await
    }

    pub async fn with_public_url(public_url: bool) -> Self {
        let emu = Emulator::start(EmulatorConfig::default()).await.unwrap();
        emu.add_tenant(TENANT);
        emu.add_app(TENANT, APP, SECRET).unwrap();
        let alice = emu.add_user(TENANT, "Alice", "alice@contoso.test").unwrap();
        let bob = emu.add_user(TENANT, "Bob", "bob@contoso.test").unwrap();
        let webhook = serve(axum::Router::new().fallback(webhook)).await;
        let fail_renewals = Arc::new(AtomicBool::new(false));
        let proxy_server = serve(axum::Router::new().fallback(proxy).with_state(ProxyState {
            upstream: emu.authority(),
            http: reqwest::Client::new(),
            fail_renewals: Arc::clone(&fail_renewals),
        }))
        .await;
        let mut gc = GraphConfig::new(
            format!("{}/v1.0", proxy_server.url),
            emu.token_url(TENANT),
            APP,
            SecretString::from(SECRET),
        );
        gc.retry.default_backoff = Duration::from_millis(10);
        let client = GraphClient::new(gc).unwrap();
        let provider =
            GraphProvider::new(client, TENANT, public_url.then_some(webhook.url.as_str()));
        let clock = ManualClock::new(SystemClock.now_ms());
        let clock_dyn: Arc<dyn Clock> = Arc::new(clock.clone());
        let table = Arc::new(MemoryTable::new());
        let queues = LocalQueues::in_memory(Arc::clone(&clock_dyn)).unwrap();
        let sync: Arc<dyn Queue> = queues.queue("sync", QueueSettings::default());
        let manager = Arc::new(SubscriptionManager::new(
            table.clone(),
            Arc::clone(&clock_dyn),
            provider,
            Arc::clone(&sync),
        ));
        let links = Links::new(table.clone(), clock_dyn, Arc::clone(&manager));
        let tenant = TenantId(uuid::Uuid::new_v4());
        let admin = UserId(uuid::Uuid::new_v4());
        let f = Self {
            emu,
            alice,
            bob,
            clock,
            table,
            queues,
            sync,
            manager,
            links,
            fail_renewals,
            tenant,
            admin,
            _webhook: webhook,
            _proxy: proxy_server,
        };
        f.add_app_user(admin).await;
        f
    }

    /// Stores an app user record in the fixture's tenant.
    pub async fn add_app_user(&self, user: UserId) {
        let key = Key::new(
            bridge_core::tenant::tenant_pk(self.tenant),
            bridge_core::tenant::user_sk(user),
        );
        self.table
            .put(Item::new(key).with("name", "someone"), None)
            .await
            .unwrap();
    }

    /// A new app user of the fixture's tenant, linked to `m365`.
    pub async fn linked_user(&self, m365: &UserInfo) -> UserId {
        let user = UserId(uuid::Uuid::new_v4());
        self.add_app_user(user).await;
        self.links
            .link(self.tenant, user, &m365.id, self.admin)
            .await
            .unwrap();
        user
    }

    /// Every message waiting on the sync queue (received and acked).
    pub async fn drain_sync(&self) -> Vec<Message> {
        let mut out = Vec::new();
        loop {
            let got = self.sync.receive(10, Duration::ZERO).await.unwrap();
            if got.is_empty() {
                return out;
            }
            for d in got {
                out.push(Message::parse(&d.body).unwrap());
                self.sync.ack(&d.receipt).await.unwrap();
            }
        }
    }

    /// The emulator's subscriptions, as (id, resource, clientState, expirationDateTime).
    pub fn graph_subscriptions(&self) -> Vec<serde_json::Value> {
        self.emu.subscriptions()
    }
}
