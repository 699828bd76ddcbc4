//! S3 adapter (production).
//!
//! `put` streams: bodies up to one part ([`PART_SIZE`]) go up as a single `PutObject`; larger
//! ones as a multipart upload holding one part in memory at a time. The SHA-256 is computed while
//! streaming and stored as the user metadata `sha256` (for multipart uploads by a conditional
//! self-copy after completion, since the digest is only known at the end). Failed or oversized
//! uploads are aborted, so nothing is left behind and an earlier object under the key is kept.

use std::collections::HashMap;

use async_trait::async_trait;
use aws_sdk_s3::Client;
use aws_sdk_s3::config::http::HttpResponse;
use aws_sdk_s3::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_s3::primitives::ByteStream as S3Body;
use aws_sdk_s3::types::{CompletedMultipartUpload, CompletedPart, MetadataDirective};
use bytes::{Bytes, BytesMut};
use futures::StreamExt;
use sha2::{Digest, Sha256};

use crate::{Blob, BlobError, BlobKey, BlobMeta, BlobStore, ByteStream};

/// Multipart part size, and the largest body sent as a single `PutObject`. Bounds the memory a
/// `put` holds (S3 requires parts of at least 5 MiB, except the last).
pub const PART_SIZE: usize = 8 * 1024 * 1024;

/// The user-metadata key holding the hex SHA-256 (sent as `x-amz-meta-sha256`).
pub const SHA256_META: &str = "sha256";

/// Blob store on an S3 bucket.
#[derive(Debug, Clone)]
pub struct S3Blobs {
    client: Client,
    bucket: String,
}

/// Why an S3 call failed, as a `BlobError`: `NotFound` for a missing object, otherwise `Backend`
/// with the operation, HTTP status and S3 error code. Only error messages go in, never a raw
/// response (whose body or headers we do not control).
fn map_err<E>(op: &str, key: Option<&BlobKey>, err: SdkError<E, HttpResponse>) -> BlobError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    let http = status(&err);
    let code = err.code();
    if let Some(key) = key
        && code != Some("NoSuchBucket")
        && (http == Some(404) || matches!(code, Some("NoSuchKey" | "NotFound")))
    {
        return BlobError::NotFound(key.to_string());
    }
    let http = http.map_or_else(|| "no HTTP status".to_owned(), |s| format!("HTTP {s}"));
    match (err.as_service_error(), code) {
        (Some(_), Some(code)) => BlobError::Backend(format!(
            "S3 {op} failed ({http}): {code}: {}",
            err.message().unwrap_or("no message")
        )),
        (Some(se), None) => {
            BlobError::Backend(format!("S3 {op} failed ({http}): {}", error_chain(se)))
        }
        (None, _) => BlobError::Backend(format!("S3 {op} failed ({http}): {}", error_chain(&err))),
    }
}

/// `err: source: source…`, from `Display` only (the SDK's `Debug` includes the raw response).
fn error_chain(err: &(dyn std::error::Error + 'static)) -> String {
    let mut out = err.to_string();
    let mut next = err.source();
    while let Some(e) = next {
        out.push_str(": ");
        out.push_str(&e.to_string());
        next = e.source();
    }
    out
}

fn status<E>(err: &SdkError<E, HttpResponse>) -> Option<u16> {
    err.raw_response().map(|r| r.status().as_u16())
}

/// Percent-encodes a key for `x-amz-copy-source`, leaving `/` and unreserved characters.
fn encode_copy_source(bucket: &str, key: &BlobKey) -> String {
    let mut out = String::with_capacity(bucket.len() + key.as_str().len() + 8);
    out.push_str(bucket);
    out.push('/');
    for b in key.as_str().bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~' | b'/') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn meta_from(
    size: Option<i64>,
    metadata: Option<&HashMap<String, String>>,
    key: &BlobKey,
) -> Result<BlobMeta, BlobError> {
    let size = size
        .and_then(|n| u64::try_from(n).ok())
        .ok_or_else(|| BlobError::Backend(format!("S3 object {key} has no content length")))?;
    let sha256 = metadata
        .and_then(|m| m.get(SHA256_META))
        .cloned()
        .ok_or_else(|| {
            BlobError::Backend(format!("S3 object {key} has no {SHA256_META} metadata"))
        })?;
    Ok(BlobMeta { size, sha256 })
}

/// Reads the body, counting and hashing, until `buf` holds more than `want` bytes or the body
/// ends. Returns whether it ended.
async fn fill(
    body: &mut ByteStream,
    buf: &mut BytesMut,
    want: usize,
    hasher: &mut Sha256,
    total: &mut u64,
    max_size: Option<u64>,
) -> Result<bool, BlobError> {
    while buf.len() <= want {
        match body.next().await {
            None => return Ok(true),
            Some(Err(e)) => return Err(BlobError::Body(e)),
            Some(Ok(chunk)) => {
                *total += chunk.len() as u64;
                if let Some(limit) = max_size
                    && *total > limit
                {
                    return Err(BlobError::TooLarge { limit });
                }
                hasher.update(&chunk);
                buf.extend_from_slice(&chunk);
            }
        }
    }
    Ok(false)
}

/// Aborts a multipart upload when dropped unless disarmed, so a cancelled `put` leaves no parts.
struct AbortGuard {
    client: Client,
    bucket: String,
    key: String,
    upload_id: Option<String>,
}

impl AbortGuard {
    async fn abort(mut self) {
        if let Some(id) = self.upload_id.take() {
            abort_upload(&self.client, &self.bucket, &self.key, &id).await;
        }
    }

    fn disarm(mut self) {
        self.upload_id = None;
    }
}

impl Drop for AbortGuard {
    fn drop(&mut self) {
        if let Some(id) = self.upload_id.take()
            && let Ok(rt) = tokio::runtime::Handle::try_current()
        {
            let (client, bucket, key) =
                (self.client.clone(), self.bucket.clone(), self.key.clone());
            rt.spawn(async move { abort_upload(&client, &bucket, &key, &id).await });
        }
    }
}

async fn abort_upload(client: &Client, bucket: &str, key: &str, upload_id: &str) {
    let res = client
        .abort_multipart_upload()
        .bucket(bucket)
        .key(key)
        .upload_id(upload_id)
        .send()
        .await;
    if let Err(e) = res {
        let code = e
            .as_service_error()
            .and_then(|s| s.code())
            .unwrap_or("no error code");
        tracing::warn!(bucket, key, code, "aborting multipart upload failed");
    }
}

impl S3Blobs {
    /// A store on `bucket`. The bucket must exist; see [`BlobStore::ready`].
    pub fn new(client: Client, bucket: impl Into<String>) -> S3Blobs {
        S3Blobs {
            client,
            bucket: bucket.into(),
        }
    }

    /// The bucket name.
    pub fn bucket(&self) -> &str {
        &self.bucket
    }

    async fn put_single(
        &self,
        key: &BlobKey,
        data: Bytes,
        meta: &BlobMeta,
    ) -> Result<(), BlobError> {
        let len = i64::try_from(data.len())
            .map_err(|_| BlobError::Backend("body length overflows i64".into()))?;
        self.client
            .put_object()
            .bucket(&self.bucket)
            .key(key.as_str())
            .content_length(len)
            .metadata(SHA256_META, &meta.sha256)
            .body(S3Body::from(data))
            .send()
            .await
            .map_err(|e| map_err("PutObject", None, e))?;
        Ok(())
    }

    /// Uploads `buf` (the first part and a little more) and the rest of `body` as a multipart
    /// upload, one part in memory at a time. Aborts the upload on any failure.
    async fn put_multipart(
        &self,
        key: &BlobKey,
        mut buf: BytesMut,
        body: &mut ByteStream,
        mut hasher: Sha256,
        mut total: u64,
        max_size: Option<u64>,
    ) -> Result<BlobMeta, BlobError> {
        let created = self
            .client
            .create_multipart_upload()
            .bucket(&self.bucket)
            .key(key.as_str())
            .send()
            .await
            .map_err(|e| map_err("CreateMultipartUpload", None, e))?;
        let upload_id = created
            .upload_id()
            .ok_or_else(|| {
                BlobError::Backend("S3 CreateMultipartUpload returned no upload id".into())
            })?
            .to_owned();
        let guard = AbortGuard {
            client: self.client.clone(),
            bucket: self.bucket.clone(),
            key: key.as_str().to_owned(),
            upload_id: Some(upload_id.clone()),
        };

        let mut parts = Vec::new();
        let mut ended = false;
        let result = async {
            loop {
                if !ended {
                    ended =
                        fill(body, &mut buf, PART_SIZE, &mut hasher, &mut total, max_size).await?;
                }
                if buf.is_empty() {
                    break;
                }
                let take = buf.len().min(PART_SIZE);
                let part = buf.split_to(take).freeze();
                let number = i32::try_from(parts.len() + 1)
                    .map_err(|_| BlobError::Backend("too many parts".into()))?;
                let len = i64::try_from(part.len())
                    .map_err(|_| BlobError::Backend("part length overflows i64".into()))?;
                let out = self
                    .client
                    .upload_part()
                    .bucket(&self.bucket)
                    .key(key.as_str())
                    .upload_id(&upload_id)
                    .part_number(number)
                    .content_length(len)
                    .body(S3Body::from(part))
                    .send()
                    .await
                    .map_err(|e| map_err("UploadPart", None, e))?;
                parts.push(
                    CompletedPart::builder()
                        .part_number(number)
                        .set_e_tag(out.e_tag().map(str::to_owned))
                        .build(),
                );
                if ended && buf.is_empty() {
                    break;
                }
            }
            let done = self
                .client
                .complete_multipart_upload()
                .bucket(&self.bucket)
                .key(key.as_str())
                .upload_id(&upload_id)
                .multipart_upload(
                    CompletedMultipartUpload::builder()
                        .set_parts(Some(parts))
                        .build(),
                )
                .send()
                .await
                .map_err(|e| map_err("CompleteMultipartUpload", None, e))?;
            Ok::<_, BlobError>(done.e_tag().map(str::to_owned))
        }
        .await;

        let etag = match result {
            Ok(etag) => {
                guard.disarm();
                etag
            }
            Err(e) => {
                guard.abort().await;
                return Err(e);
            }
        };
        let meta = BlobMeta {
            size: total,
            sha256: hex::encode(hasher.finalize()),
        };
        self.set_sha_metadata(key, etag.as_deref(), &meta).await?;
        Ok(meta)
    }

    /// Adds the digest to a just-completed multipart object by copying it onto itself. The copy
    /// is conditional on the ETag so a racing writer's newer object never gets our digest.
    async fn set_sha_metadata(
        &self,
        key: &BlobKey,
        etag: Option<&str>,
        meta: &BlobMeta,
    ) -> Result<(), BlobError> {
        let res = self
            .client
            .copy_object()
            .bucket(&self.bucket)
            .key(key.as_str())
            .copy_source(encode_copy_source(&self.bucket, key))
            .set_copy_source_if_match(etag.map(str::to_owned))
            .metadata_directive(MetadataDirective::Replace)
            .metadata(SHA256_META, &meta.sha256)
            .send()
            .await;
        match res {
            Ok(_) => Ok(()),
            // Another put replaced the object after ours completed: last writer wins.
            Err(e) if status(&e) == Some(412) => Ok(()),
            Err(e) => {
                let err = map_err("CopyObject", None, e);
                // Do not leave an object without its digest behind.
                let _ = self.delete(key).await;
                Err(err)
            }
        }
    }
}

#[async_trait]
impl BlobStore for S3Blobs {
    #[tracing::instrument(skip_all, fields(bucket = %self.bucket, key = %key))]
    async fn put(
        &self,
        key: &BlobKey,
        mut body: ByteStream,
        max_size: Option<u64>,
    ) -> Result<BlobMeta, BlobError> {
        let mut hasher = Sha256::new();
        let mut total = 0u64;
        let mut buf = BytesMut::new();
        let ended = fill(
            &mut body,
            &mut buf,
            PART_SIZE,
            &mut hasher,
            &mut total,
            max_size,
        )
        .await?;
        if ended {
            let meta = BlobMeta {
                size: total,
                sha256: hex::encode(hasher.finalize()),
            };
            self.put_single(key, buf.freeze(), &meta).await?;
            return Ok(meta);
        }
        self.put_multipart(key, buf, &mut body, hasher, total, max_size)
            .await
    }

    #[tracing::instrument(skip_all, fields(bucket = %self.bucket, key = %key))]
    async fn get(&self, key: &BlobKey) -> Result<Blob, BlobError> {
        let out = self
            .client
            .get_object()
            .bucket(&self.bucket)
            .key(key.as_str())
            .send()
            .await
            .map_err(|e| map_err("GetObject", Some(key), e))?;
        let meta = meta_from(out.content_length(), out.metadata(), key)?;
        let body: ByteStream = Box::pin(futures::stream::unfold(out.body, |mut b| async move {
            b.next()
                .await
                .map(|r| (r.map_err(std::io::Error::other), b))
        }));
        Ok(Blob { meta, body })
    }

    #[tracing::instrument(skip_all, fields(bucket = %self.bucket, key = %key))]
    async fn head(&self, key: &BlobKey) -> Result<BlobMeta, BlobError> {
        let out = self
            .client
            .head_object()
            .bucket(&self.bucket)
            .key(key.as_str())
            .send()
            .await
            .map_err(|e| map_err("HeadObject", Some(key), e))?;
        meta_from(out.content_length(), out.metadata(), key)
    }

    #[tracing::instrument(skip_all, fields(bucket = %self.bucket, key = %key))]
    async fn delete(&self, key: &BlobKey) -> Result<(), BlobError> {
        self.client
            .delete_object()
            .bucket(&self.bucket)
            .key(key.as_str())
            .send()
            .await
            .map_err(|e| map_err("DeleteObject", None, e))?;
        Ok(())
    }

    #[tracing::instrument(skip_all, fields(bucket = %self.bucket))]
    async fn ready(&self) -> Result<(), BlobError> {
        self.client
            .head_bucket()
            .bucket(&self.bucket)
            .send()
            .await
            .map_err(|e| map_err("HeadBucket", None, e))?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use aws_sdk_s3::error::ErrorMetadata;
    use aws_sdk_s3::operation::get_object::GetObjectError;
    use aws_sdk_s3::primitives::SdkBody;
    use aws_sdk_s3::types::error::NoSuchKey;

    fn sdk_err(status: u16, e: GetObjectError) -> SdkError<GetObjectError, HttpResponse> {
        let status = aws_smithy_runtime_api::http::StatusCode::try_from(status).unwrap();
        let raw = HttpResponse::new(status, SdkBody::from("SECRET-BODY-BYTES"));
        SdkError::service_error(e, raw)
    }

    fn generic(code: Option<&str>) -> GetObjectError {
        let mut m = ErrorMetadata::builder().message("msg");
        if let Some(c) = code {
            m = m.code(c);
        }
        GetObjectError::generic(m.build())
    }

    #[test]
    fn missing_objects_map_to_not_found() {
        let k = BlobKey::parse("a/b").unwrap();
        let e = sdk_err(404, GetObjectError::NoSuchKey(NoSuchKey::builder().build()));
        assert!(matches!(map_err("GetObject", Some(&k), e), BlobError::NotFound(s) if s == "a/b"));
        // HeadObject's 404 has no body, hence no code.
        let e = sdk_err(404, generic(None));
        assert!(matches!(
            map_err("HeadObject", Some(&k), e),
            BlobError::NotFound(_)
        ));
    }

    #[test]
    fn other_errors_are_backend_with_code_but_no_raw_response() {
        let k = BlobKey::parse("a/b").unwrap();
        let cases = [
            (404, Some("NoSuchBucket"), "NoSuchBucket"),
            (500, Some("InternalError"), "HTTP 500"),
            (403, Some("AccessDenied"), "AccessDenied"),
            (200, None, "HTTP 200"),
        ];
        for (status, code, want) in cases {
            match map_err("GetObject", Some(&k), sdk_err(status, generic(code))) {
                BlobError::Backend(msg) => {
                    assert!(msg.contains(want) && msg.contains("GetObject"), "{msg}");
                    assert!(!msg.contains("SECRET"), "raw response leaked: {msg}");
                }
                other => panic!("expected Backend for {status} {code:?}, got {other:?}"),
            }
        }
    }

    #[test]
    fn copy_source_is_percent_encoded() {
        let k = BlobKey::parse("t/a#b+c=d@e_f-g.h").unwrap();
        assert_eq!(
            encode_copy_source("bkt", &k),
            "bkt/t/a%23b%2Bc%3Dd%40e_f-g.h"
        );
    }

    #[test]
    fn meta_requires_sha_and_length() {
        let k = BlobKey::parse("k").unwrap();
        let mut m = HashMap::new();
        assert!(
            matches!(meta_from(Some(3), Some(&m), &k), Err(BlobError::Backend(s)) if s.contains("sha256"))
        );
        m.insert(SHA256_META.to_owned(), "ab".to_owned());
        assert!(matches!(
            meta_from(None, Some(&m), &k),
            Err(BlobError::Backend(_))
        ));
        assert_eq!(
            meta_from(Some(3), Some(&m), &k).unwrap(),
            BlobMeta {
                size: 3,
                sha256: "ab".into()
            }
        );
    }
}
