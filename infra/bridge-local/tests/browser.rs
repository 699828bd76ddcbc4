//! The pages in headless Chromium (through ChromeDriver), against bridge-local and a stand-in for
//! Office for the web on loopback: sign in, a client's documents with their app icons, a click on
//! a name opens the host page, which posts the access token into Office's frame; the stand-in
//! Office then calls our CheckFileInfo with that token, as Office does, and shows what it got.

#![allow(clippy::unwrap_used)] // test helpers outside #[test] fns

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::{Form, RawQuery, State};
use axum::response::Html;
use axum::routing::post;
use bridge_core::tenant::{Right, User};
use bridge_platform::{Config, Storage};
use fantoccini::{ClientBuilder, Locator};
use serde_json::Value;

mod common;

use common::{link, mail};

/// What the stand-in Office received on one launch.
#[derive(Debug, Clone)]
struct Launch {
    path: String,
    query: String,
    access_token: String,
    access_token_ttl: i64,
}

#[derive(Clone, Default)]
struct Office {
    launches: Arc<Mutex<Vec<Launch>>>,
}

#[derive(serde::Deserialize)]
struct LaunchForm {
    access_token: String,
    access_token_ttl: i64,
}

/// The stand-in for an Office action URL: records the launch, calls CheckFileInfo on the
/// `wopisrc` with the posted token and renders the answer.
async fn launch(
    State(office): State<Office>,
    uri: axum::http::Uri,
    RawQuery(query): RawQuery,
    Form(form): Form<LaunchForm>,
) -> Html<String> {
    let query = query.unwrap_or_default();
    office.launches.lock().unwrap().push(Launch {
        path: uri.path().to_string(),
        query: query.clone(),
        access_token: form.access_token.clone(),
        access_token_ttl: form.access_token_ttl,
    });
    let wopi_src = form_urlencoded::parse(query.as_bytes())
        .find(|(k, _)| k == "wopisrc")
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default();
    let info: Value = reqwest::Client::new()
        .get(format!(
            "{wopi_src}?access_token={}",
            form_urlencoded::byte_serialize(form.access_token.as_bytes()).collect::<String>()
        ))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let s = |k: &str| info[k].as_str().unwrap_or("").to_string();
    Html(format!(
        "<!doctype html><html><body><h1 id=\"file\">{}</h1><p id=\"can-write\">{}</p>\
         <a id=\"close\" href=\"{}\" target=\"_top\">Close</a><p id=\"edit-url\">{}</p></body></html>",
        s("BaseFileName"),
        info["UserCanWrite"],
        s("CloseUrl"),
        s("HostEditUrl"),
    ))
}

fn discovery_xml(office: std::net::SocketAddr) -> String {
    let action = |name: &str, path: &str| {
        format!(
            r#"<action name="{name}" ext="docx" urlsrc="http://{office}{path}?&lt;ui=UI_LLCC&amp;&gt;&lt;wopisrc=WOPI_SOURCE&amp;&gt;"/>"#
        )
    };
    format!(
        r#"<?xml version="1.0" encoding="utf-8"?><wopi-discovery><net-zone name="external-https"><app name="Word" favIconUrl="http://{office}/favicon.ico" checkLicense="true">{}{}</app></net-zone></wopi-discovery>"#,
        action("view", "/wv/wordviewerframe.aspx"),
        action("edit", "/we/wordeditorframe.aspx"),
    )
}

/// Starts the stand-in Office and bridge-local with a discovery that points at it, with the data
/// under `dir/data`; the base URL of bridge-local.
async fn with_office(dir: &std::path::Path) -> (Office, bridge_local::Running, String) {
    let office = Office::default();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let office_addr = listener.local_addr().unwrap();
    let app = axum::Router::new()
        .route("/we/wordeditorframe.aspx", post(launch))
        .route("/wv/wordviewerframe.aspx", post(launch))
        .with_state(office.clone());
    tokio::spawn(async move { axum::serve(listener, app).await });
    let discovery = dir.join("discovery.xml");
    std::fs::write(&discovery, discovery_xml(office_addr)).unwrap();
    let mut config = Config::from_lookup(|_| None).unwrap();
    config.storage = Storage::Embedded {
        data_dir: dir.join("data"),
    };
    config.wopi_discovery = Some(discovery.to_str().unwrap().to_string());
    let running = bridge_local::start(&config, "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let base = format!("http://{}", running.addr);
    (office, running, base)
}

async fn browser(driver: &test_support::ChromeDriver) -> fantoccini::Client {
    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".into(),
        serde_json::json!({
            "binary": driver.chromium,
            "args": test_support::CHROMIUM_ARGS,
        }),
    );
    ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
        .capabilities(caps)
        .connect(&driver.url)
        .await
        .unwrap()
}

/// Signs `user` in through the local sign-in form.
async fn sign_in(c: &fantoccini::Client, base: &str, user: &User) {
    c.delete_all_cookies().await.unwrap();
    c.goto(&format!(
        "{base}/app/sign-in?tenant_id={}&user_id={}",
        user.tenant, user.id
    ))
    .await
    .unwrap();
    c.find(Locator::Css("#sign-in button"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    c.wait()
        .for_element(Locator::Css("#clients"))
        .await
        .unwrap();
}

async fn text(c: &fantoccini::Client, css: &str) -> String {
    c.wait()
        .at_most(Duration::from_secs(20))
        .for_element(Locator::Css(css))
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_click_on_a_document_opens_it_in_office_with_the_token_posted_not_in_the_url() {
    let Some(driver) = test_support::chromedriver() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let (office, running, base) = with_office(dir.path()).await;
    let adapters = running.adapters.clone();
    let (tenant, users) = bridge_platform::seed::new_tenant(
        &adapters,
        "Browser BV",
        &[("Edith", &[Right::AddDocument]), ("Vic", &[])],
    );
    bridge_platform::seed::store_tenant(&adapters, &tenant, &users, Vec::new())
        .await
        .unwrap();
    let (editor, viewer) = (&users[0], &users[1]);
    let docs = adapters.documents();
    let client = docs.create_client(tenant.id, editor, "Acme").await.unwrap();
    for name in ["Offer.docx", "Notes.zip"] {
        let body: bridge_blobs::ByteStream = Box::pin(futures::stream::once(async {
            Ok(bytes::Bytes::from_static(b"PK content"))
        }));
        docs.upload(tenant.id, editor, client.client_id, name, body)
            .await
            .unwrap();
    }

    let c = browser(&driver).await;
    // The editor: client files → Acme → the .docx opens for editing.
    sign_in(&c, &base, editor).await;
    c.find(Locator::LinkText("Acme"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    c.wait()
        .for_element(Locator::Css("#documents"))
        .await
        .unwrap();
    let word_icon = c
        .find(Locator::XPath(
            "//tr[.//a[text()='Offer.docx']]//span[@data-app]",
        ))
        .await
        .unwrap();
    assert_eq!(
        word_icon.attr("data-app").await.unwrap().as_deref(),
        Some("Word")
    );
    assert_eq!(word_icon.text().await.unwrap(), "W");
    let zip = c.find(Locator::LinkText("Notes.zip")).await.unwrap();
    assert_eq!(
        zip.attr("data-action").await.unwrap().as_deref(),
        Some("download")
    );
    c.find(Locator::LinkText("Offer.docx"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    // The host page made the frame and posted into it; Office called CheckFileInfo.
    let frame = c
        .wait()
        .at_most(Duration::from_secs(20))
        .for_element(Locator::Id("office_frame"))
        .await
        .unwrap();
    assert_eq!(
        frame.attr("sandbox").await.unwrap().as_deref(),
        Some(
            "allow-scripts allow-same-origin allow-forms allow-popups allow-top-navigation allow-popups-to-escape-sandbox"
        )
    );
    assert!(c.current_url().await.unwrap().path().ends_with("/edit"));
    frame.enter_frame().await.unwrap();
    assert_eq!(text(&c, "#file").await, "Offer.docx");
    assert_eq!(text(&c, "#can-write").await, "true");
    assert!(text(&c, "#edit-url").await.ends_with("/edit"));
    {
        let launches = office.launches.lock().unwrap();
        let l = launches.last().unwrap();
        assert_eq!(l.path, "/we/wordeditorframe.aspx");
        assert!(!l.query.contains("access_token"), "{}", l.query);
        assert!(
            l.query.contains("wopisrc=http%3A%2F%2F127.0.0.1"),
            "{}",
            l.query
        );
        assert!(!l.access_token.is_empty());
        assert!(l.access_token_ttl > adapters.clock.now_ms());
    }
    // Office's close goes back to the client's documents (CheckFileInfo CloseUrl).
    c.find(Locator::Id("close"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    c.enter_parent_frame().await.ok();
    c.wait()
        .at_most(Duration::from_secs(20))
        .for_element(Locator::Css("#documents"))
        .await
        .unwrap();
    assert_eq!(
        c.current_url().await.unwrap().path(),
        format!("/app/clients/{}", client.client_id)
    );

    // The viewer: the same name opens the viewer, with a token that cannot write.
    sign_in(&c, &base, viewer).await;
    c.goto(&format!("{base}/app/clients/{}", client.client_id))
        .await
        .unwrap();
    let link = c.find(Locator::LinkText("Offer.docx")).await.unwrap();
    assert_eq!(
        link.attr("data-action").await.unwrap().as_deref(),
        Some("view")
    );
    link.click().await.unwrap();
    let frame = c
        .wait()
        .at_most(Duration::from_secs(20))
        .for_element(Locator::Id("office_frame"))
        .await
        .unwrap();
    frame.enter_frame().await.unwrap();
    assert_eq!(text(&c, "#can-write").await, "false");
    assert_eq!(text(&c, "#edit-url").await, "");
    assert_eq!(
        office.launches.lock().unwrap().last().unwrap().path,
        "/wv/wordviewerframe.aspx"
    );

    // DOC-13: the help page is one click from every page.
    c.goto(&format!("{base}/app/clients/{}", client.client_id))
        .await
        .unwrap();
    c.find(Locator::XPath("//nav/a[contains(., 'Almost there')]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    assert!(text(&c, "#not-signed-in").await.contains("not signed in"));
    assert!(text(&c, "#no-licence").await.contains("business licence"));

    c.close().await.unwrap();
    running.shutdown();
}

/// Waits for `css` and clicks it.
async fn click(c: &fantoccini::Client, css: &str) {
    c.wait()
        .at_most(Duration::from_secs(20))
        .for_element(Locator::Css(css))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
}

/// Types `value` into the field `css`.
async fn fill(c: &fantoccini::Client, css: &str, value: &str) {
    c.find(Locator::Css(css))
        .await
        .unwrap()
        .send_keys(value)
        .await
        .unwrap();
}

/// Installs as the emulator's signed-in administrator: the install page, sign-in, admin consent
/// at (emulated) Microsoft, the environment's name; ends on the users page.
async fn install(c: &fantoccini::Client, base: &str, name: &str) {
    c.goto(&format!("{base}/app/install")).await.unwrap();
    click(c, "#sign-in").await;
    // Consent at (emulated) Microsoft: a form whose answer leaves for Microsoft's origin.
    click(c, "#consent button").await;
    c.wait()
        .at_most(Duration::from_secs(20))
        .for_element(Locator::Css("#install"))
        .await
        .unwrap();
    fill(c, "#install input[name=name]", name).await;
    click(c, "#install button").await;
    c.wait()
        .at_most(Duration::from_secs(20))
        .for_element(Locator::Css("#users"))
        .await
        .unwrap();
}

/// USR-1 and USR-2 in a real browser, whose forms carry the Origin and Fetch-Metadata headers our
/// same-origin checks read: the administrator signs in with (emulated) Microsoft, consents and
/// installs, invites a colleague from the users page; the colleague opens the e-mailed link,
/// signs in and accepts, and lands in the app.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn install_invite_and_accept_through_the_pages() {
    let Some(driver) = test_support::chromedriver() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let mut config = Config::from_lookup(|_| None).unwrap();
    config.storage = Storage::Embedded {
        data_dir: dir.path().to_path_buf(),
    };
    let running = bridge_local::start(&config, "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let base = format!("http://{}", running.addr);
    let ms = running.microsoft.as_ref().unwrap();
    let alex = ms
        .emulator()
        .users(bridge_local::microsoft::LOCAL_ORG_TENANT)
        .into_iter()
        .find(|u| u.user_principal_name == bridge_local::microsoft::LOCAL_USER_UPN)
        .unwrap();

    let c = browser(&driver).await;
    // The administrator (the emulator's signed-in user) installs.
    install(&c, &base, "Contoso").await;
    assert!(text(&c, "#users").await.contains("Megan"));

    // The invitation, from the form.
    fill(&c, "#invite input[name=m365_user_id]", &alex.id).await;
    fill(&c, "#invite input[name=upn]", &alex.user_principal_name).await;
    click(&c, "#invite button").await;
    assert!(
        text(&c, "#invitations")
            .await
            .contains(&alex.user_principal_name)
    );
    let accept_url = link(
        &mail(dir.path(), "inv-").await,
        &format!("{base}/app/invitations/"),
    );

    // Alex, in a fresh session: the link's page, sign-in, accept.
    c.delete_all_cookies().await.unwrap();
    ms.emulator().sign_in(&alex.user_principal_name).unwrap();
    c.goto(&accept_url).await.unwrap();
    assert!(text(&c, "#summary").await.contains("Contoso"));
    click(&c, "#sign-in").await;
    click(&c, "#accept button").await;
    // The app's home, signed in as a member of the new environment (it has no client files).
    assert_eq!(text(&c, "h1").await, "Client files");
    assert_eq!(c.current_url().await.unwrap().path(), "/app");
    // The link is used up: opening it again says so.
    c.goto(&accept_url).await.unwrap();
    assert!(text(&c, "#state").await.contains("used"));

    c.close().await.unwrap();
    running.shutdown();
}

/// PAR-3..5 in a real browser: Contoso's relation manager finds Fabrikam on the partners page and
/// asks its relation manager, who opens the e-mailed link, signs in and accepts; she shares a
/// document with the relation group from its client file; it is on Fabrikam's shared page, and
/// "View in Office" opens it in Office's viewer with a token that cannot write. (Installing and
/// the operator's and admins' settings are done as in the black-box flows; here they are set up
/// directly.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn partners_find_request_accept_and_view_a_shared_document_in_office() {
    let Some(driver) = test_support::chromedriver() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let (office, running, base) = with_office(dir.path()).await;
    let emulator = running.microsoft.as_ref().unwrap().emulator();
    let contoso_entra = bridge_local::microsoft::LOCAL_ORG_TENANT;
    let fabrikam_entra = "3c9a7d41-2b6e-4f80-9d15-fab41ca00002";
    let megan_oid = emulator
        .users(contoso_entra)
        .into_iter()
        .find(|u| u.user_principal_name == bridge_local::microsoft::LOCAL_ADMIN_UPN)
        .unwrap()
        .id;
    emulator.add_tenant(fabrikam_entra);
    let pat = emulator
        .add_user(
            fabrikam_entra,
            "Pat Partner",
            "pat.partner@fabrikam.example",
        )
        .unwrap();
    emulator.set_tenant_admin(&pat.id, true).unwrap();

    // Both organisations install; the operator and the admins make each installer a findable
    // relation manager of an environment with partner relations.
    let c = browser(&driver).await;
    install(&c, &base, "Contoso").await;
    c.delete_all_cookies().await.unwrap();
    emulator.sign_in(&pat.id).unwrap();
    install(&c, &base, "Fabrikam").await;
    let adapters = running.adapters.clone();
    let directory = bridge_platform::directory::service(&adapters).unwrap();
    let mut managers = Vec::new();
    for (entra, oid) in [
        (contoso_entra, megan_oid.as_str()),
        (fabrikam_entra, pat.id.as_str()),
    ] {
        let tenant = directory.installed_tenant(entra).await.unwrap().unwrap();
        directory
            .set_partner_relations_subscription(tenant, true)
            .await
            .unwrap();
        let person = bridge_directory::SignedInPerson {
            tid: entra.into(),
            oid: oid.into(),
            name: String::new(),
            preferred_username: None,
            verified_email: None,
            is_tenant_admin: true,
        };
        let bridge_directory::SignInOutcome::Member { user, .. } =
            directory.resolve_sign_in(&person).await.unwrap()
        else {
            panic!("the installer is a member");
        };
        let admin = bridge_platform::seed::load_account(&adapters, tenant, user)
            .await
            .unwrap()
            .unwrap();
        let by = bridge_directory::Actor {
            tenant,
            user: admin.user.id,
        };
        directory
            .change_access(
                by,
                admin.user.id,
                bridge_directory::AccessChange {
                    groups: Some(vec![bridge_core::tenant::Group::RelationManagers]),
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        directory.set_findable(by, true).await.unwrap();
        managers.push((by, admin.user.clone()));
    }
    let megan = managers[0].0;

    // Megan finds Fabrikam and asks Pat.
    c.delete_all_cookies().await.unwrap();
    emulator
        .sign_in(bridge_local::microsoft::LOCAL_ADMIN_UPN)
        .unwrap();
    c.goto(&format!(
        "{base}/app/sign-in/microsoft?return_to=%2Fapp%2Fpartners"
    ))
    .await
    .unwrap();
    fill(&c, "#search input[name=q]", "fabrik").await;
    click(&c, "#search button").await;
    assert!(text(&c, ".suggestion h3").await.contains("Fabrikam"));
    click(&c, ".suggestion form button").await;
    assert!(text(&c, "#outgoing").await.contains("Pat Partner"));
    let request_url = link(
        &mail(dir.path().join("data").as_path(), "relreq-").await,
        &format!("{base}/app/relation-requests/"),
    );

    // Pat, in a fresh session: the link's page, sign-in, accept.
    c.delete_all_cookies().await.unwrap();
    emulator.sign_in(&pat.id).unwrap();
    c.goto(&request_url).await.unwrap();
    assert!(text(&c, "#summary").await.contains("Contoso"));
    click(&c, "#sign-in").await;
    click(&c, "#accept button").await;
    // (The answered page replaces the one clicked on, which has a `#state` too.)
    c.wait()
        .at_most(Duration::from_secs(20))
        .for_element(Locator::XPath("//p[@id='state']/strong[text()='accepted']"))
        .await
        .unwrap();

    // Megan shares a document from its client file: "Share with partners" → the relation group.
    let docs = adapters.documents();
    let megan_user = &managers[0].1;
    let client = docs
        .create_client(megan.tenant, megan_user, "Fabrikam")
        .await
        .unwrap();
    let body: bridge_blobs::ByteStream = Box::pin(futures::stream::once(async {
        Ok(bytes::Bytes::from_static(b"PK offer"))
    }));
    docs.upload(
        megan.tenant,
        megan_user,
        client.client_id,
        "Offer.docx",
        body,
    )
    .await
    .unwrap();
    c.delete_all_cookies().await.unwrap();
    emulator
        .sign_in(bridge_local::microsoft::LOCAL_ADMIN_UPN)
        .unwrap();
    let client_page = format!("/app/clients/{}", client.client_id);
    c.goto(&format!(
        "{base}/app/sign-in/microsoft?return_to={}",
        form_urlencoded::byte_serialize(client_page.as_bytes()).collect::<String>()
    ))
    .await
    .unwrap();
    click(&c, "#documents a.share").await;
    assert!(text(&c, "#document").await.contains("Offer.docx"));
    click(&c, ".partner .share-group button").await;
    assert!(text(&c, "#shares").await.contains("the relation group"));

    // Pat signs in again and finds it.
    c.delete_all_cookies().await.unwrap();
    emulator.sign_in(&pat.id).unwrap();
    c.goto(&format!(
        "{base}/app/sign-in/microsoft?return_to=%2Fapp%2Fshared"
    ))
    .await
    .unwrap();

    // Pat's shared page; "View in Office" opens Office's viewer with a read-only token.
    assert!(text(&c, "#shared").await.contains("Offer.docx"));
    click(&c, "#shared a.view").await;
    let frame = c
        .wait()
        .at_most(Duration::from_secs(20))
        .for_element(Locator::Id("office_frame"))
        .await
        .unwrap();
    frame.enter_frame().await.unwrap();
    assert_eq!(text(&c, "#file").await, "Offer.docx");
    assert_eq!(text(&c, "#can-write").await, "false");
    assert_eq!(text(&c, "#edit-url").await, "");
    assert_eq!(
        office.launches.lock().unwrap().last().unwrap().path,
        "/wv/wordviewerframe.aspx"
    );
    // Office's close goes back to the shared page (CheckFileInfo CloseUrl of a partner).
    click(&c, "#close").await;
    c.enter_parent_frame().await.ok();
    assert!(text(&c, "#shared").await.contains("Offer.docx"));
    assert_eq!(c.current_url().await.unwrap().path(), "/app/shared");

    c.close().await.unwrap();
    running.shutdown();
}
