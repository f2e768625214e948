//! Sanctions and PEP screening as a port: a list in memory today, a provider later.
//! A list is loaded on first use, not at a cold start: from the compact index shipped
//! in the binary, from bytes read at start-up, or from an object in storage (Lambda).

use std::sync::Arc;

use kyc_domain::lead::Lead;
use kyc_domain::risk::screening::{SYNTHETIC_SAMPLE_INDEX, ScreeningHit, ScreeningList};

use crate::ports::ObjectStore;

/// The list could not be loaded: a fault of the deployment, never "no hits".
#[derive(Debug, thiserror::Error)]
#[error("screening list: {0}")]
pub struct ScreeningError(pub String);

/// Screens the people and companies a lead names.
#[async_trait::async_trait]
pub trait Screening: Send + Sync {
    async fn screen(&self, lead: &Lead) -> Result<Vec<ScreeningHit>, ScreeningError>;
}

/// Screening against a list in memory.
pub struct ListScreening {
    pub list: ScreeningList,
    pub threshold_percent: u32,
}

#[async_trait::async_trait]
impl Screening for ListScreening {
    async fn screen(&self, lead: &Lead) -> Result<Vec<ScreeningHit>, ScreeningError> {
        Ok(self.list.screen_lead(lead, self.threshold_percent))
    }
}

/// Where a list comes from; any of them may hold a compact index
/// ([`ScreeningList::to_index`]) or a `targets.simple.csv`.
pub enum ScreeningSource {
    /// The synthetic sample shipped in the binary, as its pre-built index.
    ShippedSample,
    /// Bytes read at start-up (`kyc-local`'s `KYC_SCREENING_LIST` file).
    Bytes(Vec<u8>),
    /// An object in storage (`KYC_SCREENING_LIST_KEY` on Lambda), read on first use.
    Object { objects: Arc<dyn ObjectStore>, key: String },
}

/// Lists are loaded whole; 1 GiB is far above any filtered list.
const MAX_LIST_BYTES: u64 = 1 << 30;

/// A list loaded on its first use, once per process; a failed load is tried again on
/// the next use.
pub struct LazyScreening {
    source: ScreeningSource,
    threshold_percent: u32,
    list: tokio::sync::OnceCell<ScreeningList>,
}

impl LazyScreening {
    pub fn new(source: ScreeningSource, threshold_percent: u32) -> LazyScreening {
        LazyScreening { source, threshold_percent, list: tokio::sync::OnceCell::new() }
    }

    /// The list, loaded now if this is its first use.
    pub async fn list(&self) -> Result<&ScreeningList, ScreeningError> {
        self.list.get_or_try_init(|| self.load()).await
    }

    async fn load(&self) -> Result<ScreeningList, ScreeningError> {
        let started = std::time::Instant::now();
        let list = match &self.source {
            ScreeningSource::ShippedSample => ScreeningList::from_index(SYNTHETIC_SAMPLE_INDEX),
            ScreeningSource::Bytes(bytes) => ScreeningList::load(bytes),
            ScreeningSource::Object { objects, key } => {
                let object = objects
                    .read_prefix(key, MAX_LIST_BYTES)
                    .await
                    .map_err(|e| ScreeningError(format!("cannot read the list object: {e}")))?
                    .ok_or_else(|| ScreeningError("the list object does not exist".into()))?;
                ScreeningList::load(&object.bytes)
            }
        }
        .map_err(ScreeningError)?;
        tracing::info!(
            entries = list.len(),
            elapsed_ms = started.elapsed().as_millis() as u64,
            "screening list loaded"
        );
        Ok(list)
    }
}

#[async_trait::async_trait]
impl Screening for LazyScreening {
    async fn screen(&self, lead: &Lead) -> Result<Vec<ScreeningHit>, ScreeningError> {
        Ok(self.list().await?.screen_lead(lead, self.threshold_percent))
    }
}
