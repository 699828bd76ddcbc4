//! The semantics of every operation, written once over a minimal synchronous storage trait.
//! The in-memory and SQLite adapters only provide [`RawStore`]; the DynamoDB adapter gets the
//! same semantics from DynamoDB itself, and the conformance suite proves the three agree.

use std::collections::HashSet;

use crate::{Condition, Cursor, Item, Key, MAX_PAGE_SIZE, MAX_TRANSACTION_OPS, Page, Query};
use crate::{StoreError, Update, WriteOp};

/// Plain storage of items, used under one lock or database transaction.
pub(crate) trait RawStore {
    fn load(&mut self, key: &Key) -> Result<Option<Item>, StoreError>;
    fn save(&mut self, item: &Item) -> Result<(), StoreError>;
    fn remove(&mut self, key: &Key) -> Result<(), StoreError>;
    /// Up to `limit` items of partition `pk` whose sort key starts with `prefix`, strictly after
    /// `after` in the requested order.
    fn scan(
        &mut self,
        pk: &str,
        prefix: &str,
        after: Option<&str>,
        descending: bool,
        limit: usize,
    ) -> Result<Vec<Item>, StoreError>;
}

fn check(cond: Option<&Condition>, current: Option<&Item>) -> bool {
    cond.is_none_or(|c| c.eval(current))
}

pub(crate) fn put(
    s: &mut impl RawStore,
    item: Item,
    cond: Option<&Condition>,
) -> Result<(), StoreError> {
    item.validate()?;
    let current = s.load(&item.key)?;
    if !check(cond, current.as_ref()) {
        return Err(StoreError::ConditionFailed);
    }
    s.save(&item)
}

pub(crate) fn update(
    s: &mut impl RawStore,
    key: &Key,
    update: &Update,
    cond: Option<&Condition>,
) -> Result<Item, StoreError> {
    key.validate()?;
    update.validate()?;
    let current = s.load(key)?;
    if !check(cond, current.as_ref()) {
        return Err(StoreError::ConditionFailed);
    }
    let next = update.apply(key, current)?;
    next.validate()?;
    s.save(&next)?;
    Ok(next)
}

pub(crate) fn delete(
    s: &mut impl RawStore,
    key: &Key,
    cond: Option<&Condition>,
) -> Result<Option<Item>, StoreError> {
    key.validate()?;
    let current = s.load(key)?;
    if !check(cond, current.as_ref()) {
        return Err(StoreError::ConditionFailed);
    }
    if current.is_some() {
        s.remove(key)?;
    }
    Ok(current)
}

/// Checks a query's shape; returns the sort key to continue after, if any.
pub(crate) fn validate_query(q: &Query) -> Result<Option<Key>, StoreError> {
    if q.pk.is_empty() {
        return Err(StoreError::Invalid("query needs a partition key".into()));
    }
    if q.limit == 0 || q.limit > MAX_PAGE_SIZE {
        return Err(StoreError::Invalid(format!(
            "page size must be 1..={MAX_PAGE_SIZE}"
        )));
    }
    q.cursor
        .as_ref()
        .map(|c| c.decode_for(&q.pk, &q.sk_prefix))
        .transpose()
}

pub(crate) fn query(s: &mut impl RawStore, q: &Query) -> Result<Page, StoreError> {
    let after = validate_query(q)?;
    let mut items = s.scan(
        &q.pk,
        &q.sk_prefix,
        after.as_ref().map(|k| k.sk.as_str()),
        q.descending,
        q.limit + 1,
    )?;
    let more = items.len() > q.limit;
    items.truncate(q.limit);
    let next = if more {
        items.last().map(|i| Cursor::after(&i.key))
    } else {
        None
    };
    Ok(Page { items, next })
}

/// Checks a transaction's shape: 1..=25 operations, valid keys and items, one operation per item.
pub(crate) fn validate_ops(ops: &[WriteOp]) -> Result<(), StoreError> {
    if ops.is_empty() || ops.len() > MAX_TRANSACTION_OPS {
        return Err(StoreError::Invalid(format!(
            "a transaction holds 1..={MAX_TRANSACTION_OPS} operations, got {}",
            ops.len()
        )));
    }
    let mut keys = HashSet::new();
    for op in ops {
        match op {
            WriteOp::Put { item, .. } => item.validate()?,
            WriteOp::Update { key, update, .. } => {
                key.validate()?;
                update.validate()?;
                if update.set.is_empty() && update.remove.is_empty() && update.add.is_empty() {
                    return Err(StoreError::Invalid("empty update in a transaction".into()));
                }
            }
            WriteOp::Delete { key, .. } | WriteOp::Check { key, .. } => key.validate()?,
        }
        if !keys.insert(op.key()) {
            return Err(StoreError::Invalid(
                "two operations on one item in a transaction".into(),
            ));
        }
    }
    Ok(())
}

pub(crate) fn transact(s: &mut impl RawStore, ops: &[WriteOp]) -> Result<(), StoreError> {
    validate_ops(ops)?;
    // Phase 1: evaluate every condition and compute every result; nothing is written yet.
    let mut failed = Vec::new();
    let mut writes: Vec<(Key, Option<Item>)> = Vec::new();
    for (i, op) in ops.iter().enumerate() {
        let current = s.load(op.key())?;
        let (cond, result) = match op {
            WriteOp::Put { item, condition } => (condition.as_ref(), Some(Some(item.clone()))),
            WriteOp::Update {
                key,
                update,
                condition,
            } => {
                let next = update.apply(key, current.clone())?;
                next.validate()?;
                (condition.as_ref(), Some(Some(next)))
            }
            WriteOp::Delete { condition, .. } => (condition.as_ref(), Some(None)),
            WriteOp::Check { condition, .. } => (Some(condition), None),
        };
        if !check(cond, current.as_ref()) {
            failed.push(i);
        } else if let Some(r) = result {
            writes.push((op.key().clone(), r));
        }
    }
    if !failed.is_empty() {
        return Err(StoreError::TransactionCanceled { failed });
    }
    // Phase 2: apply.
    for (key, result) in writes {
        match result {
            Some(item) => s.save(&item)?,
            None => s.remove(&key)?,
        }
    }
    Ok(())
}
