//! Subscriptions, change/lifecycle notification payloads, delivery (with fault injection) and the
//! validation handshake.

use std::sync::Arc;
use std::time::Duration;

use serde_json::{Value, json};

use crate::mailbox::{ChangeKind, Coll, Item};
use crate::shared::Shared;
use crate::state::GraphState;
use crate::time::{format_millis, now_millis};

/// What a subscription watches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum SubTarget {
    /// `/users/{id}/contacts` (all contacts of the mailbox)
    Contacts,
    /// `/users/{id}/contactFolders/{fid}/contacts`
    ContactFolder(String),
    /// `/users/{id}/events` (all calendars)
    Events,
}

/// A subscription.
#[derive(Debug, Clone)]
pub(crate) struct Subscription {
    pub id: String,
    pub app_id: String,
    pub tenant_id: String,
    pub user_id: String,
    pub resource: String,
    pub target: SubTarget,
    pub change_type: String,
    pub notification_url: String,
    pub lifecycle_url: Option<String>,
    pub client_state: Option<String>,
    pub expiration_ms: i64,
}

impl Subscription {
    pub(crate) fn to_json(&self) -> Value {
        json!({
            "id": self.id,
            "resource": self.resource,
            "applicationId": self.app_id,
            "changeType": self.change_type,
            "clientState": self.client_state,
            "notificationUrl": self.notification_url,
            "lifecycleNotificationUrl": self.lifecycle_url,
            "expirationDateTime": format_millis(self.expiration_ms),
            "latestSupportedTlsVersion": "v1_2",
        })
    }

    fn wants(&self, kind: ChangeKind) -> bool {
        self.change_type
            .split(',')
            .any(|c| c.trim().eq_ignore_ascii_case(kind.as_str()))
    }
}

/// Parses a subscription resource into (user reference, target).
pub(crate) fn parse_resource(resource: &str) -> Option<(String, SubTarget)> {
    let parts: Vec<&str> = resource.trim_start_matches('/').split('/').collect();
    let is = |i: usize, s: &str| parts.get(i).is_some_and(|p| p.eq_ignore_ascii_case(s));
    if !is(0, "users") {
        return None;
    }
    let user = (*parts.get(1)?).to_owned();
    match parts.len() {
        3 if is(2, "contacts") => Some((user, SubTarget::Contacts)),
        3 if is(2, "events") => Some((user, SubTarget::Events)),
        5 if is(2, "contactFolders") && is(4, "contacts") => {
            Some((user, SubTarget::ContactFolder((*parts.get(3)?).to_owned())))
        }
        _ => None,
    }
}

/// Kind of an outgoing HTTP call made by the emulator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeliveryKind {
    /// Subscription validation handshake (`?validationToken=`).
    Validation,
    /// Change notification.
    Change,
    /// Lifecycle notification.
    Lifecycle,
}

/// One recorded delivery attempt.
#[derive(Debug, Clone)]
pub struct DeliveryRecord {
    /// What was sent.
    pub kind: DeliveryKind,
    /// Subscription concerned (none for a handshake of a subscription not yet created).
    pub subscription_id: Option<String>,
    /// Target URL (with query).
    pub url: String,
    /// JSON payload (`Null` for handshakes).
    pub body: Value,
    /// HTTP status answered, if any.
    pub status: Option<u16>,
    /// Transport error or timeout, if any.
    pub error: Option<String>,
    /// `true` when dropped by the `drop_next_deliveries` hook (never sent).
    pub dropped: bool,
}

/// Fault injection for deliveries.
#[derive(Debug, Default)]
pub(crate) struct DeliveryControl {
    pub drop_next: u32,
    pub duplicate_next: u32,
    pub delay_next: Option<Duration>,
}

/// A message accepted by `sendMail`.
#[derive(Debug, Clone)]
pub struct SentMail {
    /// Sending user's id.
    pub user_id: String,
    /// The `message` object as posted.
    pub message: Value,
    /// `saveToSentItems` (default true).
    pub save_to_sent_items: bool,
}

/// A notification ready to send.
#[derive(Debug, Clone)]
pub(crate) struct Outgoing {
    pub kind: DeliveryKind,
    pub subscription_id: String,
    pub url: String,
    pub body: Value,
}

/// Change notifications caused by a contact or event change.
pub(crate) fn item_notifications(
    st: &GraphState,
    user_id: &str,
    item: &Item,
    kind: ChangeKind,
) -> Vec<Outgoing> {
    let now = now_millis();
    let resource = format!(
        "Users/{user_id}/{}/{}",
        item.coll.resource_segment(),
        item.id
    );
    st.subscriptions
        .iter()
        .filter(|s| s.user_id == user_id && s.expiration_ms > now && s.wants(kind))
        .filter(|s| match (&s.target, item.coll) {
            (SubTarget::Contacts, Coll::Contacts) | (SubTarget::Events, Coll::Events) => true,
            (SubTarget::ContactFolder(f), Coll::Contacts) => *f == item.folder_id,
            _ => false,
        })
        .map(|s| Outgoing {
            kind: DeliveryKind::Change,
            subscription_id: s.id.clone(),
            url: s.notification_url.clone(),
            body: json!({ "value": [{
                "subscriptionId": s.id,
                "subscriptionExpirationDateTime": format_millis(s.expiration_ms),
                "changeType": kind.as_str(),
                "clientState": s.client_state,
                "tenantId": s.tenant_id,
                "resource": resource,
                "resourceData": {
                    "@odata.type": item.coll.odata_type(),
                    "@odata.id": resource,
                    "@odata.etag": item.etag(),
                    "id": item.id,
                }
            }]}),
        })
        .collect()
}

/// A lifecycle notification for `sub`, if it has a lifecycle URL.
pub(crate) fn lifecycle_notification(sub: &Subscription, event: &str) -> Option<Outgoing> {
    Some(Outgoing {
        kind: DeliveryKind::Lifecycle,
        subscription_id: sub.id.clone(),
        url: sub.lifecycle_url.clone()?,
        body: json!({ "value": [{
            "subscriptionId": sub.id,
            "subscriptionExpirationDateTime": format_millis(sub.expiration_ms),
            "tenantId": sub.tenant_id,
            "clientState": sub.client_state,
            "lifecycleEvent": event,
        }]}),
    })
}

/// Sends notifications in spawned tasks, applying the drop/duplicate/delay hooks.
pub(crate) fn dispatch(shared: &Arc<Shared>, out: Vec<Outgoing>) {
    for o in out {
        let (copies, delay) = {
            let mut guard = shared.lock();
            let st = &mut *guard;
            if st.control.drop_next > 0 {
                st.control.drop_next -= 1;
                st.deliveries.push(DeliveryRecord {
                    kind: o.kind,
                    subscription_id: Some(o.subscription_id),
                    url: o.url,
                    body: o.body,
                    status: None,
                    error: None,
                    dropped: true,
                });
                continue;
            }
            let copies = if st.control.duplicate_next > 0 {
                st.control.duplicate_next -= 1;
                2
            } else {
                1
            };
            (copies, st.control.delay_next.take())
        };
        let me = Arc::clone(shared);
        shared.rt.spawn(async move {
            if let Some(d) = delay {
                tokio::time::sleep(d).await;
            }
            for _ in 0..copies {
                post(&me, &o).await;
            }
        });
    }
}

async fn post(shared: &Arc<Shared>, o: &Outgoing) {
    let res = shared
        .http
        .post(&o.url)
        .timeout(shared.config.delivery_timeout)
        .json(&o.body)
        .send()
        .await;
    let (status, error) = match res {
        Ok(r) => (Some(r.status().as_u16()), None),
        Err(e) => (None, Some(e.to_string())),
    };
    tracing::debug!(url = %o.url, ?status, ?error, "graph-emulator delivery");
    shared.lock().deliveries.push(DeliveryRecord {
        kind: o.kind,
        subscription_id: Some(o.subscription_id.clone()),
        url: o.url.clone(),
        body: o.body.clone(),
        status,
        error,
        dropped: false,
    });
}

fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len() * 3);
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Runs the validation handshake against `url`: POST `?validationToken=…` (text/plain), expect
/// 200 + `text/plain` + the decoded token echoed, within the validation timeout.
pub(crate) async fn validate_url(shared: &Arc<Shared>, url: &str) -> Result<(), String> {
    let token = format!(
        "Validation: Testing client application reachability for subscription Request-Id: {}",
        uuid::Uuid::new_v4()
    );
    let sep = if url.contains('?') { '&' } else { '?' };
    let full = format!("{url}{sep}validationToken={}", percent_encode(&token));
    let res = shared
        .http
        .post(&full)
        .header("content-type", "text/plain; charset=utf-8")
        .timeout(shared.config.validation_timeout)
        .send()
        .await;
    let (status, outcome) = match res {
        Err(e) => (None, Err(format!("{url}: {e}"))),
        Ok(r) => {
            let status = r.status().as_u16();
            let ctype = r
                .headers()
                .get("content-type")
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_ascii_lowercase();
            let body = r.text().await.unwrap_or_default();
            let outcome = if status != 200 {
                Err(format!("{url} answered {status}"))
            } else if !ctype.starts_with("text/plain") {
                Err(format!("{url} answered content-type {ctype:?}"))
            } else if body != token {
                Err(format!("{url} did not echo the validation token"))
            } else {
                Ok(())
            };
            (Some(status), outcome)
        }
    };
    shared.lock().deliveries.push(DeliveryRecord {
        kind: DeliveryKind::Validation,
        subscription_id: None,
        url: full,
        body: Value::Null,
        status,
        error: outcome.as_ref().err().cloned(),
        dropped: false,
    });
    outcome
}
