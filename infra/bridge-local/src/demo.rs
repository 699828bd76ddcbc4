//! The demo tenant and user that a fresh local data directory starts with, so a developer has
//! something to sign in as. Created once: a pointer item records them, and the creation is one
//! conditional transaction, so two runners starting on one directory still make exactly one.

use bridge_core::tenant::{Right, TENANT_SK, Tenant, TenantId, User, UserId, tenant_pk, user_sk};
use bridge_platform::Adapters;
use bridge_store::{Condition, Item, Key, StoreError, WriteOp};
use serde::Serialize;
use serde_json::Value;

/// Where the demo's ids are recorded.
fn pointer_key() -> Key {
    Key::new("SYS#local", "DEMO")
}

/// The demo tenant and its user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Demo {
    /// The tenant.
    pub tenant: Tenant,
    /// Its user (with the "add document" and "manage users" rights).
    pub user: User,
    /// Whether this start created them (false after a restart).
    pub created: bool,
}

fn to_attrs(v: &impl Serialize) -> Result<serde_json::Map<String, Value>, StoreError> {
    match serde_json::to_value(v) {
        Ok(Value::Object(m)) => Ok(m),
        _ => Err(StoreError::Backend("cannot encode demo record".into())),
    }
}

fn from_item<T: serde::de::DeserializeOwned>(item: Item) -> Result<T, StoreError> {
    serde_json::from_value(Value::Object(item.attrs))
        .map_err(|e| StoreError::Backend(format!("unreadable demo record: {e}")))
}

async fn load(adapters: &Adapters, pointer: &Item) -> Result<Option<Demo>, StoreError> {
    let (Some(t), Some(u)) = (pointer.get_str("tenant_id"), pointer.get_str("user_id")) else {
        return Ok(None);
    };
    let (Ok(t), Ok(u)) = (t.parse(), u.parse()) else {
        return Ok(None);
    };
    let (t, u) = (TenantId(t), UserId(u));
    let tenant = adapters
        .table
        .get(&Key::new(tenant_pk(t), TENANT_SK))
        .await?;
    let user = adapters
        .table
        .get(&Key::new(tenant_pk(t), user_sk(u)))
        .await?;
    match (tenant, user) {
        (Some(t), Some(u)) => Ok(Some(Demo {
            tenant: from_item(t)?,
            user: from_item(u)?,
            created: false,
        })),
        _ => Ok(None),
    }
}

/// Returns the demo tenant and user, creating them on the first start.
pub async fn ensure(adapters: &Adapters) -> Result<Demo, StoreError> {
    for _ in 0..3 {
        if let Some(p) = adapters.table.get(&pointer_key()).await? {
            if let Some(demo) = load(adapters, &p).await? {
                return Ok(demo);
            }
            return Err(StoreError::Backend(
                "the demo pointer refers to missing records".into(),
            ));
        }
        let tenant = Tenant {
            id: TenantId(adapters.ids.new_id()),
            name: "Demo Environment".into(),
        };
        let user = User {
            id: UserId(adapters.ids.new_id()),
            tenant: tenant.id,
            name: "Demo User".into(),
            rights: vec![Right::AddDocument, Right::ManageUsers],
        };
        let pk = tenant_pk(tenant.id);
        let ops = vec![
            WriteOp::Put {
                item: Item::new(pointer_key())
                    .with("tenant_id", tenant.id.to_string())
                    .with("user_id", user.id.to_string()),
                condition: Some(Condition::NotExists),
            },
            WriteOp::Put {
                item: Item {
                    key: Key::new(&pk, TENANT_SK),
                    attrs: to_attrs(&tenant)?,
                },
                condition: Some(Condition::NotExists),
            },
            WriteOp::Put {
                item: Item {
                    key: Key::new(&pk, user_sk(user.id)),
                    attrs: to_attrs(&user)?,
                },
                condition: Some(Condition::NotExists),
            },
        ];
        match adapters.table.transact(ops).await {
            Ok(()) => {
                return Ok(Demo {
                    tenant,
                    user,
                    created: true,
                });
            }
            // Another runner created it first: read theirs.
            Err(StoreError::TransactionCanceled { .. }) => continue,
            Err(e) => return Err(e),
        }
    }
    Err(StoreError::Backend(
        "could not create or read the demo tenant".into(),
    ))
}
