//! Partners: who may use them (PAR-1, PAR-2), findable environments and search (PAR-3).
//!
//! An environment is *published* while its subscription includes partner relations and it opted
//! in to being findable. Publishing writes a public profile (`SYS#partner#<tenant>`) and name
//! index entries (`SYS#findable` / `N#<words>#<tenant>`, one per word position, so "Zorg & Co
//! Amsterdam" is found by "zorg", "co am" and "amster"), in the same transaction as the setting;
//! unpublishing deletes what the profile lists. Relation managers are published per user
//! (`SYS#relmgr#<tenant>`, kept in step by every user change), so a search reads only `SYS#`
//! items, never another tenant's partition.
//!
//! Search answers public details only (name, id, relation managers' names and ids), needs at
//! least three letters or digits, returns at most ten environments and is rate-limited per user
//! (20 a minute), so the list of environments cannot be walked.

use bridge_core::clock::EpochMillis;
use bridge_core::tenant::{Role, TenantId, UserAccount};
use bridge_store::{Item, Query, StoreError, Update, WriteOp};

use crate::error::{DirectoryError, Result};
use crate::model::{Actor, PartnerSuggestion, PublicManager, TenantRecord};
use crate::store::{Committed, Tx, Window, at_version, count_op, new_item};
use crate::users::PublishedManager;
use crate::{Directory, keys, store};

/// One minute in milliseconds.
const MINUTE_MS: i64 = 60_000;

/// Most index entries per environment (word positions of its name).
const MAX_INDEX_ENTRIES: usize = 8;

/// Longest indexed name, in characters.
const MAX_INDEXED_CHARS: usize = 120;

/// Most relation managers a suggestion lists.
const MAX_MANAGERS_SHOWN: usize = 20;

/// A published environment's public profile.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub(crate) struct Profile {
    pub tenant_id: TenantId,
    pub name: String,
    /// Sort keys of its entries under [`keys::FINDABLE_PK`], so unpublishing finds them all.
    pub index_sks: Vec<String>,
}

/// An entry of the name index.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
struct IndexEntry {
    tenant_id: TenantId,
    name: String,
}

/// A name as the index compares it: lower case, letters and digits, single spaces.
pub fn normalize_name(name: &str) -> String {
    let mapped: String = name
        .chars()
        .flat_map(char::to_lowercase)
        .map(|c| if c.is_alphanumeric() { c } else { ' ' })
        .collect();
    mapped.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The index keys of a name: the normalised name from each word on.
fn index_terms(name: &str) -> Vec<String> {
    let norm: String = normalize_name(name)
        .chars()
        .take(MAX_INDEXED_CHARS)
        .collect();
    let words: Vec<&str> = norm.split(' ').filter(|w| !w.is_empty()).collect();
    let mut terms: Vec<String> = (0..words.len().min(MAX_INDEX_ENTRIES))
        .map(|i| words[i..].join(" "))
        .collect();
    terms.dedup();
    terms
}

impl Directory {
    /// The actor, if they may use Partners: active, at least an advanced user, in the group
    /// "relation managers" (PAR-1), in a tenant whose subscription includes partner relations
    /// (PAR-2).
    pub(crate) async fn relation_manager(&self, by: Actor) -> Result<(UserAccount, TenantRecord)> {
        let (account, _) = self.acting(by).await?;
        let (tenant, _) = self.load_tenant(by.tenant).await?;
        if !tenant.partner_relations {
            return Err(DirectoryError::PartnerRelationsNotInSubscription);
        }
        if !account.is_relation_manager() {
            return Err(DirectoryError::NotARelationManager);
        }
        Ok((account, tenant))
    }

    /// Whether the actor may open Partners (for the UI to show or hide it); `Ok(())` or the
    /// reason why not.
    pub async fn check_partner_access(&self, by: Actor) -> Result<()> {
        self.relation_manager(by).await.map(|_| ())
    }

    /// Switches partner relations in a tenant's subscription (PAR-2). For the operator (billing,
    /// `bridge-admin`), not for users: there is no actor. Switching off unpublishes the tenant.
    pub async fn set_partner_relations_subscription(
        &self,
        tenant: TenantId,
        enabled: bool,
    ) -> Result<TenantRecord> {
        let (old, ver) = self.load_tenant(tenant).await?;
        let mut new = old.clone();
        new.partner_relations = enabled;
        self.write_partner_settings(&old, &new, ver).await?;
        Ok(new)
    }

    /// Opts the actor's environment in or out of being findable by other environments (PAR-3).
    /// Needs an admin (or super admin) and, to opt in, partner relations in the subscription.
    pub async fn set_findable(&self, by: Actor, findable: bool) -> Result<TenantRecord> {
        let (actor, _) = self.acting(by).await?;
        if actor.role < Role::Admin {
            return Err(DirectoryError::Forbidden(
                "only admins change whether the environment can be found".into(),
            ));
        }
        let (old, ver) = self.load_tenant(by.tenant).await?;
        if findable && !old.partner_relations {
            return Err(DirectoryError::PartnerRelationsNotInSubscription);
        }
        let mut new = old.clone();
        new.findable = findable;
        self.write_partner_settings(&old, &new, ver).await?;
        Ok(new)
    }

    /// Writes the tenant's partner settings and (un)publishes it, in one transaction.
    async fn write_partner_settings(
        &self,
        old: &TenantRecord,
        new: &TenantRecord,
        ver: i64,
    ) -> Result<()> {
        if old == new {
            return Ok(());
        }
        let t = new.tenant.id;
        let mut tx = Tx::new();
        tx.push(
            WriteOp::Update {
                key: keys::tenant(t),
                update: Update::new()
                    .set("partner_relations", new.partner_relations)
                    .set("findable", new.findable)
                    .add(store::VER, 1),
                condition: Some(at_version(ver)),
            },
            Some(DirectoryError::Conflict),
        );
        let published = |r: &TenantRecord| r.partner_relations && r.findable;
        if published(new) && !published(old) {
            let terms = index_terms(&new.tenant.name);
            let index_sks: Vec<String> = terms
                .iter()
                .map(|term| keys::findable(term, t).sk)
                .collect();
            let profile = Profile {
                tenant_id: t,
                name: new.tenant.name.clone(),
                index_sks: index_sks.clone(),
            };
            tx.push(
                WriteOp::Put {
                    item: new_item(keys::partner_profile(t), &profile)?,
                    condition: None,
                },
                Some(DirectoryError::Conflict),
            );
            for sk in index_sks {
                let entry = IndexEntry {
                    tenant_id: t,
                    name: new.tenant.name.clone(),
                };
                tx.push(
                    WriteOp::Put {
                        item: Item {
                            key: bridge_store::Key::new(keys::FINDABLE_PK, sk),
                            attrs: store::attrs(&entry)?,
                        },
                        condition: None,
                    },
                    Some(DirectoryError::Conflict),
                );
            }
        } else if published(old) && !published(new) {
            let profile_key = keys::partner_profile(t);
            if let Some(item) = self.table.get(&profile_key).await? {
                let profile: Profile = store::record(&item, "partner profile")?;
                for sk in profile.index_sks {
                    tx.push(
                        WriteOp::Delete {
                            key: bridge_store::Key::new(keys::FINDABLE_PK, sk),
                            condition: None,
                        },
                        Some(DirectoryError::Conflict),
                    );
                }
            }
            tx.push(
                WriteOp::Delete {
                    key: profile_key,
                    condition: None,
                },
                Some(DirectoryError::Conflict),
            );
        }
        match tx.commit(self.table.as_ref()).await? {
            Committed::Done => Ok(()),
            Committed::Refused(e) => Err(e.unwrap_or(DirectoryError::Conflict)),
        }
    }

    /// The published profile of `tenant`, if it is findable.
    pub(crate) async fn profile(&self, tenant: TenantId) -> Result<Option<Profile>> {
        match self.table.get(&keys::partner_profile(tenant)).await? {
            None => Ok(None),
            Some(item) => Ok(Some(store::record(&item, "partner profile")?)),
        }
    }

    /// A published relation manager of `tenant`, if `user` is one.
    pub(crate) async fn published_manager(
        &self,
        tenant: TenantId,
        user: bridge_core::tenant::UserId,
    ) -> Result<Option<PublishedManager>> {
        match self.table.get(&keys::relmgr(tenant, user)).await? {
            None => Ok(None),
            Some(item) => Ok(Some(store::record(&item, "relation manager")?)),
        }
    }

    /// Finds other environments by name (PAR-3): suggestions with public details only.
    ///
    /// Needs partner access; `query` needs at least
    /// [`crate::DirectoryConfig::min_search_chars`] letters or digits
    /// ([`DirectoryError::QueryTooShort`]); each user has
    /// [`crate::DirectoryConfig::searches_per_user_per_minute`] searches a minute
    /// ([`DirectoryError::RateLimited`]).
    pub async fn search_partners(
        &self,
        by: Actor,
        query: &str,
        now: EpochMillis,
    ) -> Result<Vec<PartnerSuggestion>> {
        self.relation_manager(by).await?;
        let q: String = normalize_name(query)
            .chars()
            .take(MAX_INDEXED_CHARS)
            .collect();
        let min = self.config.min_search_chars;
        if q.chars().filter(|c| c.is_alphanumeric()).count() < min {
            return Err(DirectoryError::QueryTooShort { min });
        }
        let minute = Window::of(now, MINUTE_MS);
        let WriteOp::Update {
            key,
            update,
            condition,
        } = count_op(
            keys::rate(by.tenant, "search", &by.user.to_string(), minute.index),
            self.config.searches_per_user_per_minute,
            minute,
        )
        else {
            return Err(DirectoryError::Internal("counter is not an update".into()));
        };
        match self.table.update(&key, update, condition).await {
            Ok(_) => {}
            Err(StoreError::ConditionFailed) => {
                return Err(DirectoryError::RateLimited {
                    retry_after_ms: minute.end_ms - now,
                });
            }
            Err(e) => return Err(e.into()),
        }
        let page = self
            .table
            .query(
                &Query::partition(keys::FINDABLE_PK)
                    .prefix(format!("{}{q}", keys::FINDABLE_PREFIX))
                    .limit(100),
            )
            .await?;
        let mut found: Vec<IndexEntry> = Vec::new();
        for item in &page.items {
            let entry: IndexEntry = store::record(item, "findable entry")?;
            if entry.tenant_id != by.tenant && !found.iter().any(|f| f.tenant_id == entry.tenant_id)
            {
                found.push(entry);
            }
            if found.len() >= self.config.max_suggestions {
                break;
            }
        }
        let mut out = Vec::with_capacity(found.len());
        for entry in found {
            let managers = self
                .table
                .query(
                    &Query::partition(keys::relmgr_pk(entry.tenant_id))
                        .prefix(keys::RELMGR_PREFIX)
                        .limit(MAX_MANAGERS_SHOWN),
                )
                .await?;
            let relation_managers = managers
                .items
                .iter()
                .map(|i| {
                    store::record::<PublishedManager>(i, "relation manager").map(|m| {
                        PublicManager {
                            user_id: m.user_id,
                            name: m.name,
                        }
                    })
                })
                .collect::<Result<Vec<_>>>()?;
            out.push(PartnerSuggestion {
                tenant_id: entry.tenant_id,
                name: entry.name,
                relation_managers,
            });
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_indexed_from_every_word() {
        assert_eq!(
            normalize_name("  Zorg & Co.  Amsterdam "),
            "zorg co amsterdam"
        );
        assert_eq!(
            index_terms("Zorg & Co Amsterdam"),
            vec!["zorg co amsterdam", "co amsterdam", "amsterdam"]
        );
        assert_eq!(normalize_name("Ünïcode-Zorg"), "ünïcode zorg");
        assert!(index_terms("!!!").is_empty());
    }
}
