//! Calendars and events of one mailbox (`Calendars.ReadWrite`), including calendarView delta.
//! Graph v1.0 documents calendarView delta for the primary calendar only (reference
//! graph-sync.md §3); the calendar parameter exists for the emulator and the beta path.

use reqwest::Method;
use serde_json::Value;

use crate::client::{GraphClient, Req, query_value, seg};
use crate::error::GraphError;
use crate::limiter::Bucket;
use crate::model::{Calendar, DeltaPage, GraphItem, TimeWindow};

impl GraphClient {
    fn event_path(mailbox: &str, id: &str) -> String {
        format!("/users/{}/events/{}", seg(mailbox), seg(id))
    }

    /// The mailbox's calendars (all pages).
    pub async fn list_calendars(&self, mailbox: &str) -> Result<Vec<Calendar>, GraphError> {
        let url = self.url(&format!(
            "/users/{}/calendars?$top={}",
            seg(mailbox),
            self.page_size()
        ));
        self.get_all(url, Bucket::Mailbox(mailbox))
            .await?
            .into_iter()
            .map(|v| serde_json::from_value(v).map_err(|e| GraphError::Decode(e.to_string())))
            .collect()
    }

    /// Creates an event in `calendar` (`None` = the primary calendar). Put a `transactionId` in
    /// `event` so Graph can drop a create that is repeated after an unknown outcome.
    pub async fn create_event(
        &self,
        mailbox: &str,
        calendar: Option<&str>,
        event: &Value,
    ) -> Result<GraphItem, GraphError> {
        let path = match calendar {
            Some(c) => format!("/users/{}/calendars/{}/events", seg(mailbox), seg(c)),
            None => format!("/users/{}/events", seg(mailbox)),
        };
        self.execute(Req::new(Method::POST, self.url(&path), Bucket::Mailbox(mailbox)).json(event)?)
            .await?
            .item()
    }

    /// One event.
    pub async fn get_event(&self, mailbox: &str, id: &str) -> Result<GraphItem, GraphError> {
        self.get_item(mailbox, &Self::event_path(mailbox, id)).await
    }

    /// Updates an event, optionally only if it is still at `if_match` (change key or etag).
    pub async fn update_event(
        &self,
        mailbox: &str,
        id: &str,
        patch: &Value,
        if_match: Option<&str>,
    ) -> Result<GraphItem, GraphError> {
        self.patch_item(mailbox, &Self::event_path(mailbox, id), patch, if_match)
            .await
    }

    /// Deletes an event, optionally only if it is still at `if_match`.
    pub async fn delete_event(
        &self,
        mailbox: &str,
        id: &str,
        if_match: Option<&str>,
    ) -> Result<(), GraphError> {
        self.delete_item(mailbox, &Self::event_path(mailbox, id), if_match)
            .await
    }

    /// One calendarView delta round. Without `delta_link` it starts over for `window` in
    /// `calendar` (`None` = the primary calendar); with one, the link (which encodes the window)
    /// is followed and `window` is ignored.
    pub async fn events_delta(
        &self,
        mailbox: &str,
        calendar: Option<&str>,
        window: &TimeWindow,
        delta_link: Option<&str>,
    ) -> Result<DeltaPage, GraphError> {
        let first = match delta_link {
            Some(link) => self.trusted(link)?,
            None => {
                let base = match calendar {
                    Some(c) => format!("/users/{}/calendars/{}", seg(mailbox), seg(c)),
                    None => format!("/users/{}", seg(mailbox)),
                };
                self.url(&format!(
                    "{base}/calendarView/delta?startDateTime={}&endDateTime={}",
                    query_value(&window.start),
                    query_value(&window.end)
                ))
            }
        };
        self.delta_round(first, Bucket::Mailbox(mailbox)).await
    }
}
