//! Microsoft's WOPI validator test cases (../shared/wopi-validator/TestCases.xml), interpreted
//! by our runner and run over HTTP against `bridge-local`, on a `.wopitest` file as the
//! validator expects. Every case of the groups we claim must pass; cases whose request types
//! this host does not implement are reported as skipped with the reason.

#![allow(clippy::unwrap_used)] // test helpers outside #[test] fns

use std::time::Duration;

use bridge_platform::{Config, Storage};
use bridge_wopi::token::Permission;
use wopi_conformance::{Filter, Outcome, Runner, Suite, Target};

/// The groups this host implements, and so must pass.
const GROUPS: &[&str] = &[
    "CheckFileInfoSchema",
    "BaseWopiViewing",
    "Locks",
    "GetLock",
    "ExtendedLockLength",
    "EditFlows",
    "FileVersion",
    "PutUserInfo",
    "PutRelativeFile",
    "RenameFileIfCreateChildFileIsNotSupported",
];

fn suite_path() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/wopi-validator/TestCases.xml")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wopi_validator_groups_we_implement_all_pass() {
    let path = suite_path();
    assert!(
        path.exists(),
        "validator test cases missing at {}",
        path.display()
    );
    let suite = Suite::load(&path).unwrap();

    let dir = tempfile::tempdir().unwrap();
    let mut config = Config::from_lookup(|_| None).unwrap();
    config.storage = Storage::Embedded {
        data_dir: dir.path().to_path_buf(),
    };
    config.wopi_test_files = true;
    let running = bridge_local::start(&config, "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let (tenant, user) = (running.demo.tenant.id, running.demo.user.clone());
    let docs = running.adapters.documents();
    let client = docs
        .create_client(tenant, &user, "Validator")
        .await
        .unwrap();
    let empty: bridge_blobs::ByteStream = Box::pin(futures::stream::empty());
    let doc = docs
        .upload(tenant, &user, client.client_id, "validator.wopitest", empty)
        .await
        .unwrap();
    let token = running
        .adapters
        .wopi_host()
        .open_session(tenant, user.id, doc.doc_id, Permission::Edit)
        .await
        .unwrap();

    let target = Target {
        wopi_src: format!("http://{}/wopi/files/{}", running.addr, doc.doc_id),
        access_token: token.access_token,
        access_token_ttl: u64::try_from(token.access_token_ttl).unwrap(),
    };
    let runner = Runner::new(Runner::client(Duration::from_secs(30)).unwrap(), target);
    let filter = Filter {
        groups: Some(GROUPS.iter().map(|g| g.to_string()).collect()),
        ..Filter::default()
    };
    let report = runner.run(&suite, &filter).await;
    report.print();
    let passed = report
        .cases
        .iter()
        .filter(|c| matches!(c.outcome, Outcome::Pass))
        .count();
    let failed: Vec<&str> = report
        .cases
        .iter()
        .filter(|c| matches!(c.outcome, Outcome::Fail { .. }))
        .map(|c| c.name.as_str())
        .collect();
    assert!(
        failed.is_empty(),
        "validator failures {failed:?}:\n{}",
        report.render()
    );
    assert!(passed > 0, "nothing passed:\n{}", report.render());
    running.shutdown();
}
