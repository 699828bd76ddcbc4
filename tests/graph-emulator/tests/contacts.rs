//! Contact folders, contact CRUD with change keys and If-Match, delta.
#![allow(clippy::unwrap_used)]

mod common;

use common::{Fixture, fixture};
use graph_emulator::EmulatorConfig;
use serde_json::{Value, json};

async fn body(r: reqwest::Response) -> Value {
    r.json().await.unwrap()
}

#[tokio::test]
async fn contact_crud_with_change_keys_and_if_match() {
    let f = fixture(EmulatorConfig::default()).await;
    let u = &f.user.id;
    let folder = body(
        f.post(
            &format!("/users/{u}/contactFolders"),
            &json!({"displayName": "CRM"}),
        )
        .send()
        .await
        .unwrap(),
    )
    .await;
    let fid = folder["id"].as_str().unwrap().to_owned();
    let dup = f
        .post(
            &format!("/users/{u}/contactFolders"),
            &json!({"displayName": "CRM"}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(dup.status(), 409);
    let folders = body(
        f.get(&format!("/users/{u}/contactFolders"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(folders["value"].as_array().unwrap().len(), 2);

    let base = format!("/users/{u}/contactFolders/{fid}/contacts");
    let created = f
        .post(
            &base,
            &json!({"givenName": "Grace", "surname": "Hopper", "id": "ignored"}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 201);
    let c = body(created).await;
    let id = c["id"].as_str().unwrap().to_owned();
    assert_ne!(id, "ignored");
    let ck1 = c["changeKey"].as_str().unwrap().to_owned();
    assert_eq!(c["@odata.etag"], format!("W/\"{ck1}\""));
    assert!(c["lastModifiedDateTime"].as_str().unwrap().ends_with('Z'));
    assert_eq!(c["parentFolderId"], fid.as_str());

    let got = body(f.get(&format!("{base}/{id}")).send().await.unwrap()).await;
    assert_eq!(got["givenName"], "Grace");
    // also reachable via /users/{id}/contacts/{cid}
    let got = f
        .get(&format!("/users/{u}/contacts/{id}"))
        .send()
        .await
        .unwrap();
    assert_eq!(got.status(), 200);

    let etag1 = c["@odata.etag"].as_str().unwrap().to_owned();
    let updated = f
        .patch(
            &format!("{base}/{id}"),
            &json!({"jobTitle": "Rear Admiral"}),
        )
        .header("if-match", &etag1)
        .send()
        .await
        .unwrap();
    assert_eq!(updated.status(), 200);
    let c2 = body(updated).await;
    assert_ne!(c2["changeKey"], ck1.as_str());
    assert_eq!(c2["givenName"], "Grace");
    assert_eq!(c2["jobTitle"], "Rear Admiral");
    assert!(
        c2["lastModifiedDateTime"].as_str().unwrap() > c["lastModifiedDateTime"].as_str().unwrap()
    );

    let stale = f
        .patch(&format!("{base}/{id}"), &json!({"jobTitle": "x"}))
        .header("if-match", &etag1)
        .send()
        .await
        .unwrap();
    assert_eq!(stale.status(), 412);
    assert_eq!(
        body(stale).await["error"]["code"],
        "ErrorIrresolvableConflict"
    );
    let stale_delete = f
        .delete(&format!("{base}/{id}"))
        .header("if-match", &etag1)
        .send()
        .await
        .unwrap();
    assert_eq!(stale_delete.status(), 412);

    let deleted = f
        .delete(&format!("{base}/{id}"))
        .header("if-match", c2["@odata.etag"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.status(), 204);
    let gone = f.get(&format!("{base}/{id}")).send().await.unwrap();
    assert_eq!(gone.status(), 404);
    assert_eq!(body(gone).await["error"]["code"], "ErrorItemNotFound");
    assert!(f.emu.contacts(u, Some(&fid)).unwrap().is_empty());
}

#[tokio::test]
async fn default_folder_contacts_and_paging() {
    let f = fixture(EmulatorConfig::default()).await;
    let u = &f.user.id;
    for i in 0..3 {
        let r = f
            .post(
                &format!("/users/{u}/contacts"),
                &json!({"displayName": format!("C{i}")}),
            )
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 201);
    }
    let page = body(
        f.get(&format!("/users/{u}/contacts?$top=2"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(page["value"].as_array().unwrap().len(), 2);
    let next = page["@odata.nextLink"].as_str().unwrap();
    let page2 = body(f.get_abs(next).send().await.unwrap()).await;
    assert_eq!(page2["value"][0]["displayName"], "C2");
    assert!(page2.get("@odata.nextLink").is_none());
    assert_eq!(f.emu.contacts(u, None).unwrap().len(), 3);
}

/// Follows a delta round to its end; returns (items, deltaLink, pages).
async fn delta_round(f: &Fixture, url: &str, page_size: usize) -> (Vec<Value>, String, usize) {
    let mut items = Vec::new();
    let mut url = url.to_owned();
    let mut pages = 0;
    loop {
        let r = f
            .get_abs(&url)
            .header("prefer", format!("odata.maxpagesize={page_size}"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "{url}");
        let page = body(r).await;
        pages += 1;
        let value = page["value"].as_array().unwrap();
        assert!(value.len() <= page_size);
        items.extend(value.iter().cloned());
        if let Some(next) = page["@odata.nextLink"].as_str() {
            assert!(page.get("@odata.deltaLink").is_none());
            url = next.to_owned();
        } else {
            return (
                items,
                page["@odata.deltaLink"].as_str().unwrap().to_owned(),
                pages,
            );
        }
    }
}

#[tokio::test]
async fn delta_initial_incremental_deletions_and_forced_410() {
    let f = fixture(EmulatorConfig::default()).await;
    let u = f.user.id.clone();
    let fid = f.emu.create_contact_folder(&u, "CRM").unwrap();
    let mut ids = Vec::new();
    for i in 0..5 {
        let c = f
            .emu
            .create_contact(&u, Some(&fid), json!({"displayName": format!("P{i}")}))
            .unwrap();
        ids.push(c["id"].as_str().unwrap().to_owned());
    }
    // a contact in another folder is not part of this folder's delta
    f.emu
        .create_contact(&u, None, json!({"displayName": "elsewhere"}))
        .unwrap();
    // created then deleted before the first round: never shows up initially
    let gone = f
        .emu
        .create_contact(&u, Some(&fid), json!({"displayName": "tmp"}))
        .unwrap();
    f.emu
        .delete_contact(&u, gone["id"].as_str().unwrap())
        .unwrap();

    let start = f.url(&format!("/users/{u}/contactFolders/{fid}/contacts/delta"));
    let (items, delta_link, pages) = delta_round(&f, &start, 2).await;
    assert_eq!(pages, 3);
    let names: Vec<&str> = items
        .iter()
        .map(|i| i["displayName"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["P0", "P1", "P2", "P3", "P4"]);
    assert!(items.iter().all(|i| i.get("@removed").is_none()));

    // nothing changed: empty round
    let (items, delta_link, _) = delta_round(&f, &delta_link, 2).await;
    assert!(items.is_empty());

    // update (twice: reported once), delete, create; one change via the API
    f.emu
        .update_contact(&u, &ids[1], json!({"jobTitle": "CTO"}))
        .unwrap();
    f.emu
        .update_contact(&u, &ids[1], json!({"jobTitle": "CEO"}))
        .unwrap();
    f.emu.delete_contact(&u, &ids[3]).unwrap();
    let new = f
        .emu
        .create_contact(&u, Some(&fid), json!({"displayName": "P5"}))
        .unwrap();
    let r = f
        .patch(
            &format!("/users/{u}/contactFolders/{fid}/contacts/{}", ids[0]),
            &json!({"jobTitle": "CFO"}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);

    let (items, delta_link, _) = delta_round(&f, &delta_link, 10).await;
    assert_eq!(items.len(), 4, "{items:#?}");
    let find = |id: &str| items.iter().find(|i| i["id"] == id).unwrap().clone();
    assert_eq!(find(&ids[1])["jobTitle"], "CEO");
    assert_eq!(find(&ids[0])["jobTitle"], "CFO");
    assert_eq!(find(&ids[3])["@removed"]["reason"], "deleted");
    assert_eq!(find(new["id"].as_str().unwrap())["displayName"], "P5");
    assert!(find(&ids[1])["changeKey"].is_string());

    // forced token loss: 410 syncStateNotFound, then a fresh full round works
    f.emu.invalidate_delta_tokens(&u).unwrap();
    let r = f.get_abs(&delta_link).send().await.unwrap();
    assert_eq!(r.status(), 410);
    assert!(r.headers().get("location").is_some());
    assert_eq!(body(r).await["error"]["code"], "syncStateNotFound");
    let (items, _, _) = delta_round(&f, &start, 100).await;
    assert_eq!(items.len(), 5);

    // garbage token: 400
    let r = f
        .get_abs(&format!("{start}?$deltatoken=garbage"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
}
