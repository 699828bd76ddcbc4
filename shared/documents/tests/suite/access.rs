//! Who may do what: rights (DOC-6), settings (DOC-7), downloads whatever the platform (DOC-3),
//! and tenant isolation.

use bridge_core::tenant::Right;
use bridge_documents::{
    DocError, DocumentPlatform, MailOutputFormat, PageRequest, Settings, SettingsChange,
    VersionCause,
};

use super::*;

pub async fn doc6_upload_requires_add_document_right(env: &Env) {
    let tenant = new_tenant();
    let viewer = user(tenant, &[]);
    let admin_only = user(tenant, &[Right::ManageUsers]);
    let client = env
        .docs
        .create_client(tenant, &viewer, "Client")
        .await
        .unwrap()
        .client_id;
    for u in [&viewer, &admin_only] {
        let err = env
            .docs
            .upload(tenant, u, client, "letter.docx", body("x"))
            .await
            .unwrap_err();
        assert!(matches!(err, DocError::Forbidden(_)), "{err:?}");
    }
    let listed = env
        .docs
        .list(tenant, client, true, &PageRequest::default())
        .await
        .unwrap();
    assert!(listed.items.is_empty(), "a refused upload stores nothing");
    let doc = env
        .docs
        .upload(tenant, &editor(tenant), client, "letter.docx", body("x"))
        .await
        .unwrap();
    assert_eq!(doc.name, "letter.docx");
}

pub async fn doc6_without_add_document_right_documents_are_view_only(env: &Env) {
    let s = seed(env, "offer.docx", b"v1").await;
    let viewer = user(s.tenant, &[]);
    let d = s.doc.doc_id;
    let v1 = s.doc.current_version.to_string();
    // Viewing works.
    assert_eq!(content(env, s.tenant, d, None).await, b"v1");
    env.docs.get(s.tenant, d).await.unwrap();
    env.docs
        .history(s.tenant, d, &PageRequest::default())
        .await
        .unwrap();
    // Every change is refused.
    let errs = vec![
        env.docs
            .save_new_version(s.tenant, &viewer, d, body("v2"), None, VersionCause::Save)
            .await
            .map(|_| ())
            .unwrap_err(),
        env.docs
            .rename(s.tenant, &viewer, d, "x.docx", None)
            .await
            .map(|_| ())
            .unwrap_err(),
        env.docs
            .archive(s.tenant, &viewer, d, None)
            .await
            .map(|_| ())
            .unwrap_err(),
        env.docs
            .restore(s.tenant, &viewer, d, &v1, None)
            .await
            .map(|_| ())
            .unwrap_err(),
        env.docs
            .delete(s.tenant, &viewer, d, None)
            .await
            .unwrap_err(),
    ];
    for e in errs {
        assert!(matches!(e, DocError::Forbidden(_)), "{e:?}");
    }
    assert_eq!(env.docs.get(s.tenant, d).await.unwrap(), s.doc);
    assert_eq!(all_versions(env, s.tenant, d).await.len(), 1);
}

pub async fn doc3_download_works_whatever_the_platform(env: &Env) {
    let s = seed(env, "report.xlsx", b"cells").await;
    let admin = user(s.tenant, &[Right::ManageUsers]);
    for platform in [DocumentPlatform::Regular, DocumentPlatform::O365] {
        env.docs
            .update_settings(
                s.tenant,
                &admin,
                SettingsChange {
                    document_platform: Some(platform),
                    ..SettingsChange::default()
                },
            )
            .await
            .unwrap();
        assert_eq!(
            env.docs.settings(s.tenant).await.unwrap().document_platform,
            platform
        );
        assert_eq!(content(env, s.tenant, s.doc.doc_id, None).await, b"cells");
        // Regular upload keeps working too.
        env.docs
            .upload(s.tenant, &s.editor, s.client, "more.pdf", body("pdf"))
            .await
            .unwrap();
    }
}

pub async fn doc7_settings_have_defaults_and_only_admins_change_them(env: &Env) {
    let tenant = new_tenant();
    let defaults = env.docs.settings(tenant).await.unwrap();
    assert_eq!(
        defaults,
        Settings {
            document_platform: DocumentPlatform::O365,
            mail_output_format: MailOutputFormat::Docx,
            save_generated_letters: false,
        }
    );
    let err = env
        .docs
        .update_settings(
            tenant,
            &editor(tenant),
            SettingsChange {
                mail_output_format: Some(MailOutputFormat::Pdf),
                ..SettingsChange::default()
            },
        )
        .await
        .unwrap_err();
    assert!(matches!(err, DocError::Forbidden(_)), "{err:?}");
    assert_eq!(env.docs.settings(tenant).await.unwrap(), defaults);
    let admin = user(tenant, &[Right::ManageUsers]);
    let other_tenant_admin = user(new_tenant(), &[Right::ManageUsers]);
    let err = env
        .docs
        .update_settings(tenant, &other_tenant_admin, SettingsChange::default())
        .await
        .unwrap_err();
    assert!(matches!(err, DocError::Forbidden(_)), "{err:?}");
    let after = env
        .docs
        .update_settings(
            tenant,
            &admin,
            SettingsChange {
                mail_output_format: Some(MailOutputFormat::Odt),
                save_generated_letters: Some(true),
                ..SettingsChange::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(after.mail_output_format, MailOutputFormat::Odt);
    assert_eq!(after.mail_output_format.extension(), "odt");
    assert!(after.save_generated_letters);
    assert_eq!(after.document_platform, DocumentPlatform::O365);
    // A partial change keeps the rest.
    let after = env
        .docs
        .update_settings(
            tenant,
            &admin,
            SettingsChange {
                document_platform: Some(DocumentPlatform::Regular),
                ..SettingsChange::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(after.mail_output_format, MailOutputFormat::Odt);
    assert_eq!(env.docs.settings(tenant).await.unwrap(), after);
    // Another tenant still has the defaults.
    assert_eq!(env.docs.settings(new_tenant()).await.unwrap(), defaults);
}

pub async fn tenant_isolation_nothing_of_tenant_a_is_reachable_from_b(env: &Env) {
    let a = seed(env, "secret.docx", b"tenant A only").await;
    let d = a.doc.doc_id;
    let v = a.doc.current_version.to_string();
    let b = new_tenant();
    let b_editor = editor(b);
    let not_found = |e: DocError| assert!(matches!(e, DocError::NotFound(_)), "{e:?}");
    not_found(env.docs.get(b, d).await.unwrap_err());
    not_found(env.docs.open_content(b, d, None).await.unwrap_err());
    not_found(env.docs.open_content(b, d, Some(&v)).await.unwrap_err());
    not_found(env.docs.version(b, d, &v).await.unwrap_err());
    not_found(
        env.docs
            .history(b, d, &PageRequest::default())
            .await
            .unwrap_err(),
    );
    not_found(
        env.docs
            .list(b, a.client, true, &PageRequest::default())
            .await
            .unwrap_err(),
    );
    not_found(env.docs.get_client(b, a.client).await.unwrap_err());
    not_found(
        env.docs
            .save_new_version(b, &b_editor, d, body("overwrite"), None, VersionCause::Save)
            .await
            .unwrap_err(),
    );
    not_found(
        env.docs
            .rename(b, &b_editor, d, "mine.docx", None)
            .await
            .unwrap_err(),
    );
    not_found(env.docs.archive(b, &b_editor, d, None).await.unwrap_err());
    not_found(
        env.docs
            .restore(b, &b_editor, d, &v, None)
            .await
            .unwrap_err(),
    );
    not_found(env.docs.delete(b, &b_editor, d, None).await.unwrap_err());
    not_found(
        env.docs
            .upload(b, &b_editor, a.client, "x.docx", body("x"))
            .await
            .unwrap_err(),
    );
    // A's own user cannot act inside B, nor B's user inside A.
    let e = env
        .docs
        .save_new_version(b, &a.editor, d, body("x"), None, VersionCause::Save)
        .await
        .unwrap_err();
    assert!(matches!(e, DocError::Forbidden(_)), "{e:?}");
    let e = env
        .docs
        .save_new_version(a.tenant, &b_editor, d, body("x"), None, VersionCause::Save)
        .await
        .unwrap_err();
    assert!(matches!(e, DocError::Forbidden(_)), "{e:?}");
    let e = env
        .docs
        .delete(a.tenant, &b_editor, d, None)
        .await
        .unwrap_err();
    assert!(matches!(e, DocError::Forbidden(_)), "{e:?}");
    // A cursor of A's lists is refused in B.
    for i in 0..2 {
        env.docs
            .create_client(a.tenant, &a.editor, &format!("more {i}"))
            .await
            .unwrap();
    }
    let page = env
        .docs
        .list_clients(a.tenant, &PageRequest::first(1))
        .await
        .unwrap();
    let cursor = page.next.expect("more clients follow");
    let e = env
        .docs
        .list_clients(b, &PageRequest::after(Some(cursor), 1))
        .await
        .unwrap_err();
    assert!(matches!(e, DocError::InvalidInput(_)), "{e:?}");
    assert!(
        env.docs
            .list_clients(b, &PageRequest::default())
            .await
            .unwrap()
            .items
            .is_empty()
    );
    // A is untouched.
    assert_eq!(env.docs.get(a.tenant, d).await.unwrap(), a.doc);
    assert_eq!(content(env, a.tenant, d, None).await, b"tenant A only");
}
