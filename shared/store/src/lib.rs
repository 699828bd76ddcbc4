//! The single-table state port, modelled on DynamoDB, and its adapters.
//!
//! All state of m365-bridge lives in one table of items addressed by a partition key (`pk`) and a
//! sort key (`sk`). The port offers what DynamoDB offers and no more, so that code proven against
//! the embedded adapters behaves the same on AWS: conditional writes, queries by partition key and
//! sort-key prefix with paging, and transactions of up to 25 conditional writes.
//!
//! Adapters: [`dynamo::DynamoTable`] (production), [`sqlite::SqliteTable`] (embedded default of
//! `bridge-local`) and [`memory::MemoryTable`] (tests). One [`conformance`] suite proves all three.

use async_trait::async_trait;

pub mod condition;
pub mod conformance;
pub mod cursor;
pub mod dynamo;
pub mod error;
pub mod item;
pub mod memory;
mod plan;
pub mod sqlite;

pub use condition::Condition;
pub use cursor::Cursor;
pub use error::StoreError;
pub use item::{Item, Key, Update};

/// Most writes DynamoDB accepts in one transaction that we allow (its own limit is 100; 25 keeps
/// us inside the older, widely documented limit and well under the 4 MB request cap).
pub const MAX_TRANSACTION_OPS: usize = 25;

/// Most items one query page returns.
pub const MAX_PAGE_SIZE: usize = 1000;

/// One write inside a transaction.
#[derive(Debug, Clone, PartialEq)]
pub enum WriteOp {
    /// Put (create or replace) the item if the condition holds.
    Put {
        /// The full item, key included.
        item: Item,
        /// Must hold against the existing item (or its absence).
        condition: Option<Condition>,
    },
    /// Apply an update (creating the item if absent, as DynamoDB does) if the condition holds.
    Update {
        /// Which item.
        key: Key,
        /// What to change.
        update: Update,
        /// Must hold against the existing item (or its absence).
        condition: Option<Condition>,
    },
    /// Delete the item if the condition holds.
    Delete {
        /// Which item.
        key: Key,
        /// Must hold against the existing item (or its absence).
        condition: Option<Condition>,
    },
    /// Write nothing, but fail the transaction unless the condition holds.
    Check {
        /// Which item.
        key: Key,
        /// Must hold against the existing item (or its absence).
        condition: Condition,
    },
}

impl WriteOp {
    /// The key this operation touches.
    pub fn key(&self) -> &Key {
        match self {
            WriteOp::Put { item, .. } => &item.key,
            WriteOp::Update { key, .. }
            | WriteOp::Delete { key, .. }
            | WriteOp::Check { key, .. } => key,
        }
    }
}

/// A query: all items of one partition whose sort key starts with a prefix, in sort-key order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Query {
    /// The partition.
    pub pk: String,
    /// Only sort keys starting with this (empty = all).
    pub sk_prefix: String,
    /// Page size, 1..=[`MAX_PAGE_SIZE`].
    pub limit: usize,
    /// Continue after the page that returned this cursor.
    pub cursor: Option<Cursor>,
    /// Descending sort-key order instead of ascending.
    pub descending: bool,
}

impl Query {
    /// First page (up to 100 items) of a partition, ascending, all sort keys.
    pub fn partition(pk: impl Into<String>) -> Self {
        Self {
            pk: pk.into(),
            sk_prefix: String::new(),
            limit: 100,
            cursor: None,
            descending: false,
        }
    }

    /// Restricts to sort keys starting with `prefix`.
    pub fn prefix(mut self, prefix: impl Into<String>) -> Self {
        self.sk_prefix = prefix.into();
        self
    }

    /// Sets the page size.
    pub fn limit(mut self, limit: usize) -> Self {
        self.limit = limit;
        self
    }

    /// Continues after a previous page.
    pub fn after(mut self, cursor: Option<Cursor>) -> Self {
        self.cursor = cursor;
        self
    }

    /// Descending order.
    pub fn descending(mut self) -> Self {
        self.descending = true;
        self
    }
}

/// One page of a query.
#[derive(Debug, Clone, PartialEq)]
pub struct Page {
    /// The items, in the requested order.
    pub items: Vec<Item>,
    /// Present when more items may follow; pass it to [`Query::after`].
    pub next: Option<Cursor>,
}

/// The state port. Every method is atomic on its own; [`Table::transact`] makes several writes
/// atomic together.
#[async_trait]
pub trait Table: Send + Sync + std::fmt::Debug {
    /// Reads one item (strongly consistent).
    async fn get(&self, key: &Key) -> Result<Option<Item>, StoreError>;

    /// Creates or replaces an item if `condition` holds; [`StoreError::ConditionFailed`] otherwise.
    async fn put(&self, item: Item, condition: Option<Condition>) -> Result<(), StoreError>;

    /// Updates (or creates) an item if `condition` holds and returns the item as it is after.
    async fn update(
        &self,
        key: &Key,
        update: Update,
        condition: Option<Condition>,
    ) -> Result<Item, StoreError>;

    /// Deletes an item if `condition` holds; deleting a missing item without condition is Ok.
    /// Returns the deleted item, if there was one.
    async fn delete(
        &self,
        key: &Key,
        condition: Option<Condition>,
    ) -> Result<Option<Item>, StoreError>;

    /// One page of a query.
    async fn query(&self, query: &Query) -> Result<Page, StoreError>;

    /// Applies up to [`MAX_TRANSACTION_OPS`] writes atomically: all or none. If any condition
    /// fails, nothing is written and [`StoreError::TransactionCanceled`] lists the failed indexes.
    async fn transact(&self, ops: Vec<WriteOp>) -> Result<(), StoreError>;

    /// Checks that the backend is reachable (used by health routes).
    async fn ready(&self) -> Result<(), StoreError>;
}
