//! Authorising a WOPI request and the read-side operations: CheckFileInfo, GetFile, PutUserInfo.

use bridge_blobs::Blob;
use bridge_core::tenant::{Right, TenantId, User, UserId, tenant_pk, user_sk};
use bridge_documents::{DocId, Document};
use bridge_store::{Item, Key};
use bridge_wopi::checkfileinfo::{
    CheckFileInfo, format_last_modified_time, sha256_base64_from_hex,
};
use bridge_wopi::filetypes::{may_convert, may_edit, open_mode};
use bridge_wopi::token::{self, Claims};
use serde_json::Value;

use crate::links::AppLinks;
use crate::{Reply, WopiError, WopiHost};

/// Longest UserInfo string Office may store (WOPI: 1024 ASCII characters).
pub const MAX_USER_INFO: usize = 1024;

/// A verified request: whose token, for which document, with what rights.
#[derive(Debug, Clone)]
pub struct Session {
    /// The tenant the token is for.
    pub tenant: TenantId,
    /// The user acting.
    pub user: User,
    /// The document as read when the request started.
    pub doc: Document,
    /// The token's claims.
    pub claims: Claims,
    /// Edit token, "add document" right, editable type, not archived (DOC-5, DOC-6).
    pub can_write: bool,
}

fn user_info_key(tenant: TenantId, user: UserId) -> Key {
    Key::new(tenant_pk(tenant), format!("USERINFO#{}", user.0))
}

impl WopiHost {
    /// Verifies the access token for `file_id` and loads user and document. Bad or expired
    /// token → 401; a token for another file, or no such file → 404 (WOPI's rule: 404 when the
    /// file does not exist *for this token*).
    pub async fn authorize(&self, file_id: &str, access_token: &str) -> Result<Session, WopiError> {
        let claims = token::verify(&self.key, access_token, file_id, self.now())
            .map_err(|e| WopiError::new(e.status(), e.to_string()))?;
        let tenant = claims
            .tenant_id
            .parse()
            .map(TenantId)
            .map_err(|_| WopiError::unauthorized("token names no valid tenant"))?;
        let user_id = claims
            .user_id
            .parse()
            .map(UserId)
            .map_err(|_| WopiError::unauthorized("token names no valid user"))?;
        let doc_id = DocId::parse(file_id).map_err(|_| WopiError::not_found())?;
        if claims.reader_tenant_id.is_some() {
            // A partner's token: the reader is not a user of this tenant (PAR-5).
            return self
                .authorize_partner(claims, tenant, user_id, doc_id)
                .await;
        }
        // User and document are independent reads: one round trip instead of two.
        let user_key = Key::new(tenant_pk(tenant), user_sk(user_id));
        let (user_item, doc) =
            futures::join!(self.table.get(&user_key), self.docs.get(tenant, doc_id));
        let user_item = user_item
            .map_err(|e| WopiError::new(500, e.to_string()))?
            .ok_or_else(|| WopiError::unauthorized("the token's user no longer exists"))?;
        let user: User = serde_json::from_value(Value::Object(user_item.attrs))
            .map_err(|_| WopiError::new(500, "unreadable user record"))?;
        let doc = doc?;
        let mode = open_mode(&doc.extension, self.settings.allow_wopitest);
        let can_write = claims.permission.can_write()
            && may_edit(user.has(Right::AddDocument), mode)
            && !doc.archived;
        Ok(Session {
            tenant,
            user,
            doc,
            claims,
            can_write,
        })
    }

    /// CheckFileInfo: the required properties and the ones Office needs to edit well, with the
    /// app's pages under `links` (host pages, download, history, close, breadcrumbs).
    pub async fn check_file_info(&self, s: &Session, links: &AppLinks) -> Result<Reply, WopiError> {
        let doc = &s.doc;
        let size = i64::try_from(doc.size).unwrap_or(i64::MAX);
        let mut c = CheckFileInfo::new(
            doc.name.clone(),
            doc.owner.to_string(),
            size,
            s.user.id.to_string(),
            doc.current_version.to_string(),
        );
        c.user_friendly_name = Some(s.user.name.clone());
        c.user_can_write = s.can_write;
        c.read_only = !s.can_write;
        c.user_can_rename = s.can_write;
        c.user_can_not_write_relative = !s.user.has(Right::AddDocument);
        c.supports_locks = true;
        c.supports_get_lock = true;
        c.supports_extended_lock_length = true;
        c.supports_update = true;
        c.supports_rename = true;
        c.supports_delete_file = true;
        c.supports_user_info = true;
        c.file_name_max_length = Some(250);
        c.last_modified_time = Some(format_last_modified_time(doc.modified_at));
        c.sha256 = sha256_base64_from_hex(&doc.sha256).ok();
        c.breadcrumb_brand_name = Some(self.settings.brand_name.clone());
        c.breadcrumb_doc_name = Some(doc.name.clone());
        c.breadcrumb_brand_url = Some(links.home());
        c.breadcrumb_folder_url = Some(links.client(doc.client_id));
        // The folder name and the user info are independent reads: issued together.
        let (client, user_info) = futures::join!(
            self.docs.get_client(s.tenant, doc.client_id),
            self.user_info(s)
        );
        c.breadcrumb_folder_name = client.ok().map(|client| client.name);
        c.close_url = Some(links.client(doc.client_id));
        c.download_url = Some(links.download(doc.doc_id));
        c.file_version_url = Some(links.versions(doc.doc_id));
        c.host_view_url = Some(links.view(doc.doc_id));
        c.host_edit_url = self.host_edit_url(s, links);
        // DOC-14: editing needs a business licence, so Office checks it (the business flow),
        // which needs `HostEditUrl`; a user who may not edit gets no licence check.
        c.license_check_for_edit_is_enabled = c.host_edit_url.is_some();
        c.user_info = user_info?;
        if crate::partner::is_partner(s) {
            crate::partner::partner_file_info(&mut c, s, links);
        }
        let body = serde_json::to_value(&c).map_err(|e| WopiError::new(500, e.to_string()))?;
        Ok(Reply::json(body))
    }

    /// Where Office's "Edit" button leads: the edit host page when this user may edit, the
    /// conversion page for a legacy file the user may convert (DOC-5), otherwise nowhere.
    pub fn host_edit_url(&self, s: &Session, links: &AppLinks) -> Option<String> {
        let mode = open_mode(&s.doc.extension, self.settings.allow_wopitest);
        let right = s.user.has(Right::AddDocument) && !s.doc.archived;
        if may_edit(right, mode) {
            Some(links.edit(s.doc.doc_id))
        } else if may_convert(right, mode) {
            Some(links.convert(s.doc.doc_id))
        } else {
            None
        }
    }

    /// GetFile: the current version, streamed. A size above `X-WOPI-MaxExpectedSize` → 412.
    pub async fn get_file(
        &self,
        s: &Session,
        max_expected_size: Option<&str>,
    ) -> Result<(Reply, Blob), WopiError> {
        let max = match max_expected_size {
            None => None,
            Some(v) => Some(
                v.trim()
                    .parse::<u64>()
                    .map_err(|_| WopiError::new(400, "X-WOPI-MaxExpectedSize is not a number"))?,
            ),
        };
        let content = self.docs.open_content(s.tenant, s.doc.doc_id, None).await?;
        if let Some(max) = max
            && content.version.size > max
        {
            return Err(WopiError::new(
                412,
                "the file is larger than X-WOPI-MaxExpectedSize",
            ));
        }
        let reply = Reply::ok().header(
            bridge_wopi::headers::ITEM_VERSION,
            content.version.version_id.to_string(),
        );
        Ok((reply, content.blob))
    }

    /// PutUserInfo: stores Office's opaque per-user string, returned in CheckFileInfo.
    pub async fn put_user_info(&self, s: &Session, body: &str) -> Result<Reply, WopiError> {
        // A partner's user info would be stored in the owner's tenant: not offered, not taken.
        if crate::partner::is_partner(s) {
            return Err(WopiError::unauthorized(
                "a partner's view token stores no user info",
            ));
        }
        if body.len() > MAX_USER_INFO || !body.is_ascii() {
            return Err(WopiError::new(
                400,
                "UserInfo must be at most 1024 ASCII characters",
            ));
        }
        let item = Item::new(user_info_key(s.tenant, s.user.id)).with("info", body);
        self.table
            .put(item, None)
            .await
            .map_err(|e| WopiError::new(500, e.to_string()))?;
        Ok(Reply::ok())
    }

    async fn user_info(&self, s: &Session) -> Result<Option<String>, WopiError> {
        let item = self
            .table
            .get(&user_info_key(s.tenant, s.user.id))
            .await
            .map_err(|e| WopiError::new(500, e.to_string()))?;
        Ok(item.and_then(|i| i.get_str("info").map(str::to_string)))
    }
}
