//! Account links (SYNC-2) and sync switches (SYNC-1) against the Graph emulator.
#![allow(clippy::unwrap_used)]

mod common;

use bridge_core::tenant::{TenantId, UserId};
use bridge_graph_subs::{GraphResource, LinkError, SyncSwitches, m365_user_key};
use bridge_store::Table;
use common::{Fixture, TENANT};

#[tokio::test]
async fn a_link_records_the_microsoft_365_user_as_graph_knows_it() {
    let f = Fixture::new().await;
    let user = UserId(uuid::Uuid::new_v4());
    f.add_app_user(user).await;
    // A user principal name resolves to the object id, which is what is stored.
    let link = f
        .links
        .link(f.tenant, user, &f.alice.user_principal_name, f.admin)
        .await
        .unwrap();
    assert_eq!(link.graph_user_id, f.alice.id);
    assert_eq!(link.graph_tenant_id, TENANT);
    assert_eq!(link.display_name.as_deref(), Some("Alice"));
    assert_eq!(link.switches(), SyncSwitches::default());
    assert_eq!(f.links.get(f.tenant, user).await.unwrap(), Some(link));
    assert!(
        f.table
            .get(&m365_user_key(TENANT, &f.alice.id))
            .await
            .unwrap()
            .is_some()
    );
}

#[tokio::test]
async fn each_side_links_once_and_the_refusal_says_which_side() {
    let f = Fixture::new().await;
    let user = f.linked_user(&f.alice).await;
    let e = f
        .links
        .link(f.tenant, user, &f.bob.id, f.admin)
        .await
        .unwrap_err();
    assert!(matches!(e, LinkError::AppUserAlreadyLinked), "{e:?}");
    let other = UserId(uuid::Uuid::new_v4());
    f.add_app_user(other).await;
    let e = f
        .links
        .link(f.tenant, other, &f.alice.id, f.admin)
        .await
        .unwrap_err();
    assert!(matches!(e, LinkError::M365UserAlreadyLinked), "{e:?}");
    assert!(
        e.to_string()
            .contains("Microsoft 365 account is already linked")
    );
}

#[tokio::test]
async fn eight_concurrent_links_of_one_microsoft_365_user_leave_exactly_one() {
    let f = Fixture::new().await;
    let mut users = Vec::new();
    for _ in 0..8 {
        let u = UserId(uuid::Uuid::new_v4());
        f.add_app_user(u).await;
        users.push(u);
    }
    let links = std::sync::Arc::new(f.links.clone());
    let tasks: Vec<_> = users
        .iter()
        .map(|&u| {
            let (links, tenant, m365, admin) =
                (links.clone(), f.tenant, f.alice.id.clone(), f.admin);
            tokio::spawn(async move { links.link(tenant, u, &m365, admin).await })
        })
        .collect();
    let results = futures::future::join_all(tasks).await;
    let ok = results.iter().filter(|r| matches!(r, Ok(Ok(_)))).count();
    let refused = results
        .iter()
        .filter(|r| matches!(r, Ok(Err(LinkError::M365UserAlreadyLinked))))
        .count();
    assert_eq!((ok, refused), (1, 7));
    let mut linked = 0;
    for u in users {
        linked += usize::from(f.links.get(f.tenant, u).await.unwrap().is_some());
    }
    assert_eq!(linked, 1);
}

#[tokio::test]
async fn unknown_users_on_either_side_are_refused_and_nothing_is_written() {
    let f = Fixture::new().await;
    let stranger = UserId(uuid::Uuid::new_v4());
    let e = f
        .links
        .link(f.tenant, stranger, &f.alice.id, f.admin)
        .await
        .unwrap_err();
    assert!(matches!(e, LinkError::UserNotFound), "{e:?}");
    let e = f
        .links
        .link(
            f.tenant,
            f.admin,
            "00000000-0000-0000-0000-000000000000",
            f.admin,
        )
        .await
        .unwrap_err();
    assert!(matches!(e, LinkError::M365UserNotFound), "{e:?}");
    let e = f
        .links
        .link(f.tenant, f.admin, "../etc", f.admin)
        .await
        .unwrap_err();
    assert!(matches!(e, LinkError::InvalidGraphUserId), "{e:?}");
    assert_eq!(f.links.get(f.tenant, f.admin).await.unwrap(), None);
    // The admin's tenant is the only one that has the user.
    let e = f
        .links
        .link(
            TenantId(uuid::Uuid::new_v4()),
            f.admin,
            &f.alice.id,
            f.admin,
        )
        .await
        .unwrap_err();
    assert!(matches!(e, LinkError::UserNotFound), "{e:?}");
}

#[tokio::test]
async fn sync_switches_create_and_delete_subscriptions_one_resource_at_a_time() {
    let f = Fixture::new().await;
    let user = f.linked_user(&f.alice).await;
    let on = |contacts, calendar| SyncSwitches { contacts, calendar };

    assert_eq!(
        f.links
            .set_sync(f.tenant, user, on(true, false))
            .await
            .unwrap(),
        on(true, false)
    );
    let subs = f.graph_subscriptions();
    assert_eq!(subs.len(), 1);
    assert!(subs[0]["resource"].as_str().unwrap().ends_with("/contacts"));

    assert_eq!(
        f.links
            .set_sync(f.tenant, user, on(true, true))
            .await
            .unwrap(),
        on(true, true)
    );
    assert_eq!(f.graph_subscriptions().len(), 2);
    assert_eq!(
        f.links
            .get(f.tenant, user)
            .await
            .unwrap()
            .unwrap()
            .switches(),
        on(true, true)
    );

    assert_eq!(
        f.links
            .set_sync(f.tenant, user, on(false, true))
            .await
            .unwrap(),
        on(false, true)
    );
    let subs = f.graph_subscriptions();
    assert_eq!(subs.len(), 1);
    assert!(subs[0]["resource"].as_str().unwrap().ends_with("/events"));
    let left = f.manager.records_of_user(f.tenant, user).await.unwrap();
    assert_eq!(left.len(), 1);
    assert_eq!(left[0].resource, GraphResource::Events);
}

#[tokio::test]
async fn sync_switches_need_a_link() {
    let f = Fixture::new().await;
    let e = f
        .links
        .set_sync(
            f.tenant,
            f.admin,
            SyncSwitches {
                contacts: true,
                calendar: false,
            },
        )
        .await
        .unwrap_err();
    assert!(matches!(e, LinkError::NotLinked), "{e:?}");
    assert!(f.graph_subscriptions().is_empty());
}

#[tokio::test]
async fn unlinking_deletes_the_subscriptions_and_frees_both_sides() {
    let f = Fixture::new().await;
    let user = f.linked_user(&f.alice).await;
    f.links
        .set_sync(
            f.tenant,
            user,
            SyncSwitches {
                contacts: true,
                calendar: true,
            },
        )
        .await
        .unwrap();
    assert_eq!(f.graph_subscriptions().len(), 2);

    f.links.unlink(f.tenant, user).await.unwrap();
    assert!(f.graph_subscriptions().is_empty());
    assert!(
        f.manager
            .records_of_user(f.tenant, user)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(f.links.get(f.tenant, user).await.unwrap(), None);
    assert!(matches!(
        f.links.unlink(f.tenant, user).await.unwrap_err(),
        LinkError::NotLinked
    ));
    // Both sides are free: the user links Bob, and Alice links to someone else.
    f.links
        .link(f.tenant, user, &f.bob.id, f.admin)
        .await
        .unwrap();
    f.linked_user(&f.alice).await;
}
