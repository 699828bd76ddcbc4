//! Black-box: bridge-local with the emulated Microsoft (no `BRIDGE_OIDC_*` set). The
//! administrator of the emulated organisation installs over HTTP only, following every redirect
//! as a browser would, and lands on `/app/users` with a page session.

#![allow(clippy::unwrap_used)]

use bridge_platform::{Adapters, Config, Storage};
use std::collections::HashMap;

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
