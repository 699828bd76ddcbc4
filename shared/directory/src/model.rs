//! The directory's records and the values its callers hand in.
//!
//! Records are stored as the attributes of one item each (serde), next to a `ver` attribute for
//! optimistic concurrency that the records themselves do not carry. Stored states are only those
//! a write produced; "expired" is never written, it is what a pending record past its expiry *is*
//! ([`Invitation::effective_state`] and friends), so nothing has to sweep for it to hold.

use bridge_core::clock::EpochMillis;
use bridge_core::tenant::{EntraBinding, Right, Role, Tenant, TenantId, UserId};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::error::{DirectoryError, Result};

/// Longest Entra tenant id or object id accepted (both are GUIDs, 36 characters).
const MAX_ENTRA_ID: usize = 64;

/// Longest display name kept.
pub const MAX_NAME_CHARS: usize = 200;

/// The person a verified sign-in (OpenID Connect with Microsoft) produced.
///
/// Our own small type, so this crate does not depend on the sign-in module: the edge fills it
/// from a verified id token. `verified_email` must only be set when the address is verified
/// (Entra's `email` claim is not, by itself: a tenant admin can set any address on an account,
/// the "nOAuth" problem), because plain-e-mail invitations (USR-5) are accepted by it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedInPerson {
    /// Entra tenant id (`tid`).
    pub tid: String,
    /// Object id (`oid`), unique within the Entra tenant.
    pub oid: String,
    /// Display name (`name`).
    pub name: String,
    /// Sign-in name (`preferred_username`, usually the UPN).
    pub preferred_username: Option<String>,
    /// An e-mail address the edge has verified belongs to this person.
    pub verified_email: Option<String>,
    /// Whether the person is an administrator of the Entra tenant (e.g. the Global Administrator
    /// role in `wids`); only such a person may install (USR-1).
    pub is_tenant_admin: bool,
}

impl SignedInPerson {
    /// The identity as stored on the user.
    pub fn binding(&self) -> EntraBinding {
        EntraBinding {
            tid: self.tid.clone(),
            oid: self.oid.clone(),
        }
    }

    /// Checks that `tid` and `oid` can be part of a key.
    pub(crate) fn validate(&self) -> Result<()> {
        entra_id("tenant id", &self.tid)?;
        entra_id("object id", &self.oid)?;
        Ok(())
    }

    /// The name to show: the display name, else the sign-in name, else the e-mail address.
    pub(crate) fn display_name(&self) -> String {
        let name = clean_name(&self.name);
        if !name.is_empty() {
            return name;
        }
        self.preferred_username
            .as_deref()
            .or(self.verified_email.as_deref())
            .map(clean_name)
            .filter(|n| !n.is_empty())
            .unwrap_or_else(|| "Unnamed user".to_string())
    }

    /// The verified address, normalised, if any and well-formed.
    pub(crate) fn normalized_email(&self) -> Option<String> {
        self.verified_email
            .as_deref()
            .and_then(|e| normalize_email(e).ok())
    }
}

/// Checks an Entra id (tenant or object id) before it becomes part of a key: 1..=64 of ASCII
/// letters, digits and `-`.
pub(crate) fn entra_id(what: &str, id: &str) -> Result<()> {
    if id.is_empty()
        || id.len() > MAX_ENTRA_ID
        || !id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
    {
        return Err(DirectoryError::Invalid(format!(
            "the Microsoft {what} must be 1..={MAX_ENTRA_ID} letters, digits or '-'"
        )));
    }
    Ok(())
}

/// Trims a display name, drops control characters and caps its length.
pub(crate) fn clean_name(name: &str) -> String {
    name.chars()
        .filter(|c| !c.is_control())
        .collect::<String>()
        .trim()
        .chars()
        .take(MAX_NAME_CHARS)
        .collect()
}

/// An e-mail address in the one form comparisons use: trimmed and lower-cased (addresses are
/// compared case-insensitively, USR-5). Refuses what is plainly not an address.
pub fn normalize_email(raw: &str) -> Result<String> {
    let e = raw.trim().to_lowercase();
    let ok = e.len() <= 254
        && !e.chars().any(|c| c.is_whitespace() || c.is_control())
        && matches!(e.split_once('@'), Some((local, domain))
            if !local.is_empty() && domain.contains('.') && !domain.contains('@')
               && !domain.starts_with('.') && !domain.ends_with('.'));
    if ok {
        Ok(e)
    } else {
        Err(DirectoryError::Invalid(format!(
            "`{}` is not an e-mail address",
            raw.chars().take(80).collect::<String>()
        )))
    }
}

/// The acting user, as the API's authentication established it: a user id within one tenant.
/// Every use case reloads the user from that tenant's partition (fresh role, rights and status),
/// and reads nothing of any other tenant on the actor's behalf.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Actor {
    /// The tenant the actor signed in to.
    pub tenant: TenantId,
    /// The user.
    pub user: UserId,
}

/// A manager's decision on a join request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    /// Add the person as a user ("Approve & Add", USR-4).
    Approve,
    /// Do not.
    Decline,
}

impl std::fmt::Display for Decision {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Decision::Approve => "approved",
            Decision::Decline => "declined",
        })
    }
}

/// A tenant as the directory sees its record: the [`Tenant`] plus the directory's settings,
/// stored in the same item (`T#<tenant>` / `TENANT`). Defaults keep tenants seeded before the
/// directory readable.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TenantRecord {
    /// Id and name.
    #[serde(flatten)]
    pub tenant: Tenant,
    /// The Entra tenant this tenant was installed from (USR-1), if any.
    #[serde(default)]
    pub entra_tenant_id: Option<String>,
    /// The subscription includes partner relations (PAR-2). Set by the operator, not by users.
    #[serde(default)]
    pub partner_relations: bool,
    /// Other environments may find this one by name (opt-in, PAR-3).
    #[serde(default)]
    pub findable: bool,
}

/// Who an invitation is for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Invitee {
    /// Anyone who signs in with this verified address (USR-5); stored normalised.
    Email {
        /// The address.
        email: String,
    },
    /// One Microsoft 365 user of an organisation (USR-2): only that identity may accept.
    Microsoft365 {
        /// Entra tenant id.
        tid: String,
        /// Object id.
        oid: String,
        /// User principal name, where the e-mail goes.
        upn: String,
    },
}

impl Invitee {
    /// Where the invitation mail goes.
    pub fn address(&self) -> &str {
        match self {
            Invitee::Email { email } => email,
            Invitee::Microsoft365 { upn, .. } => upn,
        }
    }

    /// Whether `person` is the invitee: the same Entra identity for a Microsoft 365 invitee, the
    /// same verified e-mail address (case-insensitive) otherwise.
    pub fn matches(&self, person: &SignedInPerson) -> bool {
        match self {
            Invitee::Microsoft365 { tid, oid, .. } => {
                tid.eq_ignore_ascii_case(&person.tid) && oid.eq_ignore_ascii_case(&person.oid)
            }
            Invitee::Email { email } => person.normalized_email().as_deref() == Some(email),
        }
    }

    /// Checks and normalises what a manager typed.
    pub(crate) fn normalized(self) -> Result<Invitee> {
        Ok(match self {
            Invitee::Email { email } => Invitee::Email {
                email: normalize_email(&email)?,
            },
            Invitee::Microsoft365 { tid, oid, upn } => {
                entra_id("tenant id", &tid)?;
                entra_id("object id", &oid)?;
                Invitee::Microsoft365 {
                    tid: tid.to_ascii_lowercase(),
                    oid: oid.to_ascii_lowercase(),
                    upn: normalize_email(&upn)?,
                }
            }
        })
    }
}

/// Stored state of an invitation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InvitationState {
    /// Waiting for the invitee.
    Pending,
    /// Used: the invitee joined, or linked an existing account (see [`AcceptOutcome`]).
    Accepted,
    /// Withdrawn by a user manager.
    Revoked,
    /// Pending past its expiry (never stored; see [`Invitation::effective_state`]).
    Expired,
}

/// What accepting an invitation did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AcceptOutcome {
    /// A new user of the inviting tenant.
    Joined,
    /// The invitee linked the identity to an existing account in another tenant instead (USR-3);
    /// which tenant is not recorded here, so the inviting tenant learns nothing about it.
    LinkedExistingAccount,
}

/// An invitation (`T#<tenant>` / `INV#<id>`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Invitation {
    /// Random id (UUID v4 from the OS random source); not the secret, the token is.
    pub id: Uuid,
    /// The inviting tenant.
    pub tenant: TenantId,
    /// Who may accept.
    pub invitee: Invitee,
    /// Role of the user accepting creates.
    pub role: Role,
    /// Rights of the user accepting creates.
    pub rights: Vec<Right>,
    /// Stored state.
    pub state: InvitationState,
    /// The manager who invited.
    pub invited_by: UserId,
    /// Their name, for the invitation page.
    pub invited_by_name: String,
    /// When, epoch ms.
    pub created_at_ms: EpochMillis,
    /// Accepting is possible until (exclusive), epoch ms.
    pub expires_at_ms: EpochMillis,
    /// When it was accepted.
    #[serde(default)]
    pub accepted_at_ms: Option<EpochMillis>,
    /// The user it created (only for [`AcceptOutcome::Joined`]).
    #[serde(default)]
    pub accepted_user: Option<UserId>,
    /// What accepting did.
    #[serde(default)]
    pub outcome: Option<AcceptOutcome>,
    /// When it was revoked.
    #[serde(default)]
    pub revoked_at_ms: Option<EpochMillis>,
    /// Who revoked it.
    #[serde(default)]
    pub revoked_by: Option<UserId>,
}

impl Invitation {
    /// The state as of `now`: pending past the expiry is expired.
    pub fn effective_state(&self, now: EpochMillis) -> InvitationState {
        match self.state {
            InvitationState::Pending if now >= self.expires_at_ms => InvitationState::Expired,
            s => s,
        }
    }
}

/// What the invitation page shows to whoever holds the link (read-only; a GET changes nothing).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InvitationView {
    /// The inviting environment's name.
    pub tenant_name: String,
    /// Who invited.
    pub invited_by_name: String,
    /// The address it was sent to (the holder of the link received it there).
    pub sent_to: String,
    /// Whether it is for a Microsoft 365 account (sign in with it) or any verified address.
    pub microsoft_365: bool,
    /// State as of now.
    pub state: InvitationState,
    /// Until when it can be accepted.
    pub expires_at_ms: EpochMillis,
}

/// What [`crate::Directory::invite`] returns to the manager.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvitationSent {
    /// The invitation.
    pub invitation: Invitation,
    /// The accept link that went out by mail. Returned so the local runner and tests can follow
    /// it; an API must not echo it to the inviter (it is the invitee's secret).
    pub accept_url: String,
    /// The single-use secret inside the link.
    pub token: String,
}

/// Stored state of a join request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum JoinRequestState {
    /// Waiting for a user manager.
    Pending,
    /// Approved: the person is a user now.
    Approved,
    /// Declined.
    Declined,
    /// Pending past its expiry (never stored).
    Expired,
}

/// The person behind a join request, as their sign-in said.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Requester {
    /// Entra tenant id.
    pub tid: String,
    /// Object id.
    pub oid: String,
    /// Display name.
    pub name: String,
    /// Sign-in name.
    #[serde(default)]
    pub username: Option<String>,
    /// Verified e-mail address.
    #[serde(default)]
    pub email: Option<String>,
}

/// A request to join (`T#<tenant>` / `JOIN#<id>`, USR-4).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JoinRequest {
    /// Its id.
    pub id: Uuid,
    /// The tenant asked.
    pub tenant: TenantId,
    /// Who asks.
    pub person: Requester,
    /// Stored state.
    pub state: JoinRequestState,
    /// When, epoch ms.
    pub created_at_ms: EpochMillis,
    /// Decidable until (exclusive).
    pub expires_at_ms: EpochMillis,
    /// The manager who decided.
    #[serde(default)]
    pub decided_by: Option<UserId>,
    /// When.
    #[serde(default)]
    pub decided_at_ms: Option<EpochMillis>,
    /// The user approving created.
    #[serde(default)]
    pub user: Option<UserId>,
}

impl JoinRequest {
    /// The state as of `now`.
    pub fn effective_state(&self, now: EpochMillis) -> JoinRequestState {
        match self.state {
            JoinRequestState::Pending if now >= self.expires_at_ms => JoinRequestState::Expired,
            s => s,
        }
    }
}

/// What [`crate::Directory::request_join`] returns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JoinRequested {
    /// The request.
    pub request: JoinRequest,
    /// User managers whose mail was queued.
    pub managers_notified: usize,
    /// User managers whose mail could not be queued (they still see the request on the users
    /// page) or who have no address.
    pub managers_not_notified: usize,
}

/// Stored state of a relation request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RelationRequestState {
    /// Waiting for the addressed relation manager.
    Pending,
    /// Accepted: the environments are partners.
    Accepted,
    /// Declined by the addressee.
    Declined,
    /// Withdrawn by the requester.
    Revoked,
    /// Pending past its expiry (never stored).
    Expired,
}

/// A relation request (PAR-4), stored twice with the same content: `T#<from>` /
/// `RELREQ#OUT#<id>` and `T#<to>` / `RELREQ#IN#<id>`, so each side lists its own; both copies
/// change together in one transaction.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RelationRequest {
    /// Its id.
    pub id: Uuid,
    /// Requesting environment.
    pub from_tenant: TenantId,
    /// Its name.
    pub from_tenant_name: String,
    /// Requesting relation manager.
    pub from_user: UserId,
    /// Their name.
    pub from_user_name: String,
    /// Addressed environment.
    pub to_tenant: TenantId,
    /// Its name.
    pub to_tenant_name: String,
    /// Addressed relation manager.
    pub to_user: UserId,
    /// Their name.
    pub to_user_name: String,
    /// Stored state.
    pub state: RelationRequestState,
    /// When, epoch ms.
    pub created_at_ms: EpochMillis,
    /// Acceptable until (exclusive).
    pub expires_at_ms: EpochMillis,
    /// When it was accepted, declined or revoked.
    #[serde(default)]
    pub decided_at_ms: Option<EpochMillis>,
    /// The relation accepting created.
    #[serde(default)]
    pub relation_id: Option<Uuid>,
}

impl RelationRequest {
    /// The state as of `now`.
    pub fn effective_state(&self, now: EpochMillis) -> RelationRequestState {
        match self.state {
            RelationRequestState::Pending if now >= self.expires_at_ms => {
                RelationRequestState::Expired
            }
            s => s,
        }
    }
}

/// What [`crate::Directory::request_relation`] returns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RelationRequestSent {
    /// The request.
    pub request: RelationRequest,
    /// The accept link mailed to the addressee (for the local runner and tests only).
    pub accept_url: String,
    /// The single-use secret inside it.
    pub token: String,
}

/// A member of a relation group: a person of either environment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RelationMember {
    /// Their environment.
    pub tenant: TenantId,
    /// The user.
    pub user: UserId,
    /// Their name.
    pub name: String,
}

/// A partner relation as one side stores it (`T#<tenant>` / `REL#<partner>`); the other side
/// holds the mirror image, written in the same transaction.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Relation {
    /// The relation's id (the same on both sides).
    pub id: Uuid,
    /// This side.
    pub tenant: TenantId,
    /// The other side.
    pub partner: TenantId,
    /// The other side's name.
    pub partner_name: String,
    /// When it was made.
    pub created_at_ms: EpochMillis,
    /// The request that made it.
    pub request_id: Uuid,
    /// The relation group (PAR-5): the two relation managers who made it, and whoever either
    /// side adds (PAR-6). Documents shared with the group are readable by its members of the
    /// other side.
    pub group: Vec<RelationMember>,
}

impl Relation {
    /// Whether `user` of `tenant` is in the relation group.
    pub fn has_member(&self, tenant: TenantId, user: UserId) -> bool {
        self.group
            .iter()
            .any(|m| m.tenant == tenant && m.user == user)
    }
}

/// A relation manager as other environments see them: the name and id, nothing else.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublicManager {
    /// The user (to address a relation request to).
    pub user_id: UserId,
    /// Display name.
    pub name: String,
}

/// A search hit (PAR-3): public details only.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PartnerSuggestion {
    /// The environment.
    pub tenant_id: TenantId,
    /// Its name.
    pub name: String,
    /// Its relation managers.
    pub relation_managers: Vec<PublicManager>,
}

/// A share job (PAR-5 "with the relation manager", which may take minutes): queued by
/// [`crate::Directory::share_with_relation_manager`], applied by
/// [`crate::Directory::apply_share_job`] from the queue's consumer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShareJob {
    /// Job id (idempotency key of the queue message).
    pub id: Uuid,
    /// The document's tenant.
    pub owner: TenantId,
    /// The document.
    pub doc: Uuid,
    /// The partner environment.
    pub partner: TenantId,
    /// The partner's relation manager who gets it.
    pub to_user: UserId,
    /// Who shared.
    pub shared_by: UserId,
    /// When it was asked, epoch ms.
    pub requested_at_ms: EpochMillis,
    /// The relation it was asked under (a job that outlives it shares nothing; a job queued
    /// before jobs named their relation reads as the nil id and shares nothing either).
    #[serde(default)]
    pub relation: Uuid,
}

/// What applying a share job did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ShareOutcome {
    /// The share exists now (also when it existed before: jobs may arrive twice).
    Applied,
    /// The relation no longer exists; nothing was shared. The message can be dropped.
    RelationGone,
}

/// How a document is shared with a partner.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "scope", rename_all = "snake_case")]
pub enum ShareScope {
    /// With the relation group: every partner-side member of the group may read it.
    Group,
    /// With one relation manager of the partner.
    Person {
        /// That user.
        user: UserId,
    },
}

/// A share of one document with one partner environment (`SHAREIN#…` in the partner's partition,
/// `SHAREOUT#…` in the owner's).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Share {
    /// The document's tenant.
    pub owner: TenantId,
    /// The document.
    pub doc: Uuid,
    /// The partner environment.
    pub partner: TenantId,
    /// With whom there.
    #[serde(flatten)]
    pub scope: ShareScope,
    /// Who shared.
    pub shared_by: UserId,
    /// When it took effect.
    pub shared_at_ms: EpochMillis,
    /// The relation it was made under: a share counts only while that relation lasts, so
    /// partners who end their relation and later make a new one start with nothing shared.
    /// (Items written before shares named their relation read as the nil id: never live.)
    #[serde(default)]
    pub relation: Uuid,
}

/// How a signed-in person relates to the directory (for the sign-in module).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SignInOutcome {
    /// An active user.
    Member {
        /// Their tenant.
        tenant: TenantId,
        /// The user.
        user: UserId,
    },
    /// A known user who is deactivated: refuse the sign-in.
    Deactivated,
    /// Not a user. `organisation_tenant` is the tenant of their Microsoft 365 organisation if it
    /// installed the app (offer "request to join"), else `None` (offer install to admins).
    NotAMember {
        /// The organisation's tenant.
        organisation_tenant: Option<TenantId>,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    fn person(email: Option<&str>) -> SignedInPerson {
        SignedInPerson {
            tid: "T1".into(),
            oid: "O1".into(),
            name: "  Ann\u{7}  ".into(),
            preferred_username: None,
            verified_email: email.map(str::to_string),
            is_tenant_admin: false,
        }
    }

    #[test]
    fn emails_compare_case_insensitively_and_junk_is_refused() {
        assert_eq!(
            normalize_email(" Ann@Example.COM ").ok(),
            Some("ann@example.com".into())
        );
        for bad in ["", "ann", "@x.nl", "a b@x.nl", "a@x", "a@x.nl.", "a@b@c.nl"] {
            assert!(normalize_email(bad).is_err(), "{bad}");
        }
        let inv = Invitee::Email {
            email: "ann@example.com".into(),
        };
        assert!(inv.matches(&person(Some("ANN@example.com"))));
        assert!(!inv.matches(&person(Some("bob@example.com"))));
        assert!(!inv.matches(&person(None)));
    }

    #[test]
    fn microsoft_invitees_match_on_tenant_and_object_id_only() {
        let inv = Invitee::Microsoft365 {
            tid: "t1".into(),
            oid: "o1".into(),
            upn: "ann@example.com".into(),
        };
        assert!(inv.matches(&person(None)));
        let mut other = person(Some("ann@example.com"));
        other.oid = "o2".into();
        assert!(
            !inv.matches(&other),
            "the same address is not the same person"
        );
    }

    #[test]
    fn names_are_cleaned_and_ids_checked() {
        assert_eq!(person(None).display_name(), "Ann");
        assert!(entra_id("x", "9188040d-6c67-4c5b-b112-36a304b66dad").is_ok());
        assert!(entra_id("x", "a#b").is_err());
        assert!(entra_id("x", "").is_err());
    }
}
