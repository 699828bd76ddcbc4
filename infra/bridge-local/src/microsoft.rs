//! The local stand-in for Microsoft: when no app registration for "Sign in with Microsoft" is
//! configured (`BRIDGE_OIDC_*`), the Graph emulator runs in-process as the identity provider
//! (and as Microsoft Graph, when `BRIDGE_GRAPH_*` is not set either), with one organisation:
//! an administrator, who may install, and a plain user.
//!
//! The emulator's "browser" is signed in as the administrator, so "Sign in with Microsoft"
//! needs no typing; `login_hint` on `/app/sign-in/microsoft` picks the other account. The users
//! keep fixed object ids, so the data directory recognises them after a restart. Everything is
//! in memory and only reachable on 127.0.0.1; the client secret is made afresh at every start.

use bridge_platform::Config;
use bridge_platform::config::{GraphCredentials, OidcSettings};
use graph_emulator::{Emulator, EmulatorConfig, EmulatorError};
use secrecy::SecretString;

/// Entra tenant id of the local organisation.
pub const LOCAL_ORG_TENANT: &str = "6f1e3b5a-0c4d-4e8f-9a2b-10ca1c0de000";
/// Application (client) id of the local app registration.
pub const LOCAL_CLIENT_ID: &str = "0b1d9e2c-5a7f-4c3e-8d6b-10ca1c11e000";
/// The local organisation's administrator (Global Administrator: may install).
pub const LOCAL_ADMIN_UPN: &str = "megan.admin@contoso.example";
const LOCAL_ADMIN_OID: &str = "a0000000-0000-4000-8000-00000000ad01";
/// A plain user of the local organisation.
pub const LOCAL_USER_UPN: &str = "alex.user@contoso.example";
const LOCAL_USER_OID: &str = "a0000000-0000-4000-8000-00000000a5e1";

/// The running stand-in. Dropping it stops the emulator.
#[derive(Debug)]
pub struct LocalMicrosoft {
    emulator: Emulator,
    /// Whether it also stands in for Microsoft Graph.
    pub graph: bool,
}

impl LocalMicrosoft {
    /// The emulator's base URL (login authority and Graph host), for tests and the start output.
    pub fn url(&self) -> String {
        self.emulator.authority()
    }

    /// The emulator itself (in-process tests drive it: more users, admin roles, sessions).
    pub fn emulator(&self) -> &Emulator {
        &self.emulator
    }
}

/// Starts the emulator and points `config` at it, unless sign-in with Microsoft is configured
/// (`None` then). `config.public_url` must be set: the redirect URIs are registered under it.
pub async fn start_if_unconfigured(
    config: &mut Config,
) -> Result<Option<LocalMicrosoft>, EmulatorError> {
    if config.oidc.is_some() {
        return Ok(None);
    }
    let Some(base) = config.public_url.clone() else {
        return Ok(None);
    };
    let base = base.trim_end_matches('/');
    let emulator = Emulator::start(EmulatorConfig::default()).await?;
    let secret = format!("local-{}", uuid::Uuid::new_v4().simple());
    emulator.add_tenant(LOCAL_ORG_TENANT);
    emulator.add_app(LOCAL_ORG_TENANT, LOCAL_CLIENT_ID, &secret)?;
    for path in ["/app/auth/callback", "/app/install/consented"] {
        emulator.add_redirect_uri(LOCAL_CLIENT_ID, &format!("{base}{path}"))?;
    }
    emulator.add_user_with_id(
        LOCAL_ORG_TENANT,
        LOCAL_ADMIN_OID,
        "Megan Admin",
        LOCAL_ADMIN_UPN,
    )?;
    emulator.add_user_with_id(
        LOCAL_ORG_TENANT,
        LOCAL_USER_OID,
        "Alex User",
        LOCAL_USER_UPN,
    )?;
    emulator.set_tenant_admin(LOCAL_ADMIN_OID, true)?;
    emulator.sign_in(LOCAL_ADMIN_OID)?;
    config.oidc = Some(OidcSettings {
        authority: emulator.authority(),
        client_id: LOCAL_CLIENT_ID.into(),
        client_secret: SecretString::from(secret.clone()),
        allowed_tenants: vec![],
    });
    let graph = config.graph.is_none() && config.graph_base_url.is_none();
    if graph {
        config.graph = Some(GraphCredentials {
            tenant_id: LOCAL_ORG_TENANT.into(),
            client_id: LOCAL_CLIENT_ID.into(),
            client_secret: SecretString::from(secret),
        });
        config.graph_base_url = Some(emulator.base_url());
        config.graph_token_url = Some(emulator.token_url(LOCAL_ORG_TENANT));
        // On AWS storage the mailer sends through Graph, i.e. into the emulator's outbox, from
        // the emulated organisation's administrator (embedded storage writes .eml files).
        if config.mail_sender.is_none() {
            config.mail_sender = Some(LOCAL_ADMIN_UPN.into());
        }
    }
    Ok(Some(LocalMicrosoft { emulator, graph }))
}
