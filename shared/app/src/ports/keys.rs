//! Data keys for envelope encryption of secrets at rest (webhook signing secrets). A
//! secret is encrypted here, in process, with a fresh 256-bit data key; the store keeps
//! only the data key wrapped by a master key that never leaves its keeper (KMS on AWS,
//! a key file for `kyc-local`). Whoever may not unwrap cannot read the secret, even with
//! the whole table in hand. Each key is bound to a context (tenant, endpoint, purpose):
//! a wrapped key copied to another record does not unwrap there.

use async_trait::async_trait;

/// A fresh data key: the plaintext, for one use now, and the same key wrapped.
pub struct DataKey {
    pub plaintext: [u8; 32],
    pub wrapped: Vec<u8>,
}

impl std::fmt::Debug for DataKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DataKey").field("wrapped_bytes", &self.wrapped.len()).finish_non_exhaustive()
    }
}

/// What a key is bound to, as name/value pairs (KMS's encryption context).
pub type KeyContext = [(&'static str, String)];

#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    /// The master key is not configured in this function or process.
    #[error("no master key is configured for secrets ({0})")]
    NotConfigured(&'static str),
    /// The keeper refused: wrong context, another key, no permission, a damaged blob.
    #[error("the data key could not be unwrapped: {0}")]
    Refused(String),
    /// The keeper could not be reached or failed; worth retrying.
    #[error("the key service is unavailable: {0}")]
    Unavailable(String),
}

#[async_trait]
pub trait KeyWrapper: Send + Sync {
    /// A new data key, wrapped under the master key and bound to `context`.
    async fn new_data_key(&self, context: &KeyContext) -> Result<DataKey, KeyError>;

    /// The plaintext of a key `new_data_key` wrapped with the same `context`.
    async fn unwrap(&self, wrapped: &[u8], context: &KeyContext) -> Result<[u8; 32], KeyError>;
}

/// For processes that never touch secrets (the master key is given only to the
/// functions that seal or open them).
pub struct NoKeys;

#[async_trait]
impl KeyWrapper for NoKeys {
    async fn new_data_key(&self, _: &KeyContext) -> Result<DataKey, KeyError> {
        Err(KeyError::NotConfigured("KYC_SECRETS_KEY_ID is not set"))
    }

    async fn unwrap(&self, _: &[u8], _: &KeyContext) -> Result<[u8; 32], KeyError> {
        Err(KeyError::NotConfigured("KYC_SECRETS_KEY_ID is not set"))
    }
}
