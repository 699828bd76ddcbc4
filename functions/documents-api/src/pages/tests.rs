//! The pages through the router (no server): who sees what, how documents open, the host page's
//! form, and that the session cookie and the API token do not stand in for each other.

use std::sync::Arc;

use axum::body::Body;
use bridge_core::ManualClock;
use bridge_core::tenant::{Right, User};
use bridge_documents::{ClientId, DocId, DocumentPlatform, SettingsChange};
use bridge_platform::Adapters;
use bridge_wopi::discovery::Discovery;
use futures::StreamExt;
use http::{Request, StatusCode, header};
use tower::ServiceExt;

const NOW: i64 = 1_800_000_000_000;

/// A discovery whose Word actions point at a made-up Office on loopback.
const DISCOVERY: &str = r#"<?xml version="1.0" encoding="utf-8"?>
<wopi-discovery><net-zone name="external-https">
<app name="Word" favIconUrl="https://office.example/wv/resources/1033/FavIcon_Word.ico" checkLicense="true">
<action name="view" ext="docx" default="true" urlsrc="http://127.0.0.1:9/wv/wordviewerframe.aspx?&lt;ui=UI_LLCC&amp;&gt;&lt;rs=DC_LLCC&amp;&gt;&lt;IsLicensedUser=BUSINESS_USER&amp;&gt;&lt;wopisrc=WOPI_SOURCE&amp;&gt;"/>
<action name="edit" ext="docx" requires="locks,update" urlsrc="http://127.0.0.1:9/we/wordeditorframe.aspx?&lt;ui=UI_LLCC&amp;&gt;&lt;IsLicensedUser=BUSINESS_USER&amp;&gt;&lt;wopisrc=WOPI_SOURCE&amp;&gt;"/>
<action name="view" ext="doc" urlsrc="http://127.0.0.1:9/wv/wordviewerframe.aspx?&lt;wopisrc=WOPI_SOURCE&amp;&gt;"/>
<action name="convert" ext="doc" targetext="docx" requires="update" urlsrc="http://127.0.0.1:9/wv/convert.aspx?&lt;wopisrc=WOPI_SOURCE&amp;&gt;"/>
<action name="view" ext="pdf" urlsrc="http://127.0.0.1:9/wv/wordviewerframe.aspx?PdfMode=1&amp;&lt;wopisrc=WOPI_SOURCE&amp;&gt;"/>
</app>
</net-zone></wopi-discovery>"#;

struct Fixture {
    _dir: tempfile::TempDir,
    adapters: Adapters,
    editor: User,
    viewer: User,
    client: ClientId,
    docx: DocId,
    doc: DocId,
    pdf: DocId,
    zip: DocId,
}

fn body(bytes: &'static [u8]) -> bridge_blobs::ByteStream {
    futures::stream::once(async move { Ok(bytes::Bytes::from_static(bytes)) }).boxed()
}

async fn fixture(with_discovery: bool) -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let mut adapters = Adapters::embedded(dir.path(), Arc::new(ManualClock::new(NOW))).unwrap();
    if with_discovery {
        adapters.discovery = Some(Arc::new(bridge_wopi_host::LiveDiscovery::new(
            Discovery::parse(DISCOVERY).unwrap(),
            NOW,
        )));
    }
    let (tenant, users) = bridge_platform::seed::new_tenant(
        &adapters,
        "Pages <b>BV</b>",
        &[
            ("Edith Editor", &[Right::AddDocument, Right::ManageUsers]),
            ("Vic Viewer", &[]),
        ],
    );
    bridge_platform::seed::store_tenant(&adapters, &tenant, &users, Vec::new())
        .await
        .unwrap();
    let docs = adapters.documents();
    let editor = users[0].clone();
    let client = docs
        .create_client(tenant.id, &editor, "Client <script>x</script>")
        .await
        .unwrap()
        .client_id;
    let mut ids = Vec::new();
    for name in ["Offer.docx", "Old letter.doc", "Scan.pdf", "Archive.zip"] {
        let d = docs
            .upload(tenant.id, &editor, client, name, body(b"content"))
            .await
            .unwrap();
        ids.push(d.doc_id);
    }
    Fixture {
        _dir: dir,
        editor,
        viewer: users[1].clone(),
        client,
        docx: ids[0],
        doc: ids[1],
        pdf: ids[2],
        zip: ids[3],
        adapters,
    }
}

impl Fixture {
    fn cookie(&self, user: &User) -> String {
        let token = bridge_http::auth::issue_api_token(
            secrecy::ExposeSecret::expose_secret(&*self.adapters.signing_key),
            user.tenant,
            user.id,
            NOW,
            60_000,
        )
        .unwrap();
        format!("{}={token}", bridge_http::auth::SESSION_COOKIE)
    }

    async fn send(&self, req: Request<Body>) -> (StatusCode, http::HeaderMap, String) {
        let router = bridge_http::finish(crate::router(&self.adapters).unwrap());
        let resp = router.oneshot(req).await.unwrap();
        let status = resp.status();
        let headers = resp.headers().clone();
        let bytes = axum::body::to_bytes(resp.into_body(), 1 << 20)
            .await
            .unwrap();
        // minijinja escapes `/` as `&#x2f;` (valid HTML); read links as a browser would.
        let html = String::from_utf8_lossy(&bytes).replace("&#x2f;", "/");
        (status, headers, html)
    }

    async fn get(&self, user: Option<&User>, path: &str) -> (StatusCode, http::HeaderMap, String) {
        let mut req = Request::get(path).header(header::HOST, "app.test");
        if let Some(u) = user {
            req = req.header(header::COOKIE, self.cookie(u));
        }
        self.send(req.body(Body::empty()).unwrap()).await
    }
}

/// The `href` of the open link in the row of `doc`.
fn open_link(html: &str, doc: DocId) -> (String, String) {
    let row_start = html.find(&format!("data-doc=\"{doc}\"")).expect("row");
    let row = &html[row_start..];
    let a = &row[row.find("class=\"open\"").expect("open link")..];
    let action = a
        .split("data-action=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap();
    let href = a
        .split("href=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap();
    (action.to_string(), href.to_string())
}

#[tokio::test]
async fn pages_need_a_session_and_an_api_token_in_a_header_is_not_one() {
    let f = fixture(true).await;
    let path = format!("/app/clients/{}", f.client);
    let (status, headers, html) = f.get(None, &path).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(
        headers[header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    assert!(html.contains("Sign in required"));
    let token = f.cookie(&f.editor).split_once('=').unwrap().1.to_string();
    let req = Request::get(&path)
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .body(Body::empty())
        .unwrap();
    assert_eq!(f.send(req).await.0, StatusCode::UNAUTHORIZED);
    // …and the cookie does not open the JSON API.
    let req = Request::get(format!("/api/clients/{}/documents", f.client))
        .header(header::COOKIE, f.cookie(&f.editor))
        .body(Body::empty())
        .unwrap();
    assert_eq!(f.send(req).await.0, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn doc5_doc6_doc10_each_document_opens_by_type_and_right_with_its_app_icon() {
    let f = fixture(true).await;
    let path = format!("/app/clients/{}", f.client);
    let (status, headers, html) = f.get(Some(&f.editor), &path).await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert_eq!(headers[header::CACHE_CONTROL], "no-store");
    assert!(
        headers[header::CONTENT_SECURITY_POLICY]
            .to_str()
            .unwrap()
            .contains("frame-ancestors 'self'")
    );
    // Names are escaped.
    assert!(html.contains("Client &lt;script&gt;x&lt;/script&gt;"));
    assert!(!html.contains("<script>x</script>"));
    assert_eq!(
        open_link(&html, f.docx),
        (
            "edit".into(),
            format!("http://app.test/app/documents/{}/edit", f.docx)
        )
    );
    assert_eq!(open_link(&html, f.doc).0, "view");
    assert_eq!(open_link(&html, f.pdf).0, "view");
    assert_eq!(
        open_link(&html, f.zip),
        (
            "download".into(),
            format!("http://app.test/app/documents/{}/download", f.zip)
        )
    );
    assert!(html.contains(&format!("http://app.test/app/documents/{}/convert", f.doc)));
    assert!(html.contains("data-app=\"Word\""));
    assert!(html.contains("data-app=\"PDF\""));
    // Without "add document": view only, no conversion offered.
    let (_, _, html) = f.get(Some(&f.viewer), &path).await;
    assert_eq!(open_link(&html, f.docx).0, "view");
    assert!(!html.contains("/convert"));
}

#[tokio::test]
async fn doc3_without_office_every_document_is_a_download() {
    let f = fixture(false).await;
    let (status, _, html) = f
        .get(Some(&f.editor), &format!("/app/clients/{}", f.client))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("id=\"office-off\""));
    for d in [f.docx, f.doc, f.pdf, f.zip] {
        assert_eq!(open_link(&html, d).0, "download");
    }
    let (status, _, html) = f
        .get(Some(&f.editor), &format!("/app/documents/{}/edit", f.docx))
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert!(
        html.contains(&format!("/app/documents/{}/download", f.docx)),
        "{html}"
    );
    // The download itself always works.
    let (status, headers, content) = f
        .get(
            Some(&f.editor),
            &format!("/app/documents/{}/download", f.docx),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(content, "content");
    assert!(
        headers[header::CONTENT_DISPOSITION]
            .to_str()
            .unwrap()
            .contains("Offer.docx")
    );
}

#[tokio::test]
async fn doc7_a_regular_platform_tenant_gets_downloads_even_with_office_configured() {
    let f = fixture(true).await;
    f.adapters
        .documents()
        .update_settings(
            f.editor.tenant,
            &f.editor,
            SettingsChange {
                document_platform: Some(DocumentPlatform::Regular),
                ..SettingsChange::default()
            },
        )
        .await
        .unwrap();
    let (_, _, html) = f
        .get(Some(&f.editor), &format!("/app/clients/{}", f.client))
        .await;
    assert_eq!(open_link(&html, f.docx).0, "download");
    let (status, _, _) = f
        .get(Some(&f.editor), &format!("/app/documents/{}/view", f.docx))
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
}

#[tokio::test]
async fn the_host_page_posts_the_token_into_a_script_made_frame_and_never_puts_it_in_a_url() {
    let f = fixture(true).await;
    let req = Request::get(format!(
        "/app/documents/{}/edit?wdOrigin=X&wdPreviousSession=s&other=1",
        f.docx
    ))
    .header(header::HOST, "app.test")
    .header(header::COOKIE, f.cookie(&f.editor))
    .header(header::ACCEPT_LANGUAGE, "nl-NL,nl;q=0.9")
    .body(Body::empty())
    .unwrap();
    let (status, headers, html) = f.send(req).await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert_eq!(headers[header::CACHE_CONTROL], "no-cache, no-store");
    assert_eq!(headers[header::EXPIRES], "-1");
    assert_eq!(headers[header::PRAGMA], "no-cache");
    let csp = headers[header::CONTENT_SECURITY_POLICY].to_str().unwrap();
    assert!(csp.contains("form-action http://127.0.0.1:9"), "{csp}");
    let action = html
        .split("action=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .replace("&amp;", "&");
    let wopi_src = format!("http%3A%2F%2Fapp.test%2Fwopi%2Ffiles%2F{}", f.docx);
    assert_eq!(
        action,
        format!(
            "http://127.0.0.1:9/we/wordeditorframe.aspx?ui=nl-NL&IsLicensedUser=1&wopisrc={wopi_src}&wdOrigin=X&wdPreviousSession=s"
        )
    );
    assert!(!action.contains("access_token"));
    assert!(html.contains("name=\"access_token\""));
    assert!(html.contains("name=\"access_token_ttl\""));
    assert!(html.contains("target=\"office_frame\""));
    assert!(html.contains("FavIcon_Word.ico"));
    assert!(html.contains("name=\"viewport\""));
    // The frame is made by script (not in the markup).
    assert!(!html.contains("<iframe"));
    // The token posted is an edit token for this document.
    let token = html
        .split("name=\"access_token\" value=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap();
    let claims = bridge_wopi::token::verify(
        secrecy::ExposeSecret::expose_secret(&*f.adapters.signing_key),
        token,
        &f.docx.to_string(),
        NOW,
    )
    .unwrap();
    assert!(claims.permission.can_write());
}

#[tokio::test]
async fn doc6_a_user_without_the_right_is_sent_to_the_viewer_and_gets_a_view_token() {
    let f = fixture(true).await;
    let (status, headers, _) = f
        .get(Some(&f.viewer), &format!("/app/documents/{}/edit", f.docx))
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(
        headers[header::LOCATION],
        format!("http://app.test/app/documents/{}/view", f.docx)
    );
    let (status, _, html) = f
        .get(Some(&f.viewer), &format!("/app/documents/{}/view", f.docx))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("wordviewerframe.aspx"));
    let token = html
        .split("name=\"access_token\" value=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap();
    let claims = bridge_wopi::token::verify(
        secrecy::ExposeSecret::expose_secret(&*f.adapters.signing_key),
        token,
        &f.docx.to_string(),
        NOW,
    )
    .unwrap();
    assert!(!claims.permission.can_write());
    // Conversion needs the right too; a download-only type has no host page.
    let (status, _, _) = f
        .get(
            Some(&f.viewer),
            &format!("/app/documents/{}/convert", f.doc),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _, _) = f
        .get(Some(&f.editor), &format!("/app/documents/{}/view", f.zip))
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    let (status, _, html) = f
        .get(
            Some(&f.editor),
            &format!("/app/documents/{}/convert", f.doc),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("convert.aspx"));
}

#[tokio::test]
async fn another_tenants_document_is_not_found_on_every_page() {
    let f = fixture(true).await;
    let other = fixture(true).await;
    for path in [
        format!("/app/documents/{}/edit", other.docx),
        format!("/app/documents/{}/view", other.docx),
        format!("/app/documents/{}/download", other.docx),
        format!("/app/documents/{}/versions", other.docx),
        format!("/app/clients/{}", other.client),
    ] {
        let (status, _, html) = f.get(Some(&f.editor), &path).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}: {html}");
    }
}

#[tokio::test]
async fn doc12_history_lists_versions_and_restore_is_a_same_origin_post() {
    let f = fixture(true).await;
    let docs = f.adapters.documents();
    docs.save_new_version(
        f.editor.tenant,
        &f.editor,
        f.docx,
        body(b"second"),
        None,
        bridge_documents::VersionCause::Save,
    )
    .await
    .unwrap();
    let (status, _, html) = f
        .get(
            Some(&f.editor),
            &format!("/app/documents/{}/versions", f.docx),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(html.matches("data-version=").count(), 2);
    assert_eq!(
        html.matches("class=\"restore\"").count(),
        1,
        "only older versions can be restored"
    );
    let restore = html
        .split("action=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_string();
    let version_download = html
        .split("class=\"download\" href=\"")
        .nth(2)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_string();
    let (status, _, content) = f
        .get(
            Some(&f.editor),
            version_download.trim_start_matches("http://app.test"),
        )
        .await;
    assert_eq!((status, content.as_str()), (StatusCode::OK, "content"));
    // A cross-site POST changes nothing.
    let path = restore.trim_start_matches("http://app.test").to_string();
    let req = Request::post(&path)
        .header(header::HOST, "app.test")
        .header(header::COOKIE, f.cookie(&f.editor))
        .header("sec-fetch-site", "cross-site")
        .body(Body::empty())
        .unwrap();
    assert_eq!(f.send(req).await.0, StatusCode::FORBIDDEN);
    assert_eq!(
        docs.get(f.editor.tenant, f.docx).await.unwrap().version_seq,
        2
    );
    // The viewer may not restore.
    let req = Request::post(&path)
        .header(header::HOST, "app.test")
        .header(header::COOKIE, f.cookie(&f.viewer))
        .body(Body::empty())
        .unwrap();
    assert_eq!(f.send(req).await.0, StatusCode::FORBIDDEN);
    let req = Request::post(&path)
        .header(header::HOST, "app.test")
        .header(header::COOKIE, f.cookie(&f.editor))
        .header("sec-fetch-site", "same-origin")
        .header("origin", "http://app.test")
        .body(Body::empty())
        .unwrap();
    let (status, headers, _) = f.send(req).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert!(
        headers[header::LOCATION]
            .to_str()
            .unwrap()
            .ends_with("/versions")
    );
    let after = docs.get(f.editor.tenant, f.docx).await.unwrap();
    assert_eq!(after.version_seq, 3);
    let (_, _, content) = f
        .get(
            Some(&f.editor),
            &format!("/app/documents/{}/download", f.docx),
        )
        .await;
    assert_eq!(content, "content");
}

#[tokio::test]
async fn doc13_almost_there_explains_both_causes_and_offers_the_download() {
    let f = fixture(true).await;
    let (status, _, html) = f.get(None, "/app/help/almost-there").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("id=\"not-signed-in\"") && html.contains("id=\"no-licence\""));
    let (_, _, html) = f
        .get(
            Some(&f.editor),
            &format!("/app/help/almost-there?doc={}", f.docx),
        )
        .await;
    assert!(html.contains(&format!("/app/documents/{}/download", f.docx)));
    assert!(html.contains("Offer.docx"));
    // Another tenant's id shows no link.
    let other = fixture(true).await;
    let (_, _, html) = f
        .get(
            Some(&f.editor),
            &format!("/app/help/almost-there?doc={}", other.docx),
        )
        .await;
    assert!(!html.contains("id=\"download\""));
}

#[tokio::test]
async fn local_sign_in_sets_an_http_only_cookie_and_refuses_cross_site_posts() {
    let f = fixture(true).await;
    let form = format!("tenant_id={}&user_id={}", f.editor.tenant, f.editor.id);
    let post = |site: &'static str| {
        Request::post("/app/sign-in")
            .header(header::HOST, "app.test")
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header("sec-fetch-site", site)
            .body(Body::from(form.clone()))
            .unwrap()
    };
    let (status, headers, _) = f.send(post("cross-site")).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(!headers.contains_key(header::SET_COOKIE));
    let (status, headers, _) = f.send(post("same-origin")).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let cookie = headers[header::SET_COOKIE].to_str().unwrap().to_string();
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"));
    let pair = cookie.split(';').next().unwrap().to_string();
    let req = Request::get("/app")
        .header(header::HOST, "app.test")
        .header(header::COOKIE, pair)
        .body(Body::empty())
        .unwrap();
    let (status, _, html) = f.send(req).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains(&format!("/app/clients/{}", f.client)));
}
