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

/// Failed sign-ins allowed per account before it is locked for a while.
pub const MAX_ACCOUNT_FAILURES: u32 = 5;
/// Failed sign-ins allowed per client address (higher: an office may share one address).
pub const MAX_CLIENT_FAILURES: u32 = 20;
/// Failures are forgotten this long after the last one; it is also the longest lock.
pub const LOGIN_WINDOW: Duration = Duration::from_secs(15 * 60);
/// The first lock after the limit; each further failure doubles it, up to
/// [`LOGIN_WINDOW`]. An owner who mistyped five times waits a minute, not fifteen;
/// a guesser gets a handful of tries per quarter hour.
pub const FIRST_LOCK: Duration = Duration::from_secs(60);
/// Password verifications (Argon2, 19 MiB each) allowed at once; more sign-ins at the
/// same moment are refused at once instead of queueing memory.
pub const MAX_VERIFICATIONS_IN_FLIGHT: usize = 4;

/// Counts sign-in attempts per key (an account's email, a client address) and locks a
/// key for a growing time after `limit` failures. An attempt counts as a failure from
/// the moment it is [`reserve`](Self::reserve)d, before the password is verified, so
/// concurrent guesses cannot all slip through between the check and the count; a
/// success then clears the account ([`succeed`](Self::succeed)) or gives the attempt
/// back ([`refund`](Self::refund)). In memory: a restart forgets it, which only gives
/// an attacker a handful more guesses.
pub struct LoginThrottle {
    limit: u32,
    /// Key → (failures, time of the last one).
    failures: Mutex<HashMap<String, (u32, Instant)>>,
}

impl LoginThrottle {
    pub fn new(limit: u32) -> Self {
        Self { limit, failures: Mutex::new(HashMap::new()) }
    }

    /// How long a key with `failures` stays locked after its last failure.
    fn lock_for(&self, failures: u32) -> Duration {
        if failures < self.limit {
            return Duration::ZERO;
        }
        let doublings = (failures - self.limit).min(16);
        FIRST_LOCK.saturating_mul(1 << doublings).min(LOGIN_WINDOW)
    }

    /// `Err(seconds to wait)` when `key` is locked at `now`.
    pub fn check(&self, key: &str, now: Instant) -> Result<(), u64> {
        let Ok(failures) = self.failures.lock() else { return Ok(()) };
        self.wait(failures.get(key).copied(), now)
    }

    fn wait(&self, entry: Option<(u32, Instant)>, now: Instant) -> Result<(), u64> {
        let Some((count, last)) = entry else { return Ok(()) };
        let since = now.saturating_duration_since(last);
        if since >= LOGIN_WINDOW {
            return Ok(());
        }
        let lock = self.lock_for(count);
        if since < lock {
            Err((lock - since).as_secs().max(1))
        } else {
            Ok(())
        }
    }

    /// Checks `key` and, when it is not locked, counts this attempt as a failure in the
    /// same step. `Err(seconds to wait)` when locked.
    pub fn reserve(&self, key: &str, now: Instant) -> Result<(), u64> {
        let Ok(mut failures) = self.failures.lock() else { return Ok(()) };
        let current = failures.get(key).copied();
        self.wait(current, now)?;
        let count = match current {
            Some((count, last)) if now.saturating_duration_since(last) < LOGIN_WINDOW => count,
            _ => 0,
        };
        failures.insert(key.to_string(), (count + 1, now));
        if failures.len() > 10_000 {
            failures.retain(|_, (_, last)| now.saturating_duration_since(*last) < LOGIN_WINDOW);
        }
        Ok(())
    }

    /// A successful sign-in: the key's failures are forgotten.
    pub fn succeed(&self, key: &str) {
        if let Ok(mut failures) = self.failures.lock() {
            failures.remove(key);
        }
    }

    /// Gives back one reserved attempt that was not a failure (the password matched,
    /// or it was never verified).
    pub fn refund(&self, key: &str) {
        if let Ok(mut failures) = self.failures.lock() {
            if let Some(entry) = failures.get_mut(key) {
                entry.0 = entry.0.saturating_sub(1);
            }
        }
    }
}

/// Bounds the number of password verifications running at once.
pub struct VerificationSlots {
    in_flight: std::sync::atomic::AtomicUsize,
    max: usize,
}

/// A taken slot, given back when dropped.
pub struct VerificationSlot<'a>(&'a VerificationSlots);

impl VerificationSlots {
    pub fn new(max: usize) -> Self {
        Self { in_flight: std::sync::atomic::AtomicUsize::new(0), max }
    }

    /// A slot, or `None` when all are taken (the caller answers 429 at once).
    pub fn try_take(&self) -> Option<VerificationSlot<'_>> {
        use std::sync::atomic::Ordering;
        let taken = self.in_flight.fetch_add(1, Ordering::AcqRel);
        if taken >= self.max {
            self.in_flight.fetch_sub(1, Ordering::AcqRel);
            return None;
        }
        Some(VerificationSlot(self))
    }
}

impl Drop for VerificationSlot<'_> {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(1, std::sync::atomic::Ordering::AcqRel);
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
    fn attempts_count_when_reserved_and_locks_grow() {
        let throttle = LoginThrottle::new(MAX_ACCOUNT_FAILURES);
        let start = Instant::now();
        // Five guesses in flight at once: all reserved before any is verified.
        for _ in 0..MAX_ACCOUNT_FAILURES {
            assert!(throttle.reserve("ann", start).is_ok());
        }
        assert_eq!(throttle.reserve("ann", start), Err(60), "the sixth is refused before verifying");
        assert!(throttle.check("bob", start).is_ok());
        // After the first lock, one more failure locks for twice as long.
        let later = start + FIRST_LOCK;
        assert!(throttle.reserve("ann", later).is_ok());
        assert_eq!(throttle.check("ann", later), Err(120));
        let later = later + Duration::from_secs(120);
        assert!(throttle.reserve("ann", later).is_ok());
        assert_eq!(throttle.check("ann", later), Err(240));
        // The lock never exceeds the window, and failures are forgotten after it.
        for step in 1..10 {
            let at = later + LOGIN_WINDOW * step / 20;
            let _ = throttle.reserve("ann", at);
        }
        assert!(throttle.check("ann", later + LOGIN_WINDOW * 3).is_ok(), "forgotten");
        throttle.succeed("ann");
        assert!(throttle.check("ann", start).is_ok());
    }

    #[test]
    fn refunded_attempts_do_not_count() {
        let throttle = LoginThrottle::new(2);
        let now = Instant::now();
        for _ in 0..10 {
            assert!(throttle.reserve("ip:1", now).is_ok());
            throttle.refund("ip:1");
        }
        assert!(throttle.check("ip:1", now).is_ok());
    }

    #[test]
    fn verification_slots_are_bounded_and_given_back() {
        let slots = VerificationSlots::new(2);
        let first = slots.try_take();
        let second = slots.try_take();
        assert!(first.is_some() && second.is_some());
        assert!(slots.try_take().is_none());
        drop(first);
        assert!(slots.try_take().is_some());
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
