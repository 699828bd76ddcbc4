//! Graph resources as the product uses them. Typed where the sync engine and the directory depend
//! on a field (ids, change keys, names, delta removals, subscriptions); contacts and events keep
//! their full JSON in [`GraphItem::json`], because the sync mapping, not this client, decides which
//! of their many properties matter.

use std::time::Duration;

use reqwest::Method;
use secrecy::SecretString;
use serde::Deserialize;
use serde_json::Value;

use crate::error::GraphError;

/// A directory user.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct User {
    /// Object id (stable; use it as the mailbox id).
    pub id: String,
    /// `displayName`.
    #[serde(default)]
    pub display_name: Option<String>,
    /// `mail` (absent for users without a mailbox).
    #[serde(default)]
    pub mail: Option<String>,
    /// `userPrincipalName`.
    #[serde(default)]
    pub user_principal_name: Option<String>,
}

/// A contact folder.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ContactFolder {
    /// Folder id (stable across moves; no immutable-id variant needed).
    pub id: String,
    /// `displayName`.
    #[serde(default)]
    pub display_name: String,
    /// `parentFolderId`.
    #[serde(default)]
    pub parent_folder_id: Option<String>,
}

/// A calendar.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Calendar {
    /// Calendar id.
    pub id: String,
    /// `name`.
    #[serde(default)]
    pub name: String,
    /// `isDefaultCalendar` (calendarView delta in v1.0 covers the primary calendar only).
    #[serde(default)]
    pub is_default_calendar: Option<bool>,
    /// `canEdit`.
    #[serde(default)]
    pub can_edit: Option<bool>,
}

/// A contact or event: its identity and version, plus the whole Graph JSON.
#[derive(Debug, Clone, PartialEq)]
pub struct GraphItem {
    /// Immutable id (every mailbox request asks for `IdType="ImmutableId"`).
    pub id: String,
    /// `changeKey`: the version to send back in `If-Match` and to recognise our own echoes.
    pub change_key: Option<String>,
    /// `@odata.etag`.
    pub etag: Option<String>,
    /// The item as Graph returned it.
    pub json: Value,
}

impl GraphItem {
    pub(crate) fn from_json(json: Value) -> Result<Self, GraphError> {
        let text = |k: &str| json.get(k).and_then(Value::as_str).map(str::to_owned);
        let id = text("id").ok_or_else(|| GraphError::Decode("item without an id".into()))?;
        Ok(Self {
            id,
            change_key: text("changeKey"),
            etag: text("@odata.etag"),
            json,
        })
    }
}

/// An item reported as `@removed` by delta.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Removed {
    /// Its id.
    pub id: String,
    /// `deleted` or `changed` (moved out of scope / out of the calendar window).
    pub reason: String,
}

/// One delta round: everything from all pages up to the `@odata.deltaLink`.
#[derive(Debug, Clone, PartialEq)]
pub struct DeltaPage {
    /// Created or changed items (the same item may appear more than once; later wins).
    pub items: Vec<GraphItem>,
    /// Removed items.
    pub removed: Vec<Removed>,
    /// Where the next round starts; store it verbatim.
    pub delta_link: String,
}

/// The window of a first calendarView delta round, as ISO 8601 date-times
/// (e.g. `2025-01-01T00:00:00Z`). Later rounds take it from the delta link.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimeWindow {
    /// `startDateTime`.
    pub start: String,
    /// `endDateTime`.
    pub end: String,
}

/// A change-notification subscription.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Subscription {
    /// Subscription id.
    pub id: String,
    /// `expirationDateTime` as Graph returned it (RFC 3339).
    pub expiration_date_time: String,
    /// `resource`.
    #[serde(default)]
    pub resource: String,
}

/// What to subscribe to.
#[derive(Debug, Clone)]
pub struct NewSubscription {
    /// e.g. `/users/{id}/contacts` or `/users/{id}/events`.
    pub resource: String,
    /// e.g. `created,updated,deleted`.
    pub change_type: String,
    /// Where notifications are POSTed (must pass the validation handshake).
    pub notification_url: String,
    /// Where lifecycle notifications go; cannot be added later.
    pub lifecycle_notification_url: Option<String>,
    /// Secret echoed in every notification (≤ 128 characters).
    pub client_state: SecretString,
    /// Requested expiry (Outlook resources: at most 4,230 minutes ahead).
    pub expiration: std::time::SystemTime,
}

/// A recipient of [`MailMessage`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recipient {
    /// E-mail address.
    pub address: String,
    /// Display name.
    pub name: Option<String>,
}

/// An HTML e-mail for `sendMail`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailMessage {
    /// Subject line.
    pub subject: String,
    /// HTML body (already rendered and escaped by the caller's templates).
    pub html_body: String,
    /// `toRecipients`.
    pub to: Vec<Recipient>,
}

impl MailMessage {
    /// Graph's `message` object.
    pub fn to_json(&self) -> Value {
        let to: Vec<Value> = self
            .to
            .iter()
            .map(|r| {
                let mut address = serde_json::json!({ "address": r.address });
                if let Some(n) = &r.name {
                    address["name"] = Value::String(n.clone());
                }
                serde_json::json!({ "emailAddress": address })
            })
            .collect();
        serde_json::json!({
            "subject": self.subject,
            "body": { "contentType": "HTML", "content": self.html_body },
            "toRecipients": to,
        })
    }
}

/// One request of a `$batch`.
#[derive(Debug, Clone, PartialEq)]
pub struct BatchRequest {
    /// Unique within the batch.
    pub id: String,
    /// HTTP method.
    pub method: Method,
    /// Relative to the version, e.g. `/users/{id}/contacts`.
    pub url: String,
    /// JSON body (`Content-Type: application/json` is added).
    pub body: Option<Value>,
    /// Ids that must succeed first (a failed dependency gives 424).
    pub depends_on: Vec<String>,
}

/// The answer to one [`BatchRequest`].
#[derive(Debug, Clone, PartialEq)]
pub struct BatchResponse {
    /// The request's id.
    pub id: String,
    /// Its HTTP status.
    pub status: u16,
    /// Its body, if any.
    pub body: Option<Value>,
    /// Its `Retry-After`, when it was still throttled after every retry.
    pub retry_after: Option<Duration>,
}
