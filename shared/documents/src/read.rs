//! Reading documents: state, content (streamed), the per-client list and version history.
//!
//! Reads need no right beyond membership of the tenant, which the calling layer establishes:
//! without "add document" a user can still view and download (DOC-6), and downloads work
//! whatever the tenant's document platform, so documents stay available when Office is off or
//! unavailable (DOC-3).

use bridge_blobs::{Blob, BlobError, BlobKey};
use bridge_core::tenant::TenantId;
use bridge_store::{Item, Query};

use crate::model::from_item;
use crate::{
    ClientId, DocError, DocId, Document, DocumentSummary, Documents, Listing, PageRequest, Version,
    VersionId, keys,
};

/// Most index pages one [`Documents::list`] call reads while skipping archived documents; bounds
/// the cost of a list call however many archived documents a client has.
const MAX_INDEX_PAGES_PER_LIST: usize = 8;

/// A version's content, opened for streaming, with the state it belongs to.
#[derive(Debug)]
pub struct Content {
    /// The document as it was when the content was opened.
    pub document: Document,
    /// The version being streamed.
    pub version: Version,
    /// The bytes (never buffered whole).
    pub blob: Blob,
}

impl Documents {
    /// A document's raw item; [`DocError::NotFound`] when absent.
    pub(crate) async fn load_doc_item(
        &self,
        tenant: TenantId,
        doc_id: DocId,
    ) -> Result<Item, DocError> {
        self.table
            .get(&keys::doc(tenant, doc_id))
            .await?
            .ok_or_else(|| DocError::NotFound(format!("document {doc_id}")))
    }

    /// Version `seq` of a document.
    pub(crate) async fn load_version(
        &self,
        tenant: TenantId,
        doc_id: DocId,
        seq: i64,
    ) -> Result<Version, DocError> {
        match self.table.get(&keys::version(tenant, doc_id, seq)).await? {
            Some(item) => from_item(&item, "version"),
            None => Err(DocError::NotFound(format!(
                "version {seq} of document {doc_id}"
            ))),
        }
    }

    /// A document of this tenant; [`DocError::NotFound`] for unknown ids and for ids of other
    /// tenants alike. Archived documents are returned (with `archived` set).
    pub async fn get(&self, tenant: TenantId, doc_id: DocId) -> Result<Document, DocError> {
        from_item(&self.load_doc_item(tenant, doc_id).await?, "document")
    }

    /// One version of a document by its id (as given in WOPI `Version` or a history row).
    pub async fn version(
        &self,
        tenant: TenantId,
        doc_id: DocId,
        version_id: &str,
    ) -> Result<Version, DocError> {
        let vid = VersionId::parse(version_id)?;
        let not_found = || DocError::NotFound(format!("version {vid} of document {doc_id}"));
        let alias = self
            .table
            .get(&keys::version_alias(tenant, doc_id, vid))
            .await?
            .ok_or_else(not_found)?;
        let seq = alias.get_i64("seq").ok_or_else(|| {
            DocError::Corrupt(format!("version alias {} has no seq", alias.key.sk))
        })?;
        let v = self.load_version(tenant, doc_id, seq).await?;
        if v.version_id != vid {
            return Err(DocError::Corrupt(format!(
                "version alias {} points at another version",
                alias.key.sk
            )));
        }
        Ok(v)
    }

    /// Opens a version's content for a streamed download: the current version when `version` is
    /// `None`, else the version with that id. Works for archived documents and whatever the
    /// tenant's document platform (DOC-3).
    pub async fn open_content(
        &self,
        tenant: TenantId,
        doc_id: DocId,
        version: Option<&str>,
    ) -> Result<Content, DocError> {
        let document = self.get(tenant, doc_id).await?;
        let version = match version {
            Some(v) => self.version(tenant, doc_id, v).await?,
            None => {
                // Versions are immutable and keyed by number, so the pointer read above names
                // exactly one of them even if a save lands in between.
                let v = self
                    .load_version(tenant, doc_id, document.version_seq)
                    .await?;
                if v.version_id != document.current_version {
                    return Err(DocError::Corrupt(format!(
                        "document {doc_id}: version {} is not the current version",
                        document.version_seq
                    )));
                }
                v
            }
        };
        let key = BlobKey::parse(&version.blob_key)
            .map_err(|e| DocError::Corrupt(format!("version blob key: {e}")))?;
        match self.blobs.get(&key).await {
            Ok(blob) => Ok(Content {
                document,
                version,
                blob,
            }),
            Err(BlobError::NotFound(k)) => {
                // Deleted while we looked (DOC-11 delete removes blobs after the items)?
                match self.table.get(&keys::doc(tenant, doc_id)).await? {
                    None => Err(DocError::NotFound(format!("document {doc_id}"))),
                    Some(_) => Err(DocError::Blob(BlobError::NotFound(k))),
                }
            }
            Err(e) => Err(e.into()),
        }
    }

    /// A client file's documents, one page at a time, from the listing index (one query per
    /// page). Archived documents are left out unless `include_archived` (DOC-11); a page may
    /// then hold fewer items than asked while `next` is still set.
    pub async fn list(
        &self,
        tenant: TenantId,
        client_id: ClientId,
        include_archived: bool,
        page: &PageRequest,
    ) -> Result<Listing<DocumentSummary>, DocError> {
        let limit = page.checked_limit()?;
        self.get_client(tenant, client_id).await?;
        let prefix = keys::index_prefix(client_id);
        let mut cursor = page.cursor.clone();
        let mut items = Vec::new();
        for _ in 0..MAX_INDEX_PAGES_PER_LIST {
            let q = Query::partition(keys::pk(tenant))
                .prefix(prefix.clone())
                .limit(limit - items.len())
                .after(cursor.clone());
            let res = self.table.query(&q).await?;
            for item in &res.items {
                let row: DocumentSummary = from_item(item, "document index entry")?;
                if include_archived || !row.archived {
                    items.push(row);
                }
            }
            // Each query asks only for what is still missing, so a whole raw page is consumed
            // and its cursor is where the next page starts.
            cursor = res.next;
            if cursor.is_none() || items.len() >= limit {
                break;
            }
        }
        Ok(Listing {
            items,
            next: cursor,
        })
    }

    /// A document's versions, newest first (DOC-12).
    pub async fn history(
        &self,
        tenant: TenantId,
        doc_id: DocId,
        page: &PageRequest,
    ) -> Result<Listing<Version>, DocError> {
        let limit = page.checked_limit()?;
        self.load_doc_item(tenant, doc_id).await?;
        let q = Query::partition(keys::pk(tenant))
            .prefix(keys::versions_prefix(doc_id))
            .limit(limit)
            .after(page.cursor.clone())
            .descending();
        let res = self.table.query(&q).await?;
        let items = res
            .items
            .iter()
            .map(|i| from_item(i, "version"))
            .collect::<Result<_, _>>()?;
        Ok(Listing {
            items,
            next: res.next,
        })
    }
}
