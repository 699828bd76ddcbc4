//! Client files, names, listing, rename, archive and delete (DOC-11).

use bridge_documents::{DocError, PageRequest, VersionCause};
use bridge_store::{Key, Query};

use super::*;

pub async fn clients_are_created_listed_and_paged(env: &Env) {
    let tenant = new_tenant();
    let u = user(tenant, &[]);
    let mut made = Vec::new();
    for i in 0..5 {
        made.push(
            env.docs
                .create_client(tenant, &u, &format!(" Client {i} "))
                .await
                .unwrap(),
        );
    }
    assert_eq!(made[0].name, "Client 0");
    assert_eq!(
        env.docs
            .get_client(tenant, made[3].client_id)
            .await
            .unwrap(),
        made[3]
    );
    let mut seen = Vec::new();
    let mut page = PageRequest::first(2);
    loop {
        let res = env.docs.list_clients(tenant, &page).await.unwrap();
        assert!(res.items.len() <= 2);
        seen.extend(res.items);
        match res.next {
            Some(c) => page = PageRequest::after(Some(c), 2),
            None => break,
        }
    }
    made.sort_by_key(|c| c.client_id);
    assert_eq!(seen, made);
    for bad in ["", "  ", "a\u{0}b"] {
        let e = env.docs.create_client(tenant, &u, bad).await.unwrap_err();
        assert!(matches!(e, DocError::InvalidName(_)), "{bad:?}: {e:?}");
    }
    let e = env
        .docs
        .list_clients(tenant, &PageRequest::first(0))
        .await
        .unwrap_err();
    assert!(matches!(e, DocError::InvalidInput(_)), "{e:?}");
    let e = env
        .docs
        .list_clients(
            tenant,
            &PageRequest::after(Some(bridge_store::Cursor::from_string("garbage")), 2),
        )
        .await
        .unwrap_err();
    assert!(matches!(e, DocError::InvalidInput(_)), "{e:?}");
}

pub async fn names_are_validated_and_rejections_change_nothing(env: &Env) {
    let s = seed(env, "keep.docx", b"k").await;
    for bad in [
        "",
        "noextension",
        "dir/evil.docx",
        "..\\evil.docx",
        "nul\u{0}.docx",
        "line\nbreak.docx",
        "trailing.",
        ".docx",
        "what?.docx",
    ] {
        let e = env
            .docs
            .upload(s.tenant, &s.editor, s.client, bad, body("x"))
            .await
            .unwrap_err();
        assert!(matches!(e, DocError::InvalidName(_)), "{bad:?}: {e:?}");
        let e = env
            .docs
            .rename(s.tenant, &s.editor, s.doc.doc_id, bad, None)
            .await
            .unwrap_err();
        assert!(matches!(e, DocError::InvalidName(_)), "{bad:?}: {e:?}");
    }
    let long = format!("{}.docx", "n".repeat(251));
    let e = env
        .docs
        .upload(s.tenant, &s.editor, s.client, &long, body("x"))
        .await
        .unwrap_err();
    assert!(matches!(e, DocError::InvalidName(_)), "{e:?}");
    let ok = format!("{}.docx", "n".repeat(250));
    env.docs
        .upload(s.tenant, &s.editor, s.client, &ok, body("x"))
        .await
        .unwrap();
    // Rename keeps the extension.
    let e = env
        .docs
        .rename(s.tenant, &s.editor, s.doc.doc_id, "keep.pdf", None)
        .await
        .unwrap_err();
    assert!(matches!(e, DocError::InvalidName(_)), "{e:?}");
    assert_eq!(env.docs.get(s.tenant, s.doc.doc_id).await.unwrap(), s.doc);
    let list = env
        .docs
        .list(s.tenant, s.client, true, &PageRequest::default())
        .await
        .unwrap();
    assert_eq!(list.items.len(), 2, "only the two valid uploads exist");
    // Malformed ids are refused, unknown ones are not found.
    assert!(matches!(DocId::parse("DOC#1"), Err(DocError::InvalidId(_))));
    let e = env
        .docs
        .upload(
            s.tenant,
            &s.editor,
            ClientId(Uuid::now_v7()),
            "x.docx",
            body("x"),
        )
        .await
        .unwrap_err();
    assert!(matches!(e, DocError::NotFound(_)), "{e:?}");
    let versions = assert_versions_consistent(env, s.tenant, s.doc.doc_id).await;
    assert_blobs_match_versions(env, s.tenant, s.doc.doc_id, &versions).await;
}

pub async fn rename_updates_document_and_index_together(env: &Env) {
    let s = seed(env, "old name.docx", b"x").await;
    let d = s.doc.doc_id;
    let doc = env
        .docs
        .rename(s.tenant, &s.editor, d, "  New Name.DOCX ", None)
        .await
        .unwrap();
    assert_eq!(doc.name, "New Name.DOCX");
    assert_eq!(doc.extension, "docx");
    assert_eq!(doc.ver, s.doc.ver + 1);
    assert_eq!(env.docs.get(s.tenant, d).await.unwrap(), doc);
    let list = env
        .docs
        .list(s.tenant, s.client, false, &PageRequest::default())
        .await
        .unwrap();
    assert_eq!(list.items[0].name, "New Name.DOCX");
    // A guarded rename whose guard fails changes nothing.
    let guard = bridge_store::Condition::Equals("lock_id".into(), serde_json::json!("L"));
    let e = env
        .docs
        .rename(s.tenant, &s.editor, d, "other.docx", Some(guard))
        .await
        .unwrap_err();
    assert!(matches!(e, DocError::PreconditionFailed(_)), "{e:?}");
    assert_eq!(env.docs.get(s.tenant, d).await.unwrap(), doc);
    // The index follows saves too.
    let out = save(env, &s, b"bigger content").await;
    let list = env
        .docs
        .list(s.tenant, s.client, false, &PageRequest::default())
        .await
        .unwrap();
    assert_eq!(list.items[0].size, 14);
    assert_eq!(list.items[0].modified_at, out.document.modified_at);
}

pub async fn doc11_archived_documents_are_hidden_by_default_and_not_writable(env: &Env) {
    let s = seed(env, "keep.docx", b"visible").await;
    let mut ids = vec![s.doc.doc_id];
    for i in 0..4 {
        let doc = env
            .docs
            .upload(
                s.tenant,
                &s.editor,
                s.client,
                &format!("doc {i}.xlsx"),
                body("x"),
            )
            .await
            .unwrap();
        ids.push(doc.doc_id);
    }
    // Archive three of five.
    for d in &ids[1..4] {
        let doc = env
            .docs
            .archive(s.tenant, &s.editor, *d, None)
            .await
            .unwrap();
        assert!(doc.archived);
    }
    let again = env
        .docs
        .archive(s.tenant, &s.editor, ids[1], None)
        .await
        .unwrap();
    assert!(again.archived, "archiving twice is a no-op");
    let visible = |include: bool| {
        let docs = env.docs.clone();
        let (t, c) = (s.tenant, s.client);
        async move {
            let mut out = Vec::new();
            let mut page = PageRequest::first(1);
            loop {
                let res = docs.list(t, c, include, &page).await.unwrap();
                out.extend(res.items.into_iter().map(|r| r.doc_id));
                match res.next {
                    Some(cur) => page = PageRequest::after(Some(cur), 1),
                    None => break,
                }
            }
            out.sort();
            out
        }
    };
    let mut expected = vec![ids[0], ids[4]];
    expected.sort();
    assert_eq!(visible(false).await, expected);
    let mut all = ids.clone();
    all.sort();
    assert_eq!(visible(true).await, all);
    // Readable, not writable.
    let d = ids[2];
    let before = env.docs.get(s.tenant, d).await.unwrap();
    assert_eq!(content(env, s.tenant, d, None).await, b"x");
    let v1 = before.current_version.to_string();
    let errs = vec![
        env.docs
            .save_new_version(
                s.tenant,
                &s.editor,
                d,
                body("new"),
                None,
                VersionCause::Save,
            )
            .await
            .map(|_| ())
            .unwrap_err(),
        env.docs
            .rename(s.tenant, &s.editor, d, "renamed.xlsx", None)
            .await
            .map(|_| ())
            .unwrap_err(),
        env.docs
            .restore(s.tenant, &s.editor, d, &v1, None)
            .await
            .map(|_| ())
            .unwrap_err(),
    ];
    for e in errs {
        assert!(matches!(e, DocError::Archived), "{e:?}");
    }
    assert_eq!(env.docs.get(s.tenant, d).await.unwrap(), before);
    let versions = assert_versions_consistent(env, s.tenant, d).await;
    assert_eq!(versions.len(), 1);
    assert_blobs_match_versions(env, s.tenant, d, &versions).await;
    // Unarchived, it is listed and writable again.
    let doc = env.docs.unarchive(s.tenant, &s.editor, d).await.unwrap();
    assert!(!doc.archived);
    assert!(visible(false).await.contains(&d));
    env.docs
        .save_new_version(
            s.tenant,
            &s.editor,
            d,
            body("new"),
            None,
            VersionCause::Save,
        )
        .await
        .unwrap();
}

/// Every item left under the document's keys (document, versions, aliases).
async fn leftover_items(env: &Env, t: bridge_core::tenant::TenantId, d: DocId) -> usize {
    let pk = bridge_core::tenant::tenant_pk(t);
    let q = Query::partition(pk.clone())
        .prefix(format!("DOC#{d}"))
        .limit(1000);
    env.table.query(&q).await.unwrap().items.len()
}

pub async fn doc11_delete_removes_document_index_versions_and_blobs(env: &Env) {
    let s = seed(env, "doomed.docx", b"v1").await;
    let d = s.doc.doc_id;
    // 15 versions + 15 aliases: more than one transaction of deletes.
    for i in 2..=15 {
        save(env, &s, format!("v{i}").as_bytes()).await;
    }
    let other = env
        .docs
        .upload(s.tenant, &s.editor, s.client, "survivor.docx", body("stay"))
        .await
        .unwrap();
    let versions = assert_versions_consistent(env, s.tenant, d).await;
    assert_eq!(versions.len(), 15);
    env.docs.delete(s.tenant, &s.editor, d, None).await.unwrap();
    let e = env.docs.get(s.tenant, d).await.unwrap_err();
    assert!(matches!(e, DocError::NotFound(_)), "{e:?}");
    let e = env.docs.open_content(s.tenant, d, None).await.unwrap_err();
    assert!(matches!(e, DocError::NotFound(_)), "{e:?}");
    assert_eq!(leftover_items(env, s.tenant, d).await, 0);
    for v in &versions {
        let key = bridge_blobs::BlobKey::parse(&v.blob_key).unwrap();
        assert!(env.blobs.head(&key).await.is_err(), "blob {key} deleted");
    }
    assert_blobs_match_versions(env, s.tenant, d, &[]).await;
    let list = env
        .docs
        .list(s.tenant, s.client, true, &PageRequest::default())
        .await
        .unwrap();
    assert_eq!(list.items.len(), 1);
    assert_eq!(list.items[0].doc_id, other.doc_id);
    assert_eq!(content(env, s.tenant, other.doc_id, None).await, b"stay");
    // Deleting again: nothing left to delete.
    let e = env
        .docs
        .delete(s.tenant, &s.editor, d, None)
        .await
        .unwrap_err();
    assert!(matches!(e, DocError::NotFound(_)), "{e:?}");
}

pub async fn doc11_interrupted_delete_can_be_run_again(env: &Env) {
    let s = seed(env, "half.docx", b"v1").await;
    let d = s.doc.doc_id;
    save(env, &s, b"v2").await;
    let versions = all_versions(env, s.tenant, d).await;
    // Interrupted after step 1 and one blob: document and index gone, versions and a blob left.
    let pk = bridge_core::tenant::tenant_pk(s.tenant);
    env.table
        .delete(&Key::new(pk.clone(), format!("DOC#{d}")), None)
        .await
        .unwrap();
    env.table
        .delete(&Key::new(pk, format!("CDOC#{}#{d}", s.client)), None)
        .await
        .unwrap();
    let first = bridge_blobs::BlobKey::parse(&versions[0].blob_key).unwrap();
    env.blobs.delete(&first).await.unwrap();
    assert!(leftover_items(env, s.tenant, d).await > 0);
    // The document is gone for readers and writers already.
    let e = env.docs.get(s.tenant, d).await.unwrap_err();
    assert!(matches!(e, DocError::NotFound(_)), "{e:?}");
    let e = env
        .docs
        .save_new_version(s.tenant, &s.editor, d, body("v3"), None, VersionCause::Save)
        .await
        .unwrap_err();
    assert!(matches!(e, DocError::NotFound(_)), "{e:?}");
    // Running delete again finishes the job.
    env.docs.delete(s.tenant, &s.editor, d, None).await.unwrap();
    assert_eq!(leftover_items(env, s.tenant, d).await, 0);
    assert_blobs_match_versions(env, s.tenant, d, &[]).await;
    let e = env
        .docs
        .delete(s.tenant, &s.editor, d, None)
        .await
        .unwrap_err();
    assert!(matches!(e, DocError::NotFound(_)), "{e:?}");
}
