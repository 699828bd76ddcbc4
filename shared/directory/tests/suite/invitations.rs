//! USR-2, USR-3, USR-5: invitations and their abuse cases.

use std::sync::atomic::Ordering;

use bridge_core::tenant::{Right, Role, tenant_pk};
use bridge_directory::{
    AcceptOutcome, DAY_MS, DirectoryError, InvitationState, Invitee, MailKind, SignInOutcome,
};

use super::{Env, INVITES_PER_DAY, PUBLIC_URL};
use crate::unchanged;

pub async fn usr2_invited_microsoft_user_accepts_and_joins_with_the_given_rights(env: &Env) {
    let (org, t, admin) = env.installed("Zorg").await;
    let person = org.person("Ivo Invited");
    let sent = env
        .dir
        .invite(
            admin,
            org.invitee(&person),
            Role::AdvancedUser,
            vec![Right::AddDocument],
            env.now(),
        )
        .await
        .unwrap();
    assert_eq!(sent.token.len(), bridge_directory::TOKEN_HEX_LEN);
    assert_eq!(
        sent.accept_url,
        format!("{PUBLIC_URL}/app/invitations/{}", sent.token)
    );
    assert_eq!(
        sent.invitation.expires_at_ms - sent.invitation.created_at_ms,
        7 * DAY_MS
    );
    let mails = env.outbox.sent();
    assert_eq!(mails.len(), 1);
    assert_eq!(mails[0].to, person.preferred_username.clone().unwrap());
    match &mails[0].kind {
        MailKind::Invitation {
            accept_url,
            tenant_name,
            inviter_name,
            ..
        } => {
            assert_eq!(accept_url, &sent.accept_url);
            assert_eq!(tenant_name, "Zorg");
            assert_eq!(inviter_name, "Ada Admin");
        }
        other => panic!("{other:?}"),
    }
    // Only the hash of the token is stored.
    let snapshot = env.table.snapshot().await;
    assert!(
        !format!("{snapshot:?}").contains(&sent.token),
        "the token itself must not be stored"
    );
    let account = env
        .dir
        .accept_invitation(&sent.token, &person, env.now())
        .await
        .unwrap();
    assert_eq!(account.user.tenant, t);
    assert_eq!(account.role, Role::AdvancedUser);
    assert_eq!(account.user.rights, vec![Right::AddDocument]);
    assert_eq!(
        env.dir.resolve_sign_in(&person).await.unwrap(),
        SignInOutcome::Member {
            tenant: t,
            user: account.user.id
        }
    );
    let listed = env.dir.list_invitations(admin, None, 10).await.unwrap();
    assert_eq!(listed.items[0].state, InvitationState::Accepted);
    assert_eq!(listed.items[0].outcome, Some(AcceptOutcome::Joined));
    assert_eq!(listed.items[0].accepted_user, Some(account.user.id));
    // A current user is not invited again.
    let err = unchanged!(
        env,
        env.dir
            .invite(admin, org.invitee(&person), Role::User, vec![], env.now())
            .await
            .unwrap_err()
    );
    assert_eq!(err, DirectoryError::AlreadyHasAccount);
}

/// The harness itself: a snapshot sees a successful write (so "unchanged" means something).
pub async fn snapshots_see_every_write(env: &Env) {
    let (_, _, admin) = env.installed("Zorg").await;
    let before = env.table.snapshot().await;
    env.dir
        .invite(
            admin,
            Invitee::Email {
                email: "seen@x.example".into(),
            },
            Role::User,
            vec![],
            env.now(),
        )
        .await
        .unwrap();
    let after = env.table.snapshot().await;
    assert_ne!(before, after);
    assert!(
        after.len() >= before.len() + 3,
        "invitation, token, counter"
    );
}

pub async fn opening_an_invitation_link_changes_nothing(env: &Env) {
    let (org, _, admin) = env.installed("Zorg").await;
    let person = org.person("Ivo Invited");
    let sent = env
        .dir
        .invite(admin, org.invitee(&person), Role::User, vec![], env.now())
        .await
        .unwrap();
    let view = unchanged!(
        env,
        env.dir
            .view_invitation(&sent.token, env.now())
            .await
            .unwrap()
    );
    assert_eq!(view.tenant_name, "Zorg");
    assert_eq!(view.state, InvitationState::Pending);
    assert!(view.microsoft_365);
    // A scanner opening it many times changes nothing either, and it still works afterwards.
    for _ in 0..5 {
        unchanged!(
            env,
            env.dir
                .view_invitation(&sent.token, env.now())
                .await
                .unwrap()
        );
    }
    env.dir
        .accept_invitation(&sent.token, &person, env.now())
        .await
        .unwrap();
}

pub async fn replayed_invitation_link_is_already_used_and_changes_nothing(env: &Env) {
    let (org, _, admin) = env.installed("Zorg").await;
    let person = org.person("Ivo Invited");
    let sent = env
        .dir
        .invite(admin, org.invitee(&person), Role::User, vec![], env.now())
        .await
        .unwrap();
    env.dir
        .accept_invitation(&sent.token, &person, env.now())
        .await
        .unwrap();
    let err = unchanged!(
        env,
        env.dir
            .accept_invitation(&sent.token, &person, env.now())
            .await
            .unwrap_err()
    );
    assert_eq!(err, DirectoryError::AlreadyUsed);
    assert_eq!(err.status(), 409);
    // Nor can someone else reuse it.
    let other = org.person("Otto Other");
    let err = unchanged!(
        env,
        env.dir
            .accept_invitation(&sent.token, &other, env.now())
            .await
            .unwrap_err()
    );
    assert_eq!(err, DirectoryError::AlreadyUsed);
    let view = env
        .dir
        .view_invitation(&sent.token, env.now())
        .await
        .unwrap();
    assert_eq!(view.state, InvitationState::Accepted);
}

pub async fn invitation_link_used_by_another_person_is_refused_and_changes_nothing(env: &Env) {
    let (org, _, admin) = env.installed("Zorg").await;
    let person = org.person("Ivo Invited");
    let sent = env
        .dir
        .invite(admin, org.invitee(&person), Role::User, vec![], env.now())
        .await
        .unwrap();
    // A colleague who got the forwarded mail, even with the same address claimed.
    let mut colleague = org.person("Carl Colleague");
    colleague.verified_email = person.preferred_username.clone();
    let err = unchanged!(
        env,
        env.dir
            .accept_invitation(&sent.token, &colleague, env.now())
            .await
            .unwrap_err()
    );
    assert_eq!(err, DirectoryError::NotTheInvitee);
    assert_eq!(err.status(), 403);
    // A signed-in user of another tenant.
    let (other_org, _, _) = env.installed("Elsewhere").await;
    let intruder = other_org.admin("Ada Admin");
    let err = unchanged!(
        env,
        env.dir
            .accept_invitation(&sent.token, &intruder, env.now())
            .await
            .unwrap_err()
    );
    assert_eq!(err, DirectoryError::NotTheInvitee);
    // The invitee still can.
    env.dir
        .accept_invitation(&sent.token, &person, env.now())
        .await
        .unwrap();
}

pub async fn expired_invitation_is_refused_and_changes_nothing(env: &Env) {
    let (org, _, admin) = env.installed("Zorg").await;
    let person = org.person("Ivo Invited");
    let sent = env
        .dir
        .invite(admin, org.invitee(&person), Role::User, vec![], env.now())
        .await
        .unwrap();
    env.clock.advance_ms(7 * DAY_MS);
    let err = unchanged!(
        env,
        env.dir
            .accept_invitation(&sent.token, &person, env.now())
            .await
            .unwrap_err()
    );
    assert_eq!(err, DirectoryError::Expired);
    assert_eq!(err.status(), 410);
    let view = env
        .dir
        .view_invitation(&sent.token, env.now())
        .await
        .unwrap();
    assert_eq!(view.state, InvitationState::Expired);
    let err = unchanged!(
        env,
        env.dir
            .revoke_invitation(admin, sent.invitation.id, env.now())
            .await
            .unwrap_err()
    );
    assert_eq!(err, DirectoryError::Expired);
    // One millisecond earlier it would have worked: the expiry is exact.
    let again = env
        .dir
        .invite(admin, org.invitee(&person), Role::User, vec![], env.now())
        .await
        .unwrap();
    env.clock.advance_ms(7 * DAY_MS - 1);
    env.dir
        .accept_invitation(&again.token, &person, env.now())
        .await
        .unwrap();
}

pub async fn revoked_invitation_is_refused_and_changes_nothing(env: &Env) {
    let (org, _, admin) = env.installed("Zorg").await;
    let person = org.person("Ivo Invited");
    let sent = env
        .dir
        .invite(admin, org.invitee(&person), Role::User, vec![], env.now())
        .await
        .unwrap();
    let revoked = env
        .dir
        .revoke_invitation(admin, sent.invitation.id, env.now())
        .await
        .unwrap();
    assert_eq!(revoked.state, InvitationState::Revoked);
    let err = unchanged!(
        env,
        env.dir
            .accept_invitation(&sent.token, &person, env.now())
            .await
            .unwrap_err()
    );
    assert_eq!(err, DirectoryError::Revoked);
    // Revoking again changes nothing; a user of another tenant cannot even see it.
    unchanged!(
        env,
        env.dir
            .revoke_invitation(admin, sent.invitation.id, env.now())
            .await
            .unwrap()
    );
    let (_, _, other_admin) = env.installed("Elsewhere").await;
    let err = unchanged!(
        env,
        env.dir
            .revoke_invitation(other_admin, sent.invitation.id, env.now())
            .await
            .unwrap_err()
    );
    assert_eq!(err, DirectoryError::NotFound("invitation"));
    assert_eq!(
        env.dir.resolve_sign_in(&person).await.unwrap(),
        SignInOutcome::NotAMember {
            organisation_tenant: Some(admin.tenant)
        }
    );
}

pub async fn usr5_email_invitation_needs_the_verified_address_case_insensitively(env: &Env) {
    let (_, t, admin) = env.installed("Zorg").await;
    let sent = env
        .dir
        .invite(
            admin,
            Invitee::Email {
                email: "  Guest@Outside.Example ".into(),
            },
            Role::User,
            vec![],
            env.now(),
        )
        .await
        .unwrap();
    assert_eq!(env.outbox.sent()[0].to, "guest@outside.example");
    let mut guest = env.org().person("Gina Guest");
    guest.preferred_username = Some("guest@outside.example".into());
    // A sign-in name is not a verified address.
    let err = unchanged!(
        env,
        env.dir
            .accept_invitation(&sent.token, &guest, env.now())
            .await
            .unwrap_err()
    );
    assert_eq!(err, DirectoryError::NotTheInvitee);
    guest.verified_email = Some("GUEST@outside.example".into());
    let account = env
        .dir
        .accept_invitation(&sent.token, &guest, env.now())
        .await
        .unwrap();
    assert_eq!(account.user.tenant, t);
    assert_eq!(account.email.as_deref(), Some("guest@outside.example"));
    // Microsoft 365 invitations are for the tenant's own organisation; a member is not invited.
    let foreigner = env.org().person("Fay Foreign");
    let err = unchanged!(
        env,
        env.dir
            .invite(
                admin,
                env.org().invitee(&foreigner),
                Role::User,
                vec![],
                env.now()
            )
            .await
            .unwrap_err()
    );
    assert!(matches!(err, DirectoryError::Invalid(_)), "{err:?}");
    let err = env
        .dir
        .invite(
            admin,
            Invitee::Email {
                email: "not an address".into(),
            },
            Role::User,
            vec![],
            env.now(),
        )
        .await
        .unwrap_err();
    assert!(matches!(err, DirectoryError::Invalid(_)));
}

pub async fn concurrent_acceptance_has_exactly_one_winner(env: &Env) {
    let (org, t, admin) = env.installed("Zorg").await;
    let person = org.person("Ivo Invited");
    let sent = env
        .dir
        .invite(admin, org.invitee(&person), Role::User, vec![], env.now())
        .await
        .unwrap();
    let tasks: Vec<_> = (0..8)
        .map(|_| {
            let dir = env.dir.clone();
            let token = sent.token.clone();
            let person = person.clone();
            let now = env.now();
            tokio::spawn(async move { dir.accept_invitation(&token, &person, now).await })
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
    for r in results.iter().filter_map(|r| r.as_ref().err()) {
        assert!(
            matches!(
                r,
                DirectoryError::AlreadyUsed | DirectoryError::AlreadyHasAccount
            ),
            "{r:?}"
        );
    }
    let users = env.table.items(&tenant_pk(t), "USER#").await;
    assert_eq!(users.len(), 2, "the admin and exactly one new user");
}

pub async fn usr3_link_existing_account_joins_the_existing_tenant_not_the_inviting_one(env: &Env) {
    // Gina has an account in environment B, made by e-mail invitation.
    let (_, b, admin_b) = env.installed("Beta").await;
    let to_b = env
        .dir
        .invite(
            admin_b,
            Invitee::Email {
                email: "gina@home.example".into(),
            },
            Role::User,
            vec![],
            env.now(),
        )
        .await
        .unwrap();
    let mut gina_home = env.org().person("Gina");
    gina_home.verified_email = Some("gina@home.example".into());
    let existing = env
        .dir
        .accept_invitation(&to_b.token, &gina_home, env.now())
        .await
        .unwrap();
    let existing = bridge_directory::Actor {
        tenant: b,
        user: existing.user.id,
    };
    // Environment A invites her work identity; she links it to her account in B instead.
    let (org_a, a, admin_a) = env.installed("Alpha").await;
    let gina_work = org_a.person("Gina Work");
    let to_a = env
        .dir
        .invite(
            admin_a,
            org_a.invitee(&gina_work),
            Role::User,
            vec![],
            env.now(),
        )
        .await
        .unwrap();
    // Someone else's account cannot be used to take the invitation.
    let stranger = org_a.person("Sly");
    let err = unchanged!(
        env,
        env.dir
            .link_existing_account(&to_a.token, &stranger, existing, env.now())
            .await
            .unwrap_err()
    );
    assert_eq!(err, DirectoryError::NotTheInvitee);
    let linked = env
        .dir
        .link_existing_account(&to_a.token, &gina_work, existing, env.now())
        .await
        .unwrap();
    assert_eq!(linked.user.tenant, b);
    assert_eq!(
        env.dir.resolve_sign_in(&gina_work).await.unwrap(),
        SignInOutcome::Member {
            tenant: b,
            user: existing.user
        }
    );
    assert_eq!(env.table.items(&tenant_pk(a), "USER#").await.len(), 1);
    let inv = &env
        .dir
        .list_invitations(admin_a, None, 10)
        .await
        .unwrap()
        .items[0];
    assert_eq!(inv.outcome, Some(AcceptOutcome::LinkedExistingAccount));
    assert_eq!(inv.accepted_user, None, "A learns nothing about B");
    // The link is used up, for accepting and for linking.
    let err = unchanged!(
        env,
        env.dir
            .accept_invitation(&to_a.token, &gina_work, env.now())
            .await
            .unwrap_err()
    );
    assert_eq!(err, DirectoryError::AlreadyUsed);
}

pub async fn invitation_whose_mail_cannot_be_queued_is_taken_back(env: &Env) {
    let (org, t, admin) = env.installed("Zorg").await;
    let person = org.person("Ivo Invited");
    env.outbox.fail.store(true, Ordering::SeqCst);
    let err = env
        .dir
        .invite(admin, org.invitee(&person), Role::User, vec![], env.now())
        .await
        .unwrap_err();
    assert!(matches!(err, DirectoryError::Unavailable(_)));
    assert_eq!(err.status(), 503);
    env.outbox.fail.store(false, Ordering::SeqCst);
    assert!(env.table.items(&tenant_pk(t), "INV#").await.is_empty());
    let tokens = env
        .table
        .snapshot()
        .await
        .keys()
        .filter(|k| k.pk.starts_with("SYS#invtoken#"))
        .count();
    assert_eq!(tokens, 0);
}

pub async fn unknown_and_malformed_links_are_not_found(env: &Env) {
    let (org, _, _) = env.installed("Zorg").await;
    let person = org.person("Ivo");
    for token in ["", "abc", &"0".repeat(64), &"x".repeat(64), "../../etc"] {
        let err = unchanged!(
            env,
            env.dir
                .accept_invitation(token, &person, env.now())
                .await
                .unwrap_err()
        );
        assert_eq!(err, DirectoryError::NotFound("invitation"), "{token}");
        assert_eq!(
            env.dir.view_invitation(token, env.now()).await.unwrap_err(),
            DirectoryError::NotFound("invitation")
        );
    }
}

pub async fn invitation_floods_are_rate_limited(env: &Env) {
    let (_, t, admin) = env.installed("Zorg").await;
    for i in 0..INVITES_PER_DAY {
        env.dir
            .invite(
                admin,
                Invitee::Email {
                    email: format!("p{i}@x.example"),
                },
                Role::User,
                vec![],
                env.now(),
            )
            .await
            .unwrap();
    }
    let err = unchanged!(
        env,
        env.dir
            .invite(
                admin,
                Invitee::Email {
                    email: "one.more@x.example".into()
                },
                Role::User,
                vec![],
                env.now()
            )
            .await
            .unwrap_err()
    );
    assert!(matches!(err, DirectoryError::RateLimited { retry_after_ms } if retry_after_ms > 0));
    assert_eq!(err.status(), 429);
    assert_eq!(
        env.table.items(&tenant_pk(t), "INV#").await.len(),
        INVITES_PER_DAY as usize
    );
    assert_eq!(env.outbox.sent().len(), INVITES_PER_DAY as usize);
    env.clock.advance_ms(DAY_MS);
    env.dir
        .invite(
            admin,
            Invitee::Email {
                email: "next.day@x.example".into(),
            },
            Role::User,
            vec![],
            env.now(),
        )
        .await
        .unwrap();
}
