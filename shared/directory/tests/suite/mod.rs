//! The directory suite, written once against the ports; `tests/adapters.rs` runs every case
//! against the in-memory table and against SQLite.
//!
//! Abuse cases assert "clear error and no state change" by comparing a snapshot of every item
//! under every partition the service has written to (or tried to) before and after.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use bridge_core::tenant::{Group, Right, Role, TenantId, UserId};
use bridge_core::{ManualClock, RandomIds};
use bridge_directory::{
    AccessChange, Actor, Directory, DirectoryConfig, Invitee, MailRequest, Outbox, QueueFailed,
    ShareJob, ShareQueue, SignedInPerson,
};
use bridge_store::memory::MemoryTable;
use bridge_store::sqlite::SqliteTable;
use bridge_store::{Condition, Item, Key, Page, Query, StoreError, Table, Update, WriteOp};
use serde_json::{Map, Value};

mod install;
mod invitations;
mod join;
mod partners;
mod users;

pub use install::*;
pub use invitations::*;
pub use join::*;
pub use partners::*;
pub use users::*;

/// The public URL links are built on.
pub const PUBLIC_URL: &str = "https://bridge.example";

/// Invitations per tenant per day in the suite (low, so the flood test is short).
pub const INVITES_PER_DAY: u32 = 12;

/// Join requests per tenant per hour in the suite.
pub const JOINS_PER_HOUR: u32 = 5;

/// A table that remembers every partition a write touched (or tried to), so a snapshot can cover
/// everything the service ever wrote.
#[derive(Debug)]
pub struct RecordingTable {
    inner: Arc<dyn Table>,
    pks: Mutex<BTreeSet<String>>,
}

impl RecordingTable {
    fn new(inner: Arc<dyn Table>) -> Self {
        RecordingTable {
            inner,
            pks: Mutex::new(BTreeSet::new()),
        }
    }

    fn note(&self, key: &Key) {
        self.pks.lock().unwrap().insert(key.pk.clone());
    }

    /// Every item of every partition written so far.
    pub async fn snapshot(&self) -> BTreeMap<Key, Map<String, Value>> {
        let pks: Vec<String> = self.pks.lock().unwrap().iter().cloned().collect();
        let mut out = BTreeMap::new();
        for pk in pks {
            let mut cursor = None;
            loop {
                let page = self
                    .inner
                    .query(&Query::partition(&pk).limit(1000).after(cursor))
                    .await
                    .unwrap();
                for item in page.items {
                    out.insert(item.key, item.attrs);
                }
                match page.next {
                    Some(c) => cursor = Some(c),
                    None => break,
                }
            }
        }
        out
    }

    /// Items of one partition whose sort key starts with `prefix`.
    pub async fn items(&self, pk: &str, prefix: &str) -> Vec<Item> {
        self.inner
            .query(&Query::partition(pk).prefix(prefix).limit(1000))
            .await
            .unwrap()
            .items
    }
}

#[async_trait]
impl Table for RecordingTable {
    async fn get(&self, key: &Key) -> Result<Option<Item>, StoreError> {
        self.inner.get(key).await
    }

    async fn put(&self, item: Item, condition: Option<Condition>) -> Result<(), StoreError> {
        self.note(&item.key);
        self.inner.put(item, condition).await
    }

    async fn update(
        &self,
        key: &Key,
        update: Update,
        condition: Option<Condition>,
    ) -> Result<Item, StoreError> {
        self.note(key);
        self.inner.update(key, update, condition).await
    }

    async fn delete(
        &self,
        key: &Key,
        condition: Option<Condition>,
    ) -> Result<Option<Item>, StoreError> {
        self.note(key);
        self.inner.delete(key, condition).await
    }

    async fn query(&self, query: &Query) -> Result<Page, StoreError> {
        self.inner.query(query).await
    }

    async fn transact(&self, ops: Vec<WriteOp>) -> Result<(), StoreError> {
        for op in &ops {
            self.note(op.key());
        }
        self.inner.transact(ops).await
    }

    async fn ready(&self) -> Result<(), StoreError> {
        self.inner.ready().await
    }
}

/// An outbox that keeps what it was given, and can be made to refuse.
#[derive(Debug, Default)]
pub struct FakeOutbox {
    pub sent: Mutex<Vec<MailRequest>>,
    pub fail: AtomicBool,
}

#[async_trait]
impl Outbox for FakeOutbox {
    async fn queue(&self, mail: MailRequest) -> Result<(), QueueFailed> {
        if self.fail.load(Ordering::SeqCst) {
            return Err(QueueFailed("outbox down".into()));
        }
        self.sent.lock().unwrap().push(mail);
        Ok(())
    }
}

impl FakeOutbox {
    pub fn sent(&self) -> Vec<MailRequest> {
        self.sent.lock().unwrap().clone()
    }
}

/// A share queue that keeps its jobs for the test to deliver.
#[derive(Debug, Default)]
pub struct FakeShares {
    pub jobs: Mutex<Vec<ShareJob>>,
}

#[async_trait]
impl ShareQueue for FakeShares {
    async fn enqueue(&self, job: ShareJob) -> Result<(), QueueFailed> {
        self.jobs.lock().unwrap().push(job);
        Ok(())
    }
}

/// One adapter with the service over it.
pub struct Env {
    pub dir: Directory,
    pub table: Arc<RecordingTable>,
    pub clock: ManualClock,
    pub outbox: Arc<FakeOutbox>,
    pub shares: Arc<FakeShares>,
    orgs: AtomicU32,
    _tmp: Option<tempfile::TempDir>,
}

impl Env {
    fn new(inner: Arc<dyn Table>, tmp: Option<tempfile::TempDir>) -> Env {
        let table = Arc::new(RecordingTable::new(inner));
        let outbox = Arc::new(FakeOutbox::default());
        let shares = Arc::new(FakeShares::default());
        let mut config = DirectoryConfig::new(format!("{PUBLIC_URL}/"));
        config.invitations_per_tenant_per_day = INVITES_PER_DAY;
        config.join_requests_per_tenant_per_hour = JOINS_PER_HOUR;
        let dir = Directory::new(
            table.clone(),
            Arc::new(RandomIds),
            outbox.clone(),
            shares.clone(),
            config,
        );
        Env {
            dir,
            table,
            clock: ManualClock::new(1_750_000_000_000),
            outbox,
            shares,
            orgs: AtomicU32::new(0),
            _tmp: tmp,
        }
    }

    pub fn now(&self) -> i64 {
        use bridge_core::Clock;
        self.clock.now_ms()
    }

    /// A new Microsoft 365 organisation (not installed).
    pub fn org(&self) -> Org {
        let n = self.orgs.fetch_add(1, Ordering::SeqCst);
        Org {
            tid: uuid::Uuid::new_v4().to_string(),
            domain: format!("org{n}.example"),
        }
    }

    /// Installs a new organisation; returns it, its tenant and its super admin.
    pub async fn installed(&self, name: &str) -> (Org, TenantId, Actor) {
        let org = self.org();
        let admin = org.admin("Ada Admin");
        let done = self
            .dir
            .install(&org.tid, &admin, name, self.now())
            .await
            .unwrap();
        let t = done.tenant.tenant.id;
        (
            org,
            t,
            Actor {
                tenant: t,
                user: done.super_admin.user.id,
            },
        )
    }

    /// A new user of `by`'s tenant (a person of `org`), invited by `by` and accepted, then given
    /// `role` and `groups`.
    pub async fn member(
        &self,
        org: &Org,
        by: Actor,
        name: &str,
        role: Role,
        rights: &[Right],
        groups: &[Group],
    ) -> (Actor, SignedInPerson) {
        let person = org.person(name);
        let sent = self
            .dir
            .invite(
                by,
                org.invitee(&person),
                Role::User,
                rights.to_vec(),
                self.now(),
            )
            .await
            .unwrap();
        let account = self
            .dir
            .accept_invitation(&sent.token, &person, self.now())
            .await
            .unwrap();
        let actor = Actor {
            tenant: by.tenant,
            user: account.user.id,
        };
        if role != Role::User || !groups.is_empty() {
            self.dir
                .change_access(
                    by,
                    actor.user,
                    AccessChange {
                        role: Some(role),
                        rights: None,
                        groups: Some(groups.to_vec()),
                    },
                )
                .await
                .unwrap();
        }
        (actor, person)
    }

    /// Two environments with partner relations in their subscription, both findable, each with
    /// a super admin and a relation manager (an advanced user in the group).
    pub async fn partner_pair(&self) -> Partners {
        let (org_a, a, admin_a) = self.installed("Alpha Zorg Amsterdam").await;
        let (org_b, b, admin_b) = self.installed("Beta Care Rotterdam").await;
        for (t, admin) in [(a, admin_a), (b, admin_b)] {
            self.dir
                .set_partner_relations_subscription(t, true)
                .await
                .unwrap();
            self.dir.set_findable(admin, true).await.unwrap();
        }
        let (rm_a, _) = self
            .member(
                &org_a,
                admin_a,
                "Rita Alpha",
                Role::AdvancedUser,
                &[Right::AddDocument],
                &[Group::RelationManagers],
            )
            .await;
        let (rm_b, _) = self
            .member(
                &org_b,
                admin_b,
                "Bram Beta",
                Role::AdvancedUser,
                &[Right::AddDocument],
                &[Group::RelationManagers],
            )
            .await;
        Partners {
            org_a,
            org_b,
            a,
            b,
            admin_a,
            admin_b,
            rm_a,
            rm_b,
        }
    }

    /// A request from A's to B's relation manager, accepted.
    pub async fn related(&self, p: &Partners) {
        let sent = self
            .dir
            .request_relation(p.rm_a, p.b, p.rm_b.user, self.now())
            .await
            .unwrap();
        self.dir
            .accept_relation_request(&sent.token, p.rm_b, self.now())
            .await
            .unwrap();
    }
}

/// Two environments ready for partner relations.
pub struct Partners {
    pub org_a: Org,
    pub org_b: Org,
    pub a: TenantId,
    pub b: TenantId,
    pub admin_a: Actor,
    pub admin_b: Actor,
    pub rm_a: Actor,
    pub rm_b: Actor,
}

/// A Microsoft 365 organisation.
#[derive(Debug, Clone)]
pub struct Org {
    pub tid: String,
    pub domain: String,
}

impl Org {
    /// A person of the organisation (not an admin).
    pub fn person(&self, name: &str) -> SignedInPerson {
        let local = name.to_lowercase().replace(' ', ".");
        SignedInPerson {
            tid: self.tid.clone(),
            oid: uuid::Uuid::new_v4().to_string(),
            name: name.to_string(),
            preferred_username: Some(format!("{local}@{}", self.domain)),
            verified_email: None,
            is_tenant_admin: false,
        }
    }

    /// An administrator of the organisation.
    pub fn admin(&self, name: &str) -> SignedInPerson {
        SignedInPerson {
            is_tenant_admin: true,
            ..self.person(name)
        }
    }

    /// The invitee for `person` as a manager picks them from Microsoft 365.
    pub fn invitee(&self, person: &SignedInPerson) -> Invitee {
        Invitee::Microsoft365 {
            tid: person.tid.clone(),
            oid: person.oid.clone(),
            upn: person.preferred_username.clone().unwrap(),
        }
    }
}

/// Memory table.
pub async fn memory() -> Option<Env> {
    Some(Env::new(Arc::new(MemoryTable::new()), None))
}

/// SQLite file (the embedded default of `bridge-local`).
pub async fn sqlite() -> Option<Env> {
    let dir = tempfile::tempdir().unwrap();
    let table = SqliteTable::open(&dir.path().join("state.db")).unwrap();
    Some(Env::new(Arc::new(table), Some(dir)))
}

/// Asserts that `f` leaves every item exactly as it was, and returns its result.
#[macro_export]
macro_rules! unchanged {
    ($env:expr, $f:expr) => {{
        let before = $env.table.snapshot().await;
        let out = $f;
        let after = $env.table.snapshot().await;
        assert_eq!(before, after, "a refused request changed state");
        out
    }};
}

/// An actor that is not `a`.
pub fn stranger(tenant: TenantId) -> Actor {
    Actor {
        tenant,
        user: UserId(uuid::Uuid::new_v4()),
    }
}
