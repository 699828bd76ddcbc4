//! In-process emulator of the parts of Microsoft Graph that m365-bridge uses: the client
//! credentials token endpoint, users, contact folders/contacts with change keys, `If-Match` and
//! exact delta, Outlook's per-app-per-mailbox throttling, subscriptions with the validation
//! handshake and change/lifecycle notification delivery (with fault injection), and `sendMail`.
//! It is also the Microsoft Entra identity provider for "Sign in with Microsoft" (OpenID Connect
//! authorization code flow with PKCE, RS256 id tokens, JWKS with key rotation, admin consent):
//! see the identity provider methods on [`Emulator`] (`sign_in`, `issue_id_token`,
//! `rotate_signing_key`, …).
//!
//! Start one with [`Emulator::start`]; it listens on `127.0.0.1:<random port>` and stops when
//! dropped. Point a Graph client at [`Emulator::base_url`] and its token requests at
//! [`Emulator::token_url`]. The Rust methods on [`Emulator`] set up tenants/apps/users, act as the
//! Outlook user (edits made that way are recorded for delta and fire notifications), inject
//! faults and read counters.

mod auth;
mod config;
mod delta;
mod error;
mod handlers;
mod idp;
mod mailbox;
mod notify;
mod router;
mod shared;
mod state;
mod throttle;
mod time;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::Value;

pub use config::EmulatorConfig;
pub use error::EmulatorError;
pub use idp::GLOBAL_ADMINISTRATOR_TEMPLATE_ID;
pub use mailbox::ChangeKind;
pub use notify::{DeliveryKind, DeliveryRecord, SentMail};

use mailbox::Coll;
use shared::{Shared, Target};
use state::{GraphState, IssuedToken, Tenant, User};

/// A directory user as returned by [`Emulator::add_user`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserInfo {
    /// Object id.
    pub id: String,
    /// `displayName`.
    pub display_name: String,
    /// `mail`.
    pub mail: String,
    /// `userPrincipalName`.
    pub user_principal_name: String,
}

/// A running emulator; the server stops when this is dropped.
#[derive(Debug)]
pub struct Emulator {
    shared: Arc<Shared>,
    addr: SocketAddr,
    server: tokio::task::JoinHandle<()>,
}

impl Drop for Emulator {
    fn drop(&mut self) {
        self.server.abort();
    }
}

impl Emulator {
    /// Binds `127.0.0.1:0` and serves in a task on the current Tokio runtime.
    pub async fn start(config: EmulatorConfig) -> Result<Self, EmulatorError> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let http = reqwest::Client::builder().build()?;
        let shared = Arc::new(Shared {
            state: Mutex::new(GraphState::default()),
            config,
            origin: format!("http://{addr}"),
            http,
            rt: tokio::runtime::Handle::current(),
        });
        let app = router::router(Arc::clone(&shared));
        let server = tokio::spawn(async move {
            if let Err(e) = axum::serve(listener, app).await {
                tracing::error!(error = %e, "graph emulator server stopped");
            }
        });
        Ok(Self {
            shared,
            addr,
            server,
        })
    }

    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Graph base URL, e.g. `http://127.0.0.1:PORT/v1.0`.
    pub fn base_url(&self) -> String {
        self.shared.graph_base()
    }

    /// Login authority (stands in for `https://login.microsoftonline.com`).
    pub fn authority(&self) -> String {
        self.shared.origin.clone()
    }

    /// Token endpoint for `tenant`: `http://127.0.0.1:PORT/{tenant}/oauth2/v2.0/token`.
    pub fn token_url(&self, tenant: &str) -> String {
        format!("{}/{tenant}/oauth2/v2.0/token", self.shared.origin)
    }

    /// The configuration in use.
    pub fn config(&self) -> &EmulatorConfig {
        &self.shared.config
    }

    // ----- directory -----

    /// Registers a tenant (no-op if it exists).
    pub fn add_tenant(&self, tenant_id: &str) {
        self.shared
            .lock()
            .tenants
            .entry(tenant_id.to_owned())
            .or_default();
    }

    /// Registers (or replaces) an app's client credentials in a tenant.
    pub fn add_app(
        &self,
        tenant_id: &str,
        client_id: &str,
        client_secret: &str,
    ) -> Result<(), EmulatorError> {
        let mut st = self.shared.lock();
        let t = tenant_mut(&mut st, tenant_id)?;
        t.apps
            .insert(client_id.to_owned(), client_secret.to_owned());
        Ok(())
    }

    /// Adds a user with an empty mailbox (one default "Contacts" folder).
    pub fn add_user(
        &self,
        tenant_id: &str,
        display_name: &str,
        user_principal_name: &str,
    ) -> Result<UserInfo, EmulatorError> {
        let id = uuid::Uuid::new_v4().to_string();
        self.add_user_with_id(tenant_id, &id, display_name, user_principal_name)
    }

    /// [`Emulator::add_user`] with a chosen object id, so a user keeps their identity across
    /// restarts of an emulator (the local runner's data directory outlives the emulator).
    pub fn add_user_with_id(
        &self,
        tenant_id: &str,
        id: &str,
        display_name: &str,
        user_principal_name: &str,
    ) -> Result<UserInfo, EmulatorError> {
        let mut st = self.shared.lock();
        if st
            .users
            .values()
            .any(|u| u.upn.eq_ignore_ascii_case(user_principal_name) || u.id == id)
        {
            return Err(EmulatorError::Conflict(format!(
                "user {user_principal_name} exists"
            )));
        }
        let id = id.to_owned();
        tenant_mut(&mut st, tenant_id)?.user_ids.push(id.clone());
        let user = User {
            id: id.clone(),
            tenant_id: tenant_id.to_owned(),
            display_name: display_name.to_owned(),
            mail: user_principal_name.to_owned(),
            upn: user_principal_name.to_owned(),
            mailbox: mailbox::Mailbox::default(),
        };
        let info = user_info(&user);
        st.users.insert(id, user);
        Ok(info)
    }

    /// Users of a tenant, in creation order.
    pub fn users(&self, tenant_id: &str) -> Vec<UserInfo> {
        let st = self.shared.lock();
        st.tenants
            .get(tenant_id)
            .map(|t| {
                t.user_ids
                    .iter()
                    .filter_map(|id| st.users.get(id))
                    .map(user_info)
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Issues an access token for a registered app without the token endpoint.
    pub fn issue_token(&self, tenant_id: &str, client_id: &str) -> Result<String, EmulatorError> {
        let mut st = self.shared.lock();
        let known = st
            .tenants
            .get(tenant_id)
            .ok_or_else(|| EmulatorError::UnknownTenant(tenant_id.to_owned()))?
            .apps
            .contains_key(client_id);
        if !known {
            return Err(EmulatorError::NotFound(format!("app {client_id}")));
        }
        let token = format!("emu.{}", uuid::Uuid::new_v4().simple());
        let expires = Instant::now() + self.shared.config.token_lifetime;
        st.tokens.insert(
            token.clone(),
            IssuedToken {
                tenant_id: tenant_id.to_owned(),
                app_id: client_id.to_owned(),
                expires,
            },
        );
        Ok(token)
    }

    /// Invalidates every issued token (the next Graph call answers 401).
    pub fn revoke_tokens(&self) {
        self.shared.lock().tokens.clear();
    }

    // ----- the Outlook user's own edits -----

    /// Id of the user's default contact folder.
    pub fn default_contact_folder(&self, user: &str) -> Result<String, EmulatorError> {
        self.default_folder(Coll::Contacts, user)
    }

    /// Id of the user's primary calendar.
    pub fn default_calendar(&self, user: &str) -> Result<String, EmulatorError> {
        self.default_folder(Coll::Events, user)
    }

    fn default_folder(&self, coll: Coll, user: &str) -> Result<String, EmulatorError> {
        let st = self.shared.lock();
        let id = st.resolve_user(None, user)?;
        Ok(st.user(&id)?.mailbox.default_folder(coll).to_owned())
    }

    /// Creates a contact folder; returns its id.
    pub fn create_contact_folder(&self, user: &str, name: &str) -> Result<String, EmulatorError> {
        self.create_folder(Coll::Contacts, user, name)
    }

    /// Creates a calendar; returns its id.
    pub fn create_calendar(&self, user: &str, name: &str) -> Result<String, EmulatorError> {
        self.create_folder(Coll::Events, user, name)
    }

    fn create_folder(&self, coll: Coll, user: &str, name: &str) -> Result<String, EmulatorError> {
        let mut st = self.shared.lock();
        let id = st.resolve_user(None, user)?;
        Ok(st.user_mut(&id)?.mailbox.create_folder(coll, name)?.id)
    }

    fn target<'a>(coll: Coll, user: &'a str, folder: Option<&'a str>) -> Target<'a> {
        Target {
            coll,
            tenant: None,
            user,
            folder,
        }
    }

    /// Creates a contact as the user would in Outlook (`folder` `None` = default folder);
    /// returns its Graph JSON. Recorded for delta; fires notifications.
    pub fn create_contact(
        &self,
        user: &str,
        folder: Option<&str>,
        fields: Value,
    ) -> Result<Value, EmulatorError> {
        self.shared.create_item(
            Self::target(Coll::Contacts, user, folder),
            fields_of(fields)?,
        )
    }

    /// Updates a contact as the user would (new changeKey); returns its Graph JSON.
    pub fn update_contact(
        &self,
        user: &str,
        id: &str,
        fields: Value,
    ) -> Result<Value, EmulatorError> {
        self.shared.update_item(
            Self::target(Coll::Contacts, user, None),
            id,
            fields_of(fields)?,
            None,
        )
    }

    /// Deletes a contact as the user would.
    pub fn delete_contact(&self, user: &str, id: &str) -> Result<(), EmulatorError> {
        self.shared
            .delete_item(Self::target(Coll::Contacts, user, None), id, None)
    }

    /// Current Graph JSON of a contact.
    pub fn contact(&self, user: &str, id: &str) -> Result<Value, EmulatorError> {
        self.item(Coll::Contacts, user, id)
    }

    /// Contacts of a folder (`None` = default folder), oldest first.
    pub fn contacts(&self, user: &str, folder: Option<&str>) -> Result<Vec<Value>, EmulatorError> {
        self.items(Coll::Contacts, user, folder)
    }

    /// Creates an event as the user would in Outlook (`calendar` `None` = primary calendar);
    /// needs `start`/`end` (`{"dateTime","timeZone"}`, read as UTC). Fires notifications.
    pub fn create_event(
        &self,
        user: &str,
        calendar: Option<&str>,
        fields: Value,
    ) -> Result<Value, EmulatorError> {
        self.shared.create_item(
            Self::target(Coll::Events, user, calendar),
            fields_of(fields)?,
        )
    }

    /// Updates an event as the user would (new changeKey).
    pub fn update_event(
        &self,
        user: &str,
        id: &str,
        fields: Value,
    ) -> Result<Value, EmulatorError> {
        self.shared.update_item(
            Self::target(Coll::Events, user, None),
            id,
            fields_of(fields)?,
            None,
        )
    }

    /// Deletes an event as the user would.
    pub fn delete_event(&self, user: &str, id: &str) -> Result<(), EmulatorError> {
        self.shared
            .delete_item(Self::target(Coll::Events, user, None), id, None)
    }

    /// Current Graph JSON of an event.
    pub fn event(&self, user: &str, id: &str) -> Result<Value, EmulatorError> {
        self.item(Coll::Events, user, id)
    }

    /// Events of a calendar (`None` = primary calendar), oldest first.
    pub fn events(&self, user: &str, calendar: Option<&str>) -> Result<Vec<Value>, EmulatorError> {
        self.items(Coll::Events, user, calendar)
    }

    fn item(&self, coll: Coll, user: &str, id: &str) -> Result<Value, EmulatorError> {
        let st = self.shared.lock();
        let uid = st.resolve_user(None, user)?;
        Ok(st.user(&uid)?.mailbox.item(coll, id)?.to_json())
    }

    fn items(
        &self,
        coll: Coll,
        user: &str,
        folder: Option<&str>,
    ) -> Result<Vec<Value>, EmulatorError> {
        let st = self.shared.lock();
        let uid = st.resolve_user(None, user)?;
        let mb = &st.user(&uid)?.mailbox;
        let folder = folder.unwrap_or(mb.default_folder(coll));
        mb.folder(coll, folder)?;
        Ok(mb
            .items_in(coll, folder)
            .iter()
            .map(|i| i.to_json())
            .collect())
    }

    /// Makes every delta token of the mailbox stale: the next delta call with one answers 410
    /// `syncStateNotFound`.
    pub fn invalidate_delta_tokens(&self, user: &str) -> Result<(), EmulatorError> {
        let mut st = self.shared.lock();
        let uid = st.resolve_user(None, user)?;
        st.user_mut(&uid)?.mailbox.delta_epoch += 1;
        Ok(())
    }

    // ----- throttling -----

    /// The next `n` requests on `user`'s mailbox answer 429 with `Retry-After: retry_after_secs`.
    pub fn inject_429s(
        &self,
        user: &str,
        n: u32,
        retry_after_secs: u64,
    ) -> Result<(), EmulatorError> {
        let mut st = self.shared.lock();
        let uid = st.resolve_user(None, user)?;
        st.throttle.inject(&uid, n, retry_after_secs);
        Ok(())
    }

    fn counters(&self, user: &str) -> throttle::Counters {
        let st = self.shared.lock();
        let uid = st
            .resolve_user(None, user)
            .unwrap_or_else(|_| user.to_owned());
        st.throttle.counters(&uid)
    }

    /// Highest number of requests one app had in flight on `user`'s mailbox at once.
    pub fn max_concurrency_seen(&self, user: &str) -> u32 {
        self.counters(user).max_concurrency_seen
    }

    /// Requests on `user`'s mailbox answered 429 (limits and injected).
    pub fn throttled_count(&self, user: &str) -> u64 {
        self.counters(user).throttled
    }

    /// All requests received for `user`'s mailbox (including throttled ones).
    pub fn request_count(&self, user: &str) -> u64 {
        self.counters(user).requests
    }

    // ----- subscriptions and deliveries -----

    /// Graph JSON of all active subscriptions (all apps).
    pub fn subscriptions(&self) -> Vec<Value> {
        self.shared
            .lock()
            .subscriptions
            .iter()
            .map(notify::Subscription::to_json)
            .collect()
    }

    /// The next `n` notifications are each delivered twice.
    pub fn duplicate_next_deliveries(&self, n: u32) {
        self.shared.lock().control.duplicate_next += n;
    }

    /// The next `k` notifications are dropped (recorded with `dropped: true`, never sent).
    pub fn drop_next_deliveries(&self, k: u32) {
        self.shared.lock().control.drop_next += k;
    }

    /// The next notification is sent after `delay` (later ones overtake it: reordering).
    pub fn delay_next_delivery(&self, delay: Duration) {
        self.shared.lock().control.delay_next = Some(delay);
    }

    /// Sends a lifecycle notification (`reauthorizationRequired`, `subscriptionRemoved` or
    /// `missed`) to the subscription's lifecycle URL. `subscriptionRemoved` also deletes it.
    pub fn send_lifecycle(&self, subscription_id: &str, event: &str) -> Result<(), EmulatorError> {
        if !["reauthorizationRequired", "subscriptionRemoved", "missed"].contains(&event) {
            return Err(EmulatorError::Invalid(format!("lifecycle event {event}")));
        }
        let out = {
            let mut st = self.shared.lock();
            let sub = st
                .subscriptions
                .iter()
                .find(|s| s.id == subscription_id)
                .ok_or_else(|| {
                    EmulatorError::NotFound(format!("subscription {subscription_id}"))
                })?;
            let out = notify::lifecycle_notification(sub, event).ok_or_else(|| {
                EmulatorError::Invalid("the subscription has no lifecycleNotificationUrl".into())
            })?;
            if event == "subscriptionRemoved" {
                st.subscriptions.retain(|s| s.id != subscription_id);
            }
            out
        };
        notify::dispatch(&self.shared, vec![out]);
        Ok(())
    }

    /// Every recorded outgoing call (handshakes, notifications, dropped ones), in completion order.
    pub fn deliveries(&self) -> Vec<DeliveryRecord> {
        self.shared.lock().deliveries.clone()
    }

    /// Waits until at least `n` records of `kind` exist (or `timeout` passes); returns them.
    pub async fn wait_for_deliveries(
        &self,
        kind: DeliveryKind,
        n: usize,
        timeout: Duration,
    ) -> Vec<DeliveryRecord> {
        let deadline = Instant::now() + timeout;
        loop {
            let found: Vec<DeliveryRecord> = self
                .deliveries()
                .into_iter()
                .filter(|d| d.kind == kind)
                .collect();
            if found.len() >= n || Instant::now() >= deadline {
                return found;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    // ----- mail -----

    /// Messages accepted by `sendMail`, in order.
    pub fn outbox(&self) -> Vec<SentMail> {
        self.shared.lock().outbox.clone()
    }
}

fn tenant_mut<'a>(
    st: &'a mut GraphState,
    tenant_id: &str,
) -> Result<&'a mut Tenant, EmulatorError> {
    st.tenants
        .get_mut(tenant_id)
        .ok_or_else(|| EmulatorError::UnknownTenant(tenant_id.to_owned()))
}

fn user_info(u: &User) -> UserInfo {
    UserInfo {
        id: u.id.clone(),
        display_name: u.display_name.clone(),
        mail: u.mail.clone(),
        user_principal_name: u.upn.clone(),
    }
}

fn fields_of(v: Value) -> Result<serde_json::Map<String, Value>, EmulatorError> {
    match v {
        Value::Object(m) => Ok(m),
        _ => Err(EmulatorError::Invalid(
            "contact fields must be a JSON object".into(),
        )),
    }
}
