//! Our Microsoft Graph change-notification subscriptions, and the account links they hang off.
//!
//! - [`record`](SubscriptionRecord): one record per subscription, found by its id, which
//!   `graph-webhook` reads to route a notification and check its `clientState` (only the
//!   SHA-256 of the secret is stored), plus two indexes: by expiry (the renewal sweep) and by
//!   user (one subscription per mailbox resource);
//! - [`GraphProvider`]: the Graph client of our app registration and our notification URLs,
//!   or a clear "not configured" naming the variables;
//! - [`SubscriptionManager`]: create, renew, re-create (with a full resync) and delete;
//! - [`Links`]: the one-to-one link of an app user to a Microsoft 365 user (SYNC-2) and the
//!   contacts / calendar sync switches (SYNC-1) that create and delete subscriptions.
//!
//! The link and the subscriptions live in one crate because they change together: unlinking
//! deletes subscriptions, switching sync on creates one, and re-creating one checks the link.

mod graph;
mod index;
mod link;
mod manager;
mod record;
mod secret;
mod time;

pub use graph::{
    GraphProvider, GraphUnavailable, LIFECYCLE_PATH, NOTIFICATIONS_PATH, graph_config,
};
pub use index::{
    BY_EXPIRY_PK, DueEntry, delete_record, due_before, expiry_key, records_of_user,
    subscription_of, user_subscription_key,
};
pub use link::{LinkError, Links, MicrosoftLink, SyncSwitches, link_key, m365_user_key};
pub use manager::{
    CHANGE_TYPES, MAX_LIFETIME_MS, MAX_RENEW_FAILURES, RENEW_AHEAD_MS, Recreated, Renewed,
    SUBSCRIPTION_LIFETIME_MS, SubscriptionError, SubscriptionManager, SweepReport,
};
pub use record::{
    GraphResource, SUB_SK, SubsError, SubscriptionRecord, get_record, put_record, record_item,
    record_key,
};
pub use secret::{client_state_matches, client_state_sha256, new_client_state};
