//! A table wrapper that injects races and faults right before a transaction, so the suite can
//! prove what happens in the window between a use case's read and its write, on every adapter.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use bridge_store::{Condition, Item, Key, Page, Query, StoreError, Table, Update, WriteOp};

/// What to do at the next `transact`.
#[derive(Debug)]
pub enum Hook {
    /// Apply this update (a concurrent writer) first, then run the transaction.
    UpdateFirst(Key, Update),
    /// Fail with a backend error without running the transaction.
    FailBefore,
    /// Run the transaction, then report a backend error (outcome unknown to the caller).
    FailAfter,
}

/// Delegates everything to `inner`; `transact` first consumes the next queued hook, if any.
#[derive(Debug)]
pub struct HookTable {
    inner: Arc<dyn Table>,
    hooks: Mutex<VecDeque<Hook>>,
}

impl HookTable {
    pub fn new(inner: Arc<dyn Table>) -> Self {
        HookTable {
            inner,
            hooks: Mutex::new(VecDeque::new()),
        }
    }

    /// Queues a hook for the next transaction that has none yet.
    pub fn push(&self, hook: Hook) {
        self.hooks.lock().unwrap().push_back(hook);
    }

    /// Drops hooks that were not used.
    pub fn clear(&self) {
        self.hooks.lock().unwrap().clear();
    }

    fn next(&self) -> Option<Hook> {
        self.hooks.lock().unwrap().pop_front()
    }
}

fn injected() -> StoreError {
    StoreError::Backend("injected fault".into())
}

#[async_trait]
impl Table for HookTable {
    async fn get(&self, key: &Key) -> Result<Option<Item>, StoreError> {
        self.inner.get(key).await
    }

    async fn put(&self, item: Item, condition: Option<Condition>) -> Result<(), StoreError> {
        self.inner.put(item, condition).await
    }

    async fn update(
        &self,
        key: &Key,
        update: Update,
        condition: Option<Condition>,
    ) -> Result<Item, StoreError> {
        self.inner.update(key, update, condition).await
    }

    async fn delete(
        &self,
        key: &Key,
        condition: Option<Condition>,
    ) -> Result<Option<Item>, StoreError> {
        self.inner.delete(key, condition).await
    }

    async fn query(&self, query: &Query) -> Result<Page, StoreError> {
        self.inner.query(query).await
    }

    async fn transact(&self, ops: Vec<WriteOp>) -> Result<(), StoreError> {
        match self.next() {
            None => self.inner.transact(ops).await,
            Some(Hook::UpdateFirst(key, update)) => {
                self.inner.update(&key, update, None).await?;
                self.inner.transact(ops).await
            }
            Some(Hook::FailBefore) => Err(injected()),
            Some(Hook::FailAfter) => {
                self.inner.transact(ops).await?;
                Err(injected())
            }
        }
    }

    async fn ready(&self) -> Result<(), StoreError> {
        self.inner.ready().await
    }
}
