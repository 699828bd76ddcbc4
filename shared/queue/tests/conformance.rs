//! The queue conformance suite against every adapter, plus behaviour only the local adapter
//! has (persistence across restarts, receipt strictness) and the consumer loop.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_sqs::types::QueueAttributeName;
use bridge_core::ManualClock;
use bridge_queue::conformance::{DeliveryGuarantee, Fixture, run_all};
use bridge_queue::consumer::{
    DrainOutcome, HandlerError, MessageHandler, PollOptions, drain_once, run_poller,
};
use bridge_queue::local::{LocalQueue, LocalQueues};
use bridge_queue::sqs::SqsQueue;
use bridge_queue::{OutgoingMessage, Queue, QueueError, QueueSettings, QueueStats};
use futures::FutureExt;
use tokio_util::sync::CancellationToken;

const START_MS: i64 = 1_750_000_000_000;

fn settings() -> QueueSettings {
    QueueSettings {
        visibility_timeout: Duration::from_secs(30),
        max_receive_count: 3,
    }
}

fn local_fixture(queues: LocalQueues, clock: ManualClock) -> Fixture {
    let settings = settings();
    let queue = queues.queue(
        &format!("q-{}", uuid::Uuid::new_v4().simple()),
        settings.clone(),
    );
    let dlq = queue
        .dead_letter_queue()
        .expect("a main queue has a dead-letter queue");
    Fixture {
        queue,
        dlq,
        visibility: settings.visibility_timeout,
        max_receive_count: settings.max_receive_count,
        advance: Box::new(move |d: Duration| {
            clock.advance_ms(i64::try_from(d.as_millis()).expect("small duration"));
            async {}.boxed()
        }),
        guarantee: DeliveryGuarantee::OncePerVisibilityWindow,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn local_in_memory_adapter_conforms() {
    run_all(|| {
        async {
            let clock = ManualClock::new(START_MS);
            let queues = LocalQueues::in_memory(Arc::new(clock.clone())).expect("open");
            local_fixture(queues, clock)
        }
        .boxed()
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn local_file_adapter_conforms() {
    let dir = Arc::new(tempfile::tempdir().expect("tempdir"));
    let clock = ManualClock::new(START_MS);
    let queues =
        LocalQueues::open(&dir.path().join("queues.db"), Arc::new(clock.clone())).expect("open");
    // One database for all cases; every case gets its own queue name.
    run_all(move || {
        let (queues, clock) = (queues.clone(), clock.clone());
        async move { local_fixture(queues, clock) }.boxed()
    })
    .await;
}

async fn sqs_fixture(client: aws_sdk_sqs::Client) -> Fixture {
    let name = test_support::unique_name("q");
    let dlq_url = client
        .create_queue()
        .queue_name(format!("{name}-dlq"))
        .send()
        .await
        .expect("create dlq")
        .queue_url
        .expect("dlq url");
    let dlq_arn = client
        .get_queue_attributes()
        .queue_url(&dlq_url)
        .attribute_names(QueueAttributeName::QueueArn)
        .send()
        .await
        .expect("dlq attributes")
        .attributes
        .and_then(|mut a| a.remove(&QueueAttributeName::QueueArn))
        .expect("dlq arn");
    let redrive = serde_json::json!({ "deadLetterTargetArn": dlq_arn, "maxReceiveCount": "2" });
    let url = client
        .create_queue()
        .queue_name(&name)
        .attributes(QueueAttributeName::VisibilityTimeout, "1")
        .attributes(QueueAttributeName::RedrivePolicy, redrive.to_string())
        .send()
        .await
        .expect("create queue")
        .queue_url
        .expect("queue url");
    Fixture {
        queue: Arc::new(SqsQueue::new(client.clone(), url)),
        dlq: Arc::new(SqsQueue::new(client, dlq_url)),
        visibility: Duration::from_secs(1),
        max_receive_count: 2,
        advance: Box::new(|d: Duration| tokio::time::sleep(d).boxed()),
        guarantee: DeliveryGuarantee::AtLeastOnce,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqs_adapter_conforms_on_moto() {
    let Some(moto) = test_support::moto() else {
        return;
    };
    let client = aws_sdk_sqs::Client::new(&moto.sdk_config().await);
    run_all(move || sqs_fixture(client.clone()).boxed()).await;
    eprintln!(
        "SQS conformance suite ran against moto at {}",
        moto.endpoint
    );
}

fn open_file(path: &Path, clock: &ManualClock) -> LocalQueues {
    LocalQueues::open(path, Arc::new(clock.clone())).expect("open")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn local_file_queue_keeps_messages_across_restart() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("queues.db");
    let clock = ManualClock::new(START_MS);

    let (waiting, in_flight) = {
        let queues = open_file(&path, &clock);
        let q = queues.queue("work", settings());
        let in_flight = q
            .send(OutgoingMessage::new("in flight"))
            .await
            .expect("send");
        let waiting = q
            .send(OutgoingMessage {
                dedupe_key: Some("k".into()),
                ..OutgoingMessage::new("waiting")
            })
            .await
            .expect("send");
        let got = q.receive(1, Duration::ZERO).await.expect("receive");
        assert_eq!(got[0].id, in_flight, "oldest first");
        (waiting, in_flight)
    }; // every handle dropped: the "process" is gone

    let queues = open_file(&path, &clock);
    let q = queues.queue("work", settings());
    assert_eq!(
        q.stats().await.expect("stats"),
        QueueStats {
            visible: 1,
            in_flight: 1
        }
    );
    let got = q.receive(10, Duration::ZERO).await.expect("receive");
    assert_eq!(
        got.len(),
        1,
        "the in-flight message stays invisible across the restart"
    );
    assert_eq!(got[0].id, waiting);
    assert_eq!(got[0].body, "waiting");
    assert_eq!(got[0].dedupe_key.as_deref(), Some("k"));
    assert_eq!(got[0].receive_count, 1);
    clock.advance_ms(30_001);
    let got = q.receive(10, Duration::ZERO).await.expect("receive");
    let mut seen: Vec<_> = got
        .iter()
        .map(|d| (d.id.clone(), d.receive_count))
        .collect();
    seen.sort();
    let mut expected = vec![(waiting, 2), (in_flight, 2)];
    expected.sort();
    assert_eq!(
        seen, expected,
        "both come back after their timeout, counts kept"
    );

    // A second process on the same file sees the same queue.
    let other = open_file(&path, &clock).queue("work", settings());
    assert_eq!(
        other.stats().await.expect("stats"),
        QueueStats {
            visible: 0,
            in_flight: 2
        }
    );
}

fn local_queue(visibility_secs: u64, max_receive_count: u32) -> (Arc<LocalQueue>, ManualClock) {
    let clock = ManualClock::new(START_MS);
    let queues = LocalQueues::in_memory(Arc::new(clock.clone())).expect("open");
    let settings = QueueSettings {
        visibility_timeout: Duration::from_secs(visibility_secs),
        max_receive_count,
    };
    (queues.queue("work", settings), clock)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn local_stale_receipt_is_rejected_and_changes_nothing() {
    let (q, clock) = local_queue(10, 5);
    let id = q.send(OutgoingMessage::new("m")).await.expect("send");
    let first = q
        .receive(1, Duration::ZERO)
        .await
        .expect("receive")
        .remove(0);
    clock.advance_ms(10_001);
    let second = q
        .receive(1, Duration::ZERO)
        .await
        .expect("receive")
        .remove(0);
    assert_eq!(second.id, id);

    let stale_ack = q.ack(&first.receipt).await;
    assert!(
        matches!(stale_ack, Err(QueueError::InvalidReceipt)),
        "{stale_ack:?}"
    );
    let stale_release = q.release(&first.receipt, Duration::ZERO).await;
    assert!(
        matches!(stale_release, Err(QueueError::InvalidReceipt)),
        "{stale_release:?}"
    );
    assert_eq!(
        q.stats().await.expect("stats"),
        QueueStats {
            visible: 0,
            in_flight: 1
        }
    );

    q.ack(&second.receipt).await.expect("current receipt acks");
    assert_eq!(q.stats().await.expect("stats"), QueueStats::default());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn local_dead_letter_queue_is_named_after_its_queue_and_keeps_its_messages() {
    let clock = ManualClock::new(START_MS);
    let queues = LocalQueues::in_memory(Arc::new(clock.clone())).expect("open");
    let s = QueueSettings {
        visibility_timeout: Duration::from_secs(1),
        max_receive_count: 1,
    };
    let q = queues.queue("mail", s.clone());
    q.send(OutgoingMessage::new("poison")).await.expect("send");
    q.receive(1, Duration::ZERO).await.expect("receive");
    clock.advance_ms(1_001);
    assert!(
        q.receive(1, Duration::ZERO)
            .await
            .expect("receive")
            .is_empty()
    );

    // The same dead-letter queue, opened by name.
    let dlq = queues.queue("mail-dlq", s);
    assert!(
        dlq.dead_letter_queue().is_none(),
        "a dead-letter queue has no dead-letter queue"
    );
    for n in 2..6 {
        let d = dlq
            .receive(1, Duration::ZERO)
            .await
            .expect("receive")
            .remove(0);
        assert_eq!(d.receive_count, n, "the count goes on, the message stays");
        clock.advance_ms(1_001);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn local_long_poll_sees_messages_the_clock_makes_visible() {
    let (q, clock) = local_queue(30, 5);
    q.send(OutgoingMessage::new("m")).await.expect("send");
    let d = q
        .receive(1, Duration::ZERO)
        .await
        .expect("receive")
        .remove(0);
    let poller = Arc::clone(&q);
    let poll = tokio::spawn(async move { poller.receive(1, Duration::from_secs(5)).await });
    tokio::time::sleep(Duration::from_millis(150)).await;
    clock.advance_ms(30_001);
    let got = tokio::time::timeout(Duration::from_secs(2), poll)
        .await
        .expect("the poll noticed within a few steps")
        .expect("join")
        .expect("receive");
    assert_eq!(got[0].id, d.id);
    assert_eq!(got[0].receive_count, 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn local_release_with_delay_and_receive_wait_limits() {
    let (q, clock) = local_queue(30, 5);
    q.send(OutgoingMessage::new("m")).await.expect("send");
    let d = q
        .receive(1, Duration::ZERO)
        .await
        .expect("receive")
        .remove(0);
    q.release(&d.receipt, Duration::from_secs(5))
        .await
        .expect("release");
    assert_eq!(
        q.stats().await.expect("stats"),
        QueueStats {
            visible: 0,
            in_flight: 1
        }
    );
    clock.advance_ms(4_999);
    assert!(
        q.receive(1, Duration::ZERO)
            .await
            .expect("receive")
            .is_empty()
    );
    clock.advance_ms(1);
    assert_eq!(
        q.receive(1, Duration::ZERO).await.expect("receive").len(),
        1
    );
    let too_long = q.release("x", Duration::from_secs(12 * 3600 + 1)).await;
    assert!(
        matches!(too_long, Err(QueueError::InvalidMessage(_))),
        "{too_long:?}"
    );
}

/// Counts calls; fails messages whose body starts with "fail".
#[derive(Default)]
struct Counting {
    calls: AtomicUsize,
}

#[async_trait]
impl MessageHandler for Counting {
    async fn handle(&self, msg: &bridge_queue::Delivery) -> Result<(), HandlerError> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        if msg.body.starts_with("fail") {
            Err(HandlerError::Permanent("bad message".into()))
        } else {
            Ok(())
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn drain_once_processes_what_is_visible() {
    let (q, clock) = local_queue(30, 2);
    for body in ["a", "fail", "b"] {
        q.send(OutgoingMessage::new(body)).await.expect("send");
    }
    let handler = Arc::new(Counting::default());
    let out = drain_once(q.as_ref(), handler.clone())
        .await
        .expect("drain");
    assert_eq!(
        out,
        DrainOutcome {
            received: 3,
            succeeded: 2,
            failed: 1
        }
    );
    let out = drain_once(q.as_ref(), handler.clone())
        .await
        .expect("drain");
    assert_eq!(
        out,
        DrainOutcome::default(),
        "the failed one waits for its timeout"
    );
    clock.advance_ms(30_001);
    let out = drain_once(q.as_ref(), handler.clone())
        .await
        .expect("drain");
    assert_eq!(
        out,
        DrainOutcome {
            received: 1,
            succeeded: 0,
            failed: 1
        }
    );
    clock.advance_ms(30_001);
    let out = drain_once(q.as_ref(), handler.clone())
        .await
        .expect("drain");
    assert_eq!(
        out,
        DrainOutcome::default(),
        "dead-lettered after 2 deliveries"
    );
    assert_eq!(handler.calls.load(Ordering::SeqCst), 4);
    let dlq = q.dead_letter_queue().expect("dlq");
    assert_eq!(dlq.stats().await.expect("stats").visible, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn poller_processes_retries_and_stops_on_shutdown() {
    let (q, _clock) = local_queue(30, 3);
    let handler = Arc::new(Counting::default());
    let shutdown = CancellationToken::new();
    let opts = PollOptions {
        wait: Duration::from_millis(200),
        // Released failures come back at once: the clock is manual and does not move here.
        retry_after: Some(Duration::ZERO),
        ..PollOptions::default()
    };
    let poller = tokio::spawn(run_poller(
        q.clone() as Arc<dyn Queue>,
        handler.clone(),
        shutdown.clone(),
        opts,
    ));
    q.send(OutgoingMessage::new("ok")).await.expect("send");
    q.send(OutgoingMessage::new("fail")).await.expect("send");

    let dlq = q.dead_letter_queue().expect("dlq");
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while dlq.stats().await.expect("stats").visible == 0 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the failing message never dead-lettered"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(q.stats().await.expect("stats"), QueueStats::default());
    // "ok" once, "fail" three times (max_receive_count), then it moved.
    assert_eq!(handler.calls.load(Ordering::SeqCst), 4);

    shutdown.cancel();
    tokio::time::timeout(Duration::from_secs(3), poller)
        .await
        .expect("the poller stops soon after shutdown")
        .expect("join");
}
