//! The SQS adapter.
//!
//! The queue's visibility timeout and redrive policy (dead-letter queue, `maxReceiveCount`) are
//! properties of the SQS queue itself, set in the SAM template; this adapter only moves
//! messages. The dedupe key travels as the String message attribute `dedupe_key`.
//!
//! SQS speaks in whole seconds: delays, release delays and long-poll waits are rounded *up*
//! (never earlier than asked; a 200 ms wait becomes a 1 s long poll).

use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_sqs::Client;
use aws_sdk_sqs::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_sdk_sqs::types::{MessageAttributeValue, MessageSystemAttributeName, QueueAttributeName};

use crate::validate::{self, DEDUPE_ATTRIBUTE};
use crate::{Delivery, OutgoingMessage, Queue, QueueError, QueueStats};

/// Error codes that mean "this receipt does not (or no longer) designate an in-flight message".
const RECEIPT_ERRORS: &[&str] = &[
    "ReceiptHandleIsInvalid",
    "InvalidIdFormat",
    "MessageNotInflight",
];
/// Error codes that mean "SQS refuses this message or parameter".
const INPUT_ERRORS: &[&str] = &["InvalidMessageContents", "InvalidParameterValue"];

/// A queue on SQS, addressed by its URL.
#[derive(Debug, Clone)]
pub struct SqsQueue {
    client: Client,
    queue_url: String,
}

impl SqsQueue {
    /// Wraps an SQS client for the queue at `queue_url`.
    pub fn new(client: Client, queue_url: impl Into<String>) -> Self {
        Self {
            client,
            queue_url: queue_url.into(),
        }
    }

    /// The queue's URL.
    pub fn queue_url(&self) -> &str {
        &self.queue_url
    }
}

/// What the failing call was doing, to pick the error variant.
#[derive(Clone, Copy)]
enum Op {
    Send,
    Receive,
    Ack,
    Release,
    Stats,
}

impl Op {
    fn name(self) -> &'static str {
        match self {
            Op::Send => "SendMessage",
            Op::Receive => "ReceiveMessage",
            Op::Ack => "DeleteMessage",
            Op::Release => "ChangeMessageVisibility",
            Op::Stats => "GetQueueAttributes",
        }
    }
}

/// Maps an SDK error to the port's error, by SQS error code.
fn map_err<E, R>(op: Op, err: SdkError<E, R>) -> QueueError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    let code = err
        .as_service_error()
        .and_then(ProvideErrorMetadata::code)
        .map(str::to_owned);
    let text = format!("{} failed: {}", op.name(), DisplayErrorContext(&err));
    match (op, code.as_deref()) {
        (Op::Ack | Op::Release, Some(c)) if RECEIPT_ERRORS.contains(&c) => {
            QueueError::InvalidReceipt
        }
        (Op::Send | Op::Release, Some(c)) if INPUT_ERRORS.contains(&c) => {
            QueueError::InvalidMessage(text)
        }
        _ => QueueError::Backend(text),
    }
}

fn garbled(what: &str) -> QueueError {
    QueueError::Backend(format!("SQS answer without a valid {what}"))
}

/// Turns one received SQS message into a delivery; a missing field is a backend error.
fn delivery(m: &aws_sdk_sqs::types::Message) -> Result<Delivery, QueueError> {
    let id = m.message_id().ok_or_else(|| garbled("MessageId"))?;
    let receipt = m.receipt_handle().ok_or_else(|| garbled("ReceiptHandle"))?;
    let body = m.body().ok_or_else(|| garbled("Body"))?;
    let receive_count = m
        .attributes()
        .and_then(|a| a.get(&MessageSystemAttributeName::ApproximateReceiveCount))
        .and_then(|v| v.parse::<u32>().ok())
        .ok_or_else(|| garbled("ApproximateReceiveCount"))?;
    let dedupe_key = m
        .message_attributes()
        .and_then(|a| a.get(DEDUPE_ATTRIBUTE))
        .and_then(MessageAttributeValue::string_value)
        .map(str::to_owned);
    Ok(Delivery {
        id: id.to_owned(),
        receipt: receipt.to_owned(),
        body: body.to_owned(),
        dedupe_key,
        receive_count,
    })
}

#[async_trait]
impl Queue for SqsQueue {
    async fn send(&self, msg: OutgoingMessage) -> Result<String, QueueError> {
        validate::message(&msg)?;
        let mut req = self
            .client
            .send_message()
            .queue_url(&self.queue_url)
            .message_body(msg.body)
            .delay_seconds(validate::ceil_secs(msg.delay));
        if let Some(key) = msg.dedupe_key {
            let value = MessageAttributeValue::builder()
                .data_type("String")
                .string_value(key)
                .build()
                .map_err(|e| QueueError::InvalidMessage(e.to_string()))?;
            req = req.message_attributes(DEDUPE_ATTRIBUTE, value);
        }
        let out = req.send().await.map_err(|e| map_err(Op::Send, e))?;
        let id = out
            .message_id()
            .ok_or_else(|| garbled("MessageId"))?
            .to_owned();
        tracing::debug!(queue_url = %self.queue_url, message_id = %id, "message sent");
        Ok(id)
    }

    async fn receive(&self, max: usize, wait: Duration) -> Result<Vec<Delivery>, QueueError> {
        validate::batch_size(max)?;
        let max = i32::try_from(max).map_err(|e| QueueError::InvalidMessage(e.to_string()))?;
        let out = self
            .client
            .receive_message()
            .queue_url(&self.queue_url)
            .max_number_of_messages(max)
            .wait_time_seconds(validate::ceil_secs(validate::wait(wait)))
            .message_system_attribute_names(MessageSystemAttributeName::ApproximateReceiveCount)
            .message_attribute_names(DEDUPE_ATTRIBUTE)
            .send()
            .await
            .map_err(|e| map_err(Op::Receive, e))?;
        out.messages().iter().map(delivery).collect()
    }

    async fn ack(&self, receipt: &str) -> Result<(), QueueError> {
        self.client
            .delete_message()
            .queue_url(&self.queue_url)
            .receipt_handle(receipt)
            .send()
            .await
            .map_err(|e| map_err(Op::Ack, e))?;
        Ok(())
    }

    async fn release(&self, receipt: &str, after: Duration) -> Result<(), QueueError> {
        validate::release_after(after)?;
        self.client
            .change_message_visibility()
            .queue_url(&self.queue_url)
            .receipt_handle(receipt)
            .visibility_timeout(validate::ceil_secs(after))
            .send()
            .await
            .map_err(|e| map_err(Op::Release, e))?;
        Ok(())
    }

    async fn stats(&self) -> Result<QueueStats, QueueError> {
        let out = self
            .client
            .get_queue_attributes()
            .queue_url(&self.queue_url)
            .attribute_names(QueueAttributeName::ApproximateNumberOfMessages)
            .attribute_names(QueueAttributeName::ApproximateNumberOfMessagesNotVisible)
            .send()
            .await
            .map_err(|e| map_err(Op::Stats, e))?;
        let count = |name: QueueAttributeName| -> Result<u64, QueueError> {
            out.attributes()
                .and_then(|a| a.get(&name))
                .and_then(|v| v.parse::<u64>().ok())
                .ok_or_else(|| garbled(name.as_str()))
        };
        Ok(QueueStats {
            visible: count(QueueAttributeName::ApproximateNumberOfMessages)?,
            in_flight: count(QueueAttributeName::ApproximateNumberOfMessagesNotVisible)?,
        })
    }
}
