//! Health: each function checks the adapters it really uses, so a green health route means that
//! function can do its work, not just that the process is up.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use axum::Json;
use axum::response::{IntoResponse, Response};
use bridge_blobs::BlobStore;
use bridge_queue::Queue;
use bridge_store::Table;
use http::StatusCode;
use serde::Serialize;

/// The dependencies one part needs, checked on demand.
#[derive(Debug, Clone, Default)]
pub struct Readiness {
    name: String,
    table: Option<Arc<dyn Table>>,
    blobs: Option<Arc<dyn BlobStore>>,
    queues: Vec<(String, Arc<dyn Queue>)>,
}

/// The result of a check.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct HealthReport {
    /// `ok` or `unavailable`.
    pub status: &'static str,
    /// The part checked.
    pub part: String,
    /// Per dependency: `ok` or the error.
    pub checks: BTreeMap<String, String>,
}

impl HealthReport {
    /// Whether every check passed.
    pub fn ok(&self) -> bool {
        self.status == "ok"
    }
}

/// How long one dependency may take to answer a health check.
const CHECK_TIMEOUT: Duration = Duration::from_secs(5);

impl Readiness {
    /// A part named `name` with no dependencies yet.
    pub fn new(name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            ..Self::default()
        }
    }

    /// A queue consumer: its table and the queue it reads.
    pub fn consumer(
        name: impl Into<String>,
        queue: bridge_platform::QueueName,
        adapters: &bridge_platform::Adapters,
    ) -> Result<Self, bridge_platform::ConfigError> {
        Ok(Self::new(name)
            .table(adapters.table.clone())
            .queue(queue.as_str(), adapters.queue(queue)?))
    }

    /// The part's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Checks the table.
    pub fn table(mut self, t: Arc<dyn Table>) -> Self {
        self.table = Some(t);
        self
    }

    /// Checks the blob store.
    pub fn blobs(mut self, b: Arc<dyn BlobStore>) -> Self {
        self.blobs = Some(b);
        self
    }

    /// Checks a queue.
    pub fn queue(mut self, name: impl Into<String>, q: Arc<dyn Queue>) -> Self {
        self.queues.push((name.into(), q));
        self
    }

    /// Runs every check (each bounded by a timeout).
    pub async fn check(&self) -> HealthReport {
        async fn timed<E: std::fmt::Display>(
            f: impl std::future::Future<Output = Result<(), E>>,
        ) -> String {
            match tokio::time::timeout(CHECK_TIMEOUT, f).await {
                Ok(Ok(())) => "ok".into(),
                Ok(Err(e)) => e.to_string(),
                Err(_) => "timed out".into(),
            }
        }
        let mut checks = BTreeMap::new();
        if let Some(t) = &self.table {
            checks.insert("table".into(), timed(t.ready()).await);
        }
        if let Some(b) = &self.blobs {
            checks.insert("blobs".into(), timed(b.ready()).await);
        }
        for (name, q) in &self.queues {
            checks.insert(
                format!("queue:{name}"),
                timed(async { q.stats().await.map(|_| ()) }).await,
            );
        }
        let ok = checks.values().all(|v| v == "ok");
        HealthReport {
            status: if ok { "ok" } else { "unavailable" },
            part: self.name.clone(),
            checks,
        }
    }

    /// The health answer: 200 with the report, or 503 when a dependency fails.
    pub async fn respond(&self) -> Response {
        let report = self.check().await;
        if !report.ok() {
            tracing::warn!(part = %report.part, checks = ?report.checks, "health check failed");
        }
        let status = if report.ok() {
            StatusCode::OK
        } else {
            StatusCode::SERVICE_UNAVAILABLE
        };
        (status, Json(report)).into_response()
    }

    /// A router with `GET /health/<name>` answering [`Readiness::respond`].
    pub fn route(self) -> axum::Router {
        let path = format!("/health/{}", self.name);
        let me = Arc::new(self);
        axum::Router::new().route(
            &path,
            axum::routing::get(move || {
                let me = Arc::clone(&me);
                async move { me.respond().await }
            }),
        )
    }
}
