//! E-mails of m365-bridge: invitations, join requests and partner relation requests.
//!
//! - [`templates`]: the kinds of e-mail as a typed enum, rendered to subject + HTML + text from
//!   template files (every value escaped in HTML; links must be https).
//! - [`transport`]: the port a sender implements, with an error that says whether the mail was
//!   definitely not sent or may have been.
//! - [`outbox`]: the local adapter, writing `.eml` files for `bridge-local`.
//! - [`send`]: the one place of the at-most-once rule. Graph's `sendMail` takes no idempotency
//!   key, so a message id is recorded before sending and a redelivered message is never sent
//!   twice; the rare case where we cannot know whether it went out is logged and counted.
//!
//! The Graph adapter of [`transport::MailTransport`] is still to come (`graph.rs` beside the
//! others, over `bridge_graph::GraphClient::send_mail`): it maps an [`transport::OutgoingMail`]
//! onto `sendMail` from the `from` mailbox, and each failure onto [`transport::SendError`] by
//! whether the request can have reached Graph.

pub mod graph;
pub mod outbox;
pub mod send;
pub mod templates;
pub mod transport;

pub use graph::GraphTransport;
pub use outbox::EmlOutbox;
pub use send::{DeliverError, Outcome, deliver};
pub use templates::{MailKind, RenderError, RenderedMail};
pub use transport::{InvalidMail, MailAddress, MailId, MailTransport, OutgoingMail, SendError};
