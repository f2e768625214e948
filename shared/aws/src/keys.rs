//! KMS as the master key of webhook secrets (`ports::keys`): `GenerateDataKey` (AES-256)
//! when a secret is sealed, `Decrypt` when it is opened, both bound to the secret's
//! context as KMS's encryption context, so a key policy or grant can name it and
//! CloudTrail records which endpoint's key was unwrapped. The plaintext master key never
//! leaves KMS; only the functions whose role may call these operations on this key can
//! seal (webhooks API) or open (the sender) a secret.

use std::collections::HashMap;

use async_trait::async_trait;
use aws_sdk_kms::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_kms::primitives::Blob;
use aws_sdk_kms::types::DataKeySpec;

use kyc_app::ports::keys::{DataKey, KeyContext, KeyError, KeyWrapper};

pub struct KmsKeys {
    client: crate::Deferred<aws_sdk_kms::Client>,
    key_id: String,
}

impl KmsKeys {
    pub fn new(client: impl Into<crate::Deferred<aws_sdk_kms::Client>>, key_id: impl Into<String>) -> Self {
        KmsKeys { client: client.into(), key_id: key_id.into() }
    }

    /// The key `key_id`, its client built from `sdk` at the first seal or open.
    pub fn deferred(sdk: &aws_config::SdkConfig, key_id: impl Into<String>) -> Self {
        let sdk = sdk.clone();
        KmsKeys::new(crate::Deferred::new(move || aws_sdk_kms::Client::new(&sdk)), key_id)
    }
}

fn encryption_context(context: &KeyContext) -> HashMap<String, String> {
    context.iter().map(|(name, value)| ((*name).to_string(), value.clone())).collect()
}

/// KMS's refusals (a wrong context is `InvalidCiphertextException`) are not worth a
/// retry; throttling, timeouts and KMS's own faults are.
fn key_error<E: ProvideErrorMetadata + std::error::Error + 'static>(operation: &str, e: SdkError<E>) -> KeyError {
    let code = e.as_service_error().and_then(|s| s.code()).unwrap_or("").to_string();
    let text = format!("{operation}: {}", if code.is_empty() { "no answer".to_string() } else { code.clone() });
    match code.as_str() {
        "InvalidCiphertextException" | "IncorrectKeyException" | "AccessDeniedException" | "NotFoundException"
        | "DisabledException" | "KMSInvalidStateException" | "InvalidKeyUsageException" => KeyError::Refused(text),
        _ => KeyError::Unavailable(text),
    }
}

#[async_trait]
impl KeyWrapper for KmsKeys {
    async fn new_data_key(&self, context: &KeyContext) -> Result<DataKey, KeyError> {
        let out = self
            .client
            .generate_data_key()
            .key_id(&self.key_id)
            .key_spec(DataKeySpec::Aes256)
            .set_encryption_context(Some(encryption_context(context)))
            .send()
            .await
            .map_err(|e| key_error("GenerateDataKey", e))?;
        let plaintext = out.plaintext.map(Blob::into_inner).unwrap_or_default();
        let plaintext: [u8; 32] =
            plaintext.try_into().map_err(|_| KeyError::Unavailable("GenerateDataKey: not a 256-bit key".into()))?;
        let wrapped = out
            .ciphertext_blob
            .map(Blob::into_inner)
            .ok_or_else(|| KeyError::Unavailable("GenerateDataKey: no wrapped key".into()))?;
        Ok(DataKey { plaintext, wrapped })
    }

    async fn unwrap(&self, wrapped: &[u8], context: &KeyContext) -> Result<[u8; 32], KeyError> {
        let out = self
            .client
            .decrypt()
            .key_id(&self.key_id)
            .ciphertext_blob(Blob::new(wrapped))
            .set_encryption_context(Some(encryption_context(context)))
            .send()
            .await
            .map_err(|e| key_error("Decrypt", e))?;
        let plaintext = out.plaintext.map(Blob::into_inner).unwrap_or_default();
        plaintext.try_into().map_err(|_| KeyError::Refused("Decrypt: not a 256-bit key".into()))
    }
}
