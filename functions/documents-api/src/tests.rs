//! Router-level tests that need no running server: what is mounted where.

use axum::body::Body;
use bridge_platform::config::AwsResources;
use bridge_platform::{Adapters, Config, Storage};
use http::{Request, StatusCode};
use tower::ServiceExt;

async fn status_of(router: axum::Router, req: Request<Body>) -> StatusCode {
    bridge_http::finish(router)
        .oneshot(req)
        .await
        .map(|r| r.status())
        .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
}

fn sign_in_request() -> Request<Body> {
    Request::post("/api/dev/sign-in")
        .header("content-type", "application/json")
        .body(Body::from(
            r#"{"tenant_id":"0190f3c2-0000-7000-8000-00000000000a","user_id":"0190f3c2-0000-7000-8000-0000000000b1"}"#,
        ))
        .unwrap_or_default()
}

#[tokio::test]
async fn dev_sign_in_does_not_exist_on_aws() {
    let config = Config {
        storage: Storage::Aws(AwsResources {
            table: "t".into(),
            bucket: "b".into(),
            sync_queue_url: Some("http://127.0.0.1:9/q/sync".into()),
            mail_queue_url: Some("http://127.0.0.1:9/q/mail".into()),
            subscriptions_queue_url: Some("http://127.0.0.1:9/q/subs".into()),
            endpoint_url: Some("http://127.0.0.1:9".into()),
        }),
        signing_key: Some("k".repeat(40).into()),
        ..Config::from_lookup(|_| None).expect("default config")
    };
    let sdk = aws_config::SdkConfig::builder()
        .behavior_version(aws_config::BehaviorVersion::latest())
        .region(aws_config::Region::new("us-east-1"))
        .build();
    let adapters = Adapters::aws_with_sdk(&config, &sdk).expect("aws adapters");
    let router = crate::router(&adapters).expect("router");
    assert_eq!(
        status_of(router, sign_in_request()).await,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn dev_sign_in_exists_locally() {
    let dir = tempfile::tempdir().expect("tempdir");
    let adapters = Adapters::embedded(dir.path(), std::sync::Arc::new(bridge_core::SystemClock))
        .expect("embedded adapters");
    let router = crate::router(&adapters).expect("router");
    // Mounted: an unknown user is a 404 from the handler, not a missing route, so check the
    // body says so.
    let resp = bridge_http::finish(router)
        .oneshot(sign_in_request())
        .await
        .expect("response");
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);
    let bytes = axum::body::to_bytes(resp.into_body(), 1 << 16)
        .await
        .expect("body");
    let v: serde_json::Value = serde_json::from_slice(&bytes).expect("json");
    assert_eq!(v["message"], "no such user in this tenant");
}

#[test]
fn content_disposition_is_rfc5987_encoded() {
    let h = crate::documents::content_disposition("Offerte é \"x\".docx");
    assert_eq!(
        h,
        "attachment; filename=\"Offerte _ _x_.docx\"; filename*=UTF-8''Offerte%20%C3%A9%20%22x%22.docx"
    );
}
