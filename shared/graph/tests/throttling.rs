//! The per-mailbox budget keeps the client inside Outlook's limits; injected 429s are waited out.
#![allow(clippy::unwrap_used)]

mod common;

use std::collections::HashSet;
use std::time::{Duration, Instant};

use bridge_graph::{GraphError, MailboxLimits, RetryPolicy};
use common::{setup, setup_with};
use graph_emulator::EmulatorConfig;
use serde_json::{Value, json};

fn names(contacts: &[Value]) -> HashSet<String> {
    contacts
        .iter()
        .map(|c| c["displayName"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_thousand_contacts_in_one_mailbox_stay_within_outlooks_limits() {
    const N: usize = 2_000;
    const TASKS: usize = 32;
    let limits = MailboxLimits {
        max_concurrency: 4,
        requests_per_window: 400,
        window: Duration::from_secs(2),
    };
    let s = setup_with(
        EmulatorConfig {
            max_concurrency: limits.max_concurrency,
            rate_limit: limits.requests_per_window,
            rate_window: limits.window,
            mailbox_latency: Duration::from_millis(2),
            ..EmulatorConfig::default()
        },
        |c| c.limits = limits,
    )
    .await;
    let mut set = tokio::task::JoinSet::new();
    for t in 0..TASKS {
        let c = s.client.clone();
        let user = s.user.id.clone();
        set.spawn(async move {
            for i in (t..N).step_by(TASKS) {
                c.create_contact(&user, None, &json!({ "displayName": format!("c-{i}") }))
                    .await
                    .unwrap();
            }
        });
    }
    while let Some(r) = set.join_next().await {
        r.unwrap();
    }
    let contacts = s.emu.contacts(&s.user.id, None).unwrap();
    assert_eq!(contacts.len(), N);
    let expected: HashSet<String> = (0..N).map(|i| format!("c-{i}")).collect();
    assert_eq!(names(&contacts), expected, "each contact exactly once");
    assert_eq!(s.emu.throttled_count(&s.user.id), 0, "never throttled");
    assert!(s.emu.max_concurrency_seen(&s.user.id) <= 4);
    assert_eq!(s.emu.request_count(&s.user.id), N as u64);
}

#[tokio::test]
async fn injected_429s_are_waited_out_and_every_contact_is_created_once() {
    const N: usize = 12;
    const RETRY_AFTER: u64 = 1;
    let s = setup(EmulatorConfig::default()).await;
    s.emu.inject_429s(&s.user.id, 3, RETRY_AFTER).unwrap();
    let start = Instant::now();
    let mut set = tokio::task::JoinSet::new();
    for i in 0..N {
        let c = s.client.clone();
        let user = s.user.id.clone();
        set.spawn(async move {
            c.create_contact(&user, None, &json!({ "displayName": format!("c-{i}") }))
                .await
        });
    }
    while let Some(r) = set.join_next().await {
        r.unwrap().unwrap();
    }
    let elapsed = start.elapsed();
    assert!(
        elapsed >= Duration::from_secs(RETRY_AFTER),
        "the client waited {elapsed:?}, less than Retry-After"
    );
    let contacts = s.emu.contacts(&s.user.id, None).unwrap();
    assert_eq!(contacts.len(), N);
    assert_eq!(names(&contacts).len(), N, "no duplicates");
    assert_eq!(s.emu.throttled_count(&s.user.id), 3);
}

#[tokio::test]
async fn each_retry_waits_at_least_retry_after() {
    let s = setup(EmulatorConfig::default()).await;
    s.emu.inject_429s(&s.user.id, 2, 1).unwrap();
    let start = Instant::now();
    s.client.list_contacts(&s.user.id, None).await.unwrap();
    assert!(
        start.elapsed() >= Duration::from_secs(2),
        "two 429s of 1 s each"
    );
    assert_eq!(s.emu.request_count(&s.user.id), 3);
}

#[tokio::test]
async fn retries_are_bounded_and_end_in_throttled() {
    let s = setup_with(EmulatorConfig::default(), |c| {
        c.retry = RetryPolicy {
            max_retries: 1,
            ..RetryPolicy::default()
        }
    })
    .await;
    s.emu.inject_429s(&s.user.id, 10, 1).unwrap();
    let err = s
        .client
        .create_contact(&s.user.id, None, &json!({"displayName": "x"}))
        .await
        .unwrap_err();
    assert_eq!(
        err,
        GraphError::Throttled {
            retry_after: Duration::from_secs(1)
        }
    );
    assert_eq!(s.emu.request_count(&s.user.id), 2);
    assert!(s.emu.contacts(&s.user.id, None).unwrap().is_empty());
}
