//! Black-box flows of the users side (USR-1..5) on bridge-local with the emulated Microsoft (no
//! `BRIDGE_OIDC_*` set), over HTTP only, following every redirect as a browser would: install,
//! invite → accept, request to join → approve. E-mailed links are read from the local outbox,
//! where the running mailer writes them.

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
        .sign_in_as(bridge_local::microsoft::LOCAL_ADMIN_UPN, "/app/install")
        .await;
    admin.post("/app/install/consent", "").await;
    let (status, url, _) = admin.post("/app/install", "name=Contoso").await;
    assert_eq!((status, url), (200, format!("{base}/app/users")));

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
