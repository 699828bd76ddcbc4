//! Queue message envelopes. Every message is JSON with a `kind`; a consumer that meets a kind it
//! does not know fails the message (it goes to the dead-letter queue after its retries) instead
//! of dropping it silently.

use std::sync::Arc;

use async_trait::async_trait;
use bridge_core::Clock;
use bridge_mail::{InvalidMail, MailAddress, MailId, MailKind, RenderError};
use bridge_queue::consumer::{HandlerError, MessageHandler};
use bridge_queue::{Delivery, OutgoingMessage, Queue, QueueError};
use bridge_store::{Condition, Item, Key, StoreError, Table};
use serde::{Deserialize, Serialize};

/// Messages the foundation knows. Later capabilities add their kinds here.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Message {
    /// An end-to-end probe: the consumer records that it saw it.
    Ping {
        /// Caller-chosen id, 1..=64 plain characters.
        id: String,
    },
    /// Pull the changes of one mailbox resource from Graph (graph-webhook, subscriptions →
    /// sync-batch). Sent with the dedupe key `<mailbox>/<resource>`.
    SyncMailbox {
        /// Our tenant.
        tenant_id: String,
        /// Our user whose mailbox it is.
        user_id: String,
        /// The Graph user id of the mailbox.
        mailbox: String,
        /// Which resource changed.
        resource: SyncResource,
        /// Why the sync is asked for.
        reason: SyncReason,
    },
    /// Renew (reauthorize) a Graph subscription (graph-webhook → subscriptions).
    RenewSubscription {
        /// Graph's subscription id.
        subscription_id: String,
    },
    /// Re-create a Graph subscription that Graph removed (graph-webhook → subscriptions).
    RecreateSubscription {
        /// Graph's id of the removed subscription.
        subscription_id: String,
        /// Whether a full resync must follow (changes may have been missed meanwhile).
        full_resync: bool,
    },
    /// Render and send one e-mail (directory-api and others → mailer). Queue it with
    /// [`enqueue_mail`], which checks it first.
    SendMail {
        /// The mail's idempotency key (see [`bridge_mail::MailId`]): the mailer sends each id
        /// at most once, however often it is queued or delivered.
        mail_id: String,
        /// The tenant on whose behalf it is sent (for logs).
        tenant_id: String,
        /// Recipient addresses.
        to: Vec<String>,
        /// What to say: the template and its values.
        mail: MailKind,
    },
    /// Share a document with a partner's relation manager (directory-api → sync-batch; PAR-5:
    /// this way may take minutes). Sent with the dedupe key `share-<job id>`.
    ApplyShare {
        /// The job, applied by [`bridge_directory::Directory::apply_share_job`].
        job: bridge_directory::ShareJob,
    },
}

/// The mailbox resource a [`Message::SyncMailbox`] is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SyncResource {
    /// Contacts.
    Contacts,
    /// Calendar events.
    Events,
}

impl SyncResource {
    /// Short name: `contacts` or `events`.
    pub fn as_str(self) -> &'static str {
        match self {
            SyncResource::Contacts => "contacts",
            SyncResource::Events => "events",
        }
    }
}

/// Why a [`Message::SyncMailbox`] was sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SyncReason {
    /// A change notification arrived.
    Notification,
    /// Graph reported missed notifications (lifecycle event `missed`).
    Missed,
    /// Reconcile the whole resource: sync was just enabled (the initial sync), or the
    /// subscription was re-created and notifications may have been lost meanwhile.
    FullResync,
}

impl Message {
    /// Parses a message body; unknown kinds and malformed JSON are permanent failures.
    pub fn parse(body: &str) -> Result<Self, HandlerError> {
        serde_json::from_str(body)
            .map_err(|e| HandlerError::Permanent(format!("unreadable message: {e}")))
    }

    /// The JSON body of this message.
    pub fn to_body(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }
}

/// Partition of system (not tenant) records about pings.
pub const PING_PK: &str = "SYS#ping";

/// The key under which `part` records ping `id`.
pub fn ping_key(part: &str, id: &str) -> Key {
    Key::new(PING_PK, format!("{part}#{id}"))
}

/// Handles the messages of the foundation for one consumer `part`: records pings, once.
#[derive(Debug, Clone)]
pub struct FoundationHandler {
    part: &'static str,
    table: Arc<dyn Table>,
    clock: Arc<dyn Clock>,
}

impl FoundationHandler {
    /// A handler for consumer `part`.
    pub fn new(part: &'static str, table: Arc<dyn Table>, clock: Arc<dyn Clock>) -> Self {
        Self { part, table, clock }
    }

    /// The handler for consumer `part` on `adapters`, ready to hand to a poller or Lambda.
    pub fn shared(part: &'static str, adapters: &crate::Adapters) -> Arc<dyn MessageHandler> {
        Arc::new(Self::new(
            part,
            adapters.table.clone(),
            adapters.clock.clone(),
        ))
    }
}

#[async_trait]
impl MessageHandler for FoundationHandler {
    async fn handle(&self, msg: &Delivery) -> Result<(), HandlerError> {
        match Message::parse(&msg.body)? {
            Message::Ping { id } => {
                let plain = |c: char| c.is_ascii_alphanumeric() || c == '-' || c == '_';
                if id.is_empty() || id.len() > 64 || !id.chars().all(plain) {
                    return Err(HandlerError::Permanent(
                        "ping id must be 1..=64 plain characters".into(),
                    ));
                }
                let item = Item::new(ping_key(self.part, &id))
                    .with("message_id", msg.id.clone())
                    .with("seen_at", self.clock.now_ms());
                // Idempotent: a redelivered ping finds its record and is done.
                match self.table.put(item, Some(Condition::NotExists)).await {
                    Ok(()) => tracing::info!(part = self.part, ping = %id, "ping recorded"),
                    Err(StoreError::ConditionFailed) => {
                        tracing::info!(part = self.part, ping = %id, "ping already recorded")
                    }
                    Err(e) => return Err(HandlerError::Retryable(e.to_string())),
                }
                Ok(())
            }
            // Kinds whose consumers arrive with later capabilities: never acked silently.
            Message::SyncMailbox { .. }
            | Message::RenewSubscription { .. }
            | Message::RecreateSubscription { .. }
            | Message::SendMail { .. }
            | Message::ApplyShare { .. } => Err(HandlerError::Permanent("not handled yet".into())),
        }
    }
}

/// Why [`enqueue_mail`] queued nothing.
#[derive(Debug, thiserror::Error)]
pub enum EnqueueMailError {
    /// The id, a recipient or the number of recipients is unusable.
    #[error(transparent)]
    Invalid(#[from] InvalidMail),
    /// The mail does not render (an unsafe link, an empty or overlong value).
    #[error(transparent)]
    Render(#[from] RenderError),
    /// The queue refused the message.
    #[error(transparent)]
    Queue(#[from] QueueError),
}

/// Queues an e-mail for the mailer; returns the queue's message id.
///
/// The mail is checked first (id, recipients, rendering with its link rules), so the producer
/// learns of a bad address or an unsafe link at once, instead of the message failing later on
/// the dead-letter queue. Queuing the same `mail_id` again is safe: it is sent at most once.
pub async fn enqueue_mail(
    queue: &dyn Queue,
    mail_id: &MailId,
    tenant_id: &str,
    to: &[String],
    mail: &MailKind,
) -> Result<String, EnqueueMailError> {
    if to.is_empty() || to.len() > bridge_mail::transport::MAX_RECIPIENTS {
        return Err(InvalidMail::Recipients.into());
    }
    for (i, address) in to.iter().enumerate() {
        MailAddress::parse(address, &format!("to[{i}]"))?;
    }
    mail.render()?;
    let body = Message::SendMail {
        mail_id: mail_id.to_string(),
        tenant_id: tenant_id.to_owned(),
        to: to.to_vec(),
        mail: mail.clone(),
    }
    .to_body();
    let mut msg = OutgoingMessage::new(body);
    msg.dedupe_key = Some(mail_id.to_string());
    Ok(queue.send(msg).await?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use bridge_core::ManualClock;
    use bridge_store::memory::MemoryTable;

    fn delivery(body: &str) -> Delivery {
        Delivery {
            id: "m1".into(),
            receipt: "r1".into(),
            body: body.into(),
            dedupe_key: None,
            receive_count: 1,
        }
    }

    #[tokio::test]
    async fn ping_is_recorded_once_even_when_redelivered() {
        let table = Arc::new(MemoryTable::new());
        let h = FoundationHandler::new("mailer", table.clone(), Arc::new(ManualClock::new(5)));
        let body = Message::Ping { id: "p1".into() }.to_body();
        h.handle(&delivery(&body)).await.unwrap();
        h.handle(&delivery(&body)).await.unwrap();
        let item = table.get(&ping_key("mailer", "p1")).await.unwrap().unwrap();
        assert_eq!(item.get_i64("seen_at"), Some(5));
    }

    #[tokio::test]
    async fn unknown_kinds_and_bad_ids_fail_permanently_and_write_nothing() {
        let table = Arc::new(MemoryTable::new());
        let h = FoundationHandler::new("sync-batch", table.clone(), Arc::new(ManualClock::new(0)));
        for body in [
            r#"{"kind":"explode"}"#,
            "not json",
            r#"{"kind":"ping","id":"../x"}"#,
        ] {
            let r = h.handle(&delivery(body)).await;
            assert!(matches!(r, Err(HandlerError::Permanent(_))), "{body}");
        }
        let page = table
            .query(&bridge_store::Query::partition(PING_PK))
            .await
            .unwrap();
        assert!(page.items.is_empty());
    }

    #[tokio::test]
    async fn kinds_of_later_capabilities_fail_permanently_until_handled() {
        let h = FoundationHandler::new(
            "sync-batch",
            Arc::new(MemoryTable::new()),
            Arc::new(ManualClock::new(0)),
        );
        let sync = Message::SyncMailbox {
            tenant_id: "t".into(),
            user_id: "u".into(),
            mailbox: "m".into(),
            resource: SyncResource::Contacts,
            reason: SyncReason::Notification,
        };
        let renew = Message::RenewSubscription {
            subscription_id: "s".into(),
        };
        let recreate = Message::RecreateSubscription {
            subscription_id: "s".into(),
            full_resync: true,
        };
        let mail = Message::SendMail {
            mail_id: "m".into(),
            tenant_id: "t".into(),
            to: vec!["a@example.nl".into()],
            mail: MailKind::Test {
                tenant_name: "T".into(),
            },
        };
        for m in [sync, renew, recreate, mail] {
            let r = h.handle(&delivery(&m.to_body())).await;
            assert!(matches!(r, Err(HandlerError::Permanent(_))), "{m:?}");
        }
    }

    #[test]
    fn sync_mailbox_has_the_documented_wire_form() {
        let m = Message::SyncMailbox {
            tenant_id: "t".into(),
            user_id: "u".into(),
            mailbox: "m".into(),
            resource: SyncResource::Events,
            reason: SyncReason::Missed,
        };
        let v: serde_json::Value = serde_json::from_str(&m.to_body()).unwrap();
        assert_eq!(
            v,
            serde_json::json!({"kind":"sync_mailbox","tenant_id":"t","user_id":"u",
                "mailbox":"m","resource":"events","reason":"missed"})
        );
        let r = Message::RecreateSubscription {
            subscription_id: "s".into(),
            full_resync: true,
        };
        assert_eq!(
            r.to_body(),
            r#"{"kind":"recreate_subscription","subscription_id":"s","full_resync":true}"#
        );
    }

    #[test]
    fn send_mail_has_the_documented_wire_form() {
        let m = Message::SendMail {
            mail_id: "inv-1".into(),
            tenant_id: "t".into(),
            to: vec!["a@example.nl".into()],
            mail: MailKind::Test {
                tenant_name: "T".into(),
            },
        };
        let v: serde_json::Value = serde_json::from_str(&m.to_body()).unwrap();
        assert_eq!(
            v,
            serde_json::json!({"kind":"send_mail","mail_id":"inv-1","tenant_id":"t",
                "to":["a@example.nl"],"mail":{"template":"test","tenant_name":"T"}})
        );
        assert_eq!(Message::parse(&m.to_body()).unwrap(), m);
    }

    #[tokio::test]
    async fn enqueue_mail_queues_a_checked_send_mail_message() {
        let queues =
            bridge_queue::local::LocalQueues::in_memory(Arc::new(ManualClock::new(0))).unwrap();
        let q = queues.queue("mail", bridge_queue::QueueSettings::default());
        let id = MailId::parse("inv-1").unwrap();
        let kind = MailKind::Invitation {
            inviter_name: "Anna".into(),
            tenant_name: "Zorg".into(),
            accept_url: "https://bridge.example/invite/x".into(),
            expires_at: 0,
        };
        let to = vec!["bram@example.nl".to_string()];
        enqueue_mail(q.as_ref(), &id, "t1", &to, &kind)
            .await
            .unwrap();
        let got = q.receive(10, std::time::Duration::ZERO).await.unwrap();
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].dedupe_key.as_deref(), Some("inv-1"));
        assert_eq!(
            Message::parse(&got[0].body).unwrap(),
            Message::SendMail {
                mail_id: "inv-1".into(),
                tenant_id: "t1".into(),
                to: to.clone(),
                mail: kind.clone(),
            }
        );
    }

    #[tokio::test]
    async fn enqueue_mail_refuses_unsafe_links_and_bad_addresses_and_queues_nothing() {
        let queues =
            bridge_queue::local::LocalQueues::in_memory(Arc::new(ManualClock::new(0))).unwrap();
        let q = queues.queue("mail", bridge_queue::QueueSettings::default());
        let id = MailId::parse("inv-1").unwrap();
        let kind = |url: &str| MailKind::Invitation {
            inviter_name: "Anna".into(),
            tenant_name: "Zorg".into(),
            accept_url: url.into(),
            expires_at: 0,
        };
        let to = vec!["bram@example.nl".to_string()];
        let e = enqueue_mail(q.as_ref(), &id, "t", &to, &kind("javascript:alert(1)"))
            .await
            .unwrap_err();
        assert!(matches!(e, EnqueueMailError::Render(_)), "{e:?}");
        let ok = kind("https://bridge.example/x");
        let e = enqueue_mail(q.as_ref(), &id, "t", &["not-an-address".into()], &ok)
            .await
            .unwrap_err();
        assert!(matches!(e, EnqueueMailError::Invalid(_)), "{e:?}");
        let e = enqueue_mail(q.as_ref(), &id, "t", &[], &ok)
            .await
            .unwrap_err();
        assert!(matches!(
            e,
            EnqueueMailError::Invalid(InvalidMail::Recipients)
        ));
        assert_eq!(
            q.stats().await.unwrap(),
            bridge_queue::QueueStats::default()
        );
    }
}
