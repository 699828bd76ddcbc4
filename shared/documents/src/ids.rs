//! Typed ids of client files, documents and versions.
//!
//! Ids arrive from URLs and tokens, i.e. from outside; parsing them into these types is the only
//! way to build a key from them, so a malformed id is refused before it reaches the store, and a
//! well-formed one is always rendered in the one canonical form the keys were written with.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::DocError;

fn parse_uuid(kind: &str, s: &str) -> Result<Uuid, DocError> {
    // Only the hyphenated form (36 chars): the same id must not have several spellings.
    if s.len() != 36 {
        return Err(DocError::InvalidId(format!(
            "{kind} id must be a hyphenated UUID"
        )));
    }
    let id = Uuid::try_parse(s)
        .map_err(|_| DocError::InvalidId(format!("{kind} id must be a hyphenated UUID")))?;
    if id.is_nil() {
        return Err(DocError::InvalidId(format!("{kind} id must not be nil")));
    }
    Ok(id)
}

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident, $kind:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub Uuid);

        impl $name {
            /// Parses an id from outside (hyphenated UUID, not nil).
            pub fn parse(s: &str) -> Result<Self, DocError> {
                parse_uuid($kind, s).map($name)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.hyphenated().fmt(f)
            }
        }

        impl FromStr for $name {
            type Err = DocError;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Self::parse(s)
            }
        }
    };
}

id_type!(
    /// A client file's id (the "client" whose documents these are).
    ClientId,
    "client"
);
id_type!(
    /// A document's id; also the WOPI file id.
    DocId,
    "document"
);
id_type!(
    /// A version's id (UUID v7 from the id port); also the WOPI `Version` of CheckFileInfo.
    VersionId,
    "version"
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_parse_only_canonical_uuids() {
        let s = "0190f3c2-0000-7000-8000-000000000001";
        assert_eq!(DocId::parse(s).unwrap().to_string(), s);
        let upper = s.to_uppercase();
        assert_eq!(DocId::parse(&upper).unwrap().to_string(), s);
        for bad in [
            "",
            "x",
            "0190f3c200007000800000000000000001",
            "{0190f3c2-0000-7000-8000-000000000001}",
            "00000000-0000-0000-0000-000000000000",
            "../../etc/passwd-aaaaaaaaaaaaaaaaaaaa",
        ] {
            assert!(
                matches!(ClientId::parse(bad), Err(DocError::InvalidId(_))),
                "{bad:?}"
            );
        }
    }
}
