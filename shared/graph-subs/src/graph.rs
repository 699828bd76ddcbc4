//! Microsoft Graph for our app registration: the client built once from [`Config`], and the
//! public URLs Graph posts notifications to.
//!
//! Graph is optional at start (a local runner or a fresh stack has no credentials): building a
//! [`GraphProvider`] never fails, and each operation that needs Graph asks for it and gets
//! [`GraphUnavailable`] naming the missing variables, which the API answers as 503.

use std::time::Duration;

use bridge_graph::{GRAPH_BASE_URL, GraphClient, GraphConfig, RetryPolicy};
use bridge_platform::Config;

/// Path of the change-notification endpoint (`graph-webhook`).
pub const NOTIFICATIONS_PATH: &str = "/graph/notifications";

/// Path of the lifecycle-notification endpoint (`graph-webhook`).
pub const LIFECYCLE_PATH: &str = "/graph/lifecycle";

/// Why an operation that needs Graph cannot run: the message names what to configure.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("Microsoft Graph is not available: {0}")]
pub struct GraphUnavailable(String);

/// Our Graph client and notification URLs, or why they are missing. Cheap to clone.
#[derive(Debug, Clone)]
pub struct GraphProvider {
    client: Result<GraphClient, GraphUnavailable>,
    graph_tenant_id: String,
    public_url: Option<String>,
}

/// Requests of an API call must finish inside the HTTP API's 30 s, so Graph calls retry
/// briefly: two retries, waits capped at 5 s, 20 s per attempt (subscription creation includes
/// Graph's validation handshake against our webhook, which Graph allows 10 s).
fn interactive(mut config: GraphConfig) -> GraphConfig {
    config.retry = RetryPolicy {
        max_retries: 2,
        default_backoff: Duration::from_millis(500),
        max_backoff: Duration::from_secs(5),
    };
    config.timeout = Duration::from_secs(20);
    config
}

/// Our app's Graph settings from the configuration: the credentials (`BRIDGE_GRAPH_*`) and
/// Microsoft's endpoints unless `BRIDGE_GRAPH_BASE_URL` / `BRIDGE_GRAPH_TOKEN_URL` point
/// elsewhere (the emulator). Every Graph caller (API routes, mailer, subscriptions) starts here.
pub fn graph_config(config: &Config) -> Result<GraphConfig, GraphUnavailable> {
    let Some(creds) = &config.graph else {
        return Err(GraphUnavailable(
            "set BRIDGE_GRAPH_TENANT_ID, BRIDGE_GRAPH_CLIENT_ID and \
             BRIDGE_GRAPH_CLIENT_SECRET (the Entra app registration)"
                .into(),
        ));
    };
    let mut gc = GraphConfig::microsoft(
        &creds.tenant_id,
        creds.client_id.clone(),
        creds.client_secret.clone(),
    );
    gc.base_url = config
        .graph_base_url
        .as_deref()
        .unwrap_or(GRAPH_BASE_URL)
        .trim_end_matches('/')
        .to_owned();
    if let Some(t) = &config.graph_token_url {
        gc.token_url = t.clone();
    }
    Ok(gc)
}

impl GraphProvider {
    /// From the configuration: Graph credentials (`BRIDGE_GRAPH_*`), endpoints (Microsoft
    /// Graph unless `BRIDGE_GRAPH_BASE_URL` / `BRIDGE_GRAPH_TOKEN_URL` point elsewhere) and the
    /// public URL the notification URLs are built from (`BRIDGE_PUBLIC_URL`).
    pub fn from_config(config: &Config) -> Self {
        let public_url = config.public_url.clone();
        let (client, graph_tenant_id) = match graph_config(config) {
            Ok(gc) => (
                GraphClient::new(interactive(gc)).map_err(|e| {
                    GraphUnavailable(format!("the Graph client cannot be built: {e}"))
                }),
                config
                    .graph
                    .as_ref()
                    .map(|c| c.tenant_id.clone())
                    .unwrap_or_default(),
            ),
            Err(e) => (Err(e), String::new()),
        };
        Self {
            client,
            graph_tenant_id,
            public_url,
        }
    }

    /// A provider around a client the caller built (tests).
    pub fn new(client: GraphClient, graph_tenant_id: &str, public_url: Option<&str>) -> Self {
        Self {
            client: Ok(client),
            graph_tenant_id: graph_tenant_id.to_owned(),
            public_url: public_url.map(str::to_owned),
        }
    }

    /// The client, or why there is none.
    pub fn client(&self) -> Result<&GraphClient, GraphUnavailable> {
        self.client.as_ref().map_err(Clone::clone)
    }

    /// The Entra tenant our app registration (and so every linked Microsoft 365 user) is in.
    pub fn graph_tenant_id(&self) -> Result<&str, GraphUnavailable> {
        self.client()?;
        Ok(&self.graph_tenant_id)
    }

    /// Where Graph posts change and lifecycle notifications for our subscriptions:
    /// `{BRIDGE_PUBLIC_URL}/graph/notifications` and `/graph/lifecycle`.
    pub fn notification_urls(&self) -> Result<(String, String), GraphUnavailable> {
        let base = self
            .public_url
            .as_deref()
            .map(|u| u.trim_end_matches('/'))
            .filter(|u| !u.is_empty())
            .ok_or_else(|| {
                GraphUnavailable(
                    "set BRIDGE_PUBLIC_URL: Graph posts change notifications to \
                     <BRIDGE_PUBLIC_URL>/graph/notifications"
                        .into(),
                )
            })?;
        Ok((
            format!("{base}{NOTIFICATIONS_PATH}"),
            format!("{base}{LIFECYCLE_PATH}"),
        ))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use std::collections::HashMap;

    fn config(vars: &[(&str, &str)]) -> Config {
        let m: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Config::from_lookup(|k| m.get(k).cloned()).unwrap()
    }

    #[test]
    fn without_credentials_every_use_names_the_missing_variables() {
        let p = GraphProvider::from_config(&config(&[]));
        let e = p.client().unwrap_err().to_string();
        for var in [
            "BRIDGE_GRAPH_TENANT_ID",
            "BRIDGE_GRAPH_CLIENT_ID",
            "BRIDGE_GRAPH_CLIENT_SECRET",
        ] {
            assert!(e.contains(var), "{e}");
        }
        assert!(p.graph_tenant_id().is_err());
        let e = p.notification_urls().unwrap_err().to_string();
        assert!(e.contains("BRIDGE_PUBLIC_URL"), "{e}");
    }

    #[test]
    fn with_credentials_the_notification_urls_come_from_the_public_url() {
        let p = GraphProvider::from_config(&config(&[
            ("BRIDGE_GRAPH_TENANT_ID", "tid"),
            ("BRIDGE_GRAPH_CLIENT_ID", "cid"),
            ("BRIDGE_GRAPH_CLIENT_SECRET", "secret"),
            ("BRIDGE_PUBLIC_URL", "https://bridge.example/"),
        ]));
        assert!(p.client().is_ok());
        assert_eq!(p.graph_tenant_id().unwrap(), "tid");
        assert_eq!(
            p.notification_urls().unwrap(),
            (
                "https://bridge.example/graph/notifications".to_string(),
                "https://bridge.example/graph/lifecycle".to_string()
            )
        );
        assert!(!format!("{p:?}").contains("secret\""));
    }
}
