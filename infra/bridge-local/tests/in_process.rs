//! `bridge-local` started in-process: queue consumers, health of a broken dependency, and the
//! AWS adapters against moto.

#![allow(clippy::unwrap_used)] // test helpers outside #[test] fns

mod common;

use std::time::Duration;

use bridge_platform::messages::{Message, ping_key};
use bridge_platform::{Config, QueueName, Storage};
use bridge_queue::OutgoingMessage;

fn embedded(dir: &std::path::Path) -> Config {
    let mut c = Config::from_lookup(|_| None).unwrap();
    c.storage = Storage::Embedded {
        data_dir: dir.to_path_buf(),
    };
    c
}

async fn wait_for_ping(running: &bridge_local::Running, part: &str, id: &str) {
    for _ in 0..200 {
        if running
            .adapters
            .table
            .get(&ping_key(part, id))
            .await
            .unwrap()
            .is_some()
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("{part} did not process ping {id}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_consumer_processes_its_queue_in_process() {
    let dir = tempfile::tempdir().unwrap();
    let running = bridge_local::start(&embedded(dir.path()), "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    for (q, part) in [
        (QueueName::Sync, "sync-batch"),
        (QueueName::Mail, "mailer"),
        (QueueName::Subscriptions, "subscriptions"),
    ] {
        let body = Message::Ping {
            id: format!("p-{part}"),
        }
        .to_body();
        running
            .adapters
            .queue(q)
            .unwrap()
            .send(OutgoingMessage::new(body))
            .await
            .unwrap();
        wait_for_ping(&running, part, &format!("p-{part}")).await;
        let stats = running.adapters.queue(q).unwrap().stats().await.unwrap();
        assert_eq!(
            (stats.visible, stats.in_flight),
            (0, 0),
            "acked after processing"
        );
    }
    running.shutdown();
    running.wait().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_message_no_consumer_understands_is_not_acked() {
    let dir = tempfile::tempdir().unwrap();
    let running = bridge_local::start(&embedded(dir.path()), "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let q = running.adapters.queue(QueueName::Mail).unwrap();
    q.send(OutgoingMessage::new(r#"{"kind":"unheard_of"}"#))
        .await
        .unwrap();
    // A later good message is processed, while the bad one stays for redelivery / dead-letter.
    q.send(OutgoingMessage::new(
        Message::Ping { id: "after".into() }.to_body(),
    ))
    .await
    .unwrap();
    wait_for_ping(&running, "mailer", "after").await;
    let stats = q.stats().await.unwrap();
    assert_eq!(
        stats.visible + stats.in_flight,
        1,
        "the unknown message is kept, not dropped"
    );
    running.shutdown();
    running.wait().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn healthz_is_503_when_storage_breaks() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let running = bridge_local::start(&embedded(&data), "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let base = format!("http://{}", running.addr);
    let http = reqwest::Client::new();
    assert_eq!(
        http.get(format!("{base}/healthz"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    std::fs::remove_dir_all(data.join("blobs")).unwrap();
    let r = http.get(format!("{base}/healthz")).send().await.unwrap();
    assert_eq!(r.status(), 503);
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(body["status"], "unavailable");
    let r = http
        .get(format!("{base}/health/wopi-contents"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 503);
    let r = http
        .get(format!("{base}/health/graph-webhook"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.status(),
        200,
        "a function that does not use blobs stays healthy"
    );
    running.shutdown();
    running.wait().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn runs_on_the_aws_adapters_against_moto() {
    let Some(adapters) = common::moto_adapters(false).await else {
        return;
    };
    let running = bridge_local::start_with(adapters, "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let r = reqwest::get(format!("http://{}/healthz", running.addr))
        .await
        .unwrap();
    let status = r.status();
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(status, 200, "{body}");
    running
        .adapters
        .queue(QueueName::Sync)
        .unwrap()
        .send(OutgoingMessage::new(
            Message::Ping { id: "aws".into() }.to_body(),
        ))
        .await
        .unwrap();
    wait_for_ping(&running, "sync-batch", "aws").await;
    running.shutdown();
    running.wait().await.unwrap();
}
