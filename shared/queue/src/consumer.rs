//! Per-message handlers turned into batch processing with partial batch failure.
//!
//! Lambda (SQS event source with `ReportBatchItemFailures`) and the local poller share
//! [`process_batch`]: every message of a batch runs concurrently in its own tokio task, so a
//! slow message does not delay the others and a panic fails only the message that panicked
//! (the Lambda runtime's SQS example fails the whole batch instead). Failed messages are never
//! acked: they come back after the visibility timeout and, after `max_receive_count`
//! deliveries, land on the dead-letter queue.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use tokio_util::sync::CancellationToken;
use tracing::Instrument;

use crate::{Delivery, Queue, QueueError};

/// Why a handler could not process a message. Both variants leave the message to be delivered
/// again (and eventually dead-lettered); the distinction is for logs and metrics.
#[derive(thiserror::Error, Debug)]
pub enum HandlerError {
    /// A transient problem (throttling, a dependency down): a later delivery may succeed.
    #[error("retryable: {0}")]
    Retryable(String),
    /// The message cannot succeed (malformed, refers to something gone): it will end up on the
    /// dead-letter queue for a human to look at.
    #[error("permanent: {0}")]
    Permanent(String),
}

/// Processes one message. Must be idempotent: delivery is at least once.
#[async_trait]
pub trait MessageHandler: Send + Sync {
    /// Handles `msg`; `Ok` means it may be acked.
    async fn handle(&self, msg: &Delivery) -> Result<(), HandlerError>;
}

/// How a message of a batch failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailureKind {
    /// The handler returned [`HandlerError::Retryable`].
    Retryable,
    /// The handler returned [`HandlerError::Permanent`].
    Permanent,
    /// The handler panicked (or its task was cancelled).
    Panicked,
}

/// A message of a batch that was not processed.
#[derive(Debug, Clone)]
pub struct Failure {
    /// The delivery, whose receipt stays unacked.
    pub delivery: Delivery,
    /// How it failed.
    pub kind: FailureKind,
    /// The error or panic text, for logs (never the message body).
    pub reason: String,
}

/// The outcome of a batch: which deliveries to ack and which to leave for redelivery.
#[derive(Debug, Clone, Default)]
pub struct BatchResult {
    /// Processed successfully: ack these.
    pub succeeded: Vec<Delivery>,
    /// Not processed: leave these to come back.
    pub failed: Vec<Failure>,
}

impl BatchResult {
    /// Ids of the failed messages: the `itemIdentifier`s of a Lambda `batchItemFailures`
    /// response.
    pub fn failed_ids(&self) -> Vec<String> {
        self.failed.iter().map(|f| f.delivery.id.clone()).collect()
    }
}

/// Runs `handler` on every message of `batch` concurrently, each in its own task and tracing
/// span (`message_id`, `receive_count`), and sorts the outcomes. The batch's order is kept in
/// both lists. All messages run at once, so keep batches small (SQS gives at most 10 per
/// receive; configure Lambda's batch size accordingly).
pub async fn process_batch(handler: Arc<dyn MessageHandler>, batch: Vec<Delivery>) -> BatchResult {
    let tasks: Vec<_> = batch
        .into_iter()
        .map(|delivery| {
            let span = tracing::info_span!(
                "queue_message",
                message_id = %delivery.id,
                receive_count = delivery.receive_count,
            );
            let handler = Arc::clone(&handler);
            let msg = delivery.clone();
            let task =
                tokio::spawn(async move { handler.handle(&msg).await }.instrument(span.clone()));
            (delivery, span, task)
        })
        .collect();

    let mut result = BatchResult::default();
    for (delivery, span, task) in tasks {
        let outcome = match task.await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(HandlerError::Retryable(e))) => Err((FailureKind::Retryable, e)),
            Ok(Err(HandlerError::Permanent(e))) => Err((FailureKind::Permanent, e)),
            Err(join) if join.is_panic() => Err((
                FailureKind::Panicked,
                format!("handler panicked: {}", panic_text(join)),
            )),
            Err(join) => Err((
                FailureKind::Panicked,
                format!("handler task failed: {join}"),
            )),
        };
        let _entered = span.enter();
        match outcome {
            Ok(()) => {
                tracing::debug!("message processed");
                result.succeeded.push(delivery);
            }
            Err((kind, reason)) => {
                tracing::warn!(?kind, %reason, "message failed; it will be delivered again");
                result.failed.push(Failure {
                    delivery,
                    kind,
                    reason,
                });
            }
        }
    }
    result
}

fn panic_text(join: tokio::task::JoinError) -> String {
    let payload = join.into_panic();
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_owned()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "non-text panic payload".to_owned()
    }
}

/// Acks what succeeded and, if `retry_after` is given, releases what failed so it comes back
/// after that delay instead of the full visibility timeout. Errors are logged, not returned:
/// a message that could not be acked is simply delivered again (at least once).
async fn settle(queue: &dyn Queue, result: &BatchResult, retry_after: Option<Duration>) {
    for d in &result.succeeded {
        if let Err(e) = queue.ack(&d.receipt).await {
            tracing::warn!(message_id = %d.id, error = %e, "ack failed; the message will come back");
        }
    }
    if let Some(after) = retry_after {
        for f in &result.failed {
            if let Err(e) = queue.release(&f.delivery.receipt, after).await {
                tracing::warn!(message_id = %f.delivery.id, error = %e, "release failed");
            }
        }
    }
}

/// Settings of [`run_poller`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PollOptions {
    /// Messages per receive (1..=10).
    pub max_messages: usize,
    /// Long-poll wait per receive; also bounds how long shutdown waits for an idle poller.
    pub wait: Duration,
    /// `Some(d)`: failed messages are released to come back after `d`. `None`: they come back
    /// after the visibility timeout, as on Lambda.
    pub retry_after: Option<Duration>,
    /// Pause after a failed receive, so a broken backend is not hammered.
    pub error_backoff: Duration,
}

impl Default for PollOptions {
    fn default() -> Self {
        Self {
            max_messages: 10,
            wait: Duration::from_secs(1),
            retry_after: None,
            error_backoff: Duration::from_secs(1),
        }
    }
}

/// Shortest pause between two receives that returned nothing, in case `wait` is zero.
const IDLE_PAUSE: Duration = Duration::from_millis(50);

/// The local consumer loop: receive, [`process_batch`], ack the successes, until `shutdown` is
/// cancelled. A receive in progress and the batch in hand are finished first, so nothing that
/// was received is left unacked by the shutdown itself.
pub async fn run_poller(
    queue: Arc<dyn Queue>,
    handler: Arc<dyn MessageHandler>,
    shutdown: CancellationToken,
    opts: PollOptions,
) {
    tracing::info!("queue poller started");
    while !shutdown.is_cancelled() {
        let pause = match queue.receive(opts.max_messages, opts.wait).await {
            Ok(batch) if batch.is_empty() => {
                Some(IDLE_PAUSE.saturating_sub(opts.wait)).filter(|p| !p.is_zero())
            }
            Ok(batch) => {
                let result = process_batch(Arc::clone(&handler), batch).await;
                settle(queue.as_ref(), &result, opts.retry_after).await;
                None
            }
            Err(e) => {
                tracing::error!(error = %e, "queue receive failed");
                Some(opts.error_backoff)
            }
        };
        if let Some(pause) = pause {
            tokio::select! {
                () = shutdown.cancelled() => {}
                () = tokio::time::sleep(pause) => {}
            }
        }
    }
    tracing::info!("queue poller stopped");
}

/// Counts of one [`drain_once`] round.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct DrainOutcome {
    /// Messages received.
    pub received: usize,
    /// Processed and acked.
    pub succeeded: usize,
    /// Failed, left for redelivery.
    pub failed: usize,
}

/// One receive round of up to 10 messages without waiting, processed and settled like the
/// poller does (failed ones are left for the visibility timeout). Lets tests drain a queue
/// deterministically instead of sleeping while a poller runs.
pub async fn drain_once(
    queue: &dyn Queue,
    handler: Arc<dyn MessageHandler>,
) -> Result<DrainOutcome, QueueError> {
    let batch = queue.receive(10, Duration::ZERO).await?;
    let received = batch.len();
    if received == 0 {
        return Ok(DrainOutcome::default());
    }
    let result = process_batch(handler, batch).await;
    settle(queue, &result, None).await;
    Ok(DrainOutcome {
        received,
        succeeded: result.succeeded.len(),
        failed: result.failed.len(),
    })
}
