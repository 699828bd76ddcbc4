//! In-memory adapter, for unit tests of code that needs a table.

use std::collections::BTreeMap;
use std::ops::Bound;
use std::sync::{Mutex, MutexGuard};

use async_trait::async_trait;

use crate::plan::{self, RawStore};
use crate::{Condition, Item, Key, Page, Query, StoreError, Table, Update, WriteOp};

/// A table in a `BTreeMap` behind one mutex: every operation is atomic because it holds the lock
/// from its first read to its last write (and never across an `.await`).
#[derive(Debug, Default)]
pub struct MemoryTable {
    items: Mutex<BTreeMap<(String, String), Item>>,
}

impl MemoryTable {
    /// An empty table.
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> Result<Raw<'_>, StoreError> {
        self.items
            .lock()
            .map(Raw)
            .map_err(|_| StoreError::Backend("memory table lock poisoned".into()))
    }
}

struct Raw<'a>(MutexGuard<'a, BTreeMap<(String, String), Item>>);

impl RawStore for Raw<'_> {
    fn load(&mut self, key: &Key) -> Result<Option<Item>, StoreError> {
        Ok(self.0.get(&(key.pk.clone(), key.sk.clone())).cloned())
    }

    fn save(&mut self, item: &Item) -> Result<(), StoreError> {
        self.0
            .insert((item.key.pk.clone(), item.key.sk.clone()), item.clone());
        Ok(())
    }

    fn remove(&mut self, key: &Key) -> Result<(), StoreError> {
        self.0.remove(&(key.pk.clone(), key.sk.clone()));
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
        let in_partition = |k: &(String, String)| k.0 == pk && k.1.starts_with(prefix);
        let items: Vec<Item> = if descending {
            let upper = match after {
                Some(a) => Bound::Excluded((pk.to_string(), a.to_string())),
                None => Bound::Unbounded,
            };
            self.0
                .range((Bound::Included((pk.to_string(), String::new())), upper))
                .rev()
                .filter(|(k, _)| in_partition(k))
                .take(limit)
                .map(|(_, v)| v.clone())
                .collect()
        } else {
            let lower = match after {
                Some(a) => Bound::Excluded((pk.to_string(), a.to_string())),
                None => Bound::Included((pk.to_string(), prefix.to_string())),
            };
            self.0
                .range((lower, Bound::Unbounded))
                .take_while(|(k, _)| k.0 == pk)
                .filter(|(k, _)| in_partition(k))
                .take(limit)
                .map(|(_, v)| v.clone())
                .collect()
        };
        Ok(items)
    }
}

#[async_trait]
impl Table for MemoryTable {
    async fn get(&self, key: &Key) -> Result<Option<Item>, StoreError> {
        key.validate()?;
        self.lock()?.load(key)
    }

    async fn put(&self, item: Item, condition: Option<Condition>) -> Result<(), StoreError> {
        plan::put(&mut self.lock()?, item, condition.as_ref())
    }

    async fn update(
        &self,
        key: &Key,
        update: Update,
        condition: Option<Condition>,
    ) -> Result<Item, StoreError> {
        plan::update(&mut self.lock()?, key, &update, condition.as_ref())
    }

    async fn delete(
        &self,
        key: &Key,
        condition: Option<Condition>,
    ) -> Result<Option<Item>, StoreError> {
        plan::delete(&mut self.lock()?, key, condition.as_ref())
    }

    async fn query(&self, query: &Query) -> Result<Page, StoreError> {
        plan::query(&mut self.lock()?, query)
    }

    async fn transact(&self, ops: Vec<WriteOp>) -> Result<(), StoreError> {
        plan::transact(&mut self.lock()?, &ops)
    }

    async fn ready(&self) -> Result<(), StoreError> {
        self.lock().map(|_| ())
    }
}
