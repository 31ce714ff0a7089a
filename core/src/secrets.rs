//! Secrets at rest (TOTP seeds now; SMTP passwords and webhook secrets later): sealed with
//! ChaCha20-Poly1305 under the panel's key. The key comes from `PIER_SECRET_KEY` (64 hex digits)
//! or from `<data dir>/secret.key`, created on first start with mode 0600. A database copied
//! without that key reveals no seed.
//!
//! Each sealed value is bound to what it belongs to (`aad`, e.g. `totp:user:7`), so a sealed
//! seed pasted into another user's row does not open.

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{ChaCha20Poly1305, Key, Nonce};
use rand::RngCore;
use std::path::Path;
use std::sync::Arc;

const VERSION: &str = "v1:";
pub const KEY_FILE: &str = "secret.key";

#[derive(Debug, thiserror::Error)]
pub enum SecretError {
    #[error("secret key: {0}")]
    Key(String),
    #[error("a sealed value could not be opened (wrong key, or it belongs to another record)")]
    Open,
}

#[derive(Clone)]
pub struct SecretBox {
    cipher: Arc<ChaCha20Poly1305>,
}

impl std::fmt::Debug for SecretBox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretBox(..)")
    }
}

fn parse_key(hex_key: &str) -> Result<[u8; 32], SecretError> {
    let bytes = hex::decode(hex_key.trim()).map_err(|_| SecretError::Key("expected 64 hexadecimal digits".into()))?;
    bytes.try_into().map_err(|_| SecretError::Key("expected 64 hexadecimal digits (32 bytes)".into()))
}

impl SecretBox {
    pub fn from_key(key: [u8; 32]) -> Self {
        Self { cipher: Arc::new(ChaCha20Poly1305::new(Key::from_slice(&key))) }
    }

    /// The configured key (`configured`, from `PIER_SECRET_KEY`), else the data dir's key file,
    /// created when missing.
    pub fn load(configured: Option<&str>, data_dir: &Path) -> Result<Self, SecretError> {
        if let Some(k) = configured {
            return Ok(Self::from_key(parse_key(k)?));
        }
        let path = data_dir.join(KEY_FILE);
        match std::fs::read_to_string(&path) {
            Ok(text) => parse_key(&text).map(Self::from_key).map_err(|e| SecretError::Key(format!("{}: {e}", path.display()))),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let mut key = [0u8; 32];
                rand::rngs::OsRng.fill_bytes(&mut key);
                write_private(&path, &hex::encode(key)).map_err(|e| SecretError::Key(format!("cannot create {}: {e}", path.display())))?;
                Ok(Self::from_key(key))
            }
            Err(e) => Err(SecretError::Key(format!("cannot read {}: {e}", path.display()))),
        }
    }

    pub fn seal(&self, plaintext: &[u8], aad: &str) -> String {
        let mut nonce = [0u8; 12];
        rand::rngs::OsRng.fill_bytes(&mut nonce);
        let sealed = self
            .cipher
            .encrypt(Nonce::from_slice(&nonce), Payload { msg: plaintext, aad: aad.as_bytes() })
            .expect("ChaCha20-Poly1305 encryption does not fail for in-memory input");
        let mut out = nonce.to_vec();
        out.extend_from_slice(&sealed);
        format!("{VERSION}{}", hex::encode(out))
    }

    pub fn open(&self, sealed: &str, aad: &str) -> Result<Vec<u8>, SecretError> {
        let raw = sealed.strip_prefix(VERSION).and_then(|h| hex::decode(h).ok()).ok_or(SecretError::Open)?;
        if raw.len() < 12 + 16 {
            return Err(SecretError::Open);
        }
        let (nonce, body) = raw.split_at(12);
        self.cipher.decrypt(Nonce::from_slice(nonce), Payload { msg: body, aad: aad.as_bytes() }).map_err(|_| SecretError::Open)
    }
}

/// Writes a file only its owner can read, without a window where it is readable by others.
fn write_private(path: &Path, contents: &str) -> std::io::Result<()> {
    use std::io::Write;
    #[cfg(unix)]
    use std::os::unix::fs::OpenOptionsExt;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    options.mode(0o600);
    let mut f = options.open(path)?;
    f.write_all(contents.as_bytes())?;
    f.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_values_open_only_with_the_same_key_and_binding() {
        let dir = tempfile::tempdir().unwrap();
        let a = SecretBox::load(None, dir.path()).unwrap();
        let sealed = a.seal(b"JBSWY3DPEHPK3PXP", "totp:user:1");
        assert!(!sealed.contains("JBSWY3DP"));
        assert_eq!(a.open(&sealed, "totp:user:1").unwrap(), b"JBSWY3DPEHPK3PXP");
        assert!(matches!(a.open(&sealed, "totp:user:2"), Err(SecretError::Open)));
        // The key file is reused on the next start, and only the owner can read it.
        let again = SecretBox::load(None, dir.path()).unwrap();
        assert_eq!(again.open(&sealed, "totp:user:1").unwrap(), b"JBSWY3DPEHPK3PXP");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.path().join(KEY_FILE)).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let other = SecretBox::from_key([7u8; 32]);
        assert!(other.open(&sealed, "totp:user:1").is_err());
        assert!(a.open("v1:00", "totp:user:1").is_err());
        assert!(matches!(SecretBox::load(Some("abc"), dir.path()), Err(SecretError::Key(_))));
    }
}
