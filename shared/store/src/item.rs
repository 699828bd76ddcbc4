//! Items, keys and updates.

use serde_json::{Map, Value};

use crate::StoreError;

/// Largest item we accept, in bytes of its JSON form (DynamoDB's limit is 400 KB of its own
/// encoding; the JSON form is a close, slightly larger estimate, so we never pass DynamoDB an item
/// it would refuse).
pub const MAX_ITEM_BYTES: usize = 400 * 1024;

/// Attribute names the key occupies; items may not carry them as ordinary attributes.
pub const RESERVED: [&str; 2] = ["pk", "sk"];

/// The primary key of an item.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Key {
    /// Partition key; by convention it starts with the tenant (`T#<uuid>#…`).
    pub pk: String,
    /// Sort key.
    pub sk: String,
}

impl Key {
    /// A key from its two parts.
    pub fn new(pk: impl Into<String>, sk: impl Into<String>) -> Self {
        Self {
            pk: pk.into(),
            sk: sk.into(),
        }
    }

    /// Checks the key rules DynamoDB enforces (non-empty, pk ≤ 2048 bytes, sk ≤ 1024 bytes).
    pub fn validate(&self) -> Result<(), StoreError> {
        if self.pk.is_empty() || self.sk.is_empty() {
            return Err(StoreError::Invalid("pk and sk must not be empty".into()));
        }
        if self.pk.len() > 2048 {
            return Err(StoreError::Invalid("pk longer than 2048 bytes".into()));
        }
        if self.sk.len() > 1024 {
            return Err(StoreError::Invalid("sk longer than 1024 bytes".into()));
        }
        Ok(())
    }
}

/// An item: a key and JSON-like attributes (strings, numbers, booleans, null, lists, maps).
///
/// JSON values let domain types move in and out with serde, and map one-to-one onto DynamoDB
/// attribute values.
#[derive(Debug, Clone, PartialEq)]
pub struct Item {
    /// Where the item lives.
    pub key: Key,
    /// Its attributes (never `pk` or `sk`).
    pub attrs: Map<String, Value>,
}

impl Item {
    /// An item with no attributes.
    pub fn new(key: Key) -> Self {
        Self {
            key,
            attrs: Map::new(),
        }
    }

    /// Adds or replaces an attribute (builder style).
    pub fn with(mut self, name: impl Into<String>, value: impl Into<Value>) -> Self {
        self.attrs.insert(name.into(), value.into());
        self
    }

    /// An attribute's value.
    pub fn get(&self, name: &str) -> Option<&Value> {
        self.attrs.get(name)
    }

    /// A string attribute.
    pub fn get_str(&self, name: &str) -> Option<&str> {
        self.attrs.get(name).and_then(Value::as_str)
    }

    /// An integer attribute.
    pub fn get_i64(&self, name: &str) -> Option<i64> {
        self.attrs.get(name).and_then(Value::as_i64)
    }

    /// Checks key rules, reserved names and the size limit.
    pub fn validate(&self) -> Result<(), StoreError> {
        self.key.validate()?;
        validate_names(self.attrs.keys().map(String::as_str))?;
        let size = self.key.pk.len()
            + self.key.sk.len()
            + serde_json::to_vec(&self.attrs)
                .map(|v| v.len())
                .unwrap_or(usize::MAX);
        if size > MAX_ITEM_BYTES {
            return Err(StoreError::Invalid(format!(
                "item of {size} bytes exceeds the {MAX_ITEM_BYTES}-byte limit"
            )));
        }
        Ok(())
    }
}

pub(crate) fn validate_names<'a>(
    names: impl IntoIterator<Item = &'a str>,
) -> Result<(), StoreError> {
    for n in names {
        if n.is_empty() || n.len() > 255 {
            return Err(StoreError::Invalid(
                "attribute names must be 1..=255 bytes".into(),
            ));
        }
        if RESERVED.contains(&n) {
            return Err(StoreError::Invalid(format!(
                "attribute name `{n}` is reserved for the key"
            )));
        }
    }
    Ok(())
}

/// A partial change of an item, as DynamoDB's `UpdateItem` does it: set attributes, remove
/// attributes, add to numbers (a missing number counts as 0). Applied to a missing item it creates
/// it, like DynamoDB; guard with [`crate::Condition::Exists`] when that is not wanted.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Update {
    /// Attributes to set.
    pub set: Map<String, Value>,
    /// Attributes to remove.
    pub remove: Vec<String>,
    /// Numbers to add to (negative to subtract).
    pub add: Vec<(String, i64)>,
}

impl Update {
    /// An empty update.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets an attribute.
    pub fn set(mut self, name: impl Into<String>, value: impl Into<Value>) -> Self {
        self.set.insert(name.into(), value.into());
        self
    }

    /// Removes an attribute.
    pub fn remove(mut self, name: impl Into<String>) -> Self {
        self.remove.push(name.into());
        self
    }

    /// Adds `delta` to a number attribute.
    pub fn add(mut self, name: impl Into<String>, delta: i64) -> Self {
        self.add.push((name.into(), delta));
        self
    }

    /// Checks names, and that no attribute is touched twice (DynamoDB refuses overlapping paths).
    pub fn validate(&self) -> Result<(), StoreError> {
        let names: Vec<&str> = self
            .set
            .keys()
            .map(String::as_str)
            .chain(self.remove.iter().map(String::as_str))
            .chain(self.add.iter().map(|(n, _)| n.as_str()))
            .collect();
        validate_names(names.iter().copied())?;
        let mut seen = std::collections::HashSet::new();
        for n in names {
            if !seen.insert(n) {
                return Err(StoreError::Invalid(format!(
                    "attribute `{n}` appears twice in one update"
                )));
            }
        }
        Ok(())
    }

    /// Applies the update to an existing item or a new one with `key`.
    ///
    /// Fails when `add` targets an attribute that holds something other than an integer.
    pub fn apply(&self, key: &Key, existing: Option<Item>) -> Result<Item, StoreError> {
        let mut item = existing.unwrap_or_else(|| Item::new(key.clone()));
        for (k, v) in &self.set {
            item.attrs.insert(k.clone(), v.clone());
        }
        for k in &self.remove {
            item.attrs.remove(k);
        }
        for (k, delta) in &self.add {
            let current = match item.attrs.get(k) {
                None => 0,
                Some(v) => v.as_i64().ok_or_else(|| {
                    StoreError::Invalid(format!("cannot add to `{k}`: it is not an integer"))
                })?,
            };
            let sum = current
                .checked_add(*delta)
                .ok_or_else(|| StoreError::Invalid(format!("overflow adding to `{k}`")))?;
            item.attrs.insert(k.clone(), Value::from(sum));
        }
        Ok(item)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn update_creates_sets_removes_and_adds() {
        let key = Key::new("p", "s");
        let u = Update::new().set("a", "x").add("n", 2);
        let item = u.apply(&key, None).unwrap();
        assert_eq!(item.get("a"), Some(&json!("x")));
        assert_eq!(item.get_i64("n"), Some(2));
        let item = Update::new()
            .remove("a")
            .add("n", -5)
            .apply(&key, Some(item))
            .unwrap();
        assert_eq!(item.get("a"), None);
        assert_eq!(item.get_i64("n"), Some(-3));
    }

    #[test]
    fn reserved_and_duplicate_names_are_rejected() {
        assert!(
            Item::new(Key::new("p", "s"))
                .with("pk", 1)
                .validate()
                .is_err()
        );
        assert!(Update::new().set("a", 1).remove("a").validate().is_err());
        assert!(Key::new("", "s").validate().is_err());
    }

    #[test]
    fn oversized_item_is_rejected() {
        let big = "x".repeat(MAX_ITEM_BYTES);
        assert!(
            Item::new(Key::new("p", "s"))
                .with("b", big)
                .validate()
                .is_err()
        );
    }
}
