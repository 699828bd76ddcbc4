//! Lambda entry point of `documents-api`.

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    bridge_http::lambda::run_http(documents_api::router).await
}
