//! Opening a document in Office: issuing the WOPI access token for one user, one document and
//! one permission, after the same rules CheckFileInfo reports (DOC-5 file types, DOC-6 rights).

use bridge_core::tenant::{Right, TenantId, User, UserId, tenant_pk, user_sk};
use bridge_documents::DocId;
use bridge_store::Key;
use bridge_wopi::filetypes::{may_edit, open_mode};
use bridge_wopi::token::{self, DEFAULT_TOKEN_TTL_MS, IssuedToken, Permission, TokenGrant};
use serde_json::Value;

use crate::{WopiError, WopiHost};

impl WopiHost {
    /// A token for `user` to open `doc` with `permission`. Edit is refused (403) when the user
    /// lacks "add document", the type is not editable, or the document is archived; view is
    /// refused when Office cannot open the type at all (download it instead, DOC-3).
    pub async fn open_session(
        &self,
        tenant: TenantId,
        user: UserId,
        doc: DocId,
        permission: Permission,
    ) -> Result<IssuedToken, WopiError> {
        let item = self
            .table
            .get(&Key::new(tenant_pk(tenant), user_sk(user)))
            .await
            .map_err(|e| WopiError::new(500, e.to_string()))?
            .ok_or_else(|| WopiError::new(404, "no such user in this tenant"))?;
        let user: User = serde_json::from_value(Value::Object(item.attrs))
            .map_err(|_| WopiError::new(500, "unreadable user record"))?;
        let doc = self.docs.get(tenant, doc).await?;
        let mode = open_mode(&doc.extension, self.settings.allow_wopitest);
        match permission {
            Permission::Edit if !may_edit(user.has(Right::AddDocument), mode) || doc.archived => {
                return Err(WopiError::new(
                    403,
                    "this user may not edit this document (right, file type or archived)",
                ));
            }
            Permission::View if !mode.opens_in_office() => {
                return Err(WopiError::new(
                    403,
                    "Office cannot open this file type; download it",
                ));
            }
            _ => {}
        }
        let grant = TokenGrant {
            tenant_id: tenant.to_string(),
            user_id: user.id.to_string(),
            document_id: doc.doc_id.to_string(),
            permission,
            jti: uuid::Uuid::new_v4().to_string(),
        };
        token::issue(&self.key, &grant, self.now(), DEFAULT_TOKEN_TTL_MS)
            .map_err(|e| WopiError::new(500, e.to_string()))
    }
}
