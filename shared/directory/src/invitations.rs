//! Invitations (USR-2, USR-3, USR-5).
//!
//! A user manager invites a Microsoft 365 user (tenant id + object id + UPN) or anyone by e-mail.
//! The invitation (`T#<tenant>` / `INV#<id>`) and its token lookup (`SYS#invtoken#<sha256>`) are
//! written in one transaction, then the mail with `{public_url}/app/invitations/{token}` is
//! queued; if the mail cannot be queued, the invitation is removed again and the manager is told.
//!
//! States: `pending` → `accepted` | `revoked`; a pending invitation past its expiry *is* expired.
//! Opening the link ([`Directory::view_invitation`]) only reads. Accepting is one transaction
//! conditional on `state = pending` and not expired, so a link is used at most once whatever
//! the number of concurrent attempts; a replay, an expired or revoked link and another person's
//! attempt each get their own error and change nothing.

use bridge_core::clock::EpochMillis;
use bridge_core::tenant::{EntraBinding, Right, Role, UserAccount, UserId};
use bridge_store::{Condition, Cursor, Update, WriteOp};
use serde_json::Value;
use uuid::Uuid;

use crate::error::{DirectoryError, Result};
use crate::install::{join_ops, new_account};
use crate::model::{
    AcceptOutcome, Actor, Invitation, InvitationSent, InvitationState, InvitationView, Invitee,
    SignedInPerson,
};
use crate::ports::{MailKind, MailRequest};
use crate::secret::{new_token, random_uuid, token_hash};
use crate::store::{Committed, Tx, Window, at_version, count_op, json, new_item, pending_at};
use crate::{DAY_MS, Directory, Listing, keys, store};

/// Attribute of a user item listing Microsoft identities linked to it besides
/// [`UserAccount::entra`] (USR-3: "link my existing account").
pub const LINKED_IDENTITIES: &str = "linked_identities";

/// Most Microsoft identities one account may sign in with.
pub const MAX_IDENTITIES: usize = 5;

/// The token lookup item: which invitation a token opens.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
struct TokenLink {
    tenant: bridge_core::tenant::TenantId,
    invitation: Uuid,
}

/// The refusal for an invitation that cannot be used any more, if it cannot.
fn unusable(inv: &Invitation, now: EpochMillis) -> Option<DirectoryError> {
    match inv.effective_state(now) {
        InvitationState::Pending => None,
        InvitationState::Accepted => Some(DirectoryError::AlreadyUsed),
        InvitationState::Revoked => Some(DirectoryError::Revoked),
        InvitationState::Expired => Some(DirectoryError::Expired),
    }
}

impl Directory {
    /// Invites `invitee` to the actor's tenant with `role` and `rights` (USR-2, USR-5), and
    /// queues the invitation mail.
    ///
    /// Needs "manage users". A Microsoft 365 invitee must belong to the tenant's own
    /// organisation (others are invited by e-mail); inviting a current user is
    /// [`DirectoryError::AlreadyHasAccount`]. The super admin role is not given by invitation
    /// (make the person super admin after they joined). Refused with [`DirectoryError::RateLimited`] past the
    /// tenant's daily invitation limit.
    pub async fn invite(
        &self,
        by: Actor,
        invitee: Invitee,
        role: Role,
        rights: Vec<Right>,
        now: EpochMillis,
    ) -> Result<InvitationSent> {
        let (actor, _) = self.acting_manager(by).await?;
        if role == Role::SuperAdmin {
            return Err(DirectoryError::Invalid(
                "invite as admin at most; a super admin can promote the user after they joined"
                    .into(),
            ));
        }
        let invitee = invitee.normalized()?;
        let (tenant, _) = self.load_tenant(by.tenant).await?;
        if let Invitee::Microsoft365 { tid, oid, .. } = &invitee {
            // USR-2 is about users of the organisation; anyone else is invited by e-mail (USR-5).
            if tenant
                .entra_tenant_id
                .as_deref()
                .is_some_and(|own| !own.eq_ignore_ascii_case(tid))
            {
                return Err(DirectoryError::Invalid(
                    "only users of your own Microsoft 365 organisation are invited as such; \
                     invite others by e-mail"
                        .into(),
                ));
            }
            if let Some((home, _)) = self.person_account(tid, oid).await?
                && home == by.tenant
            {
                return Err(DirectoryError::AlreadyHasAccount);
            }
        }
        let mut rights = rights;
        rights.sort_by_key(|r| *r as u8);
        rights.dedup();
        let invitation = Invitation {
            id: random_uuid()?,
            tenant: by.tenant,
            invitee,
            role,
            rights,
            state: InvitationState::Pending,
            invited_by: actor.user.id,
            invited_by_name: actor.user.name.clone(),
            created_at_ms: now,
            expires_at_ms: now.saturating_add(self.config.invitation_ttl_ms),
            accepted_at_ms: None,
            accepted_user: None,
            outcome: None,
            revoked_at_ms: None,
            revoked_by: None,
        };
        let token = new_token()?;
        let hash = token_hash(&token)
            .ok_or_else(|| DirectoryError::Internal("fresh token does not hash".into()))?;
        let inv_key = keys::invitation(by.tenant, invitation.id);
        let token_key = keys::invitation_token(&hash);
        let window = Window::of(now, DAY_MS);
        let mut tx = Tx::new();
        tx.push(
            count_op(
                keys::rate(by.tenant, "invite", "tenant", window.index),
                self.config.invitations_per_tenant_per_day,
                window,
            ),
            Some(DirectoryError::RateLimited {
                retry_after_ms: window.end_ms - now,
            }),
        )
        .push(
            WriteOp::Put {
                item: new_item(inv_key.clone(), &invitation)?,
                condition: Some(Condition::NotExists),
            },
            Some(DirectoryError::Conflict),
        )
        .push(
            WriteOp::Put {
                item: new_item(
                    token_key.clone(),
                    &TokenLink {
                        tenant: by.tenant,
                        invitation: invitation.id,
                    },
                )?,
                condition: Some(Condition::NotExists),
            },
            Some(DirectoryError::Conflict),
        );
        if let Committed::Refused(e) = tx.commit(self.table.as_ref()).await? {
            return Err(e.unwrap_or(DirectoryError::Conflict));
        }
        let accept_url = format!("{}/app/invitations/{token}", self.config.public_url);
        let mail = MailRequest {
            id: format!("inv-{}", invitation.id),
            to: invitation.invitee.address().to_string(),
            to_name: None,
            tenant: by.tenant,
            kind: MailKind::Invitation {
                inviter_name: actor.user.name.clone(),
                tenant_name: tenant.tenant.name.clone(),
                accept_url: accept_url.clone(),
                expires_at_ms: invitation.expires_at_ms,
            },
        };
        if !self.queue_mail(mail).await {
            // Nobody can have used it yet (the link was never sent): take it back whole.
            let mut undo = Tx::new();
            undo.push(
                WriteOp::Delete {
                    key: inv_key,
                    condition: Some(pending_at("pending", now).and(at_version(1))),
                },
                None,
            )
            .push(
                WriteOp::Delete {
                    key: token_key,
                    condition: None,
                },
                None,
            );
            if let Err(e) = undo.commit(self.table.as_ref()).await {
                tracing::warn!(error = %e, "could not remove an invitation whose mail failed");
            }
            return Err(DirectoryError::Unavailable(
                "the invitation mail could not be queued; nothing was sent, try again".into(),
            ));
        }
        tracing::info!(tenant = %by.tenant, invitation = %invitation.id, "invited");
        Ok(InvitationSent {
            invitation,
            accept_url,
            token,
        })
    }

    /// The invitation a token opens, with its version. Unknown and malformed tokens are both
    /// [`DirectoryError::NotFound`].
    async fn invitation_by_token(&self, token: &str) -> Result<(Invitation, i64)> {
        let not_found = DirectoryError::NotFound("invitation");
        let hash = token_hash(token).ok_or(not_found.clone())?;
        let link_item = self
            .table
            .get(&keys::invitation_token(&hash))
            .await?
            .ok_or(not_found.clone())?;
        let link: TokenLink = store::record(&link_item, "invitation token")?;
        let item = self
            .table
            .get(&keys::invitation(link.tenant, link.invitation))
            .await?
            .ok_or(not_found)?;
        Ok((store::record(&item, "invitation")?, store::ver_of(&item)))
    }

    /// What the invitation page shows. Read-only: mail scanners follow links, so opening one
    /// changes nothing, not even a "seen" mark.
    pub async fn view_invitation(&self, token: &str, now: EpochMillis) -> Result<InvitationView> {
        let (inv, _) = self.invitation_by_token(token).await?;
        let (tenant, _) = self.load_tenant(inv.tenant).await?;
        Ok(InvitationView {
            tenant_name: tenant.tenant.name,
            invited_by_name: inv.invited_by_name.clone(),
            sent_to: inv.invitee.address().to_string(),
            microsoft_365: matches!(inv.invitee, Invitee::Microsoft365 { .. }),
            state: inv.effective_state(now),
            expires_at_ms: inv.expires_at_ms,
        })
    }

    /// Accepts an invitation: `person` (signed in) becomes a user of the inviting tenant with the
    /// invitation's role and rights.
    ///
    /// `person` must be the invitee ([`DirectoryError::NotTheInvitee`]): the same Microsoft
    /// identity, or for an e-mail invitation the same verified address. Refused, changing
    /// nothing: used ([`DirectoryError::AlreadyUsed`]), revoked, expired, or the person already
    /// has an account ([`DirectoryError::AlreadyHasAccount`]; see
    /// [`Directory::link_existing_account`]).
    pub async fn accept_invitation(
        &self,
        token: &str,
        person: &SignedInPerson,
        now: EpochMillis,
    ) -> Result<UserAccount> {
        person.validate()?;
        let (inv, _) = self.invitation_by_token(token).await?;
        if let Some(e) = unusable(&inv, now) {
            return Err(e);
        }
        if !inv.invitee.matches(person) {
            return Err(DirectoryError::NotTheInvitee);
        }
        if self
            .person_account(&person.tid, &person.oid)
            .await?
            .is_some()
        {
            return Err(DirectoryError::AlreadyHasAccount);
        }
        let account = new_account(
            UserId(self.ids.new_id()),
            inv.tenant,
            person,
            inv.role,
            inv.rights.clone(),
        );
        let [user_op, person_op] = join_ops(&account, person)?;
        let mut tx = Tx::new();
        tx.push(
            self.use_invitation(&inv, AcceptOutcome::Joined, Some(account.user.id), now)?,
            None,
        )
        .push(user_op, Some(DirectoryError::Conflict))
        .push(person_op, Some(DirectoryError::AlreadyHasAccount));
        self.finish_accept(tx, &inv, now).await?;
        tracing::info!(tenant = %inv.tenant, user = %account.user.id, "invitation accepted");
        Ok(account)
    }

    /// "Link my existing account" (USR-3): instead of joining the inviting tenant, the invitee
    /// links their Microsoft identity to an account they already have (`existing`, signed in
    /// to separately), and so joins *that* account's tenant. The invitation is used up; the
    /// inviting tenant sees only that it was used to link an account elsewhere.
    ///
    /// Same refusals as [`Directory::accept_invitation`]; besides, the invitee's identity must not
    /// sign in to any account yet, and an account signs in with at most [`MAX_IDENTITIES`]
    /// identities ([`DirectoryError::AccountAlreadyLinked`]).
    pub async fn link_existing_account(
        &self,
        token: &str,
        invitee: &SignedInPerson,
        existing: Actor,
        now: EpochMillis,
    ) -> Result<UserAccount> {
        invitee.validate()?;
        let (inv, _) = self.invitation_by_token(token).await?;
        if let Some(e) = unusable(&inv, now) {
            return Err(e);
        }
        if !inv.invitee.matches(invitee) {
            return Err(DirectoryError::NotTheInvitee);
        }
        if self
            .person_account(&invitee.tid, &invitee.oid)
            .await?
            .is_some()
        {
            return Err(DirectoryError::AlreadyHasAccount);
        }
        self.acting(existing).await?;
        let item = self
            .table
            .get(&keys::user(existing.tenant, existing.user))
            .await?
            .ok_or_else(|| DirectoryError::Forbidden("unknown user".into()))?;
        let ver = store::ver_of(&item);
        let mut account: UserAccount = store::record(&item, "user")?;
        let mut linked: Vec<EntraBinding> = match item.get(LINKED_IDENTITIES) {
            None | Some(Value::Null) => Vec::new(),
            Some(v) => serde_json::from_value(v.clone()).map_err(|e| {
                DirectoryError::Internal(format!("unreadable linked identities: {e}"))
            })?,
        };
        let mut binding = invitee.binding();
        binding.tid = binding.tid.to_ascii_lowercase();
        binding.oid = binding.oid.to_ascii_lowercase();
        let mut update = Update::new().add(store::VER, 1);
        if account.entra.is_none() {
            account.entra = Some(binding.clone());
            update = update.set("entra", json(&account.entra)?);
        } else {
            if linked.len() + 1 >= MAX_IDENTITIES {
                return Err(DirectoryError::AccountAlreadyLinked);
            }
            linked.push(binding);
            update = update.set(LINKED_IDENTITIES, json(&linked)?);
        }
        let link = crate::PersonLink {
            tenant: existing.tenant,
            user: existing.user,
        };
        let mut tx = Tx::new();
        tx.push(
            self.use_invitation(&inv, AcceptOutcome::LinkedExistingAccount, None, now)?,
            None,
        )
        .push(
            WriteOp::Put {
                item: new_item(keys::person(&invitee.tid, &invitee.oid), &link)?,
                condition: Some(Condition::NotExists),
            },
            Some(DirectoryError::AlreadyHasAccount),
        )
        .push(
            WriteOp::Update {
                key: keys::user(existing.tenant, existing.user),
                update,
                condition: Some(at_version(ver)),
            },
            Some(DirectoryError::Conflict),
        );
        self.finish_accept(tx, &inv, now).await?;
        tracing::info!(tenant = %existing.tenant, "invitation used to link an existing account");
        Ok(account)
    }

    /// The single-use write: pending and unexpired → accepted.
    fn use_invitation(
        &self,
        inv: &Invitation,
        outcome: AcceptOutcome,
        user: Option<UserId>,
        now: EpochMillis,
    ) -> Result<WriteOp> {
        let mut update = Update::new()
            .set("state", json(&InvitationState::Accepted)?)
            .set("accepted_at_ms", now)
            .set("outcome", json(&outcome)?)
            .add(store::VER, 1);
        if let Some(u) = user {
            update = update.set("accepted_user", json(&u)?);
        }
        Ok(WriteOp::Update {
            key: keys::invitation(inv.tenant, inv.id),
            update,
            condition: Some(pending_at("pending", now)),
        })
    }

    /// Commits an accepting transaction; a lost race is explained by the invitation's new state.
    async fn finish_accept(&self, tx: Tx, inv: &Invitation, now: EpochMillis) -> Result<()> {
        let key = keys::invitation(inv.tenant, inv.id);
        tx.commit_for(self.table.as_ref(), &key, "invitation", |f: &Invitation| {
            unusable(f, now)
        })
        .await
    }

    /// Revokes a pending invitation (needs "manage users"). Revoking a revoked one changes
    /// nothing; a used one is [`DirectoryError::AlreadyUsed`], an expired one
    /// [`DirectoryError::Expired`].
    pub async fn revoke_invitation(
        &self,
        by: Actor,
        id: Uuid,
        now: EpochMillis,
    ) -> Result<Invitation> {
        self.acting_manager(by).await?;
        let key = keys::invitation(by.tenant, id);
        let item = self
            .table
            .get(&key)
            .await?
            .ok_or(DirectoryError::NotFound("invitation"))?;
        let inv: Invitation = store::record(&item, "invitation")?;
        match unusable(&inv, now) {
            Some(DirectoryError::Revoked) => return Ok(inv),
            Some(e) => return Err(e),
            None => {}
        }
        let update = Update::new()
            .set("state", json(&InvitationState::Revoked)?)
            .set("revoked_at_ms", now)
            .set("revoked_by", json(&by.user)?)
            .add(store::VER, 1);
        match self
            .table
            .update(&key, update, Some(pending_at("pending", now)))
            .await
        {
            Ok(item) => store::record(&item, "invitation"),
            Err(bridge_store::StoreError::ConditionFailed) => {
                let fresh = self
                    .table
                    .get(&key)
                    .await?
                    .ok_or(DirectoryError::NotFound("invitation"))?;
                let fresh: Invitation = store::record(&fresh, "invitation")?;
                match unusable(&fresh, now) {
                    Some(DirectoryError::Revoked) => Ok(fresh),
                    Some(e) => Err(e),
                    None => Err(DirectoryError::Conflict),
                }
            }
            Err(e) => Err(e.into()),
        }
    }

    /// A page of the tenant's invitations, oldest id first (needs "manage users").
    pub async fn list_invitations(
        &self,
        by: Actor,
        cursor: Option<Cursor>,
        limit: usize,
    ) -> Result<Listing<Invitation>> {
        self.acting_manager(by).await?;
        self.list(by.tenant, keys::INV_PREFIX, cursor, limit, "invitation")
            .await
    }
}
