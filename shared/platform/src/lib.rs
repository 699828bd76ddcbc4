//! What every function and the local runner need at start: typed configuration from the
//! environment, the adapters it selects, JSON logging, and the Lambda SQS glue.

pub mod adapters;
pub mod config;
pub mod lambda_sqs;
pub mod telemetry;

pub use adapters::{Adapters, AdapterError, QueueName};
pub use config::{Config, ConfigError, Storage};
