//! Lambda entry point of `sync-batch` (SQS trigger with ReportBatchItemFailures).

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    bridge_platform::lambda_sqs::run(sync_batch::handler).await
}
