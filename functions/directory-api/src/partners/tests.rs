//! Router-level tests of partners (PAR-1..6) and of a partner reading a shared document, down to
//! the WOPI host: embedded adapters with a manual clock, two environments installed through the
//! directory (USR-1), tokens and cookies minted directly.
#![allow(clippy::unwrap_used)]

use std::sync::Arc;
use std::time::Duration;

use axum::body::{Body, Bytes};
use bridge_core::tenant::{Group, UserAccount};
use bridge_core::{Clock, ManualClock};
use bridge_directory::{AccessChange, Actor, Directory, SignedInPerson, TOKEN_HEX_LEN};
use bridge_http::auth::issue_api_token;
use bridge_http::person::{Person, issue_person_token};
use bridge_platform::messages::Message;
use bridge_platform::{Adapters, QueueName};
use bridge_wopi_host::{AppLinks, LockOp};
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
const SAME_ORIGIN: &[(&str, &str)] = &[("sec-fetch-site", "same-origin")];

struct Fx {
    _dir: tempfile::TempDir,
    clock: Arc<ManualClock>,
    adapters: Adapters,
    router: axum::Router,
    dir: Directory,
    /// Super admin of environment A.
    ada: UserAccount,
    /// Super admin of environment B.
    bob: UserAccount,
}

fn person(tid: &str, name: &str) -> Person {
    Person {
        tid: tid.into(),
        oid: "admin-oid".into(),
        name: name.into(),
        username: None,
        verified_email: Some(format!("{}@{}.test", name.to_lowercase(), &tid[..1])),
        admin: true,
    }
}

fn actor(u: &UserAccount) -> Actor {
    Actor {
        tenant: u.user.tenant,
        user: u.user.id,
    }
}

/// Two installed environments, nothing of partners switched on.
async fn bare() -> Fx {
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(ManualClock::new(T0));
    let adapters = Adapters::embedded(dir.path(), clock.clone()).unwrap();
    let directory = bridge_platform::directory::service(&adapters).unwrap();
    let install = async |tid: &str, name: &str| {
        let p: SignedInPerson = crate::signed_in_person(&person(tid, name));
        directory
            .install(tid, &p, &format!("Env of {name}"), T0)
            .await
            .unwrap()
            .super_admin
    };
    let ada = install(ORG_A, "Ada").await;
    let bob = install(ORG_B, "Bob").await;
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

/// Both environments subscribed, findable, their super admins relation managers.
async fn fixture() -> Fx {
    let f = bare().await;
    for u in [&f.ada, &f.bob] {
        f.dir
            .set_partner_relations_subscription(u.user.tenant, true)
            .await
            .unwrap();
        f.make_relation_manager(u).await;
        f.dir.set_findable(actor(u), true).await.unwrap();
    }
    f
}

struct Answer {
    status: StatusCode,
    headers: HeaderMap,
    body: String,
}

impl Answer {
    fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or(Value::Null)
    }
}

impl Fx {
    fn now(&self) -> i64 {
        self.clock.now_ms()
    }

    fn key(&self) -> &[u8] {
        self.adapters.signing_key.expose_secret()
    }

    async fn make_relation_manager(&self, u: &UserAccount) {
        self.dir
            .change_access(
                actor(u),
                u.user.id,
                AccessChange {
                    role: None,
                    rights: None,
                    groups: Some(vec![Group::RelationManagers]),
                },
            )
            .await
            .unwrap();
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
            body: String::from_utf8_lossy(&bytes).replace("&#x2f;", "/"),
        }
    }

    async fn api(&self, u: &UserAccount, method: &str, path: &str, body: Option<Value>) -> Answer {
        let mut req = Request::builder()
            .method(method)
            .uri(path)
            .header("authorization", format!("Bearer {}", self.bearer(u)));
        let body = match body {
            Some(v) => {
                req = req.header("content-type", "application/json");
                Body::from(v.to_string())
            }
            None => Body::empty(),
        };
        self.send(req.body(body).unwrap()).await
    }

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

    /// Every queued message of `queue` (taken off it), as raw bodies.
    async fn drain(&self, queue: QueueName) -> Vec<String> {
        let q = self.adapters.queue(queue).unwrap();
        let mut out = Vec::new();
        loop {
            let batch = q.receive(10, Duration::ZERO).await.unwrap();
            if batch.is_empty() {
                return out;
            }
            for d in batch {
                q.ack(&d.receipt).await.unwrap();
                out.push(d.body);
            }
        }
    }

    /// Ada asks Bob (over the API); returns the request id and the token from Bob's mail.
    async fn ada_asks_bob(&self) -> (String, String) {
        let a = self
            .api(
                &self.ada,
                "POST",
                "/api/relation-requests",
                Some(json!({
                    "to_tenant": self.bob.user.tenant.to_string(),
                    "to_user": self.bob.user.id.to_string(),
                })),
            )
            .await;
        assert_eq!(a.status, StatusCode::CREATED, "{}", a.body);
        let mails = self.drain(QueueName::Mail).await;
        assert_eq!(mails.len(), 1, "{mails:?}");
        let marker = "/app/relation-requests/";
        let at = mails[0].find(marker).expect("accept URL in the mail") + marker.len();
        let token = mails[0][at..at + TOKEN_HEX_LEN].to_string();
        assert!(token.chars().all(|c| c.is_ascii_hexdigit()), "{token}");
        assert!(
            !a.body.contains(&token),
            "the requester never sees the token"
        );
        (a.json()["id"].as_str().unwrap().to_string(), token)
    }

    /// Bob (signed in as himself) posts `action` on the request page.
    async fn bob_answers(&self, token: &str, action: &str) -> Answer {
        let cookie = self.person_cookie(&person(ORG_B, "Bob"));
        self.page(
            "POST",
            &format!("/app/relation-requests/{token}/{action}"),
            &[cookie],
            SAME_ORIGIN,
            None,
        )
        .await
    }

    /// Ada and Bob become partners.
    async fn partners(&self) {
        let (_, token) = self.ada_asks_bob().await;
        assert_eq!(
            self.bob_answers(&token, "accept").await.status,
            StatusCode::SEE_OTHER
        );
    }

    /// Ada shares `doc` with the relation group (the partners are related); Bob reads it.
    async fn ada_shares_with_the_group(&self, doc: &str) {
        let share = json!({"partner": self.bob.user.tenant.to_string(), "scope": "group"});
        let a = self
            .api(
                &self.ada,
                "POST",
                &format!("/api/documents/{doc}/shares"),
                Some(share),
            )
            .await;
        assert_eq!(a.status, StatusCode::CREATED, "{}", a.body);
        assert_eq!(self.bob_lists().await, vec![doc.to_string()]);
    }

    /// Bob neither lists `doc` nor downloads it.
    async fn bob_cannot_read(&self, doc: &str) {
        assert!(self.bob_lists().await.is_empty());
        let a = self
            .api(&self.bob, "GET", &self.shared_path(doc, "content"), None)
            .await;
        assert_eq!(a.status, StatusCode::NOT_FOUND, "{}", a.body);
    }

    /// A document of Ada's environment.
    async fn ada_document(&self, name: &str, content: &'static [u8]) -> String {
        let docs = self.adapters.documents();
        let t = self.ada.user.tenant;
        let client = docs
            .create_client(t, &self.ada.user, "Client")
            .await
            .unwrap();
        let body = Box::pin(futures::stream::once(async move {
            Ok::<_, std::io::Error>(Bytes::from_static(content))
        }));
        docs.upload(t, &self.ada.user, client.client_id, name, body)
            .await
            .unwrap()
            .doc_id
            .to_string()
    }

    fn shared_path(&self, doc: &str, tail: &str) -> String {
        format!(
            "/api/shared-documents/{}/{doc}/{tail}",
            self.ada.user.tenant
        )
    }

    /// The ids of the documents Bob lists as shared with him.
    async fn bob_lists(&self) -> Vec<String> {
        let a = self
            .api(&self.bob, "GET", "/api/shared-documents", None)
            .await;
        assert_eq!(a.status, StatusCode::OK, "{}", a.body);
        a.json()["documents"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d["doc_id"].as_str().unwrap().to_string())
            .collect()
    }

    /// The partners each side lists.
    async fn partner_counts(&self) -> (usize, usize) {
        let mut out = Vec::new();
        for u in [&self.ada, &self.bob] {
            let a = self.api(u, "GET", "/api/partners", None).await;
            assert_eq!(a.status, StatusCode::OK, "{}", a.body);
            out.push(a.json()["partners"].as_array().unwrap().len());
        }
        (out[0], out[1])
    }
}

#[test]
fn every_template_parses() {
    assert!(TEMPLATES.check().is_empty(), "{:?}", TEMPLATES.check());
}

#[tokio::test]
async fn par1_par2_only_relation_managers_with_the_subscription_reach_partners() {
    let f = bare().await;
    let refused = |a: &Answer| {
        assert_eq!(a.status, StatusCode::FORBIDDEN, "{}", a.body);
    };
    // No subscription.
    refused(&f.api(&f.ada, "GET", "/api/partners", None).await);
    let page = f
        .page("GET", "/app/partners", &[f.session(&f.ada)], &[], None)
        .await;
    refused(&page);
    assert!(page.body.contains("relation managers"), "{}", page.body);
    assert!(page.body.contains("subscription"), "{}", page.body);
    // Subscription, but not in "relation managers".
    f.dir
        .set_partner_relations_subscription(f.ada.user.tenant, true)
        .await
        .unwrap();
    refused(&f.api(&f.ada, "GET", "/api/partners", None).await);
    refused(
        &f.api(
            &f.ada,
            "POST",
            "/api/partners/search",
            Some(json!({"q": "env"})),
        )
        .await,
    );
    refused(
        &f.page("GET", "/app/partners", &[f.session(&f.ada)], &[], None)
            .await,
    );
    // Both.
    f.make_relation_manager(&f.ada).await;
    assert_eq!(
        f.api(&f.ada, "GET", "/api/partners", None).await.status,
        StatusCode::OK
    );
    let page = f
        .page("GET", "/app/partners", &[f.session(&f.ada)], &[], None)
        .await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.body.contains("Find partners"));
    // Findable needs the subscription (Bob's environment has none).
    let a = f
        .api(
            &f.bob,
            "PUT",
            "/api/partners/settings",
            Some(json!({"findable": true})),
        )
        .await;
    assert_eq!(a.status, StatusCode::FORBIDDEN, "{}", a.body);
}

#[tokio::test]
async fn par3_search_needs_three_chars_returns_public_details_only_and_is_rate_limited() {
    let f = fixture().await;
    let search = async |q: &str| {
        f.api(
            &f.ada,
            "POST",
            "/api/partners/search",
            Some(json!({"q": q})),
        )
        .await
    };
    assert_eq!(search("e!").await.status, StatusCode::BAD_REQUEST);
    let a = search("bob").await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    let found = a.json()["suggestions"].as_array().unwrap().clone();
    assert_eq!(found.len(), 1, "{}", a.body);
    assert_eq!(found[0]["name"], "Env of Bob");
    assert_eq!(found[0]["tenant_id"], f.bob.user.tenant.to_string());
    assert_eq!(
        found[0]["relation_managers"],
        json!([{"user_id": f.bob.user.id.to_string(), "name": "Bob"}])
    );
    assert!(!a.body.contains('@'), "no addresses: {}", a.body);
    // The own environment is never suggested.
    assert_eq!(search("ada").await.json()["suggestions"], json!([]));
    // Search is a POST: a GET does not run it.
    assert_eq!(
        f.api(&f.ada, "GET", "/api/partners/search", None)
            .await
            .status,
        StatusCode::METHOD_NOT_ALLOWED
    );
    let mut last = None;
    for _ in 0..25 {
        let a = search("env of").await;
        if a.status != StatusCode::OK {
            last = Some(a);
            break;
        }
    }
    let a = last.expect("rate limit reached");
    assert_eq!(a.status, StatusCode::TOO_MANY_REQUESTS, "{}", a.body);
    assert!(a.headers.contains_key("retry-after"));
    assert_eq!(a.json()["error"], "rate_limited");
    // The page's search form is limited alike.
    let page = f
        .page(
            "POST",
            "/app/partners/search",
            &[f.session(&f.ada)],
            SAME_ORIGIN,
            Some("q=bob"),
        )
        .await;
    assert_eq!(page.status, StatusCode::TOO_MANY_REQUESTS);
    // A new minute, a new allowance.
    f.clock.advance_ms(60_000);
    assert_eq!(search("env of").await.status, StatusCode::OK);
}

#[tokio::test]
async fn par3_par4_the_page_search_shows_details_and_a_request_form_per_relation_manager() {
    let f = fixture().await;
    let cross = f
        .page(
            "POST",
            "/app/partners/search",
            &[f.session(&f.ada)],
            &[("sec-fetch-site", "cross-site")],
            Some("q=bob"),
        )
        .await;
    assert_eq!(cross.status, StatusCode::FORBIDDEN);
    let page = f
        .page(
            "POST",
            "/app/partners/search",
            &[f.session(&f.ada)],
            SAME_ORIGIN,
            Some("q=bob"),
        )
        .await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.body.contains("Env of Bob"));
    assert!(page.body.contains(&f.bob.user.id.to_string()));
    let form = format!("to_tenant={}&to_user={}", f.bob.user.tenant, f.bob.user.id);
    let sent = f
        .page(
            "POST",
            "/app/partners/requests",
            &[f.session(&f.ada)],
            SAME_ORIGIN,
            Some(&form),
        )
        .await;
    assert_eq!(sent.status, StatusCode::SEE_OTHER, "{}", sent.body);
    assert_eq!(f.drain(QueueName::Mail).await.len(), 1);
}

#[tokio::test]
async fn par4_request_mails_the_accept_link_and_the_page_changes_nothing() {
    let f = fixture().await;
    let (_, token) = f.ada_asks_bob().await;
    let path = format!("/app/relation-requests/{token}");
    for _ in 0..2 {
        let page = f.page("GET", &path, &[], &[], None).await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.body);
        assert!(page.body.contains("Env of Ada"));
        assert!(page.body.contains("waiting for an answer"));
        assert!(
            page.body
                .contains("/app/sign-in/microsoft?return_to=%2Fapp%2Frelation-requests%2F")
                || page.body.contains(&format!(
                    "/app/sign-in/microsoft?return_to=/app/relation-requests/{token}"
                )),
            "{}",
            page.body
        );
        assert!(!page.body.contains("id=\"accept\""));
    }
    // Signed in: the forms appear; still nothing changed.
    let cookie = f.person_cookie(&person(ORG_B, "Bob"));
    let page = f.page("GET", &path, &[cookie], &[], None).await;
    assert!(
        page.body.contains(&format!("{path}/accept")),
        "{}",
        page.body
    );
    let incoming = f.api(&f.bob, "GET", "/api/relation-requests", None).await;
    assert_eq!(incoming.json()["incoming"][0]["state"], "pending");
    assert_eq!(f.partner_counts().await, (0, 0));
    // An unknown token is 404.
    let unknown = f
        .page(
            "GET",
            &format!("/app/relation-requests/{}", "0".repeat(64)),
            &[],
            &[],
            None,
        )
        .await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn par4_accept_by_the_addressee_makes_partners_on_both_sides_and_a_replay_is_409() {
    let f = fixture().await;
    let (_, token) = f.ada_asks_bob().await;
    let a = f.bob_answers(&token, "accept").await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
    assert_eq!(f.partner_counts().await, (1, 1));
    let page = f
        .page(
            "GET",
            &format!("/app/relation-requests/{token}"),
            &[],
            &[],
            None,
        )
        .await;
    assert!(page.body.contains("accepted"), "{}", page.body);
    assert_eq!(
        f.bob_answers(&token, "accept").await.status,
        StatusCode::CONFLICT
    );
    assert_eq!(
        f.bob_answers(&token, "decline").await.status,
        StatusCode::CONFLICT
    );
    assert_eq!(f.partner_counts().await, (1, 1));
    let page = f
        .page("GET", "/app/partners", &[f.session(&f.ada)], &[], None)
        .await;
    assert!(page.body.contains("Env of Bob"), "{}", page.body);
}

#[tokio::test]
async fn par4_another_person_cannot_answer_403() {
    let f = fixture().await;
    let (_, token) = f.ada_asks_bob().await;
    for p in [person(ORG_A, "Ada"), person(ORG_X, "Xena")] {
        let cookie = f.person_cookie(&p);
        for action in ["accept", "decline"] {
            let a = f
                .page(
                    "POST",
                    &format!("/app/relation-requests/{token}/{action}"),
                    std::slice::from_ref(&cookie),
                    SAME_ORIGIN,
                    None,
                )
                .await;
            assert_eq!(a.status, StatusCode::FORBIDDEN, "{}", a.body);
        }
    }
    // Without a signed-in person: sign in first.
    let a = f
        .page(
            "POST",
            &format!("/app/relation-requests/{token}/accept"),
            &[],
            SAME_ORIGIN,
            None,
        )
        .await;
    assert_eq!(a.status, StatusCode::UNAUTHORIZED);
    assert_eq!(f.partner_counts().await, (0, 0));
    // Bob still can.
    assert_eq!(
        f.bob_answers(&token, "accept").await.status,
        StatusCode::SEE_OTHER
    );
}

#[tokio::test]
async fn par4_a_cross_site_answer_is_403_and_changes_nothing() {
    let f = fixture().await;
    let (_, token) = f.ada_asks_bob().await;
    let cookie = f.person_cookie(&person(ORG_B, "Bob"));
    for headers in [
        [("sec-fetch-site", "cross-site")],
        [("origin", "https://evil.example")],
    ] {
        let a = f
            .page(
                "POST",
                &format!("/app/relation-requests/{token}/accept"),
                std::slice::from_ref(&cookie),
                &headers,
                None,
            )
            .await;
        assert_eq!(a.status, StatusCode::FORBIDDEN, "{}", a.body);
    }
    assert_eq!(f.partner_counts().await, (0, 0));
}

#[tokio::test]
async fn par4_expired_and_revoked_links_are_410() {
    let f = fixture().await;
    let (_, token) = f.ada_asks_bob().await;
    f.clock.advance_ms(15 * DAY);
    let a = f.bob_answers(&token, "accept").await;
    assert_eq!(a.status, StatusCode::GONE, "{}", a.body);
    assert_eq!(f.partner_counts().await, (0, 0));

    let f = fixture().await;
    let (id, token) = f.ada_asks_bob().await;
    // Another environment's request id does not exist for Bob.
    let a = f
        .api(
            &f.bob,
            "POST",
            &format!("/api/relation-requests/{id}/revoke"),
            None,
        )
        .await;
    assert_eq!(a.status, StatusCode::NOT_FOUND, "{}", a.body);
    let a = f
        .api(
            &f.ada,
            "POST",
            &format!("/api/relation-requests/{id}/revoke"),
            None,
        )
        .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    assert_eq!(a.json()["state"], "revoked");
    assert_eq!(
        f.bob_answers(&token, "accept").await.status,
        StatusCode::GONE
    );
    let page = f
        .page(
            "GET",
            &format!("/app/relation-requests/{token}"),
            &[],
            &[],
            None,
        )
        .await;
    assert!(page.body.contains("withdrawn"), "{}", page.body);
}

#[tokio::test]
async fn par4_one_pending_request_per_pair_of_environments() {
    let f = fixture().await;
    f.ada_asks_bob().await;
    let a = f
        .api(
            &f.bob,
            "POST",
            "/api/relation-requests",
            Some(json!({
                "to_tenant": f.ada.user.tenant.to_string(),
                "to_user": f.ada.user.id.to_string(),
            })),
        )
        .await;
    assert_eq!(a.status, StatusCode::CONFLICT, "{}", a.body);
    assert!(f.drain(QueueName::Mail).await.is_empty());
}

#[tokio::test]
async fn par5_a_group_share_is_readable_at_once_in_office_and_nothing_else_of_the_owner() {
    let f = fixture().await;
    let doc = f.ada_document("report.docx", b"shared content").await;
    let other = f.ada_document("private.docx", b"not shared").await;
    let share = json!({"partner": f.bob.user.tenant.to_string(), "scope": "group"});
    let shares = format!("/api/documents/{doc}/shares");
    // Before a relation: nothing to share with.
    let a = f.api(&f.ada, "POST", &shares, Some(share.clone())).await;
    assert_eq!(a.status, StatusCode::NOT_FOUND, "{}", a.body);
    f.partners().await;
    let a = f.api(&f.ada, "POST", &shares, Some(share.clone())).await;
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.body);

    // Listed and downloadable at once.
    assert_eq!(f.bob_lists().await, vec![doc.clone()]);
    let a = f
        .api(&f.bob, "GET", &f.shared_path(&doc, "content"), None)
        .await;
    assert_eq!(a.status, StatusCode::OK);
    assert_eq!(a.body, "shared content");
    assert!(
        a.headers["content-disposition"]
            .to_str()
            .unwrap()
            .contains("report.docx")
    );
    let page = f
        .page("GET", "/app/shared", &[f.session(&f.bob)], &[], None)
        .await;
    assert!(page.body.contains("report.docx"), "{}", page.body);
    assert!(!page.body.contains("private.docx"));
    let dl = format!("/app/shared/{}/{doc}/download", f.ada.user.tenant);
    let a = f.page("GET", &dl, &[f.session(&f.bob)], &[], None).await;
    assert_eq!(
        (a.status, a.body.as_str()),
        (StatusCode::OK, "shared content")
    );
    // Nothing else of the owner: another document is 404, by download and by session.
    let a = f
        .api(&f.bob, "GET", &f.shared_path(&other, "content"), None)
        .await;
    assert_eq!(a.status, StatusCode::NOT_FOUND, "{}", a.body);
    let a = f
        .api(&f.bob, "POST", &f.shared_path(&other, "sessions"), None)
        .await;
    assert_eq!(a.status, StatusCode::NOT_FOUND, "{}", a.body);

    // Office: a view token for that one document.
    let a = f
        .api(&f.bob, "POST", &f.shared_path(&doc, "sessions"), None)
        .await;
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.body);
    let token = a.json()["access_token"].as_str().unwrap().to_string();
    let host = f.adapters.wopi_host();
    let s = host.authorize(&doc, &token).await.unwrap();
    assert!(!s.can_write);
    let info = host
        .check_file_info(&s, &AppLinks::new("https://app.test"))
        .await
        .unwrap()
        .body
        .unwrap();
    assert_eq!(info["UserCanWrite"], false);
    assert_eq!(info["UserFriendlyName"], "Bob");
    assert_eq!(info["UserCanNotWriteRelative"], true);
    assert!(info.get("HostEditUrl").is_none_or(Value::is_null), "{info}");
    assert!(
        info.get("BreadcrumbFolderName").is_none_or(Value::is_null),
        "{info}"
    );
    assert!(
        info["DownloadUrl"]
            .as_str()
            .unwrap()
            .ends_with(&format!("/app/shared/{}/{doc}/download", f.ada.user.tenant)),
        "{info}"
    );
    assert_eq!(
        info["HostViewUrl"],
        format!(
            "https://app.test/app/shared/{}/{doc}/view",
            f.ada.user.tenant
        ),
        "the partner's own host page"
    );
    let (_, blob) = host.get_file(&s, None).await.unwrap();
    let bytes: Vec<Bytes> = futures::TryStreamExt::try_collect(blob.body).await.unwrap();
    assert_eq!(bytes.concat(), b"shared content");
    // Every write is refused as for any view token.
    for op in [LockOp::Lock, LockOp::RefreshLock, LockOp::Unlock] {
        let e = host.lock_op(&s, op, Some("L1"), None).await.unwrap_err();
        assert_eq!(e.status, 401, "{op:?}");
    }
    assert_eq!(host.put_user_info(&s, "x").await.unwrap_err().status, 401);
    assert_eq!(host.delete(&s).await.unwrap_err().status, 401);
    // The token opens no other document of the owner.
    assert_eq!(
        host.authorize(&other, &token).await.unwrap_err().status,
        404
    );
    // Checked at request time: once the share is gone, the same token reads nothing.
    let share_key = bridge_directory::keys::share_in(
        f.bob.user.tenant,
        f.ada.user.tenant,
        uuid::Uuid::parse_str(&doc).unwrap(),
        None,
    );
    f.adapters.table.delete(&share_key, None).await.unwrap();
    assert_eq!(host.authorize(&doc, &token).await.unwrap_err().status, 404);
    assert!(f.bob_lists().await.is_empty());
    let a = f
        .api(&f.bob, "GET", &f.shared_path(&doc, "content"), None)
        .await;
    assert_eq!(a.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn par5_a_share_with_the_manager_is_queued_202_and_readable_after_the_job() {
    let f = fixture().await;
    let doc = f.ada_document("plan.xlsx", b"numbers").await;
    f.partners().await;
    f.drain(QueueName::Sync).await;
    let shares = format!("/api/documents/{doc}/shares");
    let share = json!({
        "partner": f.bob.user.tenant.to_string(),
        "scope": "manager",
        "user": f.bob.user.id.to_string(),
    });
    let a = f.api(&f.ada, "POST", &shares, Some(share)).await;
    assert_eq!(a.status, StatusCode::ACCEPTED, "{}", a.body);
    assert!(f.bob_lists().await.is_empty(), "not before the job ran");
    let queued = f.drain(QueueName::Sync).await;
    assert_eq!(queued.len(), 1);
    let Ok(Message::ApplyShare { job }) = Message::parse(&queued[0]) else {
        panic!("not a share job: {}", queued[0]);
    };
    // What the sync queue's consumer (ShareJobHandler) does with it.
    f.dir.apply_share_job(&job, f.now()).await.unwrap();
    assert_eq!(f.bob_lists().await, vec![doc.clone()]);
    let a = f
        .api(&f.bob, "GET", &f.shared_path(&doc, "content"), None)
        .await;
    assert_eq!((a.status, a.body.as_str()), (StatusCode::OK, "numbers"));
    // Malformed shares are 400.
    let partner = f.bob.user.tenant.to_string();
    for bad in [
        json!({"partner": partner, "scope": "manager"}),
        json!({"partner": partner, "scope": "group", "user": f.bob.user.id.to_string()}),
        json!({"partner": "nope", "scope": "group"}),
    ] {
        let a = f.api(&f.ada, "POST", &shares, Some(bad)).await;
        assert_eq!(a.status, StatusCode::BAD_REQUEST, "{}", a.body);
    }
}

#[tokio::test]
async fn par6_a_partner_person_can_be_added_to_the_relation_group() {
    let f = fixture().await;
    f.partners().await;
    let path = format!("/api/partners/{}/members", f.bob.user.tenant);
    let a = f
        .api(
            &f.ada,
            "POST",
            &path,
            Some(json!({"user": f.bob.user.id.to_string()})),
        )
        .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    assert_eq!(a.json()["group"].as_array().unwrap().len(), 2);
    let stranger = uuid::Uuid::new_v4().to_string();
    let a = f
        .api(&f.ada, "POST", &path, Some(json!({"user": stranger})))
        .await;
    assert_eq!(a.status, StatusCode::NOT_FOUND, "{}", a.body);
}

#[tokio::test]
async fn a_token_of_one_environment_cannot_act_on_anothers_items() {
    let f = fixture().await;
    let doc = f.ada_document("report.docx", b"secret").await;
    f.partners().await;
    // Bob cannot share Ada's document: it is not one of his environment.
    let a = f
        .api(
            &f.bob,
            "POST",
            &format!("/api/documents/{doc}/shares"),
            Some(json!({"partner": f.ada.user.tenant.to_string(), "scope": "group"})),
        )
        .await;
    assert_eq!(a.status, StatusCode::NOT_FOUND, "{}", a.body);
    // Nor read it without a share, by API or in Office.
    for (method, tail) in [("GET", "content"), ("POST", "sessions")] {
        let a = f
            .api(&f.bob, method, &f.shared_path(&doc, tail), None)
            .await;
        assert_eq!(a.status, StatusCode::NOT_FOUND, "{}", a.body);
    }
    // The partner routes are for readers of another environment only.
    let own = format!("/api/shared-documents/{}/{doc}/content", f.ada.user.tenant);
    assert_eq!(
        f.api(&f.ada, "GET", &own, None).await.status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn par5_unsharing_through_the_api_is_at_once_and_only_by_the_owner() {
    let f = fixture().await;
    let doc = f.ada_document("report.docx", b"shared content").await;
    f.partners().await;
    f.ada_shares_with_the_group(&doc).await;
    let shares = format!("/api/documents/{doc}/shares");
    let a = f.api(&f.ada, "GET", &shares, None).await;
    assert_eq!(
        a.json()["shares"].as_array().unwrap().len(),
        1,
        "{}",
        a.body
    );
    // Malformed ids are 400; the partner cannot unshare the owner's document (404).
    for path in [
        format!("/api/documents/x/shares/{}", f.bob.user.tenant),
        format!("{shares}/not-a-tenant"),
        format!("{shares}/{}/not-a-user", f.bob.user.tenant),
    ] {
        let a = f.api(&f.ada, "DELETE", &path, None).await;
        assert_eq!(a.status, StatusCode::BAD_REQUEST, "{path}: {}", a.body);
    }
    let theirs = format!("{shares}/{}", f.ada.user.tenant);
    let a = f.api(&f.bob, "DELETE", &theirs, None).await;
    assert_eq!(a.status, StatusCode::NOT_FOUND, "{}", a.body);
    assert_eq!(f.bob_lists().await, vec![doc.clone()], "unchanged");
    // The owner unshares: gone from the partner's list and unreadable at once.
    let mine = format!("{shares}/{}", f.bob.user.tenant);
    let a = f.api(&f.ada, "DELETE", &mine, None).await;
    assert_eq!(a.status, StatusCode::NO_CONTENT, "{}", a.body);
    f.bob_cannot_read(&doc).await;
    let a = f.api(&f.ada, "DELETE", &mine, None).await;
    assert_eq!(a.status, StatusCode::NOT_FOUND, "{}", a.body);
}

#[tokio::test]
async fn ending_a_partnership_through_the_api_stops_reading_at_once() {
    let f = fixture().await;
    let doc = f.ada_document("report.docx", b"shared content").await;
    f.partners().await;
    f.ada_shares_with_the_group(&doc).await;
    let a = f.api(&f.bob, "DELETE", "/api/partners/x", None).await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST, "{}", a.body);
    // The partner's side ends it.
    let end = format!("/api/partners/{}", f.ada.user.tenant);
    let a = f.api(&f.bob, "DELETE", &end, None).await;
    assert_eq!(a.status, StatusCode::NO_CONTENT, "{}", a.body);
    f.bob_cannot_read(&doc).await;
    let a = f.api(&f.bob, "DELETE", &end, None).await;
    assert_eq!(a.status, StatusCode::NOT_FOUND, "{}", a.body);
}

#[tokio::test]
async fn par5_the_share_page_shares_queues_and_stops_sharing_through_forms() {
    let f = fixture().await;
    let doc = f.ada_document("report.docx", b"shared content").await;
    let page = format!("/app/partners/documents/{doc}");
    let ada = [f.session(&f.ada)];
    // Before a relation: the page says there is no partner to share with.
    let a = f.page("GET", &page, &ada, &[], None).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    assert!(a.body.contains("report.docx") && a.body.contains(r#"id="no-partners""#));
    f.partners().await;
    // Another environment's document, or a malformed id: not found / bad request.
    let bob = [f.session(&f.bob)];
    let a = f.page("GET", &page, &bob, &[], None).await;
    assert_eq!(a.status, StatusCode::NOT_FOUND, "{}", a.body);
    let a = f
        .page("GET", "/app/partners/documents/x", &ada, &[], None)
        .await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST, "{}", a.body);
    // The page offers the relation group and Bob (the partner side of the group).
    let a = f.page("GET", &page, &ada, &[], None).await;
    assert!(a.body.contains(r#"id="not-shared""#), "{}", a.body);
    assert!(a.body.contains("Share with Bob"), "{}", a.body);
    let bob_tenant = f.bob.user.tenant.to_string();
    // A cross-site form changes nothing.
    let group_form = format!("partner={bob_tenant}");
    let a = f
        .page(
            "POST",
            &format!("{page}/shares"),
            &ada,
            &[("origin", "https://evil.example")],
            Some(&group_form),
        )
        .await;
    assert_eq!(a.status, StatusCode::FORBIDDEN, "{}", a.body);
    assert!(f.bob_lists().await.is_empty());
    // With the group: at once.
    let a = f
        .page(
            "POST",
            &format!("{page}/shares"),
            &ada,
            &[],
            Some(&group_form),
        )
        .await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
    assert_eq!(a.headers["location"], page.as_str());
    assert_eq!(f.bob_lists().await, vec![doc.clone()]);
    let a = f.page("GET", &page, &ada, &[], None).await;
    assert!(a.body.contains("the relation group"), "{}", a.body);
    // With Bob himself: queued, and the page says it may take a few minutes.
    let person_form = format!("partner={bob_tenant}&user={}", f.bob.user.id);
    let a = f
        .page(
            "POST",
            &format!("{page}/shares"),
            &ada,
            &[],
            Some(&person_form),
        )
        .await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
    assert_eq!(a.headers["location"], format!("{page}?queued=1").as_str());
    let a = f
        .page("GET", &format!("{page}?queued=1"), &ada, &[], None)
        .await;
    assert!(a.body.contains(r#"id="queued""#), "{}", a.body);
    // Stop sharing with the group: gone for Bob at once (his personal share is still queued).
    let a = f
        .page(
            "POST",
            &format!("{page}/shares/remove"),
            &ada,
            &[],
            Some(&format!("{group_form}&user=")),
        )
        .await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
    assert!(f.bob_lists().await.is_empty());
    // The partner cannot use the page on the owner's document, nor unshare it.
    let a = f
        .page(
            "POST",
            &format!("{page}/shares/remove"),
            &bob,
            &[],
            Some(&format!("partner={}", f.ada.user.tenant)),
        )
        .await;
    assert_eq!(a.status, StatusCode::NOT_FOUND, "{}", a.body);
}

#[tokio::test]
async fn par1_the_share_page_is_closed_to_users_who_are_not_relation_managers() {
    let f = bare().await;
    let doc = f.ada_document("report.docx", b"x").await;
    let a = f
        .page(
            "GET",
            &format!("/app/partners/documents/{doc}"),
            &[f.session(&f.ada)],
            &[],
            None,
        )
        .await;
    assert_eq!(a.status, StatusCode::FORBIDDEN, "{}", a.body);
    assert!(a.body.contains("relation managers"), "{}", a.body);
    assert!(
        !a.body.contains("report.docx"),
        "nothing about the document"
    );
}
