//! Lambda entry point of `wopi-contents`.

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    bridge_http::lambda::run_http(wopi_contents::router).await
}
