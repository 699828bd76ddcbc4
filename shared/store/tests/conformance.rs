//! The table conformance suite against every adapter.

use std::sync::Arc;

use bridge_store::dynamo::DynamoTable;
use bridge_store::memory::MemoryTable;
use bridge_store::sqlite::SqliteTable;
use bridge_store::{Table, conformance};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn memory_table_conforms() {
    conformance::run_all(Arc::new(MemoryTable::new())).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_in_memory_table_conforms() {
    conformance::run_all(Arc::new(SqliteTable::in_memory().unwrap())).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_file_table_conforms_and_keeps_data_across_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("state.db");
    let table = Arc::new(SqliteTable::open(&path).unwrap());
    conformance::run_all(table.clone()).await;
    let key = bridge_store::Key::new("T#persist", "X");
    table
        .put(bridge_store::Item::new(key.clone()).with("v", 1), None)
        .await
        .unwrap();
    drop(table);
    let reopened = SqliteTable::open(&path).unwrap();
    assert_eq!(
        reopened
            .get(&key)
            .await
            .unwrap()
            .and_then(|i| i.get_i64("v")),
        Some(1)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_sqlite_handles_on_one_file_race_with_exactly_one_winner() {
    // bridge-local and bridge-admin may open the same file: conditions must hold across handles.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("state.db");
    let a: Arc<dyn Table> = Arc::new(SqliteTable::open(&path).unwrap());
    let b: Arc<dyn Table> = Arc::new(SqliteTable::open(&path).unwrap());
    let key = bridge_store::Key::new("T#x", "LOCK");
    let mut tasks = Vec::new();
    for i in 0..20 {
        let t = if i % 2 == 0 { a.clone() } else { b.clone() };
        let key = key.clone();
        tasks.push(tokio::spawn(async move {
            t.put(
                bridge_store::Item::new(key),
                Some(bridge_store::Condition::NotExists),
            )
            .await
        }));
    }
    let mut wins = 0;
    for t in tasks {
        if t.await.unwrap().is_ok() {
            wins += 1;
        }
    }
    assert_eq!(wins, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dynamodb_table_conforms_against_moto() {
    let Some(moto) = test_support::moto() else {
        return;
    };
    let cfg = moto.sdk_config().await;
    let client = aws_sdk_dynamodb::Client::new(&cfg);
    let name = test_support::unique_name("table");
    DynamoTable::create_table(&client, &name).await.unwrap();
    // Sequential cases only: moto does not isolate concurrent transactions (see
    // `conformance::run_race_cases`); the race cases run against memory and SQLite here and
    // belong in a test against real DynamoDB.
    conformance::run_sequential_cases(&DynamoTable::new(client, name)).await;
}
