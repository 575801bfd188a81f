//! Credentials and secrets: staff passwords (Argon2id), random tokens for sessions,
//! CSRF and visitor cookies, and the server key that turns a visitor cookie into the
//! anonymous id stored with votes (so the database never holds the cookie itself).

use std::collections::HashMap;
use std::io::Write;
use std::path::Path;
use std::sync::Mutex;
use std::time::{Duration, Instant};

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

    /// `value.mac`: `value` with a tag only this server can make (for vote tickets).
    pub fn sign(&self, value: &str) -> String {
        format!("{value}.{}", self.mac(value))
    }

    /// The value of a `sign`ed string, when its tag is genuine.
    pub fn verify<'a>(&self, signed: &'a str) -> Option<&'a str> {
        let (value, mac) = signed.rsplit_once('.')?;
        same_secret(mac, &self.mac(value)).then_some(value)
    }

    fn mac(&self, value: &str) -> String {
        let mut hasher = blake3::Hasher::new_keyed(&self.0);
        hasher.update(b"quire-sign:").update(value.as_bytes());
        hasher.finalize().to_hex()[..24].to_string()
    }

    /// The anonymous visitor id stored with votes: a keyed hash of the cookie value.
    pub fn visitor_id(&self, cookie: &str) -> String {
        blake3::keyed_hash(&self.0, cookie.as_bytes()).to_hex()[..32].to_string()
    }
}

/// Failed sign-ins allowed per account in one window.
pub const MAX_ACCOUNT_FAILURES: u32 = 5;
/// Failed sign-ins allowed per client address in one window (higher: an office may
/// share one address).
pub const MAX_CLIENT_FAILURES: u32 = 20;
/// The window over which failures count, and the lock-out after too many.
pub const LOGIN_WINDOW: Duration = Duration::from_secs(15 * 60);

/// Counts failed sign-ins per key (an account's email, a client address) and refuses
/// further attempts for a while after `limit` failures. In memory: a restart forgets
/// it, which only gives an attacker a handful more guesses.
pub struct LoginThrottle {
    limit: u32,
    failures: Mutex<HashMap<String, (u32, Instant)>>,
}

impl LoginThrottle {
    pub fn new(limit: u32) -> Self {
        Self { limit, failures: Mutex::new(HashMap::new()) }
    }

    /// `Err(seconds to wait)` when `key` is locked out at `now`.
    pub fn check(&self, key: &str, now: Instant) -> Result<(), u64> {
        let Ok(failures) = self.failures.lock() else { return Ok(()) };
        match failures.get(key) {
            Some(&(count, since)) if count >= self.limit && now.duration_since(since) < LOGIN_WINDOW => {
                Err((LOGIN_WINDOW - now.duration_since(since)).as_secs().max(1))
            }
            _ => Ok(()),
        }
    }

    pub fn fail(&self, key: &str, now: Instant) {
        let Ok(mut failures) = self.failures.lock() else { return };
        let entry = failures.entry(key.to_string()).or_insert((0, now));
        if now.duration_since(entry.1) >= LOGIN_WINDOW {
            *entry = (0, now);
        }
        entry.0 += 1;
        if failures.len() > 10_000 {
            failures.retain(|_, (_, since)| now.duration_since(*since) < LOGIN_WINDOW);
        }
    }

    pub fn succeed(&self, key: &str) {
        if let Ok(mut failures) = self.failures.lock() {
            failures.remove(key);
        }
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
    fn throttle_locks_out_after_repeated_failures() {
        let throttle = LoginThrottle::new(MAX_ACCOUNT_FAILURES);
        let start = Instant::now();
        for _ in 0..MAX_ACCOUNT_FAILURES {
            assert!(throttle.check("ann", start).is_ok());
            throttle.fail("ann", start);
        }
        let wait = throttle.check("ann", start + Duration::from_secs(60)).expect_err("locked");
        assert_eq!(wait, LOGIN_WINDOW.as_secs() - 60);
        assert!(throttle.check("bob", start).is_ok());
        assert!(throttle.check("ann", start + LOGIN_WINDOW).is_ok(), "the lock ends");
        throttle.succeed("ann");
        assert!(throttle.check("ann", start).is_ok());
    }

    #[test]
    fn server_key_persists_and_keys_visitor_ids() {
        let dir = tempfile::tempdir().expect("tempdir");
        let key = ServerKey::load_or_create(dir.path()).expect("create");
        let again = ServerKey::load_or_create(dir.path()).expect("read");
        assert_eq!(key.visitor_id("cookie"), again.visitor_id("cookie"));
        assert_ne!(key.visitor_id("cookie"), ServerKey::from_bytes([7; 32]).visitor_id("cookie"));
        assert_eq!(key.visitor_id("cookie").len(), 32);
        let ticket = key.sign("42");
        assert_eq!(key.verify(&ticket), Some("42"));
        assert_eq!(key.verify("42.0000"), None);
        assert_eq!(ServerKey::from_bytes([7; 32]).verify(&ticket), None);
        let token = random_token().expect("token");
        assert_eq!(token.len(), 64);
        assert!(same_secret(&token, &token.clone()) && !same_secret(&token, &random_token().expect("token")));
    }
}
