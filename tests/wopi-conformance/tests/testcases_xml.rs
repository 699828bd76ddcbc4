//! Loads Microsoft's real `TestCases.xml` and checks it against the facts documented in
//! `shared/wopi-validator/README.md`.

use std::collections::BTreeMap;
use std::path::PathBuf;

use wopi_conformance::{Category, Request, RequestKind, Suite, Validator};

fn validator_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/wopi-validator")
}

fn load_suite() -> Suite {
    let path = validator_dir().join("TestCases.xml");
    assert!(
        path.is_file(),
        "WOPI validator test definitions not found at {} (expected the unchanged copy of \
         microsoft/wopi-validator-core's TestCases.xml in /work/shared/wopi-validator)",
        path.display()
    );
    Suite::load(&path).unwrap_or_else(|e| panic!("cannot load {}: {e}", path.display()))
}

#[test]
fn counts_match_the_readme() {
    let suite = load_suite();
    assert_eq!(suite.groups.len(), 33, "test groups");
    assert_eq!(suite.case_count(), 224, "test cases");
    assert_eq!(suite.prereq_cases.len(), 27, "prerequisite cases");
    assert_eq!(suite.resources.len(), 19, "resources");
    let mut categories: BTreeMap<&str, usize> = BTreeMap::new();
    for case in suite.groups.iter().flat_map(|g| &g.cases) {
        *categories.entry(case.category.as_str()).or_default() += 1;
    }
    let expected: BTreeMap<&str, usize> = [
        ("WopiCore", 121),
        ("WopiCoauth", 92),
        ("OfficeOnline", 9),
        ("OfficeNativeClient", 2),
    ]
    .into_iter()
    .collect();
    assert_eq!(categories, expected);
    let schemas: Vec<&str> = suite.schemas.keys().map(String::as_str).collect();
    assert_eq!(
        schemas,
        vec![
            "CoauthTableSchema",
            "CsppCheckFileInfoSchema",
            "CsppPlusCheckFileInfoSchema"
        ]
    );
    assert!(
        suite
            .group("CoauthLockExpiration")
            .is_some_and(|g| g.has_delay)
    );
    assert_eq!(suite.groups.iter().filter(|g| g.has_delay).count(), 1);
    let word = suite
        .resource("WordSimpleDocument")
        .map(|r| r.content().len());
    assert_eq!(word, Some(74));
}

fn count_requests<'a>(
    requests: impl Iterator<Item = &'a Request>,
    counts: &mut BTreeMap<String, usize>,
) {
    for request in requests {
        *counts.entry(request.name().to_string()).or_default() += 1;
    }
}

#[test]
fn request_type_counts_match_the_readme() {
    let suite = load_suite();
    let cases: Vec<_> = suite.groups.iter().flat_map(|g| &g.cases).collect();
    let mut in_requests = BTreeMap::new();
    let mut in_cleanup = BTreeMap::new();
    let mut in_prereqs = BTreeMap::new();
    count_requests(cases.iter().flat_map(|c| &c.requests), &mut in_requests);
    count_requests(
        cases.iter().flat_map(|c| &c.cleanup_requests),
        &mut in_cleanup,
    );
    count_requests(
        suite.prereq_cases.iter().flat_map(|c| &c.requests),
        &mut in_prereqs,
    );
    let get = |map: &BTreeMap<String, usize>, name: &str| map.get(name).copied().unwrap_or(0);
    // (request, in Requests, in CleanupRequests, in PrereqCases) from the README table
    let table = [
        ("GetCoauthLock", 88, 0, 0),
        ("CheckFileInfo", 62, 0, 22),
        ("UnlockCoauthLock", 8, 65, 0),
        ("Unlock", 39, 26, 0),
        ("GetChunkedFile", 56, 0, 0),
        ("DeleteFile", 13, 41, 0),
        ("Lock", 48, 0, 0),
        ("EnumerateAncestors", 41, 0, 5),
        ("PutChunkedFile", 37, 0, 0),
        ("CheckContainerInfo", 29, 0, 5),
        ("PutRelativeFile", 31, 0, 0),
        ("CreateChildFile", 25, 0, 0),
        ("GetCoauthTable", 24, 0, 0),
        ("RenameFile", 20, 0, 0),
        ("PutFile", 20, 0, 0),
        ("AddActivities", 17, 0, 0),
        ("DeleteContainer", 7, 10, 0),
        ("RefreshCoauthLock", 15, 0, 0),
        ("CreateChildContainer", 10, 0, 0),
        ("GetFile", 10, 0, 0),
        ("GetShareUrl", 6, 0, 0),
        ("Delay", 6, 0, 0),
        ("GetEcosystem", 5, 0, 0),
        ("EnumerateChildren", 4, 0, 0),
        ("GetLock", 4, 0, 0),
        ("UnlockAndRelock", 4, 0, 0),
        ("RefreshLock", 2, 0, 0),
        ("RenameContainer", 2, 0, 0),
        ("GetRootContainer", 2, 0, 0),
        ("GetFromFileUrl", 2, 0, 0),
        ("CheckEcosystem", 1, 0, 0),
        ("PutUserInfo", 1, 0, 0),
    ];
    for (name, requests, cleanup, prereqs) in table {
        assert_eq!(
            (
                get(&in_requests, name),
                get(&in_cleanup, name),
                get(&in_prereqs, name)
            ),
            (requests, cleanup, prereqs),
            "{name}"
        );
    }
    let total: usize = in_requests
        .values()
        .chain(in_cleanup.values())
        .chain(in_prereqs.values())
        .sum();
    let table_total: usize = table.iter().map(|(_, r, c, p)| r + c + p).sum();
    assert_eq!(
        total, table_total,
        "no request type outside the README table"
    );
}

fn count_validators(validators: &[Validator], counts: &mut BTreeMap<&'static str, usize>) {
    for validator in validators {
        let name = match validator {
            Validator::ResponseCode { .. } => "ResponseCodeValidator",
            Validator::ResponseHeader(_) => "ResponseHeaderValidator",
            Validator::LockMismatch { .. } => "LockMismatchValidator",
            Validator::JsonContent { .. } => "JsonResponseContentValidator",
            Validator::JsonSchema { .. } => "JsonSchemaValidator",
            Validator::ResponseContent(_) => "ResponseContentValidator",
            Validator::Or(children) => {
                count_validators(children, counts);
                "Or"
            }
            Validator::And(children) => {
                count_validators(children, counts);
                "And"
            }
            Validator::Unsupported(_) => "FramesValidator",
        };
        *counts.entry(name).or_default() += 1;
    }
}

#[test]
fn validator_counts_match_the_readme() {
    let suite = load_suite();
    let mut counts = BTreeMap::new();
    let cases = suite
        .prereq_cases
        .iter()
        .chain(suite.groups.iter().flat_map(|g| &g.cases));
    for request in cases.flat_map(|c| c.requests.iter().chain(&c.cleanup_requests)) {
        count_validators(
            request.validators.as_deref().unwrap_or_default(),
            &mut counts,
        );
    }
    let expected: BTreeMap<&str, usize> = [
        ("ResponseCodeValidator", 381),
        ("ResponseHeaderValidator", 231),
        ("JsonResponseContentValidator", 230),
        ("Or", 32),
        ("JsonSchemaValidator", 31),
        ("FramesValidator", 26),
        ("LockMismatchValidator", 7),
        ("ResponseContentValidator", 3),
    ]
    .into_iter()
    .collect();
    assert_eq!(counts, expected);
}

/// Cases this runner executes (everything else is reported as skipped with a reason).
fn runnable(suite: &Suite, group: &str) -> (usize, usize) {
    let group = suite
        .group(group)
        .unwrap_or_else(|| panic!("no group {group}"));
    let prereqs_ok = group.prereqs.iter().all(|p| {
        suite
            .prereq(p)
            .is_some_and(|p| p.unsupported_reason().is_none())
    });
    let runnable = group
        .cases
        .iter()
        .filter(|c| prereqs_ok && c.unsupported_reason().is_none())
        .count();
    (runnable, group.cases.len())
}

#[test]
fn runnable_cases_per_group() {
    let suite = load_suite();
    let expected = [
        ("CheckFileInfoSchema", 3, 3),
        ("BaseWopiViewing", 2, 2),
        ("Locks", 13, 13),
        ("GetLock", 3, 3),
        ("ExtendedLockLength", 1, 1),
        ("EditFlows", 5, 5),
        ("FileVersion", 6, 6),
        ("PutUserInfo", 1, 1),
        ("PutRelativeFile", 14, 14),
        ("PutRelativeFileUnsupported", 6, 6),
        ("RenameFileIfCreateChildFileIsNotSupported", 6, 6),
        ("RenameFileIfCreateChildFileIsSupported", 0, 6),
        ("Ecosystem", 0, 4),
        ("Container", 0, 7),
        ("RenameContainer", 0, 2),
        ("EnumerateAncestorsAndChildren", 0, 7),
        ("CreateChildFileAndDeleteFile", 0, 14),
        ("FileUrlUsage", 1, 1),
        ("FileUrlViewOnly", 1, 1),
        ("GetSharingUrlForFileWithTypeReadOnly", 0, 1),
        ("GetSharingUrlForFileWithTypeReadWrite", 0, 1),
        ("GetSharingUrlForFileWithUnknownType", 0, 1),
        ("GetSharingUrlForContainerWithTypeReadOnly", 0, 1),
        ("GetSharingUrlForContainerWithTypeReadWrite", 0, 1),
        ("GetSharingUrlForContainerWithUnknownType", 0, 1),
        ("AddActivities", 0, 17),
        ("ProofKeys", 1, 7),
        ("CoauthLocks", 0, 47),
        ("IncrementalFileTransferErrorCases", 0, 9),
        ("IncrementalFileTransferWithFullFileChunkingScheme", 0, 9),
        ("IncrementalFileTransferWithZipChunkingScheme", 0, 14),
        ("RenameFileWithCoauthLockSupported", 4, 8),
        ("CoauthLockExpiration", 0, 5),
    ];
    assert_eq!(expected.len(), suite.groups.len());
    for (group, runnable_cases, total) in expected {
        assert_eq!(runnable(&suite, group), (runnable_cases, total), "{group}");
    }
    let total_runnable: usize = expected.iter().map(|(_, r, _)| r).sum();
    assert_eq!(total_runnable, 67);
}

#[test]
fn core_editing_requests_are_all_implemented() {
    let suite = load_suite();
    for group in [
        "CheckFileInfoSchema",
        "BaseWopiViewing",
        "Locks",
        "EditFlows",
        "FileVersion",
        "PutRelativeFile",
    ] {
        for case in &suite
            .group(group)
            .map(|g| g.cases.clone())
            .unwrap_or_default()
        {
            for request in case.requests.iter().chain(&case.cleanup_requests) {
                assert!(
                    !matches!(request.kind, RequestKind::Unsupported(_)),
                    "{group}/{}",
                    case.name
                );
            }
        }
    }
    let native: Vec<&str> = suite
        .groups
        .iter()
        .flat_map(|g| &g.cases)
        .filter(|c| c.category == Category::OfficeNativeClient)
        .map(|c| c.name.as_str())
        .collect();
    assert_eq!(native.len(), 2);
}

#[test]
fn feature_test_cases_are_rejected_like_upstream() {
    let path = validator_dir().join("FeatureTestCases.xml");
    assert!(path.is_file(), "{} not found", path.display());
    let error = Suite::load(&path)
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(error.contains("Unknown request: 'CheckFile'"), "{error}");
}
