//! `bridge-local`: runs every function of m365-bridge in one process on embedded storage.
//!
//! Interface (stable, scripts rely on it): `bridge-local --addr 127.0.0.1:PORT --data-dir DIR`
//! (or env `BRIDGE_ADDR`, `BRIDGE_DATA_DIR`); prints `listening on http://ADDR` once it accepts
//! connections; stops cleanly on Ctrl-C or SIGTERM. `--storage aws` uses DynamoDB/S3/SQS from
//! the usual `BRIDGE_*` and `AWS_*` variables instead (e.g. against moto).

use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use bridge_platform::telemetry::{self, LogTarget};
use bridge_platform::{Config, Storage};
use clap::{Parser, ValueEnum};

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum StorageChoice {
    Embedded,
    Aws,
}

/// Runs m365-bridge locally: every function on one port, every queue consumer in-process.
#[derive(Debug, Parser)]
#[command(name = "bridge-local", version)]
struct Args {
    /// Address to listen on (port 0 picks a free port).
    #[arg(long, env = "BRIDGE_ADDR", default_value = "127.0.0.1:8080")]
    addr: SocketAddr,
    /// Directory of the embedded storage (created if missing).
    #[arg(long, env = "BRIDGE_DATA_DIR", default_value = ".bridge-data")]
    data_dir: PathBuf,
    /// Storage: embedded (SQLite + files) or aws (DynamoDB + S3 + SQS from BRIDGE_* variables).
    #[arg(long, env = "BRIDGE_STORAGE", value_enum, default_value = "embedded")]
    storage: StorageChoice,
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = Args::parse();
    let mut config = match Config::from_env() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("bridge-local: configuration error: {e}");
            return ExitCode::from(2);
        }
    };
    if args.storage == StorageChoice::Embedded {
        config.storage = Storage::Embedded {
            data_dir: args.data_dir.clone(),
        };
    }
    telemetry::init(config.log_format, LogTarget::Stderr);

    let running = match bridge_local::start(&config, args.addr).await {
        Ok(r) => r,
        Err(e) => {
            eprintln!("bridge-local: {e}");
            return ExitCode::from(1);
        }
    };
    let base = format!("http://{}", running.addr);
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "m365-bridge local runner");
    match &config.storage {
        Storage::Embedded { data_dir } => {
            let _ = writeln!(out, "  storage: embedded, in {}", data_dir.display());
        }
        Storage::Aws(r) => {
            let _ = writeln!(
                out,
                "  storage: aws (table {}, bucket {})",
                r.table, r.bucket
            );
        }
    }
    let d = &running.demo;
    let _ = writeln!(
        out,
        "  demo tenant: {} ({}){}",
        d.tenant.name,
        d.tenant.id,
        if d.created { ", created now" } else { "" }
    );
    let _ = writeln!(out, "  demo user:   {} ({})", d.user.name, d.user.id);
    let _ = writeln!(out, "open:");
    if matches!(config.storage, Storage::Embedded { .. }) {
        let _ = writeln!(
            out,
            "  {base}/app/sign-in?tenant_id={}&user_id={}   (the documents pages, as the demo user)",
            d.tenant.id, d.user.id
        );
    }
    if let Some(m) = &running.microsoft {
        use bridge_local::microsoft::{LOCAL_ADMIN_UPN, LOCAL_USER_UPN};
        let graph = if m.graph { " and Graph" } else { "" };
        let _ = writeln!(
            out,
            "  Microsoft:   emulated at {} (sign-in{graph}); administrator {LOCAL_ADMIN_UPN}, user {LOCAL_USER_UPN}",
            m.url()
        );
        let _ = writeln!(
            out,
            "  {base}/app/install   (install for the emulated organisation, as its administrator)"
        );
        let _ = writeln!(
            out,
            "  {base}/app/sign-in/microsoft?login_hint={LOCAL_USER_UPN}   (sign in as the user)"
        );
    }
    let _ = writeln!(out, "  {base}/healthz");
    for p in &running.health_paths {
        let _ = writeln!(out, "  {base}{p}");
    }
    let _ = writeln!(out, "listening on {base}");
    let _ = out.flush();
    drop(out);

    let token = running.shutdown_token();
    tokio::spawn(async move {
        wait_for_signal().await;
        tracing::info!("shutdown requested");
        token.cancel();
    });
    match running.wait().await {
        Ok(()) => {
            println!("stopped");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("bridge-local: {e}");
            ExitCode::from(1)
        }
    }
}

/// Ctrl-C or SIGTERM.
async fn wait_for_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = ctrl_c => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = ctrl_c.await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = ctrl_c.await;
    }
}
