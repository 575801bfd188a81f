//! Credentials and secrets: staff passwords (Argon2id), random tokens for sessions,
//! CSRF and visitor cookies, and the server key that turns a visitor cookie into the
//! anonymous id stored with votes (so the database never holds the cookie itself).

use std::io::Write;
use std::path::Path;

use anyhow::{bail, Context, Result};
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;

/// File in the data folder holding the server key.
pub const SECRET_FILE: &str = "secret.key";
/// Shortest staff password accepted.
pub const MIN_PASSWORD_CHARS: usize = 10;

/// Hashes a password with Argon2id (the crate's defaults: 19 MiB, 2 passes).
pub fn hash_password(password: &str) -> Result<String> {
    if password.chars().count() < MIN_PASSWORD_CHARS {
        bail!("the password must have at least {MIN_PASSWORD_CHARS} characters");
    }
    let mut salt = [0u8; 16];
    getrandom::fill(&mut salt).map_err(|e| anyhow::anyhow!("no randomness for the salt: {e}"))?;
    let salt = SaltString::encode_b64(&salt).map_err(|e| anyhow::anyhow!("salt: {e}"))?;
    let hash = Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map_err(|e| anyhow::anyhow!("cannot hash the password: {e}"))?;
    Ok(hash.to_string())
}

/// Whether `password` matches the stored PHC `hash`; false for a malformed hash.
pub fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash).is_ok_and(|parsed| Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok())
}

/// A hash to verify against when the account does not exist, so a wrong email takes
/// as long as a wrong password and does not reveal which accounts exist.
pub fn decoy_hash() -> &'static str {
    static DECOY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DECOY.get_or_init(|| hash_password("decoy password that never matches").unwrap_or_default())
}

/// 32 random bytes, hex-encoded.
pub fn random_token() -> Result<String> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| anyhow::anyhow!("no randomness for a token: {e}"))?;
    Ok(hex(&bytes))
}

/// The hash of a token as stored (a stolen database holds no usable session).
pub fn token_hash(token: &str) -> String {
    blake3::hash(token.as_bytes()).to_hex().to_string()
}

/// Compares two secrets in time independent of where they differ.
pub fn same_secret(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The server's key, kept in the data folder so ids stay stable across restarts.
#[derive(Clone)]
pub struct ServerKey([u8; 32]);

impl ServerKey {
    /// Reads the key from `data_dir`, creating it (readable by the owner only) if missing.
    pub fn load_or_create(data_dir: &Path) -> Result<Self> {
        let path = data_dir.join(SECRET_FILE);
        match std::fs::read(&path) {
            Ok(bytes) => {
                let key: [u8; 32] = bytes.as_slice().try_into().map_err(|_| {
                    anyhow::anyhow!("{} must hold exactly 32 bytes; delete it to make a new one", path.display())
                })?;
                Ok(Self(key))
            }
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => {
                let mut key = [0u8; 32];
                getrandom::fill(&mut key).map_err(|e| anyhow::anyhow!("no randomness for the server key: {e}"))?;
                let mut options = std::fs::OpenOptions::new();
                options.write(true).create_new(true);
                #[cfg(unix)]
                std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
                let mut file = options.open(&path).with_context(|| format!("cannot create {}", path.display()))?;
                file.write_all(&key).and_then(|_| file.sync_all())?;
                Ok(Self(key))
            }
            Err(err) => Err(err).with_context(|| format!("cannot read {}", path.display())),
        }
    }

    /// A key for tests and tools.
    pub fn from_bytes(key: [u8; 32]) -> Self {
        Self(key)
    }

    /// The anonymous visitor id stored with votes: a keyed hash of the cookie value.
    pub fn visitor_id(&self, cookie: &str) -> String {
        blake3::keyed_hash(&self.0, cookie.as_bytes()).to_hex()[..32].to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_hash_and_verify() {
        let hash = hash_password("correct horse battery").expect("hash");
        assert!(hash.starts_with("$argon2id$"));
        assert!(verify_password("correct horse battery", &hash));
        assert!(!verify_password("wrong horse battery", &hash));
        assert!(!verify_password("anything", "not a hash"));
        assert!(hash_password("short").is_err());
    }

    #[test]
    fn server_key_persists_and_keys_visitor_ids() {
        let dir = tempfile::tempdir().expect("tempdir");
        let key = ServerKey::load_or_create(dir.path()).expect("create");
        let again = ServerKey::load_or_create(dir.path()).expect("read");
        assert_eq!(key.visitor_id("cookie"), again.visitor_id("cookie"));
        assert_ne!(key.visitor_id("cookie"), ServerKey::from_bytes([7; 32]).visitor_id("cookie"));
        assert_eq!(key.visitor_id("cookie").len(), 32);
        let token = random_token().expect("token");
        assert_eq!(token.len(), 64);
        assert!(same_secret(&token, &token.clone()) && !same_secret(&token, &random_token().expect("token")));
    }
}
