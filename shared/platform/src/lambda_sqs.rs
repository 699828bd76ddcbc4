//! Lambda glue for SQS-triggered functions: an `SqsEvent` becomes [`Delivery`]s, the shared
//! [`process_batch`] runs them, and only the failed message ids go back to Lambda
//! (`ReportBatchItemFailures`), so one bad message never redelivers its whole batch.

use std::sync::Arc;

use aws_lambda_events::sqs::{BatchItemFailure, SqsBatchResponse, SqsEvent, SqsMessage};
use bridge_queue::Delivery;
use bridge_queue::consumer::{MessageHandler, process_batch};

/// Turns one SQS record into a delivery. Records without an id or receipt handle cannot be
/// acknowledged individually, so they are `Err` with whatever id they have.
pub fn delivery_from(msg: &SqsMessage) -> Result<Delivery, String> {
    let id = msg
        .message_id
        .clone()
        .ok_or_else(|| "SQS record without messageId".to_string())?;
    let receipt = msg.receipt_handle.clone().unwrap_or_default();
    let receive_count = msg
        .attributes
        .get("ApproximateReceiveCount")
        .and_then(|v| v.parse::<u32>().ok())
        .unwrap_or(1);
    let dedupe_key = msg
        .message_attributes
        .get("dedupe_key")
        .and_then(|a| a.string_value.clone());
    Ok(Delivery {
        id,
        receipt,
        body: msg.body.clone().unwrap_or_default(),
        dedupe_key,
        receive_count,
    })
}

/// Processes one SQS event and reports the failures.
pub async fn handle_event(handler: Arc<dyn MessageHandler>, event: SqsEvent) -> SqsBatchResponse {
    let mut deliveries = Vec::with_capacity(event.records.len());
    for record in &event.records {
        match delivery_from(record) {
            Ok(d) => deliveries.push(d),
            Err(e) => tracing::error!(error = %e, "unusable SQS record"),
        }
    }
    let result = process_batch(handler, deliveries).await;
    let mut response = SqsBatchResponse::default();
    for id in result.failed_ids() {
        let mut f = BatchItemFailure::default();
        f.item_identifier = id;
        response.batch_item_failures.push(f);
    }
    response
}

/// The whole `main` of an SQS-triggered function: configuration, logging, adapters, handler,
/// Lambda loop with partial batch failures.
pub async fn run(
    build: impl FnOnce(&crate::Adapters) -> Result<Arc<dyn MessageHandler>, crate::ConfigError>,
) -> Result<(), lambda_runtime::Error> {
    let adapters = crate::start_lambda().await?;
    let handler = build(&adapters)?;
    lambda_runtime::run(lambda_runtime::service_fn(
        move |event: lambda_runtime::LambdaEvent<SqsEvent>| {
            let handler = Arc::clone(&handler);
            async move { Ok::<_, lambda_runtime::Error>(handle_event(handler, event.payload).await) }
        },
    ))
    .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::messages::{FoundationHandler, Message};
    use bridge_core::ManualClock;
    use bridge_store::memory::MemoryTable;

    fn record(id: &str, body: &str) -> SqsMessage {
        let mut m = SqsMessage::default();
        m.message_id = Some(id.into());
        m.receipt_handle = Some(format!("rh-{id}"));
        m.body = Some(body.into());
        m.attributes
            .insert("ApproximateReceiveCount".into(), "2".into());
        m
    }

    #[tokio::test]
    async fn only_the_failed_messages_are_reported_to_lambda() {
        let handler: Arc<dyn MessageHandler> = Arc::new(FoundationHandler::new(
            "sync-batch",
            Arc::new(MemoryTable::new()),
            Arc::new(ManualClock::new(0)),
        ));
        let mut event = SqsEvent::default();
        event.records = vec![
            record("good-1", &Message::Ping { id: "a".into() }.to_body()),
            record("bad", r#"{"kind":"nope"}"#),
            record("good-2", &Message::Ping { id: "b".into() }.to_body()),
        ];
        let response = handle_event(handler, event).await;
        let failed: Vec<&str> = response
            .batch_item_failures
            .iter()
            .map(|f| f.item_identifier.as_str())
            .collect();
        assert_eq!(failed, vec!["bad"]);
    }

    #[test]
    fn records_become_deliveries_with_receive_count_and_dedupe_key() {
        let mut m = record("m1", "{}");
        let mut attr = aws_lambda_events::sqs::SqsMessageAttribute::default();
        attr.string_value = Some("mailbox-1/contacts".into());
        m.message_attributes.insert("dedupe_key".into(), attr);
        let d = delivery_from(&m).unwrap();
        assert_eq!(
            (d.id.as_str(), d.receipt.as_str(), d.receive_count),
            ("m1", "rh-m1", 2)
        );
        assert_eq!(d.dedupe_key.as_deref(), Some("mailbox-1/contacts"));
        let mut no_id = record("x", "{}");
        no_id.message_id = None;
        assert!(delivery_from(&no_id).is_err());
    }
}
