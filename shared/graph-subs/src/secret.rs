//! The clientState secret: stored as a SHA-256 hash, compared in constant time.

use secrecy::SecretString;
use sha2::{Digest, Sha256};

use crate::SubscriptionRecord;

/// A fresh clientState secret: 32 bytes from two v4 UUIDs (244 bits from the operating
/// system's random source), as 64 hex characters (Graph allows up to 128). Given to Graph once
/// at creation; only its [`client_state_sha256`] is kept.
pub fn new_client_state() -> SecretString {
    let mut bytes = [0u8; 32];
    bytes[..16].copy_from_slice(uuid::Uuid::new_v4().as_bytes());
    bytes[16..].copy_from_slice(uuid::Uuid::new_v4().as_bytes());
    SecretString::from(hex::encode(bytes))
}

/// Lower-case hex of the SHA-256 of a clientState secret, as stored in a record.
pub fn client_state_sha256(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// Whether `presented` is the clientState secret of `rec`. The comparison of the hashes takes
/// the same time wherever they differ; a stored hash that is not 32 bytes of hex never matches.
pub fn client_state_matches(rec: &SubscriptionRecord, presented: &str) -> bool {
    let Ok(stored) = hex::decode(&rec.client_state_sha256) else {
        return false;
    };
    let given = Sha256::digest(presented.as_bytes());
    if stored.len() != given.len() {
        return false;
    }
    let diff = stored
        .iter()
        .zip(given.iter())
        .fold(0u8, |acc, (a, b)| acc | (a ^ b));
    diff == 0
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::GraphResource;

    fn rec(hash: String) -> SubscriptionRecord {
        SubscriptionRecord {
            subscription_id: "s1".into(),
            tenant_id: uuid::Uuid::nil(),
            user_id: uuid::Uuid::nil(),
            mailbox: "m1".into(),
            resource: GraphResource::Contacts,
            client_state_sha256: hash,
            expires_at_ms: 0,
        }
    }

    #[test]
    fn the_right_secret_matches_and_others_do_not() {
        let r = rec(client_state_sha256("s3cret"));
        assert!(client_state_matches(&r, "s3cret"));
        assert!(!client_state_matches(&r, "s3creT"));
        assert!(!client_state_matches(&r, ""));
    }

    #[test]
    fn a_malformed_stored_hash_never_matches() {
        assert!(!client_state_matches(&rec("zz".into()), "x"));
        assert!(!client_state_matches(&rec(String::new()), ""));
        assert!(!client_state_matches(&rec("abcd".into()), "x"));
    }

    #[test]
    fn fresh_secrets_are_64_hex_characters_and_never_repeat() {
        use secrecy::ExposeSecret;
        let a = new_client_state();
        let b = new_client_state();
        assert_eq!(a.expose_secret().len(), 64);
        assert!(a.expose_secret().bytes().all(|c| c.is_ascii_hexdigit()));
        assert_ne!(a.expose_secret(), b.expose_secret());
    }

    #[test]
    fn the_stored_hash_is_not_the_secret() {
        let h = client_state_sha256("s3cret");
        assert_eq!(h.len(), 64);
        assert!(!h.contains("s3cret"));
    }
}
