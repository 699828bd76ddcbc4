//! `mailer`: renders and sends e-mails (invitations, join requests, partner requests).
//!
//! Glue only: a [`Message::SendMail`] is parsed, rendered ([`bridge_mail::MailKind::render`])
//! and handed to [`bridge_mail::deliver`], which owns the at-most-once rule. Which transport
//! carries the mail is chosen here: the `.eml` outbox under `<data_dir>/outbox/` in embedded
//! mode; on AWS the Graph `sendMail` transport, passed in through [`handler_with`].

use std::sync::Arc;

use async_trait::async_trait;
use bridge_http::Readiness;
use bridge_mail::{EmlOutbox, MailId, MailKind, MailTransport, Outcome, OutgoingMail, deliver};
use bridge_platform::config::DEFAULT_LOCAL_MAIL_SENDER;
use bridge_platform::messages::{FoundationHandler, Message};
use bridge_platform::{Adapters, Config, ConfigError, QueueName, Storage};
use bridge_queue::Delivery;
use bridge_queue::consumer::{HandlerError, MessageHandler};
use tracing::Instrument;

/// The function's name: its binary, its health route, its log field.
pub const NAME: &str = "mailer";

/// The queue this function consumes.
pub const QUEUE: QueueName = QueueName::Mail;

/// The per-message handler with the transport the configuration selects: in embedded mode the
/// `.eml` outbox of the data directory; on AWS Graph `sendMail` from `BRIDGE_MAIL_SENDER`. On AWS
/// without Graph credentials or sender this fails, naming the missing settings, so a deployment
/// without them stops at its cold start instead of dead-lettering every mail.
pub fn handler(adapters: &Adapters) -> Result<Arc<dyn MessageHandler>, ConfigError> {
    handler_with(adapters, configured_transport(&adapters.config)?)
}

/// The per-message handler sending through `transport`.
pub fn handler_with(
    adapters: &Adapters,
    transport: Arc<dyn MailTransport>,
) -> Result<Arc<dyn MessageHandler>, ConfigError> {
    Ok(Arc::new(MailHandler {
        sender: sender(&adapters.config)?,
        transport,
        adapters: adapters.clone(),
        foundation: FoundationHandler::new(NAME, adapters.table.clone(), adapters.clock.clone()),
    }))
}

/// What this function depends on: its table and its queue.
pub fn readiness(adapters: &Adapters) -> Result<Readiness, ConfigError> {
    Readiness::consumer(NAME, QUEUE, adapters)
}

/// The transport [`handler`] uses for `config`.
fn configured_transport(config: &Config) -> Result<Arc<dyn MailTransport>, ConfigError> {
    match &config.storage {
        Storage::Embedded { data_dir } => Ok(Arc::new(EmlOutbox::in_data_dir(data_dir))),
        Storage::Aws(_) if config.graph.is_none() => Err(ConfigError::Missing {
            var: "BRIDGE_GRAPH_TENANT_ID",
            why: "on AWS the mailer sends through Graph sendMail, which needs \
                  BRIDGE_GRAPH_TENANT_ID, BRIDGE_GRAPH_CLIENT_ID, BRIDGE_GRAPH_CLIENT_SECRET \
                  and BRIDGE_MAIL_SENDER",
        }),
        Storage::Aws(_) if config.mail_sender.is_none() => Err(missing_sender()),
        Storage::Aws(_) => {
            let client = graph_client(config)?;
            Ok(Arc::new(bridge_mail::GraphTransport::new(client)))
        }
    }
}

/// Our app's Graph client, from the one place every Graph caller reads its settings.
fn graph_client(config: &Config) -> Result<bridge_graph::GraphClient, ConfigError> {
    let gc = bridge_graph_subs::graph_config(config).map_err(|e| ConfigError::Invalid {
        var: "BRIDGE_GRAPH_TENANT_ID",
        reason: e.to_string(),
    })?;
    bridge_graph::GraphClient::new(gc).map_err(|e| ConfigError::Invalid {
        var: "BRIDGE_GRAPH_BASE_URL",
        reason: e.to_string(),
    })
}

/// The sender mailbox: `BRIDGE_MAIL_SENDER`, or a local placeholder in embedded mode.
fn sender(config: &Config) -> Result<String, ConfigError> {
    match (&config.mail_sender, &config.storage) {
        (Some(s), _) => Ok(s.clone()),
        (None, Storage::Embedded { .. }) => Ok(DEFAULT_LOCAL_MAIL_SENDER.to_owned()),
        (None, Storage::Aws(_)) => Err(missing_sender()),
    }
}

fn missing_sender() -> ConfigError {
    ConfigError::Missing {
        var: "BRIDGE_MAIL_SENDER",
        why: "the mailer sends every e-mail from this mailbox",
    }
}

/// Handles `send_mail`; every other kind goes to the foundation's handler (pings are recorded,
/// kinds of other consumers fail permanently).
#[derive(Debug)]
struct MailHandler {
    sender: String,
    transport: Arc<dyn MailTransport>,
    adapters: Adapters,
    foundation: FoundationHandler,
}

#[async_trait]
impl MessageHandler for MailHandler {
    async fn handle(&self, msg: &Delivery) -> Result<(), HandlerError> {
        match Message::parse(&msg.body)? {
            Message::SendMail {
                mail_id,
                tenant_id,
                to,
                mail,
            } => {
                let span = tracing::info_span!(
                    "send_mail",
                    mail_id = %mail_id,
                    tenant_id = %tenant_id,
                    template = mail.name(),
                    recipients = to.len(),
                );
                self.send(mail_id, &to, &mail).instrument(span).await
            }
            _ => self.foundation.handle(msg).await,
        }
    }
}

impl MailHandler {
    async fn send(&self, id: String, to: &[String], kind: &MailKind) -> Result<(), HandlerError> {
        // A mail that cannot be built never will be: permanent, so it goes to the dead-letter
        // queue. The reasons name fields, never addresses or content.
        let permanent = |e: &dyn std::fmt::Display| HandlerError::Permanent(e.to_string());
        let id = MailId::parse(id).map_err(|e| permanent(&e))?;
        let content = kind.render().map_err(|e| permanent(&e))?;
        let mail = OutgoingMail::new(id, &self.sender, to, content).map_err(|e| permanent(&e))?;
        let a = &self.adapters;
        match deliver(
            a.table.as_ref(),
            self.transport.as_ref(),
            a.clock.as_ref(),
            &mail,
        )
        .await
        {
            // `MaybeSent` is acked too: sending again could send twice (deliver logged the gap).
            Ok(Outcome::Sent | Outcome::AlreadySent | Outcome::MaybeSent) => Ok(()),
            Err(e) if e.is_retryable() => Err(HandlerError::Retryable(e.to_string())),
            Err(e) => Err(HandlerError::Permanent(e.to_string())),
        }
    }
}

#[cfg(test)]
mod tests;
