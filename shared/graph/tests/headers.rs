//! What goes on the wire, checked against a recording stand-in for Graph: immutable ids and page
//! size in `Prefer`, change keys as weak etags in `If-Match`, and no request to a host other than
//! the configured one.
#![allow(clippy::unwrap_used)]

use std::sync::{Arc, Mutex};

use axum::extract::State;
use axum::http::{HeaderMap, Uri};
use axum::routing::{get, patch, post};
use axum::{Json, Router};
use bridge_graph::{GraphClient, GraphConfig, GraphError, SecretString};
use serde_json::{Value, json};

#[derive(Clone, Default)]
struct Recorded {
    base: String,
    requests: Arc<Mutex<Vec<(String, HeaderMap)>>>,
}

impl Recorded {
    fn record(&self, uri: &Uri, headers: &HeaderMap) {
        self.requests
            .lock()
            .unwrap()
            .push((uri.to_string(), headers.clone()));
    }

    fn header(&self, path_start: &str, name: &str) -> String {
        let requests = self.requests.lock().unwrap();
        let (_, h) = requests
            .iter()
            .find(|(u, _)| u.starts_with(path_start))
            .unwrap();
        h.get(name).unwrap().to_str().unwrap().to_owned()
    }
}

async fn stand_in() -> (GraphClient, Recorded, tokio::task::JoinHandle<()>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let origin = format!("http://{}", listener.local_addr().unwrap());
    let rec = Recorded {
        base: format!("{origin}/v1.0"),
        ..Recorded::default()
    };
    let app = Router::new()
        .route(
            "/t/oauth2/v2.0/token",
            post(|| async { Json(json!({"access_token": "tok", "expires_in": 3600})) }),
        )
        .route(
            "/v1.0/users/{u}/contacts/{id}",
            patch(
                |State(r): State<Recorded>, uri: Uri, h: HeaderMap| async move {
                    r.record(&uri, &h);
                    Json(json!({"id": "c1", "changeKey": "ck2"}))
                },
            ),
        )
        .route(
            "/v1.0/users/{u}/contacts/delta",
            get(
                |State(r): State<Recorded>, uri: Uri, h: HeaderMap| async move {
                    r.record(&uri, &h);
                    let link = format!("{}/users/u1/contacts/delta?$deltatoken=d1", r.base);
                    Json(json!({"value": [], "@odata.deltaLink": link}))
                },
            ),
        )
        .route(
            "/v1.0/users",
            get(
                |State(r): State<Recorded>, uri: Uri, h: HeaderMap| async move {
                    r.record(&uri, &h);
                    Json::<Value>(json!({
                        "value": [{"id": "u1"}],
                        "@odata.nextLink": "http://evil.example/v1.0/users?$skiptoken=2",
                    }))
                },
            ),
        )
        .with_state(rec.clone());
    let task = tokio::spawn(async move {
        axum::serve(listener, app).await.unwrap();
    });
    let mut config = GraphConfig::new(
        rec.base.clone(),
        format!("{origin}/t/oauth2/v2.0/token"),
        "app",
        SecretString::from("secret"),
    );
    config.page_size = 25;
    (GraphClient::new(config).unwrap(), rec, task)
}

#[tokio::test]
async fn mailbox_requests_ask_for_immutable_ids_page_size_and_send_weak_etags() {
    let (client, rec, task) = stand_in().await;
    client
        .update_contact("u1", "c1", &json!({"displayName": "x"}), Some("ck1"))
        .await
        .unwrap();
    let delta = client.contacts_delta("u1", None, None).await.unwrap();
    assert!(delta.delta_link.ends_with("$deltatoken=d1"));

    let patch_prefer = rec.header("/v1.0/users/u1/contacts/c1", "prefer");
    assert_eq!(patch_prefer, "IdType=\"ImmutableId\"");
    assert_eq!(
        rec.header("/v1.0/users/u1/contacts/c1", "if-match"),
        "W/\"ck1\""
    );
    assert_eq!(
        rec.header("/v1.0/users/u1/contacts/c1", "authorization"),
        "Bearer tok"
    );
    assert_eq!(
        rec.header("/v1.0/users/u1/contacts/delta", "prefer"),
        "IdType=\"ImmutableId\", odata.maxpagesize=25"
    );
    task.abort();
}

#[tokio::test]
async fn a_next_link_to_another_host_is_not_followed() {
    let (client, rec, task) = stand_in().await;
    let err = client.list_users().await.unwrap_err();
    assert!(matches!(err, GraphError::UntrustedLink(_)), "{err:?}");
    let requests = rec.requests.lock().unwrap();
    assert_eq!(requests.len(), 1, "only the first page was requested");
    assert!(requests[0].0.starts_with("/v1.0/users?$top=25"));
    drop(requests);
    task.abort();
}
