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

/// A user's role in its tenant (product notes: user, advanced user, admin, super admin).
///
/// Roles are ordered by reach, so "at least an advanced user" (PAR-1) is `role >= AdvancedUser`.
/// Rights ([`Right`]) stay separate: a role says who someone is, a right what they may do.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default, Serialize, Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// An ordinary user (the default, also of users stored before roles existed).
    #[default]
    User,
    /// An advanced user: may be a relation manager (PAR-1).
    AdvancedUser,
    /// An administrator of the tenant.
    Admin,
    /// The super administrator: the Microsoft 365 admin who installed the app (USR-1), and whoever
    /// a super admin makes one. A tenant never loses its last super admin.
    SuperAdmin,
}

/// A group a user may belong to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Group {
    /// "Relation managers": the only users (advanced users or admins) who open Partners (PAR-1).
    RelationManagers,
}

/// The Microsoft identity (Entra tenant id + object id) a user signs in with.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct EntraBinding {
    /// The Entra (directory) tenant id, `tid` claim.
    pub tid: String,
    /// The object id of the person in that directory, `oid` claim.
    pub oid: String,
}

/// A user as the directory stores it: the [`User`] every other module reads, plus role, groups,
/// status and sign-in binding, all in the same item.
///
/// A separate type rather than new fields on [`User`]: `User` is built with struct literals in
/// several crates, which new fields would break. Every field added here has a serde default, so
/// user items stored before the directory existed read as active users with role
/// [`Role::User`]; and since `User` ignores unknown attributes, every `UserAccount` item still
/// reads as a `User`. Code that authenticates (an API token's user) should read this type and
/// refuse a user for whom [`UserAccount::is_active`] is false.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserAccount {
    /// The user as the rest of the system sees it (id, tenant, name, rights).
    #[serde(flatten)]
    pub user: User,
    /// Role in the tenant.
    #[serde(default)]
    pub role: Role,
    /// Groups the user belongs to.
    #[serde(default)]
    pub groups: Vec<Group>,
    /// A deactivated user can neither sign in nor act; the item stays so history keeps its name.
    #[serde(default)]
    pub deactivated: bool,
    /// Where mail for the user goes (invitations accepted, join requests to approve).
    #[serde(default)]
    pub email: Option<String>,
    /// The Microsoft identity the user signs in with, when there is one.
    #[serde(default)]
    pub entra: Option<EntraBinding>,
}

impl UserAccount {
    /// Whether the user may sign in and act (not deactivated).
    pub fn is_active(&self) -> bool {
        !self.deactivated
    }

    /// Whether the user belongs to `group`.
    pub fn in_group(&self, group: Group) -> bool {
        self.groups.contains(&group)
    }

    /// Whether the user is active and holds `right`.
    pub fn may(&self, right: Right) -> bool {
        self.is_active() && self.user.has(right)
    }

    /// PAR-1's conditions on the person: active, at least an advanced user, and in the group
    /// "relation managers" (the tenant's subscription, PAR-2, is checked by the directory).
    pub fn is_relation_manager(&self) -> bool {
        self.is_active()
            && self.role >= Role::AdvancedUser
            && self.in_group(Group::RelationManagers)
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

    #[test]
    fn users_stored_before_the_directory_read_as_active_accounts() {
        let old = r#"{"id":"00000000-0000-0000-0000-000000000001","tenant":"00000000-0000-0000-0000-000000000002","name":"Ann","rights":["manage_users"]}"#;
        let account: UserAccount = serde_json::from_str(old).unwrap();
        assert_eq!(account.role, Role::User);
        assert!(account.groups.is_empty());
        assert!(account.is_active());
        assert!(account.may(Right::ManageUsers));
        assert_eq!(account.entra, None);
    }

    #[test]
    fn par1_a_relation_manager_is_an_active_advanced_user_or_admin_in_the_group() {
        let account = |role, groups: Vec<Group>, deactivated| UserAccount {
            user: User {
                id: UserId(Uuid::from_u128(1)),
                tenant: TenantId(Uuid::from_u128(2)),
                name: "Ann".into(),
                rights: vec![],
            },
            role,
            groups,
            deactivated,
            email: None,
            entra: None,
        };
        let rm = vec![Group::RelationManagers];
        for role in [Role::AdvancedUser, Role::Admin, Role::SuperAdmin] {
            assert!(
                account(role, rm.clone(), false).is_relation_manager(),
                "{role:?}"
            );
            assert!(
                !account(role, vec![], false).is_relation_manager(),
                "not in the group"
            );
            assert!(
                !account(role, rm.clone(), true).is_relation_manager(),
                "deactivated"
            );
        }
        assert!(
            !account(Role::User, rm, false).is_relation_manager(),
            "a plain user"
        );
    }

    #[test]
    fn accounts_still_read_as_users_and_roles_are_ordered() {
        let account = UserAccount {
            user: User {
                id: UserId(Uuid::from_u128(1)),
                tenant: TenantId(Uuid::from_u128(2)),
                name: "Ann".into(),
                rights: vec![Right::AddDocument],
            },
            role: Role::SuperAdmin,
            groups: vec![Group::RelationManagers],
            deactivated: true,
            email: Some("ann@example.com".into()),
            entra: Some(EntraBinding {
                tid: "t".into(),
                oid: "o".into(),
            }),
        };
        let json = serde_json::to_value(&account).unwrap();
        assert_eq!(json["role"], "super_admin");
        let user: User = serde_json::from_value(json.clone()).unwrap();
        assert_eq!(user, account.user);
        let back: UserAccount = serde_json::from_value(json).unwrap();
        assert_eq!(back, account);
        assert!(!back.may(Right::AddDocument));
        assert!(Role::Admin > Role::AdvancedUser && Role::AdvancedUser > Role::User);
    }
}
