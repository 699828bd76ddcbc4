//! Requests to join (USR-4).
//!
//! A Microsoft 365 user whose organisation has a tenant, but who is not a user, asks to join.
//! One transaction writes the request (`JOIN#<id>`) and the person's pending marker
//! (`JOINPENDING#<tid>#<oid>`, create-if-absent or if the previous request expired: one pending
//! request per person) and counts the request against two rate limits: per person per day and
//! per tenant per hour. Then every active user with "manage users" gets a mail pointing to the
//! users page, where only such a user can approve ("Approve & Add") or decline. The first
//! decision wins by a condition on `state = pending`; later ones learn what was decided.

use bridge_core::clock::EpochMillis;
use bridge_core::tenant::{Right, Role, UserAccount, UserId, tenant_pk};
use bridge_store::{Condition, Cursor, Update, WriteOp};
use serde_json::Value;
use uuid::Uuid;

use crate::error::{DirectoryError, Result};
use crate::install::{join_ops, mail_address, new_account};
use crate::model::{
    Actor, Decision, JoinRequest, JoinRequestState, JoinRequested, Requester, SignedInPerson,
};
use crate::ports::{MailKind, MailRequest};
use crate::store::{Committed, Tx, Window, count_op, equals, json, new_item, pending_at};
use crate::{DAY_MS, Directory, Listing, keys, store};

/// One hour in milliseconds.
const HOUR_MS: i64 = 3_600_000;

/// The pending marker: which request is pending, until when.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
struct PendingMarker {
    request_id: Uuid,
    expires_at_ms: EpochMillis,
}

/// The refusal for a request that cannot be decided any more, if it cannot.
fn undecidable(r: &JoinRequest, now: EpochMillis) -> Option<DirectoryError> {
    match r.effective_state(now) {
        JoinRequestState::Pending => None,
        JoinRequestState::Approved => Some(DirectoryError::AlreadyDecided {
            decision: Decision::Approve,
        }),
        JoinRequestState::Declined => Some(DirectoryError::AlreadyDecided {
            decision: Decision::Decline,
        }),
        JoinRequestState::Expired => Some(DirectoryError::Expired),
    }
}

impl Directory {
    /// `person` asks to join their organisation's tenant, and every user manager is mailed.
    ///
    /// Refused, changing nothing: the organisation has no tenant
    /// ([`DirectoryError::NoEnvironmentForOrganisation`]); the person has an account
    /// ([`DirectoryError::AlreadyHasAccount`]); a request of theirs is pending
    /// ([`DirectoryError::JoinRequestPending`]); too many requests
    /// ([`DirectoryError::RateLimited`]).
    pub async fn request_join(
        &self,
        person: &SignedInPerson,
        now: EpochMillis,
    ) -> Result<JoinRequested> {
        person.validate()?;
        let tenant_id = self
            .installed_tenant(&person.tid)
            .await?
            .ok_or(DirectoryError::NoEnvironmentForOrganisation)?;
        if self
            .person_account(&person.tid, &person.oid)
            .await?
            .is_some()
        {
            return Err(DirectoryError::AlreadyHasAccount);
        }
        let (tenant, _) = self.load_tenant(tenant_id).await?;
        let request = JoinRequest {
            id: self.ids.new_id(),
            tenant: tenant_id,
            person: Requester {
                tid: person.tid.to_ascii_lowercase(),
                oid: person.oid.to_ascii_lowercase(),
                name: person.display_name(),
                username: person.preferred_username.clone(),
                email: person.normalized_email(),
            },
            state: JoinRequestState::Pending,
            created_at_ms: now,
            expires_at_ms: now.saturating_add(self.config.join_request_ttl_ms),
            decided_by: None,
            decided_at_ms: None,
            user: None,
        };
        let marker_key = keys::join_pending(tenant_id, &person.tid, &person.oid);
        let day = Window::of(now, DAY_MS);
        let hour = Window::of(now, HOUR_MS);
        let who = format!(
            "{}.{}",
            person.tid.to_ascii_lowercase(),
            person.oid.to_ascii_lowercase()
        );
        let mut tx = Tx::new();
        tx.push(
            WriteOp::Put {
                item: new_item(
                    marker_key.clone(),
                    &PendingMarker {
                        request_id: request.id,
                        expires_at_ms: request.expires_at_ms,
                    },
                )?,
                condition: Some(Condition::NotExists.or(Condition::LessThan(
                    "expires_at_ms".into(),
                    Value::from(now.saturating_add(1)),
                ))),
            },
            None,
        )
        .push(
            count_op(
                keys::rate(tenant_id, "join-person", &who, day.index),
                self.config.join_requests_per_person_per_day,
                day,
            ),
            Some(DirectoryError::RateLimited {
                retry_after_ms: day.end_ms - now,
            }),
        )
        .push(
            count_op(
                keys::rate(tenant_id, "join-tenant", "all", hour.index),
                self.config.join_requests_per_tenant_per_hour,
                hour,
            ),
            Some(DirectoryError::RateLimited {
                retry_after_ms: hour.end_ms - now,
            }),
        )
        .push(
            WriteOp::Put {
                item: new_item(keys::join_request(tenant_id, request.id), &request)?,
                condition: Some(Condition::NotExists),
            },
            Some(DirectoryError::Conflict),
        );
        match tx.commit(self.table.as_ref()).await? {
            Committed::Done => {}
            Committed::Refused(Some(e)) => return Err(e),
            Committed::Refused(None) => {
                return match self.table.get(&marker_key).await? {
                    Some(item) => {
                        let m: PendingMarker = store::record(&item, "pending join marker")?;
                        Err(DirectoryError::JoinRequestPending {
                            request_id: m.request_id,
                        })
                    }
                    None => Err(DirectoryError::Conflict),
                };
            }
        }
        tracing::info!(tenant = %tenant_id, request = %request.id, "join requested");
        let managers = store::query_all(
            self.table.as_ref(),
            &tenant_pk(tenant_id),
            keys::USER_PREFIX,
        )
        .await?;
        let review_url = format!(
            "{}/app/users?join_request={}",
            self.config.public_url, request.id
        );
        let (mut notified, mut not_notified) = (0, 0);
        for item in &managers {
            let Ok(m) = store::record::<UserAccount>(item, "user") else {
                continue;
            };
            if !m.may(Right::ManageUsers) {
                continue;
            }
            let Some(to) = m.email.clone() else {
                not_notified += 1;
                continue;
            };
            let mail = MailRequest {
                id: format!("join-{}-{}", request.id, m.user.id),
                to,
                to_name: Some(m.user.name.clone()),
                tenant: tenant_id,
                kind: MailKind::JoinRequest {
                    requester_name: request.person.name.clone(),
                    requester_address: mail_address(person),
                    tenant_name: tenant.tenant.name.clone(),
                    review_url: review_url.clone(),
                },
            };
            if self.queue_mail(mail).await {
                notified += 1;
            } else {
                not_notified += 1;
            }
        }
        Ok(JoinRequested {
            request,
            managers_notified: notified,
            managers_not_notified: not_notified,
        })
    }

    /// Approves ("Approve & Add": the person becomes a user with role user and no rights, for a
    /// manager to adjust) or declines a join request. Needs "manage users".
    ///
    /// The first decision wins; later ones are [`DirectoryError::AlreadyDecided`] with what was
    /// decided, and change nothing. An expired request is [`DirectoryError::Expired`].
    pub async fn decide_join_request(
        &self,
        by: Actor,
        id: Uuid,
        decision: Decision,
        now: EpochMillis,
    ) -> Result<JoinRequest> {
        self.acting_manager(by).await?;
        let key = keys::join_request(by.tenant, id);
        let item = self
            .table
            .get(&key)
            .await?
            .ok_or(DirectoryError::NotFound("join request"))?;
        let mut request: JoinRequest = store::record(&item, "join request")?;
        if let Some(e) = undecidable(&request, now) {
            return Err(e);
        }
        let state = match decision {
            Decision::Approve => JoinRequestState::Approved,
            Decision::Decline => JoinRequestState::Declined,
        };
        let mut update = Update::new()
            .set("state", json(&state)?)
            .set("decided_by", json(&by.user)?)
            .set("decided_at_ms", now)
            .add(store::VER, 1);
        let mut joined = None;
        if decision == Decision::Approve {
            let person = SignedInPerson {
                tid: request.person.tid.clone(),
                oid: request.person.oid.clone(),
                name: request.person.name.clone(),
                preferred_username: request.person.username.clone(),
                verified_email: request.person.email.clone(),
                is_tenant_admin: false,
            };
            let account = new_account(
                UserId(self.ids.new_id()),
                by.tenant,
                &person,
                Role::User,
                Vec::new(),
            );
            update = update.set("user", json(&account.user.id)?);
            joined = Some((join_ops(&account, &person)?, account.user.id));
        }
        let mut tx = Tx::new();
        tx.push(
            WriteOp::Update {
                key: key.clone(),
                update,
                condition: Some(pending_at("pending", now)),
            },
            None,
        )
        .push(
            WriteOp::Delete {
                key: keys::join_pending(by.tenant, &request.person.tid, &request.person.oid),
                condition: Some(Condition::NotExists.or(equals("request_id", json(&id)?))),
            },
            Some(DirectoryError::Conflict),
        );
        if let Some(([user_op, person_op], _)) = joined.clone() {
            tx.push(user_op, Some(DirectoryError::Conflict))
                .push(person_op, Some(DirectoryError::AlreadyHasAccount));
        }
        match tx.commit(self.table.as_ref()).await? {
            Committed::Done => {}
            Committed::Refused(Some(e)) => return Err(e),
            Committed::Refused(None) => {
                let fresh = self
                    .table
                    .get(&key)
                    .await?
                    .ok_or(DirectoryError::NotFound("join request"))?;
                let fresh: JoinRequest = store::record(&fresh, "join request")?;
                return Err(undecidable(&fresh, now).unwrap_or(DirectoryError::Conflict));
            }
        }
        request.state = state;
        request.decided_by = Some(by.user);
        request.decided_at_ms = Some(now);
        request.user = joined.map(|(_, u)| u);
        tracing::info!(tenant = %by.tenant, request = %id, %decision, "join request decided");
        Ok(request)
    }

    /// A page of the tenant's join requests (needs "manage users").
    pub async fn list_join_requests(
        &self,
        by: Actor,
        cursor: Option<Cursor>,
        limit: usize,
    ) -> Result<Listing<JoinRequest>> {
        self.acting_manager(by).await?;
        self.list(by.tenant, keys::JOIN_PREFIX, cursor, limit, "join request")
            .await
    }
}
