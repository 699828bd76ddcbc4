//! Records of our Microsoft Graph change-notification subscriptions.
//!
//! The `subscriptions` function creates a subscription per linked mailbox and resource and stores
//! a [`SubscriptionRecord`] for it; `graph-webhook` looks the record up to route a notification
//! and to check its `clientState`. Only the SHA-256 of the clientState secret is stored.

mod record;
mod secret;

pub use record::{
    GraphResource, SUB_SK, SubsError, SubscriptionRecord, get_record, put_record, record_key,
};
pub use secret::{client_state_matches, client_state_sha256};
