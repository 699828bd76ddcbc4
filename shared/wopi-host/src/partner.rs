//! A partner reading a shared document in Office (PAR-5): the view token of a reader of another
//! tenant, and how such a token is authorised.
//!
//! Every other token names a user of the document's own tenant. A partner's token names the
//! document's tenant (`tid`, where the document is read), the reader (`sub`) and the reader's
//! home tenant (`rt`, [`bridge_wopi::token::Claims::reader_tenant_id`]), and it is only ever a
//! view token. Authorising it never reads the owner tenant's user table: the reader is loaded
//! from their own tenant, and whether they may read *this* document is asked of the directory
//! ([`Directory::partner_can_read`], the one rule) on every request, so ending the relation or
//! the share stops Office at its next call. The reader's rights in their own tenant mean nothing
//! here, so the session carries none: every write, lock, rename, delete and PutRelativeFile is
//! refused by the same checks that refuse any view token.

use std::sync::Arc;

use async_trait::async_trait;
use bridge_core::RandomIds;
use bridge_core::tenant::{TenantId, User, UserId, tenant_pk, user_sk};
use bridge_directory::{
    Directory, DirectoryConfig, MailRequest, Outbox, QueueFailed, ShareJob, ShareQueue,
};
use bridge_documents::DocId;
use bridge_store::{Key, Table};
use bridge_wopi::checkfileinfo::CheckFileInfo;
use bridge_wopi::filetypes::open_mode;
use bridge_wopi::token::{self, Claims, DEFAULT_TOKEN_TTL_MS, IssuedToken, Permission, TokenGrant};
use serde_json::Value;

use crate::links::AppLinks;
use crate::{Session, WopiError, WopiHost};

/// Route of the page listing the documents partners shared with the signed-in user.
pub const SHARED: &str = "/app/shared";
/// Route that downloads a document a partner shared (DOC-3 for partners).
pub const SHARED_DOWNLOAD: &str = "/app/shared/{owner}/{doc}/download";
/// Route of the page where a relation manager shares one of their documents with partners
/// (served by directory-api; the document lists link to it).
pub const SHARE_WITH_PARTNERS: &str = "/app/partners/documents/{doc}";
/// Route of the host page that shows a document a partner shared in Office's viewer (served by
/// documents-api, which knows Office's discovery).
pub const SHARED_VIEW: &str = "/app/shared/{owner}/{doc}/view";

/// A shared document's page path: `route` with its `{owner}` and `{doc}` filled in.
pub fn shared_route(route: &str, owner: TenantId, doc: uuid::Uuid) -> String {
    route
        .replace("{owner}", &owner.to_string())
        .replace("{doc}", &doc.to_string())
}

/// The path of the page that shares `doc` with partners ([`SHARE_WITH_PARTNERS`]).
pub fn share_with_partners_path(doc: uuid::Uuid) -> String {
    SHARE_WITH_PARTNERS.replace("{doc}", &doc.to_string())
}

/// A shared document's page URL under `links`' base.
pub fn shared_link(links: &AppLinks, route: &str, owner: TenantId, doc: DocId) -> String {
    // `home()` is the base plus `/app`; the shared routes live under it.
    let base = links.home();
    let base = base.strip_suffix("/app").unwrap_or(&base);
    format!("{base}{}", shared_route(route, owner, doc.0))
}

/// The WOPI host asks the directory one read-only question ([`Directory::partner_can_read`]).
/// It builds its own service over the table, so every deployment of the WOPI functions answers
/// partners without more wiring; that service never mails or queues (these ports refuse), and
/// its links are never used.
#[derive(Debug)]
struct NoSideEffects;

#[async_trait]
impl Outbox for NoSideEffects {
    async fn queue(&self, _mail: MailRequest) -> Result<(), QueueFailed> {
        Err(QueueFailed("the WOPI host sends no mail".into()))
    }
}

#[async_trait]
impl ShareQueue for NoSideEffects {
    async fn enqueue(&self, _job: ShareJob) -> Result<(), QueueFailed> {
        Err(QueueFailed("the WOPI host shares nothing".into()))
    }
}

/// The directory as the WOPI host uses it: read-only.
pub(crate) fn reader_directory(table: Arc<dyn Table>) -> Directory {
    Directory::new(
        table,
        Arc::new(RandomIds),
        Arc::new(NoSideEffects),
        Arc::new(NoSideEffects),
        DirectoryConfig::new(""),
    )
}

/// What a partner sees of a document shared with them: no client file, no history, no owner.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct SharedDocument {
    /// The document's tenant.
    pub owner_tenant: TenantId,
    /// The document.
    pub doc_id: uuid::Uuid,
    /// Its name.
    pub name: String,
    /// Its extension, lower case.
    pub extension: String,
    /// Size of the current version in bytes.
    pub size: u64,
    /// Last change, epoch ms.
    pub modified_at_ms: i64,
    /// Whether Office for the web can show it (else: download only).
    pub opens_in_office: bool,
}

/// A shared document's current content, for a partner's download.
pub struct SharedContent {
    /// The document as it was when the content was opened.
    pub document: SharedDocument,
    /// The bytes, streamed.
    pub body: bridge_blobs::ByteStream,
}

impl std::fmt::Debug for SharedContent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SharedContent")
            .field("document", &self.document)
            .finish_non_exhaustive()
    }
}

/// Whether a session is a partner's (a reader of another tenant).
pub fn is_partner(s: &Session) -> bool {
    s.claims.reader_tenant_id.is_some()
}

impl WopiHost {
    /// The reader, if they may read `doc` of `owner` now; 404 otherwise (the file does not exist
    /// for them), 500 when the directory cannot answer (fail closed). The reader comes from
    /// their own tenant, with no rights: nothing of their own tenant's rights applies here.
    async fn partner_reader(
        &self,
        reader_tenant: TenantId,
        reader: UserId,
        owner: TenantId,
        doc: DocId,
    ) -> Result<User, WopiError> {
        let allowed = self
            .partners
            .partner_can_read(reader_tenant, reader, owner, doc.0)
            .await
            .map_err(|e| WopiError::new(500, format!("partner check failed: {e}")))?;
        if !allowed {
            return Err(WopiError::not_found());
        }
        let item = self
            .table
            .get(&Key::new(tenant_pk(reader_tenant), user_sk(reader)))
            .await
            .map_err(|e| WopiError::new(500, e.to_string()))?
            .ok_or_else(WopiError::not_found)?;
        let mut user: User = serde_json::from_value(Value::Object(item.attrs))
            .map_err(|_| WopiError::new(500, "unreadable user record"))?;
        if user.tenant != reader_tenant {
            return Err(WopiError::not_found());
        }
        user.rights.clear();
        Ok(user)
    }

    /// The partner's view of `doc` of `owner`, when `reader` of `reader_tenant` may read it now
    /// (404 otherwise, also for documents that do not exist).
    pub async fn partner_document(
        &self,
        owner: TenantId,
        doc: uuid::Uuid,
        reader_tenant: TenantId,
        reader: UserId,
    ) -> Result<SharedDocument, WopiError> {
        let doc = DocId(doc);
        self.partner_reader(reader_tenant, reader, owner, doc)
            .await?;
        let d = self.docs.get(owner, doc).await?;
        Ok(self.shared_view(owner, &d))
    }

    /// The current content of `doc` of `owner` for `reader` of `reader_tenant`, when they may
    /// read it now (404 otherwise): a partner's download (DOC-3 holds for them too).
    pub async fn partner_content(
        &self,
        owner: TenantId,
        doc: uuid::Uuid,
        reader_tenant: TenantId,
        reader: UserId,
    ) -> Result<SharedContent, WopiError> {
        let doc = DocId(doc);
        self.partner_reader(reader_tenant, reader, owner, doc)
            .await?;
        let content = self.docs.open_content(owner, doc, None).await?;
        let mut document = self.shared_view(owner, &content.document);
        document.size = content.version.size;
        Ok(SharedContent {
            document,
            body: content.blob.body,
        })
    }

    fn shared_view(&self, owner: TenantId, d: &bridge_documents::Document) -> SharedDocument {
        SharedDocument {
            owner_tenant: owner,
            doc_id: d.doc_id.0,
            name: d.name.clone(),
            extension: d.extension.clone(),
            size: d.size,
            modified_at_ms: d.modified_at,
            opens_in_office: open_mode(&d.extension, self.settings.allow_wopitest)
                .opens_in_office(),
        }
    }

    /// A view token for `reader` of `reader_tenant` on `doc` of `owner`, when the directory says
    /// they may read it (404 otherwise, as if there were no such document) and Office can open
    /// its type (403: download it instead).
    pub async fn open_partner_view(
        &self,
        owner: TenantId,
        doc: uuid::Uuid,
        reader_tenant: TenantId,
        reader: UserId,
    ) -> Result<IssuedToken, WopiError> {
        let doc = DocId(doc);
        let user = self
            .partner_reader(reader_tenant, reader, owner, doc)
            .await?;
        let doc = self.docs.get(owner, doc).await?;
        if !open_mode(&doc.extension, self.settings.allow_wopitest).opens_in_office() {
            return Err(WopiError::new(
                403,
                "Office cannot open this file type; download it",
            ));
        }
        let grant = TokenGrant {
            tenant_id: owner.to_string(),
            user_id: user.id.to_string(),
            document_id: doc.doc_id.to_string(),
            permission: Permission::View,
            jti: uuid::Uuid::new_v4().to_string(),
        };
        token::issue_for_reader(
            &self.key,
            &grant,
            &reader_tenant.to_string(),
            self.now(),
            DEFAULT_TOKEN_TTL_MS,
        )
        .map_err(|e| WopiError::new(500, e.to_string()))
    }

    /// Authorises a partner's token (`claims.reader_tenant_id` is set): a view token of a reader
    /// of another tenant who may read the document now. Anything else about it is a bad token
    /// (401); no access (any more) is 404.
    pub(crate) async fn authorize_partner(
        &self,
        claims: Claims,
        owner: TenantId,
        reader: UserId,
        doc_id: DocId,
    ) -> Result<Session, WopiError> {
        let reader_tenant = claims
            .reader_tenant_id
            .as_deref()
            .and_then(|t| t.parse().ok())
            .map(TenantId)
            .ok_or_else(|| WopiError::unauthorized("token names no valid reader tenant"))?;
        if reader_tenant == owner || claims.permission != Permission::View {
            return Err(WopiError::unauthorized("not a valid partner token"));
        }
        let user = self
            .partner_reader(reader_tenant, reader, owner, doc_id)
            .await?;
        let doc = self.docs.get(owner, doc_id).await?;
        Ok(Session {
            tenant: owner,
            user,
            doc,
            claims,
            can_write: false,
        })
    }
}

/// CheckFileInfo as a partner sees it: nothing of the owner's client file (its name would
/// identify the owner's client), no history, no user info stored in the owner's tenant, and
/// the pages that serve partners (the shared list and the shared download).
pub(crate) fn partner_file_info(c: &mut CheckFileInfo, s: &Session, links: &AppLinks) {
    let (owner, doc) = (s.tenant, s.doc.doc_id);
    c.user_can_write = false;
    c.read_only = true;
    c.user_can_rename = false;
    c.user_can_not_write_relative = true;
    c.supports_user_info = false;
    c.user_info = None;
    c.host_edit_url = None;
    c.license_check_for_edit_is_enabled = false;
    c.file_version_url = None;
    c.breadcrumb_folder_name = None;
    c.breadcrumb_folder_url = Some(shared_link(links, SHARED, owner, doc));
    c.close_url = Some(shared_link(links, SHARED, owner, doc));
    c.download_url = Some(shared_link(links, SHARED_DOWNLOAD, owner, doc));
    // The partner's own host page, not the owner's page of the document.
    c.host_view_url = Some(shared_link(links, SHARED_VIEW, owner, doc));
}

impl WopiHost {
    /// `doc` as a document of `tenant` (404 when it is not one), for a user of that tenant about
    /// to share it: the directory trusts its caller that a share names the sharer's own
    /// document ([`bridge_directory::sharing`]), and this is that check.
    pub async fn own_document(
        &self,
        tenant: TenantId,
        doc: uuid::Uuid,
    ) -> Result<SharedDocument, WopiError> {
        let d = self.docs.get(tenant, DocId(doc)).await?;
        Ok(self.shared_view(tenant, &d))
    }
}
