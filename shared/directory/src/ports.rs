//! The ports the directory needs besides the table: an outbox for e-mails and a queue for slow
//! shares. Both are narrow on purpose (one method), so the mail and queue adapters stay free to
//! do rendering, retries and deduplication their own way.

use async_trait::async_trait;
use bridge_core::clock::EpochMillis;
use bridge_core::tenant::TenantId;
use serde::{Deserialize, Serialize};

use crate::model::ShareJob;

/// Why a port refused or failed to take a message. Nothing is known to have been queued.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("could not queue: {0}")]
pub struct QueueFailed(pub String);

/// One e-mail to send. The mailer renders it (with HTML escaping) from `kind`; the directory
/// only says what and to whom.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MailRequest {
    /// Idempotency key: the same request queued twice is sent once (e.g. `inv-<invitation id>`).
    pub id: String,
    /// The recipient's address.
    pub to: String,
    /// The recipient's name, if known.
    pub to_name: Option<String>,
    /// The tenant the mail is about (for logs and per-tenant limits).
    pub tenant: TenantId,
    /// What to say.
    pub kind: MailKind,
}

/// The kinds of mail the directory sends.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum MailKind {
    /// An invitation to join (USR-2, USR-5). The link opens a page; only its POST accepts.
    Invitation {
        /// Who invites.
        inviter_name: String,
        /// The inviting environment.
        tenant_name: String,
        /// `{public_url}/app/invitations/{token}`.
        accept_url: String,
        /// Until when, epoch ms.
        expires_at_ms: EpochMillis,
    },
    /// A person asks to join (USR-4); sent to every user with "manage users".
    JoinRequest {
        /// Who asks.
        requester_name: String,
        /// Their address or sign-in name, so the manager knows who it is.
        requester_address: Option<String>,
        /// The environment.
        tenant_name: String,
        /// The users page, where a manager approves (`{public_url}/app/users?join_request=<id>`).
        review_url: String,
    },
    /// A relation request (PAR-4) to the chosen relation manager of the other environment.
    RelationRequest {
        /// The requesting environment.
        from_tenant_name: String,
        /// The requesting relation manager.
        from_person_name: String,
        /// `{public_url}/app/relation-requests/{token}`.
        accept_url: String,
        /// Until when, epoch ms.
        expires_at_ms: EpochMillis,
    },
}

/// Queues e-mails for the mailer.
#[async_trait]
pub trait Outbox: Send + Sync + std::fmt::Debug {
    /// Queues one mail. `Ok` means it will be sent (at least once; the mailer deduplicates by
    /// [`MailRequest::id`]).
    async fn queue(&self, mail: MailRequest) -> Result<(), QueueFailed>;
}

/// Queues share jobs (PAR-5: sharing with a relation manager may take minutes); the consumer
/// calls [`crate::Directory::apply_share_job`] for each.
#[async_trait]
pub trait ShareQueue: Send + Sync + std::fmt::Debug {
    /// Queues one job (delivered at least once).
    async fn enqueue(&self, job: ShareJob) -> Result<(), QueueFailed>;
}
