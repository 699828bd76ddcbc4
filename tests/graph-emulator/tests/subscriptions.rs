//! Subscriptions: validation handshake, renew/delete, change and lifecycle notifications, faults.
#![allow(clippy::unwrap_used)]

mod common;

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use common::{Fixture, Mode, fixture, receiver};
use graph_emulator::{DeliveryKind, EmulatorConfig};
use serde_json::{Value, json};

/// RFC 3339 for now + `minutes` (UTC).
fn in_minutes(minutes: u64) -> String {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
        + minutes * 60;
    let days = secs / 86_400;
    let sod = secs % 86_400;
    // civil-from-days (Howard Hinnant)
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        sod / 3600,
        sod % 3600 / 60,
        sod % 60
    )
}

async fn subscribe(f: &Fixture, resource: &str, base: &str, minutes: u64) -> reqwest::Response {
    f.post(
        "/subscriptions",
        &json!({
            "changeType": "created,updated,deleted",
            "notificationUrl": format!("{base}/notify?tenant=t1"),
            "lifecycleNotificationUrl": format!("{base}/lifecycle"),
            "resource": resource,
            "expirationDateTime": in_minutes(minutes),
            "clientState": "secret-state",
        }),
    )
    .send()
    .await
    .unwrap()
}

#[tokio::test]
async fn handshake_success_then_renew_list_delete() {
    let f = fixture(EmulatorConfig::default()).await;
    let rx = receiver(Mode::Echo).await;
    let r = subscribe(&f, &format!("/users/{}/contacts", f.user.id), &rx.url, 4200).await;
    assert_eq!(r.status(), 201);
    let sub: Value = r.json().await.unwrap();
    let id = sub["id"].as_str().unwrap().to_owned();
    assert_eq!(sub["clientState"], "secret-state");

    let validations: Vec<_> = f
        .emu
        .deliveries()
        .into_iter()
        .filter(|d| d.kind == DeliveryKind::Validation)
        .collect();
    assert_eq!(validations.len(), 2, "notification + lifecycle URL");
    assert!(
        validations
            .iter()
            .all(|v| v.status == Some(200) && v.error.is_none())
    );
    assert!(validations[0].url.contains("tenant=t1&validationToken="));

    let list: Value = f
        .get("/subscriptions")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(list["value"].as_array().unwrap().len(), 1);

    let renewed = f
        .patch(
            &format!("/subscriptions/{id}"),
            &json!({"expirationDateTime": in_minutes(4000)}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(renewed.status(), 200);
    let renewed: Value = renewed.json().await.unwrap();
    assert_ne!(renewed["expirationDateTime"], sub["expirationDateTime"]);
    let too_far = f
        .patch(
            &format!("/subscriptions/{id}"),
            &json!({"expirationDateTime": in_minutes(4300)}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(too_far.status(), 400);

    assert_eq!(
        f.delete(&format!("/subscriptions/{id}"))
            .send()
            .await
            .unwrap()
            .status(),
        204
    );
    assert_eq!(
        f.delete(&format!("/subscriptions/{id}"))
            .send()
            .await
            .unwrap()
            .status(),
        404
    );
    assert!(f.emu.subscriptions().is_empty());
}

#[tokio::test]
async fn handshake_failures_create_nothing() {
    let f = fixture(EmulatorConfig::default()).await;
    let resource = format!("/users/{}/contacts", f.user.id);
    let wrong = receiver(Mode::WrongToken).await;
    let r = subscribe(&f, &resource, &wrong.url, 60).await;
    assert_eq!(r.status(), 400);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["error"]["code"], "InvalidRequest");

    // nobody listening
    let dead = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}", l.local_addr().unwrap())
    };
    assert_eq!(subscribe(&f, &resource, &dead, 60).await.status(), 400);

    // lifetime over 4230 minutes
    let ok = receiver(Mode::Echo).await;
    assert_eq!(subscribe(&f, &resource, &ok.url, 4300).await.status(), 400);
    // unknown resource
    assert_eq!(
        subscribe(&f, "/users/nobody/contacts", &ok.url, 60)
            .await
            .status(),
        404
    );
    assert!(f.emu.subscriptions().is_empty());
}

#[tokio::test]
async fn contact_changes_are_notified_with_faults_on_demand() {
    let f = fixture(EmulatorConfig::default()).await;
    let u = f.user.id.clone();
    let fid = f.emu.create_contact_folder(&u, "CRM").unwrap();
    let rx = receiver(Mode::Echo).await;
    let r = subscribe(
        &f,
        &format!("/users/{u}/contactFolders/{fid}/contacts"),
        &rx.url,
        600,
    )
    .await;
    assert_eq!(r.status(), 201);
    let sub: Value = r.json().await.unwrap();
    let sub_id = sub["id"].as_str().unwrap().to_owned();

    // the Outlook user edits a contact in the folder
    let c = f
        .emu
        .create_contact(&u, Some(&fid), json!({"displayName": "Ada"}))
        .unwrap();
    let cid = c["id"].as_str().unwrap().to_owned();
    // not in the subscribed folder: no notification
    f.emu
        .create_contact(&u, None, json!({"displayName": "Other"}))
        .unwrap();
    let d = f
        .emu
        .wait_for_deliveries(DeliveryKind::Change, 1, Duration::from_secs(5))
        .await;
    assert_eq!(d.len(), 1);
    assert_eq!(d[0].status, Some(202));
    let got = rx.received();
    let n = &got[0]["value"][0];
    assert_eq!(n["subscriptionId"], sub_id.as_str());
    assert_eq!(n["clientState"], "secret-state");
    assert_eq!(n["changeType"], "created");
    assert_eq!(n["tenantId"], common::TENANT);
    assert_eq!(n["resourceData"]["id"], cid.as_str());
    assert_eq!(n["resourceData"]["@odata.etag"], c["@odata.etag"]);
    assert_eq!(n["resource"], format!("Users/{u}/Contacts/{cid}"));

    // duplicated delivery
    f.emu.duplicate_next_deliveries(1);
    f.emu
        .update_contact(&u, &cid, json!({"jobTitle": "Countess"}))
        .unwrap();
    let d = f
        .emu
        .wait_for_deliveries(DeliveryKind::Change, 3, Duration::from_secs(5))
        .await;
    assert_eq!(d.len(), 3);
    // dropped delivery, then an API delete (If-Match not needed)
    f.emu.drop_next_deliveries(1);
    f.emu
        .update_contact(&u, &cid, json!({"jobTitle": "x"}))
        .unwrap();
    let del = f
        .delete(&format!("/users/{u}/contactFolders/{fid}/contacts/{cid}"))
        .send()
        .await
        .unwrap();
    assert_eq!(del.status(), 204);
    let d = f
        .emu
        .wait_for_deliveries(DeliveryKind::Change, 5, Duration::from_secs(5))
        .await;
    assert_eq!(d.iter().filter(|r| r.dropped).count(), 1);
    let sent: Vec<_> = d.iter().filter(|r| !r.dropped).collect();
    assert_eq!(sent.len(), 4);
    let received = rx.received();
    assert_eq!(received.len(), 4);
    assert_eq!(received[3]["value"][0]["changeType"], "deleted");

    // delayed delivery is overtaken by the next one
    f.emu.delay_next_delivery(Duration::from_millis(300));
    let a = f
        .emu
        .create_contact(&u, Some(&fid), json!({"displayName": "A"}))
        .unwrap();
    let b = f
        .emu
        .create_contact(&u, Some(&fid), json!({"displayName": "B"}))
        .unwrap();
    f.emu
        .wait_for_deliveries(DeliveryKind::Change, 7, Duration::from_secs(5))
        .await;
    let received = rx.received();
    assert_eq!(received[4]["value"][0]["resourceData"]["id"], b["id"]);
    assert_eq!(received[5]["value"][0]["resourceData"]["id"], a["id"]);

    // lifecycle
    f.emu.send_lifecycle(&sub_id, "missed").unwrap();
    let l = f
        .emu
        .wait_for_deliveries(DeliveryKind::Lifecycle, 1, Duration::from_secs(5))
        .await;
    assert_eq!(l[0].status, Some(202));
    assert_eq!(rx.received()[6]["value"][0]["lifecycleEvent"], "missed");
    f.emu
        .send_lifecycle(&sub_id, "subscriptionRemoved")
        .unwrap();
    assert!(f.emu.subscriptions().is_empty());
    assert!(f.emu.send_lifecycle(&sub_id, "missed").is_err());
}
