//! The at-most-once rule, in one place.
//!
//! Graph's `sendMail` takes no idempotency key, and the queue delivers at least once. So before
//! a mail is handed to the transport, its id is claimed with a conditional write of a record
//! `state = sending`; the outcome is written after. A redelivered message finds the record and
//! does not send again. The price: when an attempt ends without knowing whether the mail went
//! out (a timeout after the request was written, or a crash between claim and outcome), the
//! mail is never retried, so it may be lost. That gap is rare, and each one is logged once as a
//! warning with event `mail.at_most_once_gap` (id only) and recorded as `state = maybe_sent`, so
//! it can be counted and followed up.
//!
//! Record states and what a delivery does on meeting them:
//!
//! | state | meaning | a delivery |
//! |---|---|---|
//! | (none) | never tried | claims it (`sending`) and sends |
//! | `sending`, younger than [`SEND_WINDOW_MS`] | another attempt may be running | sends nothing, retries later ([`DeliverError::InProgress`]) |
//! | `sending`, older | an attempt crashed before recording its outcome | marks `maybe_sent`, reports the gap, sends nothing |
//! | `failed_not_sent` | the last attempt was refused: definitely not sent | takes it over (conditional update) and sends |
//! | `sent` | done | nothing ([`Outcome::AlreadySent`]) |
//! | `maybe_sent` | gap already reported | nothing ([`Outcome::MaybeSent`]) |
//!
//! Each claim or takeover bumps `attempts`; an attempt records its outcome only while
//! `attempts` is still its own, so a stale attempt never overwrites a newer one.

use bridge_core::Clock;
use bridge_store::{Condition, Item, Key, StoreError, Table, Update};
use serde_json::Value;

use crate::transport::{MailId, MailTransport, OutgoingMail, SendError};

/// Sort key of a mail record.
pub const MAIL_SK: &str = "MAIL";

/// How long a mail record is kept (DynamoDB TTL housekeeping): redeliveries and retried
/// requests come within days; SQS keeps a message at most 14 days.
pub const RECORD_TTL_SECS: i64 = 30 * 24 * 60 * 60;

/// How long one send attempt can last: the mailer's Lambda timeout (60 s in the template). A
/// `sending` record younger than this may belong to an attempt still running; an older one was
/// left by an attempt that ended without recording its outcome. Transports must give up within
/// this time. With a visibility timeout above it (360 s on AWS) a message's own redelivery
/// always sees its earlier attempt as over; with a shorter one (30 s locally) a crashed attempt
/// only costs an extra redelivery or two before the gap is reported.
pub const SEND_WINDOW_MS: i64 = 60_000;

/// How often a delivery re-reads the record after losing a race on it before giving up (the
/// message is retried later).
const MAX_RACES: usize = 4;

/// The record of mail `id`: a system record (the mail id is unique on its own; the tenant is in
/// the message and the logs, not needed to find the record).
pub fn record_key(id: &MailId) -> Key {
    Key::new(format!("SYS#mail#{id}"), MAIL_SK)
}

/// What a delivery achieved. Every variant means: do not deliver this message again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Sent now.
    Sent,
    /// An earlier delivery sent it; nothing was sent now.
    AlreadySent,
    /// It may or may not have gone out, and will not be retried (the at-most-once gap).
    MaybeSent,
}

/// Why a delivery did not finish. All but [`DeliverError::Corrupt`] are worth retrying: the
/// mail was not sent by this attempt and the record allows a later one.
#[derive(Debug, thiserror::Error)]
pub enum DeliverError {
    /// The transport refused the mail; it was definitely not sent.
    #[error(transparent)]
    NotSent(SendError),
    /// Another attempt holds the record and may still be running.
    #[error("another attempt at this mail may still be running")]
    InProgress,
    /// Lost every race on the record (heavy contention); nothing was sent.
    #[error("the mail record kept changing; nothing was sent")]
    Contended,
    /// The table failed before anything was sent.
    #[error("mail record: {0}")]
    Store(#[from] StoreError),
    /// The record holds something this code does not know; nothing was sent.
    #[error("corrupt mail record: {0}")]
    Corrupt(String),
}

impl DeliverError {
    /// Whether a later delivery of the same message may succeed.
    pub fn is_retryable(&self) -> bool {
        !matches!(self, DeliverError::Corrupt(_))
    }
}

const SENDING: &str = "sending";
const SENT: &str = "sent";
const FAILED_NOT_SENT: &str = "failed_not_sent";
const MAYBE_SENT: &str = "maybe_sent";

/// Sends `mail` through `transport` at most once per mail id, whatever the number of
/// deliveries (see the module documentation for the states).
pub async fn deliver(
    table: &dyn Table,
    transport: &dyn MailTransport,
    clock: &dyn Clock,
    mail: &OutgoingMail,
) -> Result<Outcome, DeliverError> {
    let key = record_key(&mail.id);
    for _ in 0..MAX_RACES {
        let now = clock.now_ms();
        let claim = Item::new(key.clone())
            .with("state", SENDING)
            .with("attempts", 1)
            .with("attempt_at", now)
            .with("updated_at", now)
            .with("ttl", ttl(now));
        match table.put(claim, Some(Condition::NotExists)).await {
            Ok(()) => return send_claimed(table, transport, clock, mail, &key, 1).await,
            Err(StoreError::ConditionFailed) => {}
            Err(e) => return Err(e.into()),
        }
        // The record exists: an earlier or concurrent delivery of this mail.
        let Some(record) = table.get(&key).await? else {
            continue; // removed meanwhile (TTL): claim again
        };
        let attempts = record.get_i64("attempts").unwrap_or(0);
        let this_attempt = Condition::Equals("attempts".into(), Value::from(attempts));
        let in_state = |s: &str| Condition::Equals("state".into(), Value::from(s));
        match record.get_str("state").unwrap_or_default() {
            SENT => {
                tracing::info!(event = "mail.duplicate_suppressed", mail_id = %mail.id, "mail already sent");
                return Ok(Outcome::AlreadySent);
            }
            MAYBE_SENT => {
                tracing::info!(
                    event = "mail.duplicate_suppressed",
                    mail_id = %mail.id,
                    "mail may have been sent earlier (gap already reported); not sending again"
                );
                return Ok(Outcome::MaybeSent);
            }
            FAILED_NOT_SENT => {
                let take_over = Update::new()
                    .set("state", SENDING)
                    .set("attempts", attempts.saturating_add(1))
                    .set("attempt_at", now)
                    .set("updated_at", now);
                let cond = in_state(FAILED_NOT_SENT).and(this_attempt);
                match table.update(&key, take_over, Some(cond)).await {
                    Ok(_) => {
                        let n = attempts.saturating_add(1);
                        return send_claimed(table, transport, clock, mail, &key, n).await;
                    }
                    Err(StoreError::ConditionFailed) => continue,
                    Err(e) => return Err(e.into()),
                }
            }
            SENDING => {
                let started = record.get_i64("attempt_at").unwrap_or(0);
                if now.saturating_sub(started) < SEND_WINDOW_MS {
                    tracing::info!(
                        event = "mail.in_progress",
                        mail_id = %mail.id,
                        "another attempt at this mail may be running; not sending, retry later"
                    );
                    return Err(DeliverError::InProgress);
                }
                let mark = Update::new()
                    .set("state", MAYBE_SENT)
                    .set("updated_at", now);
                match table
                    .update(&key, mark, Some(in_state(SENDING).and(this_attempt)))
                    .await
                {
                    Ok(_) => {
                        report_gap(
                            &mail.id,
                            attempts,
                            "an earlier attempt ended without recording its outcome",
                        );
                        return Ok(Outcome::MaybeSent);
                    }
                    Err(StoreError::ConditionFailed) => continue,
                    Err(e) => return Err(e.into()),
                }
            }
            other => {
                return Err(DeliverError::Corrupt(format!("unknown state `{other}`")));
            }
        }
    }
    Err(DeliverError::Contended)
}

/// Sends a mail whose record this attempt (`attempt`) holds in state `sending`, then records
/// the outcome. Failing to record is logged but does not change the answer: the mail's fate is
/// what the transport said, and a record left in `sending` errs on the side of not resending.
async fn send_claimed(
    table: &dyn Table,
    transport: &dyn MailTransport,
    clock: &dyn Clock,
    mail: &OutgoingMail,
    key: &Key,
    attempt: i64,
) -> Result<Outcome, DeliverError> {
    let result = transport.send(mail).await;
    let now = clock.now_ms();
    // The record still belongs to this attempt: nobody took it over. (A delivery that found it
    // `sending` past the window may have marked it `maybe_sent`; what this attempt learned is
    // better than that guess, so it is overwritten.)
    let ours = Condition::Equals("attempts".into(), Value::from(attempt));
    let state = match &result {
        Ok(()) => SENT,
        Err(SendError::NotSent(_)) => FAILED_NOT_SENT,
        Err(SendError::Unknown(_)) => MAYBE_SENT,
    };
    let mut update = Update::new().set("state", state).set("updated_at", now);
    if state == SENT {
        update = update.set("sent_at", now);
    }
    if let Err(e) = table.update(key, update, Some(ours)).await {
        // `sending` stays: a later delivery treats the mail as maybe sent and does not resend.
        tracing::error!(
            event = "mail.outcome_not_recorded",
            mail_id = %mail.id,
            attempt,
            outcome = state,
            error = %e,
            "could not record the outcome of a send"
        );
    }
    match result {
        Ok(()) => {
            tracing::info!(event = "mail.sent", mail_id = %mail.id, attempt, "mail sent");
            Ok(Outcome::Sent)
        }
        Err(SendError::Unknown(reason)) => {
            report_gap(&mail.id, attempt, &reason);
            Ok(Outcome::MaybeSent)
        }
        Err(e) => {
            tracing::warn!(
                event = "mail.not_sent",
                mail_id = %mail.id,
                attempt,
                error = %e,
                "mail refused; it will be retried"
            );
            Err(DeliverError::NotSent(e))
        }
    }
}

/// The one log line per gap, for the metric filter and for a human to follow up (the id leads
/// to the producer's record, e.g. the invitation, which can be re-sent from there).
fn report_gap(id: &MailId, attempt: i64, cause: &str) {
    tracing::warn!(
        event = "mail.at_most_once_gap",
        mail_id = %id,
        attempt,
        cause,
        "mail may not have been sent and will not be retried (sending it again could send it twice)"
    );
}

fn ttl(now_ms: i64) -> i64 {
    now_ms.div_euclid(1000).saturating_add(RECORD_TTL_SECS)
}
