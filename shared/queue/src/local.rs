//! The in-process adapter, for `bridge-local` and tests.
//!
//! Messages live in SQLite (a file for the local runner, so nothing is lost across a restart;
//! memory for tests). Visibility is judged by the [`Clock`] port, so a test moves a
//! [`bridge_core::ManualClock`] to make a message reappear instead of sleeping. Long polls wait
//! in real time.
//!
//! Semantics follow SQS standard queues, with these choices where SQS is vague:
//! - A queue named `x` dead-letters into the queue named `x-dlq`. A queue whose name ends in
//!   `-dlq` is a dead-letter queue and never moves its messages on, like an SQS queue without
//!   a redrive policy.
//! - A message moved to the dead-letter queue keeps its id and its receive count (as moto does).
//! - A receipt stays valid until the message is received again, moved to the dead-letter queue
//!   or deleted. `ack`/`release` with an older receipt fail with
//!   [`QueueError::InvalidReceipt`] and change nothing, so a slow consumer can never delete a
//!   message that someone else is now working on. (Real SQS documents "succeeds but does not
//!   delete" for `DeleteMessage` with a stale receipt; moto deletes. Both are worse for
//!   debugging than an error.)
//! - Acking the same receipt twice succeeds (SQS treats it as already done): acked receipts are
//!   remembered for 12 hours, the longest a receipt can matter.
//! - Delays and release delays keep millisecond precision (SQS rounds to whole seconds).

use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use async_trait::async_trait;
use bridge_core::Clock;
use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};
use tokio::sync::Notify;

use crate::{Delivery, OutgoingMessage, Queue, QueueError, QueueSettings, QueueStats, validate};

/// Longest real-time pause between two looks at the table during a long poll. Messages that
/// become visible because the clock moved do not notify anyone, so the poll must look again.
const POLL_STEP: Duration = Duration::from_millis(50);
/// How long acked receipts are remembered so that a repeated ack succeeds.
const ACKED_RETENTION_MS: i64 = 12 * 60 * 60 * 1000;
/// How long a second process may hold the database lock before we give up.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);
/// Suffix that names a dead-letter queue.
const DLQ_SUFFIX: &str = "-dlq";

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS queue_messages (
    seq           INTEGER PRIMARY KEY AUTOINCREMENT,
    queue         TEXT    NOT NULL,
    id            TEXT    NOT NULL,
    body          TEXT    NOT NULL,
    dedupe_key    TEXT,
    sent_at       INTEGER NOT NULL,
    visible_at    INTEGER NOT NULL,
    receive_count INTEGER NOT NULL DEFAULT 0,
    receipt       TEXT
);
CREATE INDEX IF NOT EXISTS queue_messages_visible ON queue_messages (queue, visible_at, seq);
CREATE UNIQUE INDEX IF NOT EXISTS queue_messages_receipt ON queue_messages (receipt)
    WHERE receipt IS NOT NULL;
CREATE TABLE IF NOT EXISTS queue_acked_receipts (
    receipt  TEXT    PRIMARY KEY,
    queue    TEXT    NOT NULL,
    acked_at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS queue_acked_receipts_age ON queue_acked_receipts (acked_at);
PRAGMA user_version = 1;
";

/// State shared by every queue handle of one database.
struct Shared {
    db: Mutex<Connection>,
    clock: Arc<dyn Clock>,
    /// Woken on every send, release and dead-letter move, so long polls return at once.
    notify: Notify,
}

impl Shared {
    /// Locks the connection. A poisoned lock is recovered: a panic can only have happened
    /// inside a transaction, which SQLite rolled back when it was dropped.
    fn conn(&self) -> MutexGuard<'_, Connection> {
        self.db
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// A set of local queues in one SQLite database. Cheap to clone.
#[derive(Clone)]
pub struct LocalQueues {
    shared: Arc<Shared>,
}

impl std::fmt::Debug for LocalQueues {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LocalQueues")
            .field("clock", &self.shared.clock)
            .finish_non_exhaustive()
    }
}

fn backend(e: impl std::fmt::Display) -> QueueError {
    QueueError::Backend(e.to_string())
}

impl LocalQueues {
    /// Opens (or creates) the queues stored in the SQLite file at `path`, in WAL mode with a
    /// busy timeout so that a second process (e.g. an admin tool) does not fail at once.
    pub fn open(path: &Path, clock: Arc<dyn Clock>) -> Result<Self, QueueError> {
        let conn = Connection::open(path).map_err(backend)?;
        conn.busy_timeout(BUSY_TIMEOUT).map_err(backend)?;
        let mode: String = conn
            .query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))
            .map_err(backend)?;
        if !mode.eq_ignore_ascii_case("wal") {
            tracing::warn!(%mode, "sqlite did not switch the queue database to WAL mode");
        }
        Self::init(conn, clock)
    }

    /// Queues in memory, gone when the last clone is dropped; for tests.
    pub fn in_memory(clock: Arc<dyn Clock>) -> Result<Self, QueueError> {
        let conn = Connection::open_in_memory().map_err(backend)?;
        Self::init(conn, clock)
    }

    fn init(conn: Connection, clock: Arc<dyn Clock>) -> Result<Self, QueueError> {
        conn.execute_batch(SCHEMA).map_err(backend)?;
        Ok(Self {
            shared: Arc::new(Shared {
                db: Mutex::new(conn),
                clock,
                notify: Notify::new(),
            }),
        })
    }

    /// The queue named `name`. Unless `name` itself ends in `-dlq`, its messages move to the
    /// queue named `<name>-dlq` after `settings.max_receive_count` deliveries without an ack.
    ///
    /// The settings belong to the returned handle, not to the stored queue: give the same
    /// settings wherever the same queue is opened (as the SAM template does on AWS).
    pub fn queue(&self, name: &str, settings: QueueSettings) -> Arc<LocalQueue> {
        let dead_letter = (!name.ends_with(DLQ_SUFFIX)).then(|| format!("{name}{DLQ_SUFFIX}"));
        Arc::new(LocalQueue {
            name: name.to_owned(),
            dead_letter,
            settings,
            shared: Arc::clone(&self.shared),
        })
    }
}

/// One local queue. Implements [`Queue`] with SQS standard-queue semantics.
pub struct LocalQueue {
    name: String,
    /// Where messages go after too many deliveries; `None` for a dead-letter queue itself.
    dead_letter: Option<String>,
    settings: QueueSettings,
    shared: Arc<Shared>,
}

impl std::fmt::Debug for LocalQueue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LocalQueue")
            .field("name", &self.name)
            .field("dead_letter", &self.dead_letter)
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

impl LocalQueue {
    /// The queue's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The dead-letter queue of this queue, with the same visibility timeout. `None` if this
    /// queue is a dead-letter queue itself.
    pub fn dead_letter_queue(&self) -> Option<Arc<LocalQueue>> {
        self.dead_letter.as_ref().map(|name| {
            Arc::new(LocalQueue {
                name: name.clone(),
                dead_letter: None,
                settings: self.settings.clone(),
                shared: Arc::clone(&self.shared),
            })
        })
    }

    /// Runs `f` on the connection in the blocking pool, so SQLite's I/O never stalls a runtime
    /// worker and the std mutex is never held across an `.await`.
    async fn with_db<T, F>(&self, f: F) -> Result<T, QueueError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection, i64) -> Result<T, QueueError> + Send + 'static,
    {
        let shared = Arc::clone(&self.shared);
        tokio::task::spawn_blocking(move || {
            let now = shared.clock.now_ms();
            let mut conn = shared.conn();
            f(&mut conn, now)
        })
        .await
        .map_err(|e| QueueError::Backend(format!("queue database task failed: {e}")))?
    }

    /// One look at the table: takes up to `max` visible messages, moving over-delivered ones to
    /// the dead-letter queue on the way (as SQS does, at receive time).
    async fn try_receive(&self, max: usize) -> Result<Vec<Delivery>, QueueError> {
        let queue = self.name.clone();
        let dead_letter = self.dead_letter.clone();
        let visibility = validate::millis(self.settings.visibility_timeout);
        let max_receives = i64::from(self.settings.max_receive_count.max(1));
        let (out, moved) = self
            .with_db(move |conn, now| {
                let tx = conn
                    .transaction_with_behavior(TransactionBehavior::Immediate)
                    .map_err(backend)?;
                let mut out = Vec::new();
                let mut moved = 0usize;
                while out.len() < max {
                    let want = i64::try_from(max - out.len()).unwrap_or(1);
                    let rows = {
                        let mut stmt = tx
                            .prepare_cached(
                                "SELECT seq, id, body, dedupe_key, receive_count
                                 FROM queue_messages
                                 WHERE queue = ?1 AND visible_at <= ?2
                                 ORDER BY visible_at, seq LIMIT ?3",
                            )
                            .map_err(backend)?;
                        stmt.query_map(params![queue, now, want], |r| {
                            Ok((
                                r.get::<_, i64>(0)?,
                                r.get::<_, String>(1)?,
                                r.get::<_, String>(2)?,
                                r.get::<_, Option<String>>(3)?,
                                r.get::<_, i64>(4)?,
                            ))
                        })
                        .map_err(backend)?
                        .collect::<Result<Vec<_>, _>>()
                        .map_err(backend)?
                    };
                    if rows.is_empty() {
                        break;
                    }
                    for (seq, id, body, dedupe_key, count) in rows {
                        if let Some(dlq) = dead_letter.as_deref().filter(|_| count >= max_receives)
                        {
                            tx.execute(
                                "UPDATE queue_messages SET queue = ?2, visible_at = ?3,
                                 receipt = NULL WHERE seq = ?1",
                                params![seq, dlq, now],
                            )
                            .map_err(backend)?;
                            tracing::warn!(message_id = %id, queue = %queue, dead_letter_queue = %dlq,
                                receive_count = count, "message moved to the dead-letter queue");
                            moved += 1;
                            continue;
                        }
                        let receipt = uuid::Uuid::new_v4().simple().to_string();
                        let receive_count = count.saturating_add(1);
                        tx.execute(
                            "UPDATE queue_messages SET receive_count = ?2, visible_at = ?3,
                             receipt = ?4 WHERE seq = ?1",
                            params![seq, receive_count, now.saturating_add(visibility), receipt],
                        )
                        .map_err(backend)?;
                        out.push(Delivery {
                            id,
                            receipt,
                            body,
                            dedupe_key,
                            receive_count: u32::try_from(receive_count).unwrap_or(u32::MAX),
                        });
                    }
                }
                tx.commit().map_err(backend)?;
                Ok((out, moved))
            })
            .await?;
        if moved > 0 {
            self.shared.notify.notify_waiters();
        }
        Ok(out)
    }
}

#[async_trait]
impl Queue for LocalQueue {
    async fn send(&self, msg: OutgoingMessage) -> Result<String, QueueError> {
        validate::message(&msg)?;
        let id = uuid::Uuid::new_v4().to_string();
        let queue = self.name.clone();
        let delay = validate::millis(msg.delay);
        let row_id = id.clone();
        self.with_db(move |conn, now| {
            conn.execute(
                "INSERT INTO queue_messages (queue, id, body, dedupe_key, sent_at, visible_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![
                    queue,
                    row_id,
                    msg.body,
                    msg.dedupe_key,
                    now,
                    now.saturating_add(delay)
                ],
            )
            .map_err(backend)?;
            Ok(())
        })
        .await?;
        self.shared.notify.notify_waiters();
        tracing::debug!(queue = %self.name, message_id = %id, "message sent");
        Ok(id)
    }

    async fn receive(&self, max: usize, wait: Duration) -> Result<Vec<Delivery>, QueueError> {
        validate::batch_size(max)?;
        let deadline = tokio::time::Instant::now() + validate::wait(wait);
        loop {
            // Register interest before looking, so a send between the look and the wait is
            // not missed.
            let notified = self.shared.notify.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            let got = self.try_receive(max).await?;
            let now = tokio::time::Instant::now();
            if !got.is_empty() || now >= deadline {
                return Ok(got);
            }
            let step = (deadline - now).min(POLL_STEP);
            // Timing out only means "look again".
            let _ = tokio::time::timeout(step, notified).await;
        }
    }

    async fn ack(&self, receipt: &str) -> Result<(), QueueError> {
        let queue = self.name.clone();
        let receipt = receipt.to_owned();
        self.with_db(move |conn, now| {
            let tx = conn.transaction().map_err(backend)?;
            let deleted = tx
                .execute(
                    "DELETE FROM queue_messages WHERE queue = ?1 AND receipt = ?2",
                    params![queue, receipt],
                )
                .map_err(backend)?;
            if deleted == 0 {
                let known: Option<i64> = tx
                    .query_row(
                        "SELECT 1 FROM queue_acked_receipts WHERE receipt = ?1 AND queue = ?2",
                        params![receipt, queue],
                        |r| r.get(0),
                    )
                    .optional()
                    .map_err(backend)?;
                return known.map(|_| ()).ok_or(QueueError::InvalidReceipt);
            }
            tx.execute(
                "INSERT OR REPLACE INTO queue_acked_receipts (receipt, queue, acked_at)
                 VALUES (?1, ?2, ?3)",
                params![receipt, queue, now],
            )
            .map_err(backend)?;
            tx.execute(
                "DELETE FROM queue_acked_receipts WHERE acked_at < ?1",
                params![now.saturating_sub(ACKED_RETENTION_MS)],
            )
            .map_err(backend)?;
            tx.commit().map_err(backend)
        })
        .await
    }

    async fn release(&self, receipt: &str, after: Duration) -> Result<(), QueueError> {
        validate::release_after(after)?;
        let queue = self.name.clone();
        let receipt = receipt.to_owned();
        let after = validate::millis(after);
        self.with_db(move |conn, now| {
            let changed = conn
                .execute(
                    "UPDATE queue_messages SET visible_at = ?3 WHERE queue = ?1 AND receipt = ?2",
                    params![queue, receipt, now.saturating_add(after)],
                )
                .map_err(backend)?;
            if changed == 0 {
                Err(QueueError::InvalidReceipt)
            } else {
                Ok(())
            }
        })
        .await?;
        self.shared.notify.notify_waiters();
        Ok(())
    }

    async fn stats(&self) -> Result<QueueStats, QueueError> {
        let queue = self.name.clone();
        self.with_db(move |conn, now| {
            // Like SQS: delayed messages (never received, not yet visible) count as neither.
            let (visible, in_flight): (i64, i64) = conn
                .query_row(
                    "SELECT
                        COALESCE(SUM(visible_at <= ?2), 0),
                        COALESCE(SUM(visible_at > ?2 AND receipt IS NOT NULL), 0)
                     FROM queue_messages WHERE queue = ?1",
                    params![queue, now],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .map_err(backend)?;
            Ok(QueueStats {
                visible: u64::try_from(visible).unwrap_or(0),
                in_flight: u64::try_from(in_flight).unwrap_or(0),
            })
        })
        .await
    }
}
