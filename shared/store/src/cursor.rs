//! Opaque paging cursors.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};

use crate::{Key, StoreError};

/// Where the next page of a query starts. Opaque to callers: safe to hand to a browser and take
/// back, because [`Cursor::decode_for`] only accepts a cursor that belongs to the same query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cursor(String);

#[derive(Serialize, Deserialize)]
struct Raw {
    pk: String,
    sk: String,
}

impl Cursor {
    /// The cursor continuing after `last`.
    pub fn after(last: &Key) -> Self {
        let raw = Raw {
            pk: last.pk.clone(),
            sk: last.sk.clone(),
        };
        let json = serde_json::to_vec(&raw).unwrap_or_default();
        Cursor(URL_SAFE_NO_PAD.encode(json))
    }

    /// The cursor as a string for transport.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Takes back a cursor from transport. Validity is checked when it is used.
    pub fn from_string(s: impl Into<String>) -> Self {
        Cursor(s.into())
    }

    /// The last key of the previous page, if the cursor belongs to partition `pk` and prefix.
    pub fn decode_for(&self, pk: &str, sk_prefix: &str) -> Result<Key, StoreError> {
        let bytes = URL_SAFE_NO_PAD
            .decode(&self.0)
            .map_err(|_| StoreError::InvalidCursor)?;
        let raw: Raw = serde_json::from_slice(&bytes).map_err(|_| StoreError::InvalidCursor)?;
        if raw.pk != pk || !raw.sk.starts_with(sk_prefix) {
            return Err(StoreError::InvalidCursor);
        }
        Ok(Key {
            pk: raw.pk,
            sk: raw.sk,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursor_round_trips_and_rejects_other_partitions_and_garbage() {
        let c = Cursor::after(&Key::new("T#1", "DOC#5"));
        assert_eq!(
            c.decode_for("T#1", "DOC#").unwrap(),
            Key::new("T#1", "DOC#5")
        );
        assert_eq!(c.decode_for("T#2", ""), Err(StoreError::InvalidCursor));
        assert_eq!(c.decode_for("T#1", "USER#"), Err(StoreError::InvalidCursor));
        assert_eq!(
            Cursor::from_string("!!!").decode_for("T#1", ""),
            Err(StoreError::InvalidCursor)
        );
    }
}
