//! The whole `main` of an HTTP function: configuration, logging, adapters, router, Lambda loop.

use axum::Router;
use bridge_platform::{Adapters, ConfigError};

/// Starts an HTTP function whose router `build` makes from the adapters. Configuration errors
/// stop the cold start with a message naming the variable.
pub async fn run_http(
    build: impl FnOnce(&Adapters) -> Result<Router, ConfigError>,
) -> Result<(), lambda_http::Error> {
    let adapters = bridge_platform::start_lambda().await?;
    let router = crate::finish(build(&adapters)?);
    lambda_http::run(router).await
}
