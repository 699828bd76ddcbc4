//! The subscription record and its storage in the table.

use bridge_store::{Item, Key, StoreError, Table};
use serde::{Deserialize, Serialize};

/// Sort key of a subscription record.
pub const SUB_SK: &str = "SUB";

/// What a subscription watches in a mailbox.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GraphResource {
    /// Personal contacts (or a contact folder).
    Contacts,
    /// Calendar events.
    Events,
}

impl GraphResource {
    /// Short name: `contacts` or `events`.
    pub fn as_str(self) -> &'static str {
        match self {
            GraphResource::Contacts => "contacts",
            GraphResource::Events => "events",
        }
    }
}

/// One Graph subscription we created, and whom it belongs to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SubscriptionRecord {
    /// Graph's subscription id.
    pub subscription_id: String,
    /// Our tenant.
    pub tenant_id: uuid::Uuid,
    /// Our user whose mailbox is watched.
    pub user_id: uuid::Uuid,
    /// The Graph user id of the mailbox.
    pub mailbox: String,
    /// What is watched.
    pub resource: GraphResource,
    /// Lower-case hex SHA-256 of the clientState secret (the secret itself is never stored).
    pub client_state_sha256: String,
    /// When Graph expires the subscription, epoch milliseconds.
    pub expires_at_ms: i64,
}

/// Why a record could not be stored or read.
#[derive(Debug, thiserror::Error)]
pub enum SubsError {
    /// The table failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A stored item is not a valid record.
    #[error("corrupt subscription record: {0}")]
    Corrupt(String),
}

/// The key of subscription `subscription_id`'s record.
pub fn record_key(subscription_id: &str) -> Key {
    Key::new(format!("SYS#graphsub#{subscription_id}"), SUB_SK)
}

/// The item that stores `rec` (for writes inside a transaction).
pub fn record_item(rec: &SubscriptionRecord) -> Result<Item, SubsError> {
    let attrs = match serde_json::to_value(rec) {
        Ok(serde_json::Value::Object(map)) => map,
        Ok(_) => return Err(SubsError::Corrupt("not an object".into())),
        Err(e) => return Err(SubsError::Corrupt(e.to_string())),
    };
    Ok(Item {
        key: record_key(&rec.subscription_id),
        attrs,
    })
}

/// Reads a record out of its stored item. Attributes the struct does not know (such as the
/// renewal failure count) are ignored.
pub(crate) fn record_from_item(item: Item) -> Result<SubscriptionRecord, SubsError> {
    serde_json::from_value(serde_json::Value::Object(item.attrs))
        .map_err(|e| SubsError::Corrupt(e.to_string()))
}

/// Stores (or replaces) a record, without its index entries (tests and repairs; the
/// subscriptions logic writes record and index together in one transaction).
pub async fn put_record(table: &dyn Table, rec: &SubscriptionRecord) -> Result<(), SubsError> {
    table.put(record_item(rec)?, None).await?;
    Ok(())
}

/// The record of subscription `subscription_id`, if there is one. An id that cannot form a
/// valid key (empty, too long) has no record.
pub async fn get_record(
    table: &dyn Table,
    subscription_id: &str,
) -> Result<Option<SubscriptionRecord>, SubsError> {
    let key = record_key(subscription_id);
    if subscription_id.is_empty() || key.validate().is_err() {
        return Ok(None);
    }
    let Some(item) = table.get(&key).await? else {
        return Ok(None);
    };
    record_from_item(item).map(Some)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use bridge_store::memory::MemoryTable;

    #[tokio::test]
    async fn a_stored_record_is_found_by_its_id_and_others_are_not() {
        let table = MemoryTable::new();
        let rec = SubscriptionRecord {
            subscription_id: "sub-1".into(),
            tenant_id: uuid::Uuid::new_v4(),
            user_id: uuid::Uuid::new_v4(),
            mailbox: "graph-user-1".into(),
            resource: GraphResource::Events,
            client_state_sha256: crate::client_state_sha256("x"),
            expires_at_ms: 42,
        };
        put_record(&table, &rec).await.unwrap();
        assert_eq!(get_record(&table, "sub-1").await.unwrap(), Some(rec));
        assert_eq!(get_record(&table, "sub-2").await.unwrap(), None);
        assert_eq!(get_record(&table, "").await.unwrap(), None);
        let stored = table.get(&record_key("sub-1")).await.unwrap().unwrap();
        assert_eq!(stored.key.pk, "SYS#graphsub#sub-1");
        assert_eq!(stored.get_str("resource"), Some("events"));
    }
}
