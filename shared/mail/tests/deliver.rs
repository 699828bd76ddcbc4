//! The at-most-once rule of `deliver`, on the in-memory and the SQLite table, with a recording
//! fake transport.

#![allow(clippy::unwrap_used)]

use std::collections::VecDeque;
use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use bridge_core::ManualClock;
use bridge_mail::send::{SEND_WINDOW_MS, record_key};
use bridge_mail::{
    DeliverError, MailId, MailKind, MailTransport, Outcome, OutgoingMail, SendError, deliver,
};
use bridge_store::Table;
use bridge_store::memory::MemoryTable;
use bridge_store::sqlite::SqliteTable;

const NOW: i64 = 1_800_000_000_000;
const ADDRESS: &str = "bram.secret-address@example.nl";

/// Records every mail it is asked to send; answers from a script (then `Ok`), after an
/// optional delay.
#[derive(Debug, Default)]
struct Recording {
    sent: Mutex<Vec<String>>,
    script: Mutex<VecDeque<Result<(), SendError>>>,
    delay: Option<Duration>,
}

impl Recording {
    fn answering(script: impl IntoIterator<Item = Result<(), SendError>>) -> Self {
        Self {
            script: Mutex::new(script.into_iter().collect()),
            ..Self::default()
        }
    }

    fn calls(&self) -> usize {
        self.sent.lock().unwrap().len()
    }
}

#[async_trait]
impl MailTransport for Recording {
    async fn send(&self, mail: &OutgoingMail) -> Result<(), SendError> {
        self.sent.lock().unwrap().push(mail.id.to_string());
        if let Some(d) = self.delay {
            tokio::time::sleep(d).await;
        }
        self.script.lock().unwrap().pop_front().unwrap_or(Ok(()))
    }
}

fn tables() -> Vec<(&'static str, Arc<dyn Table>)> {
    vec![
        ("memory", Arc::new(MemoryTable::new())),
        ("sqlite", Arc::new(SqliteTable::in_memory().unwrap())),
    ]
}

fn mail(id: &str) -> OutgoingMail {
    let content = MailKind::Invitation {
        inviter_name: "Anna".into(),
        tenant_name: "Zorg".into(),
        accept_url: "https://bridge.example/invite/single-use-token".into(),
        expires_at: NOW + 86_400_000,
    }
    .render()
    .unwrap();
    OutgoingMail::new(
        MailId::parse(id).unwrap(),
        "bridge@example.com",
        &[ADDRESS.into()],
        content,
    )
    .unwrap()
}

async fn state(table: &dyn Table, id: &str) -> String {
    let item = table
        .get(&record_key(&MailId::parse(id).unwrap()))
        .await
        .unwrap()
        .unwrap();
    item.get_str("state").unwrap().to_owned()
}

/// Log lines written while the returned guard lives (this thread only: the tests run on a
/// current-thread runtime).
#[derive(Clone, Default)]
struct Logs(Arc<Mutex<Vec<u8>>>);

impl Logs {
    fn capture(&self) -> tracing::subscriber::DefaultGuard {
        let writer = self.clone();
        let subscriber = tracing_subscriber::fmt()
            .json()
            .flatten_event(true)
            .with_max_level(tracing::Level::INFO)
            .with_writer(move || writer.clone())
            .finish();
        tracing::subscriber::set_default(subscriber)
    }

    fn text(&self) -> String {
        String::from_utf8(self.0.lock().unwrap().clone()).unwrap()
    }

    fn count(&self, event: &str) -> usize {
        self.text()
            .lines()
            .filter(|l| l.contains(&format!("\"event\":\"{event}\"")))
            .count()
    }
}

impl Write for Logs {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn a_redelivered_message_is_sent_once() {
    for (name, table) in tables() {
        let clock = ManualClock::new(NOW);
        let transport = Recording::default();
        let m = mail("inv-1");
        let first = deliver(table.as_ref(), &transport, &clock, &m)
            .await
            .unwrap();
        assert_eq!(first, Outcome::Sent, "{name}");
        for later in [1_000, SEND_WINDOW_MS * 10, 7 * 86_400_000] {
            clock.advance_ms(later);
            let again = deliver(table.as_ref(), &transport, &clock, &m)
                .await
                .unwrap();
            assert_eq!(again, Outcome::AlreadySent, "{name}");
        }
        assert_eq!(transport.calls(), 1, "{name}");
        assert_eq!(state(table.as_ref(), "inv-1").await, "sent", "{name}");
    }
}

#[tokio::test]
async fn different_mails_are_each_sent() {
    for (name, table) in tables() {
        let clock = ManualClock::new(NOW);
        let transport = Recording::default();
        for id in ["a", "b", "c"] {
            let r = deliver(table.as_ref(), &transport, &clock, &mail(id)).await;
            assert_eq!(r.unwrap(), Outcome::Sent, "{name}");
        }
        assert_eq!(*transport.sent.lock().unwrap(), ["a", "b", "c"], "{name}");
    }
}

#[tokio::test]
async fn two_concurrent_deliveries_of_one_message_send_once() {
    for (name, table) in tables() {
        let clock = ManualClock::new(NOW);
        let transport = Recording {
            delay: Some(Duration::from_millis(50)),
            ..Recording::default()
        };
        let m = mail("inv-2");
        let (a, b) = tokio::join!(
            deliver(table.as_ref(), &transport, &clock, &m),
            deliver(table.as_ref(), &transport, &clock, &m),
        );
        let mut outcomes = [format!("{a:?}"), format!("{b:?}")];
        outcomes.sort();
        // One sends; the other finds the claim of a running attempt and leaves the message for
        // a later delivery instead of sending or reporting a gap.
        assert_eq!(outcomes, ["Err(InProgress)", "Ok(Sent)"], "{name}");
        assert_eq!(transport.calls(), 1, "{name}");

        // That later delivery finds the mail sent.
        clock.advance_ms(30_000);
        let r = deliver(table.as_ref(), &transport, &clock, &m)
            .await
            .unwrap();
        assert_eq!(r, Outcome::AlreadySent, "{name}");
        assert_eq!(transport.calls(), 1, "{name}");
    }
}

#[tokio::test]
async fn a_not_sent_failure_is_retried_and_then_sent_once() {
    for (name, table) in tables() {
        let clock = ManualClock::new(NOW);
        let transport = Recording::answering([
            Err(SendError::NotSent("graph answered 503".into())),
            Err(SendError::NotSent("connection refused".into())),
        ]);
        let m = mail("inv-3");
        for attempt in 1..=2 {
            let e = deliver(table.as_ref(), &transport, &clock, &m)
                .await
                .unwrap_err();
            assert!(matches!(e, DeliverError::NotSent(_)), "{name}: {e:?}");
            assert!(e.is_retryable(), "{name}");
            assert_eq!(transport.calls(), attempt, "{name}");
            assert_eq!(state(table.as_ref(), "inv-3").await, "failed_not_sent");
            // The queue redelivers after its visibility timeout.
            clock.advance_ms(360_000);
        }
        let r = deliver(table.as_ref(), &transport, &clock, &m)
            .await
            .unwrap();
        assert_eq!(r, Outcome::Sent, "{name}");
        let r = deliver(table.as_ref(), &transport, &clock, &m)
            .await
            .unwrap();
        assert_eq!(r, Outcome::AlreadySent, "{name}");
        assert_eq!(transport.calls(), 3, "{name}");
        let record = table.get(&record_key(&m.id)).await.unwrap().unwrap();
        assert_eq!(record.get_i64("attempts"), Some(3), "{name}");
    }
}

#[tokio::test]
async fn concurrent_retries_after_a_refusal_send_once() {
    for (name, table) in tables() {
        let clock = ManualClock::new(NOW);
        let transport = Recording {
            script: Mutex::new([Err(SendError::NotSent("429".into()))].into()),
            delay: Some(Duration::from_millis(20)),
            ..Recording::default()
        };
        let m = mail("inv-3b");
        deliver(table.as_ref(), &transport, &clock, &m)
            .await
            .unwrap_err();
        clock.advance_ms(360_000);
        let (a, b) = tokio::join!(
            deliver(table.as_ref(), &transport, &clock, &m),
            deliver(table.as_ref(), &transport, &clock, &m),
        );
        let sent = [&a, &b]
            .iter()
            .filter(|r| matches!(r, Ok(Outcome::Sent)))
            .count();
        assert_eq!(sent, 1, "{name}: {a:?} {b:?}");
        assert_eq!(transport.calls(), 2, "{name}: one refused, one sent");
    }
}

#[tokio::test]
async fn an_unknown_outcome_is_never_resent_and_is_reported_as_an_at_most_once_gap() {
    for (name, table) in tables() {
        let logs = Logs::default();
        let _guard = logs.capture();
        let clock = ManualClock::new(NOW);
        let transport =
            Recording::answering([Err(SendError::Unknown("timeout after the request".into()))]);
        let m = mail("inv-4");
        let r = deliver(table.as_ref(), &transport, &clock, &m)
            .await
            .unwrap();
        assert_eq!(r, Outcome::MaybeSent, "{name}: acked, not retried");
        assert_eq!(state(table.as_ref(), "inv-4").await, "maybe_sent");
        for later in [1_000, 360_000, 86_400_000] {
            clock.advance_ms(later);
            let r = deliver(table.as_ref(), &transport, &clock, &m)
                .await
                .unwrap();
            assert_eq!(r, Outcome::MaybeSent, "{name}");
        }
        assert_eq!(transport.calls(), 1, "{name}: never resent");

        // Reported once (so a metric counts gaps, not redeliveries), with the id and never the
        // address, the subject or the link.
        assert_eq!(
            logs.count("mail.at_most_once_gap"),
            1,
            "{name}: {}",
            logs.text()
        );
        let text = logs.text();
        let gap = text
            .lines()
            .find(|l| l.contains("mail.at_most_once_gap"))
            .unwrap();
        assert!(gap.contains("\"level\":\"WARN\""), "{gap}");
        assert!(gap.contains("\"mail_id\":\"inv-4\""), "{gap}");
        for secret in [
            ADDRESS,
            "single-use-token",
            "invites you",
            "bridge@example.com",
        ] {
            assert!(
                !text.contains(secret),
                "{name}: {secret} leaked into logs: {text}"
            );
        }
    }
}

#[tokio::test]
async fn an_attempt_that_died_before_recording_its_outcome_is_a_gap_reported_once() {
    for (name, table) in tables() {
        let logs = Logs::default();
        let _guard = logs.capture();
        let clock = ManualClock::new(NOW);
        let m = mail("inv-5");
        // A claim left by an attempt that crashed (e.g. the Lambda timed out) mid-send.
        let claim = bridge_store::Item::new(record_key(&m.id))
            .with("state", "sending")
            .with("attempts", 1)
            .with("attempt_at", NOW);
        table.put(claim, None).await.unwrap();
        let transport = Recording::default();

        // Within the send window the attempt may still be running: leave it, retry later.
        clock.advance_ms(SEND_WINDOW_MS - 1);
        let e = deliver(table.as_ref(), &transport, &clock, &m)
            .await
            .unwrap_err();
        assert!(matches!(e, DeliverError::InProgress), "{name}: {e:?}");
        assert!(e.is_retryable());
        assert_eq!(logs.count("mail.at_most_once_gap"), 0, "{name}");

        // After it, the attempt is over: maybe sent, not resent, reported once.
        clock.advance_ms(1);
        for _ in 0..3 {
            let r = deliver(table.as_ref(), &transport, &clock, &m)
                .await
                .unwrap();
            assert_eq!(r, Outcome::MaybeSent, "{name}");
        }
        assert_eq!(transport.calls(), 0, "{name}");
        assert_eq!(logs.count("mail.at_most_once_gap"), 1, "{name}");
        assert_eq!(state(table.as_ref(), "inv-5").await, "maybe_sent");
    }
}

#[tokio::test]
async fn the_record_holds_no_address_or_content_and_expires() {
    for (name, table) in tables() {
        let clock = ManualClock::new(NOW);
        let m = mail("inv-6");
        deliver(table.as_ref(), &Recording::default(), &clock, &m)
            .await
            .unwrap();
        let record = table.get(&record_key(&m.id)).await.unwrap().unwrap();
        assert_eq!(record.key.pk, "SYS#mail#inv-6");
        assert_eq!(record.key.sk, "MAIL");
        let mut attrs: Vec<&str> = record.attrs.keys().map(String::as_str).collect();
        attrs.sort_unstable();
        assert_eq!(
            attrs,
            [
                "attempt_at",
                "attempts",
                "sent_at",
                "state",
                "ttl",
                "updated_at"
            ],
            "{name}"
        );
        assert_eq!(
            record.get_i64("ttl"),
            Some(NOW / 1000 + 30 * 86_400),
            "{name}: DynamoDB TTL in epoch seconds"
        );
    }
}

#[tokio::test]
async fn an_unknown_record_state_is_a_permanent_error_and_sends_nothing() {
    for (name, table) in tables() {
        let clock = ManualClock::new(NOW);
        let m = mail("inv-7");
        let odd = bridge_store::Item::new(record_key(&m.id)).with("state", "exploded");
        table.put(odd, None).await.unwrap();
        let transport = Recording::default();
        let e = deliver(table.as_ref(), &transport, &clock, &m)
            .await
            .unwrap_err();
        assert!(matches!(e, DeliverError::Corrupt(_)), "{name}: {e:?}");
        assert!(!e.is_retryable());
        assert_eq!(transport.calls(), 0);
    }
}

#[tokio::test]
async fn a_slow_attempt_records_what_it_learned_over_a_gap_guess() {
    for (name, table) in tables() {
        let clock = ManualClock::new(NOW);
        let transport = Recording {
            delay: Some(Duration::from_millis(100)),
            ..Recording::default()
        };
        let m = mail("inv-8");
        let slow = deliver(table.as_ref(), &transport, &clock, &m);
        let impatient = async {
            tokio::time::sleep(Duration::from_millis(30)).await;
            clock.advance_ms(SEND_WINDOW_MS + 1);
            deliver(table.as_ref(), &transport, &clock, &m).await
        };
        let (slow, impatient) = tokio::join!(slow, impatient);
        assert_eq!(impatient.unwrap(), Outcome::MaybeSent, "{name}");
        assert_eq!(slow.unwrap(), Outcome::Sent, "{name}");
        assert_eq!(transport.calls(), 1, "{name}");
        assert_eq!(state(table.as_ref(), "inv-8").await, "sent", "{name}");
    }
}
