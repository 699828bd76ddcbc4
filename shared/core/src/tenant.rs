//! Tenants (environments) and their users: the minimum the foundation needs to seed a demo
//! tenant. Every key of a tenant's data starts with [`tenant_pk`], so no query crosses tenants.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// A tenant's id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
pub struct TenantId(pub Uuid);

impl std::fmt::Display for TenantId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

/// A user's id (unique across tenants).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
pub struct UserId(pub Uuid);

impl std::fmt::Display for UserId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

/// The partition key of everything a tenant owns: `T#<uuid>`.
pub fn tenant_pk(t: TenantId) -> String {
    format!("T#{}", t.0)
}

/// Sort key of the tenant's own record.
pub const TENANT_SK: &str = "TENANT";

/// Sort key of a user record.
pub fn user_sk(u: UserId) -> String {
    format!("USER#{}", u.0)
}

/// A right a user may hold (product notes: "add document", "manage users").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Right {
    /// Upload and edit documents (DOC-6: the right that allows editing in Office).
    AddDocument,
    /// Invite, approve and administer users.
    ManageUsers,
}

/// A tenant (an "environment" in the product).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tenant {
    /// Its id.
    pub id: TenantId,
    /// Display name.
    pub name: String,
}

/// A user of a tenant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    /// Its id.
    pub id: UserId,
    /// The tenant it belongs to.
    pub tenant: TenantId,
    /// Display name.
    pub name: String,
    /// Rights held.
    pub rights: Vec<Right>,
}

impl User {
    /// Whether the user holds `right`.
    pub fn has(&self, right: Right) -> bool {
        self.rights.contains(&right)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_start_with_the_tenant() {
        let t = TenantId(Uuid::from_u128(7));
        assert_eq!(tenant_pk(t), "T#00000000-0000-0000-0000-000000000007");
        assert!(user_sk(UserId(Uuid::from_u128(1))).starts_with("USER#"));
    }

    #[test]
    fn rights_serialize_in_snake_case() {
        let s = serde_json::to_string(&[Right::AddDocument, Right::ManageUsers]).unwrap();
        assert_eq!(s, r#"["add_document","manage_users"]"#);
    }
}
