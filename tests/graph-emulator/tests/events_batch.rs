//! Calendars/events with calendarView delta, event notifications, and JSON batching.
#![allow(clippy::unwrap_used)]

mod common;

use std::time::Duration;

use common::{Fixture, Mode, fixture, receiver};
use graph_emulator::{DeliveryKind, EmulatorConfig};
use serde_json::{Value, json};

fn event(subject: &str, start: &str, end: &str) -> Value {
    json!({
        "subject": subject,
        "start": {"dateTime": start, "timeZone": "UTC"},
        "end": {"dateTime": end, "timeZone": "UTC"},
    })
}

async fn round(f: &Fixture, url: &str) -> (Vec<Value>, String) {
    let mut items = Vec::new();
    let mut url = url.to_owned();
    loop {
        let r = f
            .get_abs(&url)
            .header("prefer", "odata.maxpagesize=2")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "{url}");
        let page: Value = r.json().await.unwrap();
        items.extend(page["value"].as_array().unwrap().iter().cloned());
        match page["@odata.nextLink"].as_str() {
            Some(n) => url = n.to_owned(),
            None => return (items, page["@odata.deltaLink"].as_str().unwrap().to_owned()),
        }
    }
}

#[tokio::test]
async fn events_crud_and_calendar_view_delta() {
    let f = fixture(EmulatorConfig::default()).await;
    let u = f.user.id.clone();
    let cal = f
        .post(&format!("/users/{u}/calendars"), &json!({"name": "CRM"}))
        .send()
        .await
        .unwrap();
    assert_eq!(cal.status(), 201);
    let cals: Value = f
        .get(&format!("/users/{u}/calendars"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(cals["value"].as_array().unwrap().len(), 2);
    assert_eq!(cals["value"][0]["isDefaultCalendar"], true);

    let bad = f
        .post(
            &format!("/users/{u}/events"),
            &json!({"subject": "no times"}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 400);

    let mut with_tx = event("Kickoff", "2025-01-10T09:00:00", "2025-01-10T10:00:00");
    with_tx["transactionId"] = json!("tx-1");
    let a: Value = f
        .post(&format!("/users/{u}/events"), &with_tx)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let again: Value = f
        .post(&format!("/users/{u}/events"), &with_tx)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        a["id"], again["id"],
        "transactionId dedupes a retried create"
    );
    assert_eq!(a["type"], "singleInstance");
    let a_id = a["id"].as_str().unwrap().to_owned();
    let b = f
        .emu
        .create_event(
            &u,
            None,
            event("March", "2025-03-01T09:00:00", "2025-03-01T10:00:00"),
        )
        .unwrap();
    assert_eq!(f.emu.events(&u, None).unwrap().len(), 2);

    let view: Value = f
        .get(&format!(
            "/users/{u}/calendarView?startDateTime=2025-01-01T00:00:00Z&endDateTime=2025-02-01T00:00:00Z"
        ))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(view["value"].as_array().unwrap().len(), 1);

    let start = f.url(&format!(
        "/users/{u}/calendarView/delta?startDateTime=2025-01-01T00:00:00Z&endDateTime=2025-02-01T00:00:00Z"
    ));
    let (items, link) = round(&f, &start).await;
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["id"], a_id.as_str());

    // stale If-Match
    let stale = f
        .patch(
            &format!("/users/{u}/events/{a_id}"),
            &json!({"subject": "x"}),
        )
        .header("if-match", "W/\"old\"")
        .send()
        .await
        .unwrap();
    assert_eq!(stale.status(), 412);

    // A moves out of the window, C is created inside, B changes outside
    f.emu
        .update_event(
            &u,
            &a_id,
            json!({"start": {"dateTime": "2025-04-01T09:00:00", "timeZone": "UTC"},
                   "end": {"dateTime": "2025-04-01T10:00:00", "timeZone": "UTC"}}),
        )
        .unwrap();
    let c = f
        .emu
        .create_event(
            &u,
            None,
            event("Review", "2025-01-20T09:00:00", "2025-01-20T10:00:00"),
        )
        .unwrap();
    f.emu
        .update_event(&u, b["id"].as_str().unwrap(), json!({"subject": "March!"}))
        .unwrap();
    let (items, link) = round(&f, &link).await;
    let by_id = |id: &Value| items.iter().find(|i| i["id"] == *id).unwrap().clone();
    assert_eq!(items.len(), 3);
    assert_eq!(by_id(&a["id"])["@removed"]["reason"], "deleted");
    assert_eq!(by_id(&b["id"])["@removed"]["reason"], "deleted");
    assert_eq!(by_id(&c["id"])["subject"], "Review");

    let del = f
        .delete(&format!("/users/{u}/events/{}", c["id"].as_str().unwrap()))
        .send()
        .await
        .unwrap();
    assert_eq!(del.status(), 204);
    let (items, _) = round(&f, &link).await;
    assert_eq!(items.len(), 1);
    assert!(items[0].get("@removed").is_some());

    // a window is required on the first call
    let r = f
        .get(&format!("/users/{u}/calendarView/delta"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
}

#[tokio::test]
async fn event_changes_are_notified() {
    let f = fixture(EmulatorConfig::default()).await;
    let u = f.user.id.clone();
    let rx = receiver(Mode::Echo).await;
    let r = f
        .post(
            "/subscriptions",
            &json!({
                "changeType": "created,deleted",
                "notificationUrl": format!("{}/notify", rx.url),
                "resource": format!("users/{u}/events"),
                "expirationDateTime": "2099-01-01T00:00:00Z",
            }),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400, "too far in the future");
    let exp = {
        // 1 hour from now, via the emulator's own clock is not exposed: use a short lifetime
        // (bumped to 45 min minimum) in the past-safe form of "now + 1h" computed locally.
        let secs = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs()
            + 3600;
        let days = (secs / 86_400) as i64 + 719_468;
        let era = days.div_euclid(146_097);
        let doe = days.rem_euclid(146_097);
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let d = doy - (153 * mp + 2) / 5 + 1;
        let m = if mp < 10 { mp + 3 } else { mp - 9 };
        let y = yoe + era * 400 + i64::from(m <= 2);
        let sod = secs % 86_400;
        format!(
            "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
            sod / 3600,
            sod % 3600 / 60,
            sod % 60
        )
    };
    let r = f
        .post(
            "/subscriptions",
            &json!({
                "changeType": "created,deleted",
                "notificationUrl": format!("{}/notify", rx.url),
                "resource": format!("users/{u}/events"),
                "expirationDateTime": exp,
            }),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let e = f
        .emu
        .create_event(
            &u,
            None,
            event("x", "2025-01-10T09:00:00", "2025-01-10T10:00:00"),
        )
        .unwrap();
    // updates are not subscribed
    f.emu
        .update_event(&u, e["id"].as_str().unwrap(), json!({"subject": "y"}))
        .unwrap();
    f.emu.delete_event(&u, e["id"].as_str().unwrap()).unwrap();
    let d = f
        .emu
        .wait_for_deliveries(DeliveryKind::Change, 2, Duration::from_secs(5))
        .await;
    assert_eq!(d.len(), 2);
    tokio::time::sleep(Duration::from_millis(100)).await;
    let got = rx.received();
    assert_eq!(got.len(), 2);
    let kinds: Vec<&str> = got
        .iter()
        .map(|n| n["value"][0]["changeType"].as_str().unwrap())
        .collect();
    assert!(kinds.contains(&"created") && kinds.contains(&"deleted"));
    assert_eq!(
        got[0]["value"][0]["resourceData"]["@odata.type"],
        "#Microsoft.Graph.Event"
    );
}

async fn batch(f: &Fixture, requests: Value) -> reqwest::Response {
    f.post("/$batch", &json!({ "requests": requests }))
        .send()
        .await
        .unwrap()
}

fn status_of(body: &Value, id: &str) -> u64 {
    body["responses"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == id)
        .unwrap()["status"]
        .as_u64()
        .unwrap()
}

#[tokio::test]
async fn batch_runs_each_request_with_its_own_status() {
    let f = fixture(EmulatorConfig::default()).await;
    let u = &f.user.id;
    let r = batch(
        &f,
        json!([
            {"id": "1", "method": "GET", "url": format!("/users/{u}/contacts")},
            {"id": "2", "method": "POST", "url": format!("users/{u}/contacts"),
             "headers": {"Content-Type": "application/json"}, "body": {"displayName": "Via batch"}},
            {"id": "3", "method": "GET", "url": format!("/users/{u}/contacts/nope")},
            {"id": "4", "method": "GET", "url": format!("/users/{u}/contacts"), "dependsOn": ["3"]},
        ]),
    )
    .await;
    assert_eq!(r.status(), 200);
    let body: Value = r.json().await.unwrap();
    assert_eq!(status_of(&body, "1"), 200);
    assert_eq!(status_of(&body, "2"), 201);
    assert_eq!(status_of(&body, "3"), 404);
    assert_eq!(status_of(&body, "4"), 424);
    assert_eq!(f.emu.contacts(u, None).unwrap().len(), 1);

    let many: Vec<Value> = (0..21)
        .map(|i| json!({"id": i.to_string(), "method": "GET", "url": "/users"}))
        .collect();
    assert_eq!(batch(&f, Value::Array(many)).await.status(), 400);
    let dup = json!([{"id": "1", "method": "GET", "url": "/users"},
                     {"id": "1", "method": "GET", "url": "/users"}]);
    assert_eq!(batch(&f, dup).await.status(), 400);
    let no_ctype = json!([{"id": "1", "method": "POST", "url": format!("/users/{u}/contacts"),
                           "body": {"displayName": "x"}}]);
    assert_eq!(batch(&f, no_ctype).await.status(), 400);
}

#[tokio::test]
async fn batch_inner_requests_are_throttled_per_mailbox() {
    let f = fixture(EmulatorConfig {
        mailbox_latency: Duration::from_millis(300),
        ..EmulatorConfig::default()
    })
    .await;
    let u = &f.user.id;
    let parallel: Vec<Value> = (0..6)
        .map(|i| json!({"id": i.to_string(), "method": "GET", "url": format!("/users/{u}/contacts")}))
        .collect();
    let body: Value = batch(&f, Value::Array(parallel))
        .await
        .json()
        .await
        .unwrap();
    let responses = body["responses"].as_array().unwrap();
    assert_eq!(responses.len(), 6);
    let throttled: Vec<&Value> = responses.iter().filter(|r| r["status"] == 429).collect();
    assert!(!throttled.is_empty());
    assert!(
        throttled
            .iter()
            .all(|r| r["headers"]["retry-after"].is_string())
    );
    assert!(f.emu.max_concurrency_seen(u) <= 4);

    // chained with dependsOn: sequential, no 429
    let chained: Vec<Value> = (0..6)
        .map(|i| {
            let mut r = json!({"id": i.to_string(), "method": "GET", "url": format!("/users/{u}/contacts")});
            if i > 0 {
                r["dependsOn"] = json!([(i - 1).to_string()]);
            }
            r
        })
        .collect();
    let body: Value = batch(&f, Value::Array(chained)).await.json().await.unwrap();
    assert!(
        body["responses"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["status"] == 200)
    );
}
