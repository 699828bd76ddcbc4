//! Lambda entry point of `wopi-files`.

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    bridge_http::lambda::run_http(wopi_files::router).await
}
