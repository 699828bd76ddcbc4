//! Lambda entry point of `mailer` (SQS trigger with ReportBatchItemFailures).

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    bridge_platform::lambda_sqs::run(mailer::handler).await
}
