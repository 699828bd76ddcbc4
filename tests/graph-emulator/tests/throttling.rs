//! Outlook throttling: 4 concurrent requests per app per mailbox, a request window, injected 429s.
#![allow(clippy::unwrap_used)]

mod common;

use std::time::Duration;

use common::fixture;
use graph_emulator::EmulatorConfig;
use serde_json::Value;

#[tokio::test]
async fn fifth_concurrent_request_on_a_mailbox_gets_429() {
    let f = fixture(EmulatorConfig {
        mailbox_latency: Duration::from_millis(400),
        ..EmulatorConfig::default()
    })
    .await;
    let url = f.url(&format!("/users/{}/contacts", f.user.id));
    let mut set = tokio::task::JoinSet::new();
    for _ in 0..8 {
        let req = f.http.get(&url).bearer_auth(&f.token);
        set.spawn(async move {
            let r = req.send().await.unwrap();
            let retry = r
                .headers()
                .get("retry-after")
                .map(|v| v.to_str().unwrap().parse::<u64>().unwrap());
            let status = r.status().as_u16();
            let body: Value = r.json().await.unwrap();
            (status, retry, body)
        });
    }
    let mut ok = 0;
    let mut throttled = 0;
    while let Some(res) = set.join_next().await {
        let (status, retry, body) = res.unwrap();
        match status {
            200 => ok += 1,
            429 => {
                throttled += 1;
                assert!(retry.unwrap() >= 1);
                assert_eq!(body["error"]["code"], "ApplicationThrottled");
                assert!(
                    body["error"]["message"]
                        .as_str()
                        .unwrap()
                        .contains("MailboxConcurrency")
                );
            }
            s => panic!("unexpected status {s}"),
        }
    }
    assert_eq!(ok + throttled, 8);
    assert!(throttled >= 1, "8 overlapping requests must hit the limit");
    assert!(ok >= 4);
    let u = &f.user.id;
    assert_eq!(f.emu.max_concurrency_seen(u), 4);
    assert_eq!(f.emu.throttled_count(u), throttled);
    assert_eq!(f.emu.request_count(u), 8);
    // non-mailbox calls are not counted
    f.get("/users").send().await.unwrap();
    assert_eq!(f.emu.request_count(u), 8);
}

#[tokio::test]
async fn request_window_limit_answers_429_until_the_window_frees() {
    let f = fixture(EmulatorConfig {
        rate_limit: 5,
        rate_window: Duration::from_secs(2),
        ..EmulatorConfig::default()
    })
    .await;
    let path = format!("/users/{}/contacts", f.user.user_principal_name);
    for _ in 0..5 {
        assert_eq!(f.get(&path).send().await.unwrap().status(), 200);
    }
    let r = f.get(&path).send().await.unwrap();
    assert_eq!(r.status(), 429);
    let retry: u64 = r.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=2).contains(&retry), "retry-after {retry}");
    tokio::time::sleep(Duration::from_secs(retry)).await;
    assert_eq!(f.get(&path).send().await.unwrap().status(), 200);
    // counted per mailbox (UPN and id are the same mailbox)
    assert_eq!(f.emu.request_count(&f.user.id), 7);
    assert_eq!(f.emu.throttled_count(&f.user.id), 1);

    // another mailbox has its own budget
    let other = f
        .emu
        .add_user(common::TENANT, "Bob", "bob@contoso.test")
        .unwrap();
    let r = f
        .get(&format!("/users/{}/contacts", other.id))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
}

#[tokio::test]
async fn injected_429s() {
    let f = fixture(EmulatorConfig::default()).await;
    let path = format!("/users/{}/contactFolders", f.user.id);
    f.emu.inject_429s(&f.user.id, 2, 7).unwrap();
    for _ in 0..2 {
        let r = f.get(&path).send().await.unwrap();
        assert_eq!(r.status(), 429);
        assert_eq!(r.headers()["retry-after"], "7");
    }
    assert_eq!(f.get(&path).send().await.unwrap().status(), 200);
    assert_eq!(f.emu.throttled_count(&f.user.id), 2);
}
