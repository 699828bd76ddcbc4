//! Runs the one directory suite against every embedded table adapter: in-memory and SQLite.
//!
//! Each case is its own test per adapter, named after the rule it proves, e.g.
//! `sqlite::usr1_concurrent_installs_make_exactly_one_tenant_and_one_super_admin`.

// Test code: a failed step should panic right where it happens.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod suite;

/// One `#[tokio::test]` per case, each on a fresh environment from `$setup`.
macro_rules! cases {
    ($setup:path => $($case:ident),* $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $case() {
                let Some(env) = $setup().await else {
                    return;
                };
                crate::suite::$case(&env).await;
            }
        )*
    };
}

/// Every case of the suite, for one adapter.
macro_rules! suite_for {
    ($setup:path) => {
        cases!($setup =>
            // USR-1
            usr1_installing_admin_becomes_the_only_super_admin,
            usr1_non_admin_cannot_install_and_nothing_is_written,
            usr1_second_install_is_already_installed_and_changes_nothing,
            usr1_concurrent_installs_make_exactly_one_tenant_and_one_super_admin,
            sign_in_resolves_members_deactivated_users_and_strangers,
            // users and rights
            only_user_managers_change_access_and_refusals_change_nothing,
            only_a_super_admin_grants_or_changes_super_admin,
            nobody_removes_the_last_super_admin,
            deactivated_users_cannot_act_and_deactivation_is_reversible,
            relation_managers_must_be_advanced_users,
            cross_tenant_users_are_not_found_and_nothing_changes,
            seeded_tenant_is_adopted_once_with_one_super_admin,
            // USR-2, USR-3, USR-5
            snapshots_see_every_write,
            usr2_invited_microsoft_user_accepts_and_joins_with_the_given_rights,
            opening_an_invitation_link_changes_nothing,
            replayed_invitation_link_is_already_used_and_changes_nothing,
            invitation_link_used_by_another_person_is_refused_and_changes_nothing,
            expired_invitation_is_refused_and_changes_nothing,
            revoked_invitation_is_refused_and_changes_nothing,
            usr5_email_invitation_needs_the_verified_address_case_insensitively,
            concurrent_acceptance_has_exactly_one_winner,
            usr3_link_existing_account_joins_the_existing_tenant_not_the_inviting_one,
            invitation_whose_mail_cannot_be_queued_is_taken_back,
            unknown_and_malformed_links_are_not_found,
            invitation_floods_are_rate_limited,
            // USR-4
            usr4_join_request_mails_every_user_manager_and_approval_adds_the_user,
            join_request_decisions_first_wins,
            one_pending_join_request_per_person,
            join_request_floods_are_rate_limited_per_person_and_per_tenant,
            join_request_needs_an_environment_and_a_non_member,
            only_user_managers_of_the_tenant_decide_join_requests,
            // PAR-1..6
            par1_par2_partners_need_relation_managers_with_the_subscription,
            par3_search_finds_findable_environments_with_public_details_only,
            partner_search_needs_three_characters_and_is_rate_limited,
            par4_relation_request_is_accepted_by_the_addressee_only_and_once,
            one_pending_relation_request_per_pair_of_environments,
            concurrent_relation_acceptance_has_exactly_one_winner,
            relation_requests_only_reach_findable_relation_managers,
            par5_group_share_is_readable_at_once_and_nothing_else_is,
            par5_unsharing_ends_reading_at_once_and_lists_follow,
            ending_a_relation_stops_every_share_and_a_new_relation_starts_empty,
            par5_share_with_relation_manager_goes_through_the_queue,
            par6_partner_person_added_as_member_reads_group_shares,
        );
    };
}

mod memory {
    suite_for!(crate::suite::memory);
}

mod sqlite {
    suite_for!(crate::suite::sqlite);
}
