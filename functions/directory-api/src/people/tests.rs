//! Router-level tests of users, invitations and join requests (USR-2..5): embedded adapters
//! with a manual clock, tenants installed through the directory (USR-1), tokens and cookies
//! minted directly. "Changes nothing" is checked by comparing the tenant's invitations, users
//! and join requests before and after.
#![allow(clippy::unwrap_used)]

use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use bridge_core::tenant::{Right, Role, UserAccount};
use bridge_core::{Clock, ManualClock};
use bridge_directory::{
    Actor, Directory, Invitation, Invitee, JoinRequest, SignInOutcome, SignedInPerson,
};
use bridge_http::auth::{issue_api_token, verify_api_token};
use bridge_http::person::{Person, issue_person_token};
use bridge_platform::{Adapters, QueueName};
use http::{HeaderMap, Request, StatusCode};
use secrecy::ExposeSecret;
use serde_json::{Value, json};
use tower::ServiceExt;

use super::TEMPLATES;

const T0: i64 = 1_700_000_000_000;
const ORG_A: &str = "aaaaaaaa-0000-4000-8000-00000000000a";
const ORG_B: &str = "bbbbbbbb-0000-4000-8000-00000000000b";
const ORG_X: &str = "cccccccc-0000-4000-8000-00000000000c";
const DAY: i64 = 86_400_000;

struct Fx {
    _dir: tempfile::TempDir,
    clock: Arc<ManualClock>,
    adapters: Adapters,
    router: axum::Router,
    dir: Directory,
    /// Super admin of environment A (organisation ORG_A).
    ada: UserAccount,
    /// Super admin of environment B (organisation ORG_B).
    bob: UserAccount,
}

fn person(tid: &str, oid: &str, name: &str, email: Option<&str>) -> Person {
    Person {
        tid: tid.into(),
        oid: oid.into(),
        name: name.into(),
        username: email.map(str::to_string),
        verified_email: email.map(str::to_string),
        admin: false,
    }
}

fn signed(p: &Person) -> SignedInPerson {
    crate::signed_in_person(p)
}

fn actor(u: &UserAccount) -> Actor {
    Actor {
        tenant: u.user.tenant,
        user: u.user.id,
    }
}

async fn fixture() -> Fx {
    fixture_with(ORG_A, None).await
}

/// Environment A installed from organisation `org_a`; with `graph`, the deployment's Microsoft
/// Graph connection is that emulator's tenant `org_a`.
async fn fixture_with(org_a: &str, graph: Option<&graph_emulator::Emulator>) -> Fx {
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(ManualClock::new(T0));
    let mut adapters = Adapters::embedded(dir.path(), clock.clone()).unwrap();
    if let Some(emu) = graph {
        let mut config = (*adapters.config).clone();
        config.graph = Some(bridge_platform::config::GraphCredentials {
            tenant_id: org_a.into(),
            client_id: "app-1".into(),
            client_secret: "s3cret".into(),
        });
        config.graph_base_url = Some(emu.base_url());
        config.graph_token_url = Some(emu.token_url(org_a));
        adapters.config = Arc::new(config);
    }
    let directory = bridge_platform::directory::service(&adapters).unwrap();
    let install = async |tid: &str, name: &str, email: &str| {
        let mut admin = person(tid, "admin-oid", name, Some(email));
        admin.admin = true;
        directory
            .install(tid, &signed(&admin), &format!("Env of {name}"), T0)
            .await
            .unwrap()
            .super_admin
    };
    let ada = install(org_a, "Ada", "ada@a.test").await;
    let bob = install(ORG_B, "Bob", "bob@b.test").await;
    let router = bridge_http::finish(crate::router(&adapters).unwrap());
    Fx {
        _dir: dir,
        clock,
        adapters,
        router,
        dir: directory,
        ada,
        bob,
    }
}

/// A response: status, headers, body text.
struct Answer {
    status: StatusCode,
    headers: HeaderMap,
    body: String,
}

impl Answer {
    fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or(Value::Null)
    }
    fn location(&self) -> &str {
        self.headers
            .get("location")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }
}

impl Fx {
    fn now(&self) -> i64 {
        self.clock.now_ms()
    }

    fn key(&self) -> &[u8] {
        self.adapters.signing_key.expose_secret()
    }

    fn bearer(&self, u: &UserAccount) -> String {
        issue_api_token(self.key(), u.user.tenant, u.user.id, self.now(), 3_600_000).unwrap()
    }

    fn session(&self, u: &UserAccount) -> String {
        format!("bridge_session={}", self.bearer(u))
    }

    fn person_cookie(&self, p: &Person) -> String {
        format!(
            "bridge_person={}",
            issue_person_token(self.key(), p, self.now(), 3_600_000).unwrap()
        )
    }

    /// The (tenant, user) of the page session an answer starts; checks the cookie's flags.
    fn session_user(&self, a: &Answer) -> (String, String) {
        let set = a.headers["set-cookie"].to_str().unwrap();
        assert!(set.starts_with("bridge_session="), "{set}");
        for flag in ["HttpOnly", "SameSite=Lax", "Path=/app"] {
            assert!(set.contains(flag), "{set} lacks {flag}");
        }
        assert!(!set.contains("Secure"), "plain http origin: {set}");
        let token = set["bridge_session=".len()..].split(';').next().unwrap();
        let claims = verify_api_token(self.key(), token, self.now()).unwrap();
        (claims.tid, claims.sub)
    }

    async fn send(&self, req: Request<Body>) -> Answer {
        let resp = self.router.clone().oneshot(req).await.unwrap();
        let status = resp.status();
        let headers = resp.headers().clone();
        let bytes = axum::body::to_bytes(resp.into_body(), 1 << 20)
            .await
            .unwrap();
        Answer {
            status,
            headers,
            // minijinja escapes `/` in HTML; a browser reads it back as `/`.
            body: String::from_utf8_lossy(&bytes).replace("&#x2f;", "/"),
        }
    }

    async fn api(
        &self,
        as_user: &UserAccount,
        method: &str,
        path: &str,
        body: Option<Value>,
    ) -> Answer {
        let mut req = Request::builder()
            .method(method)
            .uri(path)
            .header("authorization", format!("Bearer {}", self.bearer(as_user)));
        let body = match body {
            Some(v) => {
                req = req.header("content-type", "application/json");
                Body::from(v.to_string())
            }
            None => Body::empty(),
        };
        self.send(req.body(body).unwrap()).await
    }

    /// A page request with `cookies`, extra `headers` and an optional form body.
    async fn page(
        &self,
        method: &str,
        path: &str,
        cookies: &[String],
        headers: &[(&str, &str)],
        form: Option<&str>,
    ) -> Answer {
        let mut req = Request::builder().method(method).uri(path);
        if !cookies.is_empty() {
            req = req.header("cookie", cookies.join("; "));
        }
        for (n, v) in headers {
            req = req.header(*n, *v);
        }
        let body = match form {
            Some(f) => {
                req = req.header("content-type", "application/x-www-form-urlencoded");
                Body::from(f.to_string())
            }
            None => Body::empty(),
        };
        self.send(req.body(body).unwrap()).await
    }

    /// Every queued mail message (taken off the queue).
    async fn mails(&self) -> Vec<Value> {
        let q = self.adapters.queue(QueueName::Mail).unwrap();
        let mut out = Vec::new();
        loop {
            let batch = q.receive(10, Duration::ZERO).await.unwrap();
            if batch.is_empty() {
                return out;
            }
            for d in batch {
                q.ack(&d.receipt).await.unwrap();
                out.push(serde_json::from_str(&d.body).unwrap());
            }
        }
    }

    /// Ada invites `email`; returns the invitation and its token (the mail is taken off the queue).
    async fn invite(&self, email: &str, rights: Vec<Right>) -> (Invitation, String) {
        let sent = self
            .dir
            .invite(
                actor(&self.ada),
                Invitee::Email {
                    email: email.into(),
                },
                Role::User,
                rights,
                self.now(),
            )
            .await
            .unwrap();
        self.mails().await;
        (sent.invitation, sent.token)
    }

    /// A user of A (invited by e-mail and accepted), with `rights`.
    async fn member(&self, oid: &str, email: &str, rights: Vec<Right>) -> (Person, UserAccount) {
        let (_, token) = self.invite(email, rights).await;
        let p = person(ORG_X, oid, oid, Some(email));
        let account = self
            .dir
            .accept_invitation(&token, &signed(&p), self.now())
            .await
            .unwrap();
        (p, account)
    }

    /// Environment A's invitations, users and join requests, as its super admin sees them.
    async fn snapshot(&self) -> (Vec<Invitation>, Vec<UserAccount>, Vec<JoinRequest>) {
        let by = actor(&self.ada);
        (
            self.dir
                .list_invitations(by, None, 500)
                .await
                .unwrap()
                .items,
            self.dir.list_users(by, None, 500).await.unwrap().items,
            self.dir
                .list_join_requests(by, None, 500)
                .await
                .unwrap()
                .items,
        )
    }

    /// A person of organisation A (not a user) asks to join, through the domain.
    async fn join_request(&self, oid: &str) -> (Person, JoinRequest) {
        let p = person(
            ORG_A,
            oid,
            &format!("Person {oid}"),
            Some(&format!("{oid}@a.test")),
        );
        let r = self
            .dir
            .request_join(&signed(&p), self.now())
            .await
            .unwrap()
            .request;
        self.mails().await;
        (p, r)
    }
}

fn accept_path(token: &str) -> String {
    format!("/app/invitations/{token}/accept")
}

#[test]
fn every_template_parses() {
    assert!(TEMPLATES.check().is_empty(), "{:?}", TEMPLATES.check());
}

#[tokio::test]
async fn usr2_invite_queues_the_mail_with_the_accept_link_and_never_answers_the_token() {
    let f = fixture().await;
    let a = f
        .api(
            &f.ada,
            "POST",
            "/api/invitations",
            Some(json!({"email": "New.Person@Example.test", "rights": ["add_document"]})),
        )
        .await;
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.body);
    let inv = a.json();
    assert_eq!(inv["sent_to"], "new.person@example.test");
    assert_eq!(inv["state"], "pending");
    assert_eq!(inv["rights"], json!(["add_document"]));
    let mails = f.mails().await;
    assert_eq!(mails.len(), 1, "{mails:?}");
    assert_eq!(mails[0]["to"], json!(["new.person@example.test"]));
    let text = mails[0].to_string();
    let prefix = "http://127.0.0.1:8080/app/invitations/";
    let at = text.find(prefix).expect("accept link in the mail") + prefix.len();
    let token: String = text[at..]
        .chars()
        .take_while(char::is_ascii_hexdigit)
        .collect();
    assert!(token.len() >= 32, "{text}");
    assert!(
        !a.body.contains(&token),
        "the inviter must not see the token"
    );
    // The link opens the invitation.
    let page = f
        .page("GET", &format!("/app/invitations/{token}"), &[], &[], None)
        .await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("new.person@example.test"));
    // And the manager lists it, still without the token.
    let list = f.api(&f.ada, "GET", "/api/invitations", None).await;
    assert_eq!(list.status, StatusCode::OK);
    assert_eq!(list.json()["invitations"][0]["id"], inv["id"]);
    assert!(!list.body.contains(&token));
}

#[tokio::test]
async fn usr2_a_microsoft_365_user_of_the_organisation_is_invited_by_object_id() {
    let f = fixture().await;
    let a = f
        .api(
            &f.ada,
            "POST",
            "/api/invitations",
            Some(json!({"m365_user_id": "11111111-2222-4333-8444-555555555555", "upn": "carl@a.test"})),
        )
        .await;
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.body);
    assert_eq!(a.json()["kind"], "microsoft365");
    let mails = f.mails().await;
    assert_eq!(mails.len(), 1);
    assert_eq!(mails[0]["to"], json!(["carl@a.test"]));
    // Without the address the mail would have nowhere to go.
    let a = f
        .api(
            &f.ada,
            "POST",
            "/api/invitations",
            Some(json!({"m365_user_id": "x1"})),
        )
        .await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST);
    assert_eq!(a.json()["error"], "bad_request");
}

#[tokio::test]
async fn opening_the_invitation_link_changes_nothing_and_offers_accept_only_when_signed_in() {
    let f = fixture().await;
    let (_, token) = f.invite("eve@example.test", vec![]).await;
    let before = f.snapshot().await;
    let path = format!("/app/invitations/{token}");
    let anon = f.page("GET", &path, &[], &[], None).await;
    assert_eq!(anon.status, StatusCode::OK);
    assert!(
        anon.body.contains("/app/sign-in/microsoft?return_to="),
        "{}",
        anon.body
    );
    assert!(anon.body.contains("Env of Ada"));
    assert!(!anon.body.contains("id=\"accept\""));
    assert_eq!(anon.headers["cache-control"], "no-store");
    let eve = person(ORG_X, "eve", "Eve", Some("eve@example.test"));
    let signed_in = f
        .page("GET", &path, &[f.person_cookie(&eve)], &[], None)
        .await;
    assert_eq!(signed_in.status, StatusCode::OK);
    assert!(
        signed_in.body.contains("id=\"accept\""),
        "{}",
        signed_in.body
    );
    assert!(
        signed_in
            .body
            .contains(&format!("action=\"{path}/accept\""))
    );
    assert_eq!(f.snapshot().await, before, "a GET changed state");
    assert!(f.mails().await.is_empty());
    let unknown = f
        .page(
            "GET",
            &format!("/app/invitations/{}", "ab".repeat(32)),
            &[],
            &[],
            None,
        )
        .await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn usr5_the_invitee_accepts_once_and_a_replay_is_409_changing_nothing() {
    let f = fixture().await;
    let (_, token) = f.invite("Eve@Example.test", vec![Right::AddDocument]).await;
    let eve = person(ORG_X, "eve", "Eve", Some("eve@example.test"));
    let cookie = f.person_cookie(&eve);
    let a = f
        .page(
            "POST",
            &accept_path(&token),
            std::slice::from_ref(&cookie),
            &[],
            None,
        )
        .await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
    assert_eq!(a.location(), "/app");
    let session = f.session_user(&a);
    let SignInOutcome::Member { tenant, user } =
        f.dir.resolve_sign_in(&signed(&eve)).await.unwrap()
    else {
        panic!("eve is not a member");
    };
    assert_eq!(tenant, f.ada.user.tenant);
    assert_eq!(session, (tenant.to_string(), user.to_string()));
    let (_, users, _) = f.snapshot().await;
    let joined = users.iter().find(|u| u.user.id == user).unwrap();
    assert_eq!(joined.user.rights, vec![Right::AddDocument]);
    let after_accept = f.snapshot().await;
    let replay = f
        .page("POST", &accept_path(&token), &[cookie], &[], None)
        .await;
    assert_eq!(replay.status, StatusCode::CONFLICT, "{}", replay.body);
    assert!(replay.body.contains("already been used"));
    assert_eq!(f.snapshot().await, after_accept);
    // The page now says so, and offers nothing.
    let page = f
        .page("GET", &format!("/app/invitations/{token}"), &[], &[], None)
        .await;
    assert!(page.body.contains("used"));
    assert!(!page.body.contains("id=\"accept\""));
}

#[tokio::test]
async fn usr5_someone_elses_invitation_is_403_and_changes_nothing() {
    let f = fixture().await;
    let (_, token) = f.invite("eve@example.test", vec![]).await;
    let before = f.snapshot().await;
    let mallory = person(ORG_X, "mallory", "Mallory", Some("mallory@example.test"));
    let a = f
        .page(
            "POST",
            &accept_path(&token),
            &[f.person_cookie(&mallory)],
            &[],
            None,
        )
        .await;
    assert_eq!(a.status, StatusCode::FORBIDDEN);
    assert!(a.body.contains("sent to someone else"), "{}", a.body);
    assert_eq!(f.snapshot().await, before);
    // Without any sign-in: 401 with a way to sign in.
    let a = f.page("POST", &accept_path(&token), &[], &[], None).await;
    assert_eq!(a.status, StatusCode::UNAUTHORIZED);
    assert_eq!(f.snapshot().await, before);
}

#[tokio::test]
async fn an_expired_invitation_is_410_and_its_page_says_so() {
    let f = fixture().await;
    let (_, token) = f.invite("eve@example.test", vec![]).await;
    f.clock.advance_ms(7 * DAY + 1);
    let before = f.snapshot().await;
    let eve = person(ORG_X, "eve", "Eve", Some("eve@example.test"));
    let a = f
        .page(
            "POST",
            &accept_path(&token),
            &[f.person_cookie(&eve)],
            &[],
            None,
        )
        .await;
    assert_eq!(a.status, StatusCode::GONE, "{}", a.body);
    assert!(a.body.contains("new invitation"), "{}", a.body);
    assert_eq!(f.snapshot().await, before);
    let page = f
        .page("GET", &format!("/app/invitations/{token}"), &[], &[], None)
        .await;
    assert!(page.body.contains("expired"));
}

#[tokio::test]
async fn a_revoked_invitation_is_410() {
    let f = fixture().await;
    let (inv, token) = f.invite("eve@example.test", vec![]).await;
    let r = f
        .api(
            &f.ada,
            "POST",
            &format!("/api/invitations/{}/revoke", inv.id),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.json()["state"], "revoked");
    let before = f.snapshot().await;
    let eve = person(ORG_X, "eve", "Eve", Some("eve@example.test"));
    let a = f
        .page(
            "POST",
            &accept_path(&token),
            &[f.person_cookie(&eve)],
            &[],
            None,
        )
        .await;
    assert_eq!(a.status, StatusCode::GONE);
    assert!(a.body.contains("withdrawn"));
    assert_eq!(f.snapshot().await, before);
}

#[tokio::test]
async fn cross_site_posts_are_403_and_change_nothing() {
    let f = fixture().await;
    let (_, token) = f.invite("eve@example.test", vec![]).await;
    let (_, request) = f.join_request("joe").await;
    let before = f.snapshot().await;
    let eve = person(ORG_X, "eve", "Eve", Some("eve@example.test"));
    let cross: [&[(&str, &str)]; 2] = [
        &[("sec-fetch-site", "cross-site")],
        &[("origin", "https://evil.example")],
    ];
    for headers in cross {
        let a = f
            .page(
                "POST",
                &accept_path(&token),
                &[f.person_cookie(&eve)],
                headers,
                None,
            )
            .await;
        assert_eq!(a.status, StatusCode::FORBIDDEN, "{headers:?}");
        // Even without the cookie: the origin is judged first.
        let a = f
            .page("POST", &accept_path(&token), &[], headers, None)
            .await;
        assert_eq!(a.status, StatusCode::FORBIDDEN, "{headers:?}");
        let joe2 = person(ORG_A, "joe2", "Joe 2", Some("joe2@a.test"));
        let a = f
            .page(
                "POST",
                "/app/join-requests",
                &[f.person_cookie(&joe2)],
                headers,
                None,
            )
            .await;
        assert_eq!(a.status, StatusCode::FORBIDDEN);
        let a = f
            .page(
                "POST",
                &format!("/app/users/join-requests/{}/approve", request.id),
                &[f.session(&f.ada)],
                headers,
                None,
            )
            .await;
        assert_eq!(a.status, StatusCode::FORBIDDEN);
    }
    assert_eq!(f.snapshot().await, before);
    assert!(f.mails().await.is_empty());
}

#[tokio::test]
async fn another_tenants_token_cannot_reach_this_tenants_items() {
    let f = fixture().await;
    let (inv, _) = f.invite("eve@example.test", vec![]).await;
    let (_, request) = f.join_request("joe").await;
    let before = f.snapshot().await;
    let list = f.api(&f.bob, "GET", "/api/invitations", None).await;
    assert_eq!(list.status, StatusCode::OK);
    assert_eq!(list.json()["invitations"], json!([]));
    let users = f.api(&f.bob, "GET", "/api/users", None).await;
    assert!(!users.body.contains(&f.ada.user.id.to_string()));
    for (method, path, body) in [
        ("POST", format!("/api/invitations/{}/revoke", inv.id), None),
        (
            "POST",
            format!("/api/join-requests/{}/approve", request.id),
            None,
        ),
        (
            "POST",
            format!("/api/join-requests/{}/decline", request.id),
            None,
        ),
        (
            "POST",
            format!("/api/users/{}/deactivate", f.ada.user.id),
            None,
        ),
        (
            "PATCH",
            format!("/api/users/{}", f.ada.user.id),
            Some(json!({"role": "user"})),
        ),
    ] {
        let a = f.api(&f.bob, method, &path, body).await;
        assert_eq!(
            a.status,
            StatusCode::NOT_FOUND,
            "{method} {path}: {}",
            a.body
        );
        assert_eq!(a.json()["error"], "not_found");
    }
    assert_eq!(f.snapshot().await, before);
}

#[tokio::test]
async fn without_manage_users_invite_approve_and_change_are_403() {
    let f = fixture().await;
    let (_, plain) = f
        .member("pat", "pat@example.test", vec![Right::AddDocument])
        .await;
    let (_, request) = f.join_request("joe").await;
    let before = f.snapshot().await;
    for (method, path, body) in [
        (
            "POST",
            "/api/invitations".to_string(),
            Some(json!({"email": "x@example.test"})),
        ),
        (
            "POST",
            format!("/api/join-requests/{}/approve", request.id),
            None,
        ),
        (
            "PATCH",
            format!("/api/users/{}", f.ada.user.id),
            Some(json!({"rights": []})),
        ),
        ("GET", "/api/users".to_string(), None),
    ] {
        let a = f.api(&plain, method, &path, body).await;
        assert_eq!(
            a.status,
            StatusCode::FORBIDDEN,
            "{method} {path}: {}",
            a.body
        );
        assert_eq!(a.json()["error"], "forbidden");
        assert!(a.json()["request_id"].is_string());
    }
    let page = f
        .page("GET", "/app/users", &[f.session(&plain)], &[], None)
        .await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);
    let form = f
        .page(
            "POST",
            "/app/users/invitations",
            &[f.session(&plain)],
            &[],
            Some("email=x%40example.test&role=user"),
        )
        .await;
    assert_eq!(form.status, StatusCode::FORBIDDEN);
    assert_eq!(f.snapshot().await, before);
    assert!(f.mails().await.is_empty());
}

#[tokio::test]
async fn usr4_a_join_request_mails_every_user_manager_once() {
    let f = fixture().await;
    let (_, manager) = f
        .member("max", "max@example.test", vec![Right::ManageUsers])
        .await;
    let (_, _plain) = f.member("pat", "pat@example.test", vec![]).await;
    let joe = person(ORG_A, "joe", "Joe", Some("joe@a.test"));
    let a = f
        .page(
            "POST",
            "/app/join-requests",
            &[f.person_cookie(&joe)],
            &[],
            None,
        )
        .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    assert!(a.body.contains("Your request was sent"));
    let mails = f.mails().await;
    let mut to: Vec<String> = mails
        .iter()
        .map(|m| m["to"][0].as_str().unwrap().to_string())
        .collect();
    to.sort();
    assert_eq!(
        to,
        vec!["ada@a.test".to_string(), manager.email.clone().unwrap()]
    );
    let (_, _, requests) = f.snapshot().await;
    assert_eq!(requests.len(), 1);
    for m in &mails {
        assert!(
            m.to_string()
                .contains(&format!("/app/users?join_request={}", requests[0].id)),
            "{m}"
        );
    }
    // Asking again while pending: 409, and no more mail.
    let again = f
        .page(
            "POST",
            "/app/join-requests",
            &[f.person_cookie(&joe)],
            &[],
            None,
        )
        .await;
    assert_eq!(again.status, StatusCode::CONFLICT);
    assert!(f.mails().await.is_empty());
    // A person whose organisation has no environment: 404 saying what to do.
    let stranger = person(ORG_X, "zed", "Zed", Some("zed@x.test"));
    let a = f
        .page(
            "POST",
            "/app/join-requests",
            &[f.person_cookie(&stranger)],
            &[],
            None,
        )
        .await;
    assert_eq!(a.status, StatusCode::NOT_FOUND);
    assert!(a.body.contains("install"));
}

#[tokio::test]
async fn usr4_approve_and_add_makes_a_member_and_the_second_decision_is_409() {
    let f = fixture().await;
    let (joe, request) = f.join_request("joe").await;
    let a = f
        .api(
            &f.ada,
            "POST",
            &format!("/api/join-requests/{}/approve", request.id),
            None,
        )
        .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    assert_eq!(a.json()["state"], "approved");
    assert!(matches!(
        f.dir.resolve_sign_in(&signed(&joe)).await.unwrap(),
        SignInOutcome::Member { tenant, .. } if tenant == f.ada.user.tenant
    ));
    let before = f.snapshot().await;
    let second = f
        .api(
            &f.ada,
            "POST",
            &format!("/api/join-requests/{}/decline", request.id),
            None,
        )
        .await;
    assert_eq!(second.status, StatusCode::CONFLICT);
    assert!(
        second.json()["message"]
            .as_str()
            .unwrap()
            .contains("already approved")
    );
    assert_eq!(f.snapshot().await, before);
    // The link from the mail now says it is decided.
    let page = f
        .page(
            "GET",
            &format!("/app/users?join_request={}", request.id),
            &[f.session(&f.ada)],
            &[],
            None,
        )
        .await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("approved already"), "{}", page.body);
}

#[tokio::test]
async fn usr4_the_users_page_highlights_the_request_and_its_button_adds_the_person() {
    let f = fixture().await;
    let (joe, request) = f.join_request("joe").await;
    let page = f
        .page(
            "GET",
            &format!("/app/users?join_request={}", request.id),
            &[f.session(&f.ada)],
            &[],
            None,
        )
        .await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.body.contains(&format!(
        "id=\"join-{}\" class=\"notice highlighted\"",
        request.id
    )));
    assert!(page.body.contains("Approve &amp; Add"));
    assert!(page.body.contains("Person joe"));
    let a = f
        .page(
            "POST",
            &format!("/app/users/join-requests/{}/approve", request.id),
            &[f.session(&f.ada)],
            &[("sec-fetch-site", "same-origin")],
            None,
        )
        .await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
    assert_eq!(a.location(), "/app/users");
    assert!(matches!(
        f.dir.resolve_sign_in(&signed(&joe)).await.unwrap(),
        SignInOutcome::Member { .. }
    ));
}

#[tokio::test]
async fn a_flood_of_join_requests_is_429_with_retry_after() {
    let f = fixture().await;
    // The tenant takes 20 requests an hour.
    for i in 0..20 {
        f.join_request(&format!("p{i}")).await;
    }
    let before = f.snapshot().await;
    let late = person(ORG_A, "late", "Late", Some("late@a.test"));
    let a = f
        .page(
            "POST",
            "/app/join-requests",
            &[f.person_cookie(&late)],
            &[],
            None,
        )
        .await;
    assert_eq!(a.status, StatusCode::TOO_MANY_REQUESTS, "{}", a.body);
    let retry: i64 = a.headers["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=3600).contains(&retry), "{retry}");
    assert_eq!(f.snapshot().await, before);
    assert!(f.mails().await.is_empty());
}

#[tokio::test]
async fn a_deactivated_users_token_is_401_on_the_api() {
    let f = fixture().await;
    let (_, max) = f
        .member("max", "max@example.test", vec![Right::ManageUsers])
        .await;
    assert_eq!(
        f.api(&max, "GET", "/api/users", None).await.status,
        StatusCode::OK
    );
    let a = f
        .api(
            &f.ada,
            "POST",
            &format!("/api/users/{}/deactivate", max.user.id),
            None,
        )
        .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    assert_eq!(a.json()["active"], false);
    let refused = f.api(&max, "GET", "/api/users", None).await;
    assert_eq!(refused.status, StatusCode::UNAUTHORIZED);
    assert_eq!(refused.json()["error"], "unauthorized");
    let a = f
        .api(
            &f.ada,
            "POST",
            &format!("/api/users/{}/reactivate", max.user.id),
            None,
        )
        .await;
    assert_eq!(a.json()["active"], true);
    assert_eq!(
        f.api(&max, "GET", "/api/users", None).await.status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn changing_access_needs_a_super_admin_for_the_super_admin_role() {
    let f = fixture().await;
    let (_, max) = f
        .member("max", "max@example.test", vec![Right::ManageUsers])
        .await;
    let (_, pat) = f.member("pat", "pat@example.test", vec![]).await;
    let path = format!("/api/users/{}", pat.user.id);
    let a = f
        .api(&max, "PATCH", &path, Some(json!({"role": "advanced_user", "rights": ["add_document"], "groups": ["relation_managers"]})))
        .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    assert_eq!(a.json()["role"], "advanced_user");
    assert_eq!(a.json()["groups"], json!(["relation_managers"]));
    let before = f.snapshot().await;
    let a = f
        .api(&max, "PATCH", &path, Some(json!({"role": "super_admin"})))
        .await;
    assert_eq!(a.status, StatusCode::FORBIDDEN);
    let a = f
        .api(&max, "PATCH", &path, Some(json!({"colour": "red"})))
        .await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST);
    assert_eq!(f.snapshot().await, before);
    // The page form does the same as the API.
    let a = f
        .page(
            "POST",
            &format!("/app/users/{}/access", pat.user.id),
            &[f.session(&f.ada)],
            &[],
            Some("role=admin&manage_users=on"),
        )
        .await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
    let (_, users, _) = f.snapshot().await;
    let pat = users.iter().find(|u| u.user.id == pat.user.id).unwrap();
    assert_eq!(
        (pat.role, pat.user.rights.clone()),
        (Role::Admin, vec![Right::ManageUsers])
    );
}

#[tokio::test]
async fn usr3_linking_an_existing_account_joins_that_accounts_environment() {
    let f = fixture().await;
    let (inv, token) = f.invite("pia@example.test", vec![]).await;
    let pia = person(ORG_X, "pia", "Pia", Some("pia@example.test"));
    let path = format!("/app/invitations/{token}/link-existing");
    // Without a session of the existing account: 401 saying what to do, nothing changed.
    let before = f.snapshot().await;
    let a = f
        .page("POST", &path, &[f.person_cookie(&pia)], &[], None)
        .await;
    assert_eq!(a.status, StatusCode::UNAUTHORIZED);
    assert!(a.body.contains("existing account"));
    assert_eq!(f.snapshot().await, before);
    // With Bob's session (environment B): Pia's Microsoft sign-in now opens Bob's account.
    let cookies = [f.person_cookie(&pia), f.session(&f.bob)];
    let page = f
        .page(
            "GET",
            &format!("/app/invitations/{token}"),
            &cookies,
            &[],
            None,
        )
        .await;
    assert!(page.body.contains("id=\"link-existing\""), "{}", page.body);
    let a = f.page("POST", &path, &cookies, &[], None).await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
    assert_eq!(
        f.session_user(&a),
        (f.bob.user.tenant.to_string(), f.bob.user.id.to_string())
    );
    assert_eq!(
        f.dir.resolve_sign_in(&signed(&pia)).await.unwrap(),
        SignInOutcome::Member {
            tenant: f.bob.user.tenant,
            user: f.bob.user.id
        }
    );
    let (invitations, users, _) = f.snapshot().await;
    let used = invitations.iter().find(|i| i.id == inv.id).unwrap();
    assert_eq!(used.state, bridge_directory::InvitationState::Accepted);
    assert_eq!(users.len(), 1, "nobody joined environment A");
}

#[tokio::test]
async fn api_listings_page_with_an_opaque_cursor() {
    let f = fixture().await;
    for i in 0..3 {
        f.invite(&format!("p{i}@example.test"), vec![]).await;
    }
    let first = f.api(&f.ada, "GET", "/api/invitations?limit=2", None).await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.body);
    let first = first.json();
    assert_eq!(first["invitations"].as_array().unwrap().len(), 2);
    assert_eq!(first["more"], true);
    let next = first["next"].as_str().unwrap();
    let second = f
        .api(
            &f.ada,
            "GET",
            &format!("/api/invitations?limit=2&cursor={next}"),
            None,
        )
        .await
        .json();
    let items = second["invitations"].as_array().unwrap();
    assert_eq!(items.len(), 1);
    assert_eq!(second["more"], false);
    assert!(
        first["invitations"]
            .as_array()
            .unwrap()
            .iter()
            .all(|i| i["id"] != items[0]["id"])
    );
    for bad in ["limit=0", "limit=501", "cursor=garbage"] {
        let a = f
            .api(&f.ada, "GET", &format!("/api/invitations?{bad}"), None)
            .await;
        assert_eq!(a.status, StatusCode::BAD_REQUEST, "{bad}: {}", a.body);
        assert_eq!(a.json()["error"], "bad_request");
    }
    // A cursor of environment A's list means nothing in environment B's.
    let b = f
        .api(
            &f.bob,
            "GET",
            &format!("/api/invitations?limit=2&cursor={next}"),
            None,
        )
        .await;
    assert_eq!(b.status, StatusCode::BAD_REQUEST, "{}", b.body);
}

#[tokio::test]
async fn usr2_m365_users_are_listed_from_graph_for_managers_of_that_organisation_only() {
    // Without Graph: 503 naming what is missing.
    let f = fixture().await;
    let a = f.api(&f.ada, "GET", "/api/m365-users", None).await;
    assert_eq!(a.status, StatusCode::SERVICE_UNAVAILABLE, "{}", a.body);
    assert!(a.body.contains("BRIDGE_GRAPH_CLIENT_ID"), "{}", a.body);

    let org = "graph-tenant";
    let emu = graph_emulator::Emulator::start(graph_emulator::EmulatorConfig::default())
        .await
        .unwrap();
    emu.add_tenant(org);
    emu.add_app(org, "app-1", "s3cret").unwrap();
    let alice = emu.add_user(org, "Alice", "alice@contoso.test").unwrap();
    let f = fixture_with(org, Some(&emu)).await;
    let a = f.api(&f.ada, "GET", "/api/m365-users", None).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    let users = a.json()["users"].clone();
    let found = users
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["id"] == alice.id.as_str())
        .cloned()
        .expect("alice listed");
    assert_eq!(found["user_principal_name"], "alice@contoso.test");
    // Environment B is another organisation: it does not see A's people.
    let b = f.api(&f.bob, "GET", "/api/m365-users", None).await;
    assert_eq!(b.status, StatusCode::CONFLICT, "{}", b.body);
    assert!(!b.body.contains("alice"));
    // And someone without "manage users" does not either.
    let (_, pat) = f.member("pat", "pat@example.test", vec![]).await;
    let p = f.api(&pat, "GET", "/api/m365-users", None).await;
    assert_eq!(p.status, StatusCode::FORBIDDEN);
    // The picked user is invited by id and address.
    let inv = f
        .api(
            &f.ada,
            "POST",
            "/api/invitations",
            Some(json!({"m365_user_id": alice.id, "upn": "alice@contoso.test"})),
        )
        .await;
    assert_eq!(inv.status, StatusCode::CREATED, "{}", inv.body);
}
