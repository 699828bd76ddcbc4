//! What to enqueue for the authentic items of one request: pure, so it is tested without I/O.

use std::collections::HashSet;

use bridge_graph_subs::{GraphResource, SubscriptionRecord};
use bridge_platform::QueueName;
use bridge_platform::messages::{Message, SyncReason, SyncResource};
use bridge_queue::OutgoingMessage;

use crate::check::Dropped;
use crate::payload::Notification;

/// Which URL a request came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Endpoint {
    /// `/graph/notifications`: change notifications.
    Changes,
    /// `/graph/lifecycle`: lifecycle notifications.
    Lifecycle,
}

/// The messages for `valid` items, each with its queue: one sync per distinct (mailbox,
/// resource), one subscription message per distinct (kind, subscription). Unknown lifecycle
/// events are counted in `dropped`.
pub(crate) fn plan(
    endpoint: Endpoint,
    valid: &[(SubscriptionRecord, &Notification)],
    dropped: &mut Dropped,
) -> Vec<(QueueName, OutgoingMessage)> {
    let mut out = Vec::new();
    let mut seen = HashSet::new();
    for (rec, item) in valid {
        let planned = match endpoint {
            Endpoint::Changes => Some(sync(rec, SyncReason::Notification)),
            Endpoint::Lifecycle => match item.lifecycle_event.as_deref() {
                Some("reauthorizationRequired") => Some(subscription(Message::RenewSubscription {
                    subscription_id: rec.subscription_id.clone(),
                })),
                Some("subscriptionRemoved") => Some(subscription(Message::RecreateSubscription {
                    subscription_id: rec.subscription_id.clone(),
                    full_resync: true,
                })),
                Some("missed") => Some(sync(rec, SyncReason::Missed)),
                _ => None,
            },
        };
        match planned {
            Some((queue, msg)) => {
                if seen.insert((queue, msg.body.clone())) {
                    out.push((queue, msg));
                }
            }
            None => dropped.unhandled += 1,
        }
    }
    out
}

fn sync(rec: &SubscriptionRecord, reason: SyncReason) -> (QueueName, OutgoingMessage) {
    let resource = match rec.resource {
        GraphResource::Contacts => SyncResource::Contacts,
        GraphResource::Events => SyncResource::Events,
    };
    let body = Message::SyncMailbox {
        tenant_id: rec.tenant_id.to_string(),
        user_id: rec.user_id.to_string(),
        mailbox: rec.mailbox.clone(),
        resource,
        reason,
    }
    .to_body();
    let msg = OutgoingMessage {
        dedupe_key: Some(format!("{}/{}", rec.mailbox, resource.as_str())),
        ..OutgoingMessage::new(body)
    };
    (QueueName::Sync, msg)
}

fn subscription(m: Message) -> (QueueName, OutgoingMessage) {
    (QueueName::Subscriptions, OutgoingMessage::new(m.to_body()))
}
