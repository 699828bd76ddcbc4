//! Relation requests and partner relations (PAR-4, PAR-6).
//!
//! A relation manager asks a chosen relation manager of a findable environment. One transaction
//! writes the request into both partitions (`RELREQ#OUT#<id>` at the requester, `RELREQ#IN#<id>`
//! at the addressee), the pair's pending marker (`SYS#relpair#<lo>#<hi>`: one pending request per
//! pair of environments, whichever side asks) and the token lookup, and counts the request
//! against the requesting tenant's daily limit. The addressee gets a mail with a single-use link.
//!
//! States: `pending` → `accepted` | `declined` (by the addressee) | `revoked` (by the
//! requesting side); pending past expiry *is* expired. Only the addressed person, signed in to
//! their own environment, can accept or decline; the token alone is not enough. Accepting writes,
//! in one transaction, both copies of the request, the removal of the pair marker and the
//! relation on both sides (`REL#<partner>`), each side's item carrying the relation group.

use bridge_core::clock::EpochMillis;
use bridge_core::tenant::{TenantId, UserId};
use bridge_store::{Condition, Cursor, Update, WriteOp};
use serde_json::Value;
use uuid::Uuid;

use crate::error::{DirectoryError, Result};
use crate::model::{
    Actor, Relation, RelationMember, RelationRequest, RelationRequestSent, RelationRequestState,
};
use crate::ports::{MailKind, MailRequest};
use crate::secret::{new_token, token_hash};
use crate::store::{Committed, Tx, Window, count_op, equals, json, new_item, pending_at};
use crate::{DAY_MS, Directory, Listing, keys, store};

/// Attribute both copies of a relation carry, always equal: the version of the group, so one
/// side can change the group on both without reading the other side's partition.
const GROUP_VER: &str = "group_ver";

/// The token lookup item.
/// Where a relation request is stored, by id.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
struct RequestLocation {
    from_tenant: TenantId,
}

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
struct TokenLink {
    to_tenant: TenantId,
    request: Uuid,
}

/// The pair marker.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
struct PairMarker {
    request_id: Uuid,
    expires_at_ms: EpochMillis,
}

/// The refusal for a request that cannot be answered any more, if it cannot.
fn unusable(r: &RelationRequest, now: EpochMillis) -> Option<DirectoryError> {
    match r.effective_state(now) {
        RelationRequestState::Pending => None,
        RelationRequestState::Accepted | RelationRequestState::Declined => {
            Some(DirectoryError::AlreadyUsed)
        }
        RelationRequestState::Revoked => Some(DirectoryError::Revoked),
        RelationRequestState::Expired => Some(DirectoryError::Expired),
    }
}

/// The writes that close a pending request in both partitions and free the pair.
fn close_ops(
    r: &RelationRequest,
    state: RelationRequestState,
    relation: Option<Uuid>,
    now: EpochMillis,
) -> Result<Vec<(WriteOp, Option<DirectoryError>)>> {
    let mut update = Update::new()
        .set("state", json(&state)?)
        .set("decided_at_ms", now)
        .add(store::VER, 1);
    if let Some(id) = relation {
        update = update.set("relation_id", json(&id)?);
    }
    Ok(vec![
        (
            WriteOp::Update {
                key: keys::relreq_in(r.to_tenant, r.id),
                update: update.clone(),
                condition: Some(pending_at("pending", now)),
            },
            None,
        ),
        (
            WriteOp::Update {
                key: keys::relreq_out(r.from_tenant, r.id),
                update,
                condition: Some(pending_at("pending", now)),
            },
            None,
        ),
        (
            WriteOp::Delete {
                key: keys::relation_pair(r.from_tenant, r.to_tenant),
                condition: Some(Condition::NotExists.or(equals("request_id", json(&r.id)?))),
            },
            Some(DirectoryError::Conflict),
        ),
    ])
}

impl Directory {
    /// Sends a relation request to relation manager `to_user` of environment `to_tenant`
    /// (PAR-4), who gets an e-mail with a link to accept.
    ///
    /// Needs partner access. `to_tenant` must be findable and `to_user` one of its relation
    /// managers ([`DirectoryError::NotFound`] otherwise, also for unfindable environments).
    /// Refused, changing nothing: already partners; a request between the two environments is
    /// pending (either direction); the tenant's daily limit is reached.
    pub async fn request_relation(
        &self,
        by: Actor,
        to_tenant: TenantId,
        to_user: UserId,
        now: EpochMillis,
    ) -> Result<RelationRequestSent> {
        let (actor, tenant) = self.relation_manager(by).await?;
        if to_tenant == by.tenant {
            return Err(DirectoryError::Invalid(
                "an environment cannot be its own partner".into(),
            ));
        }
        let profile = self
            .profile(to_tenant)
            .await?
            .ok_or(DirectoryError::NotFound("environment"))?;
        let manager = self
            .published_manager(to_tenant, to_user)
            .await?
            .ok_or(DirectoryError::NotFound("relation manager"))?;
        let to_address = manager.email.clone().ok_or_else(|| {
            DirectoryError::Invalid(
                "that relation manager has no e-mail address; choose another".into(),
            )
        })?;
        if self
            .table
            .get(&keys::relation(by.tenant, to_tenant))
            .await?
            .is_some()
        {
            return Err(DirectoryError::AlreadyPartners);
        }
        let request = RelationRequest {
            id: self.ids.new_id(),
            from_tenant: by.tenant,
            from_tenant_name: tenant.tenant.name.clone(),
            from_user: actor.user.id,
            from_user_name: actor.user.name.clone(),
            to_tenant,
            to_tenant_name: profile.name.clone(),
            to_user,
            to_user_name: manager.name.clone(),
            state: RelationRequestState::Pending,
            created_at_ms: now,
            expires_at_ms: now.saturating_add(self.config.relation_request_ttl_ms),
            decided_at_ms: None,
            relation_id: None,
        };
        let token = new_token()?;
        let hash = token_hash(&token)
            .ok_or_else(|| DirectoryError::Internal("fresh token does not hash".into()))?;
        let day = Window::of(now, DAY_MS);
        let pair_key = keys::relation_pair(by.tenant, to_tenant);
        let mut tx = Tx::new();
        tx.push(
            WriteOp::Check {
                key: keys::relation(by.tenant, to_tenant),
                condition: Condition::NotExists,
            },
            Some(DirectoryError::AlreadyPartners),
        )
        .push(
            WriteOp::Put {
                item: new_item(
                    pair_key.clone(),
                    &PairMarker {
                        request_id: request.id,
                        expires_at_ms: request.expires_at_ms,
                    },
                )?,
                condition: Some(Condition::NotExists.or(Condition::LessThan(
                    "expires_at_ms".into(),
                    Value::from(now.saturating_add(1)),
                ))),
            },
            Some(DirectoryError::RelationRequestPending),
        )
        .push(
            count_op(
                keys::rate(by.tenant, "relreq", "tenant", day.index),
                self.config.relation_requests_per_tenant_per_day,
                day,
            ),
            Some(DirectoryError::RateLimited {
                retry_after_ms: day.end_ms - now,
            }),
        )
        .push(
            WriteOp::Put {
                item: new_item(keys::relreq_out(by.tenant, request.id), &request)?,
                condition: Some(Condition::NotExists),
            },
            Some(DirectoryError::Conflict),
        )
        .push(
            WriteOp::Put {
                item: new_item(keys::relreq_in(to_tenant, request.id), &request)?,
                condition: Some(Condition::NotExists),
            },
            Some(DirectoryError::Conflict),
        )
        .push(
            WriteOp::Put {
                item: new_item(
                    keys::relation_token(&hash),
                    &TokenLink {
                        to_tenant,
                        request: request.id,
                    },
                )?,
                condition: Some(Condition::NotExists),
            },
            Some(DirectoryError::Conflict),
        )
        .push(
            WriteOp::Put {
                item: new_item(
                    keys::relreq_by_id(request.id),
                    &RequestLocation {
                        from_tenant: by.tenant,
                    },
                )?,
                condition: Some(Condition::NotExists),
            },
            Some(DirectoryError::Conflict),
        );
        if let Committed::Refused(e) = tx.commit(self.table.as_ref()).await? {
            return Err(e.unwrap_or(DirectoryError::Conflict));
        }
        let accept_url = format!("{}/app/relation-requests/{token}", self.config.public_url);
        let mail = MailRequest {
            id: format!("relreq-{}", request.id),
            to: to_address,
            to_name: Some(manager.name.clone()),
            tenant: to_tenant,
            kind: MailKind::RelationRequest {
                from_tenant_name: request.from_tenant_name.clone(),
                from_person_name: request.from_user_name.clone(),
                accept_url: accept_url.clone(),
                expires_at_ms: request.expires_at_ms,
            },
        };
        if !self.queue_mail(mail).await {
            let mut undo = Tx::new();
            for (op, why) in close_ops(&request, RelationRequestState::Revoked, None, now)? {
                undo.push(op, why);
            }
            undo.push(
                WriteOp::Delete {
                    key: keys::relation_token(&hash),
                    condition: None,
                },
                None,
            );
            if let Err(e) = undo.commit(self.table.as_ref()).await {
                tracing::warn!(error = %e, "could not withdraw a relation request whose mail failed");
            }
            return Err(DirectoryError::Unavailable(
                "the relation request mail could not be queued; nothing was sent, try again".into(),
            ));
        }
        tracing::info!(from = %by.tenant, to = %to_tenant, request = %request.id, "relation requested");
        Ok(RelationRequestSent {
            request,
            accept_url,
            token,
        })
    }

    /// The state of relation request `id` as of `now`, for operators (`bridge-admin
    /// relation-request-status`): there is no acting user, so nothing else of the request is
    /// returned. Unknown ids are [`DirectoryError::NotFound`].
    pub async fn relation_request_state(
        &self,
        id: uuid::Uuid,
        now: EpochMillis,
    ) -> Result<RelationRequestState> {
        let not_found = DirectoryError::NotFound("relation request");
        let item = self
            .table
            .get(&keys::relreq_by_id(id))
            .await?
            .ok_or(not_found.clone())?;
        let at: RequestLocation = store::record(&item, "relation request location")?;
        let item = self
            .table
            .get(&keys::relreq_out(at.from_tenant, id))
            .await?
            .ok_or(not_found)?;
        let r: RelationRequest = store::record(&item, "relation request")?;
        Ok(r.effective_state(now))
    }

    /// The token's lookup item; unknown and malformed tokens are both not found.
    async fn relation_token(&self, token: &str) -> Result<TokenLink> {
        let not_found = DirectoryError::NotFound("relation request");
        let hash = token_hash(token).ok_or(not_found.clone())?;
        let item = self
            .table
            .get(&keys::relation_token(&hash))
            .await?
            .ok_or(not_found)?;
        store::record(&item, "relation token")
    }

    /// The received request a token opens, for its addressee: `by` must be the addressed person
    /// in the addressed environment ([`DirectoryError::NotTheAddressee`]), checked before any
    /// item of that environment is read.
    async fn addressed_request(&self, token: &str, by: Actor) -> Result<RelationRequest> {
        let link = self.relation_token(token).await?;
        if link.to_tenant != by.tenant {
            return Err(DirectoryError::NotTheAddressee);
        }
        let item = self
            .table
            .get(&keys::relreq_in(by.tenant, link.request))
            .await?
            .ok_or(DirectoryError::NotFound("relation request"))?;
        let r: RelationRequest = store::record(&item, "relation request")?;
        if r.to_user != by.user {
            return Err(DirectoryError::NotTheAddressee);
        }
        Ok(r)
    }

    /// What the relation-request page shows to whoever holds the link. Read-only.
    pub async fn view_relation_request(
        &self,
        token: &str,
        now: EpochMillis,
    ) -> Result<RelationRequest> {
        let link = self.relation_token(token).await?;
        let item = self
            .table
            .get(&keys::relreq_in(link.to_tenant, link.request))
            .await?
            .ok_or(DirectoryError::NotFound("relation request"))?;
        let mut r: RelationRequest = store::record(&item, "relation request")?;
        r.state = r.effective_state(now);
        Ok(r)
    }

    /// Accepts a relation request (PAR-4): the environments become partners, with a relation
    /// group of the two relation managers. Only the addressee, who must still have partner
    /// access; single-use ([`DirectoryError::AlreadyUsed`]), and not after expiry or revocation.
    pub async fn accept_relation_request(
        &self,
        token: &str,
        by: Actor,
        now: EpochMillis,
    ) -> Result<Relation> {
        let r = self.addressed_request(token, by).await?;
        if let Some(e) = unusable(&r, now) {
            return Err(e);
        }
        self.relation_manager(by).await?;
        let id = self.ids.new_id();
        let group = vec![
            RelationMember {
                tenant: r.from_tenant,
                user: r.from_user,
                name: r.from_user_name.clone(),
            },
            RelationMember {
                tenant: r.to_tenant,
                user: r.to_user,
                name: r.to_user_name.clone(),
            },
        ];
        let here = Relation {
            id,
            tenant: r.to_tenant,
            partner: r.from_tenant,
            partner_name: r.from_tenant_name.clone(),
            created_at_ms: now,
            request_id: r.id,
            group: group.clone(),
        };
        let there = Relation {
            id,
            tenant: r.from_tenant,
            partner: r.to_tenant,
            partner_name: r.to_tenant_name.clone(),
            created_at_ms: now,
            request_id: r.id,
            group,
        };
        let mut tx = Tx::new();
        for (op, why) in close_ops(&r, RelationRequestState::Accepted, Some(id), now)? {
            tx.push(op, why);
        }
        for rel in [&here, &there] {
            let mut item = new_item(keys::relation(rel.tenant, rel.partner), rel)?;
            item.attrs.insert(GROUP_VER.into(), Value::from(1));
            tx.push(
                WriteOp::Put {
                    item,
                    condition: Some(Condition::NotExists),
                },
                Some(DirectoryError::AlreadyPartners),
            );
        }
        self.finish_answer(tx, &r, now).await?;
        tracing::info!(a = %r.from_tenant, b = %r.to_tenant, relation = %id, "partners");
        Ok(here)
    }

    /// Declines a relation request; only the addressee, single-use.
    pub async fn decline_relation_request(
        &self,
        token: &str,
        by: Actor,
        now: EpochMillis,
    ) -> Result<RelationRequest> {
        let mut r = self.addressed_request(token, by).await?;
        if let Some(e) = unusable(&r, now) {
            return Err(e);
        }
        self.acting(by).await?;
        let mut tx = Tx::new();
        for (op, why) in close_ops(&r, RelationRequestState::Declined, None, now)? {
            tx.push(op, why);
        }
        self.finish_answer(tx, &r, now).await?;
        r.state = RelationRequestState::Declined;
        r.decided_at_ms = Some(now);
        Ok(r)
    }

    /// Withdraws a pending request the actor's environment sent (any of its relation managers).
    pub async fn revoke_relation_request(
        &self,
        by: Actor,
        id: Uuid,
        now: EpochMillis,
    ) -> Result<RelationRequest> {
        self.relation_manager(by).await?;
        let item = self
            .table
            .get(&keys::relreq_out(by.tenant, id))
            .await?
            .ok_or(DirectoryError::NotFound("relation request"))?;
        let mut r: RelationRequest = store::record(&item, "relation request")?;
        if let Some(e) = unusable(&r, now) {
            return Err(e);
        }
        let mut tx = Tx::new();
        for (op, why) in close_ops(&r, RelationRequestState::Revoked, None, now)? {
            tx.push(op, why);
        }
        let key = keys::relreq_out(by.tenant, id);
        tx.commit_for(
            self.table.as_ref(),
            &key,
            "relation request",
            |f: &RelationRequest| unusable(f, now),
        )
        .await?;
        r.state = RelationRequestState::Revoked;
        r.decided_at_ms = Some(now);
        Ok(r)
    }

    /// Commits an answer; a lost race is explained by the request's new state.
    async fn finish_answer(&self, tx: Tx, r: &RelationRequest, now: EpochMillis) -> Result<()> {
        let key = keys::relreq_in(r.to_tenant, r.id);
        tx.commit_for(
            self.table.as_ref(),
            &key,
            "relation request",
            |f: &RelationRequest| unusable(f, now),
        )
        .await
    }

    /// The actor's environment's partners (PAR-3 "existing partners"). Needs partner access.
    pub async fn list_partners(
        &self,
        by: Actor,
        cursor: Option<Cursor>,
        limit: usize,
    ) -> Result<Listing<Relation>> {
        self.relation_manager(by).await?;
        self.list(by.tenant, keys::REL_PREFIX, cursor, limit, "relation")
            .await
    }

    /// Relation requests the actor's environment received (`incoming`) or sent. Needs partner
    /// access.
    pub async fn list_relation_requests(
        &self,
        by: Actor,
        incoming: bool,
        cursor: Option<Cursor>,
        limit: usize,
    ) -> Result<Listing<RelationRequest>> {
        self.relation_manager(by).await?;
        let prefix = if incoming {
            keys::RELREQ_IN_PREFIX
        } else {
            keys::RELREQ_OUT_PREFIX
        };
        self.list(by.tenant, prefix, cursor, limit, "relation request")
            .await
    }

    /// The actor's relation with `partner` and its group version.
    pub(crate) async fn relation_with(
        &self,
        tenant: TenantId,
        partner: TenantId,
    ) -> Result<(Relation, i64)> {
        let item = self
            .table
            .get(&keys::relation(tenant, partner))
            .await?
            .ok_or(DirectoryError::NotPartners)?;
        let group_ver = item.get_i64(GROUP_VER).unwrap_or(0);
        Ok((store::record(&item, "relation")?, group_ver))
    }

    /// Adds a person of the partner environment to the relation group (PAR-6: "the partner may
    /// then add the person as a member of its organisation"), so documents shared with the group
    /// reach them too. The person must be one of the partner's published relation managers
    /// (the only people of another environment one can know of). Adding a member changes
    /// nothing. Both sides' relation items change together, guarded by their shared group
    /// version.
    pub async fn add_partner_person_as_member(
        &self,
        by: Actor,
        partner: TenantId,
        person: UserId,
    ) -> Result<Relation> {
        self.relation_manager(by).await?;
        let (mut rel, group_ver) = self.relation_with(by.tenant, partner).await?;
        if rel.has_member(partner, person) {
            return Ok(rel);
        }
        let manager = self
            .published_manager(partner, person)
            .await?
            .ok_or(DirectoryError::NotFound("relation manager"))?;
        rel.group.push(RelationMember {
            tenant: partner,
            user: person,
            name: manager.name,
        });
        let update = Update::new()
            .set("group", json(&rel.group)?)
            .add(GROUP_VER, 1);
        let mut tx = Tx::new();
        for key in [
            keys::relation(by.tenant, partner),
            keys::relation(partner, by.tenant),
        ] {
            tx.push(
                WriteOp::Update {
                    key,
                    update: update.clone(),
                    condition: Some(
                        Condition::Exists.and(equals(GROUP_VER, Value::from(group_ver))),
                    ),
                },
                Some(DirectoryError::Conflict),
            );
        }
        match tx.commit(self.table.as_ref()).await? {
            Committed::Done => Ok(rel),
            Committed::Refused(e) => Err(e.unwrap_or(DirectoryError::Conflict)),
        }
    }
}
