//! The subscription manager against the Graph emulator: create, renew, re-create, delete.
#![allow(clippy::unwrap_used)]

mod common;

use std::sync::atomic::Ordering;

use bridge_core::Clock;
use bridge_core::tenant::UserId;
use bridge_graph_subs::{
    GraphResource, MAX_LIFETIME_MS, Recreated, Renewed, SubscriptionError, SweepReport,
    client_state_sha256, expiry_key, get_record, record_item, record_key, user_subscription_key,
};
use bridge_platform::messages::{Message, SyncReason, SyncResource};
use bridge_store::{Item, Table};
use common::Fixture;

const HOUR: i64 = 60 * 60 * 1000;

fn graph_sub(f: &Fixture, id: &str) -> serde_json::Value {
    f.graph_subscriptions()
        .into_iter()
        .find(|s| s["id"] == id)
        .unwrap_or(serde_json::Value::Null)
}

fn full_resyncs(msgs: &[Message]) -> Vec<(String, SyncResource)> {
    msgs.iter()
        .filter_map(|m| match m {
            Message::SyncMailbox {
                mailbox,
                resource,
                reason: SyncReason::FullResync,
                ..
            } => Some((mailbox.clone(), *resource)),
            _ => None,
        })
        .collect()
}

#[tokio::test]
async fn ensure_creates_a_subscription_whose_secret_only_graph_knows_and_asks_for_an_initial_sync()
{
    let f = Fixture::new().await;
    let user = f.linked_user(&f.alice).await;
    let rec = f
        .manager
        .ensure(f.tenant, user, &f.alice.id, GraphResource::Contacts)
        .await
        .unwrap();

    let at_graph = graph_sub(&f, &rec.subscription_id);
    assert_eq!(
        at_graph["resource"],
        format!("/users/{}/contacts", f.alice.id)
    );
    assert_eq!(at_graph["changeType"], "created,updated,deleted");
    assert!(
        at_graph["notificationUrl"]
            .as_str()
            .unwrap()
            .ends_with("/graph/notifications")
    );
    assert!(
        at_graph["lifecycleNotificationUrl"]
            .as_str()
            .unwrap()
            .ends_with("/graph/lifecycle")
    );
    let secret = at_graph["clientState"].as_str().unwrap();
    assert_eq!(secret.len(), 64);
    assert_eq!(rec.client_state_sha256, client_state_sha256(secret));
    let stored = f
        .table
        .get(&record_key(&rec.subscription_id))
        .await
        .unwrap();
    let stored = serde_json::to_string(&stored.unwrap().attrs).unwrap();
    assert!(
        !stored.contains(secret),
        "the secret itself is never stored"
    );

    // Just under Graph's maximum lifetime.
    let lifetime = rec.expires_at_ms - f.clock.now_ms();
    assert!(
        lifetime <= MAX_LIFETIME_MS && lifetime > MAX_LIFETIME_MS - HOUR,
        "{lifetime}"
    );
    // Indexed by expiry and by user.
    assert!(
        f.table
            .get(&expiry_key(rec.expires_at_ms, &rec.subscription_id))
            .await
            .unwrap()
            .is_some()
    );
    let by_user = user_subscription_key(f.tenant, user, GraphResource::Contacts);
    assert_eq!(
        f.table
            .get(&by_user)
            .await
            .unwrap()
            .unwrap()
            .get_str("subscription_id"),
        Some(rec.subscription_id.as_str())
    );
    assert_eq!(
        full_resyncs(&f.drain_sync().await),
        vec![(f.alice.id.clone(), SyncResource::Contacts)]
    );

    // A second ensure keeps the one subscription.
    let again = f
        .manager
        .ensure(f.tenant, user, &f.alice.id, GraphResource::Contacts)
        .await
        .unwrap();
    assert_eq!(again, rec);
    assert_eq!(f.graph_subscriptions().len(), 1);
    assert!(f.drain_sync().await.is_empty());
}

#[tokio::test]
async fn concurrent_ensures_for_one_mailbox_resource_keep_exactly_one_subscription() {
    let f = Fixture::new().await;
    let user = f.linked_user(&f.alice).await;
    let tasks: Vec<_> = (0..4)
        .map(|_| {
            let m = f.manager.clone();
            let (tenant, mailbox) = (f.tenant, f.alice.id.clone());
            tokio::spawn(async move {
                m.ensure(tenant, user, &mailbox, GraphResource::Events)
                    .await
                    .unwrap()
            })
        })
        .collect();
    let mut ids = Vec::new();
    for t in tasks {
        ids.push(t.await.unwrap().subscription_id);
    }
    ids.dedup();
    assert_eq!(ids.len(), 1, "every caller sees the same subscription");
    let at_graph = f.graph_subscriptions();
    assert_eq!(at_graph.len(), 1, "the losers deleted theirs: {at_graph:?}");
    assert_eq!(at_graph[0]["id"], ids[0].as_str());
}

#[tokio::test]
async fn ensure_without_a_link_creates_nothing() {
    let f = Fixture::new().await;
    let user = UserId(uuid::Uuid::new_v4());
    let e = f
        .manager
        .ensure(f.tenant, user, &f.alice.id, GraphResource::Contacts)
        .await
        .unwrap_err();
    assert!(matches!(e, SubscriptionError::NotLinked), "{e:?}");
    assert!(f.graph_subscriptions().is_empty());
}

#[tokio::test]
async fn without_a_public_url_creating_names_the_missing_variable() {
    let f = Fixture::with_public_url(false).await;
    let user = f.linked_user(&f.alice).await;
    let e = f
        .manager
        .ensure(f.tenant, user, &f.alice.id, GraphResource::Contacts)
        .await
        .unwrap_err();
    assert!(matches!(e, SubscriptionError::Unavailable(_)), "{e:?}");
    assert!(e.to_string().contains("BRIDGE_PUBLIC_URL"), "{e}");
}

/// A subscription created with the clock `behind` the real time, so it expires within a day of
/// the real time (the emulator refuses expiries further than 4,230 minutes from its real clock).
async fn expiring_soon(f: &Fixture, user: UserId) -> bridge_graph_subs::SubscriptionRecord {
    let real = f.clock.now_ms();
    f.clock.set_ms(real - 47 * HOUR);
    let rec = f
        .manager
        .ensure(f.tenant, user, &f.alice.id, GraphResource::Contacts)
        .await
        .unwrap();
    f.clock.set_ms(real);
    f.drain_sync().await;
    rec
}

#[tokio::test]
async fn the_sweep_renews_subscriptions_expiring_within_a_day_and_moves_their_index_entry() {
    let f = Fixture::new().await;
    let user = f.linked_user(&f.alice).await;
    let rec = expiring_soon(&f, user).await;
    let before = graph_sub(&f, &rec.subscription_id)["expirationDateTime"].clone();
    assert!(rec.expires_at_ms - f.clock.now_ms() < 24 * HOUR);

    let report = f.manager.renew_due().await.unwrap();
    assert_eq!(
        report,
        SweepReport {
            due: 1,
            renewed: 1,
            ..SweepReport::default()
        }
    );
    let after = get_record(f.table.as_ref(), &rec.subscription_id)
        .await
        .unwrap()
        .unwrap();
    assert!(after.expires_at_ms > rec.expires_at_ms + 40 * HOUR);
    assert_ne!(
        graph_sub(&f, &rec.subscription_id)["expirationDateTime"],
        before
    );
    let old_entry = expiry_key(rec.expires_at_ms, &rec.subscription_id);
    let new_entry = expiry_key(after.expires_at_ms, &rec.subscription_id);
    assert!(f.table.get(&old_entry).await.unwrap().is_none());
    assert!(f.table.get(&new_entry).await.unwrap().is_some());
    // Nothing is due any more; no resync was needed.
    assert_eq!(f.manager.renew_due().await.unwrap().due, 0);
    assert!(f.drain_sync().await.is_empty());
}

#[tokio::test]
async fn a_subscription_graph_no_longer_has_is_recreated_with_a_full_resync() {
    let f = Fixture::new().await;
    let user = f.linked_user(&f.alice).await;
    let old = f
        .manager
        .ensure(f.tenant, user, &f.alice.id, GraphResource::Contacts)
        .await
        .unwrap();
    f.drain_sync().await;
    f.manager
        .graph()
        .client()
        .unwrap()
        .delete_subscription(&old.subscription_id)
        .await
        .unwrap();

    let Renewed::Recreated(Recreated::Replaced { subscription_id }) =
        f.manager.renew(&old.subscription_id).await.unwrap()
    else {
        panic!("expected a re-creation")
    };
    assert_ne!(subscription_id, old.subscription_id);
    assert_eq!(
        get_record(f.table.as_ref(), &old.subscription_id)
            .await
            .unwrap(),
        None
    );
    let new = get_record(f.table.as_ref(), &subscription_id)
        .await
        .unwrap()
        .unwrap();
    assert_ne!(
        new.client_state_sha256, old.client_state_sha256,
        "a new secret"
    );
    assert_eq!(
        (new.mailbox.as_str(), new.resource),
        (f.alice.id.as_str(), old.resource)
    );
    assert!(graph_sub(&f, &subscription_id).is_object());
    assert_eq!(
        full_resyncs(&f.drain_sync().await),
        vec![(f.alice.id.clone(), SyncResource::Contacts)]
    );
}

#[tokio::test]
async fn a_renewal_that_keeps_failing_is_retried_on_later_runs_then_recreated() {
    let f = Fixture::new().await;
    let user = f.linked_user(&f.alice).await;
    let old = expiring_soon(&f, user).await;
    f.fail_renewals.store(true, Ordering::SeqCst);

    for run in 1..3 {
        let r = f.manager.renew_due().await.unwrap();
        assert_eq!((r.due, r.failed, r.recreated), (1, 1, 0), "run {run}");
        assert!(
            get_record(f.table.as_ref(), &old.subscription_id)
                .await
                .unwrap()
                .is_some()
        );
    }
    let r = f.manager.renew_due().await.unwrap();
    assert_eq!((r.due, r.failed, r.recreated), (1, 0, 1));
    assert_eq!(
        get_record(f.table.as_ref(), &old.subscription_id)
            .await
            .unwrap(),
        None
    );
    let at_graph = f.graph_subscriptions();
    assert_eq!(
        at_graph.len(),
        1,
        "the old one was deleted at Graph: {at_graph:?}"
    );
    assert_ne!(at_graph[0]["id"], old.subscription_id.as_str());
    assert_eq!(full_resyncs(&f.drain_sync().await).len(), 1);
}

#[tokio::test]
async fn an_expired_subscription_is_recreated_by_the_sweep_without_trying_to_renew_it() {
    let f = Fixture::new().await;
    let user = f.linked_user(&f.alice).await;
    let old = f
        .manager
        .ensure(f.tenant, user, &f.alice.id, GraphResource::Events)
        .await
        .unwrap();
    f.drain_sync().await;
    // The sweep did not run for days: the stored expiry has passed (moved back in the table,
    // since the emulator judges expiries by the real clock).
    let mut expired = old.clone();
    expired.expires_at_ms = f.clock.now_ms() - HOUR;
    f.table
        .put(record_item(&expired).unwrap(), None)
        .await
        .unwrap();
    f.table
        .delete(&expiry_key(old.expires_at_ms, &old.subscription_id), None)
        .await
        .unwrap();
    f.table
        .put(
            Item::new(expiry_key(expired.expires_at_ms, &old.subscription_id))
                .with("subscription_id", old.subscription_id.clone()),
            None,
        )
        .await
        .unwrap();
    // Renewing would fail: the proxy refuses every renewal.
    f.fail_renewals.store(true, Ordering::SeqCst);

    let report = f.manager.renew_due().await.unwrap();
    assert_eq!((report.due, report.renewed, report.recreated), (1, 0, 1));
    assert_eq!(
        get_record(f.table.as_ref(), &old.subscription_id)
            .await
            .unwrap(),
        None
    );
    let at_graph = f.graph_subscriptions();
    assert_eq!(at_graph.len(), 1);
    assert_ne!(at_graph[0]["id"], old.subscription_id.as_str());
    assert_eq!(
        full_resyncs(&f.drain_sync().await),
        vec![(f.alice.id.clone(), SyncResource::Events)]
    );
}

#[tokio::test]
async fn recreating_replaces_the_record_and_a_redelivered_request_does_nothing() {
    let f = Fixture::new().await;
    let user = f.linked_user(&f.alice).await;
    let old = f
        .manager
        .ensure(f.tenant, user, &f.alice.id, GraphResource::Events)
        .await
        .unwrap();
    f.drain_sync().await;
    f.emu
        .send_lifecycle(&old.subscription_id, "subscriptionRemoved")
        .unwrap();

    let r = f
        .manager
        .recreate(&old.subscription_id, true)
        .await
        .unwrap();
    let Recreated::Replaced { subscription_id } = r else {
        panic!("expected a replacement, got {r:?}")
    };
    assert_eq!(
        get_record(f.table.as_ref(), &old.subscription_id)
            .await
            .unwrap(),
        None
    );
    assert!(
        f.table
            .get(&expiry_key(old.expires_at_ms, &old.subscription_id))
            .await
            .unwrap()
            .is_none()
    );
    let by_user = user_subscription_key(f.tenant, user, GraphResource::Events);
    assert_eq!(
        f.table
            .get(&by_user)
            .await
            .unwrap()
            .unwrap()
            .get_str("subscription_id"),
        Some(subscription_id.as_str())
    );
    assert_eq!(
        full_resyncs(&f.drain_sync().await),
        vec![(f.alice.id.clone(), SyncResource::Events)]
    );

    assert_eq!(
        f.manager
            .recreate(&old.subscription_id, true)
            .await
            .unwrap(),
        Recreated::Unknown
    );
    assert_eq!(f.graph_subscriptions().len(), 1);
    assert!(f.drain_sync().await.is_empty());

    // Without full_resync nothing is queued.
    let r = f.manager.recreate(&subscription_id, false).await.unwrap();
    assert!(matches!(r, Recreated::Replaced { .. }), "{r:?}");
    assert!(f.drain_sync().await.is_empty());
}

#[tokio::test]
async fn renewing_an_unknown_subscription_is_nothing_to_do() {
    let f = Fixture::new().await;
    assert_eq!(
        f.manager.renew("no-such-id").await.unwrap(),
        Renewed::Unknown
    );
    assert_eq!(f.manager.renew("").await.unwrap(), Renewed::Unknown);
}

#[tokio::test]
async fn removing_deletes_at_graph_and_the_records_even_when_graph_already_lost_it() {
    let f = Fixture::new().await;
    let user = f.linked_user(&f.alice).await;
    let contacts = f
        .manager
        .ensure(f.tenant, user, &f.alice.id, GraphResource::Contacts)
        .await
        .unwrap();
    let events = f
        .manager
        .ensure(f.tenant, user, &f.alice.id, GraphResource::Events)
        .await
        .unwrap();
    f.emu
        .send_lifecycle(&events.subscription_id, "subscriptionRemoved")
        .unwrap();
    assert_eq!(f.manager.remove_all(f.tenant, user).await.unwrap(), 2);
    assert!(f.graph_subscriptions().is_empty());
    for id in [&contacts.subscription_id, &events.subscription_id] {
        assert_eq!(get_record(f.table.as_ref(), id).await.unwrap(), None);
    }
    assert!(
        f.manager
            .records_of_user(f.tenant, user)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        !f.manager
            .remove(f.tenant, user, GraphResource::Contacts)
            .await
            .unwrap()
    );
}
