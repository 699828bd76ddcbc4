//! The documents suite, written once against the ports; `tests/adapters.rs` runs every case
//! against memory + filesystem, SQLite + filesystem, and DynamoDB + S3 on moto.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};

use bridge_blobs::fs::FsBlobs;
use bridge_blobs::s3::S3Blobs;
use bridge_blobs::{BlobKey, BlobStore, ByteStream};
use bridge_core::tenant::{Right, TenantId, User, UserId};
use bridge_core::{IdGen, ManualClock, RandomIds};
use bridge_documents::{ClientId, DocId, Document, Documents, PageRequest, Version, VersionCause};
use bridge_store::Table;
use bridge_store::dynamo::DynamoTable;
use bridge_store::memory::MemoryTable;
use bridge_store::sqlite::SqliteTable;
use bytes::Bytes;
use futures::StreamExt;
use uuid::Uuid;

pub mod hook;
mod moto_shim;

mod access;
mod content;
mod lifecycle;

pub use access::*;
pub use content::*;
pub use lifecycle::*;

use hook::HookTable;

/// Upload limit of the suite: small, so bodies above it stay far below moto's multipart bug.
pub const MAX_UPLOAD: u64 = 64 * 1024;

/// Time-ordered ids that are also remembered, so the suite can enumerate every blob key a use
/// case could have written and prove none is left unreferenced.
#[derive(Debug, Default)]
pub struct RecordingIds(Mutex<Vec<Uuid>>);

impl IdGen for RecordingIds {
    fn new_id(&self) -> Uuid {
        let id = RandomIds.new_id();
        self.0.lock().unwrap().push(id);
        id
    }
}

impl RecordingIds {
    pub fn all(&self) -> Vec<Uuid> {
        self.0.lock().unwrap().clone()
    }
}

/// One adapter pair with the service over it.
pub struct Env {
    pub docs: Documents,
    /// The raw table (writes here bypass the service, e.g. to play the WOPI lock module).
    pub table: Arc<dyn Table>,
    /// Hooks into the service's transactions.
    pub hooks: Arc<HookTable>,
    pub blobs: Arc<dyn BlobStore>,
    pub clock: ManualClock,
    pub ids: Arc<RecordingIds>,
    _dir: Option<tempfile::TempDir>,
}

impl Env {
    fn new(
        table: Arc<dyn Table>,
        blobs: Arc<dyn BlobStore>,
        dir: Option<tempfile::TempDir>,
    ) -> Env {
        let clock = ManualClock::new(1_750_000_000_000);
        let ids = Arc::new(RecordingIds::default());
        let hooks = Arc::new(HookTable::new(table.clone()));
        let docs = Documents::new(
            hooks.clone(),
            blobs.clone(),
            Arc::new(clock.clone()),
            ids.clone(),
            MAX_UPLOAD,
        );
        Env {
            docs,
            table,
            hooks,
            blobs,
            clock,
            ids,
            _dir: dir,
        }
    }
}

/// Memory table + filesystem blobs.
pub async fn memory_fs() -> Option<Env> {
    let dir = tempfile::tempdir().unwrap();
    let blobs = FsBlobs::new(dir.path().join("blobs")).unwrap();
    Some(Env::new(
        Arc::new(MemoryTable::new()),
        Arc::new(blobs),
        Some(dir),
    ))
}

/// SQLite file + filesystem blobs (the embedded default of `bridge-local`).
pub async fn sqlite_fs() -> Option<Env> {
    let dir = tempfile::tempdir().unwrap();
    let blobs = FsBlobs::new(dir.path().join("blobs")).unwrap();
    let table = SqliteTable::open(&dir.path().join("state.db")).unwrap();
    Some(Env::new(Arc::new(table), Arc::new(blobs), Some(dir)))
}

/// DynamoDB + S3 on moto; `None` (printed as SKIPPED) when moto is unavailable outside CI.
pub async fn dynamo_s3() -> Option<Env> {
    let moto = test_support::moto()?;
    let cfg = moto.sdk_config().await;
    let ddb = aws_sdk_dynamodb::Client::new(&cfg);
    let name = test_support::unique_name("docs");
    DynamoTable::create_table(&ddb, &name).await.unwrap();
    let s3 = aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(&cfg)
            .force_path_style(true)
            .build(),
    );
    let bucket = test_support::unique_name("docs");
    s3.create_bucket().bucket(&bucket).send().await.unwrap();
    eprintln!("running against moto at {}", moto.endpoint);
    let table = moto_shim::OneAtATime::new(Arc::new(DynamoTable::new(ddb, name)));
    Some(Env::new(
        Arc::new(table),
        Arc::new(S3Blobs::new(s3, bucket)),
        None,
    ))
}

// ---- helpers ----

pub fn new_tenant() -> TenantId {
    TenantId(Uuid::new_v4())
}

pub fn user(tenant: TenantId, rights: &[Right]) -> User {
    User {
        id: UserId(Uuid::new_v4()),
        tenant,
        name: "Test User".into(),
        rights: rights.to_vec(),
    }
}

/// A user with "add document".
pub fn editor(tenant: TenantId) -> User {
    user(tenant, &[Right::AddDocument])
}

/// A body streamed in small chunks.
pub fn body(data: impl AsRef<[u8]>) -> ByteStream {
    bridge_blobs::conformance::chunked(data.as_ref().to_vec(), 7)
}

/// A body that delivers `good` bytes, then fails like a client that hung up.
pub fn failing_body(good: usize) -> ByteStream {
    let chunks: Vec<std::io::Result<Bytes>> = vec![
        Ok(Bytes::from(vec![b'x'; good / 2])),
        Ok(Bytes::from(vec![b'y'; good - good / 2])),
        Err(std::io::Error::new(
            std::io::ErrorKind::ConnectionReset,
            "client hung up",
        )),
    ];
    futures::stream::iter(chunks).boxed()
}

pub async fn read_all(mut body: ByteStream) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(chunk) = body.next().await {
        out.extend_from_slice(&chunk.unwrap());
    }
    out
}

/// A tenant, an editor, a client file and one uploaded document with `content`.
pub struct Seeded {
    pub tenant: TenantId,
    pub editor: User,
    pub client: ClientId,
    pub doc: Document,
}

pub async fn seed(env: &Env, name: &str, content: &[u8]) -> Seeded {
    let tenant = new_tenant();
    let editor = editor(tenant);
    let client = env
        .docs
        .create_client(tenant, &editor, "Jansen B.V.")
        .await
        .unwrap()
        .client_id;
    let doc = env
        .docs
        .upload(tenant, &editor, client, name, body(content))
        .await
        .unwrap();
    Seeded {
        tenant,
        editor,
        client,
        doc,
    }
}

/// The content of a version (current when `None`).
pub async fn content(env: &Env, t: TenantId, d: DocId, version: Option<&str>) -> Vec<u8> {
    let c = env.docs.open_content(t, d, version).await.unwrap();
    let meta = c.blob.meta.clone();
    let data = read_all(c.blob.body).await;
    assert_eq!(meta.size, data.len() as u64);
    assert_eq!(
        meta.sha256, c.version.sha256,
        "blob digest equals the version's"
    );
    data
}

/// Saves `data` as a new version.
pub async fn save(env: &Env, s: &Seeded, data: &[u8]) -> bridge_documents::SaveOutcome {
    env.docs
        .save_new_version(
            s.tenant,
            &s.editor,
            s.doc.doc_id,
            body(data),
            None,
            VersionCause::Save,
        )
        .await
        .unwrap()
}

/// Every version, oldest first, read through the paged history.
pub async fn all_versions(env: &Env, t: TenantId, d: DocId) -> Vec<Version> {
    let mut out = Vec::new();
    let mut page = PageRequest::first(3);
    loop {
        let res = env.docs.history(t, d, &page).await.unwrap();
        out.extend(res.items);
        match res.next {
            Some(c) => page = PageRequest::after(Some(c), 3),
            None => break,
        }
    }
    out.reverse();
    out
}

/// Versions are numbered 1..=n without gaps, and the document points at the last one.
pub async fn assert_versions_consistent(env: &Env, t: TenantId, d: DocId) -> Vec<Version> {
    let versions = all_versions(env, t, d).await;
    let seqs: Vec<i64> = versions.iter().map(|v| v.seq).collect();
    let expected: Vec<i64> = (1..=versions.len() as i64).collect();
    assert_eq!(seqs, expected, "versions must be gap-free and increasing");
    let doc = env.docs.get(t, d).await.unwrap();
    let last = versions.last().unwrap();
    assert_eq!(doc.version_seq, last.seq);
    assert_eq!(doc.current_version, last.version_id);
    assert_eq!(doc.size, last.size);
    assert_eq!(doc.sha256, last.sha256);
    versions
}

/// Every blob key this document could have got from the recorded ids exists exactly when a
/// version names it: nothing unreferenced is left behind, nothing referenced is missing.
pub async fn assert_blobs_match_versions(env: &Env, t: TenantId, d: DocId, versions: &[Version]) {
    let referenced: HashSet<&str> = versions.iter().map(|v| v.blob_key.as_str()).collect();
    for id in env.ids.all() {
        let key = BlobKey::parse(&format!("tenants/{t}/docs/{d}/{id}")).unwrap();
        let exists = env.blobs.head(&key).await.is_ok();
        assert_eq!(
            exists,
            referenced.contains(key.as_str()),
            "blob {key}: exists={exists}, referenced={}",
            referenced.contains(key.as_str())
        );
    }
}
