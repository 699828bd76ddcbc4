//! Test support shared by the adapter conformance suites and black-box tests.
//!
//! The main piece is [`moto`]: the AWS adapters are proven against moto (a local AWS emulator).
//! `./scripts/test` starts one moto server for the whole run and exports `MOTO_ENDPOINT`; a test
//! run outside that script starts its own moto from the project venv. Under `CI=true` a missing
//! moto is a test failure, never a silent skip.

#![allow(clippy::expect_used)]

use std::io::Write;
use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// A reachable moto server.
#[derive(Debug)]
pub struct Moto {
    /// `http://127.0.0.1:PORT`
    pub endpoint: String,
    // Keeps the watchdog's stdin open: when this test process exits the pipe closes and the
    // watchdog stops moto, so no server outlives the test binary.
    _guard: Option<Child>,
}

static MOTO: OnceLock<Result<Moto, String>> = OnceLock::new();

fn under_ci() -> bool {
    std::env::var("CI")
        .map(|v| v == "true" || v == "1")
        .unwrap_or(false)
}

/// Returns the shared moto server, starting one if needed.
///
/// `None` means moto is not available and the caller should return early; this only happens
/// outside CI, and it prints why. Under `CI=true` it panics instead.
pub fn moto() -> Option<&'static Moto> {
    match outcome(MOTO.get_or_init(start_or_find), under_ci()) {
        Ok(m) => m,
        Err(why) => panic!("{why}"),
    }
}

/// The rule: moto missing is a failure under CI and a visible skip elsewhere.
fn outcome(res: &Result<Moto, String>, ci: bool) -> Result<Option<&Moto>, String> {
    match res {
        Ok(m) => Ok(Some(m)),
        Err(why) if ci => Err(format!(
            "moto is required under CI=true but is not available: {why}"
        )),
        Err(why) => {
            eprintln!("SKIPPED (moto not available: {why}); run ./scripts/test to install it");
            Ok(None)
        }
    }
}

fn workspace_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn start_or_find() -> Result<Moto, String> {
    if let Ok(ep) = std::env::var("MOTO_ENDPOINT") {
        wait_ready(&ep, Duration::from_secs(20))?;
        return Ok(Moto {
            endpoint: ep,
            _guard: None,
        });
    }
    let venv_python = workspace_root().join(".venv/bin/python");
    let python = std::env::var("MOTO_PYTHON")
        .map(PathBuf::from)
        .unwrap_or(venv_python);
    if !python.exists() {
        return Err(format!(
            "no MOTO_ENDPOINT and no python at {}",
            python.display()
        ));
    }
    let port = free_port()?;
    // A watchdog: starts moto, and stops it when our end of its stdin closes.
    let script = format!(
        "import subprocess,sys\n\
         p=subprocess.Popen([sys.executable,'-m','moto.server','-H','127.0.0.1','-p','{port}'],\
         stdout=subprocess.DEVNULL,stderr=subprocess.DEVNULL)\n\
         sys.stdin.read()\np.terminate()\n"
    );
    let mut child = Command::new(&python)
        .arg("-c")
        .arg(script)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .map_err(|e| format!("cannot start moto with {}: {e}", python.display()))?;
    let endpoint = format!("http://127.0.0.1:{port}");
    if let Err(e) = wait_ready(&endpoint, Duration::from_secs(30)) {
        if let Some(mut stdin) = child.stdin.take() {
            let _ = stdin.write_all(b"");
        }
        let _ = child.kill();
        return Err(e);
    }
    Ok(Moto {
        endpoint,
        _guard: Some(child),
    })
}

/// A free TCP port on the loopback interface.
pub fn free_port() -> Result<u16, String> {
    let l = TcpListener::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
    l.local_addr().map(|a| a.port()).map_err(|e| e.to_string())
}

fn wait_ready(endpoint: &str, limit: Duration) -> Result<(), String> {
    let addr = endpoint.trim_start_matches("http://");
    let start = Instant::now();
    loop {
        if std::net::TcpStream::connect(addr).is_ok() {
            return Ok(());
        }
        if start.elapsed() > limit {
            return Err(format!(
                "{endpoint} did not accept connections within {limit:?}"
            ));
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

impl Moto {
    /// An AWS SDK config pointing at this moto server with dummy credentials.
    pub async fn sdk_config(&self) -> aws_config::SdkConfig {
        aws_config::defaults(aws_config::BehaviorVersion::latest())
            .endpoint_url(&self.endpoint)
            .region(aws_config::Region::new("us-east-1"))
            .credentials_provider(aws_sdk_s3::config::Credentials::new(
                "testing", "testing", None, None, "moto",
            ))
            .load()
            .await
    }
}

/// A running ChromeDriver (Debian's `chromium-driver`) for headless Chromium page tests; the
/// process is killed when this is dropped.
#[derive(Debug)]
pub struct ChromeDriver {
    /// `http://127.0.0.1:PORT`: where a WebDriver client connects.
    pub url: String,
    /// The Chromium binary to ask for in the session's capabilities.
    pub chromium: PathBuf,
    child: Child,
}

impl Drop for ChromeDriver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The Chromium and ChromeDriver binaries: `BRIDGE_CHROMIUM` / `BRIDGE_CHROMEDRIVER`, else
/// Debian's `/usr/bin/chromium` and `/usr/bin/chromedriver`.
fn browser_binaries() -> Result<(PathBuf, PathBuf), String> {
    let pick = |var: &str, default: &str| {
        std::env::var(var)
            .map(PathBuf::from)
            .unwrap_or_else(|_| PathBuf::from(default))
    };
    let chromium = pick("BRIDGE_CHROMIUM", "/usr/bin/chromium");
    let driver = pick("BRIDGE_CHROMEDRIVER", "/usr/bin/chromedriver");
    for p in [&chromium, &driver] {
        if !p.exists() {
            return Err(format!("{} not found", p.display()));
        }
    }
    Ok((chromium, driver))
}

/// Starts ChromeDriver on a free loopback port. `None` (with a printed reason) when Chromium is
/// not installed outside CI; under `CI=true` that is a failure, as for moto.
pub fn chromedriver() -> Option<ChromeDriver> {
    let started = browser_binaries().and_then(|(chromium, driver)| {
        let port = free_port()?;
        let child = Command::new(&driver)
            .arg(format!("--port={port}"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("cannot start {}: {e}", driver.display()))?;
        let url = format!("http://127.0.0.1:{port}");
        // Dropped (and so killed) if it does not come up.
        let d = ChromeDriver {
            url,
            chromium,
            child,
        };
        wait_ready(&d.url, Duration::from_secs(20))?;
        Ok(d)
    });
    match started {
        Ok(d) => Some(d),
        Err(why) if under_ci() => {
            panic!("Chromium and ChromeDriver are required under CI=true: {why}")
        }
        Err(why) => {
            eprintln!("SKIPPED (browser not available: {why}); run ./scripts/test to install it");
            None
        }
    }
}

/// The Chromium flags for tests on this machine: headless, no sandbox (containers run as
/// root), and no background networking (the network is closed; Chromium would keep trying).
pub const CHROMIUM_ARGS: &[&str] = &[
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--window-size=1280,900",
];

/// A name unique to this test, usable as a table, bucket or queue name (lowercase, ≤ 63 chars).
pub fn unique_name(prefix: &str) -> String {
    let id = uuid::Uuid::new_v4().simple().to_string();
    format!("{prefix}-{}", &id[..16])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_moto_fails_under_ci_and_skips_visibly_elsewhere() {
        let missing: Result<Moto, String> = Err("no python".into());
        let err = outcome(&missing, true).unwrap_err();
        assert!(
            err.contains("required under CI=true") && err.contains("no python"),
            "{err}"
        );
        assert!(outcome(&missing, false).unwrap().is_none());
        let up = Ok(Moto {
            endpoint: "http://127.0.0.1:1".into(),
            _guard: None,
        });
        assert_eq!(
            outcome(&up, true).unwrap().map(|m| m.endpoint.as_str()),
            Some("http://127.0.0.1:1")
        );
    }
}
