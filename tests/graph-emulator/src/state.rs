//! The emulated directory: tenants, apps, users (each with a mailbox), tokens, subscriptions, and
//! the identity provider's state.

use std::collections::HashMap;
use std::time::Instant;

use serde_json::{Value, json};

use crate::error::EmulatorError;
use crate::idp::IdpState;
use crate::mailbox::Mailbox;
use crate::notify::{DeliveryControl, DeliveryRecord, SentMail, Subscription};
use crate::throttle::Throttle;

/// A tenant and its registered apps.
#[derive(Debug, Default)]
pub(crate) struct Tenant {
    /// client_id → client_secret
    pub apps: HashMap<String, String>,
    /// user ids in creation order
    pub user_ids: Vec<String>,
}

/// A user with a mailbox.
#[derive(Debug)]
pub(crate) struct User {
    pub id: String,
    pub tenant_id: String,
    pub display_name: String,
    pub mail: String,
    pub upn: String,
    pub mailbox: Mailbox,
}

impl User {
    pub(crate) fn to_json(&self) -> Value {
        json!({
            "id": self.id,
            "displayName": self.display_name,
            "mail": self.mail,
            "userPrincipalName": self.upn,
        })
    }
}

/// An issued access token.
#[derive(Debug, Clone)]
pub(crate) struct IssuedToken {
    pub tenant_id: String,
    pub app_id: String,
    pub expires: Instant,
}

/// Everything, behind one mutex.
#[derive(Debug, Default)]
pub(crate) struct GraphState {
    pub tenants: HashMap<String, Tenant>,
    pub users: HashMap<String, User>,
    pub tokens: HashMap<String, IssuedToken>,
    pub throttle: Throttle,
    pub subscriptions: Vec<Subscription>,
    pub deliveries: Vec<DeliveryRecord>,
    pub control: DeliveryControl,
    pub outbox: Vec<SentMail>,
    /// Identity provider mode: signing keys, the "browser" session, codes, consents.
    pub idp: IdpState,
}

impl GraphState {
    /// Resolves a user reference (id, or userPrincipalName case-insensitively), optionally
    /// restricted to one tenant.
    pub(crate) fn resolve_user(
        &self,
        tenant: Option<&str>,
        user_ref: &str,
    ) -> Result<String, EmulatorError> {
        let found = self.users.get(user_ref).or_else(|| {
            self.users
                .values()
                .find(|u| u.upn.eq_ignore_ascii_case(user_ref))
        });
        match found {
            Some(u) if tenant.is_none_or(|t| t == u.tenant_id) => Ok(u.id.clone()),
            _ => Err(EmulatorError::UnknownUser(user_ref.to_owned())),
        }
    }

    pub(crate) fn user(&self, id: &str) -> Result<&User, EmulatorError> {
        self.users
            .get(id)
            .ok_or_else(|| EmulatorError::UnknownUser(id.to_owned()))
    }

    pub(crate) fn user_mut(&mut self, id: &str) -> Result<&mut User, EmulatorError> {
        self.users
            .get_mut(id)
            .ok_or_else(|| EmulatorError::UnknownUser(id.to_owned()))
    }
}
