//! Black-box tests of the `bridge-local` binary, driven as a script or a developer would: start
//! it, read its announcements, call it over HTTP, stop it with SIGTERM, start it again.

#![allow(clippy::unwrap_used)] // test helpers outside #[test] fns

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

struct Runner {
    child: Child,
    base: String,
    lines: Vec<String>,
}

impl Drop for Runner {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

// The child is reaped by `Runner`'s Drop (kill + wait), which clippy cannot see.
#[allow(clippy::zombie_processes)]
fn start(data_dir: &Path) -> Runner {
    let mut child = Command::new(env!("CARGO_BIN_EXE_bridge-local"))
        .args(["--addr", "127.0.0.1:0", "--data-dir"])
        .arg(data_dir)
        .env_remove("BRIDGE_STORAGE")
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("spawn bridge-local");
    let stdout = child.stdout.take().expect("stdout");
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let mut lines = Vec::new();
    loop {
        let line = rx
            .recv_timeout(Duration::from_secs(60))
            .expect("bridge-local announced itself");
        lines.push(line.clone());
        if let Some(addr) = line.strip_prefix("listening on ") {
            return Runner {
                child,
                base: addr.to_string(),
                lines,
            };
        }
    }
}

fn sigterm(child: &Child) {
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("kill");
    assert!(status.success());
}

fn wait_exit(child: &mut Child, limit: Duration) -> std::process::ExitStatus {
    let start = std::time::Instant::now();
    loop {
        if let Some(s) = child.try_wait().expect("try_wait") {
            return s;
        }
        assert!(
            start.elapsed() < limit,
            "bridge-local did not stop within {limit:?}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn demo_tenant_line(lines: &[String]) -> String {
    lines
        .iter()
        .find(|l| l.trim_start().starts_with("demo tenant:"))
        .cloned()
        .expect("demo tenant line")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn starts_answers_health_everywhere_stops_on_sigterm_and_keeps_its_data() {
    let dir = tempfile::tempdir().unwrap();
    let http = reqwest::Client::new();

    let mut first = start(dir.path());
    assert!(
        demo_tenant_line(&first.lines).contains("created now"),
        "{:?}",
        first.lines
    );
    let base = first.base.clone();
    assert!(base.starts_with("http://127.0.0.1:"));

    let r = http.get(format!("{base}/healthz")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(body["status"], "ok", "{body}");
    assert_eq!(body["parts"].as_array().unwrap().len(), 8);
    for c in ["sync-batch", "mailer", "subscriptions"] {
        assert_eq!(body["consumers"][c], "running", "{body}");
    }

    let health_urls: Vec<String> = first
        .lines
        .iter()
        .map(|l| l.trim().to_string())
        .filter(|l| l.contains("/health/"))
        .collect();
    assert_eq!(
        health_urls.len(),
        8,
        "every part's health URL is printed: {:?}",
        first.lines
    );
    for url in &health_urls {
        let r = http.get(url).send().await.unwrap();
        assert_eq!(r.status(), 200, "{url}");
        let report: serde_json::Value = r.json().await.unwrap();
        assert_eq!(report["status"], "ok", "{url}: {report}");
        assert!(
            report["checks"].as_object().is_some_and(|c| !c.is_empty()),
            "{report}"
        );
    }

    let r = http
        .get(format!("{base}/no/such/route"))
        .header("x-request-id", "probe-1")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    assert_eq!(r.headers()["x-request-id"], "probe-1");
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(body["error"], "not_found");
    assert_eq!(body["request_id"], "probe-1");

    sigterm(&first.child);
    let status = wait_exit(&mut first.child, Duration::from_secs(15));
    assert!(status.success(), "clean exit on SIGTERM, got {status}");

    let second = start(dir.path());
    let (a, b) = (
        demo_tenant_line(&first.lines),
        demo_tenant_line(&second.lines),
    );
    assert!(
        !b.contains("created now"),
        "restart must reuse the demo tenant: {b}"
    );
    assert_eq!(
        a.replace(", created now", ""),
        b,
        "same demo tenant after restart"
    );
    let r = http
        .get(format!("{}/healthz", second.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
}

#[test]
fn refuses_an_address_in_use_with_a_clear_error() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_bridge-local"))
        .args(["--addr", &addr, "--data-dir"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("cannot listen on"), "{err}");
}

#[test]
fn bad_configuration_names_the_variable_and_exits_2() {
    let out = Command::new(env!("CARGO_BIN_EXE_bridge-local"))
        .env("BRIDGE_STORAGE", "aws")
        .env_remove("BRIDGE_TABLE")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("BRIDGE_TABLE"), "{err}");
}
