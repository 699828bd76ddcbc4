//! The two indexes of subscription records, written in the same transaction as the record:
//!
//! - by expiry: pk [`BY_EXPIRY_PK`], sk `EXP#<epoch-ms, 13 digits>#<subscription id>`, so the
//!   renewal sweep reads only the entries that are due, in expiry order;
//! - by user: pk `T#<tenant>`, sk `M365SUB#<user>#<resource>`, one per (user, resource), so a
//!   user's subscriptions are found under the tenant (unlink, sync switches) and a second
//!   subscription for the same mailbox resource can never be stored (`NotExists`).

use bridge_core::tenant::{TenantId, UserId, tenant_pk};
use bridge_store::{Condition, Item, Key, Query, StoreError, Table, WriteOp};

use crate::record::{GraphResource, SubsError, SubscriptionRecord, get_record, record_key};

/// Partition indexing subscriptions by expiry.
pub const BY_EXPIRY_PK: &str = "SYS#subscriptions-by-expiry";

/// Sort-key prefix of the by-expiry entries.
const EXP_PREFIX: &str = "EXP#";

/// Sort-key prefix of the by-user entries.
const USER_SUB_PREFIX: &str = "M365SUB#";

/// The by-expiry entry of subscription `id` expiring at `expires_at_ms` (negative times count
/// as 0 so the sort key keeps its fixed width).
pub fn expiry_key(expires_at_ms: i64, id: &str) -> Key {
    Key::new(
        BY_EXPIRY_PK,
        format!("{EXP_PREFIX}{:013}#{id}", expires_at_ms.max(0)),
    )
}

/// Sort keys below this bound expire before `ms`.
fn expiry_bound(ms: i64) -> String {
    format!("{EXP_PREFIX}{:013}", ms.max(0))
}

/// The expiry and subscription id of a by-expiry sort key.
fn parse_expiry_sk(sk: &str) -> Option<(i64, String)> {
    let (ms, id) = sk.strip_prefix(EXP_PREFIX)?.split_once('#')?;
    if id.is_empty() {
        return None;
    }
    Some((ms.parse().ok()?, id.to_owned()))
}

/// The by-user entry of `user`'s subscription to `resource`.
pub fn user_subscription_key(tenant: TenantId, user: UserId, resource: GraphResource) -> Key {
    Key::new(
        tenant_pk(tenant),
        format!("{USER_SUB_PREFIX}{user}#{}", resource.as_str()),
    )
}

/// The by-user entry item pointing at `rec`.
pub(crate) fn user_subscription_item(rec: &SubscriptionRecord) -> Item {
    Item::new(user_subscription_key(
        TenantId(rec.tenant_id),
        UserId(rec.user_id),
        rec.resource,
    ))
    .with("subscription_id", rec.subscription_id.clone())
    .with("resource", rec.resource.as_str())
}

/// The by-expiry entry item of `rec`.
pub(crate) fn expiry_item(rec: &SubscriptionRecord) -> Item {
    Item::new(expiry_key(rec.expires_at_ms, &rec.subscription_id))
        .with("subscription_id", rec.subscription_id.clone())
}

/// The writes that delete `rec` and both of its index entries. The by-user entry is deleted
/// only while it still points at `rec` (a re-created subscription may have taken it over).
pub(crate) fn delete_ops(rec: &SubscriptionRecord) -> Vec<WriteOp> {
    vec![
        WriteOp::Delete {
            key: record_key(&rec.subscription_id),
            condition: None,
        },
        WriteOp::Delete {
            key: expiry_key(rec.expires_at_ms, &rec.subscription_id),
            condition: None,
        },
        WriteOp::Delete {
            key: user_subscription_key(TenantId(rec.tenant_id), UserId(rec.user_id), rec.resource),
            condition: Some(Condition::NotExists.or(Condition::Equals(
                "subscription_id".into(),
                rec.subscription_id.clone().into(),
            ))),
        },
    ]
}

/// Deletes `rec` together with its index entries, in one transaction. Deleting a record that
/// is already gone succeeds.
pub async fn delete_record(table: &dyn Table, rec: &SubscriptionRecord) -> Result<(), SubsError> {
    match table.transact(delete_ops(rec)).await {
        Ok(()) => Ok(()),
        // The by-user entry points at another subscription: delete the rest on its own.
        Err(StoreError::TransactionCanceled { .. }) => {
            let mut ops = delete_ops(rec);
            ops.truncate(2);
            table.transact(ops).await?;
            Ok(())
        }
        Err(e) => Err(e.into()),
    }
}

/// The subscription of `user` to `resource`, if there is one. A by-user entry whose record is
/// missing is removed (and `None` returned), so it cannot block a new subscription.
pub async fn subscription_of(
    table: &dyn Table,
    tenant: TenantId,
    user: UserId,
    resource: GraphResource,
) -> Result<Option<SubscriptionRecord>, SubsError> {
    let key = user_subscription_key(tenant, user, resource);
    let Some(entry) = table.get(&key).await? else {
        return Ok(None);
    };
    let Some(id) = entry.get_str("subscription_id").map(str::to_owned) else {
        return Err(SubsError::Corrupt(
            "by-user entry without subscription_id".into(),
        ));
    };
    match get_record(table, &id).await? {
        Some(rec) => Ok(Some(rec)),
        None => {
            let stale = Condition::Equals("subscription_id".into(), id.into());
            match table.delete(&key, Some(stale)).await {
                Ok(_) | Err(StoreError::ConditionFailed) => Ok(None),
                Err(e) => Err(e.into()),
            }
        }
    }
}

/// Every subscription record of `user` (at most one per resource).
pub async fn records_of_user(
    table: &dyn Table,
    tenant: TenantId,
    user: UserId,
) -> Result<Vec<SubscriptionRecord>, SubsError> {
    let mut out = Vec::new();
    for resource in [GraphResource::Contacts, GraphResource::Events] {
        if let Some(rec) = subscription_of(table, tenant, user, resource).await? {
            out.push(rec);
        }
    }
    Ok(out)
}

/// A by-expiry entry: when, and which subscription.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DueEntry {
    /// The expiry the entry is filed under, epoch ms.
    pub expires_at_ms: i64,
    /// The subscription id.
    pub subscription_id: String,
}

/// Every by-expiry entry expiring before `before_ms`, soonest first. Collected completely
/// before anything is renewed, because renewing moves entries within the partition being read.
pub async fn due_before(table: &dyn Table, before_ms: i64) -> Result<Vec<DueEntry>, SubsError> {
    let limit = expiry_bound(before_ms);
    let mut due = Vec::new();
    let mut query = Query::partition(BY_EXPIRY_PK).prefix(EXP_PREFIX).limit(100);
    loop {
        let page = table.query(&query).await?;
        let mut past_limit = false;
        for item in &page.items {
            if item.key.sk >= limit {
                past_limit = true;
                break;
            }
            match parse_expiry_sk(&item.key.sk) {
                Some((expires_at_ms, subscription_id)) => due.push(DueEntry {
                    expires_at_ms,
                    subscription_id,
                }),
                None => tracing::warn!(sk = %item.key.sk, "unreadable by-expiry entry skipped"),
            }
        }
        match page.next {
            Some(c) if !past_limit => query = query.after(Some(c)),
            _ => return Ok(due),
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use bridge_store::memory::MemoryTable;

    fn rec(id: &str, tenant: uuid::Uuid, user: uuid::Uuid, exp: i64) -> SubscriptionRecord {
        SubscriptionRecord {
            subscription_id: id.into(),
            tenant_id: tenant,
            user_id: user,
            mailbox: "mbx".into(),
            resource: GraphResource::Contacts,
            client_state_sha256: crate::client_state_sha256("x"),
            expires_at_ms: exp,
        }
    }

    async fn store(table: &MemoryTable, r: &SubscriptionRecord) {
        table
            .transact(vec![
                WriteOp::Put {
                    item: crate::record_item(r).unwrap(),
                    condition: None,
                },
                WriteOp::Put {
                    item: expiry_item(r),
                    condition: None,
                },
                WriteOp::Put {
                    item: user_subscription_item(r),
                    condition: None,
                },
            ])
            .await
            .unwrap();
    }

    #[test]
    fn expiry_keys_sort_by_time_and_carry_the_id() {
        let k = expiry_key(1_800_000_000_000, "sub-1");
        assert_eq!(k.pk, BY_EXPIRY_PK);
        assert_eq!(k.sk, "EXP#1800000000000#sub-1");
        assert!(expiry_key(999, "z").sk < expiry_key(1000, "a").sk);
        assert_eq!(expiry_key(-5, "a").sk, "EXP#0000000000000#a");
        assert_eq!(
            parse_expiry_sk(&k.sk),
            Some((1_800_000_000_000, "sub-1".into()))
        );
        assert_eq!(parse_expiry_sk("EXP#12#"), None);
        assert_eq!(parse_expiry_sk("nonsense"), None);
    }

    #[tokio::test]
    async fn only_entries_expiring_before_the_bound_are_due_soonest_first() {
        let table = MemoryTable::new();
        let now = 1_800_000_000_000_i64;
        for (offset, id) in [(50, "b"), (10, "a"), (200, "c")] {
            table
                .put(Item::new(expiry_key(now + offset, id)), None)
                .await
                .unwrap();
        }
        let due = due_before(&table, now + 100).await.unwrap();
        let ids: Vec<&str> = due.iter().map(|d| d.subscription_id.as_str()).collect();
        assert_eq!(ids, ["a", "b"]);
        assert_eq!(due[0].expires_at_ms, now + 10);
        assert!(due_before(&table, now).await.unwrap().is_empty());
    }

    #[tokio::test]
    async fn due_entries_are_read_across_pages() {
        let table = MemoryTable::new();
        for i in 0..250 {
            table
                .put(Item::new(expiry_key(1000 + i, &format!("s{i}"))), None)
                .await
                .unwrap();
        }
        assert_eq!(due_before(&table, 1000 + 240).await.unwrap().len(), 240);
    }

    #[tokio::test]
    async fn a_users_records_are_listed_and_deleted_with_their_index_entries() {
        let table = MemoryTable::new();
        let (t, u) = (uuid::Uuid::new_v4(), uuid::Uuid::new_v4());
        let mut events = rec("s-events", t, u, 42);
        events.resource = GraphResource::Events;
        let contacts = rec("s-contacts", t, u, 43);
        store(&table, &contacts).await;
        store(&table, &events).await;
        store(&table, &rec("other-user", t, uuid::Uuid::new_v4(), 44)).await;

        let mine = records_of_user(&table, TenantId(t), UserId(u))
            .await
            .unwrap();
        assert_eq!(mine, vec![contacts.clone(), events.clone()]);

        delete_record(&table, &contacts).await.unwrap();
        delete_record(&table, &contacts).await.unwrap(); // already gone: fine
        assert_eq!(get_record(&table, "s-contacts").await.unwrap(), None);
        assert!(
            table
                .get(&expiry_key(43, "s-contacts"))
                .await
                .unwrap()
                .is_none()
        );
        let mine = records_of_user(&table, TenantId(t), UserId(u))
            .await
            .unwrap();
        assert_eq!(mine, vec![events]);
        // Another tenant's partition holds nothing of this user.
        let elsewhere = records_of_user(&table, TenantId(uuid::Uuid::new_v4()), UserId(u))
            .await
            .unwrap();
        assert!(elsewhere.is_empty());
    }

    #[tokio::test]
    async fn a_by_user_entry_without_its_record_is_dropped() {
        let table = MemoryTable::new();
        let (t, u) = (uuid::Uuid::new_v4(), uuid::Uuid::new_v4());
        let r = rec("gone", t, u, 1);
        table.put(user_subscription_item(&r), None).await.unwrap();
        let found = subscription_of(&table, TenantId(t), UserId(u), GraphResource::Contacts)
            .await
            .unwrap();
        assert_eq!(found, None);
        let key = user_subscription_key(TenantId(t), UserId(u), GraphResource::Contacts);
        assert!(table.get(&key).await.unwrap().is_none());
    }
}
