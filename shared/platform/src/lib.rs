//! What every function and the local runner need at start: typed configuration from the
//! environment, the adapters it selects, JSON logging, and the Lambda SQS glue.

pub mod adapters;
pub mod config;
pub mod directory;
pub mod discovery;
pub mod keys;
pub mod lambda_sqs;
pub mod messages;
pub mod seed;
pub mod telemetry;

/// Name of the file in an embedded data directory that holds the base URL the local runner
/// serves, so `bridge-admin --data-dir` builds links (e-mails, WOPI sources) that reach it.
pub const BASE_URL_FILE: &str = "base-url";

pub use adapters::{AdapterError, Adapters, QueueName};
pub use config::{Config, ConfigError, Storage};

/// The cold start shared by every Lambda: configuration from the environment (errors name the
/// variable), JSON logs to stdout, adapters.
pub async fn start_lambda() -> Result<Adapters, Box<dyn std::error::Error + Send + Sync>> {
    let config = Config::from_env()?;
    telemetry::init(config.log_format, telemetry::LogTarget::Stdout);
    Ok(Adapters::from_config(&config).await?)
}
