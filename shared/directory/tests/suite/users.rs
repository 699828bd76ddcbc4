//! Users, roles, rights, groups and deactivation; tenant isolation.

use bridge_core::tenant::{Group, Right, Role};
use bridge_directory::{AccessChange, DirectoryError, Invitee};

use super::{Env, stranger};
use crate::unchanged;

fn role(r: Role) -> AccessChange {
    AccessChange {
        role: Some(r),
        ..AccessChange::default()
    }
}

pub async fn only_user_managers_change_access_and_refusals_change_nothing(env: &Env) {
    let (org, _, admin) = env.installed("Zorg").await;
    let (plain, _) = env
        .member(&org, admin, "Pim Plain", Role::User, &[], &[])
        .await;
    let (other, _) = env
        .member(&org, admin, "Olga Other", Role::User, &[], &[])
        .await;
    let err = unchanged!(
        env,
        env.dir
            .change_access(
                plain,
                other.user,
                AccessChange {
                    rights: Some(vec![Right::ManageUsers]),
                    ..AccessChange::default()
                }
            )
            .await
            .unwrap_err()
    );
    assert!(matches!(err, DirectoryError::Forbidden(_)), "{err:?}");
    assert_eq!(err.status(), 403);
    // Nor may they grant themselves anything.
    let err = unchanged!(
        env,
        env.dir
            .change_access(plain, plain.user, role(Role::Admin))
            .await
            .unwrap_err()
    );
    assert!(matches!(err, DirectoryError::Forbidden(_)));
    assert!(
        env.dir
            .list_users(plain, None, 50)
            .await
            .unwrap_err()
            .status()
            == 403
    );
    // A manager can.
    let changed = env
        .dir
        .change_access(
            admin,
            other.user,
            AccessChange {
                role: Some(Role::Admin),
                rights: Some(vec![
                    Right::ManageUsers,
                    Right::AddDocument,
                    Right::ManageUsers,
                ]),
                groups: None,
            },
        )
        .await
        .unwrap();
    assert_eq!(changed.role, Role::Admin);
    assert_eq!(changed.user.rights.len(), 2, "rights are a set");
    let listed = env.dir.list_users(admin, None, 50).await.unwrap();
    assert_eq!(listed.items.len(), 3);
    assert!(listed.items.contains(&changed));
}

pub async fn only_a_super_admin_grants_or_changes_super_admin(env: &Env) {
    let (org, _, super_admin) = env.installed("Zorg").await;
    let (admin, _) = env
        .member(
            &org,
            super_admin,
            "Adam Admin",
            Role::Admin,
            &[Right::ManageUsers],
            &[],
        )
        .await;
    let (plain, _) = env
        .member(&org, super_admin, "Pim Plain", Role::User, &[], &[])
        .await;
    let err = unchanged!(
        env,
        env.dir
            .change_access(admin, plain.user, role(Role::SuperAdmin))
            .await
            .unwrap_err()
    );
    assert_eq!(err, DirectoryError::OnlySuperAdmin);
    let err = unchanged!(
        env,
        env.dir
            .change_access(admin, super_admin.user, role(Role::User))
            .await
            .unwrap_err()
    );
    assert_eq!(err, DirectoryError::OnlySuperAdmin);
    let err = unchanged!(
        env,
        env.dir
            .deactivate(admin, super_admin.user)
            .await
            .unwrap_err()
    );
    assert_eq!(err, DirectoryError::OnlySuperAdmin);
    // Invitations never carry super admin.
    let err = unchanged!(
        env,
        env.dir
            .invite(
                super_admin,
                Invitee::Email {
                    email: "x@y.example".into()
                },
                Role::SuperAdmin,
                vec![],
                env.now()
            )
            .await
            .unwrap_err()
    );
    assert!(matches!(err, DirectoryError::Invalid(_)));
    // The super admin can.
    let promoted = env
        .dir
        .change_access(super_admin, plain.user, role(Role::SuperAdmin))
        .await
        .unwrap();
    assert_eq!(promoted.role, Role::SuperAdmin);
}

pub async fn nobody_removes_the_last_super_admin(env: &Env) {
    let (org, _, super_admin) = env.installed("Zorg").await;
    let err = unchanged!(
        env,
        env.dir
            .change_access(super_admin, super_admin.user, role(Role::Admin))
            .await
            .unwrap_err()
    );
    assert_eq!(err, DirectoryError::LastSuperAdmin);
    assert_eq!(err.status(), 409);
    // With two super admins, each may demote the other, but not both at once.
    let (second, _) = env
        .member(
            &org,
            super_admin,
            "Sam Second",
            Role::User,
            &[Right::ManageUsers],
            &[],
        )
        .await;
    env.dir
        .change_access(super_admin, second.user, role(Role::SuperAdmin))
        .await
        .unwrap();
    let (a, b) = tokio::join!(
        env.dir
            .change_access(super_admin, second.user, role(Role::Admin)),
        env.dir
            .change_access(second, super_admin.user, role(Role::Admin)),
    );
    let oks = [a.is_ok(), b.is_ok()].iter().filter(|x| **x).count();
    assert!(oks <= 1, "both super admins demoted: {a:?} {b:?}");
    let users = env.dir.list_users(super_admin, None, 50).await;
    let users = match users {
        Ok(u) => u.items,
        // The first super admin was demoted but keeps "manage users".
        Err(e) => panic!("{e:?}"),
    };
    let supers = users
        .iter()
        .filter(|u| u.role == Role::SuperAdmin && u.is_active())
        .count();
    assert!(supers >= 1, "a tenant always keeps a super admin");
    // Deactivating the last active super admin is refused the same way.
    let last = users
        .iter()
        .find(|u| u.role == Role::SuperAdmin)
        .unwrap()
        .user
        .id;
    let other = if last == super_admin.user {
        second
    } else {
        super_admin
    };
    env.dir
        .change_access(
            bridge_directory::Actor {
                tenant: other.tenant,
                user: last,
            },
            other.user,
            role(Role::SuperAdmin),
        )
        .await
        .unwrap();
    env.dir.deactivate(other, last).await.unwrap();
    let err = unchanged!(
        env,
        env.dir
            .change_access(other, other.user, role(Role::Admin))
            .await
            .unwrap_err()
    );
    assert_eq!(err, DirectoryError::LastSuperAdmin);
}

pub async fn deactivated_users_cannot_act_and_deactivation_is_reversible(env: &Env) {
    let (org, _, admin) = env.installed("Zorg").await;
    let (manager, _) = env
        .member(
            &org,
            admin,
            "Mo Manager",
            Role::Admin,
            &[Right::ManageUsers],
            &[],
        )
        .await;
    let err = unchanged!(
        env,
        env.dir.deactivate(manager, manager.user).await.unwrap_err()
    );
    assert!(matches!(err, DirectoryError::Forbidden(_)));
    let off = env.dir.deactivate(admin, manager.user).await.unwrap();
    assert!(!off.is_active());
    let invitee = Invitee::Email {
        email: "new@x.example".into(),
    };
    let err = unchanged!(
        env,
        env.dir
            .invite(manager, invitee.clone(), Role::User, vec![], env.now())
            .await
            .unwrap_err()
    );
    assert_eq!(err, DirectoryError::Deactivated);
    let err = unchanged!(
        env,
        env.dir.list_users(manager, None, 10).await.unwrap_err()
    );
    assert_eq!(err, DirectoryError::Deactivated);
    // Deactivating twice changes nothing; reactivating restores the rights.
    unchanged!(env, env.dir.deactivate(admin, manager.user).await.unwrap());
    env.dir.reactivate(admin, manager.user).await.unwrap();
    env.dir
        .invite(manager, invitee, Role::User, vec![], env.now())
        .await
        .unwrap();
}

pub async fn relation_managers_must_be_advanced_users(env: &Env) {
    let (org, _, admin) = env.installed("Zorg").await;
    let (plain, _) = env
        .member(&org, admin, "Pim Plain", Role::User, &[], &[])
        .await;
    let err = unchanged!(
        env,
        env.dir
            .change_access(
                admin,
                plain.user,
                AccessChange {
                    groups: Some(vec![Group::RelationManagers]),
                    ..AccessChange::default()
                }
            )
            .await
            .unwrap_err()
    );
    assert!(matches!(err, DirectoryError::Invalid(_)));
    let ok = env
        .dir
        .change_access(
            admin,
            plain.user,
            AccessChange {
                role: Some(Role::AdvancedUser),
                groups: Some(vec![Group::RelationManagers]),
                rights: None,
            },
        )
        .await
        .unwrap();
    assert!(ok.in_group(Group::RelationManagers));
}

pub async fn cross_tenant_users_are_not_found_and_nothing_changes(env: &Env) {
    let (org_a, _, admin_a) = env.installed("Alpha").await;
    let (_, _, admin_b) = env.installed("Beta").await;
    let (victim, _) = env
        .member(&org_a, admin_a, "Vic Victim", Role::User, &[], &[])
        .await;
    // A valid manager of B names a user of A: B's partition has no such user.
    let err = unchanged!(
        env,
        env.dir
            .change_access(admin_b, victim.user, role(Role::Admin))
            .await
            .unwrap_err()
    );
    assert_eq!(err, DirectoryError::NotFound("user"));
    assert_eq!(err.status(), 404);
    let err = unchanged!(
        env,
        env.dir.deactivate(admin_b, victim.user).await.unwrap_err()
    );
    assert_eq!(err, DirectoryError::NotFound("user"));
    let err = unchanged!(
        env,
        env.dir.deactivate(admin_b, admin_a.user).await.unwrap_err()
    );
    assert_eq!(err, DirectoryError::NotFound("user"));
    // A's users are not in B's list.
    let listed = env.dir.list_users(admin_b, None, 50).await.unwrap();
    assert_eq!(listed.items.len(), 1);
    assert_eq!(listed.items[0].user.tenant, admin_b.tenant);
    // A user id presented with the wrong tenant is nobody.
    let forged = bridge_directory::Actor {
        tenant: admin_b.tenant,
        user: admin_a.user,
    };
    let err = unchanged!(env, env.dir.list_users(forged, None, 50).await.unwrap_err());
    assert!(matches!(err, DirectoryError::Forbidden(_)));
    let err = unchanged!(
        env,
        env.dir
            .list_users(stranger(admin_a.tenant), None, 50)
            .await
            .unwrap_err()
    );
    assert!(matches!(err, DirectoryError::Forbidden(_)));
}

/// A tenant made outside the directory (operator seed, local demo) becomes a directory tenant
/// with exactly one super admin, who is a relation manager with an address; adopting again is
/// refused and changes nothing.
pub async fn seeded_tenant_is_adopted_once_with_one_super_admin(env: &Env) {
    use bridge_core::tenant::{Tenant, TenantId, User, UserId, tenant_pk, user_sk};
    use bridge_store::{Item, Key};
    let tenant = TenantId(uuid::Uuid::new_v4());
    let user = User {
        id: UserId(uuid::Uuid::new_v4()),
        tenant,
        name: "Sam Seed".into(),
        rights: vec![Right::AddDocument],
    };
    let record = Tenant {
        id: tenant,
        name: "Seeded".into(),
    };
    let as_item = |key: Key, v: serde_json::Value| {
        let serde_json::Value::Object(attrs) = v else {
            panic!("an object")
        };
        Item { key, attrs }
    };
    bridge_store::Table::put(
        env.table.as_ref(),
        as_item(
            Key::new(tenant_pk(tenant), "TENANT"),
            serde_json::to_value(&record).unwrap(),
        ),
        None,
    )
    .await
    .unwrap();
    bridge_store::Table::put(
        env.table.as_ref(),
        as_item(
            Key::new(tenant_pk(tenant), user_sk(user.id)),
            serde_json::to_value(&user).unwrap(),
        ),
        None,
    )
    .await
    .unwrap();
    let adopted = env
        .dir
        .adopt_tenant(tenant, user.id, "Sam@Seeded.Example")
        .await
        .unwrap();
    assert_eq!(adopted.role, Role::SuperAdmin);
    assert!(adopted.may(Right::ManageUsers) && adopted.may(Right::AddDocument));
    assert!(adopted.in_group(Group::RelationManagers));
    assert_eq!(adopted.email.as_deref(), Some("sam@seeded.example"));
    let actor = bridge_directory::Actor {
        tenant,
        user: user.id,
    };
    // The counter exists: the only super admin cannot be deactivated or demoted.
    let err = unchanged!(
        env,
        env.dir
            .change_access(actor, user.id, role(Role::Admin))
            .await
    );
    assert_eq!(err.unwrap_err(), DirectoryError::LastSuperAdmin);
    let err = unchanged!(
        env,
        env.dir
            .adopt_tenant(tenant, user.id, "sam@seeded.example")
            .await
    );
    assert_eq!(err.unwrap_err(), DirectoryError::Conflict);
    // And the super admin manages users at once.
    let sent = env
        .dir
        .invite(
            actor,
            Invitee::Email {
                email: "new@elsewhere.example".into(),
            },
            Role::User,
            vec![],
            env.now(),
        )
        .await
        .unwrap();
    assert!(sent.accept_url.contains("/app/invitations/"));
}
