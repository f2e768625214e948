//! The screening list as the Lambda functions get it: a paged index in the documents
//! bucket (S3 on moto), streamed in chunks to a file on first use and screened from
//! there, hit for hit as the list in memory; a damaged object is a fault, never "no hits".

use std::sync::Arc;

use kyc_app::ports::ObjectStore;
use kyc_app::ports::screening::{DOWNLOAD_CHUNK_BYTES, LazyScreening, LoadedList, Screening, ScreeningSource};
use kyc_domain::ids::LeadId;
use kyc_domain::lead::input::LeadData;
use kyc_domain::lead::{Individual, Lead, Source};
use kyc_domain::risk::screening::{ScreeningList, parse_targets_simple};
use kyc_tests::backends;

const KEY: &str = "screening/targets.idx";

/// Letters for a number: distinct, pronounceable enough, never a real name.
fn letters(mut n: usize, len: usize) -> String {
    const CONSONANTS: &[u8] = b"BDFGKLMNPRSTVZ";
    const VOWELS: &[u8] = b"AEIOU";
    let mut word = String::new();
    for i in 0..len {
        let set = if i % 2 == 0 { CONSONANTS } else { VOWELS };
        word.push(set[n % set.len()] as char);
        n /= set.len();
    }
    word
}

/// `n` invented people, each with an alias: a list whose paged index spans chunks.
fn list_of(n: usize) -> ScreeningList {
    let mut csv = String::from("id,schema,name,aliases,birth_date,dataset\n");
    for i in 0..n {
        let (given, family) = (letters(i * 7 + 3, 6), letters(i * 13 + 5, 8));
        csv.push_str(&format!("inv-{i},Person,{given} {family},\"{family}, {given} Q\",19{:02},Invented\n", i % 100));
    }
    parse_targets_simple(csv.as_bytes()).expect("the invented list parses")
}

fn lead_named(first: String, last: String) -> Lead {
    let individual =
        Individual { first_name: first, last_name: last, date_of_birth: None, nationality: None, phone: None };
    LeadData { individual: Some(individual), ..LeadData::default() }.into_lead(
        LeadId::from_uuid(uuid::Uuid::nil()),
        Source::Api,
        chrono::Utc::now(),
    )
}

async fn uploaded(store: &kyc_aws::S3Objects, bytes: Vec<u8>) {
    store
        .client()
        .put_object()
        .bucket(store.bucket())
        .key(KEY)
        .body(bytes.into())
        .send()
        .await
        .expect("the list is uploaded to moto");
}

#[tokio::test]
async fn a_paged_index_in_s3_is_streamed_in_chunks_and_screens_as_the_list_in_memory() {
    // given a list whose paged index is larger than one download chunk, in the bucket
    let list = list_of(60_000);
    let index = list.to_paged_index();
    assert!(index.len() as u64 > DOWNLOAD_CHUNK_BYTES, "{} bytes span chunks", index.len());
    let store = backends::s3_objects().await;
    uploaded(&store, index).await;
    let dir = tempfile::tempdir().expect("a temp dir");
    let objects: Arc<dyn ObjectStore> = Arc::new(store);
    let source = ScreeningSource::Object { objects, key: KEY.into(), dir: dir.path().into() };
    let screening = LazyScreening::new(source, 90);
    // when leads are screened, the first one loading the list
    for i in [0, 12_345, 59_999] {
        let lead = lead_named(letters(i * 7 + 3, 6), letters(i * 13 + 5, 8));
        let hits = screening.screen(&lead).await.expect("screens");
        // then the hits are those of the list in memory, the listed person among them
        assert_eq!(hits, list.screen_lead(&lead, 90));
        assert!(hits.iter().any(|h| h.list_entry_id == format!("inv-{i}")), "{hits:?}");
    }
    assert!(matches!(screening.list().await, Ok(LoadedList::Paged(_))));
}

#[tokio::test]
async fn a_damaged_index_in_s3_is_a_fault_not_no_hits() {
    let mut index = list_of(200).to_paged_index();
    let middle = index.len() / 2;
    index[middle] ^= 0x01;
    let store = backends::s3_objects().await;
    uploaded(&store, index).await;
    let dir = tempfile::tempdir().expect("a temp dir");
    let source = ScreeningSource::Object { objects: Arc::new(store), key: KEY.into(), dir: dir.path().into() };
    let error = LazyScreening::new(source, 90)
        .screen(&lead_named(letters(3, 6), letters(5, 8)))
        .await
        .expect_err("a damaged list is refused");
    assert!(error.to_string().contains("checksum"), "{error}");
}
