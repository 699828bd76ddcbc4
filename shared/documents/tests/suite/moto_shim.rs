//! Works around a moto limitation: its `TransactWriteItems` is neither isolated nor atomic under
//! concurrent requests. It checks and applies the items one by one while other requests run,
//! and on a failed condition it "rolls back" by restoring a deep copy of the whole table taken
//! when the transaction started — erasing whatever other requests committed meanwhile
//! (moto 5.x, `moto/dynamodb/models/__init__.py`, `transact_write_items`). Real DynamoDB
//! serialises transactions with every other read and write of the items involved.
//!
//! So the moto environment sends one request at a time, which is the isolation DynamoDB gives.
//! The use cases still run concurrently (their reads and transactions interleave freely), so
//! the races between a read and its conditional write are still exercised, through the real
//! DynamoDB adapter. Test-only; drop it if moto makes transactions atomic.

use std::sync::Arc;

use async_trait::async_trait;
use bridge_store::{Condition, Item, Key, Page, Query, StoreError, Table, Update, WriteOp};
use tokio::sync::Mutex;

/// Passes each call to `inner` while holding one lock.
#[derive(Debug)]
pub struct OneAtATime {
    inner: Arc<dyn Table>,
    lock: Mutex<()>,
}

impl OneAtATime {
    pub fn new(inner: Arc<dyn Table>) -> Self {
        OneAtATime {
            inner,
            lock: Mutex::new(()),
        }
    }
}

#[async_trait]
impl Table for OneAtATime {
    async fn get(&self, key: &Key) -> Result<Option<Item>, StoreError> {
        let _g = self.lock.lock().await;
        self.inner.get(key).await
    }

    async fn put(&self, item: Item, condition: Option<Condition>) -> Result<(), StoreError> {
        let _g = self.lock.lock().await;
        self.inner.put(item, condition).await
    }

    async fn update(
        &self,
        key: &Key,
        update: Update,
        condition: Option<Condition>,
    ) -> Result<Item, StoreError> {
        let _g = self.lock.lock().await;
        self.inner.update(key, update, condition).await
    }

    async fn delete(
        &self,
        key: &Key,
        condition: Option<Condition>,
    ) -> Result<Option<Item>, StoreError> {
        let _g = self.lock.lock().await;
        self.inner.delete(key, condition).await
    }

    async fn query(&self, query: &Query) -> Result<Page, StoreError> {
        let _g = self.lock.lock().await;
        self.inner.query(query).await
    }

    async fn transact(&self, ops: Vec<WriteOp>) -> Result<(), StoreError> {
        let _g = self.lock.lock().await;
        self.inner.transact(ops).await
    }

    async fn ready(&self) -> Result<(), StoreError> {
        self.inner.ready().await
    }
}
