//! Builds the adapters the configuration selects, once per process (a Lambda cold start or the
//! local runner's start), and hands them to routers and handlers behind the port traits.

use std::sync::Arc;
use std::time::Duration;

use bridge_blobs::BlobStore;
use bridge_blobs::fs::FsBlobs;
use bridge_blobs::s3::S3Blobs;
use bridge_core::{Clock, IdGen, RandomIds, SystemClock};
use bridge_queue::local::LocalQueues;
use bridge_queue::sqs::SqsQueue;
use bridge_queue::{Queue, QueueSettings};
use bridge_store::Table;
use bridge_store::dynamo::DynamoTable;
use bridge_store::sqlite::SqliteTable;

use bridge_documents::Documents;
use bridge_wopi_host::LiveDiscovery;
use bridge_wopi_host::{HostSettings, WopiHost};
use secrecy::{ExposeSecret, SecretSlice};

use crate::config::{Config, ConfigError, Storage};

/// The queues of the system. Each has a dead-letter queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum QueueName {
    /// Mailbox sync steps (graph-webhook, subscriptions → sync-batch).
    Sync,
    /// E-mails to send (documents-api, directory-api → mailer).
    Mail,
    /// Subscription work: renewals and lifecycle reactions (graph-webhook → subscriptions).
    Subscriptions,
}

impl QueueName {
    /// Every queue.
    pub const ALL: [QueueName; 3] = [QueueName::Sync, QueueName::Mail, QueueName::Subscriptions];

    /// Short name, used for local queue names and logs.
    pub fn as_str(self) -> &'static str {
        match self {
            QueueName::Sync => "sync",
            QueueName::Mail => "mail",
            QueueName::Subscriptions => "subscriptions",
        }
    }

    /// The environment variable holding its SQS URL.
    pub fn url_var(self) -> &'static str {
        match self {
            QueueName::Sync => "BRIDGE_SYNC_QUEUE_URL",
            QueueName::Mail => "BRIDGE_MAIL_QUEUE_URL",
            QueueName::Subscriptions => "BRIDGE_SUBSCRIPTIONS_QUEUE_URL",
        }
    }

    /// Local delivery settings; on AWS the template sets the same on the SQS queues.
    pub fn local_settings(self) -> QueueSettings {
        QueueSettings {
            visibility_timeout: Duration::from_secs(30),
            max_receive_count: 5,
        }
    }
}

/// Why the adapters could not be built.
#[derive(Debug, thiserror::Error)]
pub enum AdapterError {
    /// The configuration lacks something an adapter needs.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// An embedded store could not be opened (permissions, disk, corrupt file).
    #[error("cannot open {what}: {reason}")]
    Open {
        /// Which store.
        what: &'static str,
        /// The underlying error.
        reason: String,
    },
}

/// The ports, wired to the configured adapters. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Adapters {
    /// State.
    pub table: Arc<dyn Table>,
    /// Document bytes.
    pub blobs: Arc<dyn BlobStore>,
    /// Time.
    pub clock: Arc<dyn Clock>,
    /// Identifiers.
    pub ids: Arc<dyn IdGen>,
    /// The configuration the adapters were built from.
    pub config: Arc<Config>,
    /// Key that signs and verifies our tokens (see [`crate::keys`]).
    pub signing_key: Arc<SecretSlice<u8>>,
    /// Office's discovery, when configured: action URLs and the proof keys the WOPI host
    /// enforces; kept fresh by a [`crate::discovery::DiscoveryRefresher`] when loaded from
    /// configuration.
    pub discovery: Option<Arc<LiveDiscovery>>,
    queues: Queues,
}

#[derive(Debug, Clone)]
enum Queues {
    Local(LocalQueues),
    Sqs {
        client: aws_sdk_sqs::Client,
        urls: Vec<(QueueName, Option<String>)>,
    },
}

impl Adapters {
    /// Builds the adapters for `config`.
    pub async fn from_config(config: &Config) -> Result<Self, AdapterError> {
        let mut adapters = match &config.storage {
            Storage::Embedded { data_dir } => {
                Self::embedded_with(config.clone(), data_dir, Arc::new(SystemClock))?
            }
            Storage::Aws(res) => {
                let mut loader = aws_config::defaults(aws_config::BehaviorVersion::latest());
                if let Some(ep) = &res.endpoint_url {
                    loader = loader.endpoint_url(ep);
                }
                Self::aws_with_sdk(config, &loader.load().await)?
            }
        };
        adapters.discovery =
            crate::discovery::load_configured(config, adapters.clock.as_ref()).await?;
        if let (Some(live), Some(source)) = (&adapters.discovery, &config.wopi_discovery) {
            Arc::new(crate::discovery::DiscoveryRefresher::new(
                source.clone(),
                live.clone(),
                adapters.clock.clone(),
            ))
            .spawn();
        }
        Ok(adapters)
    }

    /// SQLite + filesystem + SQLite-backed in-process queues under `data_dir`, with the default
    /// configuration (tests).
    pub fn embedded(
        data_dir: &std::path::Path,
        clock: Arc<dyn Clock>,
    ) -> Result<Self, AdapterError> {
        let mut config = Config::from_lookup(|_| None)?;
        config.storage = Storage::Embedded {
            data_dir: data_dir.to_path_buf(),
        };
        Self::embedded_with(config, data_dir, clock)
    }

    fn embedded_with(
        config: Config,
        data_dir: &std::path::Path,
        clock: Arc<dyn Clock>,
    ) -> Result<Self, AdapterError> {
        let open = |what: &'static str| {
            move |e: &dyn std::fmt::Display| AdapterError::Open {
                what,
                reason: e.to_string(),
            }
        };
        std::fs::create_dir_all(data_dir).map_err(|e| open("the data directory")(&e))?;
        let table =
            SqliteTable::open(&data_dir.join("state.db")).map_err(|e| open("state.db")(&e))?;
        let blobs = FsBlobs::new(data_dir.join("blobs")).map_err(|e| open("blobs")(&e))?;
        let queues = LocalQueues::open(&data_dir.join("queues.db"), Arc::clone(&clock))
            .map_err(|e| open("queues.db")(&e))?;
        let signing_key = Arc::new(crate::keys::signing_key(&config)?);
        Ok(Self {
            table: Arc::new(table),
            blobs: Arc::new(blobs),
            clock,
            ids: Arc::new(RandomIds),
            discovery: None,
            config: Arc::new(config),
            signing_key,
            queues: Queues::Local(queues),
        })
    }

    /// DynamoDB + S3 + SQS through an SDK configuration the caller built (tests point it at
    /// moto with dummy credentials).
    /// `config.storage` must be [`Storage::Aws`].
    pub fn aws_with_sdk(
        config: &Config,
        sdk: &aws_config::SdkConfig,
    ) -> Result<Self, AdapterError> {
        let Storage::Aws(res) = &config.storage else {
            return Err(ConfigError::Invalid {
                var: "BRIDGE_STORAGE",
                reason: "AWS adapters need BRIDGE_STORAGE=aws".into(),
            }
            .into());
        };
        let signing_key = Arc::new(crate::keys::signing_key(config)?);
        let s3_conf = aws_sdk_s3::config::Builder::from(sdk)
            // moto and other emulators serve buckets by path, not by virtual host.
            .force_path_style(res.endpoint_url.is_some() || sdk.endpoint_url().is_some())
            .build();
        Ok(Self {
            table: Arc::new(DynamoTable::new(
                aws_sdk_dynamodb::Client::new(sdk),
                &res.table,
            )),
            blobs: Arc::new(S3Blobs::new(
                aws_sdk_s3::Client::from_conf(s3_conf),
                &res.bucket,
            )),
            clock: Arc::new(SystemClock),
            ids: Arc::new(RandomIds),
            discovery: None,
            config: Arc::new(config.clone()),
            signing_key,
            queues: Queues::Sqs {
                client: aws_sdk_sqs::Client::new(sdk),
                urls: vec![
                    (QueueName::Sync, res.sync_queue_url.clone()),
                    (QueueName::Mail, res.mail_queue_url.clone()),
                    (
                        QueueName::Subscriptions,
                        res.subscriptions_queue_url.clone(),
                    ),
                ],
            },
        })
    }

    /// The documents service over these adapters.
    pub fn documents(&self) -> Documents {
        Documents::new(
            self.table.clone(),
            self.blobs.clone(),
            self.clock.clone(),
            self.ids.clone(),
            self.config.max_upload_bytes,
        )
    }

    /// The WOPI host over these adapters.
    pub fn wopi_host(&self) -> WopiHost {
        WopiHost::new(
            self.documents(),
            self.table.clone(),
            self.clock.clone(),
            self.signing_key.expose_secret().to_vec(),
            HostSettings {
                allow_wopitest: self.config.wopi_test_files,
                max_put_bytes: self.config.max_upload_bytes,
                brand_name: "m365-bridge".into(),
                discovery: self.discovery.clone(),
            },
        )
    }

    /// The queue `name`. On AWS it fails, naming the variable, when its URL is not configured;
    /// functions ask for their queues at start so that this surfaces on the cold start.
    pub fn queue(&self, name: QueueName) -> Result<Arc<dyn Queue>, ConfigError> {
        match &self.queues {
            Queues::Local(q) => Ok(q.queue(name.as_str(), name.local_settings())),
            Queues::Sqs { client, urls } => {
                let url = urls
                    .iter()
                    .find(|(n, _)| *n == name)
                    .and_then(|(_, u)| u.clone());
                let url = url.ok_or(ConfigError::Missing {
                    var: name.url_var(),
                    why: "this function sends to or reads from that queue",
                })?;
                Ok(Arc::new(SqsQueue::new(client.clone(), url)))
            }
        }
    }
}
