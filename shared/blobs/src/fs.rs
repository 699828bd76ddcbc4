//! Filesystem adapter, for `bridge-local` (embedded mode) and tests.
//!
//! Layout under the root directory:
//!
//! - `tmp/` — bodies being written; renamed away when complete, removed on failure.
//! - `objects/<key>~` — the content. The `~` (not allowed in keys) keeps a key such as `a` from
//!   colliding with the directory needed by a key such as `a/b`, as both can exist on S3.
//! - `meta/<key>~.json` — a sidecar with size, SHA-256 and the identity of the data file it
//!   describes, written after the content. A missing or stale sidecar (a crash between the two
//!   renames, or a racing overwrite) is detected by that identity and recomputed from the data.
//!
//! Writes go to a temp file on the same filesystem and are renamed into place, so a reader sees
//! the old or the new content, never a mix. Paths are only ever built from a validated
//! [`BlobKey`], so no key can escape the root.

use std::io;
use std::path::{Path, PathBuf};

use async_trait::async_trait;
use futures::StreamExt;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use tokio::io::{AsyncReadExt, AsyncSeekExt, AsyncWriteExt};
use tokio_util::io::ReaderStream;

use crate::{Blob, BlobError, BlobKey, BlobMeta, BlobStore, ByteStream};

/// Chunk size of streamed reads: bounds the memory a `get` holds per blob. Each chunk is one
/// trip to tokio's blocking pool (`tokio::fs` reads there), so small chunks make a large
/// download spend its time switching threads: 512 KiB keeps a 50 MB GetFile to about 100
/// trips while four concurrent downloads hold about 2 MiB.
pub const READ_CHUNK: usize = 512 * 1024;

const DATA_SUFFIX: &str = "~";
const META_SUFFIX: &str = "~.json";

/// Longest key segment this adapter stores: file names are limited to 255 bytes on common
/// filesystems, and the sidecar adds [`META_SUFFIX`].
pub const MAX_SEGMENT_LEN: usize = 255 - META_SUFFIX.len();

/// Whether every segment of `key` fits in a file name; longer keys cannot exist here.
fn fits(key: &BlobKey) -> bool {
    key.segments().all(|seg| seg.len() <= MAX_SEGMENT_LEN)
}

/// Blob store on a local directory.
#[derive(Debug, Clone)]
pub struct FsBlobs {
    root: PathBuf,
}

/// The on-disk sidecar. `ino`/`mtime_ns` identify the data file it was computed from.
#[derive(Debug, Serialize, Deserialize, PartialEq, Eq)]
struct Sidecar {
    size: u64,
    sha256: String,
    ino: u64,
    mtime_ns: u128,
}

/// Identity of a data file: a rename-into-place always yields a new one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct FileId {
    size: u64,
    ino: u64,
    mtime_ns: u128,
}

impl FileId {
    fn of(md: &std::fs::Metadata) -> FileId {
        #[cfg(unix)]
        let ino = std::os::unix::fs::MetadataExt::ino(md);
        #[cfg(not(unix))]
        let ino = 0;
        let mtime_ns = md
            .modified()
            .ok()
            .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
            .map_or(0, |d| d.as_nanos());
        FileId {
            size: md.len(),
            ino,
            mtime_ns,
        }
    }

    fn matches(&self, s: &Sidecar) -> bool {
        self.size == s.size && self.ino == s.ino && self.mtime_ns == s.mtime_ns
    }
}

/// Removes a temp file when dropped unless disarmed: covers error returns and cancelled futures.
struct TempGuard {
    path: Option<PathBuf>,
}

impl TempGuard {
    fn disarm(&mut self) {
        self.path = None;
    }
}

impl Drop for TempGuard {
    fn drop(&mut self) {
        if let Some(p) = self.path.take() {
            let _ = std::fs::remove_file(p);
        }
    }
}

fn backend(what: &str, e: &io::Error) -> BlobError {
    BlobError::Backend(format!("{what}: {e}"))
}

impl FsBlobs {
    /// Opens (creating if needed) a blob store rooted at `root`.
    pub fn new(root: impl Into<PathBuf>) -> Result<FsBlobs, BlobError> {
        let root = root.into();
        for sub in ["", "tmp", "objects", "meta"] {
            std::fs::create_dir_all(root.join(sub))
                .map_err(|e| backend(&format!("creating {}", root.join(sub).display()), &e))?;
        }
        Ok(FsBlobs { root })
    }

    /// The root directory.
    pub fn root(&self) -> &Path {
        &self.root
    }

    fn path_under(&self, tree: &str, key: &BlobKey, suffix: &str) -> PathBuf {
        let mut p = self.root.join(tree);
        let mut segs = key.segments().peekable();
        while let Some(seg) = segs.next() {
            if segs.peek().is_some() {
                p.push(seg);
            } else {
                p.push(format!("{seg}{suffix}"));
            }
        }
        p
    }

    fn data_path(&self, key: &BlobKey) -> PathBuf {
        self.path_under("objects", key, DATA_SUFFIX)
    }

    fn meta_path(&self, key: &BlobKey) -> PathBuf {
        self.path_under("meta", key, META_SUFFIX)
    }

    fn temp_path(&self) -> PathBuf {
        self.root
            .join("tmp")
            .join(uuid::Uuid::new_v4().simple().to_string())
    }

    /// Opens the data file, mapping a missing file to `NotFound`.
    async fn open_data(&self, key: &BlobKey) -> Result<(tokio::fs::File, FileId), BlobError> {
        if !fits(key) {
            return Err(BlobError::NotFound(key.to_string()));
        }
        let file = match tokio::fs::File::open(self.data_path(key)).await {
            Ok(f) => f,
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                return Err(BlobError::NotFound(key.to_string()));
            }
            Err(e) => return Err(backend("opening blob", &e)),
        };
        let md = file
            .metadata()
            .await
            .map_err(|e| backend("stat blob", &e))?;
        if !md.is_file() {
            return Err(BlobError::NotFound(key.to_string()));
        }
        Ok((file, FileId::of(&md)))
    }

    /// Meta for the open data file: from the sidecar if it describes this very file, otherwise
    /// recomputed from the content (leaving the read position at the start) and rewritten.
    async fn meta_for(
        &self,
        key: &BlobKey,
        file: &mut tokio::fs::File,
        id: FileId,
    ) -> Result<BlobMeta, BlobError> {
        if let Some(s) = self.read_sidecar(key).await
            && id.matches(&s)
        {
            return Ok(BlobMeta {
                size: s.size,
                sha256: s.sha256,
            });
        }
        tracing::warn!(key = %key, "blob sidecar missing or stale; recomputing");
        let meta = hash_file(file).await?;
        file.seek(io::SeekFrom::Start(0))
            .await
            .map_err(|e| backend("rewinding blob", &e))?;
        self.write_sidecar(key, &meta, id).await?;
        Ok(meta)
    }

    async fn read_sidecar(&self, key: &BlobKey) -> Option<Sidecar> {
        let bytes = tokio::fs::read(self.meta_path(key)).await.ok()?;
        serde_json::from_slice(&bytes).ok()
    }

    async fn write_sidecar(
        &self,
        key: &BlobKey,
        meta: &BlobMeta,
        id: FileId,
    ) -> Result<(), BlobError> {
        let side = Sidecar {
            size: meta.size,
            sha256: meta.sha256.clone(),
            ino: id.ino,
            mtime_ns: id.mtime_ns,
        };
        let json = serde_json::to_vec(&side)
            .map_err(|e| BlobError::Backend(format!("encoding sidecar: {e}")))?;
        let tmp = self.temp_path();
        let mut guard = TempGuard {
            path: Some(tmp.clone()),
        };
        let mut f = tokio::fs::File::create(&tmp)
            .await
            .map_err(|e| backend("creating sidecar temp file", &e))?;
        f.write_all(&json)
            .await
            .map_err(|e| backend("writing sidecar", &e))?;
        f.sync_all()
            .await
            .map_err(|e| backend("syncing sidecar", &e))?;
        drop(f);
        rename_into(&tmp, &self.meta_path(key)).await?;
        guard.disarm();
        Ok(())
    }
}

/// Renames `from` to `to`, creating `to`'s parent directories first.
async fn rename_into(from: &Path, to: &Path) -> Result<(), BlobError> {
    if let Some(parent) = to.parent() {
        tokio::fs::create_dir_all(parent)
            .await
            .map_err(|e| backend("creating blob directory", &e))?;
    }
    tokio::fs::rename(from, to)
        .await
        .map_err(|e| backend("renaming blob into place", &e))
}

/// Streams the whole file through SHA-256 in `READ_CHUNK` pieces.
async fn hash_file(file: &mut tokio::fs::File) -> Result<BlobMeta, BlobError> {
    file.seek(io::SeekFrom::Start(0))
        .await
        .map_err(|e| backend("rewinding blob", &e))?;
    let mut hasher = Sha256::new();
    let mut size = 0u64;
    let mut buf = vec![0u8; READ_CHUNK];
    loop {
        let n = file
            .read(&mut buf)
            .await
            .map_err(|e| backend("reading blob", &e))?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
        size += n as u64;
    }
    Ok(BlobMeta {
        size,
        sha256: hex::encode(hasher.finalize()),
    })
}

#[async_trait]
impl BlobStore for FsBlobs {
    #[tracing::instrument(skip_all, fields(key = %key))]
    async fn put(
        &self,
        key: &BlobKey,
        mut body: ByteStream,
        max_size: Option<u64>,
    ) -> Result<BlobMeta, BlobError> {
        if !fits(key) {
            return Err(BlobError::InvalidKey(format!(
                "the filesystem store takes key segments of at most {MAX_SEGMENT_LEN} bytes"
            )));
        }
        let tmp = self.temp_path();
        // Declared before the file so the file is closed before the guard removes it.
        let mut guard = TempGuard {
            path: Some(tmp.clone()),
        };
        let mut file = tokio::fs::File::create(&tmp)
            .await
            .map_err(|e| backend("creating temp file", &e))?;
        let mut hasher = Sha256::new();
        let mut size = 0u64;
        while let Some(chunk) = body.next().await {
            let chunk = chunk.map_err(BlobError::Body)?;
            size += chunk.len() as u64;
            if let Some(limit) = max_size
                && size > limit
            {
                return Err(BlobError::TooLarge { limit });
            }
            hasher.update(&chunk);
            file.write_all(&chunk)
                .await
                .map_err(|e| backend("writing temp file", &e))?;
        }
        file.flush()
            .await
            .map_err(|e| backend("flushing temp file", &e))?;
        file.sync_all()
            .await
            .map_err(|e| backend("syncing temp file", &e))?;
        let meta = BlobMeta {
            size,
            sha256: hex::encode(hasher.finalize()),
        };
        // Identify the file before the rename (which keeps inode and mtime): stat-ing the path
        // afterwards could see a racing writer's file and tie our digest to its content.
        let md = file
            .metadata()
            .await
            .map_err(|e| backend("stat temp file", &e))?;
        drop(file);

        rename_into(&tmp, &self.data_path(key)).await?;
        guard.disarm();
        self.write_sidecar(key, &meta, FileId::of(&md)).await?;
        Ok(meta)
    }

    #[tracing::instrument(skip_all, fields(key = %key))]
    async fn get(&self, key: &BlobKey) -> Result<Blob, BlobError> {
        let (mut file, id) = self.open_data(key).await?;
        let meta = self.meta_for(key, &mut file, id).await?;
        let body: ByteStream = Box::pin(ReaderStream::with_capacity(file, READ_CHUNK));
        Ok(Blob { meta, body })
    }

    #[tracing::instrument(skip_all, fields(key = %key))]
    async fn head(&self, key: &BlobKey) -> Result<BlobMeta, BlobError> {
        let (mut file, id) = self.open_data(key).await?;
        self.meta_for(key, &mut file, id).await
    }

    #[tracing::instrument(skip_all, fields(key = %key))]
    async fn delete(&self, key: &BlobKey) -> Result<(), BlobError> {
        if !fits(key) {
            return Ok(());
        }
        // Data first: once it is gone the blob is gone; a leftover sidecar is ignored.
        for path in [self.data_path(key), self.meta_path(key)] {
            match tokio::fs::remove_file(&path).await {
                Ok(()) => {}
                Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                Err(e) => return Err(backend("deleting blob", &e)),
            }
        }
        Ok(())
    }

    #[tracing::instrument(skip(self))]
    async fn ready(&self) -> Result<(), BlobError> {
        for sub in ["tmp", "objects", "meta"] {
            let md = tokio::fs::metadata(self.root.join(sub))
                .await
                .map_err(|e| backend(&format!("blob root {sub}/"), &e))?;
            if !md.is_dir() {
                return Err(BlobError::Backend(format!(
                    "blob root {sub}/ is not a directory"
                )));
            }
            if md.permissions().readonly() {
                return Err(BlobError::Backend(format!("blob root {sub}/ is read-only")));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_map_inside_the_root_without_collisions() {
        let s = FsBlobs {
            root: PathBuf::from("/r"),
        };
        let a = BlobKey::parse("a").unwrap();
        let ab = BlobKey::parse("a/b").unwrap();
        assert_eq!(s.data_path(&a), PathBuf::from("/r/objects/a~"));
        assert_eq!(s.data_path(&ab), PathBuf::from("/r/objects/a/b~"));
        assert_eq!(s.meta_path(&ab), PathBuf::from("/r/meta/a/b~.json"));
    }

    #[tokio::test]
    async fn overlong_segments_are_refused_up_front() {
        let dir = tempfile::tempdir().unwrap();
        let s = FsBlobs::new(dir.path()).unwrap();
        let key = BlobKey::parse(&format!("t/{}", "x".repeat(MAX_SEGMENT_LEN + 1))).unwrap();
        let body: ByteStream = Box::pin(futures::stream::iter([Ok(bytes::Bytes::from("x"))]));
        assert!(matches!(
            s.put(&key, body, None).await,
            Err(BlobError::InvalidKey(_))
        ));
        assert!(matches!(s.head(&key).await, Err(BlobError::NotFound(_))));
        assert!(s.delete(&key).await.is_ok());
        let ok = BlobKey::parse(&format!("t/{}", "x".repeat(MAX_SEGMENT_LEN))).unwrap();
        let body: ByteStream = Box::pin(futures::stream::iter([Ok(bytes::Bytes::from("x"))]));
        assert_eq!(s.put(&ok, body, None).await.unwrap().size, 1);
        assert_eq!(s.head(&ok).await.unwrap().size, 1);
    }
}
