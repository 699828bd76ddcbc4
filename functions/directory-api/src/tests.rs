//! Router-level tests of linking (no socket for our side; Graph is the emulator): statuses,
//! the one-to-one rule under concurrency, rights and tenant isolation.
#![allow(clippy::unwrap_used)]

use std::sync::Arc;

use axum::body::Body;
use bridge_core::SystemClock;
use bridge_core::tenant::{Right, User};
use bridge_http::auth::issue_api_token;
use bridge_platform::Adapters;
use bridge_platform::config::GraphCredentials;
use bridge_platform::seed::{new_tenant, store_tenant};
use graph_emulator::{Emulator, EmulatorConfig, UserInfo};
use http::{Request, StatusCode};
use secrecy::ExposeSecret;
use serde_json::{Value, json};
use tower::ServiceExt;

const GRAPH_TENANT: &str = "graph-tenant";
const APP: &str = "app-1";
const SECRET: &str = "s3cret";

struct Fixture {
    _dir: tempfile::TempDir,
    emu: Emulator,
    adapters: Adapters,
    router: axum::Router,
    /// Tenant A: an administrator, and two users without rights.
    admin: User,
    ann: User,
    ben: User,
    /// Tenant B: an administrator.
    other_admin: User,
    alice: UserInfo,
    bob: UserInfo,
}

async fn fixture_with(graph: bool) -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let mut adapters = Adapters::embedded(dir.path(), Arc::new(SystemClock)).unwrap();
    let emu = Emulator::start(EmulatorConfig::default()).await.unwrap();
    emu.add_tenant(GRAPH_TENANT);
    emu.add_app(GRAPH_TENANT, APP, SECRET).unwrap();
    let alice = emu
        .add_user(GRAPH_TENANT, "Alice", "alice@contoso.test")
        .unwrap();
    let bob = emu
        .add_user(GRAPH_TENANT, "Bob", "bob@contoso.test")
        .unwrap();
    if graph {
        let mut config = (*adapters.config).clone();
        config.graph = Some(GraphCredentials {
            tenant_id: GRAPH_TENANT.into(),
            client_id: APP.into(),
            client_secret: SECRET.into(),
        });
        config.graph_base_url = Some(emu.base_url());
        config.graph_token_url = Some(emu.token_url(GRAPH_TENANT));
        adapters.config = Arc::new(config);
    }
    let manage: &[Right] = &[Right::ManageUsers];
    let (tenant, users) = new_tenant(
        &adapters,
        "A",
        &[("Admin", manage), ("Ann", &[]), ("Ben", &[])],
    );
    store_tenant(&adapters, &tenant, &users, vec![])
        .await
        .unwrap();
    let (tenant_b, users_b) = new_tenant(&adapters, "B", &[("Other admin", manage)]);
    store_tenant(&adapters, &tenant_b, &users_b, vec![])
        .await
        .unwrap();
    let router = bridge_http::finish(crate::router(&adapters).unwrap());
    let mut users = users.into_iter();
    Fixture {
        _dir: dir,
        emu,
        router,
        admin: users.next().unwrap(),
        ann: users.next().unwrap(),
        ben: users.next().unwrap(),
        other_admin: users_b.into_iter().next().unwrap(),
        adapters,
        alice,
        bob,
    }
}

async fn fixture() -> Fixture {
    fixture_with(true).await
}

impl Fixture {
    fn token(&self, u: &User) -> String {
        issue_api_token(
            self.adapters.signing_key.expose_secret(),
            u.tenant,
            u.id,
            self.adapters.clock.now_ms(),
            3_600_000,
        )
        .unwrap()
    }

    async fn call(
        &self,
        as_user: &User,
        method: &str,
        path: &str,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        call(
            self.router.clone(),
            &self.token(as_user),
            method,
            path,
            body,
        )
        .await
    }

    async fn link(
        &self,
        as_user: &User,
        target: &User,
        graph_user_id: &str,
    ) -> (StatusCode, Value) {
        self.call(
            as_user,
            "PUT",
            &link_path(target),
            Some(json!({ "graph_user_id": graph_user_id })),
        )
        .await
    }
}

fn link_path(u: &User) -> String {
    format!("/api/users/{}/microsoft-link", u.id)
}

fn sync_path(u: &User) -> String {
    format!("/api/users/{}/sync", u.id)
}

async fn call(
    router: axum::Router,
    token: &str,
    method: &str,
    path: &str,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let mut req = Request::builder()
        .method(method)
        .uri(path)
        .header("authorization", format!("Bearer {token}"));
    let body = match body {
        Some(v) => {
            req = req.header("content-type", "application/json");
            Body::from(v.to_string())
        }
        None => Body::empty(),
    };
    let resp = router.oneshot(req.body(body).unwrap()).await.unwrap();
    let status = resp.status();
    let bytes = axum::body::to_bytes(resp.into_body(), 1 << 20)
        .await
        .unwrap();
    let v = if bytes.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(&bytes).unwrap()
    };
    (status, v)
}

#[tokio::test]
async fn linking_a_user_answers_201_with_the_link_and_get_returns_it() {
    let f = fixture().await;
    let (status, link) = f.link(&f.admin, &f.ann, &f.alice.id).await;
    assert_eq!(status, StatusCode::CREATED, "{link}");
    assert_eq!(link["user_id"], f.ann.id.to_string());
    assert_eq!(link["graph_user_id"], f.alice.id);
    assert_eq!(link["graph_tenant_id"], GRAPH_TENANT);
    assert_eq!(link["display_name"], "Alice");
    assert_eq!(link["sync"], json!({"contacts": false, "calendar": false}));
    let (status, got) = f.call(&f.admin, "GET", &link_path(&f.ann), None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(got, link);
    // The user reads their own link.
    let (status, own) = f.call(&f.ann, "GET", &link_path(&f.ann), None).await;
    assert_eq!((status, own), (StatusCode::OK, link));
}

#[tokio::test]
async fn a_second_link_for_the_same_app_user_is_409_naming_the_app_user_side() {
    let f = fixture().await;
    assert_eq!(
        f.link(&f.admin, &f.ann, &f.alice.id).await.0,
        StatusCode::CREATED
    );
    let (status, e) = f.link(&f.admin, &f.ann, &f.bob.id).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(e["error"], "conflict");
    assert!(
        e["message"]
            .as_str()
            .unwrap()
            .contains("this user is already linked"),
        "{e}"
    );
}

#[tokio::test]
async fn linking_a_microsoft_365_user_linked_to_another_user_is_409_naming_that_side() {
    let f = fixture().await;
    assert_eq!(
        f.link(&f.admin, &f.ann, &f.alice.id).await.0,
        StatusCode::CREATED
    );
    let (status, e) = f.link(&f.admin, &f.ben, &f.alice.id).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert!(
        e["message"]
            .as_str()
            .unwrap()
            .contains("Microsoft 365 account is already linked to another user"),
        "{e}"
    );
    assert_eq!(
        f.call(&f.admin, "GET", &link_path(&f.ben), None).await.0,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn eight_concurrent_links_to_one_microsoft_365_user_on_sqlite_let_exactly_one_win() {
    let f = fixture().await;
    let manage: &[Right] = &[];
    let (tenant, users) = new_tenant(
        &f.adapters,
        "C",
        &[
            ("Admin", &[Right::ManageUsers][..]),
            ("u1", manage),
            ("u2", manage),
            ("u3", manage),
            ("u4", manage),
            ("u5", manage),
            ("u6", manage),
            ("u7", manage),
        ],
    );
    store_tenant(&f.adapters, &tenant, &users, vec![])
        .await
        .unwrap();
    let token = f.token(&users[0]);
    let tasks: Vec<_> = users
        .iter()
        .map(|u| {
            let (router, token, path) = (f.router.clone(), token.clone(), link_path(u));
            let body = json!({ "graph_user_id": f.bob.id });
            tokio::spawn(async move { call(router, &token, "PUT", &path, Some(body)).await.0 })
        })
        .collect();
    let statuses: Vec<StatusCode> = futures::future::join_all(tasks)
        .await
        .into_iter()
        .map(Result::unwrap)
        .collect();
    let created = statuses
        .iter()
        .filter(|s| **s == StatusCode::CREATED)
        .count();
    let conflicts = statuses
        .iter()
        .filter(|s| **s == StatusCode::CONFLICT)
        .count();
    assert_eq!((created, conflicts), (1, 7), "{statuses:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn eight_concurrent_links_of_one_app_user_let_exactly_one_win() {
    let f = fixture().await;
    let mut graph_users = vec![f.alice.id.clone(), f.bob.id.clone()];
    for i in 0..6 {
        let u = f
            .emu
            .add_user(GRAPH_TENANT, "Extra", &format!("extra{i}@contoso.test"))
            .unwrap();
        graph_users.push(u.id);
    }
    let token = f.token(&f.admin);
    let tasks: Vec<_> = graph_users
        .into_iter()
        .map(|g| {
            let (router, token, path) = (f.router.clone(), token.clone(), link_path(&f.ann));
            tokio::spawn(async move {
                call(
                    router,
                    &token,
                    "PUT",
                    &path,
                    Some(json!({ "graph_user_id": g })),
                )
                .await
                .0
            })
        })
        .collect();
    let statuses: Vec<StatusCode> = futures::future::join_all(tasks)
        .await
        .into_iter()
        .map(Result::unwrap)
        .collect();
    let created = statuses
        .iter()
        .filter(|s| **s == StatusCode::CREATED)
        .count();
    assert_eq!(created, 1, "{statuses:?}");
    assert!(
        statuses
            .iter()
            .all(|s| *s == StatusCode::CREATED || *s == StatusCode::CONFLICT)
    );
}

#[tokio::test]
async fn an_unknown_microsoft_365_user_is_404_and_nothing_is_linked() {
    let f = fixture().await;
    let (status, e) = f
        .link(&f.admin, &f.ann, "00000000-0000-0000-0000-0000000000ff")
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(e["message"], "no Microsoft 365 user with that id");
    assert_eq!(
        f.call(&f.admin, "GET", &link_path(&f.ann), None).await.0,
        StatusCode::NOT_FOUND
    );
    let (status, _) = f.link(&f.admin, &f.ann, "not/an/id").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn without_manage_users_linking_and_unlinking_are_403_and_change_nothing() {
    let f = fixture().await;
    let (status, e) = f.link(&f.ann, &f.ann, &f.alice.id).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(
        e["message"].as_str().unwrap().contains("manage users"),
        "{e}"
    );
    assert_eq!(
        f.call(&f.ann, "GET", &link_path(&f.ann), None).await.0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        f.link(&f.admin, &f.ann, &f.alice.id).await.0,
        StatusCode::CREATED
    );
    assert_eq!(
        f.call(&f.ann, "DELETE", &link_path(&f.ann), None).await.0,
        StatusCode::FORBIDDEN
    );
    // Someone else's link and switches are not theirs to read or set.
    assert_eq!(
        f.call(&f.ben, "GET", &link_path(&f.ann), None).await.0,
        StatusCode::FORBIDDEN
    );
    let body = json!({"contacts": false, "calendar": false});
    assert_eq!(
        f.call(&f.ben, "PUT", &sync_path(&f.ann), Some(body))
            .await
            .0,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        f.call(&f.admin, "GET", &link_path(&f.ann), None).await.0,
        StatusCode::OK
    );
}

#[tokio::test]
async fn unlinking_answers_204_and_frees_both_sides() {
    let f = fixture().await;
    assert_eq!(
        f.link(&f.admin, &f.ann, &f.alice.id).await.0,
        StatusCode::CREATED
    );
    let (status, body) = f.call(&f.admin, "DELETE", &link_path(&f.ann), None).await;
    assert_eq!((status, body), (StatusCode::NO_CONTENT, Value::Null));
    assert_eq!(
        f.call(&f.admin, "GET", &link_path(&f.ann), None).await.0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        f.call(&f.admin, "DELETE", &link_path(&f.ann), None).await.0,
        StatusCode::NOT_FOUND
    );
    // Alice may now link to Ben, and Ann to Bob.
    assert_eq!(
        f.link(&f.admin, &f.ben, &f.alice.id).await.0,
        StatusCode::CREATED
    );
    assert_eq!(
        f.link(&f.admin, &f.ann, &f.bob.id).await.0,
        StatusCode::CREATED
    );
}

#[tokio::test]
async fn another_tenant_can_neither_see_nor_change_this_tenants_links() {
    let f = fixture().await;
    assert_eq!(
        f.link(&f.admin, &f.ann, &f.alice.id).await.0,
        StatusCode::CREATED
    );
    let other = &f.other_admin;
    for (method, path, body) in [
        ("GET", link_path(&f.ann), None),
        ("DELETE", link_path(&f.ann), None),
        (
            "PUT",
            link_path(&f.ann),
            Some(json!({"graph_user_id": f.bob.id})),
        ),
        ("GET", sync_path(&f.ann), None),
        (
            "PUT",
            sync_path(&f.ann),
            Some(json!({"contacts": true, "calendar": true})),
        ),
    ] {
        let (status, e) = f.call(other, method, &path, body).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{method} {path}: {e}");
        assert_eq!(e["message"], "no such user in this tenant");
    }
    // Untouched for tenant A.
    let (status, link) = f.call(&f.admin, "GET", &link_path(&f.ann), None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(link["graph_user_id"], f.alice.id);
    assert_eq!(link["sync"], json!({"contacts": false, "calendar": false}));
    // Tenant B linking the same Microsoft 365 user to its own admin is refused too.
    let (status, _) = f.link(other, other, &f.alice.id).await;
    assert_eq!(status, StatusCode::CONFLICT);
}

#[tokio::test]
async fn sync_switches_need_a_link_409() {
    let f = fixture().await;
    let body = json!({"contacts": true, "calendar": false});
    let (status, e) = f.call(&f.ann, "PUT", &sync_path(&f.ann), Some(body)).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert!(
        e["message"]
            .as_str()
            .unwrap()
            .contains("no Microsoft 365 link"),
        "{e}"
    );
    assert_eq!(
        f.call(&f.ann, "GET", &sync_path(&f.ann), None).await.0,
        StatusCode::NOT_FOUND
    );
    // Switching everything off needs no Graph and no subscription.
    assert_eq!(
        f.link(&f.admin, &f.ann, &f.alice.id).await.0,
        StatusCode::CREATED
    );
    let off = json!({"contacts": false, "calendar": false});
    let (status, now) = f
        .call(&f.ann, "PUT", &sync_path(&f.ann), Some(off.clone()))
        .await;
    assert_eq!((status, now), (StatusCode::OK, off));
    let (status, _) = f
        .call(
            &f.ann,
            "PUT",
            &sync_path(&f.ann),
            Some(json!({"contacts": true})),
        )
        .await;
    assert_eq!(
        status,
        StatusCode::BAD_REQUEST,
        "both switches are required"
    );
}

#[tokio::test]
async fn without_graph_configuration_linking_is_503_naming_the_variables() {
    let f = fixture_with(false).await;
    let (status, e) = f.link(&f.admin, &f.ann, &f.alice.id).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    let m = e["message"].as_str().unwrap();
    for var in [
        "BRIDGE_GRAPH_TENANT_ID",
        "BRIDGE_GRAPH_CLIENT_ID",
        "BRIDGE_GRAPH_CLIENT_SECRET",
    ] {
        assert!(m.contains(var), "{m}");
    }
}

#[tokio::test]
async fn without_a_token_every_route_is_401() {
    let f = fixture().await;
    let resp = f
        .router
        .clone()
        .oneshot(Request::get(link_path(&f.ann)).body(Body::empty()).unwrap())
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
}
