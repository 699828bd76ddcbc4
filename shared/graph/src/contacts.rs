//! Contact folders and contacts of one mailbox (`Contacts.ReadWrite`), including contact delta.
//! Every call is charged to the mailbox's budget and asks for immutable ids, so the ids the sync
//! mapping stores survive folder moves.

use reqwest::Method;
use serde_json::{Value, json};

use crate::client::{GraphClient, Req, seg};
use crate::error::GraphError;
use crate::limiter::Bucket;
use crate::model::{ContactFolder, DeltaPage, GraphItem};

impl GraphClient {
    fn contacts_path(mailbox: &str, folder: Option<&str>) -> String {
        match folder {
            Some(f) => format!("/users/{}/contactFolders/{}/contacts", seg(mailbox), seg(f)),
            None => format!("/users/{}/contacts", seg(mailbox)),
        }
    }

    fn contact_path(mailbox: &str, id: &str) -> String {
        format!("/users/{}/contacts/{}", seg(mailbox), seg(id))
    }

    /// The mailbox's contact folders (all pages).
    pub async fn list_contact_folders(
        &self,
        mailbox: &str,
    ) -> Result<Vec<ContactFolder>, GraphError> {
        let url = self.url(&format!(
            "/users/{}/contactFolders?$top={}",
            seg(mailbox),
            self.page_size()
        ));
        self.get_all(url, Bucket::Mailbox(mailbox))
            .await?
            .into_iter()
            .map(|v| serde_json::from_value(v).map_err(|e| GraphError::Decode(e.to_string())))
            .collect()
    }

    /// Creates a contact folder (409 [`GraphError::Conflict`] if the name exists).
    pub async fn create_contact_folder(
        &self,
        mailbox: &str,
        display_name: &str,
    ) -> Result<ContactFolder, GraphError> {
        let url = self.url(&format!("/users/{}/contactFolders", seg(mailbox)));
        self.execute(
            Req::new(Method::POST, url, Bucket::Mailbox(mailbox))
                .json(&json!({ "displayName": display_name }))?,
        )
        .await?
        .json()
    }

    /// Contacts of a folder (`None` = the default folder), all pages.
    pub async fn list_contacts(
        &self,
        mailbox: &str,
        folder: Option<&str>,
    ) -> Result<Vec<GraphItem>, GraphError> {
        let url = self.url(&format!(
            "{}?$top={}",
            Self::contacts_path(mailbox, folder),
            self.page_size()
        ));
        self.get_all(url, Bucket::Mailbox(mailbox))
            .await?
            .into_iter()
            .map(GraphItem::from_json)
            .collect()
    }

    /// Creates a contact in `folder` (`None` = the default folder).
    pub async fn create_contact(
        &self,
        mailbox: &str,
        folder: Option<&str>,
        contact: &Value,
    ) -> Result<GraphItem, GraphError> {
        let url = self.url(&Self::contacts_path(mailbox, folder));
        self.execute(Req::new(Method::POST, url, Bucket::Mailbox(mailbox)).json(contact)?)
            .await?
            .item()
    }

    /// One contact.
    pub async fn get_contact(&self, mailbox: &str, id: &str) -> Result<GraphItem, GraphError> {
        self.get_item(mailbox, &Self::contact_path(mailbox, id))
            .await
    }

    /// Updates a contact. With `if_match` (a change key or etag) a concurrent change by the user
    /// gives [`GraphError::PreconditionFailed`] instead of being overwritten.
    pub async fn update_contact(
        &self,
        mailbox: &str,
        id: &str,
        patch: &Value,
        if_match: Option<&str>,
    ) -> Result<GraphItem, GraphError> {
        self.patch_item(mailbox, &Self::contact_path(mailbox, id), patch, if_match)
            .await
    }

    /// Deletes a contact (optionally only if it is still at `if_match`).
    pub async fn delete_contact(
        &self,
        mailbox: &str,
        id: &str,
        if_match: Option<&str>,
    ) -> Result<(), GraphError> {
        self.delete_item(mailbox, &Self::contact_path(mailbox, id), if_match)
            .await
    }

    /// One contact delta round of `folder` (`None` = the default folder): from the start when
    /// `delta_link` is `None`, else from that stored link. Follows every `@odata.nextLink` and
    /// returns the new delta link. A stale link gives [`GraphError::SyncStateNotFound`].
    pub async fn contacts_delta(
        &self,
        mailbox: &str,
        folder: Option<&str>,
        delta_link: Option<&str>,
    ) -> Result<DeltaPage, GraphError> {
        let first = match delta_link {
            Some(link) => self.trusted(link)?,
            None => self.url(&format!("{}/delta", Self::contacts_path(mailbox, folder))),
        };
        self.delta_round(first, Bucket::Mailbox(mailbox)).await
    }
}
