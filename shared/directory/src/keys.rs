//! The directory's key layout, in one place.
//!
//! Under the tenant partition `T#<tenant>` (nothing of one tenant is reachable from another's):
//!
//! | sort key | item |
//! |---|---|
//! | `TENANT` | the tenant record (+ `entra_tenant_id`, `partner_relations`, `findable`, `ver`) |
//! | `USER#<user>` | a [`bridge_core::tenant::UserAccount`] (+ `ver`) |
//! | `SUPERADMINS` | `count` of active super admins, never below 1 once installed |
//! | `INV#<id>` | an invitation |
//! | `JOIN#<id>` | a join request |
//! | `JOINPENDING#<tid>#<oid>` | the one pending join request of a person |
//! | `RATE#<what>#<who>#<window>` | a rate-limit counter (`count`, `expires_at_ms` for a TTL) |
//! | `RELREQ#OUT#<id>` / `RELREQ#IN#<id>` | a relation request, sent / received |
//! | `REL#<partner>` | a partner relation with its group |
//! | `SHAREIN#<owner>#<doc>#G` / `…#U#<user>` | a document of partner `owner` shared with us |
//! | `SHAREOUT#<partner>#<doc>#G` / `…#U#<user>` | the owner's record of the same share |
//!
//! Global items, only for what must be unique or found across tenants (`SYS#…`):
//!
//! | pk / sk | item |
//! |---|---|
//! | `SYS#entra#<tid>` / `TENANT` | the tenant an Entra tenant installed (one per organisation) |
//! | `SYS#person#<tid>#<oid>` / `USER` | the user a Microsoft identity signs in as (one each) |
//! | `SYS#invtoken#<sha256>` / `INVITATION` | invitation token → tenant + invitation id |
//! | `SYS#reltoken#<sha256>` / `RELATION_REQUEST` | relation token → addressed tenant + id |
//! | `SYS#relpair#<lo>#<hi>` / `PENDING` | the one pending relation request of a pair |
//! | `SYS#relreq#<id>` / `REQUEST` | relation request id → requesting tenant (operator lookups) |
//! | `SYS#findable` / `N#<name words>#<tenant>` | name index of findable environments |
//! | `SYS#partner#<tenant>` / `PROFILE` | a findable environment's public profile |
//! | `SYS#relmgr#<tenant>` / `U#<user>` | its relation managers (name, id; address kept private) |
//!
//! Microsoft ids are lower-cased in keys, so one identity has one key.

use bridge_core::tenant::{TENANT_SK, TenantId, UserId, tenant_pk, user_sk};
use bridge_store::Key;
use uuid::Uuid;

/// Sort-key prefix of users.
pub const USER_PREFIX: &str = "USER#";
/// Sort-key prefix of invitations.
pub const INV_PREFIX: &str = "INV#";
/// Sort-key prefix of join requests.
pub const JOIN_PREFIX: &str = "JOIN#";
/// Sort-key prefix of received relation requests.
pub const RELREQ_IN_PREFIX: &str = "RELREQ#IN#";
/// Sort-key prefix of sent relation requests.
pub const RELREQ_OUT_PREFIX: &str = "RELREQ#OUT#";
/// Sort-key prefix of relations.
pub const REL_PREFIX: &str = "REL#";
/// Prefix of the shares a tenant received (in the reader's partition).
pub const SHAREIN_PREFIX: &str = "SHAREIN#";
/// Prefix of the shares a tenant made (in the owner's partition).
pub const SHAREOUT_PREFIX: &str = "SHAREOUT#";
/// Partition of the findable-name index.
pub const FINDABLE_PK: &str = "SYS#findable";
/// Sort-key prefix inside [`FINDABLE_PK`].
pub const FINDABLE_PREFIX: &str = "N#";
/// Sort-key prefix of relation managers inside [`relmgr_pk`].
pub const RELMGR_PREFIX: &str = "U#";

/// The tenant record.
pub fn tenant(t: TenantId) -> Key {
    Key::new(tenant_pk(t), TENANT_SK)
}

/// A user.
pub fn user(t: TenantId, u: UserId) -> Key {
    Key::new(tenant_pk(t), user_sk(u))
}

/// The counter of active super admins.
pub fn super_admins(t: TenantId) -> Key {
    Key::new(tenant_pk(t), "SUPERADMINS")
}

/// An invitation.
pub fn invitation(t: TenantId, id: Uuid) -> Key {
    Key::new(tenant_pk(t), format!("{INV_PREFIX}{id}"))
}

/// A join request.
pub fn join_request(t: TenantId, id: Uuid) -> Key {
    Key::new(tenant_pk(t), format!("{JOIN_PREFIX}{id}"))
}

/// The pending-join marker of a person in a tenant.
pub fn join_pending(t: TenantId, tid: &str, oid: &str) -> Key {
    Key::new(
        tenant_pk(t),
        format!(
            "JOINPENDING#{}#{}",
            tid.to_ascii_lowercase(),
            oid.to_ascii_lowercase()
        ),
    )
}

/// A rate-limit counter: `what` is limited per `who` in the window numbered `window`.
pub fn rate(t: TenantId, what: &str, who: &str, window: i64) -> Key {
    Key::new(tenant_pk(t), format!("RATE#{what}#{who}#{window}"))
}

/// A relation request as the requester stores it.
pub fn relreq_out(t: TenantId, id: Uuid) -> Key {
    Key::new(tenant_pk(t), format!("{RELREQ_OUT_PREFIX}{id}"))
}

/// A relation request as the addressee stores it.
pub fn relreq_in(t: TenantId, id: Uuid) -> Key {
    Key::new(tenant_pk(t), format!("{RELREQ_IN_PREFIX}{id}"))
}

/// Where the relation request `id` lives: its requesting tenant (for operators, who know the id
/// but not the tenant).
pub fn relreq_by_id(id: Uuid) -> Key {
    Key::new(format!("SYS#relreq#{id}"), "REQUEST")
}

/// `t`'s relation with `partner`.
pub fn relation(t: TenantId, partner: TenantId) -> Key {
    Key::new(tenant_pk(t), format!("{REL_PREFIX}{partner}"))
}

fn share_suffix(user: Option<UserId>) -> String {
    match user {
        None => "G".to_string(),
        Some(u) => format!("U#{u}"),
    }
}

/// A share as the partner (reader) side stores it; `user` None = with the relation group.
pub fn share_in(partner: TenantId, owner: TenantId, doc: Uuid, user: Option<UserId>) -> Key {
    Key::new(
        tenant_pk(partner),
        format!("{SHAREIN_PREFIX}{owner}#{doc}#{}", share_suffix(user)),
    )
}

/// A share as the owner side stores it.
pub fn share_out(owner: TenantId, partner: TenantId, doc: Uuid, user: Option<UserId>) -> Key {
    Key::new(
        tenant_pk(owner),
        format!("{SHAREOUT_PREFIX}{partner}#{doc}#{}", share_suffix(user)),
    )
}

/// The tenant installed from Entra tenant `tid`.
pub fn entra_tenant(tid: &str) -> Key {
    Key::new(format!("SYS#entra#{}", tid.to_ascii_lowercase()), "TENANT")
}

/// The user a Microsoft identity signs in as.
pub fn person(tid: &str, oid: &str) -> Key {
    Key::new(
        format!(
            "SYS#person#{}#{}",
            tid.to_ascii_lowercase(),
            oid.to_ascii_lowercase()
        ),
        "USER",
    )
}

/// Invitation token lookup, by the token's SHA-256 (hex).
pub fn invitation_token(hash: &str) -> Key {
    Key::new(format!("SYS#invtoken#{hash}"), "INVITATION")
}

/// Relation-request token lookup, by the token's SHA-256 (hex).
pub fn relation_token(hash: &str) -> Key {
    Key::new(format!("SYS#reltoken#{hash}"), "RELATION_REQUEST")
}

/// The pending-request marker of a pair of environments, the same whichever side asks.
pub fn relation_pair(a: TenantId, b: TenantId) -> Key {
    let (lo, hi) = if a <= b { (a, b) } else { (b, a) };
    Key::new(format!("SYS#relpair#{lo}#{hi}"), "PENDING")
}

/// An entry of the findable-name index.
pub fn findable(normalized: &str, t: TenantId) -> Key {
    Key::new(FINDABLE_PK, format!("{FINDABLE_PREFIX}{normalized}#{t}"))
}

/// A findable environment's public profile.
pub fn partner_profile(t: TenantId) -> Key {
    Key::new(format!("SYS#partner#{t}"), "PROFILE")
}

/// Partition of `t`'s published relation managers.
pub fn relmgr_pk(t: TenantId) -> String {
    format!("SYS#relmgr#{t}")
}

/// One published relation manager.
pub fn relmgr(t: TenantId, u: UserId) -> Key {
    Key::new(relmgr_pk(t), format!("{RELMGR_PREFIX}{u}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pair_key_is_the_same_from_both_sides_and_ids_are_lowercased() {
        let a = TenantId(Uuid::from_u128(1));
        let b = TenantId(Uuid::from_u128(2));
        assert_eq!(relation_pair(a, b), relation_pair(b, a));
        assert_eq!(person("ABC", "DEF"), person("abc", "def"));
        assert!(user(a, UserId(Uuid::from_u128(3))).pk.starts_with("T#"));
        assert_ne!(
            share_in(b, a, Uuid::nil(), None),
            share_out(a, b, Uuid::nil(), None)
        );
    }
}
