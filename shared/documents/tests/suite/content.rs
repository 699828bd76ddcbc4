//! Content: upload, saves, versions and restore (DOC-12), guards, faults and concurrency.

use bridge_core::Clock;
use bridge_documents::{DocError, GENERATED_LETTER_LABEL, PageRequest, VersionCause};
use bridge_store::{Condition, Update};
use serde_json::json;

use super::hook::Hook;
use super::*;

pub async fn upload_writes_document_index_and_version_one(env: &Env) {
    let s = seed(env, "Offerte Jansen.DOCX", b"hello world").await;
    let d = &s.doc;
    assert_eq!(d.name, "Offerte Jansen.DOCX");
    assert_eq!(d.extension, "docx");
    assert_eq!(d.size, 11);
    assert_eq!(
        d.sha256,
        bridge_blobs::conformance::sha256_hex(b"hello world")
    );
    assert_eq!((d.version_seq, d.ver, d.archived), (1, 1, false));
    assert_eq!(d.owner, s.editor.id);
    assert_eq!(d.created_at, env.clock.now_ms());
    assert_eq!(env.docs.get(s.tenant, d.doc_id).await.unwrap(), *d);
    let versions = assert_versions_consistent(env, s.tenant, d.doc_id).await;
    assert_eq!(versions.len(), 1);
    assert_eq!(versions[0].cause, VersionCause::Upload);
    assert_eq!(
        versions[0].blob_key,
        format!(
            "tenants/{}/docs/{}/{}",
            s.tenant, d.doc_id, d.current_version
        )
    );
    let list = env
        .docs
        .list(s.tenant, s.client, false, &PageRequest::default())
        .await
        .unwrap();
    assert_eq!(list.items, vec![bridge_documents::DocumentSummary::of(d)]);
    assert_eq!(content(env, s.tenant, d.doc_id, None).await, b"hello world");
}

pub async fn doc8_generated_letters_carry_their_label(env: &Env) {
    let s = seed(env, "a.docx", b"a").await;
    let doc = env
        .docs
        .upload_with_labels(
            s.tenant,
            &s.editor,
            s.client,
            "Brief 2025-01.docx",
            &[GENERATED_LETTER_LABEL.to_owned()],
            body("letter"),
        )
        .await
        .unwrap();
    assert_eq!(doc.labels, vec![GENERATED_LETTER_LABEL.to_owned()]);
    assert_eq!(
        env.docs.get(s.tenant, doc.doc_id).await.unwrap().labels,
        doc.labels
    );
    let e = env
        .docs
        .upload_with_labels(
            s.tenant,
            &s.editor,
            s.client,
            "b.docx",
            &[" ".into()],
            body("x"),
        )
        .await
        .unwrap_err();
    assert!(matches!(e, DocError::InvalidInput(_)), "{e:?}");
}

pub async fn doc12_every_save_is_a_version_and_restore_adds_one(env: &Env) {
    let s = seed(env, "plan.docx", b"one").await;
    let d = s.doc.doc_id;
    env.clock.advance_ms(1000);
    let two = save(env, &s, b"two").await;
    env.clock.advance_ms(1000);
    let three = save(env, &s, b"three").await;
    assert_eq!(two.version.seq, 2);
    assert_eq!(three.version.seq, 3);
    assert_eq!(three.document.current_version, three.version.version_id);
    assert_eq!(three.document.modified_at, env.clock.now_ms());
    assert_eq!(env.docs.get(s.tenant, d).await.unwrap(), three.document);
    // History newest first, each version readable by id.
    let page = env
        .docs
        .history(s.tenant, d, &PageRequest::default())
        .await
        .unwrap();
    let seqs: Vec<i64> = page.items.iter().map(|v| v.seq).collect();
    assert_eq!(seqs, vec![3, 2, 1]);
    for (v, want) in page.items.iter().zip([&b"three"[..], b"two", b"one"]) {
        let id = v.version_id.to_string();
        assert_eq!(content(env, s.tenant, d, Some(&id)).await, want);
        assert_eq!(env.docs.version(s.tenant, d, &id).await.unwrap(), *v);
    }
    // Restore version 1: a new version 4 with version 1's content; history kept.
    let v1 = s.doc.current_version.to_string();
    let restored = env
        .docs
        .restore(s.tenant, &s.editor, d, &v1, None)
        .await
        .unwrap();
    assert_eq!(restored.version.seq, 4);
    assert_eq!(restored.version.cause, VersionCause::Restore);
    assert_ne!(restored.version.version_id, s.doc.current_version);
    assert_ne!(restored.version.blob_key, page.items[2].blob_key);
    assert_eq!(restored.version.sha256, s.doc.sha256);
    assert_eq!(content(env, s.tenant, d, None).await, b"one");
    let versions = assert_versions_consistent(env, s.tenant, d).await;
    let causes: Vec<VersionCause> = versions.iter().map(|v| v.cause).collect();
    assert_eq!(
        causes,
        vec![
            VersionCause::Upload,
            VersionCause::Save,
            VersionCause::Save,
            VersionCause::Restore
        ]
    );
    assert_eq!(content(env, s.tenant, d, Some(&v1)).await, b"one");
    assert_blobs_match_versions(env, s.tenant, d, &versions).await;
    // Unknown and malformed version ids.
    let unknown = Uuid::now_v7().to_string();
    let e = env
        .docs
        .open_content(s.tenant, d, Some(&unknown))
        .await
        .unwrap_err();
    assert!(matches!(e, DocError::NotFound(_)), "{e:?}");
    let e = env
        .docs
        .restore(s.tenant, &s.editor, d, "../v1", None)
        .await
        .unwrap_err();
    assert!(matches!(e, DocError::InvalidId(_)), "{e:?}");
    assert_eq!(all_versions(env, s.tenant, d).await.len(), 4);
}

pub async fn saves_keep_attributes_of_other_modules(env: &Env) {
    let s = seed(env, "locked.docx", b"v1").await;
    let key = bridge_store::Key::new(
        bridge_core::tenant::tenant_pk(s.tenant),
        format!("DOC#{}", s.doc.doc_id),
    );
    let expires = env.clock.now_ms() + 30 * 60 * 1000;
    // The WOPI lock module's own write.
    env.table
        .update(
            &key,
            Update::new()
                .set("lock_id", "lock-A")
                .set("lock_expires_at", expires)
                .set("wopi_extra", "kept")
                .add("ver", 1),
            Some(Condition::Exists),
        )
        .await
        .unwrap();
    let out = save(env, &s, b"v2").await;
    assert_eq!(out.document.lock_id.as_deref(), Some("lock-A"));
    env.docs
        .rename(s.tenant, &s.editor, s.doc.doc_id, "renamed.docx", None)
        .await
        .unwrap();
    let item = env.table.get(&key).await.unwrap().unwrap();
    assert_eq!(item.get_str("lock_id"), Some("lock-A"));
    assert_eq!(item.get_i64("lock_expires_at"), Some(expires));
    assert_eq!(item.get_str("wopi_extra"), Some("kept"));
    let doc = env.docs.get(s.tenant, s.doc.doc_id).await.unwrap();
    assert_eq!(doc.lock_expires_at, Some(expires));
    assert_eq!(doc.name, "renamed.docx");
}

/// The guard a WOPI PutFile passes: the lock is `id` and has not expired.
fn lock_guard(id: &str, now: i64) -> Condition {
    Condition::Equals("lock_id".into(), json!(id))
        .and(Condition::GreaterThan("lock_expires_at".into(), json!(now)))
}

pub async fn save_with_a_failing_guard_writes_no_version_and_no_blob(env: &Env) {
    let s = seed(env, "guarded.docx", b"original").await;
    let d = s.doc.doc_id;
    let key = bridge_store::Key::new(bridge_core::tenant::tenant_pk(s.tenant), format!("DOC#{d}"));
    let now = env.clock.now_ms();
    env.table
        .update(
            &key,
            Update::new()
                .set("lock_id", "A")
                .set("lock_expires_at", now + 60_000),
            None,
        )
        .await
        .unwrap();
    let try_save = |guard: Condition, data: &'static str| {
        env.docs.save_new_version(
            s.tenant,
            &s.editor,
            d,
            body(data),
            Some(guard),
            VersionCause::Save,
        )
    };
    // Wrong lock: refused before anything is written.
    let e = try_save(lock_guard("B", now), "by B").await.unwrap_err();
    assert!(matches!(e, DocError::PreconditionFailed(_)), "{e:?}");
    // Right lock when read, but another client takes the lock between the read and the
    // transaction (without touching `ver`): the guard inside the transaction refuses, and the
    // save is not retried past it.
    env.hooks.push(Hook::UpdateFirst(
        key.clone(),
        Update::new().set("lock_id", "C"),
    ));
    let e = try_save(lock_guard("A", now), "raced").await.unwrap_err();
    assert!(matches!(e, DocError::PreconditionFailed(_)), "{e:?}");
    // The same, when the lock expires: clock moved past expiry.
    env.table
        .update(&key, Update::new().set("lock_id", "A"), None)
        .await
        .unwrap();
    let e = try_save(lock_guard("A", now + 120_000), "late")
        .await
        .unwrap_err();
    assert!(matches!(e, DocError::PreconditionFailed(_)), "{e:?}");
    // Nothing changed, and no blob of the refused saves is left.
    assert_eq!(env.docs.get(s.tenant, d).await.unwrap().ver, s.doc.ver);
    let versions = assert_versions_consistent(env, s.tenant, d).await;
    assert_eq!(versions.len(), 1);
    assert_eq!(content(env, s.tenant, d, None).await, b"original");
    assert_blobs_match_versions(env, s.tenant, d, &versions).await;
    // The right lock saves.
    let out = try_save(lock_guard("A", now), "by A").await.unwrap();
    assert_eq!(out.version.seq, 2);
    assert_eq!(content(env, s.tenant, d, None).await, b"by A");
}

pub async fn fault_body_error_midway_changes_nothing(env: &Env) {
    let s = seed(env, "fault.docx", b"safe content").await;
    let d = s.doc.doc_id;
    let e = env
        .docs
        .save_new_version(
            s.tenant,
            &s.editor,
            d,
            failing_body(20_000),
            None,
            VersionCause::Save,
        )
        .await
        .unwrap_err();
    assert!(
        matches!(e, DocError::Blob(bridge_blobs::BlobError::Body(_))),
        "{e:?}"
    );
    assert_eq!(env.docs.get(s.tenant, d).await.unwrap(), s.doc);
    assert_eq!(content(env, s.tenant, d, None).await, b"safe content");
    let versions = assert_versions_consistent(env, s.tenant, d).await;
    assert_eq!(versions.len(), 1);
    assert_blobs_match_versions(env, s.tenant, d, &versions).await;
    // A failing upload leaves no document.
    let e = env
        .docs
        .upload(
            s.tenant,
            &s.editor,
            s.client,
            "broken.docx",
            failing_body(10),
        )
        .await
        .unwrap_err();
    assert!(matches!(e, DocError::Blob(_)), "{e:?}");
    let list = env
        .docs
        .list(s.tenant, s.client, true, &PageRequest::default())
        .await
        .unwrap();
    assert_eq!(list.items.len(), 1);
}

pub async fn too_large_bodies_store_nothing(env: &Env) {
    let s = seed(env, "small.docx", b"small").await;
    let d = s.doc.doc_id;
    let big = vec![7u8; MAX_UPLOAD as usize + 1];
    let e = env
        .docs
        .save_new_version(s.tenant, &s.editor, d, body(&big), None, VersionCause::Save)
        .await
        .unwrap_err();
    assert!(
        matches!(e, DocError::TooLarge { limit } if limit == MAX_UPLOAD),
        "{e:?}"
    );
    let e = env
        .docs
        .upload(s.tenant, &s.editor, s.client, "big.docx", body(&big))
        .await
        .unwrap_err();
    assert!(matches!(e, DocError::TooLarge { .. }), "{e:?}");
    assert_eq!(env.docs.get(s.tenant, d).await.unwrap(), s.doc);
    let versions = assert_versions_consistent(env, s.tenant, d).await;
    assert_eq!(versions.len(), 1);
    assert_blobs_match_versions(env, s.tenant, d, &versions).await;
    let list = env
        .docs
        .list(s.tenant, s.client, true, &PageRequest::default())
        .await
        .unwrap();
    assert_eq!(list.items.len(), 1);
    // Exactly the limit is fine.
    let exact = vec![8u8; MAX_UPLOAD as usize];
    let out = save(env, &s, &exact).await;
    assert_eq!(out.document.size, MAX_UPLOAD);
}

pub async fn concurrent_saves_never_lose_an_acknowledged_save(env: &Env) {
    let s = seed(env, "busy.docx", b"base").await;
    let d = s.doc.doc_id;
    let mut tasks = Vec::new();
    for i in 0..16 {
        let docs = env.docs.clone();
        let (tenant, editor) = (s.tenant, s.editor.clone());
        tasks.push(tokio::spawn(async move {
            let data = format!("save number {i}");
            let res = docs
                .save_new_version(tenant, &editor, d, body(&data), None, VersionCause::Save)
                .await;
            (data, res)
        }));
    }
    let mut oks = Vec::new();
    for t in tasks {
        let (data, res) = t.await.unwrap();
        match res {
            Ok(out) => oks.push((data, out)),
            Err(DocError::Conflict(why)) => eprintln!("conflict: {why}"),
            Err(e) => panic!("unexpected error {e:?}"),
        }
    }
    assert_eq!(
        oks.len(),
        16,
        "bounded retries get 16 concurrent savers through"
    );
    let versions = assert_versions_consistent(env, s.tenant, d).await;
    assert_eq!(
        versions.len(),
        1 + oks.len(),
        "every Ok is exactly one version"
    );
    for (data, out) in &oks {
        let matching: Vec<_> = versions
            .iter()
            .filter(|v| v.version_id == out.version.version_id)
            .collect();
        assert_eq!(matching.len(), 1);
        assert_eq!(*matching[0], out.version);
        let id = out.version.version_id.to_string();
        assert_eq!(content(env, s.tenant, d, Some(&id)).await, data.as_bytes());
    }
    let last = versions.last().unwrap();
    let current = content(env, s.tenant, d, None).await;
    let last_id = last.version_id.to_string();
    assert_eq!(current, content(env, s.tenant, d, Some(&last_id)).await);
    assert_blobs_match_versions(env, s.tenant, d, &versions).await;
}

pub async fn backend_errors_around_the_commit_never_double_or_lose_a_save(env: &Env) {
    let s = seed(env, "flaky.docx", b"v1").await;
    let d = s.doc.doc_id;
    // The transaction fails before committing: retried, one version.
    env.hooks.push(Hook::FailBefore);
    let a = save(env, &s, b"v2").await;
    assert_eq!(a.version.seq, 2);
    // The transaction commits but the answer is lost: the retry recognises its own commit.
    env.hooks.push(Hook::FailAfter);
    let b = save(env, &s, b"v3").await;
    assert_eq!(b.version.seq, 3);
    let versions = assert_versions_consistent(env, s.tenant, d).await;
    assert_eq!(versions.len(), 3);
    assert_eq!(versions[2], b.version);
    assert_eq!(content(env, s.tenant, d, None).await, b"v3");
    assert_blobs_match_versions(env, s.tenant, d, &versions).await;
    // Backend failing every time: an error, the blob kept (it might be referenced), state intact.
    for _ in 0..10 {
        env.hooks.push(Hook::FailBefore);
    }
    let e = env
        .docs
        .save_new_version(s.tenant, &s.editor, d, body("v4"), None, VersionCause::Save)
        .await
        .unwrap_err();
    assert!(matches!(e, DocError::Store(_)), "{e:?}");
    env.hooks.clear();
    let versions = assert_versions_consistent(env, s.tenant, d).await;
    assert_eq!(versions.len(), 3);
    assert_eq!(content(env, s.tenant, d, None).await, b"v3");

    // The kept blob is unreferenced: the sweeper leaves it during the grace period, then removes
    // it, and keeps every blob a version references.
    let grace = bridge_documents::sweep::DEFAULT_GRACE_MS;
    let early = env.docs.sweep_staged(grace, 1000).await.unwrap();
    assert_eq!(early.examined, 0, "{early:?}");
    env.clock.advance_ms(grace);
    let swept = env.docs.sweep_staged(grace, 1000).await.unwrap();
    assert_eq!(swept.blobs_deleted, 1, "{swept:?}");
    assert!(swept.committed >= 3, "{swept:?}");
    assert_blobs_match_versions(env, s.tenant, d, &versions).await;
    assert_eq!(content(env, s.tenant, d, None).await, b"v3");
    let again = env.docs.sweep_staged(grace, 1000).await.unwrap();
    assert_eq!(
        again.examined, 0,
        "intents are gone after a sweep: {again:?}"
    );
}

/// DOC-11 with Office: archiving carries the caller's guard inside its write, so a document
/// whose WOPI lock appeared after the caller checked is not archived.
pub async fn archive_with_a_failing_guard_changes_nothing(env: &Env) {
    let s = seed(env, "open.docx", b"x").await;
    let d = s.doc.doc_id;
    let key = bridge_store::Key::new(bridge_core::tenant::tenant_pk(s.tenant), format!("DOC#{d}"));
    let now = env.clock.now_ms();
    env.table
        .update(
            &key,
            Update::new()
                .set("lock_id", "A")
                .set("lock_expires_at", now + 60_000),
            None,
        )
        .await
        .unwrap();
    let not_locked = Condition::Equals("lock_id".into(), json!("nobody"));
    let e = env
        .docs
        .archive(s.tenant, &s.editor, d, Some(not_locked))
        .await
        .unwrap_err();
    assert!(
        matches!(e, bridge_documents::DocError::PreconditionFailed(_)),
        "{e:?}"
    );
    assert!(!env.docs.get(s.tenant, d).await.unwrap().archived);
    let ok = Condition::Equals("lock_id".into(), json!("A"));
    let doc = env
        .docs
        .archive(s.tenant, &s.editor, d, Some(ok))
        .await
        .unwrap();
    assert!(doc.archived);
}
