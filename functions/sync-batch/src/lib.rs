//! `sync-batch`: one mailbox's sync step: pull delta, push app changes, resolve conflicts, record status.
//!
//! The foundation wires the consumer end to end (queue → handler → table) with the
//! foundation's message kinds; the capability itself arrives with its issue.

use std::sync::Arc;

use bridge_http::Readiness;
use bridge_platform::directory::ShareJobHandler;
use bridge_platform::messages::FoundationHandler;
use bridge_platform::{Adapters, ConfigError, QueueName};
use bridge_queue::consumer::MessageHandler;

/// The function's name: its binary, its health route, its log field.
pub const NAME: &str = "sync-batch";

/// The queue this function consumes.
pub const QUEUE: QueueName = QueueName::Sync;

/// The per-message handler.
pub fn handler(adapters: &Adapters) -> Result<Arc<dyn MessageHandler>, ConfigError> {
    // Share jobs (PAR-5) ride on this queue; everything else is the foundation's for now.
    ShareJobHandler::shared(adapters, FoundationHandler::shared(NAME, adapters))
}

/// What this function depends on: its table and its queue.
pub fn readiness(adapters: &Adapters) -> Result<Readiness, ConfigError> {
    Readiness::consumer(NAME, QUEUE, adapters)
}
