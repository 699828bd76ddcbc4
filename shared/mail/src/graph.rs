//! Sending through Microsoft Graph `sendMail` from the configured sender mailbox.
//!
//! `sendMail` has no idempotency key, so what matters here is telling "Graph did not take it"
//! (safe to send again) from "it may have gone" (never send again): [`deliver`](crate::deliver)
//! builds the at-most-once rule on that difference.

use async_trait::async_trait;
use bridge_graph::{GraphClient, GraphError, MailMessage, Recipient};

use crate::transport::{MailTransport, OutgoingMail, SendError};

/// A [`MailTransport`] over a Graph client.
#[derive(Debug, Clone)]
pub struct GraphTransport {
    client: GraphClient,
}

impl GraphTransport {
    /// Sends through `client` (app permission `Mail.Send` on the sender's mailbox).
    pub fn new(client: GraphClient) -> Self {
        Self { client }
    }
}

/// How a Graph failure of `sendMail` reads for the at-most-once rule. Graph's own message is not
/// carried over: it can echo recipient addresses.
pub fn classify(e: &GraphError) -> SendError {
    match e {
        // The request went out and no answer came: it may have been delivered.
        GraphError::Unconfirmed(_) => SendError::Unknown("no answer from Graph".into()),
        GraphError::Server { status: 504, .. } => {
            SendError::Unknown("Graph gateway timeout".into())
        }
        // An answer saying no, or a request that never left: not sent.
        GraphError::Throttled { .. } => SendError::NotSent("throttled by Graph".into()),
        GraphError::Auth(_) => SendError::NotSent("Graph refused our credentials".into()),
        GraphError::Transport(_) => SendError::NotSent("could not reach Graph".into()),
        GraphError::Server { status, .. } => SendError::NotSent(format!("Graph answered {status}")),
        GraphError::BadRequest { code, .. } => {
            SendError::NotSent(format!("Graph refused the message ({code})"))
        }
        other => SendError::NotSent(format!("Graph refused the message: {}", kind(other))),
    }
}

fn kind(e: &GraphError) -> &'static str {
    match e {
        GraphError::NotFound => "sender mailbox not found",
        GraphError::PreconditionFailed => "precondition failed",
        GraphError::Conflict => "conflict",
        GraphError::InvalidRequest(_) => "invalid request",
        GraphError::Decode(_) => "unreadable answer",
        _ => "error",
    }
}

#[async_trait]
impl MailTransport for GraphTransport {
    async fn send(&self, mail: &OutgoingMail) -> Result<(), SendError> {
        let message = MailMessage {
            subject: mail.subject.clone(),
            html_body: mail.html.clone(),
            to: mail
                .to
                .iter()
                .map(|a| Recipient {
                    address: a.as_str().to_string(),
                    name: None,
                })
                .collect(),
        };
        self.client
            .send_mail(mail.from.as_str(), &message, false)
            .await
            .map_err(|e| classify(&e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_an_unanswered_request_counts_as_maybe_sent() {
        assert!(matches!(
            classify(&GraphError::Unconfirmed("timeout".into())),
            SendError::Unknown(_)
        ));
        assert!(matches!(
            classify(&GraphError::Server {
                status: 504,
                code: String::new()
            }),
            SendError::Unknown(_)
        ));
        for e in [
            GraphError::Transport("refused".into()),
            GraphError::Throttled {
                retry_after: std::time::Duration::from_secs(1),
            },
            GraphError::Server {
                status: 500,
                code: "x".into(),
            },
            GraphError::NotFound,
            GraphError::BadRequest {
                code: "ErrorInvalidRecipients".into(),
                message: "bad a@b.example".into(),
            },
        ] {
            match classify(&e) {
                SendError::NotSent(m) => assert!(!m.contains('@'), "{m}"),
                SendError::Unknown(m) => panic!("{e:?} read as maybe sent: {m}"),
            }
        }
    }
}
