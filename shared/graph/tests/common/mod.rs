//! Test set-up: an emulator with one tenant, app and user, a token endpoint wrapper that counts
//! token requests (the emulator does not count them), and a client pointed at both.
#![allow(clippy::unwrap_used, dead_code)]

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use bridge_graph::{GraphClient, GraphConfig, SecretString};
use graph_emulator::{Emulator, EmulatorConfig, UserInfo};

pub const TENANT: &str = "tenant-1";
pub const CLIENT_ID: &str = "app-1";
pub const SECRET: &str = "s3cret";

pub struct Setup {
    pub emu: Emulator,
    pub client: GraphClient,
    pub user: UserInfo,
    pub token_requests: Arc<AtomicUsize>,
    _proxy: Server,
}

impl Setup {
    pub fn token_requests(&self) -> usize {
        self.token_requests.load(Ordering::SeqCst)
    }
}

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

#[derive(Clone)]
struct ProxyState {
    upstream: String,
    count: Arc<AtomicUsize>,
    http: reqwest::Client,
}

/// Forwards `POST /{tenant}/oauth2/v2.0/token` to the emulator, counting calls.
async fn token_proxy(
    State(st): State<ProxyState>,
    Path(tenant): Path<String>,
    body: String,
) -> Response {
    st.count.fetch_add(1, Ordering::SeqCst);
    let r = st
        .http
        .post(format!("{}/{tenant}/oauth2/v2.0/token", st.upstream))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body)
        .send()
        .await
        .unwrap();
    let status = StatusCode::from_u16(r.status().as_u16()).unwrap();
    let text = r.text().await.unwrap();
    (status, [("content-type", "application/json")], text).into_response()
}

pub async fn setup(emu_config: EmulatorConfig) -> Setup {
    setup_with(emu_config, |_| {}).await
}

pub async fn setup_with(emu_config: EmulatorConfig, tweak: impl FnOnce(&mut GraphConfig)) -> Setup {
    let emu = Emulator::start(emu_config).await.unwrap();
    emu.add_tenant(TENANT);
    emu.add_app(TENANT, CLIENT_ID, SECRET).unwrap();
    let user = emu
        .add_user(TENANT, "Ada Lovelace", "ada@contoso.test")
        .unwrap();
    let count = Arc::new(AtomicUsize::new(0));
    let proxy = serve(
        axum::Router::new()
            .route(
                "/{tenant}/oauth2/v2.0/token",
                axum::routing::post(token_proxy),
            )
            .with_state(ProxyState {
                upstream: emu.authority(),
                count: Arc::clone(&count),
                http: reqwest::Client::new(),
            }),
    )
    .await;
    let mut config = GraphConfig::new(
        emu.base_url(),
        format!("{}/{TENANT}/oauth2/v2.0/token", proxy.url),
        CLIENT_ID,
        SecretString::from(SECRET),
    );
    tweak(&mut config);
    let client = GraphClient::new(config).unwrap();
    Setup {
        emu,
        client,
        user,
        token_requests: count,
        _proxy: proxy,
    }
}

/// A webhook endpoint that echoes validation tokens as text/plain and accepts notifications.
pub async fn webhook() -> Server {
    async fn receive(Query(q): Query<HashMap<String, String>>) -> Response {
        match q.get("validationToken") {
            Some(t) => {
                (StatusCode::OK, [("content-type", "text/plain")], t.clone()).into_response()
            }
            None => StatusCode::ACCEPTED.into_response(),
        }
    }
    serve(
        axum::Router::new()
            .route("/notify", axum::routing::post(receive))
            .route("/lifecycle", axum::routing::post(receive)),
    )
    .await
}
