//! Secrets in e-mailed links, and unguessable ids.
//!
//! A link token is 32 bytes from the operating system's random source, sent as 64 hex digits.
//! Only its SHA-256 is stored (as the key of a lookup item), so a copy of the table opens no
//! invitation. A token is only ever looked up by its hash, never compared, so there is no timing
//! side channel to guard.

use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::error::{DirectoryError, Result};

/// Length of a token in hex digits.
pub const TOKEN_HEX_LEN: usize = 64;

fn random<const N: usize>() -> Result<[u8; N]> {
    let mut buf = [0u8; N];
    getrandom::fill(&mut buf)
        .map_err(|e| DirectoryError::Unavailable(format!("no randomness: {e}")))?;
    Ok(buf)
}

/// A new link token (256 random bits).
pub fn new_token() -> Result<String> {
    Ok(hex::encode(random::<32>()?))
}

/// A random UUID (version 4: 122 random bits from the OS), for ids that must not be guessable
/// or predictable from their neighbours (time-ordered ids are).
pub fn random_uuid() -> Result<Uuid> {
    Ok(uuid::Builder::from_random_bytes(random::<16>()?).into_uuid())
}

/// The stored form of a token. `None` for anything that is not a token we issue, so a malformed
/// link never reaches the store (and is answered like an unknown one).
pub fn token_hash(token: &str) -> Option<String> {
    let token = token.trim();
    if token.len() != TOKEN_HEX_LEN || !token.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    Some(hex::encode(Sha256::digest(
        token.to_ascii_lowercase().as_bytes(),
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_long_random_and_hash_stably() {
        let a = new_token().unwrap();
        let b = new_token().unwrap();
        assert_ne!(a, b);
        assert_eq!(a.len(), TOKEN_HEX_LEN);
        assert_eq!(token_hash(&a), token_hash(&a.to_uppercase()));
        assert_ne!(token_hash(&a), token_hash(&b));
        assert_eq!(token_hash("short"), None);
        assert_eq!(token_hash(&"z".repeat(64)), None);
        assert_eq!(random_uuid().unwrap().get_version_num(), 4);
    }
}
