//! The Graph transport against the Graph emulator: a delivered mail lands once in the sender's
//! sent mail, and a redelivery of the same message sends nothing more.

#![allow(clippy::unwrap_used)]

use bridge_core::ManualClock;
use bridge_graph::{GraphClient, GraphConfig, SecretString};
use bridge_mail::{GraphTransport, MailId, MailKind, Outcome, OutgoingMail, deliver};
use bridge_store::memory::MemoryTable;
use graph_emulator::{Emulator, EmulatorConfig};

#[tokio::test]
async fn a_mail_sent_through_graph_arrives_once_even_when_delivered_twice() {
    let emu = Emulator::start(EmulatorConfig::default()).await.unwrap();
    emu.add_tenant("t1");
    emu.add_app("t1", "app", "secret").unwrap();
    let sender = emu
        .add_user("t1", "Notifications", "notify@contoso.example")
        .unwrap();
    let client = GraphClient::new(GraphConfig::new(
        emu.base_url(),
        emu.token_url("t1"),
        "app",
        SecretString::from("secret"),
    ))
    .unwrap();
    let transport = GraphTransport::new(client);
    let rendered = MailKind::Test {
        tenant_name: "Contoso".into(),
    }
    .render()
    .unwrap();
    let mail = OutgoingMail::new(
        MailId::parse("test-1").unwrap(),
        "notify@contoso.example",
        &["someone@fabrikam.example".to_string()],
        rendered.clone(),
    )
    .unwrap();
    let table = MemoryTable::new();
    let clock = ManualClock::new(1_800_000_000_000);
    assert_eq!(
        deliver(&table, &transport, &clock, &mail).await.unwrap(),
        Outcome::Sent
    );
    assert_eq!(
        deliver(&table, &transport, &clock, &mail).await.unwrap(),
        Outcome::AlreadySent
    );
    let outbox = emu.outbox();
    assert_eq!(outbox.len(), 1);
    assert_eq!(outbox[0].user_id, sender.id);
    assert_eq!(outbox[0].message["subject"], rendered.subject.as_str());
    assert!(!outbox[0].save_to_sent_items);
}

#[tokio::test]
async fn an_unknown_sender_mailbox_is_not_sent_and_stays_retryable() {
    let emu = Emulator::start(EmulatorConfig::default()).await.unwrap();
    emu.add_tenant("t1");
    emu.add_app("t1", "app", "secret").unwrap();
    let client = GraphClient::new(GraphConfig::new(
        emu.base_url(),
        emu.token_url("t1"),
        "app",
        SecretString::from("secret"),
    ))
    .unwrap();
    let mail = OutgoingMail::new(
        MailId::parse("test-2").unwrap(),
        "nobody@contoso.example",
        &["someone@fabrikam.example".to_string()],
        MailKind::Test {
            tenant_name: "Contoso".into(),
        }
        .render()
        .unwrap(),
    )
    .unwrap();
    let table = MemoryTable::new();
    let clock = ManualClock::new(1_800_000_000_000);
    let e = deliver(&table, &GraphTransport::new(client), &clock, &mail)
        .await
        .unwrap_err();
    assert!(e.is_retryable(), "{e:?}");
    assert!(emu.outbox().is_empty());
}
