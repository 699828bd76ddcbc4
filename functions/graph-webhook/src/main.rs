//! Lambda entry point of `graph-webhook`.

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    bridge_http::lambda::run_http(graph_webhook::router).await
}
