//! Envelope encryption of secrets at rest: AES-256-GCM under a data key of its own,
//! the data key stored wrapped by the master key (`ports::keys`). The context the data
//! key is bound to is also the cipher's associated data, so a sealed secret moved to
//! another record opens nowhere.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use async_trait::async_trait;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use rand::RngCore;
use serde::{Deserialize, Serialize};

use crate::ports::keys::{DataKey, KeyContext, KeyError, KeyWrapper};

/// A secret as stored: its data key wrapped, the nonce and the ciphertext (with tag).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sealed {
    #[serde(with = "b64")]
    pub wrapped_key: Vec<u8>,
    #[serde(with = "b64")]
    pub nonce: Vec<u8>,
    #[serde(with = "b64")]
    pub ciphertext: Vec<u8>,
}

mod b64 {
    use super::*;

    pub fn serialize<S: serde::Serializer>(bytes: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&STANDARD.encode(bytes))
    }

    pub fn deserialize<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        let text = String::deserialize(d)?;
        STANDARD.decode(text).map_err(serde::de::Error::custom)
    }
}

/// The associated data of a context: its pairs in order, unambiguously delimited.
fn associated_data(context: &KeyContext) -> Vec<u8> {
    let mut out = Vec::new();
    for (name, value) in context {
        for part in [name.as_bytes(), value.as_bytes()] {
            out.extend_from_slice(&(part.len() as u32).to_be_bytes());
            out.extend_from_slice(part);
        }
    }
    out
}

/// Encrypts `plaintext` with `key` (AES-256-GCM, random 96-bit nonce), bound to `context`.
pub fn encrypt(key: &[u8; 32], plaintext: &[u8], context: &KeyContext) -> (Vec<u8>, Vec<u8>) {
    let mut nonce = [0u8; 12];
    rand::rng().fill_bytes(&mut nonce);
    let aad = associated_data(context);
    let cipher = Aes256Gcm::new(key.into());
    // Encryption with a valid key and nonce fails only beyond GCM's 64 GiB message limit.
    let ciphertext = cipher
        .encrypt(Nonce::from_slice(&nonce), Payload { msg: plaintext, aad: &aad })
        .unwrap_or_default();
    (nonce.to_vec(), ciphertext)
}

/// Decrypts what `encrypt` produced with the same key and context; `None` if anything differs.
pub fn decrypt(key: &[u8; 32], nonce: &[u8], ciphertext: &[u8], context: &KeyContext) -> Option<Vec<u8>> {
    if nonce.len() != 12 {
        return None;
    }
    let aad = associated_data(context);
    Aes256Gcm::new(key.into()).decrypt(Nonce::from_slice(nonce), Payload { msg: ciphertext, aad: &aad }).ok()
}

/// Seals `secret` under a new data key from `keys` (one master-key call).
pub async fn seal(keys: &dyn KeyWrapper, secret: &str, context: &KeyContext) -> Result<Sealed, KeyError> {
    let DataKey { plaintext, wrapped } = keys.new_data_key(context).await?;
    let (nonce, ciphertext) = encrypt(&plaintext, secret.as_bytes(), context);
    Ok(Sealed { wrapped_key: wrapped, nonce, ciphertext })
}

/// Opens a sealed secret (one master-key call, unless `keys` caches).
pub async fn open(keys: &dyn KeyWrapper, sealed: &Sealed, context: &KeyContext) -> Result<String, KeyError> {
    let key = keys.unwrap(&sealed.wrapped_key, context).await?;
    let plaintext = decrypt(&key, &sealed.nonce, &sealed.ciphertext, context)
        .ok_or_else(|| KeyError::Refused("the sealed secret does not open with its key and context".into()))?;
    String::from_utf8(plaintext).map_err(|_| KeyError::Refused("the sealed secret is not text".into()))
}

/// A wrapped key and the context it was opened under.
type CacheEntry = (Vec<u8>, Vec<u8>);

/// Keeps unwrapped data keys in memory for a while, so a sender signing many deliveries
/// to one endpoint asks the master key once per `ttl`, not once per delivery. Bounded:
/// when full, the whole cache is dropped (simple, and rare at these sizes).
pub struct CachedKeys<K> {
    inner: K,
    ttl: Duration,
    capacity: usize,
    cache: Mutex<HashMap<CacheEntry, ([u8; 32], Instant)>>,
}

impl<K> CachedKeys<K> {
    pub fn new(inner: K, ttl: Duration, capacity: usize) -> Self {
        CachedKeys { inner, ttl, capacity, cache: Mutex::new(HashMap::new()) }
    }
}

#[async_trait]
impl<K: KeyWrapper> KeyWrapper for CachedKeys<K> {
    async fn new_data_key(&self, context: &KeyContext) -> Result<DataKey, KeyError> {
        self.inner.new_data_key(context).await
    }

    async fn unwrap(&self, wrapped: &[u8], context: &KeyContext) -> Result<[u8; 32], KeyError> {
        // The context is part of the entry: a cached key never opens under another one.
        let entry = (wrapped.to_vec(), associated_data(context));
        if let Ok(cache) = self.cache.lock()
            && let Some((key, at)) = cache.get(&entry)
            && at.elapsed() < self.ttl
        {
            return Ok(*key);
        }
        let key = self.inner.unwrap(wrapped, context).await?;
        if let Ok(mut cache) = self.cache.lock() {
            if cache.len() >= self.capacity {
                cache.clear();
            }
            cache.insert(entry, (key, Instant::now()));
        }
        Ok(key)
    }
}

/// A master key held in memory: `kyc-local` reads it from a file in its data dir, tests
/// make one up. Data keys are wrapped with AES-256-GCM under it, bound to their context.
pub struct MasterKey {
    key: [u8; 32],
}

impl MasterKey {
    pub fn new(key: [u8; 32]) -> Self {
        MasterKey { key }
    }

    pub fn random() -> Self {
        let mut key = [0u8; 32];
        rand::rng().fill_bytes(&mut key);
        MasterKey { key }
    }
}

#[async_trait]
impl KeyWrapper for MasterKey {
    async fn new_data_key(&self, context: &KeyContext) -> Result<DataKey, KeyError> {
        let mut plaintext = [0u8; 32];
        rand::rng().fill_bytes(&mut plaintext);
        let (nonce, ciphertext) = encrypt(&self.key, &plaintext, context);
        Ok(DataKey { plaintext, wrapped: [nonce, ciphertext].concat() })
    }

    async fn unwrap(&self, wrapped: &[u8], context: &KeyContext) -> Result<[u8; 32], KeyError> {
        let refused = || KeyError::Refused("not a data key of this master key and context".into());
        let (nonce, ciphertext) = wrapped.split_at_checked(12).ok_or_else(refused)?;
        let plaintext = decrypt(&self.key, nonce, ciphertext, context).ok_or_else(refused)?;
        plaintext.try_into().map_err(|_| refused())
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    fn context(endpoint: &str) -> Vec<(&'static str, String)> {
        vec![("tenant", "acme".into()), ("endpoint", endpoint.into()), ("purpose", "webhook-signing-secret".into())]
    }

    #[tokio::test]
    async fn a_sealed_secret_opens_only_with_its_own_context() {
        let keys = MasterKey::random();
        let sealed = seal(&keys, "whsec_abc", &context("whe_1")).await.expect("sealed");
        assert!(!String::from_utf8_lossy(&sealed.ciphertext).contains("whsec_abc"));
        assert_eq!(open(&keys, &sealed, &context("whe_1")).await.expect("opens"), "whsec_abc");
        // Copied onto another endpoint, or another tenant's, it opens nowhere.
        assert!(matches!(open(&keys, &sealed, &context("whe_2")).await, Err(KeyError::Refused(_))));
        let other_tenant = vec![("tenant", "evil".into()), ("endpoint", "whe_1".into()), ("purpose", "webhook-signing-secret".into())];
        assert!(matches!(open(&keys, &sealed, &other_tenant).await, Err(KeyError::Refused(_))));
    }

    #[tokio::test]
    async fn a_tampered_ciphertext_or_another_master_key_is_refused() {
        let keys = MasterKey::random();
        let mut sealed = seal(&keys, "whsec_abc", &context("whe_1")).await.expect("sealed");
        assert!(matches!(open(&MasterKey::random(), &sealed, &context("whe_1")).await, Err(KeyError::Refused(_))));
        sealed.ciphertext[0] ^= 1;
        assert!(matches!(open(&keys, &sealed, &context("whe_1")).await, Err(KeyError::Refused(_))));
        sealed.wrapped_key.truncate(5);
        assert!(matches!(open(&keys, &sealed, &context("whe_1")).await, Err(KeyError::Refused(_))));
    }

    #[tokio::test]
    async fn every_seal_has_its_own_data_key_and_nonce() {
        let keys = MasterKey::random();
        let a = seal(&keys, "whsec_abc", &context("whe_1")).await.expect("sealed");
        let b = seal(&keys, "whsec_abc", &context("whe_1")).await.expect("sealed");
        assert_ne!(a.wrapped_key, b.wrapped_key);
        assert_ne!(a.nonce, b.nonce);
        assert_ne!(a.ciphertext, b.ciphertext);
    }

    struct Counting(MasterKey, AtomicUsize);

    #[async_trait]
    impl KeyWrapper for Counting {
        async fn new_data_key(&self, context: &KeyContext) -> Result<DataKey, KeyError> {
            self.0.new_data_key(context).await
        }

        async fn unwrap(&self, wrapped: &[u8], context: &KeyContext) -> Result<[u8; 32], KeyError> {
            self.1.fetch_add(1, Ordering::Relaxed);
            self.0.unwrap(wrapped, context).await
        }
    }

    #[tokio::test]
    async fn the_cache_asks_the_master_key_once_per_data_key_and_context() {
        let keys = CachedKeys::new(Counting(MasterKey::random(), AtomicUsize::new(0)), Duration::from_secs(300), 100);
        let sealed = seal(&keys, "whsec_abc", &context("whe_1")).await.expect("sealed");
        for _ in 0..50 {
            assert_eq!(open(&keys, &sealed, &context("whe_1")).await.expect("opens"), "whsec_abc");
        }
        assert_eq!(keys.inner.1.load(Ordering::Relaxed), 1);
        // A cached key is no shortcut around the context.
        assert!(open(&keys, &sealed, &context("whe_2")).await.is_err());
        assert_eq!(keys.inner.1.load(Ordering::Relaxed), 2);
    }

    #[test]
    fn sealed_secrets_are_stored_as_base64_text() {
        let sealed = Sealed { wrapped_key: vec![1, 2], nonce: vec![3], ciphertext: vec![255] };
        let text = serde_json::to_string(&sealed).expect("json");
        assert_eq!(text, r#"{"wrapped_key":"AQI=","nonce":"Aw==","ciphertext":"/w=="}"#);
        assert_eq!(serde_json::from_str::<Sealed>(&text).expect("parses"), sealed);
    }
}
