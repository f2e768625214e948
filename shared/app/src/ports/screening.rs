//! Sanctions and PEP screening as a port: a list today, a provider later. A list is
//! loaded on first use, not at a cold start: from the compact index shipped in the
//! binary, from bytes, or from an object in storage (Lambda). A paged index
//! (`KYCSIDX2`, built by `kyc-local screening-index`) is never held in memory: the
//! object is streamed to a file on the function's ephemeral storage, chunk by chunk,
//! and screenings read the pages they need from there. The older compact index
//! (`KYCSIDX1`) and a `targets.simple.csv` are still read, into memory (small lists).

use std::io::{Read, Seek, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use kyc_domain::lead::Lead;
use kyc_domain::risk::screening::{
    IndexBytes, PAGED_INDEX_MAGIC, PagedScreeningList, SYNTHETIC_SAMPLE_INDEX, ScreeningHit, ScreeningList,
};

use crate::ports::ObjectStore;

/// The list could not be loaded or read: a fault of the deployment, never "no hits".
#[derive(Debug, thiserror::Error)]
#[error("screening list: {0}")]
pub struct ScreeningError(pub String);

/// Screens the people and companies a lead names.
#[async_trait::async_trait]
pub trait Screening: Send + Sync {
    async fn screen(&self, lead: &Lead) -> Result<Vec<ScreeningHit>, ScreeningError>;
}

/// A list ready to screen with.
#[derive(Debug)]
pub enum LoadedList {
    /// Parsed whole into memory (the shipped sample, a CSV, a `KYCSIDX1` index).
    Memory(ScreeningList),
    /// A paged index, read page by page where it lies.
    Paged(PagedScreeningList),
}

/// A list held in memory is read whole; 1 GiB is far above any list that should be.
const MAX_IN_MEMORY_BYTES: u64 = 1 << 30;

impl LoadedList {
    /// A list from bytes in any of the three forms; a paged index is read from them.
    pub fn from_bytes(bytes: Vec<u8>) -> Result<LoadedList, ScreeningError> {
        if bytes.starts_with(PAGED_INDEX_MAGIC) {
            Ok(LoadedList::Paged(PagedScreeningList::open(Box::new(bytes)).map_err(ScreeningError)?))
        } else {
            Ok(LoadedList::Memory(ScreeningList::load(&bytes).map_err(ScreeningError)?))
        }
    }

    /// A list from a file: a paged index is opened in place (checked whole, only its
    /// directory read); a CSV or a `KYCSIDX1` index is read into memory.
    pub fn from_file(mut file: std::fs::File) -> Result<LoadedList, ScreeningError> {
        let failed = |e: std::io::Error| ScreeningError(format!("cannot read the list file: {e}"));
        let size = file.metadata().map_err(failed)?.len();
        let mut magic = [0u8; 8];
        let paged = size >= magic.len() as u64 && {
            std::os::unix::fs::FileExt::read_exact_at(&file, &mut magic, 0).map_err(failed)?;
            &magic == PAGED_INDEX_MAGIC
        };
        if paged {
            let list = PagedScreeningList::open(Box::new(IndexFile { file, size })).map_err(ScreeningError)?;
            return Ok(LoadedList::Paged(list));
        }
        if size > MAX_IN_MEMORY_BYTES {
            return Err(ScreeningError(format!(
                "a list of {size} bytes is too large to hold in memory: build its paged index (kyc-local screening-index)"
            )));
        }
        let mut bytes = Vec::with_capacity(usize::try_from(size).unwrap_or(0));
        // From the start, whatever was done with the file before (a download writes it).
        file.seek(std::io::SeekFrom::Start(0)).map_err(failed)?;
        file.read_to_end(&mut bytes).map_err(failed)?;
        Ok(LoadedList::Memory(ScreeningList::load(&bytes).map_err(ScreeningError)?))
    }

    /// Opens the list at `path` (see [`LoadedList::from_file`]).
    pub fn open(path: &Path) -> Result<LoadedList, ScreeningError> {
        let file =
            std::fs::File::open(path).map_err(|e| ScreeningError(format!("cannot open {}: {e}", path.display())))?;
        LoadedList::from_file(file)
    }

    /// The number of screened entries.
    pub fn len(&self) -> usize {
        match self {
            LoadedList::Memory(list) => list.len(),
            LoadedList::Paged(list) => list.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Everyone the lead names, screened; an error when a paged index cannot be read.
    pub fn screen_lead(&self, lead: &Lead, threshold_percent: u32) -> Result<Vec<ScreeningHit>, ScreeningError> {
        match self {
            LoadedList::Memory(list) => Ok(list.screen_lead(lead, threshold_percent)),
            LoadedList::Paged(list) => list.screen_lead(lead, threshold_percent).map_err(ScreeningError),
        }
    }

    fn form(&self) -> &'static str {
        match self {
            LoadedList::Memory(_) => "in memory",
            LoadedList::Paged(_) => "paged index",
        }
    }
}

/// A paged index read in place from a file (positioned reads: screenings may share it).
struct IndexFile {
    file: std::fs::File,
    size: u64,
}

impl IndexBytes for IndexFile {
    fn size(&self) -> u64 {
        self.size
    }

    fn read_at(&self, offset: u64, buf: &mut [u8]) -> Result<(), String> {
        std::os::unix::fs::FileExt::read_exact_at(&self.file, buf, offset)
            .map_err(|e| format!("screening index file: {e}"))
    }
}

/// Screening against a list loaded before.
pub struct ListScreening {
    pub list: LoadedList,
    pub threshold_percent: u32,
}

#[async_trait::async_trait]
impl Screening for ListScreening {
    async fn screen(&self, lead: &Lead) -> Result<Vec<ScreeningHit>, ScreeningError> {
        self.list.screen_lead(lead, self.threshold_percent)
    }
}

/// Where a list comes from.
pub enum ScreeningSource {
    /// The synthetic sample shipped in the binary, as its pre-built index.
    ShippedSample,
    /// Bytes in any form (tests, benchmarks).
    Bytes(Vec<u8>),
    /// An object in storage (`KYC_SCREENING_LIST_KEY` on Lambda), streamed on first use
    /// to an unnamed file in `dir` (ephemeral storage), then opened from there.
    Object { objects: Arc<dyn ObjectStore>, key: String, dir: PathBuf },
}

/// How much of the list object one read brings into memory on its way to the file.
pub const DOWNLOAD_CHUNK_BYTES: u64 = 8 << 20;

/// A list loaded on its first use, once per process (two first screenings at once
/// load it once); a failed load is tried again on the next use.
pub struct LazyScreening {
    source: ScreeningSource,
    threshold_percent: u32,
    list: tokio::sync::OnceCell<LoadedList>,
}

impl LazyScreening {
    pub fn new(source: ScreeningSource, threshold_percent: u32) -> LazyScreening {
        LazyScreening { source, threshold_percent, list: tokio::sync::OnceCell::new() }
    }

    /// The list, loaded now if this is its first use.
    pub async fn list(&self) -> Result<&LoadedList, ScreeningError> {
        self.list.get_or_try_init(|| self.load()).await
    }

    async fn load(&self) -> Result<LoadedList, ScreeningError> {
        let started = std::time::Instant::now();
        let list = match &self.source {
            ScreeningSource::ShippedSample => {
                LoadedList::Memory(ScreeningList::from_index(SYNTHETIC_SAMPLE_INDEX).map_err(ScreeningError)?)
            }
            ScreeningSource::Bytes(bytes) => LoadedList::from_bytes(bytes.clone())?,
            ScreeningSource::Object { objects, key, dir } => {
                let file = download(objects.as_ref(), key, dir).await?;
                // Opening checks the whole index against its SHA-256 (121 MB at 500,000
                // entries): off the async workers, which other requests share.
                tokio::task::spawn_blocking(move || LoadedList::from_file(file))
                    .await
                    .map_err(|e| ScreeningError(format!("opening the list stopped: {e}")))??
            }
        };
        tracing::info!(
            entries = list.len(),
            form = list.form(),
            elapsed_ms = started.elapsed().as_millis() as u64,
            "screening list loaded"
        );
        Ok(list)
    }
}

/// Streams the object into an unnamed file in `dir` (gone when closed, so a failed
/// load leaves nothing behind), holding one chunk in memory at a time. An object whose
/// size changes while it is read is refused (a paged index is checked whole anyway).
async fn download(objects: &dyn ObjectStore, key: &str, dir: &Path) -> Result<std::fs::File, ScreeningError> {
    let written = |e: std::io::Error| ScreeningError(format!("cannot write the list to {}: {e}", dir.display()));
    let mut file = tempfile::tempfile_in(dir).map_err(written)?;
    let mut at = 0u64;
    let mut size = None;
    loop {
        let chunk = objects
            .read_range(key, at, DOWNLOAD_CHUNK_BYTES)
            .await
            .map_err(|e| ScreeningError(format!("cannot read the list object: {e}")))?
            .ok_or_else(|| ScreeningError("the list object does not exist".into()))?;
        if *size.get_or_insert(chunk.size) != chunk.size {
            return Err(ScreeningError("the list object changed while it was read".into()));
        }
        if at >= chunk.size {
            break;
        }
        if chunk.bytes.is_empty() {
            return Err(ScreeningError(format!("the list object ended at byte {at} of {}", chunk.size)));
        }
        file.write_all(&chunk.bytes).map_err(written)?;
        at += chunk.bytes.len() as u64;
        if at >= chunk.size {
            break;
        }
    }
    file.flush().map_err(written)?;
    Ok(file)
}

#[async_trait::async_trait]
impl Screening for LazyScreening {
    async fn screen(&self, lead: &Lead) -> Result<Vec<ScreeningHit>, ScreeningError> {
        self.list().await?.screen_lead(lead, self.threshold_percent)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use chrono::{DateTime, Utc};
    use kyc_domain::ids::LeadId;
    use kyc_domain::lead::input::LeadData;
    use kyc_domain::lead::{Individual, Source};
    use kyc_domain::risk::screening::{SYNTHETIC_SAMPLE_CSV, parse_targets_simple};

    use super::*;
    use crate::ports::objects::{Attachment, ObjectError, ObjectPrefix, PresignedRequest};

    /// One object in memory, its reads counted; each read yields first, so that two
    /// screenings started together really do overlap.
    struct OneObject {
        bytes: Mutex<Option<Vec<u8>>>,
        reads: AtomicUsize,
    }

    impl OneObject {
        fn holding(bytes: Option<Vec<u8>>) -> Arc<OneObject> {
            Arc::new(OneObject { bytes: Mutex::new(bytes), reads: AtomicUsize::new(0) })
        }

        fn replace(&self, bytes: Vec<u8>) {
            *self.bytes.lock().expect("not poisoned") = Some(bytes);
        }
    }

    #[async_trait::async_trait]
    impl ObjectStore for OneObject {
        async fn presign_put(&self, _: &str, _: &str, _: DateTime<Utc>) -> Result<PresignedRequest, ObjectError> {
            Err(ObjectError::Invalid("not in this test".into()))
        }

        async fn presign_get(
            &self,
            _: &str,
            _: &Attachment,
            _: DateTime<Utc>,
        ) -> Result<PresignedRequest, ObjectError> {
            Err(ObjectError::Invalid("not in this test".into()))
        }

        async fn read_prefix(&self, key: &str, max: u64) -> Result<Option<ObjectPrefix>, ObjectError> {
            self.read_range(key, 0, max).await
        }

        async fn read_range(&self, _: &str, start: u64, max: u64) -> Result<Option<ObjectPrefix>, ObjectError> {
            tokio::task::yield_now().await;
            self.reads.fetch_add(1, Ordering::SeqCst);
            let bytes = self.bytes.lock().expect("not poisoned").clone();
            Ok(bytes.map(|bytes| {
                let size = bytes.len() as u64;
                let from = start.min(size) as usize;
                let to = start.saturating_add(max).min(size) as usize;
                ObjectPrefix { bytes: bytes[from..to].to_vec(), size, content_type: None }
            }))
        }
    }

    fn sample() -> ScreeningList {
        parse_targets_simple(SYNTHETIC_SAMPLE_CSV.as_bytes()).expect("the sample parses")
    }

    fn person(first: &str, last: &str) -> Lead {
        let mut lead = LeadData::default().into_lead(LeadId::from_uuid(uuid::Uuid::nil()), Source::Api, Utc::now());
        lead.individual = Some(Individual {
            first_name: first.into(),
            last_name: last.into(),
            date_of_birth: None,
            nationality: None,
            phone: None,
        });
        lead
    }

    fn from_object(objects: Arc<OneObject>, dir: &Path) -> LazyScreening {
        LazyScreening::new(ScreeningSource::Object { objects, key: "lists/screening".into(), dir: dir.into() }, 90)
    }

    #[tokio::test]
    async fn a_paged_index_object_is_streamed_to_a_file_and_screened_from_there() {
        let dir = tempfile::tempdir().expect("a temp dir");
        let objects = OneObject::holding(Some(sample().to_paged_index()));
        let screening = from_object(objects.clone(), dir.path());
        let lead = person("Ivor", "Examplov");
        let hits = screening.screen(&lead).await.expect("screens");
        assert_eq!(hits, sample().screen_lead(&lead, 90));
        assert!(hits.iter().any(|h| h.list_entry_id == "fic-p-001"));
        assert!(matches!(screening.list().await, Ok(LoadedList::Paged(_))), "queried from the file, not memory");
        // the file has no name: nothing is left in the directory
        assert_eq!(std::fs::read_dir(dir.path()).expect("listed").count(), 0);
    }

    #[tokio::test]
    async fn two_first_screenings_at_once_read_the_list_once() {
        let dir = tempfile::tempdir().expect("a temp dir");
        let objects = OneObject::holding(Some(sample().to_paged_index()));
        let screening = from_object(objects.clone(), dir.path());
        let (lead, other) = (person("Ivor", "Examplov"), person("Tova", "Madeupsson"));
        let (first, second) = tokio::join!(screening.screen(&lead), screening.screen(&other));
        assert!(first.is_ok() && second.is_ok());
        assert_eq!(objects.reads.load(Ordering::SeqCst), 1, "one read of one chunk");
        screening.screen(&lead).await.expect("screens");
        assert_eq!(objects.reads.load(Ordering::SeqCst), 1, "later screenings read no object");
    }

    #[tokio::test]
    async fn a_damaged_truncated_or_missing_list_is_a_fault_not_no_hits_and_is_tried_again() {
        let dir = tempfile::tempdir().expect("a temp dir");
        let index = sample().to_paged_index();
        let lead = person("Ivor", "Examplov");
        let mut damaged = index.clone();
        damaged[index.len() / 2] ^= 1;
        for bad in [Some(damaged), Some(index[..index.len() - 10].to_vec()), Some(b"KYCSIDX2".to_vec()), None] {
            let objects = OneObject::holding(bad);
            let screening = from_object(objects.clone(), dir.path());
            assert!(screening.screen(&lead).await.is_err());
            // the list is fixed: the next screening loads it
            objects.replace(index.clone());
            assert!(!screening.screen(&lead).await.expect("screens").is_empty());
        }
    }

    #[tokio::test]
    async fn a_list_cannot_be_written_where_there_is_no_directory() {
        let dir = tempfile::tempdir().expect("a temp dir");
        let objects = OneObject::holding(Some(sample().to_paged_index()));
        let screening = from_object(objects, &dir.path().join("missing"));
        assert!(screening.screen(&person("Ivor", "Examplov")).await.is_err());
    }

    #[tokio::test]
    async fn the_older_index_and_a_csv_are_still_read_into_memory() {
        let dir = tempfile::tempdir().expect("a temp dir");
        let lead = person("Ivor", "Examplov");
        for bytes in [sample().to_index(), SYNTHETIC_SAMPLE_CSV.as_bytes().to_vec()] {
            let screening = from_object(OneObject::holding(Some(bytes)), dir.path());
            assert_eq!(screening.screen(&lead).await.expect("screens"), sample().screen_lead(&lead, 90));
            assert!(matches!(screening.list().await, Ok(LoadedList::Memory(_))));
        }
    }

    #[test]
    fn a_list_file_is_opened_in_place_when_it_is_a_paged_index() {
        let dir = tempfile::tempdir().expect("a temp dir");
        let path = dir.path().join("list.idx");
        std::fs::write(&path, sample().to_paged_index()).expect("written");
        assert!(matches!(LoadedList::open(&path), Ok(LoadedList::Paged(list)) if list.len() == 20));
        std::fs::write(&path, &sample().to_paged_index()[..100]).expect("written");
        assert!(LoadedList::open(&path).is_err());
        std::fs::write(&path, SYNTHETIC_SAMPLE_CSV).expect("written");
        assert!(matches!(LoadedList::open(&path), Ok(LoadedList::Memory(_))));
    }
}
