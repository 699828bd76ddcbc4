//! Authorisation checks shared by the use cases.

use bridge_core::tenant::{Right, TenantId, User};

use crate::DocError;

/// The actor must belong to the tenant it acts in: a user of tenant A can change nothing of B.
pub(crate) fn member(tenant: TenantId, actor: &User) -> Result<(), DocError> {
    if actor.tenant != tenant {
        return Err(DocError::Forbidden(
            "the user does not belong to this tenant".into(),
        ));
    }
    Ok(())
}

/// The actor must belong to the tenant and hold `right`.
pub(crate) fn require(tenant: TenantId, actor: &User, right: Right) -> Result<(), DocError> {
    member(tenant, actor)?;
    if !actor.has(right) {
        let name = match right {
            Right::AddDocument => "add document",
            Right::ManageUsers => "manage users",
        };
        return Err(DocError::Forbidden(format!(
            "this needs the right \"{name}\""
        )));
    }
    Ok(())
}
