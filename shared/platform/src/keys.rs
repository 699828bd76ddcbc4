//! The token signing key. On AWS it comes from configuration (Secrets Manager through the
//! template); locally, when none is configured, one is generated on first start and kept in the
//! data directory, so tokens survive a restart of `bridge-local` and a second process
//! (`bridge-admin`) signs with the same key.

use std::io::Write;
use std::path::Path;

use secrecy::{ExposeSecret, SecretSlice};

use crate::config::{Config, ConfigError, MIN_SIGNING_KEY_BYTES, Storage};

/// File name of the generated local key, inside the data directory.
pub const LOCAL_KEY_FILE: &str = "signing.key";

/// The key bytes to sign and verify our tokens with.
pub fn signing_key(config: &Config) -> Result<SecretSlice<u8>, ConfigError> {
    if let Some(k) = &config.signing_key {
        return Ok(SecretSlice::from(k.expose_secret().as_bytes().to_vec()));
    }
    match &config.storage {
        Storage::Embedded { data_dir } => local_key(data_dir),
        Storage::Aws(_) => Err(ConfigError::Missing {
            var: "BRIDGE_SIGNING_KEY",
            why: "BRIDGE_STORAGE=aws needs the token signing key",
        }),
    }
}

fn invalid(reason: String) -> ConfigError {
    ConfigError::Invalid {
        var: "BRIDGE_DATA_DIR",
        reason,
    }
}

/// Reads the local key, creating it (readable by the owner only) if it does not exist yet.
fn local_key(data_dir: &Path) -> Result<SecretSlice<u8>, ConfigError> {
    let path = data_dir.join(LOCAL_KEY_FILE);
    if let Ok(text) = std::fs::read_to_string(&path) {
        let bytes = hex::decode(text.trim())
            .map_err(|_| invalid(format!("{} is not a hex key", path.display())))?;
        if bytes.len() < MIN_SIGNING_KEY_BYTES {
            return Err(invalid(format!(
                "{} holds a key shorter than 32 bytes",
                path.display()
            )));
        }
        return Ok(SecretSlice::from(bytes));
    }
    std::fs::create_dir_all(data_dir).map_err(|e| invalid(e.to_string()))?;
    // 32 bytes from two v4 UUIDs (the OS random source behind them); 244 random bits, plenty
    // for a key that only ever signs local development tokens.
    let mut bytes = Vec::with_capacity(32);
    bytes.extend_from_slice(uuid::Uuid::new_v4().as_bytes());
    bytes.extend_from_slice(uuid::Uuid::new_v4().as_bytes());
    let tmp = data_dir.join(format!(
        "{LOCAL_KEY_FILE}.{}",
        uuid::Uuid::new_v4().simple()
    ));
    {
        let mut opts = std::fs::OpenOptions::new();
        opts.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            opts.mode(0o600);
        }
        let mut f = opts.open(&tmp).map_err(|e| invalid(e.to_string()))?;
        f.write_all(hex::encode(&bytes).as_bytes())
            .map_err(|e| invalid(e.to_string()))?;
        f.sync_all().map_err(|e| invalid(e.to_string()))?;
    }
    // Two processes starting at once: the first rename wins and both read the winner's key.
    if std::fs::hard_link(&tmp, &path).is_err() && !path.exists() {
        let _ = std::fs::remove_file(&tmp);
        return Err(invalid(format!("cannot create {}", path.display())));
    }
    let _ = std::fs::remove_file(&tmp);
    local_key(data_dir)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn embedded(dir: &Path) -> Config {
        let mut c = Config::from_lookup(|_| None).unwrap();
        c.storage = Storage::Embedded {
            data_dir: dir.to_path_buf(),
        };
        c
    }

    #[test]
    fn local_key_is_generated_once_and_reused() {
        let dir = tempfile::tempdir().unwrap();
        let a = signing_key(&embedded(dir.path())).unwrap();
        let b = signing_key(&embedded(dir.path())).unwrap();
        assert_eq!(a.expose_secret().len(), 32);
        assert_eq!(a.expose_secret(), b.expose_secret());
        let other = tempfile::tempdir().unwrap();
        let c = signing_key(&embedded(other.path())).unwrap();
        assert_ne!(a.expose_secret(), c.expose_secret());
    }

    #[test]
    fn configured_key_wins_and_a_short_stored_key_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let mut c = embedded(dir.path());
        c.signing_key = Some("k".repeat(40).into());
        assert_eq!(
            signing_key(&c).unwrap().expose_secret(),
            "k".repeat(40).as_bytes()
        );
        std::fs::write(dir.path().join(LOCAL_KEY_FILE), "abcd").unwrap();
        let e = signing_key(&embedded(dir.path())).unwrap_err();
        assert!(e.to_string().contains("shorter than 32 bytes"), "{e}");
    }
}
