//! Tenant document settings (DOC-7, DOC-8).
//!
//! Stored in one `SETTINGS` item per tenant; an absent item or attribute means the default, so a
//! new tenant needs no setup step. Changing settings is an administrator's task: it needs the
//! right "manage users", the tenant's administrative right.

use bridge_core::tenant::{Right, TenantId, User};
use bridge_store::Update;
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::model::from_item;
use crate::{DocError, Documents, auth, keys};

/// Where the tenant edits documents (DOC-7). Whatever it is, download and upload keep working
/// (DOC-3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub enum DocumentPlatform {
    /// Office for the web through WOPI.
    #[default]
    #[serde(rename = "o365")]
    O365,
    /// Regular download and upload only.
    #[serde(rename = "regular")]
    Regular,
}

/// The format of generated letters (DOC-7); only `docx` letters open for editing in Office (DOC-8).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MailOutputFormat {
    /// Word (modern).
    #[default]
    Docx,
    /// Word 97–2003 (legacy; view only in Office).
    Doc,
    /// PDF (never editable in Office).
    Pdf,
    /// OpenDocument text.
    Odt,
}

impl MailOutputFormat {
    /// The file extension (lowercase, no dot).
    pub fn extension(self) -> &'static str {
        match self {
            MailOutputFormat::Docx => "docx",
            MailOutputFormat::Doc => "doc",
            MailOutputFormat::Pdf => "pdf",
            MailOutputFormat::Odt => "odt",
        }
    }
}

/// A tenant's document settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Settings {
    /// O365 or regular (DOC-7).
    #[serde(default)]
    pub document_platform: DocumentPlatform,
    /// Format of generated letters (DOC-7).
    #[serde(default)]
    pub mail_output_format: MailOutputFormat,
    /// Whether generated letters are stored under the client's documents (DOC-8). Off unless set.
    #[serde(default)]
    pub save_generated_letters: bool,
}

/// A change of settings: `None` keeps the current value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SettingsChange {
    /// New document platform.
    pub document_platform: Option<DocumentPlatform>,
    /// New mail output format.
    pub mail_output_format: Option<MailOutputFormat>,
    /// New "save generated letters automatically".
    pub save_generated_letters: Option<bool>,
}

impl Documents {
    /// The tenant's settings, with defaults (o365, docx, no automatic saving) for what was never
    /// set.
    pub async fn settings(&self, tenant: TenantId) -> Result<Settings, DocError> {
        match self.table.get(&keys::settings(tenant)).await? {
            Some(item) => from_item(&item, "settings"),
            None => Ok(Settings::default()),
        }
    }

    /// Changes the given settings (others, including attributes other modules keep in the item,
    /// stay). Needs the right "manage users". Returns the settings after the change.
    pub async fn update_settings(
        &self,
        tenant: TenantId,
        actor: &User,
        change: SettingsChange,
    ) -> Result<Settings, DocError> {
        auth::require(tenant, actor, Right::ManageUsers)?;
        let mut update = Update::new();
        if let Some(p) = change.document_platform {
            update = update.set("document_platform", json!(p));
        }
        if let Some(f) = change.mail_output_format {
            update = update.set("mail_output_format", json!(f));
        }
        if let Some(s) = change.save_generated_letters {
            update = update.set("save_generated_letters", s);
        }
        if update.set.is_empty() {
            return self.settings(tenant).await;
        }
        let item = self
            .table
            .update(&keys::settings(tenant), update, None)
            .await?;
        from_item(&item, "settings")
    }
}
