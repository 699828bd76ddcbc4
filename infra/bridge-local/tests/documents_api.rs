//! The documents API through `bridge-local` over HTTP, as the app's front end calls it: bearer
//! tokens from the dev sign-in, JSON in and out, streamed upload and download.

#![allow(clippy::unwrap_used)] // test helpers outside #[test] fns

use bridge_core::tenant::{Right, TenantId, User, UserId, tenant_pk, user_sk};
use bridge_documents::{DocId, VersionCause};
use bridge_platform::{Adapters, Config, Storage};
use bridge_store::{Condition, Item, Key};
use reqwest::StatusCode;
use secrecy::ExposeSecret;
use serde_json::{Value, json};

/// Query parameters on a request (this workspace builds reqwest without its `query` feature).
trait WithQuery {
    fn q(self, pairs: &[(&str, &str)]) -> Self;
}

impl WithQuery for reqwest::RequestBuilder {
    fn q(self, pairs: &[(&str, &str)]) -> Self {
        let (client, req) = self.build_split();
        let mut req = req.unwrap();
        req.url_mut().query_pairs_mut().extend_pairs(pairs);
        reqwest::RequestBuilder::from_parts(client, req)
    }
}

struct Fixture {
    running: bridge_local::Running,
    base: String,
    http: reqwest::Client,
    /// The demo user: "add document" and "manage users".
    editor: String,
    /// A second user of the demo tenant without any right.
    viewer: String,
    client: String,
    _dir: tempfile::TempDir,
}

async fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let mut config = Config::from_lookup(|_| None).unwrap();
    config.storage = Storage::Embedded {
        data_dir: dir.path().to_path_buf(),
    };
    let adapters = Adapters::from_config(&config).await.unwrap();
    let running = bridge_local::start_with(adapters, "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let tenant = running.demo.tenant.id;
    let viewer = User {
        id: UserId(running.adapters.ids.new_id()),
        tenant,
        name: "Viewer".into(),
        rights: vec![],
    };
    let Value::Object(attrs) = serde_json::to_value(&viewer).unwrap() else {
        panic!("user is not an object")
    };
    running
        .adapters
        .table
        .put(
            Item {
                key: Key::new(tenant_pk(tenant), user_sk(viewer.id)),
                attrs,
            },
            Some(Condition::NotExists),
        )
        .await
        .unwrap();
    let base = format!("http://{}", running.addr);
    let http = reqwest::Client::new();
    let editor = sign_in(&http, &base, tenant, running.demo.user.id).await;
    let viewer = sign_in(&http, &base, tenant, viewer.id).await;
    let mut f = Fixture {
        running,
        base,
        http,
        editor,
        viewer,
        client: String::new(),
        _dir: dir,
    };
    let (status, c) = f
        .send(
            f.post("/api/clients", &f.editor)
                .json(&json!({"name": "Jansen"})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{c}");
    f.client = c["client_id"].as_str().unwrap().to_string();
    f
}

async fn sign_in(http: &reqwest::Client, base: &str, tenant: TenantId, user: UserId) -> String {
    let resp = http
        .post(format!("{base}/api/dev/sign-in"))
        .json(&json!({"tenant_id": tenant.to_string(), "user_id": user.to_string()}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let v: Value = resp.json().await.unwrap();
    v["token"].as_str().unwrap().to_string()
}

impl Fixture {
    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    fn get(&self, path: &str, token: &str) -> reqwest::RequestBuilder {
        self.http.get(self.url(path)).bearer_auth(token)
    }

    fn post(&self, path: &str, token: &str) -> reqwest::RequestBuilder {
        self.http.post(self.url(path)).bearer_auth(token)
    }

    /// Sends and reads a JSON answer (Null when the body is not JSON).
    async fn send(&self, req: reqwest::RequestBuilder) -> (StatusCode, Value) {
        let resp = req.send().await.unwrap();
        let status = resp.status();
        let text = resp.text().await.unwrap();
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    async fn upload(&self, token: &str, name: &str, body: &'static [u8]) -> (StatusCode, Value) {
        let path = format!("/api/clients/{}/documents", self.client);
        self.send(self.post(&path, token).q(&[("name", name)]).body(body))
            .await
    }

    async fn upload_ok(&self, name: &str, body: &'static [u8]) -> String {
        let (status, doc) = self.upload(&self.editor, name, body).await;
        assert_eq!(status, StatusCode::CREATED, "{doc}");
        doc["doc_id"].as_str().unwrap().to_string()
    }

    async fn download(&self, token: &str, doc: &str, version: Option<&str>) -> reqwest::Response {
        let mut req = self.get(&format!("/api/documents/{doc}/content"), token);
        if let Some(v) = version {
            req = req.q(&[("version", v)]);
        }
        req.send().await.unwrap()
    }
}

/// An error answer in our shape: the status, the code, and a request id.
fn assert_error(status: StatusCode, body: &Value, want: StatusCode, code: &str) {
    assert_eq!(status, want, "{body}");
    assert_eq!(body["error"], code, "{body}");
    assert!(
        body["message"].as_str().is_some_and(|m| !m.is_empty()),
        "{body}"
    );
    assert!(
        body["request_id"].as_str().is_some_and(|m| m.len() > 8),
        "{body}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn doc6_upload_requires_add_document_right() {
    let f = fixture().await;
    let (status, body) = f.upload(&f.viewer, "Plan.docx", b"nope").await;
    assert_error(status, &body, StatusCode::FORBIDDEN, "forbidden");
    let (_, list) = f
        .send(f.get(&format!("/api/clients/{}/documents", f.client), &f.editor))
        .await;
    assert_eq!(list["items"], json!([]), "a refused upload stores nothing");

    let (status, doc) = f.upload(&f.editor, "Plan.docx", b"hello").await;
    assert_eq!(status, StatusCode::CREATED, "{doc}");
    assert_eq!(doc["name"], "Plan.docx");
    assert_eq!(doc["size"], 5);
    let id = doc["doc_id"].as_str().unwrap();

    // DOC-5/6/10: how it opens, per user.
    let (status, meta) = f
        .send(f.get(&format!("/api/documents/{id}"), &f.editor))
        .await;
    assert_eq!(status, StatusCode::OK, "{meta}");
    assert_eq!(meta["open_mode"], "edit");
    assert_eq!(meta["office_app"], "Word");
    assert_eq!(meta["user_can_edit"], true);
    assert!(meta.get("lock_id").is_none());
    let (_, meta) = f
        .send(f.get(&format!("/api/documents/{id}"), &f.viewer))
        .await;
    assert_eq!(meta["open_mode"], "edit");
    assert_eq!(
        meta["user_can_edit"], false,
        "no add-document right: view only"
    );

    // The viewer may open it in Office to view, not to edit, and may not rename it.
    let session = |token: &str, action: &str| {
        f.post(&format!("/api/documents/{id}/wopi-session"), token)
            .json(&json!({ "action": action }))
    };
    let (status, body) = f.send(session(&f.viewer, "edit")).await;
    assert_error(status, &body, StatusCode::FORBIDDEN, "forbidden");
    let (status, s) = f.send(session(&f.viewer, "view")).await;
    assert_eq!(status, StatusCode::OK, "{s}");
    assert_eq!(s["wopi_src"], format!("{}/wopi/files/{id}", f.base));
    assert!(s["access_token_ttl"].as_i64().unwrap() > 0);
    let (status, s) = f.send(session(&f.editor, "edit")).await;
    assert_eq!(status, StatusCode::OK, "{s}");
    // The session works against the WOPI host.
    let info: Value = f
        .http
        .get(format!(
            "{}?access_token={}",
            s["wopi_src"].as_str().unwrap(),
            s["access_token"].as_str().unwrap()
        ))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(info["UserCanWrite"], true, "{info}");

    let (status, body) = f
        .send(
            f.post(&format!("/api/documents/{id}/rename"), &f.viewer)
                .json(&json!({"name": "Other.docx"})),
        )
        .await;
    assert_error(status, &body, StatusCode::FORBIDDEN, "forbidden");

    // PDF is never editable (DOC-5), even for the editor.
    let pdf = f.upload_ok("Scan.pdf", b"%PDF").await;
    let (_, meta) = f
        .send(f.get(&format!("/api/documents/{pdf}"), &f.editor))
        .await;
    assert_eq!(meta["open_mode"], "view_only");
    assert_eq!(meta["office_app"], Value::Null);
    assert_eq!(meta["user_can_edit"], false);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn doc3_download_works_whatever_the_platform() {
    let f = fixture().await;
    let id = f.upload_ok("Offerte é 100%.docx", b"the letter").await;
    let (status, s) = f
        .send(
            f.http
                .put(f.url("/api/settings"))
                .bearer_auth(&f.editor)
                .json(&json!({"document_platform": "regular"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{s}");
    assert_eq!(s["document_platform"], "regular");
    let (_, s) = f.send(f.get("/api/settings", &f.viewer)).await;
    assert_eq!(s["document_platform"], "regular");
    // Only administrators change settings.
    let (status, body) = f
        .send(
            f.http
                .put(f.url("/api/settings"))
                .bearer_auth(&f.viewer)
                .json(&json!({"document_platform": "o365"})),
        )
        .await;
    assert_error(status, &body, StatusCode::FORBIDDEN, "forbidden");

    let resp = f.download(&f.viewer, &id, None).await;
    assert_eq!(resp.status(), StatusCode::OK);
    let h = resp.headers();
    assert_eq!(h["content-type"], "application/octet-stream");
    assert_eq!(h["content-length"], "10");
    assert_eq!(
        h["content-disposition"],
        "attachment; filename=\"Offerte _ 100%.docx\"; filename*=UTF-8''Offerte%20%C3%A9%20100%25.docx"
    );
    assert_eq!(resp.bytes().await.unwrap().as_ref(), b"the letter");

    // Office is off for this tenant: no session, and the metadata says so.
    let (status, body) = f
        .send(
            f.post(&format!("/api/documents/{id}/wopi-session"), &f.editor)
                .json(&json!({"action": "edit"})),
        )
        .await;
    assert_error(status, &body, StatusCode::FORBIDDEN, "forbidden");
    let (_, meta) = f
        .send(f.get(&format!("/api/documents/{id}"), &f.editor))
        .await;
    assert_eq!(meta["office_enabled"], false);
    assert_eq!(meta["user_can_edit"], false);

    // Unknown fields in a settings change are a 400, not a silent no-op.
    let (status, body) = f
        .send(
            f.http
                .put(f.url("/api/settings"))
                .bearer_auth(&f.editor)
                .json(&json!({"platform": "o365"})),
        )
        .await;
    assert_error(status, &body, StatusCode::BAD_REQUEST, "bad_request");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn doc12_versions_and_restore_over_http() {
    let f = fixture().await;
    let id = f.upload_ok("Budget.xlsx", b"one").await;
    let tenant = f.running.demo.tenant.id;
    let user = f.running.demo.user.clone();
    f.running
        .adapters
        .documents()
        .save_new_version(
            tenant,
            &user,
            DocId::parse(&id).unwrap(),
            Box::pin(futures::stream::once(async {
                Ok(bytes::Bytes::from_static(b"second"))
            })),
            None,
            VersionCause::Save,
        )
        .await
        .unwrap();
    let (status, versions) = f
        .send(f.get(&format!("/api/documents/{id}/versions"), &f.viewer))
        .await;
    assert_eq!(status, StatusCode::OK, "{versions}");
    let items = versions["items"].as_array().unwrap();
    assert_eq!(items.len(), 2);
    assert_eq!(items[0]["seq"], 2, "newest first");
    assert_eq!(items[1]["seq"], 1);
    let (v1, v2) = (
        items[1]["version_id"].as_str().unwrap().to_string(),
        items[0]["version_id"].as_str().unwrap().to_string(),
    );
    let (_, page) = f
        .send(
            f.get(&format!("/api/documents/{id}/versions"), &f.viewer)
                .q(&[("limit", "1")]),
        )
        .await;
    assert_eq!(page["items"].as_array().unwrap().len(), 1);
    assert!(page["next"].is_string(), "{page}");

    // The viewer may not restore.
    let restore =
        |token: &str, v: &str| f.post(&format!("/api/documents/{id}/versions/{v}/restore"), token);
    let (status, body) = f.send(restore(&f.viewer, &v1)).await;
    assert_error(status, &body, StatusCode::FORBIDDEN, "forbidden");
    let (status, r) = f.send(restore(&f.editor, &v1)).await;
    assert_eq!(status, StatusCode::OK, "{r}");
    assert_eq!(r["version"]["seq"], 3);
    assert_eq!(r["version"]["cause"], "restore");
    assert_eq!(r["document"]["version_seq"], 3);

    let current = f.download(&f.editor, &id, None).await;
    assert_eq!(current.bytes().await.unwrap().as_ref(), b"one");
    let old = f.download(&f.editor, &id, Some(&v2)).await;
    assert_eq!(old.status(), StatusCode::OK);
    assert_eq!(old.bytes().await.unwrap().as_ref(), b"second");

    let resp = f.download(&f.editor, &id, Some("not-a-version")).await;
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    let (status, body) = f
        .send(restore(&f.editor, "0190f3c2-0000-7000-8000-0000000000ff"))
        .await;
    assert_error(status, &body, StatusCode::NOT_FOUND, "not_found");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn doc11_archive_and_delete() {
    let f = fixture().await;
    let id = f.upload_ok("Notes.docx", b"notes").await;
    let keep = f.upload_ok("Keep.docx", b"keep").await;
    let list_path = format!("/api/clients/{}/documents", f.client);

    let (status, doc) = f
        .send(f.post(&format!("/api/documents/{id}/archive"), &f.editor))
        .await;
    assert_eq!(status, StatusCode::OK, "{doc}");
    assert_eq!(doc["archived"], true);
    let (_, list) = f.send(f.get(&list_path, &f.editor)).await;
    let ids: Vec<&str> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["doc_id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, vec![keep.as_str()], "archived documents are hidden");
    let (_, list) = f
        .send(f.get(&list_path, &f.editor).q(&[("archived", "true")]))
        .await;
    assert_eq!(list["items"].as_array().unwrap().len(), 2);

    // Archived: readable, not changeable; not editable in Office.
    let (status, body) = f
        .send(
            f.post(&format!("/api/documents/{id}/rename"), &f.editor)
                .json(&json!({"name": "Renamed.docx"})),
        )
        .await;
    assert_error(status, &body, StatusCode::CONFLICT, "conflict");
    assert_eq!(
        f.download(&f.editor, &id, None).await.status(),
        StatusCode::OK
    );
    let (_, meta) = f
        .send(f.get(&format!("/api/documents/{id}"), &f.editor))
        .await;
    assert_eq!(meta["user_can_edit"], false);

    let (status, doc) = f
        .send(f.post(&format!("/api/documents/{id}/unarchive"), &f.editor))
        .await;
    assert_eq!(status, StatusCode::OK, "{doc}");
    assert_eq!(doc["archived"], false);
    let (status, doc) = f
        .send(
            f.post(&format!("/api/documents/{id}/rename"), &f.editor)
                .json(&json!({"name": "Renamed.docx"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{doc}");
    assert_eq!(doc["name"], "Renamed.docx");
    let (status, body) = f
        .send(
            f.post(&format!("/api/documents/{id}/rename"), &f.editor)
                .json(&json!({"name": "Renamed.pdf"})),
        )
        .await;
    assert_error(status, &body, StatusCode::BAD_REQUEST, "bad_request");

    // The viewer may not delete; the editor may.
    let del = |token: &str| {
        f.http
            .delete(f.url(&format!("/api/documents/{id}")))
            .bearer_auth(token)
    };
    let (status, body) = f.send(del(&f.viewer)).await;
    assert_error(status, &body, StatusCode::FORBIDDEN, "forbidden");
    let (status, _) = f.send(del(&f.editor)).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, body) = f
        .send(f.get(&format!("/api/documents/{id}"), &f.editor))
        .await;
    assert_error(status, &body, StatusCode::NOT_FOUND, "not_found");
    assert_eq!(
        f.download(&f.editor, &id, None).await.status(),
        StatusCode::NOT_FOUND
    );
    let (status, body) = f.send(del(&f.editor)).await;
    assert_error(status, &body, StatusCode::NOT_FOUND, "not_found");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn missing_garbage_and_expired_tokens_are_401_json() {
    let f = fixture().await;
    let a = &f.running.adapters;
    let expired = bridge_http::auth::issue_api_token(
        a.signing_key.expose_secret(),
        f.running.demo.tenant.id,
        f.running.demo.user.id,
        a.clock.now_ms() - 2 * 3_600_000,
        3_600_000,
    )
    .unwrap();
    let other_key = bridge_http::auth::issue_api_token(
        b"another-key-of-at-least-32-bytes-long!!",
        f.running.demo.tenant.id,
        f.running.demo.user.id,
        a.clock.now_ms(),
        3_600_000,
    )
    .unwrap();
    let unknown_user = bridge_http::auth::issue_api_token(
        a.signing_key.expose_secret(),
        f.running.demo.tenant.id,
        UserId(uuid::Uuid::new_v4()),
        a.clock.now_ms(),
        3_600_000,
    )
    .unwrap();
    let path = format!("/api/clients/{}/documents", f.client);
    let cases = [
        ("none", f.http.get(f.url(&path))),
        ("garbage", f.get(&path, "garbage")),
        ("expired", f.get(&path, &expired)),
        ("other key", f.get(&path, &other_key)),
        ("unknown user", f.get(&path, &unknown_user)),
        (
            "basic scheme",
            f.http
                .get(f.url(&path))
                .header("authorization", format!("Basic {}", f.editor)),
        ),
    ];
    for (what, req) in cases {
        let (status, body) = f.send(req).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{what}: {body}");
        assert_error(status, &body, StatusCode::UNAUTHORIZED, "unauthorized");
    }
    // A refused upload stores nothing.
    let (status, _) = f
        .send(f.http.post(f.url(&path)).q(&[("name", "x.docx")]).body("x"))
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (_, list) = f.send(f.get(&path, &f.editor)).await;
    assert_eq!(list["items"], json!([]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_of_tenant_b_reaches_nothing_of_tenant_a() {
    let f = fixture().await;
    let id = f.upload_ok("Secret.docx", b"secret").await;
    let a = &f.running.adapters;
    let (tenant_b, users) = bridge_platform::seed::new_tenant(
        a,
        "Other",
        &[("B Admin", &[Right::AddDocument, Right::ManageUsers])],
    );
    bridge_platform::seed::store_tenant(a, &tenant_b, &users, Vec::new())
        .await
        .unwrap();
    let b = sign_in(&f.http, &f.base, tenant_b.id, users[0].id).await;

    let (status, clients) = f.send(f.get("/api/clients", &b)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(clients["items"], json!([]), "{clients}");
    let doc_paths = [
        format!("/api/documents/{id}"),
        format!("/api/documents/{id}/content"),
        format!("/api/documents/{id}/versions"),
        format!("/api/clients/{}/documents", f.client),
    ];
    for p in &doc_paths {
        let (status, body) = f.send(f.get(p, &b)).await;
        assert_error(status, &body, StatusCode::NOT_FOUND, "not_found");
    }
    let writes = [
        f.post(&format!("/api/documents/{id}/archive"), &b),
        f.post(&format!("/api/documents/{id}/rename"), &b)
            .json(&json!({"name": "Mine.docx"})),
        f.post(&format!("/api/documents/{id}/wopi-session"), &b)
            .json(&json!({"action": "view"})),
        f.http
            .delete(f.url(&format!("/api/documents/{id}")))
            .bearer_auth(&b),
        f.post(&format!("/api/clients/{}/documents", f.client), &b)
            .q(&[("name", "x.docx")])
            .body("x"),
    ];
    for req in writes {
        let (status, body) = f.send(req).await;
        assert_error(status, &body, StatusCode::NOT_FOUND, "not_found");
    }
    // Untouched for tenant A.
    let (status, meta) = f
        .send(f.get(&format!("/api/documents/{id}"), &f.editor))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(meta["name"], "Secret.docx");
    assert_eq!(meta["archived"], false);
    let (_, list) = f
        .send(f.get(&format!("/api/clients/{}/documents", f.client), &f.editor))
        .await;
    assert_eq!(list["items"].as_array().unwrap().len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wopi_and_api_tokens_are_not_interchangeable() {
    let f = fixture().await;
    let id = f.upload_ok("Plan.docx", b"plan").await;
    let (status, s) = f
        .send(
            f.post(&format!("/api/documents/{id}/wopi-session"), &f.editor)
                .json(&json!({"action": "edit"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{s}");
    let wopi = s["access_token"].as_str().unwrap();
    let (status, body) = f.send(f.get(&format!("/api/documents/{id}"), wopi)).await;
    assert_error(status, &body, StatusCode::UNAUTHORIZED, "unauthorized");
    // And the API token opens no WOPI file.
    let resp = f
        .http
        .get(f.url(&format!("/wopi/files/{id}")))
        .q(&[("access_token", f.editor.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_json_and_bad_query_are_400_in_our_shape() {
    let f = fixture().await;
    let bad = [
        f.post("/api/clients", &f.editor)
            .header("content-type", "application/json")
            .body("{\"name\": "),
        f.post("/api/clients", &f.editor).body("{\"name\": \"x\"}"),
        f.post("/api/clients", &f.editor).json(&json!({"name": 5})),
        f.post("/api/clients", &f.editor)
            .json(&json!({"name": " "})),
        f.get(&format!("/api/clients/{}/documents", f.client), &f.editor)
            .q(&[("limit", "many")]),
        f.get(&format!("/api/clients/{}/documents", f.client), &f.editor)
            .q(&[("limit", "0")]),
        f.get("/api/clients", &f.editor).q(&[("cursor", "bogus")]),
        f.get("/api/documents/not-an-id", &f.editor),
        f.post(&format!("/api/clients/{}/documents", f.client), &f.editor)
            .body("x"),
        f.post(&format!("/api/clients/{}/documents", f.client), &f.editor)
            .q(&[("name", "../evil")])
            .body("x"),
        f.http
            .post(f.url("/api/dev/sign-in"))
            .json(&json!({"tenant_id": "x", "user_id": "y"})),
    ];
    for (i, req) in bad.into_iter().enumerate() {
        let (status, body) = f.send(req).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "case {i}: {body}");
        assert_error(status, &body, StatusCode::BAD_REQUEST, "bad_request");
    }
    let (_, clients) = f.send(f.get("/api/clients", &f.editor)).await;
    assert_eq!(
        clients["items"].as_array().unwrap().len(),
        1,
        "nothing created"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_get_never_changes_state() {
    let f = fixture().await;
    let id = f.upload_ok("Plan.docx", b"plan").await;
    for p in [
        format!("/api/documents/{id}/archive"),
        format!("/api/documents/{id}/rename"),
        format!("/api/documents/{id}/wopi-session"),
        format!("/api/documents/{id}/versions/x/restore"),
        "/api/dev/sign-in".to_string(),
    ] {
        let (status, body) = f.send(f.get(&p, &f.editor)).await;
        assert_error(
            status,
            &body,
            StatusCode::METHOD_NOT_ALLOWED,
            "method_not_allowed",
        );
    }
    let (_, meta) = f
        .send(f.get(&format!("/api/documents/{id}"), &f.editor))
        .await;
    assert_eq!(meta["archived"], false);
    assert_eq!(meta["version_seq"], 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clients_are_paged_and_dev_sign_in_refuses_unknown_users() {
    let f = fixture().await;
    for n in ["B", "C"] {
        let (status, _) = f
            .send(
                f.post("/api/clients", &f.viewer)
                    .json(&json!({ "name": n })),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED);
    }
    let (_, first) = f
        .send(f.get("/api/clients", &f.viewer).q(&[("limit", "2")]))
        .await;
    assert_eq!(first["items"].as_array().unwrap().len(), 2);
    let next = first["next"].as_str().unwrap();
    let (_, second) = f
        .send(
            f.get("/api/clients", &f.viewer)
                .q(&[("limit", "2"), ("cursor", next)]),
        )
        .await;
    assert_eq!(second["items"].as_array().unwrap().len(), 1, "{second}");
    assert_eq!(second["items"][0]["name"], "C");

    let (status, body) = f
        .send(f.http.post(f.url("/api/dev/sign-in")).json(&json!({
            "tenant_id": f.running.demo.tenant.id.to_string(),
            "user_id": uuid::Uuid::new_v4().to_string(),
        })))
        .await;
    assert_error(status, &body, StatusCode::NOT_FOUND, "not_found");
}
