//! The directory service wired to this deployment's adapters: its e-mails go to the mail queue
//! (rendered and sent by the mailer), its slow shares (PAR-5) to the sync queue, where
//! [`ShareJobHandler`] applies them.
//!
//! Built once here so every entry point (directory-api, bridge-admin, bridge-local, the share
//! consumer) runs the same service with the same links.

use std::sync::Arc;

use async_trait::async_trait;
use bridge_directory::{
    Directory, DirectoryConfig, MailKind as DirMail, MailRequest, Outbox, QueueFailed,
    ShareOutcome, ShareQueue,
};
use bridge_mail::{MailId, MailKind};
use bridge_queue::consumer::{HandlerError, MessageHandler};
use bridge_queue::{Delivery, OutgoingMessage, Queue};

use crate::messages::{Message, enqueue_mail};
use crate::{Adapters, ConfigError, QueueName, Storage};

/// Base URL of links in local mode when `BRIDGE_PUBLIC_URL` is not set (bridge-local sets it to
/// the address it listens on).
pub const LOCAL_PUBLIC_URL: &str = "http://127.0.0.1:8080";

/// The directory service over `adapters`. Links in e-mails start with `BRIDGE_PUBLIC_URL`, which
/// is required on AWS (a mail link must not depend on whoever sent the request).
pub fn service(adapters: &Adapters) -> Result<Directory, ConfigError> {
    let public_url = match (&adapters.config.public_url, &adapters.config.storage) {
        (Some(u), _) => u.clone(),
        (None, Storage::Embedded { .. }) => LOCAL_PUBLIC_URL.to_string(),
        (None, _) => {
            return Err(ConfigError::Missing {
                var: "BRIDGE_PUBLIC_URL",
                why: "links in invitation and relation e-mails start with it",
            });
        }
    };
    Ok(Directory::new(
        adapters.table.clone(),
        adapters.ids.clone(),
        Arc::new(MailQueueOutbox {
            queue: adapters.queue(QueueName::Mail)?,
        }),
        Arc::new(SyncQueueShares {
            queue: adapters.queue(QueueName::Sync)?,
        }),
        DirectoryConfig::new(public_url),
    ))
}

/// The directory's outbox on the mail queue.
#[derive(Debug)]
pub struct MailQueueOutbox {
    queue: Arc<dyn Queue>,
}

/// The mailer's template for a directory mail.
fn template(kind: DirMail) -> MailKind {
    match kind {
        DirMail::Invitation {
            inviter_name,
            tenant_name,
            accept_url,
            expires_at_ms,
        } => MailKind::Invitation {
            inviter_name,
            tenant_name,
            accept_url,
            expires_at: expires_at_ms,
        },
        DirMail::JoinRequest {
            requester_name,
            requester_address,
            tenant_name,
            review_url,
        } => MailKind::JoinRequest {
            requester_name,
            requester_email: requester_address.unwrap_or_else(|| "(no address)".into()),
            tenant_name,
            review_url,
        },
        DirMail::RelationRequest {
            from_tenant_name,
            from_person_name,
            accept_url,
            expires_at_ms,
        } => MailKind::RelationRequest {
            from_tenant_name,
            from_user_name: from_person_name,
            accept_url,
            expires_at: expires_at_ms,
        },
    }
}

#[async_trait]
impl Outbox for MailQueueOutbox {
    async fn queue(&self, mail: MailRequest) -> Result<(), QueueFailed> {
        let id = MailId::parse(mail.id.clone()).map_err(|e| QueueFailed(e.to_string()))?;
        enqueue_mail(
            self.queue.as_ref(),
            &id,
            &mail.tenant.to_string(),
            std::slice::from_ref(&mail.to),
            &template(mail.kind),
        )
        .await
        .map(|_| ())
        .map_err(|e| QueueFailed(e.to_string()))
    }
}

/// The directory's share queue: jobs travel as [`Message::ApplyShare`] on the sync queue.
#[derive(Debug)]
pub struct SyncQueueShares {
    queue: Arc<dyn Queue>,
}

#[async_trait]
impl ShareQueue for SyncQueueShares {
    async fn enqueue(&self, job: bridge_directory::ShareJob) -> Result<(), QueueFailed> {
        let mut msg = OutgoingMessage::new(Message::ApplyShare { job: job.clone() }.to_body());
        msg.dedupe_key = Some(format!("share-{}", job.id));
        self.queue
            .send(msg)
            .await
            .map(|_| ())
            .map_err(|e| QueueFailed(e.to_string()))
    }
}

/// Applies share jobs and hands every other message to `rest`.
pub struct ShareJobHandler {
    directory: Directory,
    adapters: Adapters,
    rest: Arc<dyn MessageHandler>,
}

impl std::fmt::Debug for ShareJobHandler {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ShareJobHandler").finish_non_exhaustive()
    }
}

impl ShareJobHandler {
    /// A handler over `adapters` that passes what is not a share job to `rest`.
    pub fn shared(
        adapters: &Adapters,
        rest: Arc<dyn MessageHandler>,
    ) -> Result<Arc<dyn MessageHandler>, ConfigError> {
        Ok(Arc::new(ShareJobHandler {
            directory: service(adapters)?,
            adapters: adapters.clone(),
            rest,
        }))
    }
}

#[async_trait]
impl MessageHandler for ShareJobHandler {
    async fn handle(&self, msg: &Delivery) -> Result<(), HandlerError> {
        let Ok(Message::ApplyShare { job }) = Message::parse(&msg.body) else {
            return self.rest.handle(msg).await;
        };
        let now = self.adapters.clock.now_ms();
        match self.directory.apply_share_job(&job, now).await {
            Ok(ShareOutcome::Applied) => {
                tracing::info!(tenant = %job.owner, job = %job.id, "share applied");
                Ok(())
            }
            Ok(ShareOutcome::RelationGone) => {
                tracing::info!(tenant = %job.owner, job = %job.id, "share dropped: relation gone");
                Ok(())
            }
            Err(e) if e.status() >= 500 => Err(HandlerError::Retryable(e.to_string())),
            Err(e) => Err(HandlerError::Permanent(e.to_string())),
        }
    }
}
