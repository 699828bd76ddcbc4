//! Paging by `@odata.nextLink`, contact and calendarView delta, `If-Match` with change keys.
#![allow(clippy::unwrap_used)]

mod common;

use std::collections::HashSet;

use bridge_graph::{GraphError, TimeWindow};
use common::{TENANT, setup, setup_with};
use graph_emulator::EmulatorConfig;
use serde_json::json;

#[tokio::test]
async fn users_are_listed_across_pages() {
    let s = setup_with(EmulatorConfig::default(), |c| c.page_size = 3).await;
    for i in 0..7 {
        s.emu
            .add_user(TENANT, &format!("User {i}"), &format!("u{i}@contoso.test"))
            .unwrap();
    }
    let users = s.client.list_users().await.unwrap();
    assert_eq!(users.len(), 8);
    let ids: HashSet<&str> = users.iter().map(|u| u.id.as_str()).collect();
    assert_eq!(ids.len(), 8);
    let ada = users.iter().find(|u| u.id == s.user.id).unwrap();
    assert_eq!(ada.user_principal_name.as_deref(), Some("ada@contoso.test"));
    assert_eq!(ada.display_name.as_deref(), Some("Ada Lovelace"));
    let by_upn = s.client.get_user("ada@contoso.test").await.unwrap();
    assert_eq!(by_upn.id, s.user.id);
    assert_eq!(
        s.client.get_user("nobody@contoso.test").await.unwrap_err(),
        GraphError::NotFound
    );
}

#[tokio::test]
async fn contacts_are_listed_across_pages_in_a_folder() {
    let s = setup_with(EmulatorConfig::default(), |c| c.page_size = 4).await;
    let u = &s.user.id;
    let folder = s.client.create_contact_folder(u, "CRM").await.unwrap();
    assert_eq!(folder.display_name, "CRM");
    assert_eq!(
        s.client.create_contact_folder(u, "CRM").await.unwrap_err(),
        GraphError::Conflict
    );
    let folders = s.client.list_contact_folders(u).await.unwrap();
    assert_eq!(folders.len(), 2, "default folder + CRM");
    for i in 0..10 {
        s.client
            .create_contact(
                u,
                Some(&folder.id),
                &json!({ "displayName": format!("c{i}") }),
            )
            .await
            .unwrap();
    }
    let listed = s.client.list_contacts(u, Some(&folder.id)).await.unwrap();
    let names: Vec<&str> = listed
        .iter()
        .map(|c| c.json["displayName"].as_str().unwrap())
        .collect();
    assert_eq!(names, (0..10).map(|i| format!("c{i}")).collect::<Vec<_>>());
    assert!(s.client.list_contacts(u, None).await.unwrap().is_empty());
}

#[tokio::test]
async fn contact_delta_reports_changes_and_removals_and_restarts_after_invalidation() {
    let s = setup_with(EmulatorConfig::default(), |c| c.page_size = 3).await;
    let u = &s.user.id;
    let mut ids = Vec::new();
    for i in 0..8 {
        let c = s
            .client
            .create_contact(u, None, &json!({ "displayName": format!("c{i}") }))
            .await
            .unwrap();
        assert!(c.change_key.is_some());
        ids.push(c.id);
    }
    // initial round, over several pages (the emulator's own page size is 10: 3 requests prove
    // that `Prefer: odata.maxpagesize=3` was sent and every nextLink followed)
    let before = s.emu.request_count(u);
    let first = s.client.contacts_delta(u, None, None).await.unwrap();
    assert_eq!(s.emu.request_count(u) - before, 3);
    assert_eq!(first.items.len(), 8);
    assert!(first.removed.is_empty());
    assert!(first.delta_link.starts_with(s.client.base_url()));

    // nothing changed: an empty round
    let quiet = s
        .client
        .contacts_delta(u, None, Some(&first.delta_link))
        .await
        .unwrap();
    assert!(quiet.items.is_empty() && quiet.removed.is_empty());

    // the Outlook user edits one, deletes one, adds one
    let edited = s
        .emu
        .update_contact(u, &ids[2], json!({ "displayName": "edited" }))
        .unwrap();
    s.emu.delete_contact(u, &ids[5]).unwrap();
    s.emu
        .create_contact(u, None, json!({ "displayName": "new" }))
        .unwrap();
    let next = s
        .client
        .contacts_delta(u, None, Some(&quiet.delta_link))
        .await
        .unwrap();
    let changed: HashSet<&str> = next
        .items
        .iter()
        .map(|i| i.json["displayName"].as_str().unwrap())
        .collect();
    assert_eq!(changed, HashSet::from(["edited", "new"]));
    let e = next.items.iter().find(|i| i.id == ids[2]).unwrap();
    assert_eq!(e.change_key.as_deref(), edited["changeKey"].as_str());
    assert_eq!(next.removed.len(), 1);
    assert_eq!(next.removed[0].id, ids[5]);
    assert_eq!(next.removed[0].reason, "deleted");

    // the delta token expires: the caller must restart
    s.emu.invalidate_delta_tokens(u).unwrap();
    assert_eq!(
        s.client
            .contacts_delta(u, None, Some(&next.delta_link))
            .await
            .unwrap_err(),
        GraphError::SyncStateNotFound
    );
    let restarted = s.client.contacts_delta(u, None, None).await.unwrap();
    assert_eq!(restarted.items.len(), 8, "8 created - 1 deleted + 1 new");
}

#[tokio::test]
async fn a_delta_link_to_another_host_is_refused() {
    let s = setup(EmulatorConfig::default()).await;
    let err = s
        .client
        .contacts_delta(
            &s.user.id,
            None,
            Some("https://evil.example/v1.0/users/x/contacts/delta?$deltatoken=abc"),
        )
        .await
        .unwrap_err();
    assert!(matches!(err, GraphError::UntrustedLink(_)), "{err:?}");
    assert_eq!(s.emu.request_count(&s.user.id), 0, "nothing was sent");
    assert_eq!(s.token_requests(), 0, "not even a token was fetched");
}

#[tokio::test]
async fn a_stale_change_key_is_precondition_failed() {
    let s = setup(EmulatorConfig::default()).await;
    let u = &s.user.id;
    let c = s
        .client
        .create_contact(u, None, &json!({ "displayName": "A" }))
        .await
        .unwrap();
    let stale = c.change_key.clone().unwrap();
    // our own update with the current key succeeds and returns a new one
    let updated = s
        .client
        .update_contact(u, &c.id, &json!({ "displayName": "B" }), Some(&stale))
        .await
        .unwrap();
    assert_ne!(updated.change_key.as_deref(), Some(stale.as_str()));
    // a second update with the old key is refused, and changes nothing
    assert_eq!(
        s.client
            .update_contact(u, &c.id, &json!({ "displayName": "C" }), Some(&stale))
            .await
            .unwrap_err(),
        GraphError::PreconditionFailed
    );
    assert_eq!(
        s.client
            .delete_contact(u, &c.id, Some(&stale))
            .await
            .unwrap_err(),
        GraphError::PreconditionFailed
    );
    let got = s.client.get_contact(u, &c.id).await.unwrap();
    assert_eq!(got.json["displayName"], "B");
    // the etag works as If-Match too
    s.client
        .delete_contact(u, &c.id, got.etag.as_deref())
        .await
        .unwrap();
    assert_eq!(
        s.client.get_contact(u, &c.id).await.unwrap_err(),
        GraphError::NotFound
    );
}

fn event(subject: &str, start: &str, end: &str) -> serde_json::Value {
    json!({
        "subject": subject,
        "start": { "dateTime": start, "timeZone": "UTC" },
        "end": { "dateTime": end, "timeZone": "UTC" },
    })
}

#[tokio::test]
async fn events_crud_and_calendar_view_delta_within_a_window() {
    let s = setup_with(EmulatorConfig::default(), |c| c.page_size = 2).await;
    let u = &s.user.id;
    let calendars = s.client.list_calendars(u).await.unwrap();
    assert_eq!(calendars.len(), 1);
    assert_eq!(calendars[0].is_default_calendar, Some(true));
    let window = TimeWindow {
        start: "2025-03-01T00:00:00Z".into(),
        end: "2025-04-01T00:00:00Z".into(),
    };
    let a = s
        .client
        .create_event(
            u,
            None,
            &event("a", "2025-03-02T09:00:00", "2025-03-02T10:00:00"),
        )
        .await
        .unwrap();
    s.client
        .create_event(
            u,
            None,
            &event("b", "2025-03-03T09:00:00", "2025-03-03T10:00:00"),
        )
        .await
        .unwrap();
    s.client
        .create_event(
            u,
            None,
            &event("c", "2025-03-04T09:00:00", "2025-03-04T10:00:00"),
        )
        .await
        .unwrap();
    s.client
        .create_event(
            u,
            None,
            &event("outside", "2025-06-01T09:00:00", "2025-06-01T10:00:00"),
        )
        .await
        .unwrap();
    let first = s.client.events_delta(u, None, &window, None).await.unwrap();
    let subjects: HashSet<&str> = first
        .items
        .iter()
        .map(|i| i.json["subject"].as_str().unwrap())
        .collect();
    assert_eq!(subjects, HashSet::from(["a", "b", "c"]));

    // the user moves "a"; we update "a" with its new key; a stale key fails
    let moved = s
        .emu
        .update_event(u, &a.id, json!({ "subject": "a2" }))
        .unwrap();
    assert_eq!(
        s.client
            .update_event(
                u,
                &a.id,
                &json!({ "subject": "mine" }),
                a.change_key.as_deref()
            )
            .await
            .unwrap_err(),
        GraphError::PreconditionFailed
    );
    let next = s
        .client
        .events_delta(u, None, &window, Some(&first.delta_link))
        .await
        .unwrap();
    assert_eq!(next.items.len(), 1);
    assert_eq!(
        next.items[0].change_key.as_deref(),
        moved["changeKey"].as_str()
    );
    let ours = s
        .client
        .update_event(
            u,
            &a.id,
            &json!({ "subject": "mine" }),
            next.items[0].change_key.as_deref(),
        )
        .await
        .unwrap();
    assert_eq!(
        s.client.get_event(u, &a.id).await.unwrap().change_key,
        ours.change_key
    );
    s.client.delete_event(u, &a.id, None).await.unwrap();
    let last = s
        .client
        .events_delta(u, None, &window, Some(&next.delta_link))
        .await
        .unwrap();
    assert_eq!(last.removed.len(), 1);
    assert_eq!(last.removed[0].id, a.id);
}
