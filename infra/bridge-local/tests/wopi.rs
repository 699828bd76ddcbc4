//! WOPI through `bridge-local` over HTTP, as Office for the web calls it.

#![allow(clippy::unwrap_used)] // test helpers outside #[test] fns

mod common;

use bridge_platform::{Config, Storage};
use bridge_wopi::token::{Permission, TokenGrant, issue};
use reqwest::StatusCode;
use secrecy::ExposeSecret;

struct Fixture {
    running: bridge_local::Running,
    base: String,
    doc: String,
    other_doc: String,
    edit: String,
    view: String,
    http: reqwest::Client,
    _dir: tempfile::TempDir,
}

fn body(bytes: &'static [u8]) -> bridge_blobs::ByteStream {
    Box::pin(futures::stream::once(async move {
        Ok(bytes::Bytes::from_static(bytes))
    }))
}

/// Embedded adapters under `dir` with the validator's test files editable.
async fn embedded_adapters(dir: &tempfile::TempDir) -> bridge_platform::Adapters {
    let mut config = Config::from_lookup(|_| None).unwrap();
    config.storage = Storage::Embedded {
        data_dir: dir.path().to_path_buf(),
    };
    config.wopi_test_files = true;
    bridge_platform::Adapters::from_config(&config)
        .await
        .unwrap()
}

async fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let adapters = embedded_adapters(&dir).await;
    fixture_on(adapters, dir).await
}

async fn fixture_on(adapters: bridge_platform::Adapters, dir: tempfile::TempDir) -> Fixture {
    let running = bridge_local::start_with(adapters, "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let a = &running.adapters;
    let (tenant, user) = (running.demo.tenant.id, running.demo.user.clone());
    let docs = a.documents();
    let client = docs.create_client(tenant, &user, "Client").await.unwrap();
    let doc = docs
        .upload(
            tenant,
            &user,
            client.client_id,
            "test.wopitest",
            body(b"hello"),
        )
        .await
        .unwrap();
    let other = docs
        .upload(
            tenant,
            &user,
            client.client_id,
            "other.wopitest",
            body(b"x"),
        )
        .await
        .unwrap();
    let now = a.clock.now_ms();
    let token = |doc: &str, permission| {
        let grant = TokenGrant {
            tenant_id: tenant.to_string(),
            user_id: user.id.to_string(),
            document_id: doc.to_string(),
            permission,
            jti: uuid::Uuid::new_v4().to_string(),
        };
        issue(a.signing_key.expose_secret(), &grant, now, 3_600_000)
            .unwrap()
            .access_token
    };
    let doc_id = doc.doc_id.to_string();
    Fixture {
        base: format!("http://{}", running.addr),
        edit: token(&doc_id, Permission::Edit),
        view: token(&doc_id, Permission::View),
        other_doc: other.doc_id.to_string(),
        doc: doc_id,
        running,
        http: reqwest::Client::new(),
        _dir: dir,
    }
}

impl Fixture {
    fn url(&self, suffix: &str, token: &str) -> String {
        format!(
            "{}/wopi/files/{}{suffix}?access_token={token}",
            self.base, self.doc
        )
    }

    async fn op(&self, ov: &str, token: &str, headers: &[(&str, &str)]) -> reqwest::Response {
        let mut req = self
            .http
            .post(self.url("", token))
            .header("X-WOPI-Override", ov);
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        req.send().await.unwrap()
    }

    async fn put(&self, token: &str, lock: Option<&str>, data: &'static [u8]) -> reqwest::Response {
        let mut req = self
            .http
            .post(self.url("/contents", token))
            .header("X-WOPI-Override", "PUT")
            .body(data);
        if let Some(l) = lock {
            req = req.header("X-WOPI-Lock", l);
        }
        req.send().await.unwrap()
    }

    /// CheckFileInfo as JSON, with `token`.
    async fn info(&self, token: &str) -> serde_json::Value {
        let r = self.http.get(self.url("", token)).send().await.unwrap();
        assert_eq!(r.status(), 200, "CheckFileInfo");
        r.json().await.unwrap()
    }

    async fn content(&self) -> Vec<u8> {
        let r = self
            .http
            .get(self.url("/contents", &self.edit))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        r.bytes().await.unwrap().to_vec()
    }
}

fn lock_header(r: &reqwest::Response) -> Option<String> {
    r.headers()
        .get("x-wopi-lock")
        .map(|v| v.to_str().unwrap().to_string())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn check_file_info_reports_the_file_and_the_users_rights() {
    let f = fixture().await;
    let r = f.http.get(f.url("", &f.edit)).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let info: serde_json::Value = r.json().await.unwrap();
    assert_eq!(info["BaseFileName"], "test.wopitest");
    assert_eq!(info["Size"], 5);
    assert_eq!(info["UserCanWrite"], true);
    assert_eq!(info["SupportsLocks"], true);
    assert_eq!(info["SupportsExtendedLockLength"], true);
    assert_eq!(info["UserFriendlyName"], "Demo User");
    assert!(info["Version"].as_str().is_some_and(|v| !v.is_empty()));
    assert!(
        info.as_object().unwrap().values().all(|v| !v.is_null()),
        "never null: {info}"
    );
    let view = f.info(&f.view).await;
    assert_eq!(view["UserCanWrite"], false, "a view token cannot write");
    f.running.shutdown();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tokens_open_only_their_own_file() {
    let f = fixture().await;
    let other = format!(
        "{}/wopi/files/{}?access_token={}",
        f.base, f.other_doc, f.edit
    );
    assert_eq!(
        f.http.get(other).send().await.unwrap().status(),
        StatusCode::NOT_FOUND
    );
    let forged = format!("{}x", f.edit);
    assert_eq!(
        f.http
            .get(f.url("", &forged))
            .send()
            .await
            .unwrap()
            .status(),
        401
    );
    let none = format!("{}/wopi/files/{}", f.base, f.doc);
    assert_eq!(f.http.get(none).send().await.unwrap().status(), 401);
    assert_eq!(f.op("MADE_UP", &f.edit, &[]).await.status(), 501);
    f.running.shutdown();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lock_put_unlock_follow_the_wopi_rules() {
    lock_flow(fixture().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lock_put_unlock_follow_the_wopi_rules_on_the_aws_adapters() {
    let Some(adapters) = common::moto_adapters(true).await else {
        return;
    };
    lock_flow(fixture_on(adapters, tempfile::tempdir().unwrap()).await).await;
}

async fn lock_flow(f: Fixture) {
    // Unlocked, non-empty file: PutFile is refused with an empty lock header.
    let r = f.put(&f.edit, None, b"nope").await;
    assert_eq!(r.status(), 409);
    assert_eq!(lock_header(&r).as_deref(), Some(""));

    assert_eq!(
        f.op("LOCK", &f.edit, &[("X-WOPI-Lock", "A")])
            .await
            .status(),
        200
    );
    let r = f.op("LOCK", &f.edit, &[("X-WOPI-Lock", "B")]).await;
    assert_eq!(
        (r.status().as_u16(), lock_header(&r).as_deref()),
        (409, Some("A"))
    );
    let r = f.op("GET_LOCK", &f.edit, &[]).await;
    assert_eq!(lock_header(&r).as_deref(), Some("A"));

    let before = f.info(&f.edit).await;
    let r = f.put(&f.edit, Some("A"), b"version two").await;
    assert_eq!(r.status(), 200);
    let item_version = r.headers()["x-wopi-itemversion"]
        .to_str()
        .unwrap()
        .to_string();
    assert_ne!(
        Some(item_version.as_str()),
        before["Version"].as_str(),
        "Version changes on save"
    );
    assert_eq!(f.content().await, b"version two");

    let r = f.put(&f.edit, Some("B"), b"wrong lock").await;
    assert_eq!(
        (r.status().as_u16(), lock_header(&r).as_deref()),
        (409, Some("A"))
    );
    assert_eq!(
        f.content().await,
        b"version two",
        "a refused save changes nothing"
    );

    let r = f
        .op(
            "LOCK",
            &f.edit,
            &[("X-WOPI-Lock", "C"), ("X-WOPI-OldLock", "A")],
        )
        .await;
    assert_eq!(r.status(), 200, "UnlockAndRelock");
    assert_eq!(
        f.op("REFRESH_LOCK", &f.edit, &[("X-WOPI-Lock", "C")])
            .await
            .status(),
        200
    );
    assert_eq!(
        f.op("UNLOCK", &f.edit, &[("X-WOPI-Lock", "C")])
            .await
            .status(),
        200
    );
    let r = f.op("UNLOCK", &f.edit, &[("X-WOPI-Lock", "C")]).await;
    assert_eq!(
        (r.status().as_u16(), lock_header(&r).as_deref()),
        (409, Some(""))
    );

    // A view token cannot lock or write.
    assert_eq!(
        f.op("LOCK", &f.view, &[("X-WOPI-Lock", "V")])
            .await
            .status(),
        401
    );
    assert_eq!(f.put(&f.view, None, b"x").await.status(), 401);
    f.running.shutdown();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_acknowledged_save_of_racing_editors_is_a_version() {
    let f = fixture().await;
    assert_eq!(
        f.op("LOCK", &f.edit, &[("X-WOPI-Lock", "L")])
            .await
            .status(),
        200
    );
    let mut tasks = Vec::new();
    for i in 0..12 {
        let (http, url) = (f.http.clone(), f.url("/contents", &f.edit));
        let lock = if i % 3 == 0 { "other" } else { "L" };
        tasks.push(tokio::spawn(async move {
            let r = http
                .post(url)
                .header("X-WOPI-Override", "PUT")
                .header("X-WOPI-Lock", lock)
                .body(format!("save {i}"))
                .send()
                .await
                .unwrap();
            (lock, r.status().as_u16())
        }));
    }
    let mut acked = 0;
    for t in tasks {
        let (lock, status) = t.await.unwrap();
        match lock {
            "L" => {
                assert_eq!(status, 200);
                acked += 1;
            }
            _ => assert_eq!(status, 409, "no save without the lock"),
        }
    }
    let (tenant, doc) = (
        f.running.demo.tenant.id,
        bridge_documents::DocId::parse(&f.doc).unwrap(),
    );
    let history = f
        .running
        .adapters
        .documents()
        .history(tenant, doc, &bridge_documents::PageRequest::first(100))
        .await
        .unwrap();
    assert_eq!(
        history.items.len(),
        acked + 1,
        "upload + one version per acknowledged save"
    );
    f.running.shutdown();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn get_file_honours_max_expected_size_and_rename_keeps_the_extension() {
    let f = fixture().await;
    let r = f
        .http
        .get(f.url("/contents", &f.edit))
        .header("X-WOPI-MaxExpectedSize", "2")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 412);
    let r = f
        .op(
            "RENAME_FILE",
            &f.edit,
            &[("X-WOPI-RequestedName", "new+AF8-name")],
        )
        .await;
    assert_eq!(r.status(), 200);
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(body["Name"], "new_name");
    let info = f.info(&f.edit).await;
    assert_eq!(info["BaseFileName"], "new_name.wopitest");
    assert_eq!(f.op("PUT_USER_INFO", &f.edit, &[]).await.status(), 200);
    f.running.shutdown();
}

/// A blob store that fails `put` mid-stream when told to: the storage dies during a save.
#[derive(Debug)]
struct FlakyBlobs {
    inner: std::sync::Arc<dyn bridge_blobs::BlobStore>,
    fail: std::sync::Arc<std::sync::atomic::AtomicBool>,
}

#[async_trait::async_trait]
impl bridge_blobs::BlobStore for FlakyBlobs {
    async fn put(
        &self,
        key: &bridge_blobs::BlobKey,
        mut body: bridge_blobs::ByteStream,
        max_size: Option<u64>,
    ) -> Result<bridge_blobs::BlobMeta, bridge_blobs::BlobError> {
        if self.fail.load(std::sync::atomic::Ordering::SeqCst) {
            use futures::StreamExt;
            let _ = body.next().await; // part of the body arrives, then the backend dies
            return Err(bridge_blobs::BlobError::Backend(
                "injected: storage went away".into(),
            ));
        }
        self.inner.put(key, body, max_size).await
    }
    async fn get(
        &self,
        key: &bridge_blobs::BlobKey,
    ) -> Result<bridge_blobs::Blob, bridge_blobs::BlobError> {
        self.inner.get(key).await
    }
    async fn head(
        &self,
        key: &bridge_blobs::BlobKey,
    ) -> Result<bridge_blobs::BlobMeta, bridge_blobs::BlobError> {
        self.inner.head(key).await
    }
    async fn delete(&self, key: &bridge_blobs::BlobKey) -> Result<(), bridge_blobs::BlobError> {
        self.inner.delete(key).await
    }
    async fn ready(&self) -> Result<(), bridge_blobs::BlobError> {
        self.inner.ready().await
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_save_that_fails_midway_leaves_the_current_version_intact() {
    let dir = tempfile::tempdir().unwrap();
    let mut adapters = embedded_adapters(&dir).await;
    let fail = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    adapters.blobs = std::sync::Arc::new(FlakyBlobs {
        inner: adapters.blobs.clone(),
        fail: fail.clone(),
    });
    let f = fixture_on(adapters, dir).await;
    assert_eq!(
        f.op("LOCK", &f.edit, &[("X-WOPI-Lock", "L")])
            .await
            .status(),
        200
    );
    let before = f.info(&f.edit).await;

    // 1. The storage backend dies during the save.
    fail.store(true, std::sync::atomic::Ordering::SeqCst);
    let r = f
        .put(&f.edit, Some("L"), b"this save is lost by the backend")
        .await;
    assert!(
        r.status().is_server_error(),
        "a failed save is not acknowledged: {}",
        r.status()
    );
    fail.store(false, std::sync::atomic::Ordering::SeqCst);
    assert_eq!(
        f.content().await,
        b"hello",
        "the current version is unchanged and readable"
    );

    // 2. The client goes away mid-body.
    let broken = futures::stream::iter(vec![
        Ok::<_, std::io::Error>(bytes::Bytes::from_static(b"first half")),
        Err(std::io::Error::other("client hung up")),
    ]);
    let r = f
        .http
        .post(f.url("/contents", &f.edit))
        .header("X-WOPI-Override", "PUT")
        .header("X-WOPI-Lock", "L")
        .body(reqwest::Body::wrap_stream(broken))
        .send()
        .await;
    if let Ok(r) = r {
        assert_ne!(r.status(), 200, "a truncated body is never acknowledged");
    }
    assert_eq!(
        f.content().await,
        b"hello",
        "still the old content after a truncated upload"
    );
    let after = f.info(&f.edit).await;
    assert_eq!(
        after["Version"], before["Version"],
        "no new version from failed saves"
    );
    assert_eq!(
        f.put(&f.edit, Some("L"), b"works again").await.status(),
        200
    );
    assert_eq!(f.content().await, b"works again");
    f.running.shutdown();
}
