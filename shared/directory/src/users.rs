//! Users of a tenant: listing, roles, rights and groups, deactivation.
//!
//! Only a user with "manage users" changes users; only a super admin grants super admin or
//! changes a super admin; and no change may leave a tenant without an active super admin. That
//! last rule is a counter (`SUPERADMINS`) updated in the same transaction as the user: it goes
//! down only under the condition `count > 1`, so two admins demoting the last two super admins
//! at once cannot both succeed. Every user write is conditional on the user's `ver`.
//!
//! The same transaction keeps the user's entry among the tenant's published relation managers
//! (`SYS#relmgr#<tenant>`) in step: present exactly while the user is active, at least an
//! advanced user, and in the group "relation managers".

use bridge_core::tenant::{Group, Right, Role, UserAccount, UserId};
use bridge_store::{Condition, Cursor, Update, WriteOp};
use serde_json::Value;

use crate::error::{DirectoryError, Result};
use crate::model::Actor;
use crate::store::{Committed, Tx, at_version, attrs, json};
use crate::{Directory, Listing, keys, store};

/// A change of a user's access; `None` fields stay as they are.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AccessChange {
    /// New role.
    pub role: Option<Role>,
    /// New rights (the whole set).
    pub rights: Option<Vec<Right>>,
    /// New groups (the whole set).
    pub groups: Option<Vec<Group>>,
}

fn counts_as_super_admin(a: &UserAccount) -> bool {
    a.is_active() && a.role == Role::SuperAdmin
}

/// The published form of a relation manager. The address is kept for the relation-request mail
/// and never returned to other tenants.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub(crate) struct PublishedManager {
    pub user_id: UserId,
    pub name: String,
    #[serde(default)]
    pub email: Option<String>,
}

/// The write that keeps `new`'s relation-manager entry in step, if one is needed.
pub(crate) fn relmgr_op(old: Option<&UserAccount>, new: &UserAccount) -> Result<Option<WriteOp>> {
    let key = keys::relmgr(new.user.tenant, new.user.id);
    if new.is_relation_manager() {
        let entry = PublishedManager {
            user_id: new.user.id,
            name: new.user.name.clone(),
            email: new.email.clone(),
        };
        return Ok(Some(WriteOp::Put {
            item: bridge_store::Item {
                key,
                attrs: attrs(&entry)?,
            },
            condition: None,
        }));
    }
    if old.is_some_and(UserAccount::is_relation_manager) {
        return Ok(Some(WriteOp::Delete {
            key,
            condition: None,
        }));
    }
    Ok(None)
}

impl Directory {
    /// A page of the tenant's users, by id (for user managers).
    pub async fn list_users(
        &self,
        by: Actor,
        cursor: Option<Cursor>,
        limit: usize,
    ) -> Result<Listing<UserAccount>> {
        self.acting_manager(by).await?;
        self.list(by.tenant, keys::USER_PREFIX, cursor, limit, "user")
            .await
    }

    /// Changes a user's role, rights and/or groups.
    ///
    /// Needs "manage users"; a super admin's access and the super admin role itself need a super
    /// admin ([`DirectoryError::OnlySuperAdmin`]); the group "relation managers" needs at least an
    /// advanced user; the last active super admin cannot be demoted
    /// ([`DirectoryError::LastSuperAdmin`]). A user of another tenant is
    /// [`DirectoryError::NotFound`].
    pub async fn change_access(
        &self,
        by: Actor,
        target: UserId,
        change: AccessChange,
    ) -> Result<UserAccount> {
        let (actor, _) = self.acting_manager(by).await?;
        let (old, ver) = self
            .load_account(by.tenant, target)
            .await?
            .ok_or(DirectoryError::NotFound("user"))?;
        let mut new = old.clone();
        if let Some(role) = change.role {
            new.role = role;
        }
        if let Some(mut rights) = change.rights {
            rights.sort_by_key(|r| *r as u8);
            rights.dedup();
            new.user.rights = rights;
        }
        if let Some(mut groups) = change.groups {
            groups.sort();
            groups.dedup();
            new.groups = groups;
        }
        let touches_super_admin = old.role == Role::SuperAdmin || new.role == Role::SuperAdmin;
        if touches_super_admin && actor.role != Role::SuperAdmin {
            return Err(DirectoryError::OnlySuperAdmin);
        }
        if new.in_group(Group::RelationManagers) && new.role < Role::AdvancedUser {
            return Err(DirectoryError::Invalid(
                "only advanced users and admins can be relation managers".into(),
            ));
        }
        if new == old {
            return Ok(old);
        }
        self.write_user(&old, &new, ver).await?;
        Ok(new)
    }

    /// Deactivates a user: they can no longer sign in or act (their item stays, so names in
    /// history remain). Needs "manage users"; not oneself; a super admin only by a super admin;
    /// never the last active super admin. Deactivating a deactivated user changes nothing.
    pub async fn deactivate(&self, by: Actor, target: UserId) -> Result<UserAccount> {
        self.set_deactivated(by, target, true).await
    }

    /// Reactivates a deactivated user (same rules as [`Directory::deactivate`]).
    pub async fn reactivate(&self, by: Actor, target: UserId) -> Result<UserAccount> {
        self.set_deactivated(by, target, false).await
    }

    async fn set_deactivated(&self, by: Actor, target: UserId, off: bool) -> Result<UserAccount> {
        let (actor, _) = self.acting_manager(by).await?;
        if target == by.user {
            return Err(DirectoryError::Forbidden(
                "you cannot change your own status".into(),
            ));
        }
        let (old, ver) = self
            .load_account(by.tenant, target)
            .await?
            .ok_or(DirectoryError::NotFound("user"))?;
        if old.role == Role::SuperAdmin && actor.role != Role::SuperAdmin {
            return Err(DirectoryError::OnlySuperAdmin);
        }
        if old.deactivated == off {
            return Ok(old);
        }
        let mut new = old.clone();
        new.deactivated = off;
        self.write_user(&old, &new, ver).await?;
        Ok(new)
    }

    /// Writes `new` over `old` (read at `ver`) with the super admin counter and the relation
    /// manager entry, in one transaction.
    async fn write_user(&self, old: &UserAccount, new: &UserAccount, ver: i64) -> Result<()> {
        let t = new.user.tenant;
        let update = Update::new()
            .set("role", json(&new.role)?)
            .set("rights", json(&new.user.rights)?)
            .set("groups", json(&new.groups)?)
            .set("deactivated", new.deactivated)
            .add(store::VER, 1);
        let mut tx = Tx::new();
        tx.push(
            WriteOp::Update {
                key: keys::user(t, new.user.id),
                update,
                condition: Some(at_version(ver)),
            },
            Some(DirectoryError::Conflict),
        );
        match (counts_as_super_admin(old), counts_as_super_admin(new)) {
            (true, false) => {
                tx.push(
                    WriteOp::Update {
                        key: keys::super_admins(t),
                        update: Update::new().add("count", -1),
                        condition: Some(Condition::GreaterThan("count".into(), Value::from(1))),
                    },
                    Some(DirectoryError::LastSuperAdmin),
                );
            }
            (false, true) => {
                tx.push(
                    WriteOp::Update {
                        key: keys::super_admins(t),
                        update: Update::new().add("count", 1),
                        condition: None,
                    },
                    Some(DirectoryError::Conflict),
                );
            }
            _ => {}
        }
        if let Some(op) = relmgr_op(Some(old), new)? {
            tx.push(op, Some(DirectoryError::Conflict));
        }
        match tx.commit(self.table.as_ref()).await? {
            Committed::Done => Ok(()),
            Committed::Refused(e) => Err(e.unwrap_or(DirectoryError::Conflict)),
        }
    }
}

impl Directory {
    /// Makes a tenant created outside the directory (the operator's `bridge-admin seed`, the
    /// local demo) a full directory tenant: `user` becomes its super admin with "manage users"
    /// and "add document", in the group "relation managers", with `email` for mail, and the
    /// tenant's super-admin counter starts at 1 — the state an install (USR-1) creates.
    ///
    /// For operators only (there is no acting user). One transaction; refused with
    /// [`DirectoryError::Conflict`], changing nothing, when the tenant already has super admins.
    pub async fn adopt_tenant(
        &self,
        tenant: bridge_core::tenant::TenantId,
        user: UserId,
        email: &str,
    ) -> Result<UserAccount> {
        let email = crate::normalize_email(email)?;
        let (old, ver) = self
            .load_account(tenant, user)
            .await?
            .ok_or(DirectoryError::NotFound("user"))?;
        let mut new = old.clone();
        new.role = Role::SuperAdmin;
        new.groups = vec![Group::RelationManagers];
        new.email = Some(email);
        for right in [Right::ManageUsers, Right::AddDocument] {
            if !new.user.rights.contains(&right) {
                new.user.rights.push(right);
            }
        }
        new.user.rights.sort_by_key(|r| *r as u8);
        let update = Update::new()
            .set("role", json(&new.role)?)
            .set("rights", json(&new.user.rights)?)
            .set("groups", json(&new.groups)?)
            .set("email", json(&new.email)?)
            .add(store::VER, 1);
        let mut tx = Tx::new();
        tx.push(
            WriteOp::Update {
                key: keys::user(tenant, user),
                update,
                condition: Some(at_version(ver)),
            },
            Some(DirectoryError::Conflict),
        )
        .push(
            WriteOp::Put {
                item: bridge_store::Item::new(keys::super_admins(tenant))
                    .with("count", Value::from(1)),
                condition: Some(Condition::NotExists),
            },
            Some(DirectoryError::Conflict),
        );
        if let Some(op) = relmgr_op(Some(&old), &new)? {
            tx.push(op, None);
        }
        match tx.commit(self.table.as_ref()).await? {
            Committed::Done => Ok(new),
            Committed::Refused(e) => Err(e.unwrap_or(DirectoryError::Conflict)),
        }
    }
}
