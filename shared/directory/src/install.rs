//! Installing for an organisation (USR-1), and telling the sign-in who a person is.
//!
//! Installing creates, in one transaction: the organisation's key `SYS#entra#<tid>` (if absent),
//! the tenant, the installing admin as its super admin, the admin's sign-in link and the super
//! admin counter. Two admins installing at the same moment therefore produce exactly one tenant
//! with exactly one super admin; the other learns [`DirectoryError::AlreadyInstalled`].

use bridge_core::clock::EpochMillis;
use bridge_core::tenant::{Right, Role, Tenant, TenantId, User, UserAccount, UserId};
use bridge_store::{Condition, Item, WriteOp};
use serde_json::Value;

use crate::error::{DirectoryError, Result};
use crate::model::{SignInOutcome, SignedInPerson, TenantRecord, clean_name, entra_id};
use crate::store::{Committed, Tx, new_item};
use crate::{Directory, PersonLink, TenantLink, keys};

/// Longest tenant name.
pub const MAX_TENANT_NAME_CHARS: usize = 100;

/// What installing created.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Installed {
    /// The new tenant.
    pub tenant: TenantRecord,
    /// Its super admin: the installing Microsoft 365 admin.
    pub super_admin: UserAccount,
}

/// The address mail for `person` goes to: the verified e-mail, else the sign-in name when it is
/// an address (the UPN of a Microsoft 365 user). Only used to *send to* the person, never to
/// decide who they are.
pub(crate) fn mail_address(person: &SignedInPerson) -> Option<String> {
    person.normalized_email().or_else(|| {
        person
            .preferred_username
            .as_deref()
            .and_then(|u| crate::normalize_email(u).ok())
    })
}

/// Checks a tenant name: 1..=100 characters after trimming, no control characters.
pub(crate) fn check_tenant_name(raw: &str) -> Result<String> {
    if raw.chars().any(char::is_control) {
        return Err(DirectoryError::Invalid(
            "the name must not contain control characters".into(),
        ));
    }
    let name = clean_name(raw);
    if name.is_empty() || name.chars().count() > MAX_TENANT_NAME_CHARS {
        return Err(DirectoryError::Invalid(format!(
            "the name must be 1..={MAX_TENANT_NAME_CHARS} characters"
        )));
    }
    Ok(name)
}

/// The two items every new user gets: the user, and the link its Microsoft identity signs in by
/// (create-if-absent both, so one identity never becomes two users).
pub(crate) fn join_ops(account: &UserAccount, person: &SignedInPerson) -> Result<[WriteOp; 2]> {
    let link = PersonLink {
        tenant: account.user.tenant,
        user: account.user.id,
    };
    Ok([
        WriteOp::Put {
            item: new_item(keys::user(account.user.tenant, account.user.id), account)?,
            condition: Some(Condition::NotExists),
        },
        WriteOp::Put {
            item: new_item(keys::person(&person.tid, &person.oid), &link)?,
            condition: Some(Condition::NotExists),
        },
    ])
}

/// A new active account for `person` in `tenant`.
pub(crate) fn new_account(
    id: UserId,
    tenant: TenantId,
    person: &SignedInPerson,
    role: Role,
    rights: Vec<Right>,
) -> UserAccount {
    let mut binding = person.binding();
    binding.tid = binding.tid.to_ascii_lowercase();
    binding.oid = binding.oid.to_ascii_lowercase();
    UserAccount {
        user: User {
            id,
            tenant,
            name: person.display_name(),
            rights,
        },
        role,
        groups: Vec::new(),
        deactivated: false,
        email: mail_address(person),
        entra: Some(binding),
    }
}

impl Directory {
    /// Installs the app for the Entra tenant `entra_tid` (USR-1): a new tenant named
    /// `tenant_name`, with `admin` as its super admin.
    ///
    /// Refused, changing nothing: `admin` is not an administrator of that organisation
    /// ([`DirectoryError::NotAnAdmin`]); the organisation has a tenant already
    /// ([`DirectoryError::AlreadyInstalled`], also for the loser of a race); the admin already
    /// has an account in some tenant ([`DirectoryError::AlreadyHasAccount`]).
    pub async fn install(
        &self,
        entra_tid: &str,
        admin: &SignedInPerson,
        tenant_name: &str,
        _now: EpochMillis,
    ) -> Result<Installed> {
        admin.validate()?;
        entra_id("tenant id", entra_tid)?;
        if !admin.tid.eq_ignore_ascii_case(entra_tid) {
            // An admin of one organisation never installs for another.
            return Err(DirectoryError::NotAnAdmin);
        }
        if let Some(tenant_id) = self.installed_tenant(entra_tid).await? {
            return Err(DirectoryError::AlreadyInstalled { tenant_id });
        }
        if !admin.is_tenant_admin {
            return Err(DirectoryError::NotAnAdmin);
        }
        let name = check_tenant_name(tenant_name)?;
        if self.person_account(&admin.tid, &admin.oid).await?.is_some() {
            return Err(DirectoryError::AlreadyHasAccount);
        }
        let tenant = TenantRecord {
            tenant: Tenant {
                id: TenantId(self.ids.new_id()),
                name,
            },
            entra_tenant_id: Some(entra_tid.to_ascii_lowercase()),
            partner_relations: false,
            findable: false,
        };
        let t = tenant.tenant.id;
        let super_admin = new_account(
            UserId(self.ids.new_id()),
            t,
            admin,
            Role::SuperAdmin,
            vec![Right::ManageUsers, Right::AddDocument],
        );
        let [user_op, person_op] = join_ops(&super_admin, admin)?;
        let mut tx = Tx::new();
        tx.push(
            WriteOp::Put {
                item: new_item(keys::entra_tenant(entra_tid), &TenantLink { tenant: t })?,
                condition: Some(Condition::NotExists),
            },
            None,
        )
        .push(
            WriteOp::Put {
                item: new_item(keys::tenant(t), &tenant)?,
                condition: Some(Condition::NotExists),
            },
            Some(DirectoryError::Conflict),
        )
        .push(user_op, Some(DirectoryError::Conflict))
        .push(person_op, Some(DirectoryError::AlreadyHasAccount))
        .push(
            WriteOp::Put {
                item: Item::new(keys::super_admins(t)).with("count", Value::from(1)),
                condition: Some(Condition::NotExists),
            },
            Some(DirectoryError::Conflict),
        );
        match tx.commit(self.table.as_ref()).await? {
            Committed::Done => {
                tracing::info!(tenant = %t, "installed");
                Ok(Installed {
                    tenant,
                    super_admin,
                })
            }
            Committed::Refused(Some(e)) => Err(e),
            Committed::Refused(None) => match self.installed_tenant(entra_tid).await? {
                Some(tenant_id) => Err(DirectoryError::AlreadyInstalled { tenant_id }),
                None => Err(DirectoryError::Conflict),
            },
        }
    }

    /// The tenant the organisation `entra_tid` installed, if any.
    pub async fn installed_tenant(&self, entra_tid: &str) -> Result<Option<TenantId>> {
        entra_id("tenant id", entra_tid)?;
        let Some(item) = self.table.get(&keys::entra_tenant(entra_tid)).await? else {
            return Ok(None);
        };
        let link: TenantLink = crate::store::record(&item, "organisation link")?;
        Ok(Some(link.tenant))
    }

    /// Who `person` is here, for the sign-in: an active user, a deactivated one (refuse), or
    /// nobody (offer "request to join" when their organisation has a tenant). Read-only.
    pub async fn resolve_sign_in(&self, person: &SignedInPerson) -> Result<SignInOutcome> {
        person.validate()?;
        if let Some((tenant, user)) = self.person_account(&person.tid, &person.oid).await? {
            return Ok(match self.load_account(tenant, user).await? {
                Some((account, _)) if account.is_active() => SignInOutcome::Member { tenant, user },
                Some(_) => SignInOutcome::Deactivated,
                // A link to a missing user: treat as no account, never as a member.
                None => SignInOutcome::NotAMember {
                    organisation_tenant: None,
                },
            });
        }
        Ok(SignInOutcome::NotAMember {
            organisation_tenant: self.installed_tenant(&person.tid).await?,
        })
    }
}
