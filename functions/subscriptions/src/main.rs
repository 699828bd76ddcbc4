//! Lambda entry point of `subscriptions`: SQS records (lifecycle work) or the EventBridge
//! renewal schedule.

use std::sync::Arc;

use aws_lambda_events::sqs::SqsEvent;
use lambda_runtime::{Error, LambdaEvent, service_fn};
use serde_json::{Value, json};

#[tokio::main]
async fn main() -> Result<(), Error> {
    let adapters = Arc::new(bridge_platform::start_lambda().await?);
    let manager = subscriptions::manager(&adapters)?;
    let handler = subscriptions::handler_with(&adapters, Arc::clone(&manager));
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| {
        let (manager, handler) = (Arc::clone(&manager), Arc::clone(&handler));
        async move {
            if event.payload.get("Records").is_some() {
                let sqs: SqsEvent = serde_json::from_value(event.payload)?;
                let response = bridge_platform::lambda_sqs::handle_event(handler, sqs).await;
                Ok::<Value, Error>(serde_json::to_value(response)?)
            } else {
                let r = subscriptions::renew_due(&manager).await?;
                Ok(json!({
                    "due": r.due,
                    "renewed": r.renewed,
                    "recreated": r.recreated,
                    "stale": r.stale,
                    "failed": r.failed,
                }))
            }
        }
    }))
    .await
}
