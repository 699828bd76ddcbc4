//! Runs the one documents suite against every adapter pair:
//! memory table + filesystem blobs, SQLite + filesystem blobs, DynamoDB + S3 (moto).
//!
//! Each case is its own test per adapter pair, named after the rule it proves, e.g.
//! `memory_fs::doc6_upload_requires_add_document_right`.

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

/// Every case of the suite, for one adapter pair.
macro_rules! suite_for {
    ($setup:path) => {
        cases!($setup =>
            doc6_upload_requires_add_document_right,
            doc6_without_add_document_right_documents_are_view_only,
            doc3_download_works_whatever_the_platform,
            doc7_settings_have_defaults_and_only_admins_change_them,
            tenant_isolation_nothing_of_tenant_a_is_reachable_from_b,
            upload_writes_document_index_and_version_one,
            doc8_generated_letters_carry_their_label,
            doc12_every_save_is_a_version_and_restore_adds_one,
            saves_keep_attributes_of_other_modules,
            save_with_a_failing_guard_writes_no_version_and_no_blob,
            archive_with_a_failing_guard_changes_nothing,
            fault_body_error_midway_changes_nothing,
            too_large_bodies_store_nothing,
            concurrent_saves_never_lose_an_acknowledged_save,
            backend_errors_around_the_commit_never_double_or_lose_a_save,
            clients_are_created_listed_and_paged,
            names_are_validated_and_rejections_change_nothing,
            rename_updates_document_and_index_together,
            doc11_archived_documents_are_hidden_by_default_and_not_writable,
            doc11_delete_removes_document_index_versions_and_blobs,
            doc11_interrupted_delete_can_be_run_again,
        );
    };
}

mod memory_fs {
    suite_for!(crate::suite::memory_fs);
}

mod sqlite_fs {
    suite_for!(crate::suite::sqlite_fs);
}

mod dynamo_s3_moto {
    suite_for!(crate::suite::dynamo_s3);
}
