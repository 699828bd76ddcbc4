//! Runs the one conformance suite against both adapters, plus adapter-specific checks.

// Test code: a failed setup step should panic right where it happens.
#![allow(clippy::unwrap_used)]

use bridge_blobs::conformance::{self, generated, unique_key};
use bridge_blobs::fs::{FsBlobs, READ_CHUNK};
use bridge_blobs::s3::S3Blobs;
use bridge_blobs::{BlobError, BlobStore};
use futures::StreamExt;

mod moto_shim;

fn fs_store() -> (tempfile::TempDir, FsBlobs) {
    let dir = tempfile::tempdir().unwrap();
    let store = FsBlobs::new(dir.path().join("blobs")).unwrap();
    (dir, store)
}

async fn s3_store() -> Option<(aws_sdk_s3::Client, S3Blobs)> {
    let moto = test_support::moto()?;
    let cfg = moto.sdk_config().await;
    let client = aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(&cfg)
            .force_path_style(true)
            .interceptor(moto_shim::CompleteMultipartRootFix)
            .build(),
    );
    let bucket = test_support::unique_name("blobs");
    client.create_bucket().bucket(&bucket).send().await.unwrap();
    Some((client.clone(), S3Blobs::new(client, bucket)))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fs_adapter_passes_conformance() {
    let (_dir, store) = fs_store();
    conformance::run_all(&store).await;
    let leftovers: Vec<_> = std::fs::read_dir(store.root().join("tmp"))
        .unwrap()
        .collect();
    assert!(
        leftovers.is_empty(),
        "temp files left behind: {leftovers:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s3_adapter_passes_conformance() {
    let Some((client, store)) = s3_store().await else {
        return;
    };
    conformance::run_all(&store).await;
    let uploads = client
        .list_multipart_uploads()
        .bucket(store.bucket())
        .send()
        .await
        .unwrap();
    assert!(
        uploads.uploads().is_empty(),
        "multipart uploads left behind: {:?}",
        uploads.uploads()
    );
    eprintln!("s3 conformance ran against moto");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fs_get_streams_without_buffering() {
    let (_dir, store) = fs_store();
    let key = unique_key("big");
    let (body, expected) = generated(9, 5 * 1024 * 1024, 1024 * 1024, None);
    store.put(&key, body, None).await.unwrap();
    let mut blob = store.get(&key).await.unwrap();
    assert_eq!(blob.meta, expected);
    let first = blob.body.next().await.unwrap().unwrap();
    assert!(
        !first.is_empty() && first.len() <= READ_CHUNK,
        "first chunk is {} bytes",
        first.len()
    );
    let mut total = first.len();
    while let Some(chunk) = blob.body.next().await {
        let chunk = chunk.unwrap();
        assert!(chunk.len() <= READ_CHUNK, "chunk of {} bytes", chunk.len());
        total += chunk.len();
    }
    assert_eq!(total as u64, expected.size);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fs_head_recomputes_missing_sidecar() {
    let (_dir, store) = fs_store();
    let key = unique_key("docs/d/v1");
    let data = b"content written before a crash".to_vec();
    let meta = store
        .put(&key, conformance::chunked(data, 5), None)
        .await
        .unwrap();
    let sidecar = store.root().join("meta").join(format!("{key}~.json"));
    assert!(
        sidecar.exists(),
        "sidecar expected at {}",
        sidecar.display()
    );
    // Crash between the data rename and the sidecar rename.
    std::fs::remove_file(&sidecar).unwrap();
    assert_eq!(store.head(&key).await.unwrap(), meta);
    assert!(sidecar.exists(), "head should rewrite the sidecar");
    assert_eq!(store.head(&key).await.unwrap(), meta);
    // get works too, and still returns the whole content.
    std::fs::remove_file(&sidecar).unwrap();
    let blob = store.get(&key).await.unwrap();
    assert_eq!(blob.meta, meta);
    assert_eq!(conformance::digest(blob.body).await, meta);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fs_head_ignores_stale_sidecar_after_crashed_overwrite() {
    let (_dir, store) = fs_store();
    let key = unique_key("overwritten");
    store
        .put(&key, conformance::chunked(b"old content".to_vec(), 4), None)
        .await
        .unwrap();
    let sidecar = store.root().join("meta").join(format!("{key}~.json"));
    let old_sidecar = std::fs::read(&sidecar).unwrap();
    let new = store
        .put(&key, conformance::chunked(b"new!".to_vec(), 4), None)
        .await
        .unwrap();
    // Crash after the new data was renamed in but before its sidecar was.
    std::fs::write(&sidecar, old_sidecar).unwrap();
    assert_eq!(store.head(&key).await.unwrap(), new);
    assert_eq!(store.get(&key).await.unwrap().meta, new);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fs_ready_fails_without_root() {
    let (dir, store) = fs_store();
    store.ready().await.unwrap();
    std::fs::remove_dir_all(dir.path().join("blobs")).unwrap();
    assert!(matches!(store.ready().await, Err(BlobError::Backend(_))));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s3_missing_bucket_and_missing_digest_are_backend_errors() {
    let Some((client, store)) = s3_store().await else {
        return;
    };
    let missing = S3Blobs::new(client.clone(), test_support::unique_name("nobucket"));
    assert!(matches!(missing.ready().await, Err(BlobError::Backend(_))));

    // An object written by something else, without our digest metadata.
    let key = unique_key("foreign");
    client
        .put_object()
        .bucket(store.bucket())
        .key(key.as_str())
        .body(aws_sdk_s3::primitives::ByteStream::from_static(b"foreign"))
        .send()
        .await
        .unwrap();
    match store.head(&key).await {
        Err(BlobError::Backend(msg)) => assert!(msg.contains("sha256"), "{msg}"),
        other => panic!("expected Backend error for missing sha256, got {other:?}"),
    }
}
