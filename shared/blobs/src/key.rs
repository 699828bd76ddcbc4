//! [`BlobKey`]: the only way a key reaches an adapter, so neither a file path nor an S3 key can
//! be built from unchecked input.

use crate::BlobError;

/// Longest key accepted, in bytes. S3 allows 1024 bytes of UTF-8; our alphabet is ASCII.
pub const MAX_KEY_LEN: usize = 1024;

/// A validated blob key such as `tenants/<uuid>/docs/<uuid>/<version-uuid>`.
///
/// Rules (checked by [`BlobKey::parse`]): 1..=1024 bytes; `/`-separated segments, each non-empty
/// and neither `.` nor `..`; no leading or trailing `/`; only ASCII letters, digits and
/// `-_.=#@+`. These make the key safe to join under a directory (no traversal, no absolute
/// path) and identical in meaning on S3 and on a filesystem.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct BlobKey(String);

impl BlobKey {
    /// Validates `s` against the key rules.
    pub fn parse(s: &str) -> Result<BlobKey, BlobError> {
        validate(s).map_err(BlobError::InvalidKey)?;
        Ok(BlobKey(s.to_owned()))
    }

    /// The key as text, exactly as parsed.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The key's `/`-separated segments; each is a safe single path component.
    pub fn segments(&self) -> impl Iterator<Item = &str> {
        self.0.split('/')
    }
}

fn allowed_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '=' | '#' | '@' | '+')
}

fn validate(s: &str) -> Result<(), String> {
    if s.is_empty() {
        return Err("key is empty".into());
    }
    if s.len() > MAX_KEY_LEN {
        return Err("key is longer than 1024 bytes".into());
    }
    if s.starts_with('/') {
        return Err("key starts with '/'".into());
    }
    if s.ends_with('/') {
        return Err("key ends with '/'".into());
    }
    if let Some((at, bad)) = s
        .char_indices()
        .find(|(_, c)| *c != '/' && !allowed_char(*c))
    {
        return Err(format!(
            "key contains {bad:?} at byte {at}; allowed are ASCII letters, digits, '/' and -_.=#@+"
        ));
    }
    for seg in s.split('/') {
        match seg {
            "" => return Err("key has an empty segment ('//')".into()),
            "." | ".." => return Err("key has a '.' or '..' segment".into()),
            _ => {}
        }
    }
    Ok(())
}

impl std::fmt::Display for BlobKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for BlobKey {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl TryFrom<&str> for BlobKey {
    type Error = BlobError;

    fn try_from(s: &str) -> Result<Self, Self::Error> {
        BlobKey::parse(s)
    }
}

impl TryFrom<String> for BlobKey {
    type Error = BlobError;

    fn try_from(s: String) -> Result<Self, Self::Error> {
        validate(&s).map_err(BlobError::InvalidKey)?;
        Ok(BlobKey(s))
    }
}

impl std::str::FromStr for BlobKey {
    type Err = BlobError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        BlobKey::parse(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn reason(s: &str) -> String {
        match BlobKey::parse(s) {
            Err(BlobError::InvalidKey(why)) => why,
            other => panic!("expected InvalidKey for {s:?}, got {other:?}"),
        }
    }

    #[test]
    fn accepts_typical_keys() {
        for k in [
            "a",
            "tenants/0b1c2d3e-0000-4000-8000-000000000001/docs/0b1c2d3e-0000-4000-8000-000000000002/0b1c2d3e-0000-4000-8000-000000000003",
            "a/b.c/d..e/...",
            "x=1#2@3+4_5-6",
            ".hidden/file.txt",
        ] {
            let k2 = BlobKey::parse(k).unwrap();
            assert_eq!(k2.as_str(), k);
            assert_eq!(k2.to_string(), k);
            assert_eq!(BlobKey::try_from(k).unwrap(), k2);
        }
    }

    #[test]
    fn rejects_with_reasons() {
        assert!(reason("").contains("empty"));
        assert!(reason("/a").contains("starts"));
        assert!(reason("a/").contains("ends"));
        assert!(reason("a//b").contains("empty segment"));
        assert!(reason("a/../b").contains(".."));
        assert!(reason("..").contains(".."));
        assert!(reason("a/./b").contains("'.'"));
        assert!(reason("a b").contains("' ' at byte 1"));
        assert!(reason("a\\b").contains("allowed are"));
        assert!(reason("é").contains("allowed are"));
        assert!(reason("a\0b").contains("allowed are"));
        assert!(reason("/").contains("starts"));
    }

    #[test]
    fn length_limit_is_1024_bytes() {
        let ok = "a".repeat(MAX_KEY_LEN);
        assert!(BlobKey::parse(&ok).is_ok());
        let long = "a".repeat(MAX_KEY_LEN + 1);
        assert!(reason(&long).contains("1024"));
    }

    #[test]
    fn error_message_is_clear() {
        let e = BlobKey::parse("a/../b").unwrap_err();
        assert_eq!(
            e.to_string(),
            "invalid blob key: key has a '.' or '..' segment"
        );
    }

    proptest! {
        #[test]
        fn parsed_keys_are_safe(s in "[a-zA-Z0-9/._=#@+-]{0,40}") {
            if let Ok(k) = BlobKey::parse(&s) {
                prop_assert!(!k.as_str().starts_with('/'));
                prop_assert!(!k.as_str().ends_with('/'));
                prop_assert!(k.segments().all(|seg| seg != ".." && seg != "." && !seg.is_empty()));
                prop_assert!(!std::path::Path::new(k.as_str()).is_absolute());
            }
        }

        #[test]
        fn arbitrary_text_never_yields_traversal(s in ".{0,40}") {
            if let Ok(k) = BlobKey::parse(&s) {
                prop_assert!(k.segments().all(|seg| seg != ".."));
                prop_assert!(!k.as_str().starts_with('/'));
            }
        }

        #[test]
        fn valid_segments_always_parse(segs in prop::collection::vec("[a-z0-9_-][a-z0-9._-]{0,8}", 1..6)) {
            let joined = segs.join("/");
            prop_assert!(BlobKey::parse(&joined).is_ok(), "{joined:?} should parse");
        }
    }
}
