//! Webhook receipt latency: Graph change notifications POSTed to bridge-local's
//! `/graph/notifications` at a fixed rate (open loop: each request starts on its tick whether or
//! not earlier ones finished, so a slow answer cannot hide the ones queued behind it), over
//! loopback, against a valid subscription record. Prints p50/p99/max and how many sync messages
//! were queued. Figures, not assertions: Graph counts an answer slower than 2.9 s as slow.
//!
//!   cargo bench -p bridge-local --bench webhook            # 200 notifications/s for 10 s
//!   BENCH_RATE=500 BENCH_SECONDS=5 cargo bench -p bridge-local --bench webhook
//!
//! bridge-local runs in this process on embedded storage (SQLite table and queue), with its
//! consumers running too: the sync consumer receives each queued message (and, until sync-batch
//! handles them, leaves it unacknowledged), which is load the webhook shares the cores with.

#![allow(clippy::unwrap_used)]

use std::time::{Duration, Instant};

use bridge_graph_subs::{GraphResource, SubscriptionRecord, client_state_sha256, put_record};
use bridge_platform::{Config, QueueName, Storage};
use serde_json::json;

const CLIENT_STATE: &str = "bench-client-state-0123456789abcdef";
const SUBSCRIPTION: &str = "bench-subscription";
const MAILBOX: &str = "6e7b768e-07e2-4810-8459-485f84f8f204";

fn env_u64(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .filter(|n| *n > 0)
        .unwrap_or(default)
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn notification(i: u64) -> String {
    json!({ "value": [{
        "subscriptionId": SUBSCRIPTION,
        "subscriptionExpirationDateTime": "2030-01-01T00:00:00Z",
        "changeType": "updated",
        "clientState": CLIENT_STATE,
        "tenantId": "bench-tenant",
        "resource": format!("Users/{MAILBOX}/Contacts/c{i}"),
        "resourceData": {
            "@odata.type": "#Microsoft.Graph.Contact",
            "@odata.id": format!("Users/{MAILBOX}/Contacts/c{i}"),
            "@odata.etag": format!("W/\"{i}\""),
            "id": format!("c{i}"),
        }
    }]})
    .to_string()
}

#[tokio::main]
async fn main() {
    let rate = env_u64("BENCH_RATE", 200);
    let seconds = env_u64("BENCH_SECONDS", 10);
    let total = rate * seconds;

    let dir = tempfile::tempdir().unwrap();
    let mut config = Config::from_lookup(|_| None).unwrap();
    config.storage = Storage::Embedded {
        data_dir: dir.path().to_path_buf(),
    };
    let running = bridge_local::start(&config, "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let record = SubscriptionRecord {
        subscription_id: SUBSCRIPTION.into(),
        tenant_id: running.demo.tenant.id.0,
        user_id: running.demo.user.id.0,
        mailbox: MAILBOX.into(),
        resource: GraphResource::Contacts,
        client_state_sha256: client_state_sha256(CLIENT_STATE),
        expires_at_ms: i64::MAX / 2,
    };
    put_record(running.adapters.table.as_ref(), &record)
        .await
        .unwrap();
    let url = format!("http://{}/graph/notifications", running.addr);
    let http = reqwest::Client::new();

    // Warm-up: connections, SQLite caches.
    for i in 0..50 {
        let r = http
            .post(&url)
            .header("content-type", "application/json")
            .body(notification(i))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 202);
    }
    let sync = running.adapters.queue(QueueName::Sync).unwrap();
    let warm = sync.stats().await.unwrap();
    let warm_queued = warm.visible + warm.in_flight;

    let mut ticks = tokio::time::interval(Duration::from_secs_f64(1.0 / rate as f64));
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
    let started = Instant::now();
    let mut tasks = Vec::with_capacity(total as usize);
    for i in 0..total {
        ticks.tick().await;
        let (http, url, body) = (http.clone(), url.clone(), notification(1000 + i));
        tasks.push(tokio::spawn(async move {
            let t0 = Instant::now();
            let status = http
                .post(&url)
                .header("content-type", "application/json")
                .body(body)
                .send()
                .await
                .map(|r| r.status().as_u16())
                .unwrap_or(0);
            (t0.elapsed(), status)
        }));
    }
    let sent_in = started.elapsed();
    let mut latencies = Vec::with_capacity(tasks.len());
    let mut accepted = 0u64;
    let mut other = 0u64;
    for t in tasks {
        let (d, status) = t.await.unwrap();
        latencies.push(d);
        if status == 202 {
            accepted += 1;
        } else {
            other += 1;
        }
    }
    let wall = started.elapsed();
    latencies.sort();
    let stats = sync.stats().await.unwrap();
    let queued = stats.visible + stats.in_flight - warm_queued;

    println!("webhook receipt: POST /graph/notifications, 1 notification per request, loopback");
    println!(
        "  offered: {rate}/s for {seconds} s = {total} requests (sent in {:.2} s, all answered in {:.2} s)",
        sent_in.as_secs_f64(),
        wall.as_secs_f64()
    );
    println!("  answers: {accepted} x 202, {other} other");
    println!(
        "  latency: p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        ms(percentile(&latencies, 50.0)),
        ms(percentile(&latencies, 99.0)),
        ms(latencies.last().copied().unwrap_or_default())
    );
    println!(
        "  sync messages queued: {queued} (queue now: {} visible, {} in flight)",
        stats.visible, stats.in_flight
    );
    running.shutdown();
    running.wait().await.unwrap();
}
