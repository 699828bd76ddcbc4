//! Router-level tests of sign-in with Microsoft and install, with the Graph emulator as the
//! identity provider (over HTTP; our side in-process, no socket).
#![allow(clippy::unwrap_used)]

use std::collections::HashMap;
use std::sync::Arc;

use axum::body::Body;
use bridge_core::SystemClock;
use bridge_directory::{Actor, Decision, SignInOutcome, SignedInPerson};
use bridge_platform::Adapters;
use bridge_platform::config::OidcSettings;
use graph_emulator::{Emulator, EmulatorConfig, UserInfo};
use http::{Request, StatusCode, header};
use tower::ServiceExt;

use super::callback::safe_return_to;

const BASE: &str = "http://127.0.0.1:9";
const ORG: &str = "11111111-1111-4111-8111-111111111111";
const OTHER_ORG: &str = "22222222-2222-4222-8222-222222222222";
const CLIENT: &str = "00000000-0000-4000-8000-00000000a001";
const SECRET: &str = "s3cret";

struct Fixture {
    _dir: tempfile::TempDir,
    emu: Emulator,
    adapters: Adapters,
    router: axum::Router,
    http: reqwest::Client,
    /// Global Administrator of ORG.
    admin: UserInfo,
    /// Plain users of ORG.
    ann: UserInfo,
    ben: UserInfo,
    /// A user of OTHER_ORG.
    olga: UserInfo,
}

type Cookies = HashMap<String, String>;

async fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let mut adapters = Adapters::embedded(dir.path(), Arc::new(SystemClock)).unwrap();
    let emu = Emulator::start(EmulatorConfig::default()).await.unwrap();
    emu.add_tenant(ORG);
    emu.add_tenant(OTHER_ORG);
    emu.add_app(ORG, CLIENT, SECRET).unwrap();
    for path in ["/app/auth/callback", "/app/install/consented"] {
        emu.add_redirect_uri(CLIENT, &format!("{BASE}{path}"))
            .unwrap();
    }
    let admin = emu.add_user(ORG, "Ada Admin", "ada@contoso.test").unwrap();
    emu.set_tenant_admin(&admin.id, true).unwrap();
    let ann = emu.add_user(ORG, "Ann", "ann@contoso.test").unwrap();
    let ben = emu.add_user(ORG, "Ben", "ben@contoso.test").unwrap();
    let olga = emu
        .add_user(OTHER_ORG, "Olga", "olga@fabrikam.test")
        .unwrap();
    let mut config = (*adapters.config).clone();
    config.public_url = Some(BASE.into());
    config.oidc = Some(OidcSettings {
        authority: emu.authority(),
        client_id: CLIENT.into(),
        client_secret: SECRET.into(),
        allowed_tenants: vec![],
    });
    adapters.config = Arc::new(config);
    let router = bridge_http::finish(crate::router(&adapters).unwrap());
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    Fixture {
        _dir: dir,
        emu,
        adapters,
        router,
        http,
        admin,
        ann,
        ben,
        olga,
    }
}

fn cookie_header(cookies: &Cookies) -> String {
    cookies
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("; ")
}

/// The cookies a response sets (name → value; an empty value ends the cookie).
fn set_cookies(resp: &http::Response<Body>) -> Cookies {
    resp.headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .filter_map(|v| v.split(';').next())
        .filter_map(|p| p.split_once('='))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn location(resp: &http::Response<Body>) -> String {
    resp.headers()[header::LOCATION]
        .to_str()
        .unwrap()
        .to_string()
}

async fn body(resp: http::Response<Body>) -> String {
    let bytes = axum::body::to_bytes(resp.into_body(), 1 << 20)
        .await
        .unwrap();
    String::from_utf8(bytes.to_vec()).unwrap()
}

/// Keeps what `resp` sets (and drops what it ends) in `jar`.
fn keep(jar: &mut Cookies, resp: &http::Response<Body>) {
    for (k, v) in set_cookies(resp) {
        if v.is_empty() {
            jar.remove(&k);
        } else {
            jar.insert(k, v);
        }
    }
}

impl Fixture {
    async fn get(&self, path: &str, jar: &Cookies) -> http::Response<Body> {
        let req = Request::get(path)
            .header(header::COOKIE, cookie_header(jar))
            .body(Body::empty())
            .unwrap();
        self.router.clone().oneshot(req).await.unwrap()
    }

    async fn post(&self, path: &str, form: &str, jar: &Cookies) -> http::Response<Body> {
        let req = Request::post(path)
            .header(header::COOKIE, cookie_header(jar))
            .header("origin", BASE)
            .header("sec-fetch-site", "same-origin")
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(form.to_string()))
            .unwrap();
        self.router.clone().oneshot(req).await.unwrap()
    }

    /// Follows a redirect to the emulator once; returns our path it sends the browser back to.
    async fn at_microsoft(&self, url: &str) -> String {
        assert!(url.starts_with(&self.emu.authority()), "{url}");
        let resp = self.http.get(url).send().await.unwrap();
        assert_eq!(resp.status(), 302, "{}", resp.text().await.unwrap());
        let back = resp.headers()["location"].to_str().unwrap();
        back.strip_prefix(BASE)
            .unwrap_or_else(|| panic!("back to us: {back}"))
            .to_string()
    }

    /// Signs `user` in at Microsoft and runs our start and callback; returns the callback's
    /// answer and the cookie jar after it.
    async fn sign_in(&self, user: &UserInfo, return_to: &str) -> (http::Response<Body>, Cookies) {
        self.emu.sign_in(&user.id).unwrap();
        let mut jar = Cookies::new();
        let start = self.get(&super::sign_in_link(return_to), &jar).await;
        assert_eq!(start.status(), StatusCode::SEE_OTHER);
        keep(&mut jar, &start);
        assert!(jar.contains_key("bridge_sign_in"));
        let callback = self.at_microsoft(&location(&start)).await;
        let resp = self.get(&callback, &jar).await;
        keep(&mut jar, &resp);
        (resp, jar)
    }

    fn person(&self, user: &UserInfo, tid: &str, admin: bool) -> SignedInPerson {
        SignedInPerson {
            tid: tid.into(),
            oid: user.id.clone(),
            name: user.display_name.clone(),
            preferred_username: Some(user.user_principal_name.clone()),
            verified_email: None,
            is_tenant_admin: admin,
        }
    }

    /// Installs ORG directly (the admin is its super admin); returns the admin as an actor.
    async fn installed(&self) -> Actor {
        let i = self
            .adapters_directory()
            .install(ORG, &self.person(&self.admin, ORG, true), "Contoso", 0)
            .await
            .unwrap();
        Actor {
            tenant: i.tenant.tenant.id,
            user: i.super_admin.user.id,
        }
    }

    fn adapters_directory(&self) -> bridge_directory::Directory {
        bridge_platform::directory::service(&self.adapters).unwrap()
    }

    /// Makes `user` of ORG a member through an approved join request; returns their id.
    async fn member(&self, by: Actor, user: &UserInfo) -> bridge_core::tenant::UserId {
        let d = self.adapters_directory();
        let p = self.person(user, ORG, false);
        let req = d.request_join(&p, 0).await.unwrap();
        d.decide_join_request(by, req.request.id, Decision::Approve, 0)
            .await
            .unwrap();
        match d.resolve_sign_in(&p).await.unwrap() {
            SignInOutcome::Member { user, .. } => user,
            other => panic!("{other:?}"),
        }
    }

    async fn tenant_count(&self) -> usize {
        let d = self.adapters_directory();
        let mut n = 0;
        for tid in [ORG, OTHER_ORG] {
            n += usize::from(d.installed_tenant(tid).await.unwrap().is_some());
        }
        n
    }
}

#[tokio::test]
async fn a_member_signs_in_and_lands_on_return_to_with_both_cookies() {
    let f = fixture().await;
    let admin = f.installed().await;
    f.member(admin, &f.ann).await;
    let (resp, jar) = f.sign_in(&f.ann, "/app/clients?page=2").await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&resp), "/app/clients?page=2");
    let set = set_cookies(&resp);
    assert_eq!(
        set.get("bridge_sign_in").map(String::as_str),
        Some(""),
        "flow ends"
    );
    assert!(jar.contains_key("bridge_person") && jar.contains_key("bridge_session"));
    for c in resp.headers().get_all(header::SET_COOKIE) {
        let c = c.to_str().unwrap();
        assert!(c.contains("HttpOnly") && c.contains("SameSite=Lax") && c.contains("Path=/app"));
    }
    // The session opens the users page (ann has no right to manage users: 403, not 401).
    let users = f.get("/app/users", &jar).await;
    assert_ne!(users.status(), StatusCode::UNAUTHORIZED);
    // Without return_to the member lands on /app.
    let (resp, _) = f.sign_in(&f.ann, "").await;
    assert_eq!(location(&resp), "/app");
}

#[tokio::test]
async fn a_callback_without_the_flow_cookie_or_with_another_state_is_400_and_sets_nothing() {
    let f = fixture().await;
    f.emu.sign_in(&f.ann.id).unwrap();
    let mut jar = Cookies::new();
    let start = f.get("/app/sign-in/microsoft", &jar).await;
    keep(&mut jar, &start);
    let callback = f.at_microsoft(&location(&start)).await;

    let no_cookie = f.get(&callback, &Cookies::new()).await;
    assert_eq!(no_cookie.status(), StatusCode::BAD_REQUEST);
    assert!(set_cookies(&no_cookie).is_empty());

    // Another sign-in's cookie (another state): refused before the code is redeemed.
    let mut other = Cookies::new();
    let started = f.get("/app/sign-in/microsoft", &other).await;
    keep(&mut other, &started);
    let mixed = f.get(&callback, &other).await;
    assert_eq!(mixed.status(), StatusCode::BAD_REQUEST);
    assert!(set_cookies(&mixed).is_empty());
    assert!(body(mixed).await.contains("start again"));

    // A forged cookie is no better.
    let mut forged = jar.clone();
    forged.insert("bridge_sign_in".into(), "e30.e30.c2ln".into());
    let resp = f.get(&callback, &forged).await;
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    assert!(set_cookies(&resp).is_empty());

    // The genuine pair still works once.
    let ok = f.get(&callback, &jar).await;
    assert_eq!(ok.status(), StatusCode::OK, "not a member: a page");
    assert!(set_cookies(&ok).contains_key("bridge_person"));
}

#[tokio::test]
async fn an_error_from_microsoft_is_a_clear_400() {
    let f = fixture().await;
    let resp = f
        .get(
            "/app/auth/callback?error=access_denied&error_description=%3Cscript%3Ex&state=s",
            &Cookies::new(),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    assert_eq!(resp.headers()[header::CACHE_CONTROL], "no-store");
    let html = body(resp).await;
    assert!(html.contains("Microsoft did not sign you in"), "{html}");
    assert!(!html.contains("<script>"));
}

#[tokio::test]
async fn a_non_member_of_an_installed_organisation_is_offered_to_request_to_join() {
    let f = fixture().await;
    f.installed().await;
    let (resp, jar) = f.sign_in(&f.ben, "/app").await;
    assert_eq!(resp.status(), StatusCode::OK);
    assert!(jar.contains_key("bridge_person"));
    assert!(!jar.contains_key("bridge_session"));
    let html = body(resp).await;
    assert!(html.contains(r#"action="/app/join-requests""#), "{html}");
    assert!(html.contains("Request to join"));
}

#[tokio::test]
async fn without_an_installed_organisation_admins_get_install_and_others_ask_their_admin() {
    let f = fixture().await;
    let (resp, _) = f.sign_in(&f.olga, "/app").await;
    assert_eq!(resp.status(), StatusCode::OK);
    let html = body(resp).await;
    assert!(html.contains("ask your Microsoft 365 administrator to install the app"));
    assert!(!html.contains(r#"href="/app/install""#));

    let (resp, _) = f.sign_in(&f.admin, "/app").await;
    let html = body(resp).await;
    assert!(html.contains(r#"href="/app/install""#), "{html}");

    // Coming from the install page, the admin goes straight back there.
    let (resp, jar) = f.sign_in(&f.admin, "/app/install").await;
    assert_eq!(location(&resp), "/app/install");
    assert!(jar.contains_key("bridge_person"));
}

#[tokio::test]
async fn a_deactivated_user_is_refused_with_403_and_no_session() {
    let f = fixture().await;
    let admin = f.installed().await;
    let ann = f.member(admin, &f.ann).await;
    f.adapters_directory().deactivate(admin, ann).await.unwrap();
    let (resp, jar) = f.sign_in(&f.ann, "/app").await;
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
    assert!(jar.is_empty(), "{jar:?}");
    assert!(body(resp).await.contains("deactivated"));
}

#[tokio::test]
async fn return_to_outside_the_app_is_refused() {
    let f = fixture().await;
    for bad in [
        "https://evil.example/app/",
        "//evil.example/app/",
        "/\\evil.example",
        "/app/../evil",
        "/application",
        "/app//evil.example",
        "/app/\r\nSet-Cookie:x",
        "javascript:alert(1)",
    ] {
        let resp = f.get(&super::sign_in_link(bad), &Cookies::new()).await;
        assert_eq!(resp.status(), StatusCode::BAD_REQUEST, "{bad}");
        assert!(set_cookies(&resp).is_empty(), "{bad}");
    }
    assert_eq!(safe_return_to("/app/users"), Some("/app/users"));
    assert_eq!(safe_return_to("/app"), Some("/app"));
    assert_eq!(safe_return_to("/app/\u{0}"), None);
}

/// Runs the install as `user` (signed in first) up to the consent page; returns the jar and
/// the consent callback's answer.
async fn consent(f: &Fixture, user: &UserInfo) -> (Cookies, http::Response<Body>) {
    let (_, mut jar) = f.sign_in(user, "/app/install").await;
    let page = f.get("/app/install", &jar).await;
    assert_eq!(page.status(), StatusCode::OK);
    let html = body(page).await;
    assert!(html.contains(r#"action="/app/install/consent""#), "{html}");
    let start = f.post("/app/install/consent", "", &jar).await;
    assert_eq!(start.status(), StatusCode::SEE_OTHER);
    keep(&mut jar, &start);
    let back = f.at_microsoft(&location(&start)).await;
    let resp = f.get(&back, &jar).await;
    (jar, resp)
}

#[tokio::test]
async fn an_admin_installs_becomes_super_admin_and_the_session_works() {
    let f = fixture().await;
    let (jar, confirm) = consent(&f, &f.admin).await;
    assert_eq!(confirm.status(), StatusCode::OK);
    assert!(f.emu.has_admin_consent(ORG, CLIENT));
    assert!(body(confirm).await.contains(r#"action="/app/install""#));
    assert_eq!(f.tenant_count().await, 0, "nothing installed by GETs");

    let resp = f.post("/app/install", "name=Contoso", &jar).await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&resp), "/app/users");
    let mut jar = jar;
    keep(&mut jar, &resp);
    assert!(jar.contains_key("bridge_session"));
    let users = f.get("/app/users", &jar).await;
    assert_eq!(users.status(), StatusCode::OK);
    assert!(body(users).await.contains("Ada Admin"));
    // The admin is a member now: signing in again lands in the app.
    let (resp, _) = f.sign_in(&f.admin, "/app/users").await;
    assert_eq!(location(&resp), "/app/users");

    // Installing twice: 409, with a way to sign in, and nothing changed.
    let again = f.post("/app/install", "name=Contoso+2", &jar).await;
    assert_eq!(again.status(), StatusCode::CONFLICT);
    assert!(body(again).await.contains(r#"id="sign-in""#));
    assert_eq!(f.tenant_count().await, 1);
}

#[tokio::test]
async fn a_non_admin_cannot_install_and_nothing_changes() {
    let f = fixture().await;
    let (_, jar) = f.sign_in(&f.ann, "/app/install").await;
    let page = body(f.get("/app/install", &jar).await).await;
    assert!(
        page.contains("Only a Microsoft 365 administrator"),
        "{page}"
    );
    let consent = f.post("/app/install/consent", "", &jar).await;
    assert_eq!(consent.status(), StatusCode::FORBIDDEN);
    let resp = f.post("/app/install", "name=Mine", &jar).await;
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
    assert!(
        body(resp)
            .await
            .contains("only a Microsoft 365 administrator")
    );
    assert_eq!(f.tenant_count().await, 0);
    // Microsoft refuses a non-admin's consent too: a clear 400 page.
    let resp = f
        .get("/app/install/consented?error=access_denied&state=x", &jar)
        .await;
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn install_forms_refuse_other_sites_and_the_anonymous() {
    let f = fixture().await;
    let (_, jar) = f.sign_in(&f.admin, "/app/install").await;
    let req = Request::post("/app/install")
        .header(header::COOKIE, cookie_header(&jar))
        .header("origin", "https://evil.example")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from("name=Evil"))
        .unwrap();
    let resp = f.router.clone().oneshot(req).await.unwrap();
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
    let resp = f.post("/app/install", "name=X", &Cookies::new()).await;
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(f.tenant_count().await, 0);
}

#[tokio::test]
async fn a_get_of_every_install_url_changes_nothing() {
    let f = fixture().await;
    let (jar, _) = consent(&f, &f.admin).await;
    for path in [
        "/app/install",
        "/app/install/consented",
        "/app/install/consented?admin_consent=True&tenant=11111111-1111-4111-8111-111111111111&state=x",
        "/app/install/consent",
        "/app/sign-out",
    ] {
        let resp = f.get(path, &jar).await;
        assert!(
            resp.status() == StatusCode::OK || resp.status().is_client_error(),
            "{path}: {}",
            resp.status()
        );
        let set = set_cookies(&resp);
        assert!(!set.contains_key("bridge_session") && !set.contains_key("bridge_person"));
    }
    assert_eq!(f.tenant_count().await, 0);
}

#[tokio::test]
async fn sign_out_ends_both_cookies() {
    let f = fixture().await;
    let admin = f.installed().await;
    f.member(admin, &f.ann).await;
    let (_, jar) = f.sign_in(&f.ann, "/app").await;
    let resp = f.post("/app/sign-out", "", &jar).await;
    assert_eq!(resp.status(), StatusCode::OK);
    let set = set_cookies(&resp);
    assert_eq!(set.get("bridge_person").map(String::as_str), Some(""));
    assert_eq!(set.get("bridge_session").map(String::as_str), Some(""));
}

#[tokio::test]
async fn without_oidc_settings_the_pages_say_what_to_set() {
    let dir = tempfile::tempdir().unwrap();
    let adapters = Adapters::embedded(dir.path(), Arc::new(SystemClock)).unwrap();
    let router = bridge_http::finish(crate::router(&adapters).unwrap());
    let resp = router
        .oneshot(
            Request::get("/app/sign-in/microsoft")
                .body(Body::empty())
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::SERVICE_UNAVAILABLE);
    let html = body(resp).await;
    assert!(html.contains("BRIDGE_OIDC_CLIENT_ID") && html.contains("BRIDGE_OIDC_CLIENT_SECRET"));
}

#[test]
fn the_e_mail_counts_only_when_verified() {
    let mut id = bridge_identity::Identity {
        tid: ORG.into(),
        oid: "o".into(),
        sub: "s".into(),
        name: "N".into(),
        preferred_username: "n@contoso.test".into(),
        email: Some("n@contoso.test".into()),
        email_verified: false,
        is_tenant_admin: false,
    };
    assert_eq!(super::callback::person_of(&id).verified_email, None);
    id.email_verified = true;
    assert_eq!(
        super::callback::person_of(&id).verified_email.as_deref(),
        Some("n@contoso.test")
    );
    id.email_verified = false;
    id.tid = bridge_identity::CONSUMERS_TENANT_ID.into();
    assert!(super::callback::person_of(&id).verified_email.is_some());
}

#[test]
fn every_template_parses() {
    assert!(
        super::TEMPLATES.check().is_empty(),
        "{:?}",
        super::TEMPLATES.check()
    );
}
