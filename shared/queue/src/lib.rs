//! Queue port: at-least-once work queues between functions.
//!
//! Semantics are SQS's, so that code tested locally behaves the same on AWS: a received message
//! is invisible for a visibility timeout; if it is not acknowledged in time it is delivered
//! again; after `max_receive_count` deliveries it moves to the dead-letter queue. Adapters:
//! [`sqs::SqsQueue`] and [`local::LocalQueues`] (in-process, SQLite-backed so `bridge-local`
//! loses nothing across a restart). [`consumer`] turns a per-message handler into batch
//! processing with partial batch failure, for Lambda and for the local poller alike.

use std::time::Duration;

use async_trait::async_trait;

pub mod conformance;
pub mod consumer;
pub mod local;
pub mod sqs;
mod validate;

/// A message to enqueue.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct OutgoingMessage {
    /// The payload, usually JSON. At most 256 KiB (the SQS limit).
    pub body: String,
    /// Optional key the consumer uses to drop duplicates (e.g. one sync per mailbox+resource);
    /// carried as a message attribute. The queue itself does not deduplicate.
    pub dedupe_key: Option<String>,
    /// Delay before the message becomes visible (at most 15 minutes).
    pub delay: Duration,
}

impl OutgoingMessage {
    /// A message with this body, no dedupe key and no delay.
    pub fn new(body: impl Into<String>) -> Self {
        Self {
            body: body.into(),
            ..Self::default()
        }
    }
}

/// A received message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    /// Stable id of the message, the same on every redelivery.
    pub id: String,
    /// Handle for this one delivery; needed to ack or release. Changes on every delivery.
    pub receipt: String,
    /// The payload.
    pub body: String,
    /// The dedupe key given at send time, if any.
    pub dedupe_key: Option<String>,
    /// How many times this message has been delivered, this delivery included (1 = first).
    pub receive_count: u32,
}

/// Approximate counts, for health and operations.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct QueueStats {
    /// Messages waiting to be received.
    pub visible: u64,
    /// Messages received and not yet acknowledged or timed out.
    pub in_flight: u64,
}

/// Delivery settings of a queue. On AWS they live in the template (the queue's
/// `VisibilityTimeout` and `RedrivePolicy`); locally they are given here.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueSettings {
    /// How long a received message stays invisible before it is delivered again.
    pub visibility_timeout: Duration,
    /// After this many deliveries without an ack the message moves to the dead-letter queue.
    pub max_receive_count: u32,
}

impl Default for QueueSettings {
    fn default() -> Self {
        Self {
            visibility_timeout: Duration::from_secs(30),
            max_receive_count: 5,
        }
    }
}

/// Why a queue operation failed.
#[derive(Debug, thiserror::Error)]
pub enum QueueError {
    /// The message body is empty or larger than 256 KiB, or the delay exceeds 15 minutes.
    #[error("invalid message: {0}")]
    InvalidMessage(String),
    /// The receipt is unknown or expired (the message was redelivered since).
    #[error("invalid or expired receipt")]
    InvalidReceipt,
    /// The backend failed (SQLite, network, SQS error).
    #[error("queue backend error: {0}")]
    Backend(String),
}

/// An at-least-once queue.
#[async_trait]
pub trait Queue: Send + Sync + std::fmt::Debug {
    /// Enqueues a message; returns its id.
    async fn send(&self, msg: OutgoingMessage) -> Result<String, QueueError>;

    /// Receives up to `max` (1..=10) visible messages, waiting up to `wait` (≤ 20 s) for at
    /// least one. Each returned message becomes invisible for the visibility timeout.
    async fn receive(&self, max: usize, wait: Duration) -> Result<Vec<Delivery>, QueueError>;

    /// Acknowledges (deletes) a delivered message.
    async fn ack(&self, receipt: &str) -> Result<(), QueueError>;

    /// Makes a delivered message visible again after `after` (zero = at once), for a retry.
    async fn release(&self, receipt: &str, after: Duration) -> Result<(), QueueError>;

    /// Approximate counts; also serves as the reachability check for health routes.
    async fn stats(&self) -> Result<QueueStats, QueueError>;
}
