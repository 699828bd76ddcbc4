//! `sendMail` (`Mail.Send`) for partner-relation and invitation e-mails. Graph answers 202 when
//! the message is queued, not delivered, and has no idempotency key: a 429/503 is retried (the
//! message was not accepted), a timeout is not (it may have been).

use reqwest::Method;
use serde_json::json;

use crate::client::{GraphClient, Req, seg};
use crate::error::GraphError;
use crate::limiter::Bucket;
use crate::model::MailMessage;

impl GraphClient {
    /// Sends `message` from `sender_mailbox`.
    pub async fn send_mail(
        &self,
        sender_mailbox: &str,
        message: &MailMessage,
        save_to_sent_items: bool,
    ) -> Result<(), GraphError> {
        let url = self.url(&format!("/users/{}/sendMail", seg(sender_mailbox)));
        let body = json!({ "message": message.to_json(), "saveToSentItems": save_to_sent_items });
        self.execute(Req::new(Method::POST, url, Bucket::Mailbox(sender_mailbox)).json(&body)?)
            .await
            .map(|_| ())
    }
}
