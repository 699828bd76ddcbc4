//! Checks each notification against its subscription record.

use std::collections::HashMap;

use bridge_graph_subs::{SubsError, SubscriptionRecord, client_state_matches, get_record};
use bridge_store::Table;

use crate::payload::Notification;

/// How many items of a request were dropped, and why. Logged as counts only.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Dropped {
    /// No record for the subscription id (or no id at all).
    pub unknown: usize,
    /// The clientState did not match the record's secret (or was absent).
    pub mismatched: usize,
    /// Authentic, but of a lifecycle event we do not know.
    pub unhandled: usize,
}

/// The items whose subscription is ours and whose clientState matches, with their records.
pub(crate) async fn authentic<'a>(
    table: &dyn Table,
    items: &'a [Notification],
    dropped: &mut Dropped,
) -> Result<Vec<(SubscriptionRecord, &'a Notification)>, SubsError> {
    let mut records: HashMap<&str, Option<SubscriptionRecord>> = HashMap::new();
    let mut valid = Vec::new();
    for item in items {
        let Some(id) = item.subscription_id.as_deref() else {
            dropped.unknown += 1;
            continue;
        };
        if !records.contains_key(id) {
            records.insert(id, get_record(table, id).await?);
        }
        let Some(Some(rec)) = records.get(id) else {
            dropped.unknown += 1;
            continue;
        };
        let presented = item.client_state.as_deref().unwrap_or_default();
        if item.client_state.is_some() && client_state_matches(rec, presented) {
            valid.push((rec.clone(), item));
        } else {
            dropped.mismatched += 1;
        }
    }
    Ok(valid)
}
