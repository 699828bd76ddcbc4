//! Creating a tenant with its first users. Until the directory capability (install from
//! Microsoft 365, invitations) exists, the local runner's demo tenant and the operator CLI's
//! `seed` both create tenants here, so there is one way a tenant comes to be.

use bridge_core::tenant::{Right, TENANT_SK, Tenant, TenantId, User, UserId, tenant_pk, user_sk};
use bridge_store::{Condition, Item, Key, StoreError, WriteOp};
use serde_json::Value;

use crate::Adapters;

fn attrs(v: &impl serde::Serialize) -> Result<serde_json::Map<String, Value>, StoreError> {
    match serde_json::to_value(v) {
        Ok(Value::Object(m)) => Ok(m),
        _ => Err(StoreError::Backend("cannot encode record".into())),
    }
}

/// A new tenant `name` with `users` (name and rights), with fresh ids, not yet stored.
pub fn new_tenant(
    adapters: &Adapters,
    name: &str,
    users: &[(&str, &[Right])],
) -> (Tenant, Vec<User>) {
    let tenant = Tenant {
        id: TenantId(adapters.ids.new_id()),
        name: name.to_string(),
    };
    let users = users
        .iter()
        .map(|(n, rights)| User {
            id: UserId(adapters.ids.new_id()),
            tenant: tenant.id,
            name: (*n).to_string(),
            rights: rights.to_vec(),
        })
        .collect();
    (tenant, users)
}

/// Stores a tenant and its users in one transaction, together with the caller's `extra`
/// writes. All items are created only if absent, so a retry never doubles anything.
pub async fn store_tenant(
    adapters: &Adapters,
    tenant: &Tenant,
    users: &[User],
    extra: Vec<WriteOp>,
) -> Result<(), StoreError> {
    let pk = tenant_pk(tenant.id);
    let mut ops = extra;
    ops.push(WriteOp::Put {
        item: Item {
            key: Key::new(&pk, TENANT_SK),
            attrs: attrs(tenant)?,
        },
        condition: Some(Condition::NotExists),
    });
    for u in users {
        ops.push(WriteOp::Put {
            item: Item {
                key: Key::new(&pk, user_sk(u.id)),
                attrs: attrs(u)?,
            },
            condition: Some(Condition::NotExists),
        });
    }
    adapters.table.transact(ops).await
}

/// Reads a user of a tenant.
pub async fn load_user(
    adapters: &Adapters,
    tenant: TenantId,
    user: UserId,
) -> Result<Option<User>, StoreError> {
    Ok(load_account(adapters, tenant, user).await?.map(|a| a.user))
}

/// Reads a user with its role, groups and status, as the directory stores it.
pub async fn load_account(
    adapters: &Adapters,
    tenant: TenantId,
    user: UserId,
) -> Result<Option<bridge_core::tenant::UserAccount>, StoreError> {
    let item = adapters
        .table
        .get(&Key::new(tenant_pk(tenant), user_sk(user)))
        .await?;
    item.map(|i| {
        serde_json::from_value(Value::Object(i.attrs))
            .map_err(|e| StoreError::Backend(format!("unreadable user record: {e}")))
    })
    .transpose()
}

/// Reads a tenant.
pub async fn load_tenant(
    adapters: &Adapters,
    tenant: TenantId,
) -> Result<Option<Tenant>, StoreError> {
    let item = adapters
        .table
        .get(&Key::new(tenant_pk(tenant), TENANT_SK))
        .await?;
    item.map(|i| {
        serde_json::from_value(Value::Object(i.attrs))
            .map_err(|e| StoreError::Backend(format!("unreadable tenant record: {e}")))
    })
    .transpose()
}
