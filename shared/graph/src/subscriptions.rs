//! Change-notification subscriptions. `/subscriptions` touches no mailbox path, so these calls use
//! the app-wide budget; the create asks for immutable ids so notifications carry the same ids as
//! delta.

use std::time::SystemTime;

use reqwest::Method;
use secrecy::ExposeSecret;
use serde_json::json;

use crate::client::{GraphClient, Req, seg};
use crate::error::GraphError;
use crate::limiter::Bucket;
use crate::model::{NewSubscription, Subscription};
use crate::time::rfc3339;

impl GraphClient {
    /// Creates a subscription (Graph validates the notification URLs before answering 201).
    pub async fn create_subscription(
        &self,
        new: &NewSubscription,
    ) -> Result<Subscription, GraphError> {
        let mut body = json!({
            "changeType": new.change_type,
            "notificationUrl": new.notification_url,
            "resource": new.resource,
            "expirationDateTime": rfc3339(new.expiration),
            "clientState": new.client_state.expose_secret(),
            "latestSupportedTlsVersion": "v1_2",
        });
        if let Some(l) = &new.lifecycle_notification_url {
            body["lifecycleNotificationUrl"] = json!(l);
        }
        let url = self.url("/subscriptions");
        self.execute(
            Req::new(Method::POST, url, Bucket::App)
                .immutable_ids()
                .json(&body)?,
        )
        .await?
        .json()
    }

    /// Moves a subscription's expiry to `expiration` (also reauthorises it).
    pub async fn renew_subscription(
        &self,
        id: &str,
        expiration: SystemTime,
    ) -> Result<Subscription, GraphError> {
        let url = self.url(&format!("/subscriptions/{}", seg(id)));
        self.execute(
            Req::new(Method::PATCH, url, Bucket::App)
                .json(&json!({ "expirationDateTime": rfc3339(expiration) }))?,
        )
        .await?
        .json()
    }

    /// Deletes a subscription.
    pub async fn delete_subscription(&self, id: &str) -> Result<(), GraphError> {
        let url = self.url(&format!("/subscriptions/{}", seg(id)));
        self.execute(Req::new(Method::DELETE, url, Bucket::App))
            .await
            .map(|_| ())
    }
}
