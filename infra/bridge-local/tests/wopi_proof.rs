//! Proof keys: with a discovery that carries a proof key, every WOPI request must be signed by
//! the matching private key (as Office signs), over our own URL, token and a fresh timestamp.
//! The key pair is a test key in `tests/fixtures`, standing in for Office's.

#![allow(clippy::unwrap_used)] // test helpers outside #[test] fns

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use bridge_platform::{Config, Storage};
use bridge_wopi::token::Permission;
use rsa::RsaPrivateKey;
use rsa::pkcs1v15::SigningKey;
use rsa::pkcs8::DecodePrivateKey;
use rsa::signature::{SignatureEncoding, Signer};
use rsa::traits::PublicKeyParts;

const TICKS_AT_EPOCH: i64 = 621_355_968_000_000_000;

fn key() -> RsaPrivateKey {
    let pem = include_str!("fixtures/test-proof-key.pem");
    RsaPrivateKey::from_pkcs8_pem(pem).unwrap()
}

/// A second key pair: Office's key after a rotation.
fn next_key() -> RsaPrivateKey {
    let pem = include_str!("fixtures/test-proof-key-2.pem");
    RsaPrivateKey::from_pkcs8_pem(pem).unwrap()
}

/// `(modulus, exponent)` in base64, as discovery carries them.
fn public_parts(key: &RsaPrivateKey) -> (String, String) {
    let public = key.to_public_key();
    (
        B64.encode(public.n().to_bytes_be()),
        B64.encode(public.e().to_bytes_be()),
    )
}

/// Discovery after a rotation: `current` signs now, `old` is still accepted.
fn rotated_discovery_xml(current: &RsaPrivateKey, old: &RsaPrivateKey) -> String {
    let (modulus, exponent) = public_parts(current);
    let (old_modulus, old_exponent) = public_parts(old);
    discovery_xml(current).replace(
        &format!(r#"<proof-key modulus="{modulus}" exponent="{exponent}"/>"#),
        &format!(
            r#"<proof-key modulus="{modulus}" exponent="{exponent}" oldmodulus="{old_modulus}" oldexponent="{old_exponent}"/>"#
        ),
    )
}

fn discovery_xml(key: &RsaPrivateKey) -> String {
    let (modulus, exponent) = public_parts(key);
    format!(
        r#"<?xml version="1.0" encoding="utf-8"?>
<wopi-discovery><net-zone name="external-https">
<app name="Word" favIconUrl="https://office.example/wv/resources/1033/FavIcon_Word.ico">
<action name="view" ext="docx" urlsrc="https://office.example/wv/wordviewerframe.aspx?&lt;ui=UI_LLCC&amp;&gt;"/>
</app></net-zone>
<proof-key modulus="{modulus}" exponent="{exponent}"/>
</wopi-discovery>"#
    )
}

fn sign(key: &RsaPrivateKey, token: &str, url: &str, ticks: i64) -> String {
    let data = bridge_wopi::proof::signed_data(token, url, ticks).unwrap();
    let signer = SigningKey::<sha2::Sha256>::new(key.clone());
    B64.encode(signer.sign(&data).to_bytes())
}

/// Embedded storage under `dir` with Office's discovery taken from `source`.
fn config_for(dir: &std::path::Path, source: String) -> Config {
    let mut config = Config::from_lookup(|_| None).unwrap();
    config.storage = Storage::Embedded {
        data_dir: dir.join("data"),
    };
    config.wopi_discovery = Some(source);
    config
}

/// Starts bridge-local with `config`, uploads one `.docx` holding `content` and opens a view
/// session on it. Returns the runner, the document id and the access token.
async fn start_with_document(
    config: &Config,
    content: &'static [u8],
) -> (bridge_local::Running, String, String) {
    let running = bridge_local::start(config, "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let (tenant, user) = (running.demo.tenant.id, running.demo.user.clone());
    let docs = running.adapters.documents();
    let client = docs.create_client(tenant, &user, "Proofs").await.unwrap();
    let body: bridge_blobs::ByteStream = Box::pin(futures::stream::once(async move {
        Ok(bytes::Bytes::from_static(content))
    }));
    let doc = docs
        .upload(tenant, &user, client.client_id, "Signed.docx", body)
        .await
        .unwrap();
    let token = running
        .adapters
        .wopi_host()
        .open_session(tenant, user.id, doc.doc_id, Permission::View)
        .await
        .unwrap()
        .access_token;
    (running, doc.doc_id.to_string(), token)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wopi_requests_must_carry_a_valid_fresh_proof_when_discovery_has_keys() {
    let key = key();
    let dir = tempfile::tempdir().unwrap();
    let discovery = dir.path().join("discovery.xml");
    std::fs::write(&discovery, discovery_xml(&key)).unwrap();
    let config = config_for(dir.path(), discovery.to_str().unwrap().to_string());
    let (running, doc_id, token) = start_with_document(&config, b"signed").await;

    let url = format!(
        "http://{}/wopi/files/{}?access_token={token}",
        running.addr, doc_id
    );
    let now_ticks = running.adapters.clock.now_ms() * 10_000 + TICKS_AT_EPOCH;
    let http = reqwest::Client::new();
    let call = |proof: Option<String>, ticks: i64| {
        let mut req = http.get(&url).header("X-WOPI-TimeStamp", ticks.to_string());
        if let Some(p) = proof {
            req = req.header("X-WOPI-Proof", p);
        }
        req.send()
    };

    let good = call(Some(sign(&key, &token, &url, now_ticks)), now_ticks)
        .await
        .unwrap();
    assert_eq!(good.status(), 200, "a correctly signed request is served");
    let info: serde_json::Value = good.json().await.unwrap();
    assert_eq!(info["BaseFileName"], "Signed.docx");

    let unsigned = call(None, now_ticks).await.unwrap();
    assert_eq!(unsigned.status(), 500, "an unsigned request is refused");

    let other_url = url.replace("/wopi/files/", "/wopi/files/x");
    let wrong = call(Some(sign(&key, &token, &other_url, now_ticks)), now_ticks)
        .await
        .unwrap();
    assert_eq!(wrong.status(), 500, "a proof over another URL is refused");

    let stale_ticks = now_ticks - 21 * 60 * 10_000_000;
    let stale = call(Some(sign(&key, &token, &url, stale_ticks)), stale_ticks)
        .await
        .unwrap();
    assert_eq!(
        stale.status(),
        500,
        "a proof older than 20 minutes is refused"
    );

    let contents = format!(
        "http://{}/wopi/files/{}/contents?access_token={token}",
        running.addr, doc_id
    );
    let r = http
        .get(&contents)
        .header("X-WOPI-TimeStamp", now_ticks.to_string())
        .header("X-WOPI-Proof", sign(&key, &token, &contents, now_ticks))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.bytes().await.unwrap().as_ref(), b"signed");
    running.shutdown();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn discovery_fetched_over_http_enforces_proof_keys_and_an_unreachable_one_stops_the_start() {
    let key = key();
    let xml = discovery_xml(&key);
    let office = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let office_addr = office.local_addr().unwrap();
    let app = axum::Router::new().route(
        "/hosting/discovery",
        axum::routing::get(move || async move { xml.clone() }),
    );
    tokio::spawn(async move { axum::serve(office, app).await });

    let dir = tempfile::tempdir().unwrap();
    let mut config = config_for(
        dir.path(),
        format!("http://{office_addr}/hosting/discovery"),
    );
    let (running, doc_id, token) = start_with_document(&config, b"x").await;
    let url = format!(
        "http://{}/wopi/files/{}?access_token={token}",
        running.addr, doc_id
    );
    let ticks = running.adapters.clock.now_ms() * 10_000 + TICKS_AT_EPOCH;
    let http = reqwest::Client::new();
    let unsigned = http
        .get(&url)
        .header("X-WOPI-TimeStamp", ticks.to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(
        unsigned.status(),
        500,
        "proof keys from the fetched discovery are enforced"
    );
    let signed = http
        .get(&url)
        .header("X-WOPI-TimeStamp", ticks.to_string())
        .header("X-WOPI-Proof", sign(&key, &token, &url, ticks))
        .send()
        .await
        .unwrap();
    assert_eq!(signed.status(), 200);
    running.shutdown();

    // A configured discovery that cannot be fetched fails the start instead of running unprotected.
    let closed = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .unwrap()
        .local_addr()
        .unwrap();
    config.wopi_discovery = Some(format!("http://{closed}/hosting/discovery"));
    let err = bridge_local::start(&config, "127.0.0.1:0".parse().unwrap())
        .await
        .err()
        .unwrap();
    assert!(err.to_string().contains("BRIDGE_WOPI_DISCOVERY"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rotated_proof_keys_take_effect_after_the_refresh_a_failed_proof_asks_for() {
    let (old, new) = (key(), next_key());
    let served = std::sync::Arc::new(std::sync::Mutex::new(discovery_xml(&old)));
    let office = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let office_addr = office.local_addr().unwrap();
    let state = served.clone();
    let app = axum::Router::new().route(
        "/hosting/discovery",
        axum::routing::get(move || {
            let xml = state.lock().unwrap().clone();
            async move { xml }
        }),
    );
    tokio::spawn(async move { axum::serve(office, app).await });
    let source = format!("http://{office_addr}/hosting/discovery");
    let dir = tempfile::tempdir().unwrap();
    let config = config_for(dir.path(), source.clone());
    let (running, doc_id, token) = start_with_document(&config, b"x").await;
    let url = format!(
        "http://{}/wopi/files/{}?access_token={token}",
        running.addr, doc_id
    );
    let http = reqwest::Client::new();
    let call = |key: RsaPrivateKey| {
        let ticks = running.adapters.clock.now_ms() * 10_000 + TICKS_AT_EPOCH;
        http.get(&url)
            .header("X-WOPI-TimeStamp", ticks.to_string())
            .header("X-WOPI-Proof", sign(&key, &token, &url, ticks))
            .send()
    };
    assert_eq!(call(old.clone()).await.unwrap().status(), 200);

    // Office rotates: it signs with the new key, which we have not loaded yet.
    *served.lock().unwrap() = rotated_discovery_xml(&new, &old);
    assert_eq!(call(new.clone()).await.unwrap().status(), 500);

    // The failure asked for a reload; the refresher performs it once its retry interval allows
    // (a clock moved past that interval stands in for the wait).
    let clock = std::sync::Arc::new(bridge_core::ManualClock::new(
        running.adapters.clock.now_ms(),
    ));
    let refresher = bridge_platform::discovery::DiscoveryRefresher::new(
        source,
        running.adapters.discovery.clone().unwrap(),
        clock.clone(),
    );
    use bridge_platform::discovery::{MIN_RETRY_MS, Tick};
    assert_eq!(refresher.tick().await, Tick::NotDue);
    clock.advance_ms(MIN_RETRY_MS);
    assert_eq!(refresher.tick().await, Tick::Reloaded);
    assert_eq!(call(new.clone()).await.unwrap().status(), 200);
    // Office may still sign with the old key for a while: accepted as the old key.
    assert_eq!(call(old.clone()).await.unwrap().status(), 200);
    assert_eq!(refresher.tick().await, Tick::NotDue, "nothing due any more");
    running.shutdown();
}
