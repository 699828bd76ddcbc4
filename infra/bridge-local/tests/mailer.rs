//! The mailer inside `bridge-local`: a `send_mail` message put on the mail queue ends up as an
//! `.eml` file under `<data-dir>/outbox/`, once, however often it is queued.

#![allow(clippy::unwrap_used)] // test helpers outside #[test] fns

use std::path::Path;
use std::time::{Duration, Instant};

use bridge_platform::messages::Message;
use bridge_platform::{Config, QueueName, Storage};
use bridge_queue::OutgoingMessage;

fn embedded(dir: &Path) -> Config {
    let mut c = Config::from_lookup(|_| None).unwrap();
    c.storage = Storage::Embedded {
        data_dir: dir.to_path_buf(),
    };
    c
}

/// Every file in the outbox folder (temporary files included, to prove none is left).
fn outbox(dir: &Path) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir(dir.join("outbox")) else {
        return Vec::new();
    };
    let mut names: Vec<String> = entries
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    names
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_send_mail_queued_twice_becomes_exactly_one_eml_file() {
    let dir = tempfile::tempdir().unwrap();
    let running = bridge_local::start(&embedded(dir.path()), "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    // The wire form a producer puts on the queue.
    let body = serde_json::json!({
        "kind": "send_mail",
        "mail_id": "inv-local-1",
        "tenant_id": running.demo.tenant.id.to_string(),
        "to": ["invitee@example.nl"],
        "mail": {
            "template": "invitation",
            "inviter_name": "Anna <b>de Vries</b>",
            "tenant_name": "Zorg & Co",
            "accept_url": format!("http://{}/invitations/abc", running.addr),
            "expires_at": 1_800_000_000_000_i64,
        },
    })
    .to_string();
    assert!(matches!(
        Message::parse(&body).unwrap(),
        Message::SendMail { .. }
    ));
    let q = running.adapters.queue(QueueName::Mail).unwrap();
    q.send(OutgoingMessage::new(body.clone())).await.unwrap();
    q.send(OutgoingMessage::new(body)).await.unwrap();

    // Both messages are processed and acked. When they arrive in one batch, the second finds
    // the first's attempt running and comes back after the visibility timeout (30 s locally),
    // then finds the mail sent.
    let deadline = Instant::now() + Duration::from_secs(90);
    loop {
        let stats = q.stats().await.unwrap();
        if stats.visible + stats.in_flight == 0 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "mail queue not drained: {stats:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(outbox(dir.path()), ["inv-local-1.eml"]);
    let eml = std::fs::read_to_string(dir.path().join("outbox/inv-local-1.eml")).unwrap();
    assert!(
        eml.contains("Message-ID: <inv-local-1@m365-bridge>"),
        "{eml}"
    );
    assert!(eml.contains("To: invitee@example.nl"), "{eml}");
    assert!(
        eml.contains("Content-Type: multipart/alternative;"),
        "{eml}"
    );
    let html = eml.split("Content-Type: text/html").nth(1).unwrap();
    assert!(
        !html.contains("<b>de Vries</b>"),
        "the HTML part escapes names: {html}"
    );

    running.shutdown();
    running.wait().await.unwrap();
}
