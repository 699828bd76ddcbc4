//! USR-1: installing, and what the sign-in learns.

use bridge_core::tenant::{Role, tenant_pk};
use bridge_directory::{DirectoryError, SignInOutcome};

use super::Env;
use crate::unchanged;

pub async fn usr1_installing_admin_becomes_the_only_super_admin(env: &Env) {
    let org = env.org();
    let admin = org.admin("Ada Admin");
    let done = env
        .dir
        .install(&org.tid, &admin, "  Zorg & Co  ", env.now())
        .await
        .unwrap();
    assert_eq!(done.tenant.tenant.name, "Zorg & Co");
    assert_eq!(
        done.tenant.entra_tenant_id.as_deref(),
        Some(org.tid.as_str())
    );
    assert_eq!(done.super_admin.role, Role::SuperAdmin);
    assert!(
        done.super_admin
            .may(bridge_core::tenant::Right::ManageUsers)
    );
    assert_eq!(
        env.dir.installed_tenant(&org.tid).await.unwrap(),
        Some(done.tenant.tenant.id)
    );
    let users = env
        .table
        .items(&tenant_pk(done.tenant.tenant.id), "USER#")
        .await;
    assert_eq!(users.len(), 1);
    assert_eq!(
        env.dir.resolve_sign_in(&admin).await.unwrap(),
        SignInOutcome::Member {
            tenant: done.tenant.tenant.id,
            user: done.super_admin.user.id
        }
    );
}

pub async fn usr1_non_admin_cannot_install_and_nothing_is_written(env: &Env) {
    let org = env.org();
    let person = org.person("Nora Normal");
    let err = unchanged!(
        env,
        env.dir
            .install(&org.tid, &person, "Zorg", env.now())
            .await
            .unwrap_err()
    );
    assert_eq!(err, DirectoryError::NotAnAdmin);
    assert!(err.to_string().contains("administrator"), "{err}");
    assert_eq!(err.status(), 403);
    // An admin of another organisation cannot install for this one either.
    let other = env.org().admin("Eve Elsewhere");
    let err = unchanged!(
        env,
        env.dir
            .install(&org.tid, &other, "Zorg", env.now())
            .await
            .unwrap_err()
    );
    assert_eq!(err, DirectoryError::NotAnAdmin);
    assert_eq!(env.dir.installed_tenant(&org.tid).await.unwrap(), None);
}

pub async fn usr1_second_install_is_already_installed_and_changes_nothing(env: &Env) {
    let (org, t, _) = env.installed("Zorg").await;
    let second = org.admin("Second Admin");
    let err = unchanged!(
        env,
        env.dir
            .install(&org.tid, &second, "Zorg again", env.now())
            .await
            .unwrap_err()
    );
    assert_eq!(err, DirectoryError::AlreadyInstalled { tenant_id: t });
    assert_eq!(err.status(), 409);
}

pub async fn usr1_concurrent_installs_make_exactly_one_tenant_and_one_super_admin(env: &Env) {
    let org = env.org();
    let tasks: Vec<_> = (0..8)
        .map(|i| {
            let dir = env.dir.clone();
            let tid = org.tid.clone();
            let admin = org.admin(&format!("Admin {i}"));
            let now = env.now();
            tokio::spawn(async move { dir.install(&tid, &admin, "Zorg", now).await })
        })
        .collect();
    let results: Vec<_> = futures::future::join_all(tasks)
        .await
        .into_iter()
        .map(|r| r.unwrap())
        .collect();
    let winners: Vec<_> = results.iter().filter_map(|r| r.as_ref().ok()).collect();
    assert_eq!(winners.len(), 1, "{results:?}");
    let t = winners[0].tenant.tenant.id;
    for r in &results {
        if let Err(e) = r {
            assert_eq!(*e, DirectoryError::AlreadyInstalled { tenant_id: t });
        }
    }
    let users = env.table.items(&tenant_pk(t), "USER#").await;
    assert_eq!(users.len(), 1, "exactly one super admin");
    let tenants = env
        .table
        .snapshot()
        .await
        .keys()
        .filter(|k| k.sk == "TENANT" && k.pk.starts_with("T#"))
        .count();
    assert_eq!(tenants, 1, "exactly one tenant");
}

pub async fn sign_in_resolves_members_deactivated_users_and_strangers(env: &Env) {
    let (org, t, admin) = env.installed("Zorg").await;
    let (member, person) = env
        .member(&org, admin, "Mia Member", Role::User, &[], &[])
        .await;
    assert_eq!(
        env.dir.resolve_sign_in(&person).await.unwrap(),
        SignInOutcome::Member {
            tenant: t,
            user: member.user
        }
    );
    env.dir.deactivate(admin, member.user).await.unwrap();
    assert_eq!(
        env.dir.resolve_sign_in(&person).await.unwrap(),
        SignInOutcome::Deactivated
    );
    let colleague = org.person("Colin Colleague");
    assert_eq!(
        env.dir.resolve_sign_in(&colleague).await.unwrap(),
        SignInOutcome::NotAMember {
            organisation_tenant: Some(t)
        }
    );
    let outsider = env.org().person("Otto Outsider");
    assert_eq!(
        env.dir.resolve_sign_in(&outsider).await.unwrap(),
        SignInOutcome::NotAMember {
            organisation_tenant: None
        }
    );
}
