//! Shared set-up of the bridge-local tests.

#![allow(dead_code, clippy::unwrap_used)]

use bridge_platform::config::AwsResources;
use bridge_platform::{Adapters, Config, QueueName, Storage};

/// Adapters on moto (fresh table, bucket and queues), or `None` when moto is unavailable
/// outside CI (the harness fails under CI). `wopi_test_files` as given.
pub async fn moto_adapters(wopi_test_files: bool) -> Option<Adapters> {
    let moto = test_support::moto()?;
    let sdk = moto.sdk_config().await;
    let table = test_support::unique_name("tbl");
    let bucket = test_support::unique_name("bkt");
    bridge_store::dynamo::DynamoTable::create_table(&aws_sdk_dynamodb::Client::new(&sdk), &table)
        .await
        .unwrap();
    let s3 = aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(&sdk)
            .force_path_style(true)
            .build(),
    );
    s3.create_bucket().bucket(&bucket).send().await.unwrap();
    let sqs = aws_sdk_sqs::Client::new(&sdk);
    let mut urls = Vec::new();
    for q in QueueName::ALL {
        let name = test_support::unique_name(q.as_str());
        urls.push(
            sqs.create_queue()
                .queue_name(name)
                .send()
                .await
                .unwrap()
                .queue_url
                .unwrap(),
        );
    }
    let config = Config {
        storage: Storage::Aws(AwsResources {
            table,
            bucket,
            sync_queue_url: Some(urls[0].clone()),
            mail_queue_url: Some(urls[1].clone()),
            subscriptions_queue_url: Some(urls[2].clone()),
            endpoint_url: Some(moto.endpoint.clone()),
        }),
        signing_key: Some("k".repeat(40).into()),
        wopi_test_files,
        ..Config::from_lookup(|_| None).unwrap()
    };
    Some(Adapters::aws_with_sdk(&config, &sdk).unwrap())
}

/// The text of the first e-mail whose file name starts with `prefix` in the outbox once the mailer wrote it, with quoted-printable soft
/// line breaks undone so links read whole.
pub async fn mail(dir: &std::path::Path, prefix: &str) -> String {
    for _ in 0..100 {
        if let Ok(entries) = std::fs::read_dir(dir.join("outbox")) {
            for e in entries.flatten() {
                let name = e.file_name().to_string_lossy().to_string();
                if name.starts_with(prefix) {
                    let raw = std::fs::read_to_string(e.path()).unwrap();
                    return raw.replace("=\r\n", "").replace("=\n", "");
                }
            }
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("no mail {prefix}* in the outbox");
}

/// The first link in `text` that starts with `prefix`, up to the end of its token.
pub fn link(text: &str, prefix: &str) -> String {
    let at = text
        .find(prefix)
        .unwrap_or_else(|| panic!("no {prefix} in {text}"));
    text[at..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || "/:.-_".contains(*c))
        .collect()
}
