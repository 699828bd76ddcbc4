//! The demo tenant and user that a fresh local data directory starts with, so a developer has
//! something to sign in as. Created once: a pointer item records them, written in the same
//! conditional transaction as the tenant, so two runners starting on one directory still make
//! exactly one.

use bridge_core::tenant::{Right, Tenant, TenantId, User, UserId};
use bridge_platform::Adapters;
use bridge_platform::seed::{load_tenant, load_user, new_tenant, store_tenant};
use bridge_store::{Condition, Item, Key, StoreError, WriteOp};
use serde::Serialize;

/// The demo user's address (a reserved domain: mail to it goes nowhere but the local outbox).
pub const DEMO_EMAIL: &str = "demo@example.com";

/// Where the demo's ids are recorded.
fn pointer_key() -> Key {
    Key::new("SYS#local", "DEMO")
}

/// The demo tenant and its user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Demo {
    /// The tenant.
    pub tenant: Tenant,
    /// Its user: the super admin, with "add document" and "manage users", a relation manager.
    pub user: User,
    /// Whether this start created them (false after a restart).
    pub created: bool,
}

async fn load(adapters: &Adapters, pointer: &Item) -> Result<Option<Demo>, StoreError> {
    let (Some(t), Some(u)) = (pointer.get_str("tenant_id"), pointer.get_str("user_id")) else {
        return Ok(None);
    };
    let (Ok(t), Ok(u)) = (t.parse(), u.parse()) else {
        return Ok(None);
    };
    let tenant = load_tenant(adapters, TenantId(t)).await?;
    let user = load_user(adapters, TenantId(t), UserId(u)).await?;
    Ok(tenant.zip(user).map(|(tenant, user)| Demo {
        tenant,
        user,
        created: false,
    }))
}

/// Returns the demo tenant and user, creating them on the first start.
pub async fn ensure(adapters: &Adapters) -> Result<Demo, StoreError> {
    for _ in 0..3 {
        if let Some(p) = adapters.table.get(&pointer_key()).await? {
            return load(adapters, &p).await?.ok_or_else(|| {
                StoreError::Backend("the demo pointer refers to missing records".into())
            });
        }
        let rights: &[Right] = &[Right::AddDocument, Right::ManageUsers];
        let (tenant, users) = new_tenant(adapters, "Demo Environment", &[("Demo User", rights)]);
        let Some(user) = users.first().cloned() else {
            return Err(StoreError::Backend("demo user missing".into()));
        };
        let pointer = Item::new(pointer_key())
            .with("tenant_id", tenant.id.to_string())
            .with("user_id", user.id.to_string());
        let extra = vec![WriteOp::Put {
            item: pointer,
            condition: Some(Condition::NotExists),
        }];
        match store_tenant(adapters, &tenant, &users, extra).await {
            Ok(()) => {
                // The creator makes the demo user the super admin, as an install would, so the
                // users and partners pages work for it too.
                let directory = bridge_platform::directory::service(adapters)
                    .map_err(|e| StoreError::Backend(e.to_string()))?;
                let account = directory
                    .adopt_tenant(tenant.id, user.id, DEMO_EMAIL)
                    .await
                    .map_err(|e| StoreError::Backend(format!("demo super admin: {e}")))?;
                let user = account.user;
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
