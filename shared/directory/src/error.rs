//! [`DirectoryError`]: every way a directory use case can refuse or fail.
//!
//! One enum for the whole crate, because the areas share most answers (not found, forbidden,
//! already used, expired, rate limited) and the HTTP layer maps them in one place. Each variant
//! names the status it is meant to become ([`DirectoryError::status`]). Whatever the variant, a
//! refused request has changed nothing: every state change is one conditional write or one
//! transaction, and a refusal is decided before it or by its failed condition.

use bridge_store::StoreError;

use crate::model::Decision;

/// Why a directory operation was refused or failed.
#[derive(Debug, Clone, thiserror::Error, PartialEq)]
pub enum DirectoryError {
    /// Input is malformed (a name, an e-mail address, an id of a Microsoft identity). → 400
    #[error("invalid input: {0}")]
    Invalid(String),
    /// A partner search needs at least `min` letters or digits, so it cannot list everyone. → 400
    #[error("search for at least {min} letters or digits")]
    QueryTooShort {
        /// The minimum.
        min: usize,
    },
    /// Installing needs a Microsoft 365 administrator of the organisation (USR-1). → 403
    #[error(
        "only an administrator of the Microsoft 365 organisation can install the app; ask your \
         Microsoft 365 admin to install it, or to invite you once it is installed"
    )]
    NotAnAdmin,
    /// The actor lacks the right or role the operation needs. → 403
    #[error("forbidden: {0}")]
    Forbidden(String),
    /// The acting or signing-in user is deactivated. → 403
    #[error("this user is deactivated")]
    Deactivated,
    /// Only a super admin may grant super admin or change a super admin. → 403
    #[error("only a super admin can grant the super admin role or change a super admin")]
    OnlySuperAdmin,
    /// The signed-in person is not the one the invitation was sent to. → 403
    #[error("this invitation was sent to someone else; sign in with the account it was sent to")]
    NotTheInvitee,
    /// The signed-in person is not the one the relation request was sent to. → 403
    #[error("this relation request was sent to someone else")]
    NotTheAddressee,
    /// The tenant's subscription does not include partner relations (PAR-2). → 403
    #[error("your subscription does not include partner relations")]
    PartnerRelationsNotInSubscription,
    /// Partners are only for advanced users and admins in the group "relation managers" (PAR-1).
    /// → 403
    #[error(
        "partners are only available to advanced users and admins in the group \"relation managers\""
    )]
    NotARelationManager,
    /// The thing does not exist in the actor's tenant (which is also what another tenant's ids
    /// look like). The string names the kind ("user", "invitation", …). → 404
    #[error("{0} not found")]
    NotFound(&'static str),
    /// The person's organisation has not installed the app, so there is nobody to ask. → 404
    #[error(
        "your organisation has not installed the app yet; ask your Microsoft 365 admin to install it"
    )]
    NoEnvironmentForOrganisation,
    /// The organisation already installed the app; nothing changed. → 409
    #[error("the app is already installed for this organisation")]
    AlreadyInstalled {
        /// The existing tenant, so the UI can offer to sign in or request to join.
        tenant_id: bridge_core::tenant::TenantId,
    },
    /// The link (invitation or relation request) was used already; nothing changed. → 409
    #[error("this link has already been used")]
    AlreadyUsed,
    /// The person already has an account (one person belongs to one tenant). → 409
    #[error(
        "you already have an account; sign in with it (to join with that account, use \"link my existing account\")"
    )]
    AlreadyHasAccount,
    /// The existing account already signs in with another Microsoft 365 identity. → 409
    #[error("that account is already linked to another Microsoft 365 account")]
    AccountAlreadyLinked,
    /// Someone decided the join request first; nothing changed. → 409
    #[error("this request was already {decision}")]
    AlreadyDecided {
        /// What was decided.
        decision: Decision,
    },
    /// The person already has a pending join request for this tenant. → 409
    #[error("you already asked to join; a user manager will decide")]
    JoinRequestPending {
        /// The pending request.
        request_id: uuid::Uuid,
    },
    /// A relation request between these two environments is pending already. → 409
    #[error("a relation request between these environments is already pending")]
    RelationRequestPending,
    /// The two environments are partners already. → 409
    #[error("these environments are already partners")]
    AlreadyPartners,
    /// The environments are not partners. → 404
    #[error("no partner relation with that environment")]
    NotPartners,
    /// The change would leave the tenant without an active super admin. → 409
    #[error("a tenant needs at least one super admin; make someone else super admin first")]
    LastSuperAdmin,
    /// A concurrent change got there first; nothing was written, the caller may retry. → 409
    #[error("changed meanwhile by someone else; reload and try again")]
    Conflict,
    /// The link or request expired; nothing changed. → 410
    #[error("this link has expired; ask for a new one")]
    Expired,
    /// The invitation or request was revoked; nothing changed. → 410
    #[error("this link was withdrawn")]
    Revoked,
    /// Too many requests; try again after `retry_after_ms`. → 429 with `Retry-After`
    #[error("too many requests; try again later")]
    RateLimited {
        /// Milliseconds until the current window ends.
        retry_after_ms: i64,
    },
    /// The state store or a queue failed; nothing was changed (or it was rolled back). → 503
    #[error("temporarily unavailable: {0}")]
    Unavailable(String),
    /// A stored item is not what this crate writes, or the store refused a request this crate
    /// built (a bug either way). → 500
    #[error("internal error: {0}")]
    Internal(String),
}

impl DirectoryError {
    /// The HTTP status this refusal is meant to become at the edge.
    pub fn status(&self) -> u16 {
        use DirectoryError as E;
        match self {
            E::Invalid(_) | E::QueryTooShort { .. } => 400,
            E::NotAnAdmin
            | E::Forbidden(_)
            | E::Deactivated
            | E::OnlySuperAdmin
            | E::NotTheInvitee
            | E::NotTheAddressee
            | E::PartnerRelationsNotInSubscription
            | E::NotARelationManager => 403,
            E::NotFound(_) | E::NoEnvironmentForOrganisation | E::NotPartners => 404,
            E::AlreadyInstalled { .. }
            | E::AlreadyUsed
            | E::AlreadyHasAccount
            | E::AccountAlreadyLinked
            | E::AlreadyDecided { .. }
            | E::JoinRequestPending { .. }
            | E::RelationRequestPending
            | E::AlreadyPartners
            | E::LastSuperAdmin
            | E::Conflict => 409,
            E::Expired | E::Revoked => 410,
            E::RateLimited { .. } => 429,
            E::Unavailable(_) => 503,
            E::Internal(_) => 500,
        }
    }
}

impl From<StoreError> for DirectoryError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::InvalidCursor => DirectoryError::Invalid("invalid paging cursor".into()),
            // A condition that a use case did not classify itself: a race it lost.
            StoreError::ConditionFailed | StoreError::TransactionCanceled { .. } => {
                DirectoryError::Conflict
            }
            StoreError::Invalid(m) => {
                DirectoryError::Internal(format!("refused by the store: {m}"))
            }
            StoreError::Backend(m) => DirectoryError::Unavailable(m),
        }
    }
}

/// Shorthand for results of this crate.
pub type Result<T, E = DirectoryError> = std::result::Result<T, E>;
