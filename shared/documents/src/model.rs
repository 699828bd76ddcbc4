//! The documents domain's records, as stored (attribute names are the serde field names).
//!
//! Items are read with serde, which ignores attributes it does not know: other modules (the WOPI
//! lock) keep their own attributes on the document item, and this code never drops them because
//! it changes documents only with partial updates.

use bridge_core::clock::EpochMillis;
use bridge_core::tenant::UserId;
use bridge_store::Item;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::{ClientId, DocError, DocId, VersionId};

/// A client file: the record documents belong to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClientFile {
    /// Its id.
    pub client_id: ClientId,
    /// Display name.
    pub name: String,
    /// When it was created (epoch ms).
    pub created_at: EpochMillis,
    /// Who created it.
    pub created_by: UserId,
}

/// A document: its current state and the pointer to its current version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Document {
    /// Its id (also the WOPI file id).
    pub doc_id: DocId,
    /// The client file it belongs to.
    pub client_id: ClientId,
    /// Base name including the extension (WOPI `BaseFileName`).
    pub name: String,
    /// Lowercase extension without the dot; decides how the document opens.
    pub extension: String,
    /// Labels such as [`crate::GENERATED_LETTER_LABEL`].
    #[serde(default)]
    pub labels: Vec<String>,
    /// The owning user (the uploader).
    pub owner: UserId,
    /// Size of the current version, bytes.
    pub size: u64,
    /// SHA-256 of the current version, lowercase hex.
    pub sha256: String,
    /// Id of the current version (WOPI `Version`).
    pub current_version: VersionId,
    /// Number of the current version; versions are numbered 1, 2, … without gaps.
    pub version_seq: i64,
    /// Optimistic-concurrency counter, bumped by every change of this item.
    pub ver: i64,
    /// Who uploaded it.
    pub created_by: UserId,
    /// When it was uploaded (epoch ms).
    pub created_at: EpochMillis,
    /// Who wrote the current content.
    pub modified_by: UserId,
    /// When the current content was written (epoch ms).
    pub modified_at: EpochMillis,
    /// Archived documents are hidden from default listings and cannot be changed (DOC-11).
    pub archived: bool,
    /// WOPI lock id, maintained by the WOPI lock module (read-only here).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lock_id: Option<String>,
    /// WOPI lock expiry (epoch ms), maintained by the WOPI lock module (read-only here).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lock_expires_at: Option<EpochMillis>,
}

/// Why a version was written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VersionCause {
    /// The first version, or a new one uploaded through the app (DOC-3).
    Upload,
    /// A save from Office for the web (WOPI PutFile).
    Save,
    /// A restore of an older version (DOC-12).
    Restore,
    /// A conversion of a legacy format (DOC-5).
    Conversion,
}

/// One immutable version of a document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Version {
    /// The document.
    pub doc_id: DocId,
    /// Its number: 1 for the upload, then +1 per save, without gaps.
    pub seq: i64,
    /// Its id.
    pub version_id: VersionId,
    /// Where its content is (never overwritten).
    pub blob_key: String,
    /// Content size, bytes.
    pub size: u64,
    /// Content SHA-256, lowercase hex.
    pub sha256: String,
    /// Who wrote it.
    pub created_by: UserId,
    /// When (epoch ms).
    pub created_at: EpochMillis,
    /// Why.
    pub cause: VersionCause,
}

/// A row of a client's document list, read from the listing index (one query per page).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DocumentSummary {
    /// The document.
    pub doc_id: DocId,
    /// Its client file.
    pub client_id: ClientId,
    /// Name including the extension.
    pub name: String,
    /// Lowercase extension.
    pub extension: String,
    /// Whether it is archived.
    pub archived: bool,
    /// Current size, bytes.
    pub size: u64,
    /// When the current content was written (epoch ms).
    pub modified_at: EpochMillis,
}

impl DocumentSummary {
    /// The index row of a document's state.
    pub fn of(doc: &Document) -> Self {
        DocumentSummary {
            doc_id: doc.doc_id,
            client_id: doc.client_id,
            name: doc.name.clone(),
            extension: doc.extension.clone(),
            archived: doc.archived,
            size: doc.size,
            modified_at: doc.modified_at,
        }
    }
}

/// The attributes of a record, for a put.
pub(crate) fn to_attrs<T: Serialize>(v: &T) -> Result<Map<String, Value>, DocError> {
    match serde_json::to_value(v) {
        Ok(Value::Object(m)) => Ok(m),
        Ok(_) => Err(DocError::Corrupt("record is not an object".into())),
        Err(e) => Err(DocError::Corrupt(format!("cannot encode record: {e}"))),
    }
}

/// A record read back from an item; unknown attributes are ignored.
pub(crate) fn from_item<T: DeserializeOwned>(item: &Item, what: &str) -> Result<T, DocError> {
    serde_json::from_value(Value::Object(item.attrs.clone()))
        .map_err(|e| DocError::Corrupt(format!("{what} at {}: {e}", item.key.sk)))
}

/// An item holding a record.
pub(crate) fn item_of<T: Serialize>(key: bridge_store::Key, v: &T) -> Result<Item, DocError> {
    Ok(Item {
        key,
        attrs: to_attrs(v)?,
    })
}
