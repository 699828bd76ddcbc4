//! End-to-end: the runner against a tiny fake WOPI host (axum on 127.0.0.1:0).
//!
//! The fake host answers CheckFileInfo correctly (so the CheckFileInfoSchema group passes),
//! fails GetFile with a 500 (so BaseWopiViewing fails), advertises no editing support (so the
//! editing groups are skipped by their prerequisites), and records every request it receives
//! so the wire format can be asserted.
#![allow(clippy::unwrap_used)] // test helpers outside #[test] fns

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::json;
use wopi_conformance::{Filter, Outcome, Report, Runner, Suite, Target};

const TOKEN: &str = "tok.with-punct_";
const NEW_FILE_TOKEN: &str = "newtoken";

#[derive(Debug, Clone)]
struct Recorded {
    method: String,
    path: String,
    query: String,
    headers: HeaderMap,
    body: Vec<u8>,
}

impl Recorded {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

struct FakeHost {
    addr: SocketAddr,
    requests: Mutex<Vec<Recorded>>,
}

type Host = Arc<FakeHost>;

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && i + 3 <= bytes.len()
            && let Ok(b) = u8::from_str_radix(&text[i + 1..i + 3], 16)
        {
            out.push(b);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8(out).unwrap()
}

fn query_token(query: &str) -> Option<String> {
    query
        .split('&')
        .find_map(|p| p.strip_prefix("access_token="))
        .map(percent_decode)
}

fn record(
    host: &Host,
    method: &str,
    path: String,
    query: Option<String>,
    headers: &HeaderMap,
    body: &[u8],
) -> Recorded {
    let recorded = Recorded {
        method: method.into(),
        path,
        query: query.unwrap_or_default(),
        headers: headers.clone(),
        body: body.to_vec(),
    };
    host.requests.lock().unwrap().push(recorded.clone());
    recorded
}

fn authorized(request: &Recorded, id: &str) -> bool {
    let expected = if id == "new" { NEW_FILE_TOKEN } else { TOKEN };
    query_token(&request.query).as_deref() == Some(expected)
        && request.header("authorization") == Some(format!("Bearer {expected}").as_str())
}

async fn check_file_info(
    State(host): State<Host>,
    Path(id): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Response {
    let request = record(
        &host,
        "GET",
        format!("/wopi/files/{id}"),
        query,
        &headers,
        &[],
    );
    if !authorized(&request, &id) {
        return StatusCode::UNAUTHORIZED.into_response();
    }
    let name = if id == "new" {
        "new.wopitestx"
    } else {
        "test.wopitest"
    };
    axum::Json(json!({
        "BaseFileName": name,
        "OwnerId": "owner",
        "UserId": "user",
        "Version": "1",
        "Size": 0,
        "FileExtension": ".wopitest",
        "UserCanWrite": false,
        "LastModifiedTime": "2024-01-02T03:04:05.0000000Z",
        "HostViewUrl": format!("http://{}/view/{id}", host.addr),
    }))
    .into_response()
}

async fn get_file(
    State(host): State<Host>,
    Path(id): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Response {
    record(
        &host,
        "GET",
        format!("/wopi/files/{id}/contents"),
        query,
        &headers,
        &[],
    );
    (StatusCode::INTERNAL_SERVER_ERROR, "deliberately broken").into_response()
}

async fn post_file(
    State(host): State<Host>,
    Path(id): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let request = record(
        &host,
        "POST",
        format!("/wopi/files/{id}"),
        query,
        &headers,
        &body,
    );
    if !authorized(&request, &id) {
        return StatusCode::UNAUTHORIZED.into_response();
    }
    match request.header("x-wopi-override") {
        Some("PUT_RELATIVE") => axum::Json(json!({
            "Name": "new.wopitestx",
            "Url": format!("http://{}/wopi/files/new?access_token={NEW_FILE_TOKEN}", host.addr),
        }))
        .into_response(),
        Some("LOCK" | "GET_LOCK" | "DELETE") => StatusCode::OK.into_response(),
        _ => StatusCode::NOT_IMPLEMENTED.into_response(),
    }
}

async fn start_host() -> Host {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let host = Arc::new(FakeHost {
        addr: listener.local_addr().unwrap(),
        requests: Mutex::new(Vec::new()),
    });
    let app = Router::new()
        .route("/wopi/files/{id}", get(check_file_info).post(post_file))
        .route("/wopi/files/{id}/contents", get(get_file))
        .with_state(host.clone());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    host
}

fn runner(host: &FakeHost) -> Runner {
    let target = Target {
        wopi_src: format!("http://{}/wopi/files/abc", host.addr),
        access_token: TOKEN.into(),
        access_token_ttl: 42,
    };
    Runner::new(Runner::client(Duration::from_secs(10)).unwrap(), target)
}

fn validator_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/wopi-validator")
}

fn real_suite() -> Suite {
    let path = validator_dir().join("TestCases.xml");
    assert!(
        path.is_file(),
        "WOPI validator TestCases.xml not found at {}",
        path.display()
    );
    Suite::load(&path).unwrap()
}

fn outcomes<'a>(report: &'a Report, group: &str) -> Vec<&'a Outcome> {
    report
        .cases
        .iter()
        .filter(|c| c.group == group)
        .map(|c| &c.outcome)
        .collect()
}

#[tokio::test]
async fn real_suite_reports_pass_fail_and_skip() {
    let host = start_host().await;
    let suite = real_suite();
    let groups = [
        "CheckFileInfoSchema",
        "BaseWopiViewing",
        "Locks",
        "CoauthLocks",
        "CoauthLockExpiration",
    ];
    let filter = Filter {
        groups: Some(groups.iter().map(|g| g.to_string()).collect()),
        ..Filter::default()
    };
    let report = runner(&host).run(&suite, &filter).await;

    let schema = outcomes(&report, "CheckFileInfoSchema");
    assert_eq!(schema.len(), 3);
    assert!(
        schema.iter().all(|o| **o == Outcome::Pass),
        "{}",
        report.render()
    );

    let view = report
        .case("BaseWopiViewing", "ViewOnlySupport")
        .map(|c| &c.outcome);
    match view {
        Some(Outcome::Fail {
            request_index: 1,
            reason,
        }) => {
            assert!(
                reason.contains("GetFile: Incorrect StatusCode. Expected: 200, Actual: 500"),
                "{reason}"
            )
        }
        other => panic!("ViewOnlySupport: {other:?}"),
    }
    assert!(matches!(
        report
            .case("BaseWopiViewing", "GetUnlockedFile")
            .map(|c| &c.outcome),
        Some(Outcome::Fail {
            request_index: 0,
            ..
        })
    ));

    let locks = outcomes(&report, "Locks");
    assert_eq!(locks.len(), 13);
    for outcome in locks {
        match outcome {
            Outcome::Skipped { reason } => {
                assert!(
                    reason.starts_with("Prerequisites failed: FileEditingPrereq"),
                    "{reason}"
                )
            }
            other => panic!("Locks case not skipped: {other:?}"),
        }
    }
    let coauth = outcomes(&report, "CoauthLocks");
    assert_eq!(coauth.len(), 47);
    assert!(coauth.iter().all(
        |o| matches!(o, Outcome::Skipped { reason } if reason.starts_with("request type ") && reason.ends_with(" not implemented by this host"))
    ));
    assert!(
        outcomes(&report, "CoauthLockExpiration")
            .iter()
            .all(|o| matches!(o, Outcome::Skipped { reason } if reason.contains("uses delays")))
    );

    assert!(report.has_failures());
    let totals = report.totals();
    assert_eq!(
        (totals.passed, totals.failed, totals.skipped),
        (3, 2, 13 + 47 + 5)
    );
    let text = report.render();
    assert!(
        text.contains("PASS    CheckFileInfoSchema / FullCheckFileInfoSchema"),
        "{text}"
    );
    assert!(
        text.contains("FAIL    BaseWopiViewing / ViewOnlySupport"),
        "{text}"
    );

    // the invalid-token case really sent INVALID, and prerequisites ran before every case
    let requests = host.requests.lock().unwrap().clone();
    assert!(
        requests
            .iter()
            .any(|r| query_token(&r.query).as_deref() == Some("INVALID")
                && r.header("authorization") == Some("Bearer INVALID"))
    );
    let prereq_runs = requests
        .iter()
        .filter(|r| r.path == "/wopi/files/abc" && r.method == "GET")
        .count();
    assert!(
        prereq_runs >= 3 + 2 + 13,
        "prerequisites re-run per case, got {prereq_runs}"
    );
}

const WIRE_SUITE: &str = r#"<WopiValidation>
  <Resources>
    <File Id="WordSimpleDocument" Name="WordSimpleDocument.docx" FilePath="Resources\WordSimpleDocument.docx" />
  </Resources>
  <PrereqCases>
    <TestCase Name="BasePrereq" Category="WopiCore"><Requests><CheckFileInfo /></Requests></TestCase>
  </PrereqCases>
  <TestGroup Name="Wire">
    <PrereqTests><PrereqTest>BasePrereq</PrereqTest></PrereqTests>
    <TestCases>
      <TestCase Name="StateAndQuirks" Category="WopiCore">
        <Requests>
          <Lock />
          <PutRelativeFile PutRelativeFileMode="Suggested" Name="madeup_name.wopitestx" ResourceId="WordSimpleDocument">
            <SaveState><State Name="NewUrl" Source="Url" /></SaveState>
            <Validators>
              <JsonResponseContentValidator>
                <AbsoluteUrlProperty Name="Url" IsRequired="true" MustIncludeAccessToken="true" />
              </JsonResponseContentValidator>
            </Validators>
          </PutRelativeFile>
          <CheckFileInfo OverrideUrl="$State:NewUrl">
            <Validators>
              <JsonResponseContentValidator>
                <StringProperty Name="BaseFileName" ExpectedValue="new.wopitestx" IsRequired="true" />
              </JsonResponseContentValidator>
            </Validators>
          </CheckFileInfo>
          <GetLock>
            <Validators><ResponseCodeValidator ExpectedCode="409" /></Validators>
          </GetLock>
          <Unlock Lock="NeverSent" />
        </Requests>
        <CleanupRequests>
          <DeleteFile OverrideUrl="$State:NewUrl" />
          <DeleteFile OverrideUrl="$State:NeverSaved" />
        </CleanupRequests>
      </TestCase>
      <TestCase Name="PrereqOnly" Category="OfficeNativeClient">
        <Requests><CheckFileInfo /></Requests>
      </TestCase>
    </TestCases>
  </TestGroup>
</WopiValidation>"#;

#[tokio::test]
async fn wire_format_state_and_cleanup() {
    let host = start_host().await;
    let suite = Suite::from_xml(WIRE_SUITE, None).unwrap();
    let report = runner(&host).run(&suite, &Filter::default()).await;

    match report.case("Wire", "StateAndQuirks").map(|c| &c.outcome) {
        Some(Outcome::Fail {
            request_index: 3,
            reason,
        }) => {
            assert_eq!(
                reason,
                "GetLock: Incorrect StatusCode. Expected: 409, Actual: 200"
            )
        }
        other => panic!("unexpected outcome {other:?}\n{}", report.render()),
    }
    assert_eq!(
        report.case("Wire", "PrereqOnly").map(|c| &c.outcome),
        Some(&Outcome::Pass)
    );

    let requests = host.requests.lock().unwrap().clone();
    let summary: Vec<(String, String, Option<&str>)> = requests
        .iter()
        .map(|r| {
            (
                r.method.clone(),
                r.path.clone(),
                r.header("x-wopi-override"),
            )
        })
        .collect();
    let expected: Vec<(String, String, Option<&str>)> = [
        ("GET", "/wopi/files/abc", None),
        ("POST", "/wopi/files/abc", Some("LOCK")),
        ("POST", "/wopi/files/abc", Some("PUT_RELATIVE")),
        ("GET", "/wopi/files/new", None),
        ("POST", "/wopi/files/abc", Some("GET_LOCK")),
        ("POST", "/wopi/files/new", Some("DELETE")),
        ("GET", "/wopi/files/abc", None),
        ("GET", "/wopi/files/abc", None),
    ]
    .into_iter()
    .map(|(m, p, o)| (m.to_string(), p.to_string(), o))
    .collect();
    assert_eq!(
        summary, expected,
        "the Unlock after the failure is never sent; cleanup still runs"
    );

    let lock = &requests[1];
    assert_eq!(
        lock.query,
        "access_token=tok%2Ewith%2Dpunct%5F&access_token_ttl=42"
    );
    assert_eq!(lock.header("authorization"), Some("Bearer tok.with-punct_"));
    assert_eq!(
        lock.header("x-wopi-lock"),
        Some(""),
        "absent Lock attribute is sent as an empty header"
    );
    assert_eq!(lock.header("content-length"), Some("0"));
    assert_eq!(lock.header("user-agent"), None);

    let put_relative = &requests[2];
    assert_eq!(
        put_relative.header("x-wopi-suggestedtarget"),
        Some("madeup+AF8-name.wopitestx")
    );
    assert_eq!(put_relative.header("x-wopi-size"), Some("74"));
    assert_eq!(
        put_relative.body,
        b"WordSimpleDocumentResources\\WordSimpleDocument.docxWordSimpleDocument.docx"
    );

    let new_file = &requests[3];
    assert_eq!(
        new_file.query,
        format!("access_token={NEW_FILE_TOKEN}"),
        "saved Url used as is"
    );
    assert_eq!(new_file.header("authorization"), Some("Bearer newtoken"));
    assert_eq!(requests[5].header("authorization"), Some("Bearer newtoken"));

    let native = &requests[7];
    assert_eq!(
        native.header("user-agent"),
        Some("Microsoft Office WOPI Validator/1.0")
    );

    let log = &report.case("Wire", "StateAndQuirks").unwrap().requests;
    assert_eq!(
        log.iter().filter(|r| r.cleanup).count(),
        1,
        "the cleanup with missing state is skipped"
    );
    assert_eq!(
        log[3].errors,
        vec!["Incorrect StatusCode. Expected: 409, Actual: 200".to_string()]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn binary_exit_codes() {
    let host = start_host().await;
    let run = |group: &'static str| {
        let wopi_src = format!("http://{}/wopi/files/abc", host.addr);
        tokio::task::spawn_blocking(move || {
            std::process::Command::new(env!("CARGO_BIN_EXE_wopi-conformance"))
                .args(["--wopisrc", &wopi_src, "--ttl", "0", "--group", group])
                .env("WOPI_ACCESS_TOKEN", TOKEN)
                .env(
                    "WOPI_VALIDATOR_CONFIG",
                    validator_dir().join("TestCases.xml"),
                )
                .output()
                .unwrap()
        })
    };
    let pass = run("CheckFileInfoSchema").await.unwrap();
    let stdout = String::from_utf8_lossy(&pass.stdout);
    assert_eq!(pass.status.code(), Some(0), "{stdout}");
    assert!(
        stdout.contains("CheckFileInfoSchema") && stdout.contains("TOTAL"),
        "{stdout}"
    );
    let fail = run("BaseWopiViewing").await.unwrap();
    assert_eq!(
        fail.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&fail.stdout)
    );
    let all_skipped = run("Locks").await.unwrap();
    assert_eq!(
        all_skipped.status.code(),
        Some(1),
        "nothing passed: not a success"
    );
    let typo = run("NoSuchGroup").await.unwrap();
    assert_eq!(
        typo.status.code(),
        Some(2),
        "an unknown group is an error, not an empty pass"
    );
}
