//! USR-4: requests to join, their decisions and their floods.

use bridge_core::tenant::{Right, Role, tenant_pk};
use bridge_directory::{
    DAY_MS, Decision, DirectoryError, JoinRequestState, MailKind, SignInOutcome,
};

use super::{Env, JOINS_PER_HOUR, PUBLIC_URL};
use crate::unchanged;

pub async fn usr4_join_request_mails_every_user_manager_and_approval_adds_the_user(env: &Env) {
    let (org, t, admin) = env.installed("Zorg").await;
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
    let (_plain, _) = env
        .member(&org, admin, "Pim Plain", Role::User, &[], &[])
        .await;
    let before = env.outbox.sent().len();
    let person = org.person("Jo Joiner");
    let asked = env.dir.request_join(&person, env.now()).await.unwrap();
    assert_eq!(asked.request.tenant, t);
    assert_eq!(
        asked.managers_notified, 2,
        "the super admin and the manager"
    );
    let mails: Vec<_> = env.outbox.sent().into_iter().skip(before).collect();
    assert_eq!(mails.len(), 2);
    for m in &mails {
        match &m.kind {
            MailKind::JoinRequest {
                review_url,
                requester_name,
                ..
            } => {
                assert_eq!(
                    review_url,
                    &format!("{PUBLIC_URL}/app/users?join_request={}", asked.request.id)
                );
                assert_eq!(requester_name, "Jo Joiner");
            }
            other => panic!("{other:?}"),
        }
    }
    let decided = env
        .dir
        .decide_join_request(manager, asked.request.id, Decision::Approve, env.now())
        .await
        .unwrap();
    assert_eq!(decided.state, JoinRequestState::Approved);
    let user = decided.user.unwrap();
    assert_eq!(
        env.dir.resolve_sign_in(&person).await.unwrap(),
        SignInOutcome::Member { tenant: t, user }
    );
    // Decided requests free the person's pending slot, but they are a member now.
    let err = unchanged!(
        env,
        env.dir.request_join(&person, env.now()).await.unwrap_err()
    );
    assert_eq!(err, DirectoryError::AlreadyHasAccount);
}

pub async fn join_request_decisions_first_wins(env: &Env) {
    let (org, t, admin) = env.installed("Zorg").await;
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
    let person = org.person("Jo Joiner");
    let asked = env.dir.request_join(&person, env.now()).await.unwrap();
    let tasks: Vec<_> = (0..8)
        .map(|i| {
            let dir = env.dir.clone();
            let by = if i % 2 == 0 { admin } else { manager };
            let decision = if i % 3 == 0 {
                Decision::Decline
            } else {
                Decision::Approve
            };
            let id = asked.request.id;
            let now = env.now();
            tokio::spawn(async move { dir.decide_join_request(by, id, decision, now).await })
        })
        .collect();
    let results: Vec<_> = futures::future::join_all(tasks)
        .await
        .into_iter()
        .map(|r| r.unwrap())
        .collect();
    let winners: Vec<_> = results.iter().filter_map(|r| r.as_ref().ok()).collect();
    assert_eq!(winners.len(), 1, "{results:?}");
    let decision = match winners[0].state {
        JoinRequestState::Approved => Decision::Approve,
        JoinRequestState::Declined => Decision::Decline,
        other => panic!("{other:?}"),
    };
    for e in results.iter().filter_map(|r| r.as_ref().err()) {
        assert_eq!(*e, DirectoryError::AlreadyDecided { decision });
    }
    let users = env.table.items(&tenant_pk(t), "USER#").await.len();
    assert_eq!(users, if decision == Decision::Approve { 3 } else { 2 });
    // Later decisions change nothing.
    let err = unchanged!(
        env,
        env.dir
            .decide_join_request(admin, asked.request.id, Decision::Approve, env.now())
            .await
            .unwrap_err()
    );
    assert_eq!(err, DirectoryError::AlreadyDecided { decision });
    assert_eq!(err.status(), 409);
}

pub async fn one_pending_join_request_per_person(env: &Env) {
    let (org, _, admin) = env.installed("Zorg").await;
    let person = org.person("Jo Joiner");
    let asked = env.dir.request_join(&person, env.now()).await.unwrap();
    let err = unchanged!(
        env,
        env.dir.request_join(&person, env.now()).await.unwrap_err()
    );
    assert_eq!(
        err,
        DirectoryError::JoinRequestPending {
            request_id: asked.request.id
        }
    );
    // After a decline the person may ask again.
    env.dir
        .decide_join_request(admin, asked.request.id, Decision::Decline, env.now())
        .await
        .unwrap();
    env.dir.request_join(&person, env.now()).await.unwrap();
}

pub async fn join_request_floods_are_rate_limited_per_person_and_per_tenant(env: &Env) {
    let (org, t, admin) = env.installed("Zorg").await;
    // Per person: three a day, even when each is declined at once.
    let person = org.person("Fred Flood");
    for _ in 0..3 {
        let asked = env.dir.request_join(&person, env.now()).await.unwrap();
        env.dir
            .decide_join_request(admin, asked.request.id, Decision::Decline, env.now())
            .await
            .unwrap();
    }
    let mails = env.outbox.sent().len();
    let err = unchanged!(
        env,
        env.dir.request_join(&person, env.now()).await.unwrap_err()
    );
    assert!(matches!(err, DirectoryError::RateLimited { .. }), "{err:?}");
    assert_eq!(err.status(), 429);
    assert_eq!(
        env.outbox.sent().len(),
        mails,
        "no mail for a refused request"
    );
    // Per tenant: JOINS_PER_HOUR an hour from anyone (3 were used above).
    for i in 3..JOINS_PER_HOUR {
        env.dir
            .request_join(&org.person(&format!("P {i}")), env.now())
            .await
            .unwrap();
    }
    let err = unchanged!(
        env,
        env.dir
            .request_join(&org.person("One Too Many"), env.now())
            .await
            .unwrap_err()
    );
    assert!(matches!(err, DirectoryError::RateLimited { .. }), "{err:?}");
    let pending = env.table.items(&tenant_pk(t), "JOIN#").await.len();
    assert_eq!(pending, JOINS_PER_HOUR as usize);
    env.clock.advance_ms(DAY_MS);
    env.dir.request_join(&person, env.now()).await.unwrap();
}

pub async fn join_request_needs_an_environment_and_a_non_member(env: &Env) {
    let org = env.org();
    let err = unchanged!(
        env,
        env.dir
            .request_join(&org.person("Early Bird"), env.now())
            .await
            .unwrap_err()
    );
    assert_eq!(err, DirectoryError::NoEnvironmentForOrganisation);
    assert_eq!(err.status(), 404);
    let (org, _, _) = env.installed("Zorg").await;
    let admin_again = org.admin("Ada Admin");
    // (A different person object with a new oid is not a member; the installing admin is.)
    env.dir.request_join(&admin_again, env.now()).await.unwrap();
}

pub async fn only_user_managers_of_the_tenant_decide_join_requests(env: &Env) {
    let (org, _, admin) = env.installed("Zorg").await;
    let (plain, _) = env
        .member(&org, admin, "Pim Plain", Role::User, &[], &[])
        .await;
    let (_, _, other_admin) = env.installed("Elsewhere").await;
    let asked = env
        .dir
        .request_join(&org.person("Jo Joiner"), env.now())
        .await
        .unwrap();
    let err = unchanged!(
        env,
        env.dir
            .decide_join_request(plain, asked.request.id, Decision::Approve, env.now())
            .await
            .unwrap_err()
    );
    assert!(matches!(err, DirectoryError::Forbidden(_)));
    let err = unchanged!(
        env,
        env.dir
            .decide_join_request(other_admin, asked.request.id, Decision::Approve, env.now())
            .await
            .unwrap_err()
    );
    assert_eq!(err, DirectoryError::NotFound("join request"));
    let listed = env.dir.list_join_requests(admin, None, 10).await.unwrap();
    assert_eq!(listed.items.len(), 1);
    assert!(
        env.dir
            .list_join_requests(other_admin, None, 10)
            .await
            .unwrap()
            .items
            .is_empty()
    );
    // An expired request cannot be decided.
    env.clock.advance_ms(14 * DAY_MS);
    let err = unchanged!(
        env,
        env.dir
            .decide_join_request(admin, asked.request.id, Decision::Approve, env.now())
            .await
            .unwrap_err()
    );
    assert_eq!(err, DirectoryError::Expired);
}
