//! Items in and out, optimistic versions, rate counters and transactions whose failures say why.

use bridge_core::clock::EpochMillis;
use bridge_store::{Condition, Item, Key, StoreError, Table, Update, WriteOp};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use crate::error::{DirectoryError, Result};

/// Name of the optimistic-concurrency attribute.
pub const VER: &str = "ver";

/// The attributes of a record.
pub fn attrs(v: &impl Serialize) -> Result<Map<String, Value>> {
    match serde_json::to_value(v) {
        Ok(Value::Object(m)) => Ok(m),
        Ok(_) => Err(DirectoryError::Internal("record is not a map".into())),
        Err(e) => Err(DirectoryError::Internal(format!(
            "cannot encode record: {e}"
        ))),
    }
}

/// One value as JSON (for [`Update::set`]).
pub fn json(v: &impl Serialize) -> Result<Value> {
    serde_json::to_value(v).map_err(|e| DirectoryError::Internal(format!("cannot encode: {e}")))
}

/// A new item holding `v`, at version 1.
pub fn new_item(key: Key, v: &impl Serialize) -> Result<Item> {
    let mut attrs = attrs(v)?;
    attrs.insert(VER.into(), Value::from(1));
    Ok(Item { key, attrs })
}

/// A record read back from its item.
pub fn record<T: DeserializeOwned>(item: &Item, what: &str) -> Result<T> {
    serde_json::from_value(Value::Object(item.attrs.clone()))
        .map_err(|e| DirectoryError::Internal(format!("unreadable {what} at {}: {e}", item.key.sk)))
}

/// The item's version; items written before versions existed count as 0.
pub fn ver_of(item: &Item) -> i64 {
    item.get_i64(VER).unwrap_or(0)
}

/// "The item exists and is still at version `ver`" (version 0 = exists without a `ver`).
pub fn at_version(ver: i64) -> Condition {
    if ver == 0 {
        Condition::Exists.and(Condition::AttrNotExists(VER.into()).or(Condition::version_is(0)))
    } else {
        Condition::version_is(ver)
    }
}

/// A string attribute equals `v`.
pub fn equals(attr: &str, v: impl Into<Value>) -> Condition {
    Condition::Equals(attr.into(), v.into())
}

/// The stored `state` is `state` and `expires_at_ms` is after `now`: the one condition that makes
/// a pending invitation or request single-use and time-bound.
pub fn pending_at(state: &str, now: EpochMillis) -> Condition {
    equals("state", state).and(Condition::GreaterThan(
        "expires_at_ms".into(),
        Value::from(now),
    ))
}

/// A fixed rate-limit window: number and end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    /// `now / length`.
    pub index: i64,
    /// When it ends, epoch ms.
    pub end_ms: EpochMillis,
}

impl Window {
    /// The window of length `length_ms` that `now` falls in.
    pub fn of(now: EpochMillis, length_ms: i64) -> Window {
        let length_ms = length_ms.max(1);
        let index = now.div_euclid(length_ms);
        Window {
            index,
            end_ms: (index + 1).saturating_mul(length_ms),
        }
    }
}

/// Counts one more event in a rate-limit counter, only while fewer than `limit` were counted in
/// the window. `ttl` (epoch seconds, a day after the window) lets a DynamoDB TTL clean up; the
/// window is in the key, so an old counter that lingers is simply never read again.
pub fn count_op(key: Key, limit: u32, window: Window) -> WriteOp {
    WriteOp::Update {
        key,
        update: Update::new()
            .add("count", 1)
            .set("expires_at_ms", window.end_ms)
            .set("ttl", window.end_ms / 1000 + 86_400),
        condition: Some(
            Condition::AttrNotExists("count".into())
                .or(Condition::LessThan("count".into(), Value::from(limit))),
        ),
    }
}

/// A transaction whose operations each know what their failed condition means.
#[derive(Debug, Default)]
pub struct Tx {
    ops: Vec<WriteOp>,
    why: Vec<Option<DirectoryError>>,
}

/// How a transaction ended.
#[derive(Debug)]
pub enum Committed {
    /// Everything was written.
    Done,
    /// Nothing was written. `Some` = the first failed operation's meaning; `None` = it needs a
    /// fresh read to explain (a race lost on a record whose new state tells the reason).
    Refused(Option<DirectoryError>),
}

impl Tx {
    /// An empty transaction.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds an operation whose failure means `why` (`None`: re-read to tell).
    pub fn push(&mut self, op: WriteOp, why: Option<DirectoryError>) -> &mut Self {
        self.ops.push(op);
        self.why.push(why);
        self
    }

    /// Runs it, for a single-use record at `key` (an invitation, a relation request): a refusal
    /// that needs a fresh read is explained by the record's new state (`unusable`: used, expired,
    /// revoked…), else it is a [`DirectoryError::Conflict`].
    pub async fn commit_for<T: DeserializeOwned>(
        self,
        table: &dyn Table,
        key: &bridge_store::Key,
        what: &'static str,
        unusable: impl FnOnce(&T) -> Option<DirectoryError>,
    ) -> Result<()> {
        match self.commit(table).await? {
            Committed::Done => Ok(()),
            Committed::Refused(Some(e)) => Err(e),
            Committed::Refused(None) => {
                let fresh = table
                    .get(key)
                    .await?
                    .ok_or(DirectoryError::NotFound(what))?;
                let fresh: T = record(&fresh, what)?;
                Err(unusable(&fresh).unwrap_or(DirectoryError::Conflict))
            }
        }
    }

    /// Runs it.
    pub async fn commit(self, table: &dyn Table) -> Result<Committed> {
        match table.transact(self.ops).await {
            Ok(()) => Ok(Committed::Done),
            Err(StoreError::TransactionCanceled { mut failed }) => {
                failed.sort_unstable();
                let why = failed
                    .first()
                    .and_then(|i| self.why.get(*i).cloned())
                    .flatten();
                Ok(Committed::Refused(why))
            }
            Err(e) => Err(e.into()),
        }
    }
}

/// Reads every item of a partition with a sort-key prefix (bounded: directories are small; the
/// bound stops a runaway loop on a broken cursor).
pub async fn query_all(table: &dyn Table, pk: &str, prefix: &str) -> Result<Vec<Item>> {
    let mut out = Vec::new();
    let mut cursor = None;
    for _ in 0..100 {
        let page = table
            .query(
                &bridge_store::Query::partition(pk)
                    .prefix(prefix)
                    .limit(bridge_store::MAX_PAGE_SIZE)
                    .after(cursor),
            )
            .await?;
        out.extend(page.items);
        match page.next {
            Some(c) => cursor = Some(c),
            None => return Ok(out),
        }
    }
    Err(DirectoryError::Internal(format!(
        "more than 100 pages under {pk} {prefix}"
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_split_time_into_fixed_slots() {
        let w = Window::of(3_600_000 + 5, 3_600_000);
        assert_eq!(w.index, 1);
        assert_eq!(w.end_ms, 7_200_000);
        assert_eq!(Window::of(7_199_999, 3_600_000), w);
    }

    #[test]
    fn version_zero_means_an_item_without_a_version() {
        let old = Item::new(Key::new("p", "s")).with("a", 1);
        assert!(at_version(0).eval(Some(&old)));
        assert!(!at_version(0).eval(None));
        assert!(!at_version(1).eval(Some(&old)));
        assert!(at_version(2).eval(Some(&old.clone().with(VER, 2))));
    }
}
