//! Black-box flows of the directory on bridge-local with the emulated Microsoft (no
//! `BRIDGE_OIDC_*` set), over HTTP only, following every redirect as a browser would: install,
//! invite → accept, request to join → approve (USR-1..5); two organisations becoming partners,
//! sharing, the partner reading, unsharing and ending the partnership (PAR-1..6). E-mailed links
//! are read from the local outbox, where the running mailer writes them. The only step not over
//! HTTP is the operator's (partner relations in a subscription, PAR-2), done as `bridge-admin`
//! does it.

#![allow(clippy::unwrap_used)]

mod common;

use common::{link, mail};

use bridge_platform::{Adapters, Config, Storage};
use std::collections::HashMap;

/// A browser: cookies of bridge-local kept per name, redirects followed by hand.
struct Browser {
    http: reqwest::Client,
    base: String,
    jar: HashMap<String, String>,
}

impl Browser {
    fn cookie_header(&self) -> String {
        self.jar
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    /// Keeps the cookies `resp` sets when it comes from us (the emulator sets none we need).
    fn keep(&mut self, resp: &reqwest::Response) {
        for v in resp.headers().get_all("set-cookie") {
            let pair = v.to_str().unwrap().split(';').next().unwrap();
            let (k, v) = pair.split_once('=').unwrap();
            if v.is_empty() {
                self.jar.remove(k);
            } else {
                self.jar.insert(k.to_string(), v.to_string());
            }
        }
    }

    fn absolute(&self, url: &str) -> String {
        if url.starts_with('/') {
            format!("{}{url}", self.base)
        } else {
            url.to_string()
        }
    }

    /// Sends one request (cookies only to us) and follows redirects until a page answers.
    async fn go(&mut self, mut req: reqwest::RequestBuilder) -> (u16, String, String) {
        loop {
            let built = req.build().unwrap();
            let url = built.url().to_string();
            let mut built = built;
            if url.starts_with(&self.base) {
                built
                    .headers_mut()
                    .insert("cookie", self.cookie_header().parse().unwrap());
            }
            let resp = self.http.execute(built).await.unwrap();
            if url.starts_with(&self.base) {
                self.keep(&resp);
            }
            let status = resp.status().as_u16();
            if (300..400).contains(&status) {
                let next = self.absolute(resp.headers()["location"].to_str().unwrap());
                req = self.http.get(next);
                continue;
            }
            return (status, url, resp.text().await.unwrap());
        }
    }

    async fn get(&mut self, path: &str) -> (u16, String, String) {
        let req = self.http.get(self.absolute(path));
        self.go(req).await
    }

    /// A JSON API call with the browser's session token as bearer (the session cookie holds the
    /// API token the app's scripts use).
    async fn api(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<serde_json::Value>,
    ) -> (u16, serde_json::Value) {
        let mut req = self
            .http
            .request(method, self.absolute(path))
            .bearer_auth(&self.jar["bridge_session"]);
        if let Some(body) = body {
            req = req.json(&body);
        }
        let resp = req.send().await.unwrap();
        let status = resp.status().as_u16();
        let text = resp.text().await.unwrap();
        (
            status,
            serde_json::from_str(&text).unwrap_or(serde_json::Value::Null),
        )
    }

    async fn post(&mut self, path: &str, form: &str) -> (u16, String, String) {
        let req = self
            .http
            .post(self.absolute(path))
            .header("origin", &self.base)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(form.to_string());
        self.go(req).await
    }
}

impl Browser {
    fn new(base: &str) -> Browser {
        Browser {
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            base: base.to_string(),
            jar: HashMap::new(),
        }
    }

    /// Signs in with Microsoft as `upn` (the emulator's `login_hint`), coming back to `return_to`.
    async fn sign_in_as(&mut self, upn: &str, return_to: &str) -> (u16, String, String) {
        let q = |v: &str| form_urlencoded::byte_serialize(v.as_bytes()).collect::<String>();
        self.get(&format!(
            "/app/sign-in/microsoft?return_to={}&login_hint={}",
            q(return_to),
            q(upn)
        ))
        .await
    }
}

impl Browser {
    /// Signs in as `upn`, an administrator of their organisation, grants consent and installs
    /// the environment `name` (USR-1); ends on the users page.
    async fn install(&mut self, upn: &str, name: &str) {
        self.sign_in_as(upn, "/app/install").await;
        let (status, _, page) = self.post("/app/install/consent", "").await;
        assert_eq!(status, 200, "{page}");
        let (status, url, page) = self.post("/app/install", &format!("name={name}")).await;
        assert_eq!(
            (status, url),
            (200, format!("{}/app/users", self.base)),
            "{page}"
        );
    }

    /// This browser's user id: the only user of a fresh environment, from the users API.
    async fn only_user_id(&self) -> String {
        let (status, users) = self.api(reqwest::Method::GET, "/api/users", None).await;
        assert_eq!(status, 200, "{users}");
        let users = users["users"].as_array().unwrap();
        assert_eq!(users.len(), 1, "{users:?}");
        users[0]["id"].as_str().unwrap().to_string()
    }
}

/// The `value` of the first hidden input named `name` in `page`.
fn input_value(page: &str, name: &str) -> String {
    let at = page
        .find(&format!(r#"name="{name}" value=""#))
        .unwrap_or_else(|| panic!("no input {name} in {page}"));
    let rest = &page[at + name.len() + 15..];
    rest[..rest.find('"').unwrap()].to_string()
}

/// The second organisation of the partner flow (Entra tenant id).
const FABRIKAM: &str = "3c9a7d41-2b6e-4f80-9d15-fab41ca00001";

#[tokio::test]
async fn par1_par6_two_organisations_become_partners_share_and_the_partner_reads() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = Config::from_lookup(|_| None).unwrap();
    config.storage = Storage::Embedded {
        data_dir: dir.path().to_path_buf(),
    };
    let adapters = Adapters::from_config(&config).await.unwrap();
    let operator = bridge_platform::directory::service(&adapters).unwrap();
    let running = bridge_local::start_with(adapters, "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let base = format!("http://{}", running.addr);
    let emulator = running.microsoft.as_ref().unwrap().emulator();
    emulator.add_tenant(FABRIKAM);
    let pat_upn = "pat.partner@fabrikam.example";
    let pat_m365 = emulator.add_user(FABRIKAM, "Pat Partner", pat_upn).unwrap();
    emulator.set_tenant_admin(&pat_m365.id, true).unwrap();
    use reqwest::Method;

    // USR-1 twice: each organisation installs its own environment.
    let mut megan = Browser::new(&base);
    megan
        .install(bridge_local::microsoft::LOCAL_ADMIN_UPN, "Contoso")
        .await;
    // (The emulated Microsoft's own browser session decides who consents.)
    emulator.sign_in(&pat_m365.id).unwrap();
    let mut pat = Browser::new(&base);
    pat.install(pat_upn, "Fabrikam Partners").await;

    // PAR-2: without partner relations in the subscription, Partners is closed and says why.
    let (status, _, page) = megan.get("/app/partners").await;
    assert_eq!(status, 403, "{page}");
    assert!(page.contains("subscription"), "{page}");
    // The operator switches partner relations on for both (`bridge-admin enable-partners`).
    for entra in [bridge_local::microsoft::LOCAL_ORG_TENANT, FABRIKAM] {
        let t = operator.installed_tenant(entra).await.unwrap().unwrap();
        operator
            .set_partner_relations_subscription(t, true)
            .await
            .unwrap();
    }
    // PAR-1: still closed to a super admin outside the group "relation managers".
    let (status, _, page) = megan.get("/app/partners").await;
    assert_eq!(status, 403, "{page}");
    assert!(page.contains("relation managers"), "{page}");
    // Each administrator joins the group on their users page.
    let megan_id = megan.only_user_id().await;
    let pat_id = pat.only_user_id().await;
    for (b, id) in [(&mut megan, &megan_id), (&mut pat, &pat_id)] {
        let (status, _, page) = b
            .post(
                &format!("/app/users/{id}/access"),
                "role=super_admin&add_document=on&manage_users=on&relation_manager=on",
            )
            .await;
        assert_eq!(status, 200, "{page}");
    }

    // PAR-3: Fabrikam cannot be found until it chooses to be.
    let (status, _, page) = megan.post("/app/partners/search", "q=fabrik").await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains(r#"id="no-suggestions""#), "{page}");
    let (status, _, page) = pat.post("/app/partners/settings", "findable=on").await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("<strong>findable</strong>"), "{page}");
    let (status, _, page) = megan.post("/app/partners/search", "q=fabrik").await;
    assert_eq!(status, 200, "{page}");
    assert!(
        page.contains("Fabrikam Partners") && page.contains("Ask Pat Partner"),
        "{page}"
    );

    // PAR-4: Megan asks Pat; Pat is mailed the link.
    let form = format!(
        "to_tenant={}&to_user={}",
        input_value(&page, "to_tenant"),
        input_value(&page, "to_user")
    );
    let (status, url, page) = megan.post("/app/partners/requests", &form).await;
    assert_eq!(
        (status, url),
        (200, format!("{base}/app/partners")),
        "{page}"
    );
    assert!(page.contains(r#"id="outgoing""#), "{page}");
    let request_mail = mail(dir.path(), "relreq-").await;
    assert!(
        request_mail.contains(&format!("To: {pat_upn}")),
        "{request_mail}"
    );
    let request_url = link(&request_mail, &format!("{base}/app/relation-requests/"));
    let request_path = request_url.trim_start_matches(&base).to_string();

    // A mail scanner opens the link: the page reads, nothing changes.
    let mut scanner = Browser::new(&base);
    let (status, _, page) = scanner.get(&request_path).await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("waiting for an answer") && page.contains(r#"id="sign-in""#));
    // Someone else signed in (Megan herself) cannot answer it, and changes nothing.
    let (status, _, page) = megan.post(&format!("{request_path}/accept"), "").await;
    assert_eq!(status, 403, "{page}");
    let (_, _, page) = scanner.get(&request_path).await;
    assert!(page.contains("waiting for an answer"), "{page}");
    // Pat, signed in, accepts with a POST; the link is spent.
    let (status, _, page) = pat.get(&request_path).await;
    assert_eq!(status, 200);
    assert!(page.contains(r#"id="accept""#), "{page}");
    let (status, url, page) = pat.post(&format!("{request_path}/accept"), "").await;
    assert_eq!(
        (status, url.as_str()),
        (200, request_url.as_str()),
        "{page}"
    );
    assert!(page.contains("<strong>accepted</strong>"), "{page}");
    let (status, _, _) = pat.post(&format!("{request_path}/accept"), "").await;
    assert_eq!(status, 409, "a used link is refused");
    let (_, _, page) = megan.get("/app/partners").await;
    assert!(
        page.contains(r#"id="partners""#) && page.contains("Fabrikam Partners"),
        "{page}"
    );

    // PAR-5: Megan uploads two documents and shares one with the relation group: at once.
    let (status, client) = megan
        .api(
            Method::POST,
            "/api/clients",
            Some(serde_json::json!({"name": "Fabrikam"})),
        )
        .await;
    assert_eq!(status, 201, "{client}");
    let upload = async |name: &str, body: &'static [u8]| -> String {
        let resp = megan
            .http
            .post(format!(
                "{base}/api/clients/{}/documents?name={name}",
                client["client_id"].as_str().unwrap()
            ))
            .bearer_auth(&megan.jar["bridge_session"])
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status().as_u16(), 201);
        let doc: serde_json::Value = resp.json().await.unwrap();
        doc["doc_id"].as_str().unwrap().to_string()
    };
    let offer = upload("Offer.docx", b"the offer").await;
    let pricing = upload("Pricing.xlsx", b"the prices").await;
    let internal = upload("Internal.docx", b"not for partners").await;
    let (_, partners) = megan.api(Method::GET, "/api/partners", None).await;
    let fabrikam = partners["partners"][0]["partner"]
        .as_str()
        .unwrap()
        .to_string();
    let contoso = partners["partners"][0]["tenant"]
        .as_str()
        .unwrap()
        .to_string();
    let (status, share) = megan
        .api(
            Method::POST,
            &format!("/api/documents/{offer}/shares"),
            Some(serde_json::json!({"partner": fabrikam, "scope": "group"})),
        )
        .await;
    assert_eq!(status, 201, "{share}");

    // Pat sees it on the shared page at once, and only it; the download is the document.
    let (status, _, page) = pat.get("/app/shared").await;
    assert_eq!(status, 200);
    let page = page.replace("&#x2f;", "/");
    assert!(page.contains("Offer.docx"), "{page}");
    assert!(
        !page.contains("Internal.docx") && !page.contains("Pricing.xlsx"),
        "{page}"
    );
    let download = format!("/app/shared/{contoso}/{offer}/download");
    assert!(page.contains(&format!(r#"href="{download}""#)), "{page}");
    assert!(
        page.contains(&format!(r#"href="/app/shared/{contoso}/{offer}/view""#)),
        "{page}"
    );
    let (status, _, body) = pat.get(&download).await;
    assert_eq!((status, body.as_str()), (200, "the offer"));

    // ... and views it in Office: a view-only WOPI session, whose token reads this document only.
    let (status, session) = pat
        .api(
            Method::POST,
            &format!("/api/shared-documents/{contoso}/{offer}/sessions"),
            None,
        )
        .await;
    assert_eq!(status, 201, "{session}");
    assert_eq!(session["permission"], "view");
    let token = session["access_token"].as_str().unwrap();
    let src = session["wopi_src"].as_str().unwrap();
    let info: serde_json::Value = reqwest::Client::new()
        .get(format!("{src}?access_token={token}"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        (
            info["BaseFileName"].as_str(),
            info["UserCanWrite"].as_bool()
        ),
        (Some("Offer.docx"), Some(false)),
        "{info}"
    );
    let contents = reqwest::Client::new()
        .get(format!("{src}/contents?access_token={token}"))
        .send()
        .await
        .unwrap();
    assert_eq!(contents.status().as_u16(), 200);
    assert_eq!(contents.text().await.unwrap(), "the offer");
    let put = reqwest::Client::new()
        .post(format!("{src}/contents?access_token={token}"))
        .header("X-WOPI-Override", "PUT")
        .body("changed by the partner")
        .send()
        .await
        .unwrap();
    assert!(
        !put.status().is_success(),
        "a view token never writes: {}",
        put.status()
    );
    let other = reqwest::Client::new()
        .get(format!("{base}/wopi/files/{internal}?access_token={token}"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        other.status().as_u16(),
        404,
        "the token opens no other document"
    );
    let (status, _) = pat
        .api(
            Method::POST,
            &format!("/api/shared-documents/{contoso}/{internal}/sessions"),
            None,
        )
        .await;
    assert_eq!(status, 404, "nothing else of the tenant is readable");
    let resp = megan
        .http
        .get(format!("{base}/api/documents/{offer}/content"))
        .bearer_auth(&megan.jar["bridge_session"])
        .send()
        .await
        .unwrap();
    assert_eq!(
        resp.text().await.unwrap(),
        "the offer",
        "unchanged by the partner"
    );

    // PAR-5: shared with Pat as relation manager, through the queue ("may take minutes").
    let (status, job) = megan
        .api(
            Method::POST,
            &format!("/api/documents/{pricing}/shares"),
            Some(serde_json::json!({"partner": fabrikam, "scope": "manager", "user": pat_id})),
        )
        .await;
    assert_eq!(status, 202, "{job}");
    let mut names = Vec::new();
    for _ in 0..100 {
        let (status, list) = pat.api(Method::GET, "/api/shared-documents", None).await;
        assert_eq!(status, 200, "{list}");
        names = list["documents"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d["name"].as_str().unwrap().to_string())
            .collect();
        if names.len() == 2 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    names.sort();
    assert_eq!(names, ["Offer.docx", "Pricing.xlsx"]);

    // Megan sees with whom the offer is shared and stops sharing it: the partner's next read,
    // even with the Office token it already holds, finds nothing.
    let shares_path = format!("/api/documents/{offer}/shares");
    let (status, shares) = megan.api(Method::GET, &shares_path, None).await;
    assert_eq!(status, 200, "{shares}");
    assert_eq!(
        shares["shares"][0]["partner"],
        fabrikam.as_str(),
        "{shares}"
    );
    let (status, _) = megan
        .api(Method::DELETE, &format!("{shares_path}/{fabrikam}"), None)
        .await;
    assert_eq!(status, 204);
    let (_, shares) = megan.api(Method::GET, &shares_path, None).await;
    assert_eq!(shares["shares"], serde_json::json!([]));
    let info = reqwest::Client::new()
        .get(format!("{src}?access_token={token}"))
        .send()
        .await
        .unwrap();
    assert_eq!(info.status().as_u16(), 404, "the held token reads nothing");
    let (status, _, _) = pat.get(&download).await;
    assert_eq!(status, 404);
    let (_, list) = pat.api(Method::GET, "/api/shared-documents", None).await;
    assert_eq!(list["documents"][0]["name"], "Pricing.xlsx", "{list}");
    assert_eq!(list["documents"].as_array().unwrap().len(), 1, "{list}");
    // Unsharing again: 404, nothing changes.
    let (status, body) = megan
        .api(Method::DELETE, &format!("{shares_path}/{fabrikam}"), None)
        .await;
    assert_eq!(status, 404, "{body}");

    // Pat ends the partnership on the partners page: nothing shared either way is readable.
    let (status, url, page) = pat.post(&format!("/app/partners/{contoso}/end"), "").await;
    assert_eq!(
        (status, url),
        (200, format!("{base}/app/partners")),
        "{page}"
    );
    assert!(page.contains("No partners yet"), "{page}");
    let (_, list) = pat.api(Method::GET, "/api/shared-documents", None).await;
    assert_eq!(list["documents"], serde_json::json!([]), "{list}");
    let (_, partners) = megan.api(Method::GET, "/api/partners", None).await;
    assert_eq!(partners["partners"], serde_json::json!([]), "{partners}");
    let (status, body) = megan
        .api(
            Method::POST,
            &format!("/api/documents/{offer}/shares"),
            Some(serde_json::json!({"partner": fabrikam, "scope": "group"})),
        )
        .await;
    assert_eq!(status, 404, "no partner to share with: {body}");

    running.shutdown();
    running.wait().await.unwrap();
}

#[tokio::test]
async fn usr2_usr4_invite_accept_and_request_to_join_approve_end_to_end() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = Config::from_lookup(|_| None).unwrap();
    config.storage = Storage::Embedded {
        data_dir: dir.path().to_path_buf(),
    };
    let adapters = Adapters::from_config(&config).await.unwrap();
    let running = bridge_local::start_with(adapters, "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let base = format!("http://{}", running.addr);
    let ms = running.microsoft.as_ref().unwrap();
    let org = bridge_local::microsoft::LOCAL_ORG_TENANT;
    let alex = ms
        .emulator()
        .users(org)
        .into_iter()
        .find(|u| u.user_principal_name == bridge_local::microsoft::LOCAL_USER_UPN)
        .unwrap();
    ms.emulator()
        .add_user(org, "Jo Join", "jo.join@contoso.example")
        .unwrap();

    // USR-1: the administrator installs.
    let mut admin = Browser::new(&base);
    admin
        .install(bridge_local::microsoft::LOCAL_ADMIN_UPN, "Contoso")
        .await;

    // USR-2: invite Alex, a Microsoft 365 user of the organisation, from the users page.
    let form = format!(
        "email=&m365_user_id={}&upn={}&role=user&add_document=on",
        alex.id,
        form_urlencoded::byte_serialize(alex.user_principal_name.as_bytes()).collect::<String>()
    );
    let (status, _, page) = admin.post("/app/users/invitations", &form).await;
    assert_eq!(status, 200, "{page}");
    let invitation_mail = mail(dir.path(), "inv-").await;
    let accept_url = link(&invitation_mail, &format!("{base}/app/invitations/"));
    let accept_path = accept_url.trim_start_matches(&base).to_string();

    // Alex opens the link: nothing changes on GET; sign-in comes back to the page.
    let mut alex_b = Browser::new(&base);
    let (status, _, page) = alex_b.get(&accept_path).await;
    assert_eq!(status, 200);
    assert!(
        !page.contains(r#"id="accept""#),
        "not signed in yet: {page}"
    );
    let (status, url, page) = alex_b
        .sign_in_as(&alex.user_principal_name, &accept_path)
        .await;
    assert_eq!((status, url.as_str()), (200, accept_url.as_str()), "{page}");
    assert!(page.contains(r#"id="accept""#), "{page}");
    let (status, url, _) = alex_b.post(&format!("{accept_path}/accept"), "").await;
    assert_eq!((status, url), (200, format!("{base}/app")));
    assert!(alex_b.jar.contains_key("bridge_session"));
    // A replay is refused.
    let (status, _, _) = alex_b.post(&format!("{accept_path}/accept"), "").await;
    assert_eq!(status, 409);

    // USR-4: Jo asks to join; the managers are mailed; the administrator approves once.
    let mut jo = Browser::new(&base);
    let (status, _, page) = jo.sign_in_as("jo.join@contoso.example", "/app").await;
    assert_eq!(status, 200);
    assert!(page.contains(r#"id="join""#), "{page}");
    let (status, _, page) = jo.post("/app/join-requests", "").await;
    assert_eq!(status, 200, "{page}");
    let join_mail = mail(dir.path(), "join").await;
    assert!(
        join_mail.contains(&format!("{base}/app/users?join_request=")),
        "{join_mail}"
    );
    let (_, _, users) = admin.get("/app/users").await;
    let approve = link(&users, "/app/users/join-requests/");
    let (status, url, page) = admin.post(&approve, "").await;
    assert_eq!((status, url), (200, format!("{base}/app/users")));
    assert!(page.contains("Jo Join") && page.contains("Alex"), "{page}");
    let (status, _, _) = admin.post(&approve, "").await;
    assert_eq!(status, 409, "the first decision wins");
    // Jo is a member now: signing in again opens the app.
    let (status, url, _) = jo.sign_in_as("jo.join@contoso.example", "/app").await;
    assert_eq!((status, url), (200, format!("{base}/app")));

    running.shutdown();
    running.wait().await.unwrap();
}

#[tokio::test]
async fn the_emulated_administrator_installs_and_lands_on_the_users_page() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = Config::from_lookup(|_| None).unwrap();
    config.storage = Storage::Embedded {
        data_dir: dir.path().to_path_buf(),
    };
    let adapters = Adapters::from_config(&config).await.unwrap();
    let running = bridge_local::start_with(adapters, "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let base = format!("http://{}", running.addr);
    assert!(running.microsoft.is_some(), "no OIDC configured: emulated");
    assert_eq!(
        std::fs::read_to_string(dir.path().join(bridge_platform::BASE_URL_FILE))
            .unwrap()
            .trim(),
        base
    );
    let mut b = Browser {
        http: reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap(),
        base: base.clone(),
        jar: HashMap::new(),
    };

    // Not signed in: the install page offers the sign-in, which comes back to it.
    let (status, _, page) = b.get("/app/install").await;
    assert_eq!(status, 200);
    assert!(page.contains(r#"id="sign-in""#), "{page}");
    let (status, url, page) = b
        .get("/app/sign-in/microsoft?return_to=%2Fapp%2Finstall")
        .await;
    assert_eq!(
        (status, url.as_str()),
        (200, format!("{base}/app/install").as_str())
    );
    assert!(b.jar.contains_key("bridge_person"));
    assert!(page.contains(r#"action="/app/install/consent""#), "{page}");

    // Admin consent at Microsoft, then the form that installs.
    let (status, url, page) = b.post("/app/install/consent", "").await;
    assert_eq!(status, 200, "{page}");
    assert!(
        url.starts_with(&format!("{base}/app/install/consented?")),
        "{url}"
    );
    assert!(page.contains(r#"action="/app/install""#), "{page}");

    let (status, url, page) = b.post("/app/install", "name=Contoso").await;
    assert_eq!(status, 200, "{page}");
    assert_eq!(url, format!("{base}/app/users"));
    assert!(b.jar.contains_key("bridge_session"));
    assert!(page.contains("Megan Admin"), "{page}");

    running.shutdown();
    running.wait().await.unwrap();
}
