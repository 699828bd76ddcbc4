//! State shared by the HTTP handlers and the test-facing API, and the mutations both use (so an
//! edit "by the Outlook user" records changes and fires notifications exactly like an API call).

use std::sync::{Arc, Mutex, MutexGuard};

use serde_json::{Map, Value};

use crate::config::EmulatorConfig;
use crate::error::EmulatorError;
use crate::mailbox::{ChangeKind, Coll, Mailbox};
use crate::notify::{self, Outgoing};
use crate::state::GraphState;

/// Shared emulator internals.
#[derive(Debug)]
pub(crate) struct Shared {
    pub state: Mutex<GraphState>,
    pub config: EmulatorConfig,
    /// `http://127.0.0.1:PORT`
    pub origin: String,
    pub http: reqwest::Client,
    pub rt: tokio::runtime::Handle,
}

/// Where an item operation applies.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Target<'a> {
    pub coll: Coll,
    /// Restricts user lookup to the caller's tenant (`None` = test API, any tenant).
    pub tenant: Option<&'a str>,
    pub user: &'a str,
    /// Container; `None` = default folder/calendar (create) or any (get/update/delete).
    pub folder: Option<&'a str>,
}

impl Shared {
    /// Locks the state (a poisoned lock is still usable: state changes are atomic per call).
    pub(crate) fn lock(&self) -> MutexGuard<'_, GraphState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// `http://127.0.0.1:PORT/v1.0`
    pub(crate) fn graph_base(&self) -> String {
        format!("{}/v1.0", self.origin)
    }

    fn mutate<F>(self: &Arc<Self>, t: Target<'_>, f: F) -> Result<Value, EmulatorError>
    where
        F: FnOnce(
            &mut Mailbox,
        ) -> Result<Option<(crate::mailbox::Item, ChangeKind)>, EmulatorError>,
    {
        let (json, out) = {
            let mut st = self.lock();
            let uid = st.resolve_user(t.tenant, t.user)?;
            let mb = &mut st.user_mut(&uid)?.mailbox;
            match f(mb)? {
                Some((item, kind)) => {
                    let out = notify::item_notifications(&st, &uid, &item, kind);
                    let json = if kind == ChangeKind::Deleted {
                        Value::Null
                    } else {
                        item.to_json()
                    };
                    (json, out)
                }
                None => (Value::Null, Vec::<Outgoing>::new()),
            }
        };
        notify::dispatch(self, out);
        Ok(json)
    }

    /// Creates an item. Events with a `transactionId` already used return the existing event.
    pub(crate) fn create_item(
        self: &Arc<Self>,
        t: Target<'_>,
        fields: Map<String, Value>,
    ) -> Result<Value, EmulatorError> {
        let mut existing = None;
        let json = self.mutate(t, |mb| {
            let tx = fields
                .get("transactionId")
                .filter(|_| t.coll == Coll::Events);
            if let Some(item) = tx.and_then(|tx| {
                mb.store(t.coll)
                    .items
                    .values()
                    .find(|i| i.fields.get("transactionId") == Some(tx))
            }) {
                existing = Some(item.to_json());
                return Ok(None);
            }
            let folder = t
                .folder
                .map_or_else(|| mb.default_folder(t.coll).to_owned(), str::to_owned);
            Ok(Some((
                mb.create(t.coll, &folder, fields)?,
                ChangeKind::Created,
            )))
        })?;
        Ok(existing.unwrap_or(json))
    }

    /// Updates an item (new changeKey), honouring `If-Match`.
    pub(crate) fn update_item(
        self: &Arc<Self>,
        t: Target<'_>,
        id: &str,
        fields: Map<String, Value>,
        if_match: Option<&str>,
    ) -> Result<Value, EmulatorError> {
        self.mutate(t, |mb| {
            check_folder(mb, t, id)?;
            Ok(Some((
                mb.update(t.coll, id, fields, if_match)?,
                ChangeKind::Updated,
            )))
        })
    }

    /// Deletes an item, honouring `If-Match`.
    pub(crate) fn delete_item(
        self: &Arc<Self>,
        t: Target<'_>,
        id: &str,
        if_match: Option<&str>,
    ) -> Result<(), EmulatorError> {
        self.mutate(t, |mb| {
            check_folder(mb, t, id)?;
            Ok(Some((
                mb.delete(t.coll, id, if_match)?,
                ChangeKind::Deleted,
            )))
        })
        .map(|_| ())
    }
}

/// With a folder in the path, the item must be in that folder.
fn check_folder(mb: &Mailbox, t: Target<'_>, id: &str) -> Result<(), EmulatorError> {
    if let Some(f) = t.folder {
        mb.folder(t.coll, f)?;
        if mb.item(t.coll, id)?.folder_id != f {
            return Err(EmulatorError::NotFound(format!("{} {id}", t.coll.noun())));
        }
    }
    Ok(())
}
