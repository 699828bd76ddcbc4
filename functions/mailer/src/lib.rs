//! `mailer`: renders and sends e-mails (invitations, join requests, partner requests).
//!
//! The foundation wires the consumer end to end (queue → handler → table) with the
//! foundation's message kinds; the capability itself arrives with its issue.

use std::sync::Arc;

use bridge_http::Readiness;
use bridge_platform::messages::FoundationHandler;
use bridge_platform::{Adapters, ConfigError, QueueName};
use bridge_queue::consumer::MessageHandler;

/// The function's name: its binary, its health route, its log field.
pub const NAME: &str = "mailer";

/// The queue this function consumes.
pub const QUEUE: QueueName = QueueName::Mail;

/// The per-message handler.
pub fn handler(adapters: &Adapters) -> Result<Arc<dyn MessageHandler>, ConfigError> {
    Ok(FoundationHandler::shared(NAME, adapters))
}

/// What this function depends on: its table and its queue.
pub fn readiness(adapters: &Adapters) -> Result<Readiness, ConfigError> {
    Readiness::consumer(NAME, QUEUE, adapters)
}
