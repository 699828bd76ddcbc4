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
