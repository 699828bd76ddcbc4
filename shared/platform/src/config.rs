//! Typed configuration, loaded once from the environment (12-factor) and validated at start, so a
//! missing or malformed variable stops the process with a message naming it instead of failing
//! on the first request.

use std::fmt;
use std::path::PathBuf;

use secrecy::{ExposeSecret, SecretString};

/// Where state, blobs and queues live.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Storage {
    /// SQLite + filesystem + in-process queues under one directory (local runs, tests).
    Embedded {
        /// The data directory (`BRIDGE_DATA_DIR`).
        data_dir: PathBuf,
    },
    /// DynamoDB + S3 + SQS.
    Aws(AwsResources),
}

/// Names of the AWS resources, as the SAM template passes them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AwsResources {
    /// DynamoDB table (`BRIDGE_TABLE`).
    pub table: String,
    /// S3 bucket for documents (`BRIDGE_BUCKET`).
    pub bucket: String,
    /// SQS queue URL for sync work (`BRIDGE_SYNC_QUEUE_URL`), if this function uses it.
    pub sync_queue_url: Option<String>,
    /// SQS queue URL for e-mail (`BRIDGE_MAIL_QUEUE_URL`).
    pub mail_queue_url: Option<String>,
    /// SQS queue URL for subscription work (`BRIDGE_SUBSCRIPTIONS_QUEUE_URL`).
    pub subscriptions_queue_url: Option<String>,
    /// Custom endpoint for every AWS service (`AWS_ENDPOINT_URL`), e.g. moto.
    pub endpoint_url: Option<String>,
}

/// Credentials of the Entra app registration that calls Microsoft Graph (app-only).
#[derive(Clone)]
pub struct GraphCredentials {
    /// Directory (tenant) id of the app registration (`BRIDGE_GRAPH_TENANT_ID`).
    pub tenant_id: String,
    /// Application (client) id (`BRIDGE_GRAPH_CLIENT_ID`).
    pub client_id: String,
    /// Client secret (`BRIDGE_GRAPH_CLIENT_SECRET`); never printed.
    pub client_secret: SecretString,
}

impl fmt::Debug for GraphCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GraphCredentials")
            .field("tenant_id", &self.tenant_id)
            .field("client_id", &self.client_id)
            .field("client_secret", &"[REDACTED]")
            .finish()
    }
}

/// The app registration "Sign in with Microsoft" uses (OpenID Connect, USR-1). A confidential
/// web client: its redirect URIs are `{BRIDGE_PUBLIC_URL}/app/auth/callback` (sign-in) and
/// `{BRIDGE_PUBLIC_URL}/app/install/consented` (admin consent).
#[derive(Clone)]
pub struct OidcSettings {
    /// Login authority (`BRIDGE_OIDC_AUTHORITY`, default [`DEFAULT_OIDC_AUTHORITY`]); the local
    /// runner points it at the Graph emulator.
    pub authority: String,
    /// Application (client) id (`BRIDGE_OIDC_CLIENT_ID`).
    pub client_id: String,
    /// Client secret (`BRIDGE_OIDC_CLIENT_SECRET`); never printed.
    pub client_secret: SecretString,
    /// Entra tenant ids allowed to sign in (`BRIDGE_OIDC_ALLOWED_TENANTS`, comma-separated);
    /// empty = every organisation (never personal accounts).
    pub allowed_tenants: Vec<String>,
}

impl fmt::Debug for OidcSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OidcSettings")
            .field("authority", &self.authority)
            .field("client_id", &self.client_id)
            .field("client_secret", &"[REDACTED]")
            .field("allowed_tenants", &self.allowed_tenants)
            .finish()
    }
}

/// Microsoft Entra ID's login authority, the default of `BRIDGE_OIDC_AUTHORITY`.
pub const DEFAULT_OIDC_AUTHORITY: &str = "https://login.microsoftonline.com";

/// Log output format (`BRIDGE_LOG_FORMAT`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    /// One JSON object per line (default; what CloudWatch Logs Insights queries).
    Json,
    /// Human-readable lines, for a developer's terminal.
    Pretty,
}

/// The whole configuration.
#[derive(Clone)]
pub struct Config {
    /// Where data lives.
    pub storage: Storage,
    /// Deployment stage (`BRIDGE_STAGE`: `local`, `dev`, `prod`), for logs and links.
    pub stage: String,
    /// Public base URL of the API (`BRIDGE_PUBLIC_URL`), used to build links in e-mails and WOPI
    /// URLs. Locally it defaults to the listen address.
    pub public_url: Option<String>,
    /// Key that signs our tokens (`BRIDGE_SIGNING_KEY`, ≥ 32 bytes). Required on AWS; locally a
    /// key is generated and kept in the data directory when it is not set.
    pub signing_key: Option<SecretString>,
    /// Microsoft Graph app credentials; `None` locally means the built-in Graph emulator.
    pub graph: Option<GraphCredentials>,
    /// Graph base URL (`BRIDGE_GRAPH_BASE_URL`); `None` = Microsoft Graph v1.0 on the public
    /// cloud. Tests and the local runner point it at the Graph emulator.
    pub graph_base_url: Option<String>,
    /// Graph token endpoint (`BRIDGE_GRAPH_TOKEN_URL`); `None` = the Microsoft identity
    /// platform's endpoint for `BRIDGE_GRAPH_TENANT_ID`.
    pub graph_token_url: Option<String>,
    /// Log format.
    pub log_format: LogFormat,
    /// Largest document body accepted by uploads and WOPI PutFile (`BRIDGE_MAX_UPLOAD_BYTES`,
    /// default 100 MiB); larger bodies answer 413 and nothing is stored.
    pub max_upload_bytes: u64,
    /// Allow the WOPI validator's `.wopitest` extension to be edited (`BRIDGE_WOPI_TEST_FILES=1`).
    pub wopi_test_files: bool,
    /// Where Office's discovery XML comes from (`BRIDGE_WOPI_DISCOVERY`): an https URL or a
    /// local file path. When it carries a proof key, every WOPI request must be signed.
    pub wopi_discovery: Option<String>,
    /// The mailbox e-mails are sent from (`BRIDGE_MAIL_SENDER`, a plain address). On AWS the
    /// mailer needs it (Graph `sendMail` is called on that mailbox); locally it defaults to
    /// [`DEFAULT_LOCAL_MAIL_SENDER`] in the `.eml` files.
    pub mail_sender: Option<String>,
    /// "Sign in with Microsoft" (`BRIDGE_OIDC_*`); `None` = not configured: the sign-in and
    /// install pages answer 503 naming the variables (the local runner uses the emulator).
    pub oidc: Option<OidcSettings>,
}

/// Sender of local `.eml` files when `BRIDGE_MAIL_SENDER` is not set.
pub const DEFAULT_LOCAL_MAIL_SENDER: &str = "m365-bridge@localhost";

/// Default of [`Config::max_upload_bytes`].
pub const DEFAULT_MAX_UPLOAD_BYTES: u64 = 100 * 1024 * 1024;

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config")
            .field("storage", &self.storage)
            .field("stage", &self.stage)
            .field("public_url", &self.public_url)
            .field(
                "signing_key",
                &self.signing_key.as_ref().map(|_| "[REDACTED]"),
            )
            .field("graph", &self.graph)
            .field("graph_base_url", &self.graph_base_url)
            .field("graph_token_url", &self.graph_token_url)
            .field("log_format", &self.log_format)
            .field("max_upload_bytes", &self.max_upload_bytes)
            .field("wopi_test_files", &self.wopi_test_files)
            .field("wopi_discovery", &self.wopi_discovery)
            .field("mail_sender", &self.mail_sender)
            .field("oidc", &self.oidc)
            .finish()
    }
}

/// A configuration problem, naming the variable.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ConfigError {
    /// A required variable is not set.
    #[error("{var} is not set: {why}")]
    Missing {
        /// The variable.
        var: &'static str,
        /// Why it is needed.
        why: &'static str,
    },
    /// A variable is set to something unusable.
    #[error("{var} is invalid: {reason}")]
    Invalid {
        /// The variable.
        var: &'static str,
        /// What is wrong (never the value of a secret).
        reason: String,
    },
}

/// Minimum signing key length in bytes (HS256 wants at least the hash size).
pub const MIN_SIGNING_KEY_BYTES: usize = 32;

impl Config {
    /// Loads from the process environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|k| std::env::var(k).ok())
    }

    /// Loads from any variable source (tests pass a map). Empty values count as unset.
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let var = |k: &str| {
            get(k)
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty())
        };
        let storage = match var("BRIDGE_STORAGE").as_deref().unwrap_or("embedded") {
            "embedded" => Storage::Embedded {
                data_dir: var("BRIDGE_DATA_DIR")
                    .unwrap_or_else(|| ".bridge-data".into())
                    .into(),
            },
            "aws" => {
                let endpoint_url = var("AWS_ENDPOINT_URL");
                if let Some(ep) = &endpoint_url {
                    check_url("AWS_ENDPOINT_URL", ep)?;
                }
                let queue = |k: &'static str| -> Result<Option<String>, ConfigError> {
                    let v = var(k);
                    if let Some(u) = &v {
                        check_url(k, u)?;
                    }
                    Ok(v)
                };
                Storage::Aws(AwsResources {
                    table: var("BRIDGE_TABLE").ok_or(ConfigError::Missing {
                        var: "BRIDGE_TABLE",
                        why: "BRIDGE_STORAGE=aws needs the DynamoDB table name",
                    })?,
                    bucket: var("BRIDGE_BUCKET").ok_or(ConfigError::Missing {
                        var: "BRIDGE_BUCKET",
                        why: "BRIDGE_STORAGE=aws needs the S3 bucket name",
                    })?,
                    sync_queue_url: queue("BRIDGE_SYNC_QUEUE_URL")?,
                    mail_queue_url: queue("BRIDGE_MAIL_QUEUE_URL")?,
                    subscriptions_queue_url: queue("BRIDGE_SUBSCRIPTIONS_QUEUE_URL")?,
                    endpoint_url,
                })
            }
            other => {
                return Err(ConfigError::Invalid {
                    var: "BRIDGE_STORAGE",
                    reason: format!("expected `embedded` or `aws`, got `{other}`"),
                });
            }
        };
        let signing_key = var("BRIDGE_SIGNING_KEY").map(SecretString::from);
        match (&signing_key, &storage) {
            (Some(k), _) if k.expose_secret().len() < MIN_SIGNING_KEY_BYTES => {
                return Err(ConfigError::Invalid {
                    var: "BRIDGE_SIGNING_KEY",
                    reason: format!("must be at least {MIN_SIGNING_KEY_BYTES} bytes"),
                });
            }
            (None, Storage::Aws(_)) => {
                return Err(ConfigError::Missing {
                    var: "BRIDGE_SIGNING_KEY",
                    why: "BRIDGE_STORAGE=aws needs the token signing key",
                });
            }
            _ => {}
        }
        let graph = match (
            var("BRIDGE_GRAPH_TENANT_ID"),
            var("BRIDGE_GRAPH_CLIENT_ID"),
            var("BRIDGE_GRAPH_CLIENT_SECRET"),
        ) {
            (None, None, None) => None,
            (Some(tenant_id), Some(client_id), Some(secret)) => Some(GraphCredentials {
                tenant_id,
                client_id,
                client_secret: SecretString::from(secret),
            }),
            (t, c, _) => {
                let var = if t.is_none() {
                    "BRIDGE_GRAPH_TENANT_ID"
                } else if c.is_none() {
                    "BRIDGE_GRAPH_CLIENT_ID"
                } else {
                    "BRIDGE_GRAPH_CLIENT_SECRET"
                };
                return Err(ConfigError::Missing {
                    var,
                    why: "Graph credentials are all three of tenant id, client id and secret, or none",
                });
            }
        };
        // The client secret is sent to the token URL: plain http only to this machine.
        let graph_url = |k: &'static str| -> Result<Option<String>, ConfigError> {
            let v = var(k);
            if let Some(u) = &v {
                check_url(k, u)?;
                if u.starts_with("http://") && !is_loopback_http(u) {
                    return Err(ConfigError::Invalid {
                        var: k,
                        reason: "must be https (plain http only on 127.0.0.1/localhost)".into(),
                    });
                }
            }
            Ok(v)
        };
        let graph_base_url = graph_url("BRIDGE_GRAPH_BASE_URL")?;
        let graph_token_url = graph_url("BRIDGE_GRAPH_TOKEN_URL")?;
        let public_url = var("BRIDGE_PUBLIC_URL");
        if let Some(u) = &public_url {
            check_url("BRIDGE_PUBLIC_URL", u)?;
        }
        let log_format = match var("BRIDGE_LOG_FORMAT").as_deref().unwrap_or("json") {
            "json" => LogFormat::Json,
            "pretty" => LogFormat::Pretty,
            other => {
                return Err(ConfigError::Invalid {
                    var: "BRIDGE_LOG_FORMAT",
                    reason: format!("expected `json` or `pretty`, got `{other}`"),
                });
            }
        };
        let max_upload_bytes = match var("BRIDGE_MAX_UPLOAD_BYTES") {
            None => DEFAULT_MAX_UPLOAD_BYTES,
            Some(v) => v
                .parse::<u64>()
                .ok()
                .filter(|n| *n > 0)
                .ok_or(ConfigError::Invalid {
                    var: "BRIDGE_MAX_UPLOAD_BYTES",
                    reason: "expected a positive number of bytes".into(),
                })?,
        };
        let wopi_test_files = match var("BRIDGE_WOPI_TEST_FILES").as_deref() {
            None | Some("0") | Some("false") => false,
            Some("1") | Some("true") => true,
            Some(_) => {
                return Err(ConfigError::Invalid {
                    var: "BRIDGE_WOPI_TEST_FILES",
                    reason: "expected 1 or 0".into(),
                });
            }
        };
        let wopi_discovery = var("BRIDGE_WOPI_DISCOVERY");
        if let Some(d) = &wopi_discovery
            && d.starts_with("http://")
            && !is_loopback_http(d)
        {
            return Err(ConfigError::Invalid {
                var: "BRIDGE_WOPI_DISCOVERY",
                reason: "discovery must come over https (or from a local file path)".into(),
            });
        }
        let mail_sender = var("BRIDGE_MAIL_SENDER");
        if let Some(s) = &mail_sender {
            bridge_mail::MailAddress::parse(s, "BRIDGE_MAIL_SENDER").map_err(|_| {
                ConfigError::Invalid {
                    var: "BRIDGE_MAIL_SENDER",
                    reason: "expected a plain e-mail address (name@domain)".into(),
                }
            })?;
        }
        let oidc = oidc_settings(&var)?;
        Ok(Config {
            storage,
            stage: var("BRIDGE_STAGE").unwrap_or_else(|| "local".into()),
            public_url,
            signing_key,
            graph,
            graph_base_url,
            graph_token_url,
            log_format,
            max_upload_bytes,
            wopi_test_files,
            wopi_discovery,
            mail_sender,
            oidc,
        })
    }
}

/// `BRIDGE_OIDC_*`: both client id and secret, or neither (then sign-in is not configured).
fn oidc_settings(
    var: &dyn Fn(&str) -> Option<String>,
) -> Result<Option<OidcSettings>, ConfigError> {
    let (client_id, secret) = match (
        var("BRIDGE_OIDC_CLIENT_ID"),
        var("BRIDGE_OIDC_CLIENT_SECRET"),
    ) {
        (None, None) => return Ok(None),
        (Some(c), Some(s)) => (c, s),
        (None, Some(_)) => {
            return Err(ConfigError::Missing {
                var: "BRIDGE_OIDC_CLIENT_ID",
                why: "sign-in with Microsoft needs both the client id and the client secret",
            });
        }
        (Some(_), None) => {
            return Err(ConfigError::Missing {
                var: "BRIDGE_OIDC_CLIENT_SECRET",
                why: "sign-in with Microsoft needs both the client id and the client secret",
            });
        }
    };
    let authority = var("BRIDGE_OIDC_AUTHORITY").unwrap_or_else(|| DEFAULT_OIDC_AUTHORITY.into());
    // The client secret and the codes go to the authority: plain http only to this machine.
    check_url("BRIDGE_OIDC_AUTHORITY", &authority)?;
    if !authority.starts_with("https://") && !is_loopback_http(&authority) {
        return Err(ConfigError::Invalid {
            var: "BRIDGE_OIDC_AUTHORITY",
            reason: "must be https (plain http only on 127.0.0.1/localhost)".into(),
        });
    }
    let allowed_tenants: Vec<String> = var("BRIDGE_OIDC_ALLOWED_TENANTS")
        .map(|v| {
            v.split(',')
                .map(|t| t.trim().to_string())
                .filter(|t| !t.is_empty())
                .collect()
        })
        .unwrap_or_default();
    let plausible =
        |t: &String| t.len() <= 64 && t.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
    if !allowed_tenants.iter().all(plausible) {
        return Err(ConfigError::Invalid {
            var: "BRIDGE_OIDC_ALLOWED_TENANTS",
            reason: "expected comma-separated Entra tenant ids".into(),
        });
    }
    Ok(Some(OidcSettings {
        authority: authority.trim_end_matches('/').to_string(),
        client_id,
        client_secret: SecretString::from(secret),
        allowed_tenants,
    }))
}

/// Plain http is accepted only from this machine (a test or a local emulator of Office).
pub fn is_loopback_http(url: &str) -> bool {
    [
        "http://127.0.0.1:",
        "http://127.0.0.1/",
        "http://localhost:",
        "http://localhost/",
        "http://[::1]:",
    ]
    .iter()
    .any(|p| url.starts_with(p))
}

fn check_url(var: &'static str, v: &str) -> Result<(), ConfigError> {
    let ok = (v.starts_with("https://") || v.starts_with("http://"))
        && v.len() > "http://".len()
        && !v.contains(char::is_whitespace);
    if ok {
        Ok(())
    } else {
        Err(ConfigError::Invalid {
            var,
            reason: "expected an http(s) URL".into(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn load(vars: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let m: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Config::from_lookup(|k| m.get(k).cloned())
    }

    const KEY: &str = "0123456789abcdef0123456789abcdef";

    #[test]
    fn defaults_to_embedded_storage_in_dot_bridge_data() {
        let c = load(&[]).unwrap();
        assert_eq!(
            c.storage,
            Storage::Embedded {
                data_dir: ".bridge-data".into()
            }
        );
        assert_eq!(c.stage, "local");
        assert!(c.graph.is_none());
        assert_eq!(c.mail_sender, None);
        let c = load(&[("BRIDGE_MAIL_SENDER", " bridge@contoso.example ")]).unwrap();
        assert_eq!(c.mail_sender.as_deref(), Some("bridge@contoso.example"));
    }

    #[test]
    fn aws_storage_names_each_missing_variable() {
        let e = load(&[("BRIDGE_STORAGE", "aws")]).unwrap_err();
        assert!(matches!(
            e,
            ConfigError::Missing {
                var: "BRIDGE_TABLE",
                ..
            }
        ));
        assert!(e.to_string().contains("BRIDGE_TABLE"));
        let e = load(&[("BRIDGE_STORAGE", "aws"), ("BRIDGE_TABLE", "t")]).unwrap_err();
        assert!(matches!(
            e,
            ConfigError::Missing {
                var: "BRIDGE_BUCKET",
                ..
            }
        ));
        let e = load(&[
            ("BRIDGE_STORAGE", "aws"),
            ("BRIDGE_TABLE", "t"),
            ("BRIDGE_BUCKET", "b"),
        ])
        .unwrap_err();
        assert!(matches!(
            e,
            ConfigError::Missing {
                var: "BRIDGE_SIGNING_KEY",
                ..
            }
        ));
    }

    #[test]
    fn aws_storage_honours_the_endpoint_url() {
        let c = load(&[
            ("BRIDGE_STORAGE", "aws"),
            ("BRIDGE_TABLE", "t"),
            ("BRIDGE_BUCKET", "b"),
            ("BRIDGE_SIGNING_KEY", KEY),
            ("AWS_ENDPOINT_URL", "http://127.0.0.1:5000"),
            ("BRIDGE_SYNC_QUEUE_URL", "http://127.0.0.1:5000/123/sync"),
        ])
        .unwrap();
        let Storage::Aws(r) = c.storage else {
            panic!("aws expected")
        };
        assert_eq!(r.endpoint_url.as_deref(), Some("http://127.0.0.1:5000"));
        assert_eq!(
            r.sync_queue_url.as_deref(),
            Some("http://127.0.0.1:5000/123/sync")
        );
        assert_eq!(r.mail_queue_url, None);
    }

    #[test]
    fn invalid_values_are_named() {
        let e = load(&[("BRIDGE_STORAGE", "s3")]).unwrap_err();
        assert!(matches!(
            e,
            ConfigError::Invalid {
                var: "BRIDGE_STORAGE",
                ..
            }
        ));
        let e = load(&[("BRIDGE_SIGNING_KEY", "short")]).unwrap_err();
        assert!(matches!(
            e,
            ConfigError::Invalid {
                var: "BRIDGE_SIGNING_KEY",
                ..
            }
        ));
        let e = load(&[(
            "BRIDGE_WOPI_DISCOVERY",
            "http://office.example/hosting/discovery",
        )])
        .unwrap_err();
        assert!(matches!(
            e,
            ConfigError::Invalid {
                var: "BRIDGE_WOPI_DISCOVERY",
                ..
            }
        ));
        let e = load(&[("BRIDGE_MAX_UPLOAD_BYTES", "lots")]).unwrap_err();
        assert!(matches!(
            e,
            ConfigError::Invalid {
                var: "BRIDGE_MAX_UPLOAD_BYTES",
                ..
            }
        ));
        let e = load(&[("BRIDGE_WOPI_TEST_FILES", "yes please")]).unwrap_err();
        assert!(matches!(
            e,
            ConfigError::Invalid {
                var: "BRIDGE_WOPI_TEST_FILES",
                ..
            }
        ));
        let e = load(&[("BRIDGE_MAIL_SENDER", "Bridge <x@y.z>")]).unwrap_err();
        assert!(matches!(
            e,
            ConfigError::Invalid {
                var: "BRIDGE_MAIL_SENDER",
                ..
            }
        ));
        let e = load(&[("BRIDGE_PUBLIC_URL", "ftp://x")]).unwrap_err();
        assert!(matches!(
            e,
            ConfigError::Invalid {
                var: "BRIDGE_PUBLIC_URL",
                ..
            }
        ));
        let e = load(&[
            ("BRIDGE_GRAPH_TENANT_ID", "t"),
            ("BRIDGE_GRAPH_CLIENT_SECRET", "s"),
        ])
        .unwrap_err();
        assert!(matches!(
            e,
            ConfigError::Missing {
                var: "BRIDGE_GRAPH_CLIENT_ID",
                ..
            }
        ));
    }

    #[test]
    fn secrets_never_appear_in_debug_output() {
        let c = load(&[
            ("BRIDGE_SIGNING_KEY", KEY),
            ("BRIDGE_GRAPH_TENANT_ID", "tid"),
            ("BRIDGE_GRAPH_CLIENT_ID", "cid"),
            ("BRIDGE_GRAPH_CLIENT_SECRET", "super-secret-value"),
        ])
        .unwrap();
        let dbg = format!("{c:?}");
        assert!(!dbg.contains(KEY), "signing key leaked: {dbg}");
        assert!(
            !dbg.contains("super-secret-value"),
            "client secret leaked: {dbg}"
        );
        assert!(dbg.contains("[REDACTED]"));
        assert!(dbg.contains("tid"));
    }

    #[test]
    fn sign_in_with_microsoft_is_optional_complete_and_secret() {
        assert!(load(&[]).unwrap().oidc.is_none());
        let e = load(&[("BRIDGE_OIDC_CLIENT_ID", "app")]).unwrap_err();
        assert!(matches!(
            e,
            ConfigError::Missing {
                var: "BRIDGE_OIDC_CLIENT_SECRET",
                ..
            }
        ));
        let e = load(&[("BRIDGE_OIDC_CLIENT_SECRET", "s")]).unwrap_err();
        assert!(matches!(
            e,
            ConfigError::Missing {
                var: "BRIDGE_OIDC_CLIENT_ID",
                ..
            }
        ));
        let c = load(&[
            ("BRIDGE_OIDC_CLIENT_ID", "app"),
            ("BRIDGE_OIDC_CLIENT_SECRET", "oidc-secret-value"),
            ("BRIDGE_OIDC_ALLOWED_TENANTS", " t-1 , t-2 ,"),
        ])
        .unwrap();
        let o = c.oidc.clone().unwrap();
        assert_eq!(o.authority, DEFAULT_OIDC_AUTHORITY);
        assert_eq!(o.allowed_tenants, vec!["t-1", "t-2"]);
        assert!(!format!("{c:?}").contains("oidc-secret-value"));
        let e = load(&[
            ("BRIDGE_OIDC_CLIENT_ID", "app"),
            ("BRIDGE_OIDC_CLIENT_SECRET", "s"),
            ("BRIDGE_OIDC_AUTHORITY", "http://login.example"),
        ])
        .unwrap_err();
        assert!(matches!(
            e,
            ConfigError::Invalid {
                var: "BRIDGE_OIDC_AUTHORITY",
                ..
            }
        ));
        let c = load(&[
            ("BRIDGE_OIDC_CLIENT_ID", "app"),
            ("BRIDGE_OIDC_CLIENT_SECRET", "s"),
            ("BRIDGE_OIDC_AUTHORITY", "http://127.0.0.1:9/"),
        ])
        .unwrap();
        assert_eq!(c.oidc.unwrap().authority, "http://127.0.0.1:9");
    }

    #[test]
    fn graph_endpoints_default_to_microsoft_and_refuse_remote_plain_http() {
        let c = load(&[]).unwrap();
        assert_eq!((c.graph_base_url, c.graph_token_url), (None, None));
        let c = load(&[
            ("BRIDGE_GRAPH_BASE_URL", "http://127.0.0.1:9/v1.0"),
            (
                "BRIDGE_GRAPH_TOKEN_URL",
                "http://127.0.0.1:9/t/oauth2/v2.0/token",
            ),
        ])
        .unwrap();
        assert_eq!(c.graph_base_url.as_deref(), Some("http://127.0.0.1:9/v1.0"));
        assert!(c.graph_token_url.is_some());
        let e = load(&[("BRIDGE_GRAPH_TOKEN_URL", "http://login.example/t")]).unwrap_err();
        assert!(matches!(
            e,
            ConfigError::Invalid {
                var: "BRIDGE_GRAPH_TOKEN_URL",
                ..
            }
        ));
    }
}
