//! The `ObjectStore` port on local files, with URLs signed like S3's presigned ones:
//! an HMAC-SHA256 over method, key, expiry, content type and (for downloads) content
//! disposition, checked by `kyc-local` before it accepts or serves a file. A tampered,
//! expired or re-targeted URL is refused, and a download answers with exactly the
//! signed type and `attachment` disposition.

use std::path::PathBuf;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use sha2::Sha256;
use tokio::io::AsyncReadExt;

use kyc_app::ports::objects::{Attachment, ObjectError, ObjectPrefix, ObjectStore, PresignedRequest};

/// Where `kyc-local` serves object URLs.
pub const OBJECTS_PATH: &str = "/local-objects/";

#[derive(Clone)]
pub struct LocalObjects {
    root: PathBuf,
    base_url: String,
    /// Keyed once; cloned per signature.
    keyed: Hmac<Sha256>,
}

/// The signed parameters of an object URL, as `kyc-local` receives them.
#[derive(Debug, Clone)]
pub struct SignedAccess<'a> {
    pub method: &'a str,
    pub key: &'a str,
    pub expires: i64,
    /// The upload's required type, or the type a download is served with.
    pub content_type: &'a str,
    /// A download's `Content-Disposition` (empty for uploads).
    pub disposition: &'a str,
    pub signature: &'a str,
}

/// Object keys are ours (`documents/{tenant}/{lead}/{doc}`): refuse anything else so a
/// key can never climb out of the storage root.
pub fn is_safe_key(key: &str) -> bool {
    !key.is_empty()
        && key.len() <= 512
        && !key.starts_with('/')
        && key.split('/').all(|part| !part.is_empty() && part != "." && part != "..")
        && key.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'/' | b'_' | b'-' | b'.'))
}

impl LocalObjects {
    /// `base_url` is where `kyc-local` listens (e.g. `http://127.0.0.1:3000`).
    pub fn new(root: PathBuf, base_url: String, secret: &[u8]) -> Result<Self, ObjectError> {
        let keyed = <Hmac<Sha256> as Mac>::new_from_slice(secret).map_err(|e| ObjectError::Invalid(e.to_string()))?;
        Ok(LocalObjects { root, base_url, keyed })
    }

    fn mac(&self, method: &str, key: &str, expires: i64, content_type: &str, disposition: &str) -> Hmac<Sha256> {
        let mut mac = self.keyed.clone();
        // Newline-separated: no field may hold one (`verify` refuses control bytes), so
        // the fields cannot be shifted into each other.
        mac.update(format!("{method}\n{key}\n{expires}\n{content_type}\n{disposition}").as_bytes());
        mac
    }

    fn sign(&self, method: &str, key: &str, expires: i64, content_type: &str, disposition: &str) -> String {
        hex::encode(self.mac(method, key, expires, content_type, disposition).finalize().into_bytes())
    }

    /// Whether a request carries a valid, unexpired signature for exactly this access.
    pub fn verify(&self, access: &SignedAccess<'_>, now: DateTime<Utc>) -> bool {
        if access.expires < now.timestamp() || !is_safe_key(access.key) {
            return false;
        }
        if [access.content_type, access.disposition].iter().any(|v| v.bytes().any(|b| b.is_ascii_control())) {
            return false;
        }
        let Ok(given) = hex::decode(access.signature) else { return false };
        // Constant-time comparison.
        self.mac(access.method, access.key, access.expires, access.content_type, access.disposition)
            .verify_slice(&given)
            .is_ok()
    }

    pub fn path_of(&self, key: &str) -> Option<PathBuf> {
        is_safe_key(key).then(|| self.root.join(key))
    }

    /// Stores an uploaded object (write to a temporary file, then rename: a reader never
    /// sees half a file).
    pub async fn write(&self, key: &str, bytes: &[u8]) -> Result<(), ObjectError> {
        let path = self.path_of(key).ok_or_else(|| ObjectError::Invalid("unsafe object key".into()))?;
        if let Some(dir) = path.parent() {
            tokio::fs::create_dir_all(dir).await.map_err(unavailable)?;
        }
        let tmp = path.with_extension("uploading");
        tokio::fs::write(&tmp, bytes).await.map_err(unavailable)?;
        tokio::fs::rename(&tmp, &path).await.map_err(unavailable)
    }

    fn url(&self, method: &str, key: &str, expires: DateTime<Utc>, content_type: &str, disposition: &str) -> String {
        let expires = expires.timestamp();
        let signature = self.sign(method, key, expires, content_type, disposition);
        let encode = |value: &str| form_urlencoded::byte_serialize(value.as_bytes()).collect::<String>();
        let (ct, cd) = (encode(content_type), encode(disposition));
        let cd = if disposition.is_empty() { String::new() } else { format!("&cd={cd}") };
        format!("{}{OBJECTS_PATH}{key}?expires={expires}&ct={ct}{cd}&sig={signature}", self.base_url)
    }
}

fn unavailable(e: impl std::fmt::Display) -> ObjectError {
    ObjectError::Unavailable(e.to_string())
}

#[async_trait]
impl ObjectStore for LocalObjects {
    async fn presign_put(
        &self,
        key: &str,
        content_type: &str,
        expires_at: DateTime<Utc>,
    ) -> Result<PresignedRequest, ObjectError> {
        if !is_safe_key(key) {
            return Err(ObjectError::Invalid("unsafe object key".into()));
        }
        Ok(PresignedRequest {
            method: "PUT".into(),
            url: self.url("PUT", key, expires_at, content_type, ""),
            headers: [("Content-Type".to_string(), content_type.to_string())].into(),
            expires_at,
        })
    }

    async fn presign_get(
        &self,
        key: &str,
        attachment: &Attachment,
        expires_at: DateTime<Utc>,
    ) -> Result<PresignedRequest, ObjectError> {
        if !is_safe_key(key) {
            return Err(ObjectError::Invalid("unsafe object key".into()));
        }
        Ok(PresignedRequest {
            method: "GET".into(),
            url: self.url("GET", key, expires_at, attachment.content_type(), &attachment.content_disposition()),
            headers: Default::default(),
            expires_at,
        })
    }

    async fn read_prefix(&self, key: &str, max: u64) -> Result<Option<ObjectPrefix>, ObjectError> {
        let Some(path) = self.path_of(key) else { return Ok(None) };
        let file = match tokio::fs::File::open(&path).await {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(unavailable(e)),
        };
        let size = file.metadata().await.map_err(unavailable)?.len();
        let mut bytes = Vec::with_capacity(size.min(max) as usize);
        file.take(max).read_to_end(&mut bytes).await.map_err(unavailable)?;
        Ok(Some(ObjectPrefix { bytes, size, content_type: None }))
    }

    async fn read_range(&self, key: &str, start: u64, max: u64) -> Result<Option<ObjectPrefix>, ObjectError> {
        use tokio::io::AsyncSeekExt;
        let Some(path) = self.path_of(key) else { return Ok(None) };
        let mut file = match tokio::fs::File::open(&path).await {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(unavailable(e)),
        };
        let size = file.metadata().await.map_err(unavailable)?.len();
        let want = size.saturating_sub(start).min(max);
        file.seek(std::io::SeekFrom::Start(start.min(size))).await.map_err(unavailable)?;
        let mut bytes = Vec::with_capacity(want as usize);
        file.take(want).read_to_end(&mut bytes).await.map_err(unavailable)?;
        Ok(Some(ObjectPrefix { bytes, size, content_type: None }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn store() -> LocalObjects {
        LocalObjects::new(PathBuf::from("/tmp/unused"), "http://127.0.0.1:1".into(), b"secret").expect("keyed")
    }

    fn now() -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000, 0).unwrap_or_default()
    }

    fn access<'a>(method: &'a str, key: &'a str, expires: i64, ct: &'a str, sig: &'a str) -> SignedAccess<'a> {
        SignedAccess { method, key, expires, content_type: ct, disposition: "", signature: sig }
    }

    #[test]
    fn a_signature_is_valid_only_for_its_method_key_type_and_time() {
        let s = store();
        let exp = now().timestamp() + 900;
        let sig = s.sign("PUT", "documents/t/l/d", exp, "image/png", "");
        assert!(s.verify(&access("PUT", "documents/t/l/d", exp, "image/png", &sig), now()));
        assert!(!s.verify(&access("PUT", "documents/t/l/other", exp, "image/png", &sig), now()), "another key");
        assert!(!s.verify(&access("PUT", "documents/t/l/d", exp, "application/pdf", &sig), now()), "another type");
        assert!(!s.verify(&access("GET", "documents/t/l/d", exp, "image/png", &sig), now()), "another method");
        assert!(!s.verify(&access("PUT", "documents/t/l/d", exp + 1, "image/png", &sig), now()), "a moved expiry");
        let later = DateTime::from_timestamp(exp + 1, 0).unwrap_or_default();
        assert!(!s.verify(&access("PUT", "documents/t/l/d", exp, "image/png", &sig), later), "expired");
        assert!(!s.verify(&access("PUT", "documents/t/l/d", exp, "image/png", "zz"), now()), "garbage");
    }

    #[tokio::test]
    async fn a_download_url_binds_its_content_type_and_attachment_disposition() {
        let s = store();
        let attachment = Attachment::new("doc_02.pdf", "application/pdf");
        let expires = now() + chrono::TimeDelta::minutes(5);
        let link = s.presign_get("documents/t/l/d", &attachment, expires).await.expect("signed");
        let query: std::collections::HashMap<String, String> =
            form_urlencoded::parse(link.url.split_once('?').map(|(_, q)| q).unwrap_or_default().as_bytes())
                .into_owned()
                .collect();
        assert_eq!(query.get("ct").map(String::as_str), Some("application/pdf"));
        assert_eq!(query.get("cd").map(String::as_str), Some("attachment; filename=\"doc_02.pdf\""));
        let sig = query.get("sig").expect("a signature");
        let get = |ct: &'static str, cd: &'static str| SignedAccess {
            method: "GET",
            key: "documents/t/l/d",
            expires: expires.timestamp(),
            content_type: ct,
            disposition: cd,
            signature: sig,
        };
        assert!(s.verify(&get("application/pdf", "attachment; filename=\"doc_02.pdf\""), now()));
        assert!(!s.verify(&get("text/html", "attachment; filename=\"doc_02.pdf\""), now()), "another type");
        assert!(!s.verify(&get("application/pdf", "inline"), now()), "rendered inline");
        assert!(!s.verify(&get("application/pdf", ""), now()), "no disposition");
    }

    #[test]
    fn fields_holding_control_bytes_are_refused() {
        let s = store();
        let exp = now().timestamp() + 900;
        let sig = s.sign("GET", "documents/t/l/d", exp, "a\nb", "");
        let access = SignedAccess {
            method: "GET",
            key: "documents/t/l/d",
            expires: exp,
            content_type: "a\nb",
            disposition: "",
            signature: &sig,
        };
        assert!(!s.verify(&access, now()));
    }

    #[test]
    fn keys_cannot_escape_the_storage_root() {
        for bad in ["", "/etc/passwd", "documents/../../x", "documents//x", "a/./b", "a b", "a%2e%2e"] {
            assert!(!is_safe_key(bad), "{bad}");
        }
        assert!(is_safe_key("documents/acme/lead_01/doc_02"));
    }
}
