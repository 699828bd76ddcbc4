//! The key layout of the documents domain, in one place.
//!
//! Everything lives in the tenant's partition `T#<tenant-uuid>` ([`bridge_core::tenant::tenant_pk`]),
//! so no query or key built here can reach another tenant:
//!
//! | sort key | item |
//! |---|---|
//! | `CLIENT#<client>` | client file |
//! | `DOC#<doc>` | document (current-version pointer, `ver`, WOPI lock fields) |
//! | `DOC#<doc>#V#<seq:010>` | version `seq` (immutable) |
//! | `DOC#<doc>#VID#<version-id>` | alias: version id → seq, for lookups by version id |
//! | `CDOC#<client>#<doc>` | listing index entry of a client's documents |
//! | `SETTINGS` | tenant document settings |
//!
//! Blob of a version: `tenants/<tenant>/docs/<doc>/<version-id>`; never overwritten.

use bridge_blobs::BlobKey;
use bridge_core::tenant::{TenantId, tenant_pk};
use bridge_store::Key;

use crate::{ClientId, DocError, DocId, VersionId};

/// Highest version number the zero-padded sort key can hold.
pub const MAX_SEQ: i64 = 9_999_999_999;

/// Sort key of the tenant's document settings.
pub const SETTINGS_SK: &str = "SETTINGS";

/// Prefix of all client files.
pub const CLIENT_PREFIX: &str = "CLIENT#";

/// The tenant's partition.
pub fn pk(t: TenantId) -> String {
    tenant_pk(t)
}

/// A client file.
pub fn client(t: TenantId, c: ClientId) -> Key {
    Key::new(pk(t), format!("{CLIENT_PREFIX}{c}"))
}

/// A document.
pub fn doc(t: TenantId, d: DocId) -> Key {
    Key::new(pk(t), format!("DOC#{d}"))
}

/// Prefix of everything belonging to a document besides the document item itself (versions and
/// version aliases). Ids have a fixed length, so no other document shares it.
pub fn doc_children_prefix(d: DocId) -> String {
    format!("DOC#{d}#")
}

/// Prefix of a document's versions (not of its aliases: `#VID#` differs at `#V` + `I`).
pub fn versions_prefix(d: DocId) -> String {
    format!("DOC#{d}#V#")
}

/// Version `seq` of a document.
pub fn version(t: TenantId, d: DocId, seq: i64) -> Key {
    Key::new(pk(t), format!("{}{seq:010}", versions_prefix(d)))
}

/// The alias of a version id.
pub fn version_alias(t: TenantId, d: DocId, v: VersionId) -> Key {
    Key::new(pk(t), format!("DOC#{d}#VID#{v}"))
}

/// Prefix of a client's listing index.
pub fn index_prefix(c: ClientId) -> String {
    format!("CDOC#{c}#")
}

/// A document's listing index entry.
pub fn index(t: TenantId, c: ClientId, d: DocId) -> Key {
    Key::new(pk(t), format!("{}{d}", index_prefix(c)))
}

/// The tenant's document settings.
pub fn settings(t: TenantId) -> Key {
    Key::new(pk(t), SETTINGS_SK)
}

/// Partition of staging intents (see `sweep`): one item per blob written and not yet known to
/// be referenced, sorted by time so the sweeper reads the oldest first. Outside every tenant's
/// partition because the sweeper works across tenants; an item names its tenant.
pub const STAGED_PK: &str = "SYS#blob-staged";

/// The staging intent of blob `v` of document `d` of tenant `t`, written at `at_ms`.
pub fn staged(at_ms: i64, t: TenantId, d: DocId, v: VersionId) -> Key {
    Key::new(STAGED_PK, format!("{at_ms:013}#{t}#{d}#{v}"))
}

/// Blob key of a version's content.
pub fn blob(t: TenantId, d: DocId, v: VersionId) -> Result<BlobKey, DocError> {
    Ok(BlobKey::parse(&format!("tenants/{t}/docs/{d}/{v}"))?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use uuid::Uuid;

    #[test]
    fn layout_is_tenant_scoped_and_prefixes_do_not_overlap() {
        let t = TenantId(Uuid::from_u128(1));
        let d = DocId(Uuid::from_u128(2));
        let v = VersionId(Uuid::from_u128(3));
        let c = ClientId(Uuid::from_u128(4));
        assert_eq!(doc(t, d).pk, "T#00000000-0000-0000-0000-000000000001");
        assert_eq!(
            version(t, d, 7).sk,
            "DOC#00000000-0000-0000-0000-000000000002#V#0000000007"
        );
        assert!(version(t, d, 7).sk.starts_with(&versions_prefix(d)));
        assert!(!version_alias(t, d, v).sk.starts_with(&versions_prefix(d)));
        assert!(
            version_alias(t, d, v)
                .sk
                .starts_with(&doc_children_prefix(d))
        );
        assert!(!doc(t, d).sk.starts_with(&doc_children_prefix(d)));
        assert!(!index(t, c, d).sk.starts_with(CLIENT_PREFIX));
        assert_eq!(
            blob(t, d, v).unwrap().as_str(),
            "tenants/00000000-0000-0000-0000-000000000001/docs/00000000-0000-0000-0000-000000000002/00000000-0000-0000-0000-000000000003"
        );
        // Zero padding keeps sort order equal to numeric order.
        assert!(version(t, d, 9).sk < version(t, d, 10).sk);
        assert!(version(t, d, MAX_SEQ).sk.len() == version(t, d, 1).sk.len());
    }
}
