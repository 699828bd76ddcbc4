#![allow(clippy::unwrap_used)]

use std::path::Path;
use std::sync::Mutex;

use bridge_core::ManualClock;
use bridge_mail::SendError;
use bridge_platform::messages::ping_key;

use super::*;

fn delivery(id: &str, body: String) -> Delivery {
    Delivery {
        id: id.into(),
        receipt: format!("r-{id}"),
        body,
        dedupe_key: None,
        receive_count: 1,
    }
}

fn send_mail(id: &str, url: &str, to: &str) -> String {
    Message::SendMail {
        mail_id: id.into(),
        tenant_id: "t1".into(),
        to: vec![to.into()],
        mail: MailKind::Invitation {
            inviter_name: "Anna".into(),
            tenant_name: "Zorg".into(),
            accept_url: url.into(),
            expires_at: 1_800_000_000_000,
        },
    }
    .to_body()
}

fn emls(data_dir: &Path) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir(data_dir.join("outbox")) else {
        return Vec::new();
    };
    let mut names: Vec<String> = entries
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.ends_with(".eml"))
        .collect();
    names.sort();
    names
}

fn embedded(dir: &Path) -> Adapters {
    Adapters::embedded(dir, Arc::new(ManualClock::new(1_700_000_000_000))).unwrap()
}

#[tokio::test]
async fn a_send_mail_message_becomes_one_eml_file_even_when_delivered_twice() {
    let dir = tempfile::tempdir().unwrap();
    let h = handler(&embedded(dir.path())).unwrap();
    let body = send_mail("inv-1", "https://bridge.example/i/x", "bram@example.nl");
    h.handle(&delivery("q1", body.clone())).await.unwrap();
    h.handle(&delivery("q1", body.clone())).await.unwrap();
    h.handle(&delivery("q2", body)).await.unwrap();
    assert_eq!(emls(dir.path()), ["inv-1.eml"]);
    let eml = std::fs::read_to_string(dir.path().join("outbox/inv-1.eml")).unwrap();
    assert!(eml.contains("From: m365-bridge@localhost"), "{eml}");
    assert!(eml.contains("To: bram@example.nl"), "{eml}");
}

#[tokio::test]
async fn the_configured_sender_is_used() {
    let dir = tempfile::tempdir().unwrap();
    let mut adapters = embedded(dir.path());
    let mut config = (*adapters.config).clone();
    config.mail_sender = Some("bridge@contoso.example".into());
    adapters.config = Arc::new(config);
    let h = handler(&adapters).unwrap();
    let body = send_mail("inv-2", "https://bridge.example/i/x", "bram@example.nl");
    h.handle(&delivery("q1", body)).await.unwrap();
    let eml = std::fs::read_to_string(dir.path().join("outbox/inv-2.eml")).unwrap();
    assert!(eml.contains("From: bridge@contoso.example"), "{eml}");
}

#[tokio::test]
async fn a_mail_that_cannot_be_built_fails_permanently_and_sends_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let h = handler(&embedded(dir.path())).unwrap();
    for (n, body) in [
        send_mail("inv-3", "javascript:alert(1)", "bram@example.nl"),
        send_mail("inv-3", "https://bridge.example/i/x", "not an address"),
        send_mail("../inv-3", "https://bridge.example/i/x", "bram@example.nl"),
    ]
    .into_iter()
    .enumerate()
    {
        let e = h.handle(&delivery(&n.to_string(), body)).await.unwrap_err();
        let HandlerError::Permanent(reason) = e else {
            panic!("permanent expected: {e:?}")
        };
        assert!(
            !reason.contains("bram") && !reason.contains("not an address"),
            "{reason}"
        );
    }
    assert!(emls(dir.path()).is_empty());
}

#[tokio::test]
async fn pings_are_still_recorded_and_other_kinds_fail_permanently() {
    let dir = tempfile::tempdir().unwrap();
    let adapters = embedded(dir.path());
    let h = handler(&adapters).unwrap();
    let ping = Message::Ping { id: "p1".into() }.to_body();
    h.handle(&delivery("q1", ping)).await.unwrap();
    assert!(
        adapters
            .table
            .get(&ping_key(NAME, "p1"))
            .await
            .unwrap()
            .is_some()
    );
    let renew = Message::RenewSubscription {
        subscription_id: "s".into(),
    }
    .to_body();
    let e = h.handle(&delivery("q2", renew)).await.unwrap_err();
    assert!(matches!(e, HandlerError::Permanent(_)), "{e:?}");
    let e = h
        .handle(&delivery("q3", r#"{"kind":"nope"}"#.into()))
        .await
        .unwrap_err();
    assert!(matches!(e, HandlerError::Permanent(_)), "{e:?}");
}

/// Answers from a script, counting calls.
#[derive(Debug, Default)]
struct Scripted(Mutex<Vec<Result<(), SendError>>>, Mutex<usize>);

#[async_trait]
impl MailTransport for Scripted {
    async fn send(&self, _mail: &OutgoingMail) -> Result<(), SendError> {
        *self.1.lock().unwrap() += 1;
        let mut script = self.0.lock().unwrap();
        if script.is_empty() {
            Ok(())
        } else {
            script.remove(0)
        }
    }
}

#[tokio::test]
async fn a_refused_mail_is_retried_and_an_unknown_outcome_is_acked_without_resending() {
    let dir = tempfile::tempdir().unwrap();
    let adapters = embedded(dir.path());
    let transport = Arc::new(Scripted(
        Mutex::new(vec![
            Err(SendError::NotSent("503".into())),
            Err(SendError::Unknown("timeout".into())),
        ]),
        Mutex::new(0),
    ));
    let h = handler_with(&adapters, transport.clone()).unwrap();
    let body = send_mail("inv-4", "https://bridge.example/i/x", "bram@example.nl");
    let e = h.handle(&delivery("q1", body.clone())).await.unwrap_err();
    assert!(matches!(e, HandlerError::Retryable(_)), "{e:?}");
    // Redelivered: sent again, outcome unknown → acked, and never sent a third time.
    h.handle(&delivery("q1", body.clone())).await.unwrap();
    h.handle(&delivery("q1", body)).await.unwrap();
    assert_eq!(*transport.1.lock().unwrap(), 2);
}

fn config(vars: &[(&str, &str)]) -> Result<Config, ConfigError> {
    let vars: Vec<(String, String)> = vars
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    Config::from_lookup(|k| vars.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone()))
}

const AWS: [(&str, &str); 4] = [
    ("BRIDGE_STORAGE", "aws"),
    ("BRIDGE_TABLE", "t"),
    ("BRIDGE_BUCKET", "b"),
    ("BRIDGE_SIGNING_KEY", "0123456789abcdef0123456789abcdef"),
];

#[test]
fn on_aws_the_missing_graph_settings_are_named_and_with_them_mail_goes_through_graph() {
    let c = config(&AWS).unwrap();
    let e = configured_transport(&c).unwrap_err();
    assert!(
        matches!(
            e,
            ConfigError::Missing {
                var: "BRIDGE_GRAPH_TENANT_ID",
                ..
            }
        ),
        "{e}"
    );
    assert!(e.to_string().contains("BRIDGE_MAIL_SENDER"), "{e}");
    assert!(matches!(
        sender(&c),
        Err(ConfigError::Missing {
            var: "BRIDGE_MAIL_SENDER",
            ..
        })
    ));

    let graph = [
        ("BRIDGE_GRAPH_TENANT_ID", "tid"),
        ("BRIDGE_GRAPH_CLIENT_ID", "cid"),
        ("BRIDGE_GRAPH_CLIENT_SECRET", "secret"),
    ];
    let c = config(&[&AWS[..], &graph[..]].concat()).unwrap();
    let e = configured_transport(&c).unwrap_err();
    assert!(matches!(
        e,
        ConfigError::Missing {
            var: "BRIDGE_MAIL_SENDER",
            ..
        }
    ));

    let sender_var = [("BRIDGE_MAIL_SENDER", "bridge@contoso.example")];
    let c = config(&[&AWS[..], &graph[..], &sender_var[..]].concat()).unwrap();
    // Everything there: the Graph sendMail transport.
    let t = configured_transport(&c).unwrap();
    assert!(format!("{t:?}").contains("GraphTransport"), "{t:?}");
    assert_eq!(sender(&c).unwrap(), "bridge@contoso.example");
}
