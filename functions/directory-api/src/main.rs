//! Lambda entry point of `directory-api`.

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    bridge_http::lambda::run_http(directory_api::router).await
}
