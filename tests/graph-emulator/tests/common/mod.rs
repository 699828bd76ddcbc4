//! Helpers shared by the integration tests: a fixture and a tiny notification receiver.
#![allow(clippy::unwrap_used, dead_code)]

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use graph_emulator::{Emulator, EmulatorConfig, UserInfo};
use serde_json::Value;

pub const TENANT: &str = "tenant-1";
pub const CLIENT_ID: &str = "app-1";
pub const SECRET: &str = "s3cret";

pub struct Fixture {
    pub emu: Emulator,
    pub http: reqwest::Client,
    pub token: String,
    pub user: UserInfo,
}

impl Fixture {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.emu.base_url())
    }

    pub fn get(&self, path: &str) -> reqwest::RequestBuilder {
        self.http.get(self.url(path)).bearer_auth(&self.token)
    }

    pub fn post(&self, path: &str, body: &Value) -> reqwest::RequestBuilder {
        self.http
            .post(self.url(path))
            .bearer_auth(&self.token)
            .json(body)
    }

    pub fn patch(&self, path: &str, body: &Value) -> reqwest::RequestBuilder {
        self.http
            .patch(self.url(path))
            .bearer_auth(&self.token)
            .json(body)
    }

    pub fn delete(&self, path: &str) -> reqwest::RequestBuilder {
        self.http.delete(self.url(path)).bearer_auth(&self.token)
    }

    /// GET an absolute URL (nextLink/deltaLink).
    pub fn get_abs(&self, url: &str) -> reqwest::RequestBuilder {
        self.http.get(url).bearer_auth(&self.token)
    }
}

fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                char::from(b).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

pub fn form(pairs: &[(&str, &str)]) -> String {
    pairs
        .iter()
        .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

pub async fn request_token(
    http: &reqwest::Client,
    emu: &Emulator,
    client_id: &str,
    secret: &str,
) -> reqwest::Response {
    http.post(emu.token_url(TENANT))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form(&[
            ("grant_type", "client_credentials"),
            ("client_id", client_id),
            ("client_secret", secret),
            ("scope", "https://graph.microsoft.com/.default"),
        ]))
        .send()
        .await
        .unwrap()
}

pub async fn fixture(config: EmulatorConfig) -> Fixture {
    let emu = Emulator::start(config).await.unwrap();
    emu.add_tenant(TENANT);
    emu.add_app(TENANT, CLIENT_ID, SECRET).unwrap();
    let user = emu
        .add_user(TENANT, "Ada Lovelace", "ada@contoso.test")
        .unwrap();
    let http = reqwest::Client::new();
    let resp = request_token(&http, &emu, CLIENT_ID, SECRET).await;
    assert_eq!(resp.status(), 200);
    let body: Value = resp.json().await.unwrap();
    let token = body["access_token"].as_str().unwrap().to_owned();
    Fixture {
        emu,
        http,
        token,
        user,
    }
}

/// How the receiver answers validation requests.
#[derive(Clone, Copy, Debug)]
pub enum Mode {
    Echo,
    WrongToken,
}

#[derive(Clone)]
struct RecvState {
    mode: Mode,
    received: Arc<Mutex<Vec<Value>>>,
}

/// A webhook receiver: echoes validation tokens (per `mode`) and stores notification bodies.
pub struct Receiver {
    pub url: String,
    pub received: Arc<Mutex<Vec<Value>>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Receiver {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Receiver {
    pub fn received(&self) -> Vec<Value> {
        self.received.lock().unwrap().clone()
    }
}

async fn receive(
    State(st): State<RecvState>,
    Query(q): Query<HashMap<String, String>>,
    body: String,
) -> Response {
    if let Some(token) = q.get("validationToken") {
        let echo = match st.mode {
            Mode::Echo => token.clone(),
            Mode::WrongToken => "not-the-token".to_owned(),
        };
        return (StatusCode::OK, [("content-type", "text/plain")], echo).into_response();
    }
    st.received
        .lock()
        .unwrap()
        .push(serde_json::from_str(&body).unwrap());
    StatusCode::ACCEPTED.into_response()
}

pub async fn receiver(mode: Mode) -> Receiver {
    let received = Arc::new(Mutex::new(Vec::new()));
    let app = axum::Router::new()
        .route("/notify", axum::routing::post(receive))
        .route("/lifecycle", axum::routing::post(receive))
        .with_state(RecvState {
            mode,
            received: Arc::clone(&received),
        });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let task = tokio::spawn(async move {
        axum::serve(listener, app).await.unwrap();
    });
    Receiver {
        url: format!("http://{addr}"),
        received,
        task,
    }
}
