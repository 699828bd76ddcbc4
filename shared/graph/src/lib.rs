//! Microsoft Graph client of m365-bridge (reqwest + rustls): an app-only token by client
//! credentials, a per-mailbox budget that keeps the app inside Outlook's throttling limits,
//! `Retry-After`-honouring retries, `@odata.nextLink` paging, contact and calendarView delta,
//! `$batch`, change-notification subscriptions and `sendMail`.
//!
//! One [`GraphClient`] serves one tenant; build it once and clone it. Its base URL and token URL
//! come from [`GraphConfig`], so tests and the local runner point it at the Graph emulator.

mod batch;
mod calendar;
mod client;
mod config;
mod contacts;
mod directory;
mod error;
mod limiter;
mod mail;
mod model;
mod subscriptions;
mod time;
mod token;

pub use batch::MAX_BATCH_REQUESTS;
pub use client::GraphClient;
pub use config::{DEFAULT_SCOPE, GRAPH_BASE_URL, GraphConfig, MailboxLimits, RetryPolicy};
pub use error::GraphError;
pub use model::{
    BatchRequest, BatchResponse, Calendar, ContactFolder, DeltaPage, GraphItem, MailMessage,
    NewSubscription, Recipient, Removed, Subscription, TimeWindow, User,
};
pub use reqwest::Method;
pub use secrecy::SecretString;
