//! `bridge-admin`: the operator CLI (seed, upload, wopi-session, dev-token, invitations and
//! relation requests, partner settings, blob sweep). Stable, scriptable interface: JSON on stdout, errors on
//! stderr, non-zero exit on failure. `--data-dir DIR` works on the local data of a running or
//! stopped `bridge-local` (SQLite allows both at once); `--storage aws` uses the AWS adapters
//! from the usual `BRIDGE_*` variables.

use std::path::PathBuf;
use std::process::ExitCode;

use bridge_core::tenant::Role;
use bridge_core::tenant::{Right, TenantId, UserId};
use bridge_directory::{Actor, Invitation, Invitee};
use bridge_documents::{ClientId, DocId};
use bridge_platform::seed::{load_user, new_tenant, store_tenant};
use bridge_platform::{Adapters, Config, Storage};
use bridge_wopi::token::Permission;
use clap::{Parser, Subcommand, ValueEnum};
use futures::TryStreamExt;
use secrecy::ExposeSecret;
use serde_json::{Value, json};

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum StorageChoice {
    Embedded,
    Aws,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Action {
    Edit,
    View,
}

/// Operator CLI of m365-bridge.
#[derive(Debug, Parser)]
#[command(name = "bridge-admin", version)]
struct Args {
    /// Data directory of the embedded storage (the one `bridge-local` uses).
    #[arg(
        long,
        env = "BRIDGE_DATA_DIR",
        default_value = ".bridge-data",
        global = true
    )]
    data_dir: PathBuf,
    /// Storage: embedded (SQLite + files) or aws (from BRIDGE_* variables).
    #[arg(
        long,
        env = "BRIDGE_STORAGE",
        value_enum,
        default_value = "embedded",
        global = true
    )]
    storage: StorageChoice,
    /// Base URL of links (WOPI source, e-mailed links). Default: BRIDGE_PUBLIC_URL, else the
    /// address the `bridge-local` of `--data-dir` last listened on (`<data-dir>/base-url`), else
    /// the local runner's default address.
    #[arg(long, global = true)]
    base_url: Option<String>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Creates a tenant with a client file and two users: one with "add document", one without.
    Seed {
        /// Tenant (environment) name.
        #[arg(long)]
        tenant: String,
    },
    /// Uploads FILE as a new document of a client file.
    Upload {
        #[arg(long)]
        tenant: String,
        #[arg(long)]
        client: String,
        #[arg(long)]
        user: String,
        /// The file to upload; its name becomes the document name.
        file: PathBuf,
    },
    /// Issues a WOPI access token to open a document in Office.
    WopiSession {
        #[arg(long)]
        tenant: String,
        #[arg(long)]
        document: String,
        #[arg(long)]
        user: String,
        #[arg(long, value_enum)]
        action: Action,
    },
    /// Issues an API bearer token for a user (what the local dev sign-in returns), for scripts
    /// and tests calling `/api` without a browser sign-in.
    DevToken {
        #[arg(long)]
        tenant: String,
        #[arg(long)]
        user: String,
    },
    /// Invites someone by e-mail (USR-5) on behalf of a user with "manage users"; the
    /// invitation e-mail is queued (locally it lands in `<data-dir>/outbox/`).
    Invite {
        #[arg(long)]
        tenant: String,
        /// The inviting user.
        #[arg(long)]
        by: String,
        #[arg(long)]
        email: String,
    },
    /// The state of an invitation: pending, accepted, expired or revoked.
    Invitation {
        #[arg(long)]
        tenant: String,
        #[arg(long)]
        id: String,
    },
    /// Includes partner relations in a tenant's subscription (PAR-2) and, with `--by` an admin,
    /// makes the environment findable (PAR-3).
    EnablePartners {
        #[arg(long)]
        tenant: String,
        /// An admin of the tenant, who opts the environment in to being found.
        #[arg(long)]
        by: String,
    },
    /// Sends a relation request (PAR-4) from a relation manager to a relation manager of a
    /// findable environment; the e-mail is queued.
    RelationRequest {
        #[arg(long)]
        from_tenant: String,
        #[arg(long)]
        by: String,
        #[arg(long)]
        to_tenant: String,
        #[arg(long)]
        to_user: String,
    },
    /// The state of a relation request: pending, accepted, declined, expired or revoked.
    RelationRequestStatus {
        #[arg(long)]
        id: String,
    },
    /// Removes blobs no version references (left by a process that died between writing a
    /// blob and committing its version), older than the grace period.
    SweepBlobs {
        /// Leave blobs staged within this many hours (default 24: longer than any upload).
        #[arg(long, default_value_t = 24)]
        grace_hours: u32,
        /// Examine at most this many staged blobs.
        #[arg(long, default_value_t = 10_000)]
        max: usize,
    },
}

/// A failure: the message goes to stderr.
struct Failure(String);

impl<E: std::fmt::Display> From<E> for Failure {
    fn from(e: E) -> Self {
        Failure(e.to_string())
    }
}

fn uuid_arg(what: &str, v: &str) -> Result<uuid::Uuid, Failure> {
    v.parse()
        .map_err(|_| Failure(format!("--{what} is not a valid id: {v}")))
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = Args::parse();
    match run(args).await {
        Ok(out) => {
            println!("{out}");
            ExitCode::SUCCESS
        }
        Err(Failure(msg)) => {
            eprintln!("bridge-admin: {msg}");
            ExitCode::FAILURE
        }
    }
}

async fn run(args: Args) -> Result<Value, Failure> {
    let mut config = Config::from_env()?;
    if args.storage == StorageChoice::Embedded {
        config.storage = Storage::Embedded {
            data_dir: args.data_dir.clone(),
        };
    }
    let recorded = match args.storage {
        StorageChoice::Embedded => {
            std::fs::read_to_string(args.data_dir.join(bridge_platform::BASE_URL_FILE))
                .ok()
                .map(|s| s.trim().to_string())
                .filter(|s| s.starts_with("http://") || s.starts_with("https://"))
        }
        StorageChoice::Aws => None,
    };
    let base = args
        .base_url
        .clone()
        .or_else(|| config.public_url.clone())
        .or(recorded)
        .unwrap_or_else(|| "http://127.0.0.1:8080".into());
    // E-mailed links start with it too.
    config.public_url = Some(base.trim_end_matches('/').to_string());
    let adapters = Adapters::from_config(&config).await?;
    match args.command {
        Command::Seed { tenant } => seed(&adapters, &tenant).await,
        Command::Upload {
            tenant,
            client,
            user,
            file,
        } => {
            let tenant = TenantId(uuid_arg("tenant", &tenant)?);
            let user = UserId(uuid_arg("user", &user)?);
            let client = ClientId::parse(&client)?;
            let actor = load_user(&adapters, tenant, user)
                .await?
                .ok_or_else(|| Failure("no such user in this tenant".into()))?;
            let name = file
                .file_name()
                .and_then(|n| n.to_str())
                .ok_or_else(|| Failure("FILE has no usable name".into()))?
                .to_string();
            let f = tokio::fs::File::open(&file).await?;
            let body =
                Box::pin(tokio_util::io::ReaderStream::new(f).map_err(std::io::Error::other));
            let doc = adapters
                .documents()
                .upload(tenant, &actor, client, &name, body)
                .await?;
            Ok(json!({ "document_id": doc.doc_id.to_string() }))
        }
        Command::WopiSession {
            tenant,
            document,
            user,
            action,
        } => {
            let tenant = TenantId(uuid_arg("tenant", &tenant)?);
            let user = UserId(uuid_arg("user", &user)?);
            let doc = DocId::parse(&document)?;
            let permission = match action {
                Action::Edit => Permission::Edit,
                Action::View => Permission::View,
            };
            let token = adapters
                .wopi_host()
                .open_session(tenant, user, doc, permission)
                .await?;
            Ok(json!({
                "wopi_src": format!("{}/wopi/files/{doc}", base.trim_end_matches('/')),
                "access_token": token.access_token,
                "access_token_ttl": token.access_token_ttl,
            }))
        }
        Command::DevToken { tenant, user } => {
            let tenant = TenantId(uuid_arg("tenant", &tenant)?);
            let user = UserId(uuid_arg("user", &user)?);
            load_user(&adapters, tenant, user)
                .await?
                .ok_or_else(|| Failure("no such user in this tenant".into()))?;
            let token = bridge_http::auth::issue_api_token(
                adapters.signing_key.expose_secret(),
                tenant,
                user,
                adapters.clock.now_ms(),
                bridge_http::auth::DEV_TOKEN_TTL_MS,
            )?;
            Ok(json!({ "token": token }))
        }
        Command::Invite { tenant, by, email } => {
            let by = actor(&tenant, &by)?;
            let sent = directory(&adapters)?
                .invite(
                    by,
                    Invitee::Email { email },
                    Role::User,
                    Vec::new(),
                    adapters.clock.now_ms(),
                )
                .await?;
            Ok(json!({
                "invitation_id": sent.invitation.id.to_string(),
                "accept_url": sent.accept_url,
            }))
        }
        Command::Invitation { tenant, id } => {
            let tenant = TenantId(uuid_arg("tenant", &tenant)?);
            let id = uuid_arg("id", &id)?;
            let item = adapters
                .table
                .get(&bridge_directory::keys::invitation(tenant, id))
                .await?
                .ok_or_else(|| Failure("no such invitation in this tenant".into()))?;
            let inv: Invitation = serde_json::from_value(Value::Object(item.attrs))?;
            Ok(json!({
                "state": inv.effective_state(adapters.clock.now_ms()),
                "expires_at": inv.expires_at_ms,
            }))
        }
        Command::EnablePartners { tenant, by } => {
            let by = actor(&tenant, &by)?;
            let dir = directory(&adapters)?;
            dir.set_partner_relations_subscription(by.tenant, true)
                .await?;
            let t = dir.set_findable(by, true).await?;
            Ok(json!({
                "partner_relations": t.partner_relations,
                "findable": t.findable,
            }))
        }
        Command::RelationRequest {
            from_tenant,
            by,
            to_tenant,
            to_user,
        } => {
            let by = actor(&from_tenant, &by)?;
            let to_tenant = TenantId(uuid_arg("to-tenant", &to_tenant)?);
            let to_user = UserId(uuid_arg("to-user", &to_user)?);
            let sent = directory(&adapters)?
                .request_relation(by, to_tenant, to_user, adapters.clock.now_ms())
                .await?;
            Ok(json!({
                "request_id": sent.request.id.to_string(),
                "accept_url": sent.accept_url,
            }))
        }
        Command::RelationRequestStatus { id } => {
            let id = uuid_arg("id", &id)?;
            let state = directory(&adapters)?
                .relation_request_state(id, adapters.clock.now_ms())
                .await?;
            Ok(json!({ "state": state }))
        }
        Command::SweepBlobs { grace_hours, max } => {
            let r = adapters
                .documents()
                .sweep_staged(i64::from(grace_hours) * 3_600_000, max)
                .await?;
            Ok(json!({
                "examined": r.examined,
                "blobs_deleted": r.blobs_deleted,
                "committed": r.committed,
                "unreadable": r.unreadable,
            }))
        }
    }
}

fn actor(tenant: &str, user: &str) -> Result<Actor, Failure> {
    Ok(Actor {
        tenant: TenantId(uuid_arg("tenant", tenant)?),
        user: UserId(uuid_arg("by", user)?),
    })
}

fn directory(adapters: &Adapters) -> Result<bridge_directory::Directory, Failure> {
    Ok(bridge_platform::directory::service(adapters)?)
}

async fn seed(adapters: &Adapters, name: &str) -> Result<Value, Failure> {
    if name.trim().is_empty() || name.len() > 200 {
        return Err(Failure("--tenant must be 1..=200 characters".into()));
    }
    let editor = format!("{name} Editor");
    let viewer = format!("{name} Viewer");
    let (tenant, users) = new_tenant(
        adapters,
        name,
        &[
            (editor.as_str(), &[Right::AddDocument]),
            (viewer.as_str(), &[]),
        ],
    );
    store_tenant(adapters, &tenant, &users, Vec::new()).await?;
    let first = users.first().ok_or_else(|| Failure("no users".into()))?;
    // The editor is the tenant's super admin (as after an install): manages users, is a
    // relation manager, and has an address for mail.
    let admin_email = format!("admin-{}@example.com", tenant.id.0.simple());
    let admin = directory(adapters)?
        .adopt_tenant(tenant.id, first.id, &admin_email)
        .await?;
    let client = adapters
        .documents()
        .create_client(tenant.id, first, "Client file")
        .await?;
    Ok(json!({
        "tenant_id": tenant.id.to_string(),
        "client_id": client.client_id.to_string(),
        "users": users.iter().map(|u| {
            let rights = if u.id == admin.user.id { &admin.user.rights } else { &u.rights };
            json!({
                "id": u.id.to_string(),
                "name": u.name,
                "rights": rights,
            })
        }).collect::<Vec<_>>(),
    }))
}
