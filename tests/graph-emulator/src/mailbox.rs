//! One user's mailbox: contact folders + contacts, calendars + events, each collection with the
//! change log that drives delta.

use std::collections::HashMap;

use serde_json::{Map, Value, json};

use crate::error::EmulatorError;
use crate::time::{format_millis, now_millis, parse_millis};

/// Kind of a recorded change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChangeKind {
    /// Item created.
    Created,
    /// Item updated.
    Updated,
    /// Item deleted.
    Deleted,
}

impl ChangeKind {
    /// Graph's `changeType` value.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Created => "created",
            Self::Updated => "updated",
            Self::Deleted => "deleted",
        }
    }
}

/// Which item collection of a mailbox.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Coll {
    Contacts,
    Events,
}

impl Coll {
    /// Path segment of the containers (`contactFolders` / `calendars`).
    pub(crate) fn folder_segment(self) -> &'static str {
        match self {
            Self::Contacts => "contactFolders",
            Self::Events => "calendars",
        }
    }

    /// Path segment of the items (`contacts` / `events`).
    pub(crate) fn item_segment(self) -> &'static str {
        match self {
            Self::Contacts => "contacts",
            Self::Events => "events",
        }
    }

    pub(crate) fn noun(self) -> &'static str {
        match self {
            Self::Contacts => "contact",
            Self::Events => "event",
        }
    }

    /// `@odata.type` in notifications.
    pub(crate) fn odata_type(self) -> &'static str {
        match self {
            Self::Contacts => "#Microsoft.Graph.Contact",
            Self::Events => "#Microsoft.Graph.Event",
        }
    }

    /// Segment in notification `resource` (`Contacts` / `Events`).
    pub(crate) fn resource_segment(self) -> &'static str {
        match self {
            Self::Contacts => "Contacts",
            Self::Events => "Events",
        }
    }
}

/// A contact folder or a calendar.
#[derive(Debug, Clone)]
pub(crate) struct Folder {
    pub id: String,
    pub display_name: String,
}

/// A stored contact or event.
#[derive(Debug, Clone)]
pub(crate) struct Item {
    pub coll: Coll,
    pub id: String,
    pub folder_id: String,
    pub change_key: String,
    pub created_ms: i64,
    pub modified_ms: i64,
    pub created_seq: u64,
    pub fields: Map<String, Value>,
}

impl Item {
    pub(crate) fn etag(&self) -> String {
        format!("W/\"{}\"", self.change_key)
    }

    /// Graph JSON of the item.
    pub(crate) fn to_json(&self) -> Value {
        let mut m = Map::new();
        m.insert("@odata.etag".into(), Value::String(self.etag()));
        m.insert("id".into(), Value::String(self.id.clone()));
        m.insert("changeKey".into(), Value::String(self.change_key.clone()));
        m.insert(
            "createdDateTime".into(),
            Value::String(format_millis(self.created_ms)),
        );
        m.insert(
            "lastModifiedDateTime".into(),
            Value::String(format_millis(self.modified_ms)),
        );
        match self.coll {
            Coll::Contacts => {
                m.insert(
                    "parentFolderId".into(),
                    Value::String(self.folder_id.clone()),
                );
            }
            Coll::Events => {
                m.insert("type".into(), Value::String("singleInstance".into()));
            }
        }
        for (k, v) in &self.fields {
            m.insert(k.clone(), v.clone());
        }
        Value::Object(m)
    }

    /// `[start, end)` of an event in epoch ms (times read as UTC).
    pub(crate) fn span(&self) -> Option<(i64, i64)> {
        event_span(&self.fields)
    }
}

fn event_span(fields: &Map<String, Value>) -> Option<(i64, i64)> {
    let at = |k: &str| parse_millis(fields.get(k)?.get("dateTime")?.as_str()?);
    Some((at("start")?, at("end")?))
}

/// One entry of a change log.
#[derive(Debug, Clone)]
pub(crate) struct Change {
    pub seq: u64,
    pub folder_id: String,
    pub item_id: String,
}

/// Items of one collection plus their change log.
#[derive(Debug, Default)]
pub(crate) struct Store {
    pub items: HashMap<String, Item>,
    pub log: Vec<Change>,
    pub seq: u64,
}

impl Store {
    fn record(&mut self, folder_id: &str, item_id: &str) -> u64 {
        self.seq += 1;
        self.log.push(Change {
            seq: self.seq,
            folder_id: folder_id.to_owned(),
            item_id: item_id.to_owned(),
        });
        self.seq
    }
}

/// A mailbox.
#[derive(Debug)]
pub(crate) struct Mailbox {
    /// Id of the mailbox root (parent of contact folders).
    pub root_id: String,
    pub contact_folders: Vec<Folder>,
    pub calendars: Vec<Folder>,
    pub contacts: Store,
    pub events: Store,
    /// Bumped by the "invalidate delta tokens" hook; older tokens get 410.
    pub delta_epoch: u64,
}

const READ_ONLY: &[&str] = &[
    "id",
    "changeKey",
    "createdDateTime",
    "lastModifiedDateTime",
    "parentFolderId",
    "type",
];

fn writable(fields: Map<String, Value>) -> Map<String, Value> {
    fields
        .into_iter()
        .filter(|(k, _)| !k.starts_with('@') && !READ_ONLY.contains(&k.as_str()))
        .collect()
}

fn new_id() -> String {
    format!("AAMk{}", uuid::Uuid::new_v4().simple())
}

fn new_change_key() -> String {
    format!("EQAAABYA{}", uuid::Uuid::new_v4().simple())
}

/// `true` when an `If-Match` header value matches the item (or is absent / `*`).
fn if_match_ok(item: &Item, if_match: Option<&str>) -> bool {
    match if_match.map(str::trim) {
        None | Some("*") => true,
        Some(v) => {
            let v = v.strip_prefix("W/").unwrap_or(v).trim_matches('"');
            v == item.change_key
        }
    }
}

fn validate(coll: Coll, fields: &Map<String, Value>) -> Result<(), EmulatorError> {
    if coll == Coll::Events {
        let (start, end) = event_span(fields).ok_or_else(|| {
            EmulatorError::Invalid("an event needs start and end with a valid dateTime".into())
        })?;
        if end < start {
            return Err(EmulatorError::Invalid(
                "the end of an event must not be before its start".into(),
            ));
        }
    }
    Ok(())
}

impl Default for Mailbox {
    fn default() -> Self {
        Self {
            root_id: new_id(),
            contact_folders: vec![Folder {
                id: new_id(),
                display_name: "Contacts".into(),
            }],
            calendars: vec![Folder {
                id: new_id(),
                display_name: "Calendar".into(),
            }],
            contacts: Store::default(),
            events: Store::default(),
            delta_epoch: 0,
        }
    }
}

impl Mailbox {
    pub(crate) fn folders(&self, c: Coll) -> &[Folder] {
        match c {
            Coll::Contacts => &self.contact_folders,
            Coll::Events => &self.calendars,
        }
    }

    /// The default contact folder / primary calendar (always the first).
    pub(crate) fn default_folder(&self, c: Coll) -> &str {
        self.folders(c).first().map_or("", |f| f.id.as_str())
    }

    pub(crate) fn store(&self, c: Coll) -> &Store {
        match c {
            Coll::Contacts => &self.contacts,
            Coll::Events => &self.events,
        }
    }

    fn store_mut(&mut self, c: Coll) -> &mut Store {
        match c {
            Coll::Contacts => &mut self.contacts,
            Coll::Events => &mut self.events,
        }
    }

    pub(crate) fn folder(&self, c: Coll, id: &str) -> Result<&Folder, EmulatorError> {
        self.folders(c)
            .iter()
            .find(|f| f.id == id)
            .ok_or_else(|| EmulatorError::NotFound(format!("{} {id}", c.folder_segment())))
    }

    /// Graph JSON of a contact folder or calendar.
    pub(crate) fn folder_json(&self, c: Coll, f: &Folder) -> Value {
        match c {
            Coll::Contacts => {
                json!({ "id": f.id, "displayName": f.display_name, "parentFolderId": self.root_id })
            }
            Coll::Events => json!({
                "id": f.id,
                "name": f.display_name,
                "isDefaultCalendar": f.id == self.default_folder(c),
                "canEdit": true,
            }),
        }
    }

    pub(crate) fn create_folder(&mut self, c: Coll, name: &str) -> Result<Folder, EmulatorError> {
        if name.trim().is_empty() {
            return Err(EmulatorError::Invalid("a folder name is required".into()));
        }
        if self.folders(c).iter().any(|f| f.display_name == name) {
            return Err(EmulatorError::Conflict(format!(
                "a folder named {name} already exists"
            )));
        }
        let f = Folder {
            id: new_id(),
            display_name: name.to_owned(),
        };
        match c {
            Coll::Contacts => self.contact_folders.push(f.clone()),
            Coll::Events => self.calendars.push(f.clone()),
        }
        Ok(f)
    }

    pub(crate) fn item(&self, c: Coll, id: &str) -> Result<&Item, EmulatorError> {
        self.store(c)
            .items
            .get(id)
            .ok_or_else(|| EmulatorError::NotFound(format!("{} {id}", c.noun())))
    }

    /// Items of a folder, oldest first.
    pub(crate) fn items_in(&self, c: Coll, folder_id: &str) -> Vec<&Item> {
        let mut v: Vec<&Item> = self
            .store(c)
            .items
            .values()
            .filter(|i| i.folder_id == folder_id)
            .collect();
        v.sort_by_key(|i| i.created_seq);
        v
    }

    pub(crate) fn create(
        &mut self,
        c: Coll,
        folder_id: &str,
        fields: Map<String, Value>,
    ) -> Result<Item, EmulatorError> {
        self.folder(c, folder_id)?;
        let fields = writable(fields);
        validate(c, &fields)?;
        let now = now_millis();
        let id = new_id();
        let store = self.store_mut(c);
        let seq = store.record(folder_id, &id);
        let item = Item {
            coll: c,
            id: id.clone(),
            folder_id: folder_id.to_owned(),
            change_key: new_change_key(),
            created_ms: now,
            modified_ms: now,
            created_seq: seq,
            fields,
        };
        store.items.insert(id, item.clone());
        Ok(item)
    }

    pub(crate) fn update(
        &mut self,
        c: Coll,
        id: &str,
        fields: Map<String, Value>,
        if_match: Option<&str>,
    ) -> Result<Item, EmulatorError> {
        let store = self.store_mut(c);
        let item = store
            .items
            .get_mut(id)
            .ok_or_else(|| EmulatorError::NotFound(format!("{} {id}", c.noun())))?;
        if !if_match_ok(item, if_match) {
            return Err(EmulatorError::PreconditionFailed(id.to_owned()));
        }
        let mut merged = item.fields.clone();
        merged.extend(writable(fields));
        validate(c, &merged)?;
        item.fields = merged;
        item.change_key = new_change_key();
        item.modified_ms = now_millis().max(item.modified_ms + 1);
        let item = item.clone();
        store.record(&item.folder_id, id);
        Ok(item)
    }

    pub(crate) fn delete(
        &mut self,
        c: Coll,
        id: &str,
        if_match: Option<&str>,
    ) -> Result<Item, EmulatorError> {
        let item = self.item(c, id)?;
        if !if_match_ok(item, if_match) {
            return Err(EmulatorError::PreconditionFailed(id.to_owned()));
        }
        let store = self.store_mut(c);
        let item = store
            .items
            .remove(id)
            .ok_or_else(|| EmulatorError::NotFound(format!("{} {id}", c.noun())))?;
        store.record(&item.folder_id, id);
        Ok(item)
    }
}
