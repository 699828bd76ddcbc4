//! `bridge-admin` driven as a script would: seed, upload, open a WOPI session, then use the
//! session against `bridge-local` on the same data directory.

#![allow(clippy::unwrap_used)] // test helpers outside #[test] fns

use std::process::Command;

use serde_json::Value;

fn admin(dir: &std::path::Path, args: &[&str]) -> (bool, Value, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_bridge-admin"))
        .arg("--data-dir")
        .arg(dir)
        .args(args)
        .env("BRIDGE_WOPI_TEST_FILES", "1")
        .env_remove("BRIDGE_STORAGE")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    let json = serde_json::from_str(&stdout).unwrap_or(Value::Null);
    (
        out.status.success(),
        json,
        String::from_utf8_lossy(&out.stderr).to_string(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn seed_upload_and_wopi_session_work_end_to_end() {
    let dir = tempfile::tempdir().unwrap();
    let (ok, seed, err) = admin(dir.path(), &["seed", "--tenant", "Acme"]);
    assert!(ok, "{err}");
    let tenant = seed["tenant_id"].as_str().unwrap().to_string();
    let client = seed["client_id"].as_str().unwrap().to_string();
    let users = seed["users"].as_array().unwrap();
    assert_eq!(users.len(), 2);
    // The editor is the tenant's super admin: "add document" and "manage users".
    let rights = users[0]["rights"].as_array().unwrap();
    assert!(
        rights.contains(&serde_json::json!("add_document")),
        "{rights:?}"
    );
    assert!(
        rights.contains(&serde_json::json!("manage_users")),
        "{rights:?}"
    );
    assert_eq!(users[1]["rights"], serde_json::json!([]));
    let (editor, viewer) = (
        users[0]["id"].as_str().unwrap().to_string(),
        users[1]["id"].as_str().unwrap().to_string(),
    );

    let file = dir.path().join("Plan.wopitest");
    std::fs::write(&file, b"hello office").unwrap();
    let f = file.to_str().unwrap();
    let (ok, up, err) = admin(
        dir.path(),
        &[
            "upload", "--tenant", &tenant, "--client", &client, "--user", &editor, f,
        ],
    );
    assert!(ok, "{err}");
    let doc = up["document_id"].as_str().unwrap().to_string();

    // The viewer may not upload (DOC-6) and may not open for edit.
    let (ok, _, err) = admin(
        dir.path(),
        &[
            "upload", "--tenant", &tenant, "--client", &client, "--user", &viewer, f,
        ],
    );
    assert!(!ok && err.contains("add document"), "{err}");
    let session = |user: &str, action: &str| {
        admin(
            dir.path(),
            &[
                "wopi-session",
                "--tenant",
                &tenant,
                "--document",
                &doc,
                "--user",
                user,
                "--action",
                action,
            ],
        )
    };
    let (ok, _, err) = session(&viewer, "edit");
    assert!(!ok && err.contains("may not edit"), "{err}");
    let (ok, view, err) = session(&viewer, "view");
    assert!(ok, "{err}");
    assert!(view["access_token_ttl"].as_i64().unwrap() > 0);

    let (ok, edit, err) = session(&editor, "edit");
    assert!(ok, "{err}");
    let mut config = bridge_platform::Config::from_lookup(|_| None).unwrap();
    config.storage = bridge_platform::Storage::Embedded {
        data_dir: dir.path().to_path_buf(),
    };
    config.wopi_test_files = true;
    let running = bridge_local::start(&config, "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let src = edit["wopi_src"]
        .as_str()
        .unwrap()
        .replace("http://127.0.0.1:8080", &format!("http://{}", running.addr));
    let url = format!(
        "{src}?access_token={}",
        edit["access_token"].as_str().unwrap()
    );
    let info: Value = reqwest::get(&url).await.unwrap().json().await.unwrap();
    assert_eq!(info["BaseFileName"], "Plan.wopitest");
    assert_eq!(info["UserCanWrite"], true);
    running.shutdown();

    let (ok, _, err) = admin(
        dir.path(),
        &[
            "wopi-session",
            "--tenant",
            "nope",
            "--document",
            &doc,
            "--user",
            &editor,
            "--action",
            "view",
        ],
    );
    assert!(!ok && err.contains("--tenant"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dev_token_opens_the_api_of_bridge_local() {
    let dir = tempfile::tempdir().unwrap();
    let (ok, seed, err) = admin(dir.path(), &["seed", "--tenant", "Acme"]);
    assert!(ok, "{err}");
    let tenant = seed["tenant_id"].as_str().unwrap().to_string();
    let client = seed["client_id"].as_str().unwrap().to_string();
    let editor = seed["users"][0]["id"].as_str().unwrap().to_string();
    let (ok, out, err) = admin(
        dir.path(),
        &["dev-token", "--tenant", &tenant, "--user", &editor],
    );
    assert!(ok, "{err}");
    let token = out["token"].as_str().unwrap().to_string();

    // Unknown user and malformed ids are refused.
    let (ok, _, err) = admin(
        dir.path(),
        &[
            "dev-token",
            "--tenant",
            &tenant,
            "--user",
            "0190f3c2-0000-7000-8000-0000000000ff",
        ],
    );
    assert!(!ok && err.contains("no such user"), "{err}");
    let (ok, _, err) = admin(
        dir.path(),
        &["dev-token", "--tenant", "x", "--user", &editor],
    );
    assert!(!ok && err.contains("--tenant"), "{err}");

    let mut config = bridge_platform::Config::from_lookup(|_| None).unwrap();
    config.storage = bridge_platform::Storage::Embedded {
        data_dir: dir.path().to_path_buf(),
    };
    let running = bridge_local::start(&config, "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let base = format!("http://{}", running.addr);
    let http = reqwest::Client::new();
    let clients: Value = http
        .get(format!("{base}/api/clients"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        clients["items"][0]["client_id"],
        client.as_str(),
        "{clients}"
    );
    let up = http
        .post(format!(
            "{base}/api/clients/{client}/documents?name=Plan.docx"
        ))
        .bearer_auth(&token)
        .body("hello")
        .send()
        .await
        .unwrap();
    assert_eq!(up.status(), reqwest::StatusCode::CREATED);
    let anonymous = http
        .get(format!("{base}/api/clients"))
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), reqwest::StatusCode::UNAUTHORIZED);
    running.shutdown();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sweep_blobs_keeps_committed_content_and_reports_in_json() {
    let dir = tempfile::tempdir().unwrap();
    let (ok, seed, err) = admin(dir.path(), &["seed", "--tenant", "Sweep"]);
    assert!(ok, "{err}");
    let tenant = seed["tenant_id"].as_str().unwrap().to_string();
    let client = seed["client_id"].as_str().unwrap().to_string();
    let editor = seed["users"][0]["id"].as_str().unwrap().to_string();
    let file = dir.path().join("Kept.docx");
    std::fs::write(&file, b"kept").unwrap();
    let (ok, _, err) = admin(
        dir.path(),
        &[
            "upload",
            "--tenant",
            &tenant,
            "--client",
            &client,
            "--user",
            &editor,
            file.to_str().unwrap(),
        ],
    );
    assert!(ok, "{err}");
    // Within the default grace nothing is examined; with none, the upload's blob is found
    // committed and kept.
    let (ok, report, err) = admin(dir.path(), &["sweep-blobs"]);
    assert!(ok, "{err}");
    assert_eq!(report["examined"], 0);
    let (ok, report, err) = admin(dir.path(), &["sweep-blobs", "--grace-hours", "0"]);
    assert!(ok, "{err}");
    assert_eq!(report["examined"], 1, "{report}");
    assert_eq!(report["committed"], 1, "{report}");
    assert_eq!(report["blobs_deleted"], 0, "{report}");
}

/// The e-mail files of the local outbox, by name.
fn outbox(dir: &std::path::Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir.join("outbox"))
        .map(|d| {
            d.filter_map(|e| e.ok())
                .map(|e| e.file_name().to_string_lossy().to_string())
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invitations_and_relation_requests_from_the_cli_are_mailed_to_the_local_outbox() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // bridge-local first, so the links in the e-mails name where it listens.
    let mut config = bridge_platform::Config::from_lookup(|_| None).unwrap();
    config.storage = bridge_platform::Storage::Embedded {
        data_dir: d.to_path_buf(),
    };
    let running = bridge_local::start(&config, "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let base = format!("http://{}", running.addr);
    let seeded = |name: &str| {
        let (ok, seed, err) = admin(d, &["seed", "--tenant", name]);
        assert!(ok, "{err}");
        let id = |v: &Value| v.as_str().unwrap().to_string();
        (
            id(&seed["tenant_id"]),
            id(&seed["users"][0]["id"]),
            id(&seed["users"][1]["id"]),
        )
    };
    let (a, admin_a, viewer_a) = seeded("Alpha Care");
    let (b, admin_b, _) = seeded("Beta Care");

    // invite → invitation id + a link to the running runner; its state is pending for 7 days.
    let (ok, inv, err) = admin(
        d,
        &[
            "invite",
            "--tenant",
            &a,
            "--by",
            &admin_a,
            "--email",
            "Nina@Example.com",
        ],
    );
    assert!(ok, "{err}");
    let inv_id = inv["invitation_id"].as_str().unwrap().to_string();
    let accept = inv["accept_url"].as_str().unwrap();
    assert!(
        accept.starts_with(&format!("{base}/app/invitations/")),
        "{accept}"
    );
    let (ok, st, err) = admin(d, &["invitation", "--tenant", &a, "--id", &inv_id]);
    assert!(ok, "{err}");
    assert_eq!(st["state"], "pending");
    let week = 7 * 24 * 3_600_000_i64;
    let expires = st["expires_at"].as_i64().unwrap();
    let now = i64::try_from(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_millis(),
    )
    .unwrap();
    assert!((expires - now - week).abs() < 120_000, "{expires} vs {now}");
    // Another tenant's id finds nothing; a user without "manage users" cannot invite.
    let (ok, _, err) = admin(d, &["invitation", "--tenant", &b, "--id", &inv_id]);
    assert!(!ok && err.contains("no such invitation"), "{err}");
    let (ok, _, err) = admin(
        d,
        &[
            "invite",
            "--tenant",
            &a,
            "--by",
            &viewer_a,
            "--email",
            "x@example.com",
        ],
    );
    assert!(!ok && err.contains("manage users"), "{err}");

    // Relation request between two partner-enabled environments.
    let (ok, _, err) = admin(
        d,
        &[
            "relation-request",
            "--from-tenant",
            &a,
            "--by",
            &admin_a,
            "--to-tenant",
            &b,
            "--to-user",
            &admin_b,
        ],
    );
    assert!(
        !ok && err.contains("partner"),
        "not in the subscription yet: {err}"
    );
    for (t, u) in [(&a, &admin_a), (&b, &admin_b)] {
        let (ok, out, err) = admin(d, &["enable-partners", "--tenant", t, "--by", u]);
        assert!(ok, "{err}");
        assert_eq!(out["findable"], true);
    }
    let request = || {
        admin(
            d,
            &[
                "relation-request",
                "--from-tenant",
                &a,
                "--by",
                &admin_a,
                "--to-tenant",
                &b,
                "--to-user",
                &admin_b,
            ],
        )
    };
    let (ok, rr, err) = request();
    assert!(ok, "{err}");
    let rr_id = rr["request_id"].as_str().unwrap().to_string();
    assert!(
        rr["accept_url"]
            .as_str()
            .unwrap()
            .starts_with(&format!("{base}/app/relation-requests/"))
    );
    let (ok, st, err) = admin(d, &["relation-request-status", "--id", &rr_id]);
    assert!(ok, "{err}");
    assert_eq!(st["state"], "pending");
    let (ok, _, err) = request();
    assert!(
        !ok && err.contains("pending"),
        "one pending per pair: {err}"
    );
    let (ok, _, err) = admin(
        d,
        &[
            "relation-request-status",
            "--id",
            "0190f3c2-0000-7000-8000-0000000000ff",
        ],
    );
    assert!(!ok && err.contains("not found"), "{err}");

    // The running runner's mailer writes both e-mails, once each, into the outbox.
    let want = [format!("inv-{inv_id}.eml"), format!("relreq-{rr_id}.eml")];
    let mut seen = Vec::new();
    for _ in 0..100 {
        seen = outbox(d);
        if want.iter().all(|w| seen.contains(w)) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(want.iter().all(|w| seen.contains(w)), "outbox: {seen:?}");
    let eml = std::fs::read_to_string(d.join("outbox").join(&want[0])).unwrap();
    assert!(eml.contains("nina@example.com"), "{eml}");
    running.shutdown();
}
