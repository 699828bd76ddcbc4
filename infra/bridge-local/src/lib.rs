//! `bridge-local`: every function of m365-bridge in one process.
//!
//! All HTTP routers are merged onto one listener, every queue consumer runs in-process, and the
//! adapters are the embedded ones (SQLite + filesystem + SQLite-backed queues under a data
//! directory) unless the configuration selects AWS. A demo tenant with a demo user is created on
//! first start. Tests start it in-process with [`start`]; the binary adds flags and signals.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use axum::Router;
use axum::routing::get;
use bridge_http::Readiness;
use bridge_platform::{AdapterError, Adapters, Config, ConfigError, QueueName};
use bridge_queue::consumer::{MessageHandler, PollOptions, run_poller};
use serde_json::json;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;
use tracing::Instrument;

pub mod demo;
pub mod microsoft;

pub use demo::Demo;
pub use microsoft::LocalMicrosoft;

/// Why the runner could not start or stopped with an error.
#[derive(Debug, thiserror::Error)]
pub enum LocalError {
    /// Configuration is incomplete or invalid.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// An adapter could not be built.
    #[error(transparent)]
    Adapters(#[from] AdapterError),
    /// The address could not be bound.
    #[error("cannot listen on {addr}: {reason}")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// The OS error.
        reason: String,
    },
    /// Seeding the demo tenant failed.
    #[error("cannot create the demo tenant: {0}")]
    Demo(#[from] bridge_store::StoreError),
    /// The local stand-in for Microsoft could not start.
    #[error("cannot start the local Microsoft emulator: {0}")]
    Emulator(#[from] graph_emulator::EmulatorError),
    /// The server failed while running.
    #[error("server error: {0}")]
    Serve(String),
}

/// A queue consumer run in-process.
struct Consumer {
    name: &'static str,
    queue: QueueName,
    handler: Arc<dyn MessageHandler>,
}

/// The assembled application: one router, the consumers, and what `/healthz` checks.
pub struct App {
    router: Router,
    consumers: Vec<Consumer>,
    parts: Vec<Readiness>,
}

/// The mailer's handler. On AWS adapters without Graph credentials (e.g. against moto) there is
/// no way to send mail, so mail messages stay unhandled (they fail and go to the dead-letter
/// queue) instead of the runner refusing to start; everywhere else it is the mailer's own.
fn mailer_handler(a: &Adapters) -> Result<Arc<dyn MessageHandler>, ConfigError> {
    match &a.config.storage {
        bridge_platform::Storage::Aws(_) if a.config.graph.is_none() => {
            tracing::warn!("no Graph credentials: e-mails cannot be sent by this runner");
            Ok(bridge_platform::messages::FoundationHandler::shared(
                mailer::NAME,
                a,
            ))
        }
        _ => mailer::handler(a),
    }
}

impl App {
    /// Mounts every function's router and declares every consumer.
    pub fn build(a: &Adapters) -> Result<Self, ConfigError> {
        let router = Router::new()
            .merge(wopi_files::router(a)?)
            .merge(wopi_contents::router(a)?)
            .merge(documents_api::router(a)?)
            .merge(graph_webhook::router(a)?)
            .merge(directory_api::router(a)?);
        let consumers = vec![
            Consumer {
                name: sync_batch::NAME,
                queue: sync_batch::QUEUE,
                handler: sync_batch::handler(a)?,
            },
            Consumer {
                name: mailer::NAME,
                queue: mailer::QUEUE,
                handler: mailer_handler(a)?,
            },
            Consumer {
                name: subscriptions::NAME,
                queue: subscriptions::QUEUE,
                handler: subscriptions::handler(a)?,
            },
        ];
        let consumer_parts = [
            sync_batch::readiness(a)?,
            mailer::readiness(a)?,
            subscriptions::readiness(a)?,
        ];
        // Consumers have no HTTP route on Lambda; locally they get one, like every other part.
        let router = consumer_parts
            .iter()
            .fold(router, |r, p| r.merge(p.clone().route()));
        let mut parts = vec![
            wopi_files::readiness(a)?,
            wopi_contents::readiness(a)?,
            documents_api::readiness(a)?,
            graph_webhook::readiness(a)?,
            directory_api::readiness(a)?,
        ];
        parts.extend(consumer_parts);
        Ok(Self {
            router,
            consumers,
            parts,
        })
    }

    /// The health route paths of every part, in mount order.
    pub fn health_paths(&self) -> Vec<String> {
        self.parts
            .iter()
            .map(|p| format!("/health/{}", p.name()))
            .collect()
    }
}

/// A running instance.
pub struct Running {
    /// The bound address (useful when the port was 0).
    pub addr: SocketAddr,
    /// The demo tenant and user.
    pub demo: Demo,
    /// Health routes of every part.
    pub health_paths: Vec<String>,
    /// The adapters in use (tests inspect state through them).
    pub adapters: Adapters,
    /// The emulated Microsoft (sign-in, Graph) when none is configured.
    pub microsoft: Option<LocalMicrosoft>,
    shutdown: CancellationToken,
    tasks: JoinSet<Result<(), LocalError>>,
}

impl Running {
    /// Asks everything to stop: the server stops accepting, in-flight requests and message
    /// batches finish.
    pub fn shutdown(&self) {
        self.shutdown.cancel();
    }

    /// A token that stops the instance when cancelled.
    pub fn shutdown_token(&self) -> CancellationToken {
        self.shutdown.clone()
    }

    /// Waits until the server and every consumer have stopped.
    pub async fn wait(mut self) -> Result<(), LocalError> {
        let mut first_error = None;
        while let Some(res) = self.tasks.join_next().await {
            let res = res
                .map_err(|e| LocalError::Serve(e.to_string()))
                .and_then(|r| r);
            if let Err(e) = res {
                self.shutdown.cancel();
                first_error.get_or_insert(e);
            }
        }
        first_error.map_or(Ok(()), Err)
    }
}

/// Builds the adapters for `config`, seeds the demo tenant, binds `addr`, and serves until
/// [`Running::shutdown`]. When this returns, the listener accepts connections.
pub async fn start(config: &Config, addr: SocketAddr) -> Result<Running, LocalError> {
    start_with(Adapters::from_config(config).await?, addr).await
}

/// Writes [`bridge_platform::BASE_URL_FILE`] (embedded storage only); a failure is logged, not fatal.
fn record_base_url(adapters: &Adapters) {
    let (bridge_platform::Storage::Embedded { data_dir }, Some(url)) =
        (&adapters.config.storage, &adapters.config.public_url)
    else {
        return;
    };
    if let Err(e) = std::fs::write(
        data_dir.join(bridge_platform::BASE_URL_FILE),
        format!("{url}\n"),
    ) {
        tracing::warn!(error = %e, "could not record the base URL in the data directory");
    }
}

/// Like [`start`], with adapters the caller built.
pub async fn start_with(mut adapters: Adapters, addr: SocketAddr) -> Result<Running, LocalError> {
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|e| LocalError::Bind {
            addr,
            reason: e.to_string(),
        })?;
    let addr = listener.local_addr().map_err(|e| LocalError::Bind {
        addr,
        reason: e.to_string(),
    })?;
    // Links that leave the process (e-mails) must name where we listen, not a guess.
    let mut config = (*adapters.config).clone();
    if config.public_url.is_none() {
        config.public_url = Some(format!("http://{addr}"));
    }
    // No Microsoft app registration: sign in against the emulator instead.
    let microsoft = microsoft::start_if_unconfigured(&mut config).await?;
    adapters.config = Arc::new(config);
    record_base_url(&adapters);
    let demo = demo::ensure(&adapters).await?;
    let app = App::build(&adapters)?;

    let shutdown = CancellationToken::new();
    let mut tasks = JoinSet::new();
    let mut alive = Vec::new();
    for c in app.consumers {
        let flag = Arc::new(AtomicBool::new(true));
        alive.push((c.name, Arc::clone(&flag)));
        let queue = adapters.queue(c.queue)?;
        let token = shutdown.clone();
        let handler = c.handler;
        let opts = PollOptions {
            wait: Duration::from_millis(500),
            ..PollOptions::default()
        };
        let span = tracing::info_span!("consumer", part = c.name, queue = c.queue.as_str());
        tasks.spawn(
            async move {
                run_poller(queue, handler, token, opts).await;
                flag.store(false, Ordering::SeqCst);
                Ok(())
            }
            .instrument(span),
        );
    }

    let parts = Arc::new(app.parts);
    let health_paths = parts
        .iter()
        .map(|p| format!("/health/{}", p.name()))
        .collect();
    let healthz = {
        let parts = Arc::clone(&parts);
        let alive = Arc::new(alive);
        move || healthz(Arc::clone(&parts), Arc::clone(&alive))
    };
    let router = bridge_http::finish(app.router.route("/healthz", get(healthz)));
    let token = shutdown.clone();
    tasks.spawn(async move {
        axum::serve(listener, router)
            .with_graceful_shutdown(async move { token.cancelled().await })
            .await
            .map_err(|e| LocalError::Serve(e.to_string()))
    });
    Ok(Running {
        addr,
        demo,
        health_paths,
        adapters,
        microsoft,
        shutdown,
        tasks,
    })
}

/// `GET /healthz`: 200 when every mounted part's dependencies answer and every consumer runs.
async fn healthz(
    parts: Arc<Vec<Readiness>>,
    alive: Arc<Vec<(&'static str, Arc<AtomicBool>)>>,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    let mut reports = Vec::new();
    let mut ok = true;
    for p in parts.iter() {
        let r = p.check().await;
        ok &= r.ok();
        reports.push(r);
    }
    let consumers: serde_json::Map<String, serde_json::Value> = alive
        .iter()
        .map(|(name, flag)| {
            let running = flag.load(Ordering::SeqCst);
            ok &= running;
            (
                name.to_string(),
                json!(if running { "running" } else { "stopped" }),
            )
        })
        .collect();
    let status = if ok {
        http::StatusCode::OK
    } else {
        http::StatusCode::SERVICE_UNAVAILABLE
    };
    let body = json!({ "status": if ok { "ok" } else { "unavailable" }, "parts": reports, "consumers": consumers });
    (status, axum::Json(body)).into_response()
}
