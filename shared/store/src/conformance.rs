//! The conformance suite of the [`Table`] port, written once and run against every adapter
//! (in-memory, SQLite, DynamoDB via moto). Each case works in its own fresh partitions, so one
//! shared table serves the whole suite.

use std::sync::Arc;

use serde_json::json;
use uuid::Uuid;

use crate::{Condition, Cursor, Item, Key, Query, StoreError, Table, Update, WriteOp};

fn pk() -> String {
    format!("T#{}", Uuid::new_v4())
}

/// Runs every case against `table`.
pub async fn run_all(table: Arc<dyn Table>) {
    run_sequential_cases(table.as_ref()).await;
    run_race_cases(table).await;
}

/// The race cases: many tasks on one item. Run them against adapters whose isolation is the
/// point (memory, SQLite, real DynamoDB). moto applies transactions item by item without
/// isolation and restores a whole-table snapshot on a failed condition, so a race there tests
/// moto, not us; against moto only [`run_sequential_cases`] runs.
pub async fn run_race_cases(table: Arc<dyn Table>) {
    racing_conditional_creates_have_exactly_one_winner(Arc::clone(&table)).await;
    racing_versioned_increments_lose_no_update(Arc::clone(&table)).await;
    racing_transactions_have_exactly_one_winner(table).await;
}

/// Every case that does not race.
pub async fn run_sequential_cases(t: &dyn Table) {
    ready_answers(t).await;
    get_of_missing_item_is_none(t).await;
    put_then_get_round_trips_every_value_type(t).await;
    put_if_not_exists_creates_once(t).await;
    put_with_version_condition_is_optimistic_concurrency(t).await;
    update_creates_sets_removes_adds_and_returns_the_new_item(t).await;
    failed_conditions_change_nothing(t).await;
    delete_returns_the_old_item_and_is_idempotent(t).await;
    expiry_condition_allows_taking_over_an_expired_lock(t).await;
    query_pages_by_prefix_in_order_both_ways(t).await;
    query_stays_inside_its_partition(t).await;
    foreign_or_garbled_cursor_is_rejected(t).await;
    transaction_applies_all_writes(t).await;
    transaction_with_one_failed_condition_writes_nothing_and_names_it(t).await;
    transaction_shape_rules(t).await;
    invalid_input_is_rejected_and_writes_nothing(t).await;
}

/// `ready` succeeds on a reachable backend.
pub async fn ready_answers(t: &dyn Table) {
    t.ready().await.expect("ready");
}

/// Reading a missing item is `None`, not an error.
pub async fn get_of_missing_item_is_none(t: &dyn Table) {
    assert_eq!(t.get(&Key::new(pk(), "nothing")).await.expect("get"), None);
}

/// Every JSON value type survives a round trip unchanged.
pub async fn put_then_get_round_trips_every_value_type(t: &dyn Table) {
    let key = Key::new(pk(), "DOC#1");
    let item = Item::new(key.clone())
        .with("s", "héllo ✓")
        .with("empty", "")
        .with("i", 42)
        .with("neg", -7_000_000_000_i64)
        .with("f", 1.5)
        .with("t", true)
        .with("n", json!(null))
        .with("l", json!([1, "two", false, {"x": 3}]))
        .with("m", json!({"a": {"b": [1, 2]}, "c": "d"}));
    t.put(item.clone(), None).await.expect("put");
    let got = t.get(&key).await.expect("get").expect("item exists");
    assert_eq!(got, item, "item must round-trip unchanged");
}

/// `NotExists` makes a put a create: the second one fails and leaves the first intact.
pub async fn put_if_not_exists_creates_once(t: &dyn Table) {
    let key = Key::new(pk(), "LOCK");
    t.put(
        Item::new(key.clone()).with("owner", "a"),
        Some(Condition::NotExists),
    )
    .await
    .expect("first create");
    let second = t
        .put(
            Item::new(key.clone()).with("owner", "b"),
            Some(Condition::NotExists),
        )
        .await;
    assert_eq!(second, Err(StoreError::ConditionFailed));
    let got = t.get(&key).await.expect("get").expect("exists");
    assert_eq!(got.get_str("owner"), Some("a"));
}

/// A write conditioned on `ver` succeeds only against that version.
pub async fn put_with_version_condition_is_optimistic_concurrency(t: &dyn Table) {
    let key = Key::new(pk(), "DOC");
    t.put(
        Item::new(key.clone()).with("ver", 1).with("name", "a"),
        None,
    )
    .await
    .expect("put v1");
    t.put(
        Item::new(key.clone()).with("ver", 2).with("name", "b"),
        Some(Condition::version_is(1)),
    )
    .await
    .expect("v1 -> v2");
    let stale = t
        .put(
            Item::new(key.clone()).with("ver", 2).with("name", "c"),
            Some(Condition::version_is(1)),
        )
        .await;
    assert_eq!(
        stale,
        Err(StoreError::ConditionFailed),
        "a stale version must lose"
    );
    let got = t.get(&key).await.expect("get").expect("exists");
    assert_eq!(got.get_str("name"), Some("b"));
    assert_eq!(got.get_i64("ver"), Some(2));
}

/// Update behaves as DynamoDB's `UpdateItem`.
pub async fn update_creates_sets_removes_adds_and_returns_the_new_item(t: &dyn Table) {
    let key = Key::new(pk(), "COUNTER");
    let created = t
        .update(
            &key,
            Update::new().set("a", "x").set("gone", 1).add("n", 5),
            None,
        )
        .await
        .expect("update creates");
    assert_eq!(created.get_str("a"), Some("x"));
    assert_eq!(created.get_i64("n"), Some(5));
    let after = t
        .update(
            &key,
            Update::new().remove("gone").add("n", -2),
            Some(Condition::Exists),
        )
        .await
        .expect("second update");
    assert_eq!(after.get_i64("n"), Some(3));
    assert_eq!(after.get("gone"), None);
    assert_eq!(after.key, key);
    assert_eq!(t.get(&key).await.expect("get"), Some(after));
}

/// A failed condition on update or delete leaves everything as it was.
pub async fn failed_conditions_change_nothing(t: &dyn Table) {
    let missing = Key::new(pk(), "NOPE");
    let r = t
        .update(&missing, Update::new().set("a", 1), Some(Condition::Exists))
        .await;
    assert_eq!(r, Err(StoreError::ConditionFailed));
    assert_eq!(
        t.get(&missing).await.expect("get"),
        None,
        "a failed update must not create"
    );

    let key = Key::new(pk(), "KEEP");
    t.put(Item::new(key.clone()).with("ver", 3), None)
        .await
        .expect("put");
    let r = t
        .update(
            &key,
            Update::new().set("x", 1),
            Some(Condition::version_is(2)),
        )
        .await;
    assert_eq!(r, Err(StoreError::ConditionFailed));
    let r = t.delete(&key, Some(Condition::version_is(2))).await;
    assert_eq!(r, Err(StoreError::ConditionFailed));
    let got = t.get(&key).await.expect("get").expect("still there");
    assert_eq!(got, Item::new(key).with("ver", 3));
}

/// Delete hands back the old item; deleting again is fine.
pub async fn delete_returns_the_old_item_and_is_idempotent(t: &dyn Table) {
    let key = Key::new(pk(), "GONE");
    let item = Item::new(key.clone()).with("v", 1);
    t.put(item.clone(), None).await.expect("put");
    assert_eq!(
        t.delete(&key, Some(Condition::Exists))
            .await
            .expect("delete"),
        Some(item)
    );
    assert_eq!(t.get(&key).await.expect("get"), None);
    assert_eq!(t.delete(&key, None).await.expect("delete again"), None);
    assert_eq!(
        t.delete(&key, Some(Condition::Exists)).await,
        Err(StoreError::ConditionFailed)
    );
}

/// The WOPI lock pattern: take a lock if there is none, if it expired, or if it is ours.
pub async fn expiry_condition_allows_taking_over_an_expired_lock(t: &dyn Table) {
    let key = Key::new(pk(), "LOCK");
    let take = |who: &str, now: i64| {
        (
            Item::new(key.clone())
                .with("lock_id", who)
                .with("expires_at", now + 30 * 60_000),
            Condition::NotExists
                .or(Condition::expired("expires_at", now))
                .or(Condition::Equals("lock_id".into(), json!(who))),
        )
    };
    let t0 = 1_700_000_000_000_i64;
    let (i, c) = take("A", t0);
    t.put(i, Some(c)).await.expect("A locks");
    let (i, c) = take("B", t0 + 60_000);
    assert_eq!(
        t.put(i, Some(c)).await,
        Err(StoreError::ConditionFailed),
        "B must wait"
    );
    let (i, c) = take("A", t0 + 60_000);
    t.put(i, Some(c)).await.expect("A refreshes its own lock");
    let (i, c) = take("B", t0 + 60_000 + 30 * 60_000 + 1);
    t.put(i, Some(c)).await.expect("B takes the expired lock");
    let got = t.get(&key).await.expect("get").expect("lock");
    assert_eq!(got.get_str("lock_id"), Some("B"));
}

async fn collect_pages(t: &dyn Table, q: Query) -> Vec<String> {
    let mut out = Vec::new();
    let mut q = q;
    for _ in 0..100 {
        let page = t.query(&q).await.expect("query");
        assert!(page.items.len() <= q.limit, "page larger than its limit");
        out.extend(page.items.iter().map(|i| i.key.sk.clone()));
        match page.next {
            Some(c) => q = q.after(Some(c)),
            None => return out,
        }
    }
    panic!("paging did not end");
}

/// Prefix queries page through every match exactly once, in byte order, both directions.
pub async fn query_pages_by_prefix_in_order_both_ways(t: &dyn Table) {
    let p = pk();
    let mut expected = Vec::new();
    for i in 0..23 {
        let sk = format!("DOC#{i:03}");
        t.put(Item::new(Key::new(&p, &sk)).with("i", i), None)
            .await
            .expect("put");
        expected.push(sk);
    }
    for sk in ["DOB#1", "DOD#1", "USER#1", "DOC", "doc#1"] {
        t.put(Item::new(Key::new(&p, sk)), None)
            .await
            .expect("put other");
    }
    let got = collect_pages(t, Query::partition(&p).prefix("DOC#").limit(5)).await;
    assert_eq!(got, expected, "ascending pages");
    let got = collect_pages(t, Query::partition(&p).prefix("DOC#").limit(7).descending()).await;
    let mut rev = expected.clone();
    rev.reverse();
    assert_eq!(got, rev, "descending pages");
    let all = collect_pages(t, Query::partition(&p).limit(1000)).await;
    assert_eq!(all.len(), 28);
    let mut sorted = all.clone();
    sorted.sort_by(|a, b| a.as_bytes().cmp(b.as_bytes()));
    assert_eq!(all, sorted, "sort keys come in byte order");
    let none = t
        .query(&Query::partition(&p).prefix("ZZZ"))
        .await
        .expect("query");
    assert!(none.items.is_empty() && none.next.is_none());
}

/// A partition whose key is a prefix of another's does not leak into it.
pub async fn query_stays_inside_its_partition(t: &dyn Table) {
    let p = pk();
    let longer = format!("{p}0");
    t.put(Item::new(Key::new(&p, "A")), None)
        .await
        .expect("put");
    t.put(Item::new(Key::new(&longer, "A")), None)
        .await
        .expect("put");
    let page = t.query(&Query::partition(&p)).await.expect("query");
    assert_eq!(page.items.len(), 1);
    assert_eq!(page.items[0].key.pk, p);
}

/// Cursors are bound to their query.
pub async fn foreign_or_garbled_cursor_is_rejected(t: &dyn Table) {
    let a = pk();
    for sk in ["X#1", "X#2", "X#3"] {
        t.put(Item::new(Key::new(&a, sk)), None).await.expect("put");
    }
    let page = t
        .query(&Query::partition(&a).limit(1))
        .await
        .expect("query");
    let cursor = page.next.expect("more pages");
    let other = t
        .query(&Query::partition(pk()).after(Some(cursor.clone())))
        .await;
    assert_eq!(other, Err(StoreError::InvalidCursor));
    let other_prefix = t
        .query(&Query::partition(&a).prefix("Y#").after(Some(cursor)))
        .await;
    assert_eq!(other_prefix, Err(StoreError::InvalidCursor));
    let garbage = t
        .query(&Query::partition(&a).after(Some(Cursor::from_string("%%%"))))
        .await;
    assert_eq!(garbage, Err(StoreError::InvalidCursor));
}

/// A successful transaction applies every kind of write.
pub async fn transaction_applies_all_writes(t: &dyn Table) {
    let p = pk();
    let (k1, k2, k3, k4) = (
        Key::new(&p, "1"),
        Key::new(&p, "2"),
        Key::new(&p, "3"),
        Key::new(&p, "4"),
    );
    t.put(Item::new(k2.clone()).with("n", 1), None)
        .await
        .expect("put");
    t.put(Item::new(k3.clone()), None).await.expect("put");
    t.put(Item::new(k4.clone()).with("ok", true), None)
        .await
        .expect("put");
    t.transact(vec![
        WriteOp::Put {
            item: Item::new(k1.clone()).with("new", 1),
            condition: Some(Condition::NotExists),
        },
        WriteOp::Update {
            key: k2.clone(),
            update: Update::new().add("n", 1),
            condition: Some(Condition::Exists),
        },
        WriteOp::Delete {
            key: k3.clone(),
            condition: Some(Condition::Exists),
        },
        WriteOp::Check {
            key: k4,
            condition: Condition::Equals("ok".into(), json!(true)),
        },
    ])
    .await
    .expect("transaction");
    assert_eq!(
        t.get(&k1)
            .await
            .expect("get")
            .and_then(|i| i.get_i64("new")),
        Some(1)
    );
    assert_eq!(
        t.get(&k2).await.expect("get").and_then(|i| i.get_i64("n")),
        Some(2)
    );
    assert_eq!(t.get(&k3).await.expect("get"), None);
}

/// One failed condition cancels the whole transaction, and the error names the failed op.
pub async fn transaction_with_one_failed_condition_writes_nothing_and_names_it(t: &dyn Table) {
    let p = pk();
    let (k1, k2, k3) = (Key::new(&p, "1"), Key::new(&p, "2"), Key::new(&p, "3"));
    t.put(Item::new(k2.clone()).with("ver", 5), None)
        .await
        .expect("put");
    t.put(Item::new(k3.clone()).with("keep", 1), None)
        .await
        .expect("put");
    let r = t
        .transact(vec![
            WriteOp::Put {
                item: Item::new(k1.clone()),
                condition: Some(Condition::NotExists),
            },
            WriteOp::Update {
                key: k2.clone(),
                update: Update::new().set("ver", 6),
                condition: Some(Condition::version_is(4)),
            },
            WriteOp::Delete {
                key: k3.clone(),
                condition: None,
            },
        ])
        .await;
    assert_eq!(r, Err(StoreError::TransactionCanceled { failed: vec![1] }));
    assert_eq!(t.get(&k1).await.expect("get"), None, "no partial write");
    assert_eq!(
        t.get(&k2)
            .await
            .expect("get")
            .and_then(|i| i.get_i64("ver")),
        Some(5)
    );
    assert!(
        t.get(&k3).await.expect("get").is_some(),
        "delete rolled back"
    );
}

/// Too many operations, none, or two on one item are refused up front.
pub async fn transaction_shape_rules(t: &dyn Table) {
    let p = pk();
    let ops: Vec<WriteOp> = (0..26)
        .map(|i| WriteOp::Put {
            item: Item::new(Key::new(&p, format!("{i}"))),
            condition: None,
        })
        .collect();
    assert!(matches!(t.transact(ops).await, Err(StoreError::Invalid(_))));
    assert!(matches!(
        t.transact(vec![]).await,
        Err(StoreError::Invalid(_))
    ));
    let k = Key::new(&p, "dup");
    let dup = vec![
        WriteOp::Put {
            item: Item::new(k.clone()),
            condition: None,
        },
        WriteOp::Delete {
            key: k.clone(),
            condition: None,
        },
    ];
    assert!(matches!(t.transact(dup).await, Err(StoreError::Invalid(_))));
    let page = t.query(&Query::partition(&p)).await.expect("query");
    assert!(page.items.is_empty(), "refused transactions write nothing");
    let ops: Vec<WriteOp> = (0..25)
        .map(|i| WriteOp::Put {
            item: Item::new(Key::new(&p, format!("{i:02}"))),
            condition: None,
        })
        .collect();
    t.transact(ops).await.expect("25 operations are allowed");
    let page = t
        .query(&Query::partition(&p).limit(100))
        .await
        .expect("query");
    assert_eq!(page.items.len(), 25);
}

/// Bad keys, reserved names and bad page sizes are errors, and write nothing.
pub async fn invalid_input_is_rejected_and_writes_nothing(t: &dyn Table) {
    let p = pk();
    assert!(matches!(
        t.put(Item::new(Key::new("", "x")), None).await,
        Err(StoreError::Invalid(_))
    ));
    assert!(matches!(
        t.get(&Key::new(&p, "")).await,
        Err(StoreError::Invalid(_))
    ));
    let reserved = Item::new(Key::new(&p, "r")).with("pk", "other");
    assert!(matches!(
        t.put(reserved, None).await,
        Err(StoreError::Invalid(_))
    ));
    let twice = Update::new().set("a", 1).add("a", 1);
    assert!(matches!(
        t.update(&Key::new(&p, "u"), twice, None).await,
        Err(StoreError::Invalid(_))
    ));
    let big = Item::new(Key::new(&p, "big")).with("b", "x".repeat(crate::item::MAX_ITEM_BYTES + 1));
    assert!(matches!(
        t.put(big, None).await,
        Err(StoreError::Invalid(_))
    ));
    assert!(matches!(
        t.query(&Query::partition(&p).limit(0)).await,
        Err(StoreError::Invalid(_))
    ));
    assert!(
        t.query(&Query::partition(&p))
            .await
            .expect("query")
            .items
            .is_empty()
    );
}

/// Many tasks race to create the same item: exactly one wins.
pub async fn racing_conditional_creates_have_exactly_one_winner(table: Arc<dyn Table>) {
    let key = Key::new(pk(), "RACE");
    let mut tasks = Vec::new();
    for i in 0..32 {
        let table = Arc::clone(&table);
        let key = key.clone();
        tasks.push(tokio::spawn(async move {
            table
                .put(Item::new(key).with("winner", i), Some(Condition::NotExists))
                .await
        }));
    }
    let mut wins = Vec::new();
    for (i, task) in tasks.into_iter().enumerate() {
        match task.await.expect("task") {
            Ok(()) => wins.push(i),
            Err(StoreError::ConditionFailed) => {}
            Err(e) => panic!("unexpected error in race: {e}"),
        }
    }
    assert_eq!(wins.len(), 1, "exactly one create wins, got {wins:?}");
    let got = table.get(&key).await.expect("get").expect("exists");
    assert_eq!(got.get_i64("winner"), i64::try_from(wins[0]).ok());
}

/// Read-modify-write with a version condition and retry: concurrent increments are all kept.
pub async fn racing_versioned_increments_lose_no_update(table: Arc<dyn Table>) {
    let key = Key::new(pk(), "COUNTER");
    table
        .put(Item::new(key.clone()).with("ver", 0).with("count", 0), None)
        .await
        .expect("put");
    let mut tasks = Vec::new();
    for _ in 0..8 {
        let table = Arc::clone(&table);
        let key = key.clone();
        tasks.push(tokio::spawn(async move {
            for _ in 0..5 {
                loop {
                    let cur = table.get(&key).await.expect("get").expect("exists");
                    let ver = cur.get_i64("ver").expect("ver");
                    let count = cur.get_i64("count").expect("count");
                    let next = Item::new(key.clone())
                        .with("ver", ver + 1)
                        .with("count", count + 1);
                    match table.put(next, Some(Condition::version_is(ver))).await {
                        Ok(()) => break,
                        Err(StoreError::ConditionFailed) => continue,
                        Err(e) => panic!("unexpected error: {e}"),
                    }
                }
            }
        }));
    }
    for t in tasks {
        t.await.expect("task");
    }
    let got = table.get(&key).await.expect("get").expect("exists");
    assert_eq!(got.get_i64("count"), Some(40), "no increment may be lost");
    assert_eq!(got.get_i64("ver"), Some(40));
}

/// Two-item transactions race for the same pair of items: exactly one wins, and both of its
/// writes land together.
pub async fn racing_transactions_have_exactly_one_winner(table: Arc<dyn Table>) {
    let p = pk();
    let (a, b) = (Key::new(&p, "A"), Key::new(&p, "B"));
    let mut tasks = Vec::new();
    for i in 0..16 {
        let table = Arc::clone(&table);
        let (a, b) = (a.clone(), b.clone());
        tasks.push(tokio::spawn(async move {
            table
                .transact(vec![
                    WriteOp::Put {
                        item: Item::new(a).with("by", i),
                        condition: Some(Condition::NotExists),
                    },
                    WriteOp::Put {
                        item: Item::new(b).with("by", i),
                        condition: Some(Condition::NotExists),
                    },
                ])
                .await
        }));
    }
    let mut wins = 0;
    for task in tasks {
        match task.await.expect("task") {
            Ok(()) => wins += 1,
            Err(StoreError::TransactionCanceled { .. }) => {}
            // DynamoDB may also cancel a racing transaction for a conflict; it wrote nothing.
            Err(StoreError::Backend(m))
                if m.contains("TransactionCanceled") || m.contains("Conflict") => {}
            Err(e) => panic!("unexpected error in race: {e}"),
        }
    }
    assert_eq!(wins, 1, "exactly one transaction wins");
    let ia = table.get(&a).await.expect("get").expect("A");
    let ib = table.get(&b).await.expect("get").expect("B");
    assert_eq!(ia.get("by"), ib.get("by"), "the winner wrote both items");
}
