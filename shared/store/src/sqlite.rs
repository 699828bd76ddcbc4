//! SQLite adapter: the embedded default of `bridge-local`.
//!
//! One row per item, attributes as JSON text. Every write runs in an `IMMEDIATE` transaction on
//! the one writer connection, so conditional writes are atomic also when another process (the
//! operator CLI) opens the same file. Reads (`get`, `query`) of a file database run on a small
//! pool of reader connections without a write lock: in WAL mode each read sees the last commit
//! and never waits for a writer, so concurrent requests (Office's CheckFileInfo burst) do not
//! queue behind one mutex. SQLite's default BINARY collation orders sort keys by bytes, exactly
//! like DynamoDB.

use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};
use serde_json::{Map, Value};

use crate::plan::{self, RawStore};
use crate::{Condition, Item, Key, Page, Query, StoreError, Table, Update, WriteOp};

/// A table in a SQLite database file (or in memory).
#[derive(Debug, Clone)]
pub struct SqliteTable {
    conn: Arc<Mutex<Connection>>,
    /// Read-only connections of a file database (empty in memory: reads use `conn`).
    readers: Arc<Vec<Mutex<Connection>>>,
    next_reader: Arc<AtomicUsize>,
}

/// Reader connections of a file database: enough for both cores plus requests waiting on I/O.
const READERS: usize = 4;

fn backend(e: impl std::fmt::Display) -> StoreError {
    StoreError::Backend(e.to_string())
}

impl SqliteTable {
    /// Opens (creating if needed) the database at `path`.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        let conn = Connection::open(path).map_err(backend)?;
        conn.pragma_update(None, "journal_mode", "WAL")
            .map_err(backend)?;
        conn.pragma_update(None, "synchronous", "NORMAL")
            .map_err(backend)?;
        let mut table = Self::init(conn)?;
        let mut readers = Vec::with_capacity(READERS);
        for _ in 0..READERS {
            let r = Connection::open(path).map_err(backend)?;
            r.busy_timeout(std::time::Duration::from_secs(10))
                .map_err(backend)?;
            // A reader never writes, even by mistake.
            r.pragma_update(None, "query_only", true).map_err(backend)?;
            readers.push(Mutex::new(r));
        }
        table.readers = Arc::new(readers);
        Ok(table)
    }

    /// A private in-memory database.
    pub fn in_memory() -> Result<Self, StoreError> {
        Self::init(Connection::open_in_memory().map_err(backend)?)
    }

    fn init(conn: Connection) -> Result<Self, StoreError> {
        conn.busy_timeout(std::time::Duration::from_secs(10))
            .map_err(backend)?;
        conn.execute_batch(
            "CREATE TABLE IF NOT EXISTS items (
                pk TEXT NOT NULL,
                sk TEXT NOT NULL,
                attrs TEXT NOT NULL,
                PRIMARY KEY (pk, sk)
            ) WITHOUT ROWID;",
        )
        .map_err(backend)?;
        Ok(Self {
            conn: Arc::new(Mutex::new(conn)),
            readers: Arc::new(Vec::new()),
            next_reader: Arc::new(AtomicUsize::new(0)),
        })
    }

    /// Runs the short read `f` at once on a reader that is free right now; `None` when there
    /// is none (in memory, or all busy), and the caller goes through [`Self::read`].
    fn read_now<T>(
        &self,
        f: impl FnOnce(&mut Tx<'_>) -> Result<T, StoreError>,
    ) -> Option<Result<T, StoreError>> {
        let n = self.readers.len();
        let start = self.next_reader.fetch_add(1, Ordering::Relaxed);
        let guard = (0..n).find_map(|i| self.readers[(start + i) % n].try_lock().ok())?;
        Some(f(&mut Tx(&guard)))
    }

    /// Runs the read `f` on a reader connection (a free one if any) on a blocking thread; each
    /// statement sees the last committed state. Without readers (in memory) it takes the writer.
    async fn read<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Tx<'_>) -> Result<T, StoreError> + Send + 'static,
    {
        if self.readers.is_empty() {
            return self.with_tx(f).await;
        }
        let readers = Arc::clone(&self.readers);
        let start = self.next_reader.fetch_add(1, Ordering::Relaxed);
        tokio::task::spawn_blocking(move || {
            let n = readers.len();
            let free = (0..n).find_map(|i| readers[(start + i) % n].try_lock().ok());
            let guard = match free {
                Some(g) => g,
                None => readers[start % n]
                    .lock()
                    .map_err(|_| backend("sqlite reader lock poisoned"))?,
            };
            f(&mut Tx(&guard))
        })
        .await
        .map_err(backend)?
    }

    /// Runs `f` inside one IMMEDIATE transaction on a blocking thread; commits only on success.
    async fn with_tx<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Tx<'_>) -> Result<T, StoreError> + Send + 'static,
    {
        let conn = Arc::clone(&self.conn);
        tokio::task::spawn_blocking(move || {
            let mut guard = conn
                .lock()
                .map_err(|_| backend("sqlite connection lock poisoned"))?;
            let tx = guard
                .transaction_with_behavior(TransactionBehavior::Immediate)
                .map_err(backend)?;
            let mut raw = Tx(&tx);
            let out = f(&mut raw)?;
            tx.commit().map_err(backend)?;
            Ok(out)
        })
        .await
        .map_err(backend)?
    }
}

/// Statements on one connection (inside a write transaction, or a reader's autocommit read).
struct Tx<'a>(&'a Connection);

fn decode(pk: String, sk: String, attrs: &str) -> Result<Item, StoreError> {
    let attrs: Map<String, Value> = serde_json::from_str(attrs).map_err(backend)?;
    Ok(Item {
        key: Key { pk, sk },
        attrs,
    })
}

impl RawStore for Tx<'_> {
    fn load(&mut self, key: &Key) -> Result<Option<Item>, StoreError> {
        let row: Option<String> = self
            .0
            .prepare_cached("SELECT attrs FROM items WHERE pk = ?1 AND sk = ?2")
            .map_err(backend)?
            .query_row(params![key.pk, key.sk], |r| r.get(0))
            .optional()
            .map_err(backend)?;
        row.map(|a| decode(key.pk.clone(), key.sk.clone(), &a))
            .transpose()
    }

    fn save(&mut self, item: &Item) -> Result<(), StoreError> {
        let attrs = serde_json::to_string(&item.attrs).map_err(backend)?;
        self.0
            .prepare_cached(
                "INSERT INTO items (pk, sk, attrs) VALUES (?1, ?2, ?3)
                 ON CONFLICT (pk, sk) DO UPDATE SET attrs = excluded.attrs",
            )
            .map_err(backend)?
            .execute(params![item.key.pk, item.key.sk, attrs])
            .map_err(backend)?;
        Ok(())
    }

    fn remove(&mut self, key: &Key) -> Result<(), StoreError> {
        self.0
            .prepare_cached("DELETE FROM items WHERE pk = ?1 AND sk = ?2")
            .map_err(backend)?
            .execute(params![key.pk, key.sk])
            .map_err(backend)?;
        Ok(())
    }

    fn scan(
        &mut self,
        pk: &str,
        prefix: &str,
        after: Option<&str>,
        descending: bool,
        limit: usize,
    ) -> Result<Vec<Item>, StoreError> {
        let sql = if descending {
            "SELECT sk, attrs FROM items WHERE pk = ?1 AND substr(sk, 1, length(?2)) = ?2
               AND (?3 IS NULL OR sk < ?3) ORDER BY sk DESC LIMIT ?4"
        } else {
            "SELECT sk, attrs FROM items WHERE pk = ?1 AND sk >= ?2 AND substr(sk, 1, length(?2)) = ?2
               AND (?3 IS NULL OR sk > ?3) ORDER BY sk ASC LIMIT ?4"
        };
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let mut stmt = self.0.prepare_cached(sql).map_err(backend)?;
        let rows = stmt
            .query_map(params![pk, prefix, after, limit], |r| {
                Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))
            })
            .map_err(backend)?;
        let mut items = Vec::new();
        for row in rows {
            let (sk, attrs) = row.map_err(backend)?;
            items.push(decode(pk.to_string(), sk, &attrs)?);
        }
        Ok(items)
    }
}

#[async_trait]
impl Table for SqliteTable {
    async fn get(&self, key: &Key) -> Result<Option<Item>, StoreError> {
        key.validate()?;
        // A point read by primary key on a free WAL reader takes microseconds and never waits
        // for a writer, so it runs right here: handing it to the blocking pool costs two thread
        // switches, which dominated CheckFileInfo (four point reads) under load.
        if let Some(out) = self.read_now(|tx| tx.load(key)) {
            return out;
        }
        let key = key.clone();
        self.read(move |tx| tx.load(&key)).await
    }

    async fn put(&self, item: Item, condition: Option<Condition>) -> Result<(), StoreError> {
        self.with_tx(move |tx| plan::put(tx, item, condition.as_ref()))
            .await
    }

    async fn update(
        &self,
        key: &Key,
        update: Update,
        condition: Option<Condition>,
    ) -> Result<Item, StoreError> {
        let key = key.clone();
        self.with_tx(move |tx| plan::update(tx, &key, &update, condition.as_ref()))
            .await
    }

    async fn delete(
        &self,
        key: &Key,
        condition: Option<Condition>,
    ) -> Result<Option<Item>, StoreError> {
        let key = key.clone();
        self.with_tx(move |tx| plan::delete(tx, &key, condition.as_ref()))
            .await
    }

    async fn query(&self, query: &Query) -> Result<Page, StoreError> {
        let query = query.clone();
        self.read(move |tx| plan::query(tx, &query)).await
    }

    async fn transact(&self, ops: Vec<WriteOp>) -> Result<(), StoreError> {
        self.with_tx(move |tx| plan::transact(tx, &ops)).await
    }

    async fn ready(&self) -> Result<(), StoreError> {
        self.with_tx(|tx| tx.0.query_row("SELECT 1", [], |_| Ok(())).map_err(backend))
            .await
    }
}
