//! PAR-1..6: partner access, search, relation requests, relations and sharing.

use bridge_core::tenant::{Group, Role};
use bridge_directory::{
    AccessChange, DAY_MS, DirectoryError, MailKind, RelationRequestState, ShareOutcome,
};
use uuid::Uuid;

use super::{Env, PUBLIC_URL};
use crate::unchanged;

pub async fn par1_par2_partners_need_relation_managers_with_the_subscription(env: &Env) {
    let (org, t, admin) = env.installed("Zorg").await;
    let (rm, _) = env
        .member(
            &org,
            admin,
            "Rita",
            Role::AdvancedUser,
            &[],
            &[Group::RelationManagers],
        )
        .await;
    // No subscription: nobody.
    assert_eq!(
        env.dir.check_partner_access(rm).await.unwrap_err(),
        DirectoryError::PartnerRelationsNotInSubscription
    );
    let err = unchanged!(env, env.dir.set_findable(admin, true).await.unwrap_err());
    assert_eq!(err, DirectoryError::PartnerRelationsNotInSubscription);
    env.dir
        .set_partner_relations_subscription(t, true)
        .await
        .unwrap();
    env.dir.check_partner_access(rm).await.unwrap();
    // The super admin is not in the group; an advanced user outside it neither.
    assert_eq!(
        env.dir.check_partner_access(admin).await.unwrap_err(),
        DirectoryError::NotARelationManager
    );
    let (advanced, _) = env
        .member(&org, admin, "Adi", Role::AdvancedUser, &[], &[])
        .await;
    let err = unchanged!(
        env,
        env.dir
            .search_partners(advanced, "zorg", env.now())
            .await
            .unwrap_err()
    );
    assert_eq!(err, DirectoryError::NotARelationManager);
    assert_eq!(err.status(), 403);
    // Demoted below advanced user: access ends (the group needs the role).
    let err = env
        .dir
        .change_access(
            admin,
            rm.user,
            AccessChange {
                role: Some(Role::User),
                ..AccessChange::default()
            },
        )
        .await
        .unwrap_err();
    assert!(matches!(err, DirectoryError::Invalid(_)));
    env.dir.deactivate(admin, rm.user).await.unwrap();
    assert_eq!(
        env.dir.check_partner_access(rm).await.unwrap_err(),
        DirectoryError::Deactivated
    );
    // Only admins decide whether the environment can be found.
    let err = unchanged!(env, env.dir.set_findable(advanced, true).await.unwrap_err());
    assert!(matches!(err, DirectoryError::Forbidden(_)));
}

pub async fn par3_search_finds_findable_environments_with_public_details_only(env: &Env) {
    let p = env.partner_pair().await;
    let (_, hidden, hidden_admin) = env.installed("Beta Hidden").await;
    env.dir
        .set_partner_relations_subscription(hidden, true)
        .await
        .unwrap();
    let found = env
        .dir
        .search_partners(p.rm_a, "bet", env.now())
        .await
        .unwrap();
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].tenant_id, p.b);
    assert_eq!(found[0].name, "Beta Care Rotterdam");
    assert_eq!(found[0].relation_managers.len(), 1);
    assert_eq!(found[0].relation_managers[0].user_id, p.rm_b.user);
    assert_eq!(found[0].relation_managers[0].name, "Bram Beta");
    let json = serde_json::to_string(&found).unwrap();
    assert!(!json.contains('@'), "no addresses in suggestions: {json}");
    // By a later word, case and punctuation ignored; never one's own environment.
    let found = env
        .dir
        .search_partners(p.rm_a, "ROTTER-", env.now())
        .await
        .unwrap();
    assert_eq!(found.len(), 1);
    let own = env
        .dir
        .search_partners(p.rm_a, "alpha", env.now())
        .await
        .unwrap();
    assert!(own.is_empty());
    // Opting out removes it at once; opting in again brings it back.
    env.dir.set_findable(p.admin_b, false).await.unwrap();
    assert!(
        env.dir
            .search_partners(p.rm_a, "beta", env.now())
            .await
            .unwrap()
            .is_empty()
    );
    env.dir.set_findable(p.admin_b, true).await.unwrap();
    env.dir.set_findable(hidden_admin, true).await.unwrap();
    assert_eq!(
        env.dir
            .search_partners(p.rm_a, "beta", env.now())
            .await
            .unwrap()
            .len(),
        2
    );
    // A subscription that ends unpublishes too.
    env.dir
        .set_partner_relations_subscription(hidden, false)
        .await
        .unwrap();
    assert_eq!(
        env.dir
            .search_partners(p.rm_a, "beta", env.now())
            .await
            .unwrap()
            .len(),
        1
    );
    // A relation manager who leaves the group is no longer listed.
    env.dir
        .change_access(
            p.admin_b,
            p.rm_b.user,
            AccessChange {
                groups: Some(vec![]),
                ..AccessChange::default()
            },
        )
        .await
        .unwrap();
    let found = env
        .dir
        .search_partners(p.rm_a, "beta", env.now())
        .await
        .unwrap();
    assert!(found[0].relation_managers.is_empty());
}

pub async fn partner_search_needs_three_characters_and_is_rate_limited(env: &Env) {
    let p = env.partner_pair().await;
    for q in ["", "b", " b-e ", "%%%%"] {
        let err = unchanged!(
            env,
            env.dir
                .search_partners(p.rm_a, q, env.now())
                .await
                .unwrap_err()
        );
        assert_eq!(err, DirectoryError::QueryTooShort { min: 3 }, "{q:?}");
        assert_eq!(err.status(), 400);
    }
    for _ in 0..20 {
        env.dir
            .search_partners(p.rm_a, "bet", env.now())
            .await
            .unwrap();
    }
    let err = unchanged!(
        env,
        env.dir
            .search_partners(p.rm_a, "bet", env.now())
            .await
            .unwrap_err()
    );
    assert!(
        matches!(err, DirectoryError::RateLimited { retry_after_ms } if retry_after_ms > 0 && retry_after_ms <= 60_000)
    );
    // Another user has their own budget; the next minute brings a new one.
    env.dir
        .search_partners(p.rm_b, "alp", env.now())
        .await
        .unwrap();
    env.clock.advance_ms(60_000);
    env.dir
        .search_partners(p.rm_a, "bet", env.now())
        .await
        .unwrap();
}

pub async fn par4_relation_request_is_accepted_by_the_addressee_only_and_once(env: &Env) {
    let p = env.partner_pair().await;
    let (rm_b2, _) = env
        .member(
            &p.org_b,
            p.admin_b,
            "Bea Second",
            Role::Admin,
            &[],
            &[Group::RelationManagers],
        )
        .await;
    let sent = env
        .dir
        .request_relation(p.rm_a, p.b, p.rm_b.user, env.now())
        .await
        .unwrap();
    assert_eq!(
        sent.accept_url,
        format!("{PUBLIC_URL}/app/relation-requests/{}", sent.token)
    );
    let mail = env.outbox.sent().pop().unwrap();
    assert_eq!(mail.to, "bram.beta@org1.example");
    assert!(
        matches!(mail.kind, MailKind::RelationRequest { ref from_tenant_name, .. } if from_tenant_name == "Alpha Zorg Amsterdam")
    );
    // Opening the link changes nothing.
    let view = unchanged!(
        env,
        env.dir
            .view_relation_request(&sent.token, env.now())
            .await
            .unwrap()
    );
    assert_eq!(view.state, RelationRequestState::Pending);
    // Operators look the state up by id alone.
    let by_id = env.dir.relation_request_state(sent.request.id, env.now());
    assert_eq!(by_id.await.unwrap(), RelationRequestState::Pending);
    // Another relation manager of B, the requester, and B's super admin cannot accept.
    for wrong in [rm_b2, p.rm_a, p.admin_b, p.admin_a] {
        let err = unchanged!(
            env,
            env.dir
                .accept_relation_request(&sent.token, wrong, env.now())
                .await
                .unwrap_err()
        );
        assert_eq!(err, DirectoryError::NotTheAddressee, "{wrong:?}");
        let err = unchanged!(
            env,
            env.dir
                .decline_relation_request(&sent.token, wrong, env.now())
                .await
                .unwrap_err()
        );
        assert_eq!(err, DirectoryError::NotTheAddressee);
    }
    let rel = env
        .dir
        .accept_relation_request(&sent.token, p.rm_b, env.now())
        .await
        .unwrap();
    assert_eq!(rel.partner, p.a);
    assert!(rel.has_member(p.a, p.rm_a.user) && rel.has_member(p.b, p.rm_b.user));
    // Both sides see the relation.
    let a_side = env.dir.list_partners(p.rm_a, None, 10).await.unwrap().items;
    let b_side = env.dir.list_partners(p.rm_b, None, 10).await.unwrap().items;
    assert_eq!((a_side.len(), b_side.len()), (1, 1));
    assert_eq!(a_side[0].id, b_side[0].id);
    assert_eq!(a_side[0].partner, p.b);
    let by_id = env.dir.relation_request_state(sent.request.id, env.now());
    assert_eq!(by_id.await.unwrap(), RelationRequestState::Accepted);
    let unknown = env
        .dir
        .relation_request_state(uuid::Uuid::new_v4(), env.now());
    assert!(matches!(unknown.await, Err(DirectoryError::NotFound(_))));
    // Replays are refused and change nothing.
    for _ in 0..2 {
        let err = unchanged!(
            env,
            env.dir
                .accept_relation_request(&sent.token, p.rm_b, env.now())
                .await
                .unwrap_err()
        );
        assert_eq!(err, DirectoryError::AlreadyUsed);
    }
    let err = unchanged!(
        env,
        env.dir
            .decline_relation_request(&sent.token, p.rm_b, env.now())
            .await
            .unwrap_err()
    );
    assert_eq!(err, DirectoryError::AlreadyUsed);
    // And the environments cannot ask each other again.
    let err = unchanged!(
        env,
        env.dir
            .request_relation(p.rm_b, p.a, p.rm_a.user, env.now())
            .await
            .unwrap_err()
    );
    assert_eq!(err, DirectoryError::AlreadyPartners);
    let requests = env
        .dir
        .list_relation_requests(p.rm_a, false, None, 10)
        .await
        .unwrap()
        .items;
    assert_eq!(requests[0].state, RelationRequestState::Accepted);
}

pub async fn one_pending_relation_request_per_pair_of_environments(env: &Env) {
    let p = env.partner_pair().await;
    let sent = env
        .dir
        .request_relation(p.rm_a, p.b, p.rm_b.user, env.now())
        .await
        .unwrap();
    let err = unchanged!(
        env,
        env.dir
            .request_relation(p.rm_a, p.b, p.rm_b.user, env.now())
            .await
            .unwrap_err()
    );
    assert_eq!(err, DirectoryError::RelationRequestPending);
    let err = unchanged!(
        env,
        env.dir
            .request_relation(p.rm_b, p.a, p.rm_a.user, env.now())
            .await
            .unwrap_err()
    );
    assert_eq!(
        err,
        DirectoryError::RelationRequestPending,
        "either direction"
    );
    // Concurrent requests from both sides: exactly one gets through.
    env.dir
        .revoke_relation_request(p.rm_a, sent.request.id, env.now())
        .await
        .unwrap();
    let (x, y) = tokio::join!(
        env.dir
            .request_relation(p.rm_a, p.b, p.rm_b.user, env.now()),
        env.dir
            .request_relation(p.rm_b, p.a, p.rm_a.user, env.now()),
    );
    assert_eq!(
        [x.is_ok(), y.is_ok()].iter().filter(|o| **o).count(),
        1,
        "{x:?} {y:?}"
    );
    // The revoked link is dead; an expired one frees the pair.
    let err = unchanged!(
        env,
        env.dir
            .accept_relation_request(&sent.token, p.rm_b, env.now())
            .await
            .unwrap_err()
    );
    assert_eq!(err, DirectoryError::Revoked);
    env.clock.advance_ms(14 * DAY_MS);
    let pending = x.or(y).unwrap();
    let (token, addressee) = if pending.request.to_tenant == p.b {
        (pending.token.clone(), p.rm_b)
    } else {
        (pending.token.clone(), p.rm_a)
    };
    let err = unchanged!(
        env,
        env.dir
            .accept_relation_request(&token, addressee, env.now())
            .await
            .unwrap_err()
    );
    assert_eq!(err, DirectoryError::Expired);
    assert_eq!(err.status(), 410);
    env.dir
        .request_relation(p.rm_a, p.b, p.rm_b.user, env.now())
        .await
        .unwrap();
}

pub async fn concurrent_relation_acceptance_has_exactly_one_winner(env: &Env) {
    let p = env.partner_pair().await;
    let sent = env
        .dir
        .request_relation(p.rm_a, p.b, p.rm_b.user, env.now())
        .await
        .unwrap();
    let tasks: Vec<_> = (0..8)
        .map(|_| {
            let dir = env.dir.clone();
            let token = sent.token.clone();
            let by = p.rm_b;
            let now = env.now();
            tokio::spawn(async move { dir.accept_relation_request(&token, by, now).await })
        })
        .collect();
    let results: Vec<_> = futures::future::join_all(tasks)
        .await
        .into_iter()
        .map(|r| r.unwrap())
        .collect();
    assert_eq!(
        results.iter().filter(|r| r.is_ok()).count(),
        1,
        "{results:?}"
    );
    for e in results.iter().filter_map(|r| r.as_ref().err()) {
        assert_eq!(*e, DirectoryError::AlreadyUsed);
    }
    let relations = env.table.items(&format!("T#{}", p.a), "REL#").await.len();
    assert_eq!(relations, 1);
}

pub async fn relation_requests_only_reach_findable_relation_managers(env: &Env) {
    let p = env.partner_pair().await;
    // B's super admin is not a relation manager; a made-up user is nobody.
    for to in [p.admin_b.user, bridge_core::tenant::UserId(Uuid::new_v4())] {
        let err = unchanged!(
            env,
            env.dir
                .request_relation(p.rm_a, p.b, to, env.now())
                .await
                .unwrap_err()
        );
        assert_eq!(err, DirectoryError::NotFound("relation manager"));
    }
    env.dir.set_findable(p.admin_b, false).await.unwrap();
    let err = unchanged!(
        env,
        env.dir
            .request_relation(p.rm_a, p.b, p.rm_b.user, env.now())
            .await
            .unwrap_err()
    );
    assert_eq!(err, DirectoryError::NotFound("environment"));
    let err = unchanged!(
        env,
        env.dir
            .request_relation(p.rm_a, p.a, p.rm_a.user, env.now())
            .await
            .unwrap_err()
    );
    assert!(matches!(err, DirectoryError::Invalid(_)));
}

pub async fn par5_group_share_is_readable_at_once_and_nothing_else_is(env: &Env) {
    let p = env.partner_pair().await;
    let doc = Uuid::new_v4();
    let other_doc = Uuid::new_v4();
    // Before a relation there is nothing to share with.
    let err = unchanged!(
        env,
        env.dir
            .share_document_with_group(p.rm_a, p.b, doc, env.now())
            .await
            .unwrap_err()
    );
    assert_eq!(err, DirectoryError::NotPartners);
    env.related(&p).await;
    assert!(
        !env.dir
            .partner_can_read(p.b, p.rm_b.user, p.a, doc)
            .await
            .unwrap()
    );
    env.dir
        .share_document_with_group(p.rm_a, p.b, doc, env.now())
        .await
        .unwrap();
    // At once, for the partner-side group member.
    assert!(
        env.dir
            .partner_can_read(p.b, p.rm_b.user, p.a, doc)
            .await
            .unwrap()
    );
    // Nothing else of A: another document, or the same id claimed under another owner.
    assert!(
        !env.dir
            .partner_can_read(p.b, p.rm_b.user, p.a, other_doc)
            .await
            .unwrap()
    );
    let (_, c, _) = env.installed("Gamma").await;
    assert!(
        !env.dir
            .partner_can_read(p.b, p.rm_b.user, c, doc)
            .await
            .unwrap()
    );
    // Not for B's users outside the group, nor for a valid user of an unrelated tenant.
    assert!(
        !env.dir
            .partner_can_read(p.b, p.admin_b.user, p.a, doc)
            .await
            .unwrap()
    );
    let (_, _, c_admin) = env.installed("Delta").await;
    assert!(
        !env.dir
            .partner_can_read(c_admin.tenant, c_admin.user, p.a, doc)
            .await
            .unwrap()
    );
    // A user id of B claimed under another tenant is nobody.
    assert!(
        !env.dir
            .partner_can_read(c_admin.tenant, p.rm_b.user, p.a, doc)
            .await
            .unwrap()
    );
    // Not for A itself through this check (own documents follow the tenant's own rules).
    assert!(
        !env.dir
            .partner_can_read(p.a, p.rm_a.user, p.a, doc)
            .await
            .unwrap()
    );
    // A deactivated reader reads nothing.
    env.dir.deactivate(p.admin_b, p.rm_b.user).await.unwrap();
    assert!(
        !env.dir
            .partner_can_read(p.b, p.rm_b.user, p.a, doc)
            .await
            .unwrap()
    );
}

pub async fn par5_unsharing_ends_reading_at_once_and_lists_follow(env: &Env) {
    let p = env.partner_pair().await;
    env.related(&p).await;
    let (doc, kept) = (Uuid::new_v4(), Uuid::new_v4());
    for d in [doc, kept] {
        env.dir
            .share_document_with_group(p.rm_a, p.b, d, env.now())
            .await
            .unwrap();
    }
    let made = env.dir.list_shares_made(p.rm_a, None, 50).await.unwrap();
    assert_eq!(made.items.len(), 2);
    assert!(
        made.items
            .iter()
            .all(|s| s.owner == p.a && s.partner == p.b)
    );
    let received = env
        .dir
        .list_shares_received(p.rm_b, None, 50)
        .await
        .unwrap();
    assert_eq!(received.items.len(), 2);
    // Only the sharing side's relation managers unshare; the partner cannot, nor can a user
    // outside the group.
    for (by, partner) in [(p.rm_b, p.a), (p.admin_a, p.b)] {
        let err = unchanged!(
            env,
            env.dir
                .unshare_document(by, partner, doc, None)
                .await
                .unwrap_err()
        );
        assert!(
            matches!(
                err,
                DirectoryError::NotFound(_) | DirectoryError::NotARelationManager
            ),
            "{err:?}"
        );
    }
    env.dir
        .unshare_document(p.rm_a, p.b, doc, None)
        .await
        .unwrap();
    assert!(
        !env.dir
            .partner_can_read(p.b, p.rm_b.user, p.a, doc)
            .await
            .unwrap(),
        "refused at once"
    );
    assert!(
        env.dir
            .partner_can_read(p.b, p.rm_b.user, p.a, kept)
            .await
            .unwrap(),
        "the other share stays"
    );
    let received = env
        .dir
        .list_shares_received(p.rm_b, None, 50)
        .await
        .unwrap();
    assert_eq!(
        received.items.iter().map(|s| s.doc).collect::<Vec<_>>(),
        [kept]
    );
    // Again, or a personal share that never was: not found, nothing changes.
    for user in [None, Some(p.rm_b.user)] {
        let err = unchanged!(
            env,
            env.dir
                .unshare_document(p.rm_a, p.b, doc, user)
                .await
                .unwrap_err()
        );
        assert_eq!(err, DirectoryError::NotFound("share"));
    }
}

pub async fn ending_a_relation_stops_every_share_and_a_new_relation_starts_empty(env: &Env) {
    let p = env.partner_pair().await;
    env.related(&p).await;
    let doc = Uuid::new_v4();
    env.dir
        .share_document_with_group(p.rm_a, p.b, doc, env.now())
        .await
        .unwrap();
    let job = env
        .dir
        .share_with_relation_manager(p.rm_a, p.b, Uuid::new_v4(), p.rm_b.user, env.now())
        .await
        .unwrap();
    // Only relation managers end it.
    let err = unchanged!(env, env.dir.end_relation(p.admin_a, p.b).await.unwrap_err());
    assert_eq!(err, DirectoryError::NotARelationManager);
    // Either side may: here the partner's.
    env.dir.end_relation(p.rm_b, p.a).await.unwrap();
    assert!(
        !env.dir
            .partner_can_read(p.b, p.rm_b.user, p.a, doc)
            .await
            .unwrap()
    );
    for (by, partner) in [(p.rm_a, p.b), (p.rm_b, p.a)] {
        let l = env.dir.list_partners(by, None, 50).await.unwrap();
        assert!(l.items.is_empty());
        let err = unchanged!(env, env.dir.end_relation(by, partner).await.unwrap_err());
        assert_eq!(err, DirectoryError::NotPartners);
    }
    assert!(
        env.dir
            .list_shares_made(p.rm_a, None, 50)
            .await
            .unwrap()
            .items
            .is_empty()
    );
    // A share queued before the end arrives after it: nothing is shared.
    assert_eq!(
        unchanged!(env, env.dir.apply_share_job(&job, env.now()).await.unwrap()),
        ShareOutcome::RelationGone
    );
    // Partners again: what was shared under the ended relation stays unreadable.
    env.related(&p).await;
    assert!(
        !env.dir
            .partner_can_read(p.b, p.rm_b.user, p.a, doc)
            .await
            .unwrap()
    );
    assert_eq!(
        unchanged!(env, env.dir.apply_share_job(&job, env.now()).await.unwrap()),
        ShareOutcome::RelationGone,
        "a job of the old relation"
    );
    env.dir
        .share_document_with_group(p.rm_a, p.b, doc, env.now())
        .await
        .unwrap();
    assert!(
        env.dir
            .partner_can_read(p.b, p.rm_b.user, p.a, doc)
            .await
            .unwrap()
    );
}

pub async fn par5_share_with_relation_manager_goes_through_the_queue(env: &Env) {
    let p = env.partner_pair().await;
    env.related(&p).await;
    let doc = Uuid::new_v4();
    // Only a partner-side member of the relation can be addressed.
    let err = unchanged!(
        env,
        env.dir
            .share_with_relation_manager(p.rm_a, p.b, doc, p.admin_b.user, env.now())
            .await
            .unwrap_err()
    );
    assert_eq!(err, DirectoryError::NotFound("relation manager"));
    let job = env
        .dir
        .share_with_relation_manager(p.rm_a, p.b, doc, p.rm_b.user, env.now())
        .await
        .unwrap();
    assert_eq!(env.shares.jobs.lock().unwrap().len(), 1);
    // Queued, not yet applied.
    assert!(
        !env.dir
            .partner_can_read(p.b, p.rm_b.user, p.a, doc)
            .await
            .unwrap()
    );
    env.clock.advance_ms(120_000);
    assert_eq!(
        env.dir.apply_share_job(&job, env.now()).await.unwrap(),
        ShareOutcome::Applied
    );
    assert!(
        env.dir
            .partner_can_read(p.b, p.rm_b.user, p.a, doc)
            .await
            .unwrap()
    );
    // Delivered twice: the same one share.
    let before = env.table.snapshot().await.len();
    env.dir.apply_share_job(&job, env.now()).await.unwrap();
    assert_eq!(env.table.snapshot().await.len(), before);
    // A job for a relation that does not exist shares nothing.
    let (_, c, _) = env.installed("Gamma").await;
    let mut stray = job.clone();
    stray.partner = c;
    assert_eq!(
        unchanged!(
            env,
            env.dir.apply_share_job(&stray, env.now()).await.unwrap()
        ),
        ShareOutcome::RelationGone
    );
}

pub async fn par6_partner_person_added_as_member_reads_group_shares(env: &Env) {
    let p = env.partner_pair().await;
    env.related(&p).await;
    let (rm_a2, _) = env
        .member(
            &p.org_a,
            p.admin_a,
            "Rob Alpha",
            Role::Admin,
            &[],
            &[Group::RelationManagers],
        )
        .await;
    let doc = Uuid::new_v4();
    env.dir
        .share_document_with_group(p.rm_b, p.a, doc, env.now())
        .await
        .unwrap();
    assert!(
        env.dir
            .partner_can_read(p.a, p.rm_a.user, p.b, doc)
            .await
            .unwrap()
    );
    assert!(
        !env.dir
            .partner_can_read(p.a, rm_a2.user, p.b, doc)
            .await
            .unwrap()
    );
    // B adds A's second relation manager as a member: both sides see it.
    let rel = env
        .dir
        .add_partner_person_as_member(p.rm_b, p.a, rm_a2.user)
        .await
        .unwrap();
    assert!(rel.has_member(p.a, rm_a2.user));
    let a_side = &env.dir.list_partners(p.rm_a, None, 10).await.unwrap().items[0];
    assert!(a_side.has_member(p.a, rm_a2.user));
    assert!(
        env.dir
            .partner_can_read(p.a, rm_a2.user, p.b, doc)
            .await
            .unwrap()
    );
    // Adding again changes nothing; a person who is not a relation manager there cannot be added.
    unchanged!(
        env,
        env.dir
            .add_partner_person_as_member(p.rm_b, p.a, rm_a2.user)
            .await
            .unwrap()
    );
    let err = unchanged!(
        env,
        env.dir
            .add_partner_person_as_member(p.rm_b, p.a, p.admin_a.user)
            .await
            .unwrap_err()
    );
    assert_eq!(err, DirectoryError::NotFound("relation manager"));
    // A tenant without a relation cannot add anyone.
    let (org_c, c, admin_c) = env.installed("Gamma").await;
    env.dir
        .set_partner_relations_subscription(c, true)
        .await
        .unwrap();
    let (rm_c, _) = env
        .member(
            &org_c,
            admin_c,
            "Cas",
            Role::AdvancedUser,
            &[],
            &[Group::RelationManagers],
        )
        .await;
    let err = unchanged!(
        env,
        env.dir
            .add_partner_person_as_member(rm_c, p.a, p.rm_a.user)
            .await
            .unwrap_err()
    );
    assert_eq!(err, DirectoryError::NotPartners);
    let err = unchanged!(
        env,
        env.dir
            .share_document_with_group(rm_c, p.a, doc, env.now())
            .await
            .unwrap_err()
    );
    assert_eq!(err, DirectoryError::NotPartners);
}
