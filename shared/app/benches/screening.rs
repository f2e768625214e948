//! Benchmark: what the screening list costs the functions that write leads, held whole
//! in memory (a `KYCSIDX1` index, read and parsed on first use, as before) against the
//! paged index (`KYCSIDX2`, queried in place from a file on ephemeral storage). For
//! synthetic lists of 50,000 and 500,000 invented entries: index bytes, build time, the
//! first screening (the list loaded), a later screening, and the peak heap of loading
//! and screening, counted exactly by a counting allocator above what was live before.
//! The Lambda path (the object streamed to a file, then opened) is measured apart.
//! Prints Markdown for BENCHMARKS.md.
//!
//! Here, not in `kyc-tests`: it needs only this crate, so the bench profile (opt 3)
//! builds in minutes instead of building the AWS SDK.

use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use peak_alloc::PeakAlloc;

use kyc_app::ports::ObjectStore;
use kyc_app::ports::objects::{Attachment, ObjectError, ObjectPrefix, PresignedRequest};
use kyc_app::ports::screening::{LazyScreening, LoadedList, Screening, ScreeningSource};
use kyc_domain::lead::input::LeadData;
use kyc_domain::lead::{Individual, Lead, Source};
use kyc_domain::risk::screening::{ScreeningHit, ScreeningList, parse_targets_simple};

/// Counts the peak of live heap bytes exactly.
#[global_allocator]
static ALLOCATOR: PeakAlloc = PeakAlloc;

const THRESHOLD: u32 = 90;

const SYLLABLES: [&str; 16] =
    ["ka", "lo", "mir", "tan", "vel", "zor", "quin", "dra", "pel", "sto", "ru", "ben", "ix", "ola", "fen", "gau"];

fn word(mut x: usize, parts: usize) -> String {
    let mut w = String::new();
    for _ in 0..parts {
        w.push_str(SYLLABLES[x % 16]);
        x /= 16;
    }
    let mut c = w.chars();
    c.next().map(|f| f.to_uppercase().collect::<String>() + c.as_str()).unwrap_or_default()
}

fn person_name(i: usize) -> (String, String) {
    let seed = i.wrapping_mul(2_654_435_761);
    (word(seed, 2), word(seed >> 8, 3))
}

/// A `targets.simple.csv` of `n` invented people and companies (deterministic).
fn synthetic_csv(n: usize) -> String {
    let mut csv = String::from("id,schema,name,aliases,birth_date,countries,sanctions,dataset\n");
    for i in 0..n {
        let seed = i.wrapping_mul(2_654_435_761);
        if i % 5 == 0 {
            csv.push_str(&format!(
                "syn-o-{i},Company,{} {} Ltd,,,xx,Programme,Synthetic\n",
                word(seed, 3),
                word(seed >> 12, 2)
            ));
        } else {
            let (first, last) = person_name(i);
            csv.push_str(&format!(
                "syn-p-{i},Person,{first} {last},{last} {first};{first} {} {last},19{:02}-0{}-1{},xx,Programme,Synthetic\n",
                word(seed >> 20, 2),
                i % 100,
                1 + i % 9,
                i % 10
            ));
        }
    }
    csv
}

fn lead(first: &str, last: &str) -> Lead {
    let individual = Individual {
        first_name: first.into(),
        last_name: last.into(),
        date_of_birth: None,
        nationality: None,
        phone: None,
    };
    let data = LeadData { individual: Some(individual), ..LeadData::default() };
    data.into_lead(kyc_domain::ids::LeadId::from_uuid(uuid::Uuid::now_v7()), Source::Api, Utc::now())
}

/// Twenty leads: names of listed people (hits), one misspelt, and one nobody has.
fn leads(n: usize) -> Vec<Lead> {
    let mut leads: Vec<Lead> = (1..19).map(|k| person_name(k * n / 19 + 1)).map(|(f, l)| lead(&f, &l)).collect();
    let (first, last) = person_name(n / 2 + 1);
    leads.push(lead(&first, &last.replacen('a', "e", 1)));
    leads.push(lead("Nobody", "Listedhere"));
    leads
}

fn ms(d: Duration) -> String {
    format!("{:.2}", d.as_secs_f64() * 1000.0)
}

fn mib(bytes: usize) -> String {
    format!("{:.1}", bytes as f64 / (1024.0 * 1024.0))
}

/// Runs `work`, answering its time and the heap it needed at its peak above what was
/// live before it.
async fn measured<T>(work: impl std::future::Future<Output = T>) -> (Duration, usize, T) {
    let baseline = ALLOCATOR.current_usage();
    ALLOCATOR.reset_peak_usage();
    let started = Instant::now();
    let out = work.await;
    (started.elapsed(), ALLOCATOR.peak_usage().saturating_sub(baseline), out)
}

/// The list object of the Lambda path: a file read range by range (as S3 answers).
struct FileObject(PathBuf);

#[async_trait::async_trait]
impl ObjectStore for FileObject {
    async fn presign_put(&self, _: &str, _: &str, _: DateTime<Utc>) -> Result<PresignedRequest, ObjectError> {
        Err(ObjectError::Invalid("not measured".into()))
    }

    async fn presign_get(&self, _: &str, _: &Attachment, _: DateTime<Utc>) -> Result<PresignedRequest, ObjectError> {
        Err(ObjectError::Invalid("not measured".into()))
    }

    async fn read_prefix(&self, key: &str, max: u64) -> Result<Option<ObjectPrefix>, ObjectError> {
        self.read_range(key, 0, max).await
    }

    async fn read_range(&self, _: &str, start: u64, max: u64) -> Result<Option<ObjectPrefix>, ObjectError> {
        let failed = |e: std::io::Error| ObjectError::Unavailable(e.to_string());
        let file = std::fs::File::open(&self.0).map_err(failed)?;
        let size = file.metadata().map_err(failed)?.len();
        let want = size.saturating_sub(start).min(max);
        let mut bytes = vec![0u8; want as usize];
        std::os::unix::fs::FileExt::read_exact_at(&file, &mut bytes, start).map_err(failed)?;
        Ok(Some(ObjectPrefix { bytes, size, content_type: None }))
    }
}

/// One synthetic list's figures, as table rows.
struct Figures {
    entries: usize,
    csv_bytes: usize,
    whole: Row,
    paged: Row,
    lambda: (Duration, usize),
}

struct Row {
    index_bytes: u64,
    build: Duration,
    first: Duration,
    later: Duration,
    peak: usize,
    /// Live heap the loaded list keeps while it is in use.
    kept: usize,
}

async fn figures(n: usize, dir: &Path) -> Figures {
    let csv = synthetic_csv(n);
    let csv_bytes = csv.len();
    let list = parse_targets_simple(csv.as_bytes()).expect("parses");
    drop(csv);
    let (whole_path, paged_path) = (dir.join(format!("whole-{n}.idx")), dir.join(format!("paged-{n}.idx")));
    let started = Instant::now();
    std::fs::write(&whole_path, list.to_index()).expect("written");
    let whole_build = started.elapsed();
    let started = Instant::now();
    let mut out = std::io::BufWriter::new(std::fs::File::create(&paged_path).expect("created"));
    let paged_bytes = list.write_paged_index(&mut out).expect("written");
    drop(out);
    let paged_build = started.elapsed();
    let entries = list.len();
    let leads = leads(n);
    let expected: Vec<Vec<ScreeningHit>> = leads.iter().map(|l| list.screen_lead(l, THRESHOLD)).collect();
    drop(list);

    // Before: the whole index read into memory (as `read_prefix` answered it) and parsed.
    let baseline = ALLOCATOR.current_usage();
    let (_, whole_peak, (first, later, kept)) = measured(async {
        let started = Instant::now();
        let bytes = std::fs::read(&whole_path).expect("read");
        let whole = ScreeningList::from_index(&bytes).expect("loads");
        drop(bytes);
        let kept = ALLOCATOR.current_usage().saturating_sub(baseline);
        black_box(whole.screen_lead(&leads[0], THRESHOLD));
        let first = started.elapsed();
        let started = Instant::now();
        for (lead, hits) in leads.iter().zip(&expected) {
            assert_eq!(&whole.screen_lead(lead, THRESHOLD), hits);
        }
        (first, started.elapsed() / leads.len() as u32, kept)
    })
    .await;
    let whole = Row {
        index_bytes: std::fs::metadata(&whole_path).expect("stat").len(),
        build: whole_build,
        first,
        later,
        peak: whole_peak,
        kept,
    };

    // After: the paged index opened in place (checked whole, its directory read).
    let baseline = ALLOCATOR.current_usage();
    let (_, paged_peak, (first, later, kept)) = measured(async {
        let started = Instant::now();
        let paged = LoadedList::open(&paged_path).expect("opens");
        let kept = ALLOCATOR.current_usage().saturating_sub(baseline);
        black_box(paged.screen_lead(&leads[0], THRESHOLD).expect("screens"));
        let first = started.elapsed();
        let started = Instant::now();
        for (lead, hits) in leads.iter().zip(&expected) {
            assert_eq!(&paged.screen_lead(lead, THRESHOLD).expect("screens"), hits, "the same hits");
        }
        (first, started.elapsed() / leads.len() as u32, kept)
    })
    .await;
    let paged = Row { index_bytes: paged_bytes, build: paged_build, first, later, peak: paged_peak, kept };

    // The Lambda path: the object streamed to a file, opened, one lead screened.
    let objects: Arc<dyn ObjectStore> = Arc::new(FileObject(paged_path.clone()));
    let (lambda_first, lambda_peak, _) = measured(async {
        let source = ScreeningSource::Object { objects, key: "screening/list.idx".into(), dir: dir.to_path_buf() };
        let lazy = LazyScreening::new(source, THRESHOLD);
        black_box(lazy.screen(&leads[0]).await.expect("screens"))
    })
    .await;
    std::fs::remove_file(&whole_path).expect("removed");
    std::fs::remove_file(&paged_path).expect("removed");
    Figures { entries, csv_bytes, whole, paged, lambda: (lambda_first, lambda_peak) }
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let mut all = Vec::new();
    for n in [50_000, 500_000] {
        all.push(figures(n, dir.path()).await);
    }
    println!("## Screening list: cold start and first use\n");
    println!("One run on one core (`cargo bench -p kyc-app --bench screening`, profile bench: opt 3,");
    println!("no LTO). \"Whole\" is the list as before: its `KYCSIDX1` index read into memory and");
    println!("parsed on first use. \"Paged\" is its `KYCSIDX2` index opened in place from a file");
    println!("(the whole file checked against its SHA-256, the directory read). First screening:");
    println!("load and one lead; later screening: the mean of twenty leads (eighteen listed names,");
    println!("one misspelt, one unlisted), whose hits both forms must agree on. Peak heap: of");
    println!("loading and all the screenings, counted exactly by a counting allocator; kept heap:");
    println!("what the loaded list holds while in use (after loading, before screening).\n");
    println!(
        "| list | form | index bytes | build ms | first screening ms | later screening ms | peak heap MiB | kept heap MiB |"
    );
    println!("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |");
    for f in &all {
        for (form, row) in [("whole", &f.whole), ("paged", &f.paged)] {
            println!(
                "| synthetic {} ({} CSV bytes) | {form} | {} | {} | {} | {:.3} | {} | {:.2} |",
                f.entries,
                f.csv_bytes,
                row.index_bytes,
                ms(row.build),
                ms(row.first),
                row.later.as_secs_f64() * 1000.0,
                mib(row.peak),
                row.kept as f64 / (1024.0 * 1024.0)
            );
        }
    }
    println!(
        "\n| list | peak heap whole / paged | first screening whole / paged | Lambda path: stream to file + open + screen ms | its peak heap MiB |"
    );
    println!("| --- | ---: | ---: | ---: | ---: |");
    for f in &all {
        println!(
            "| synthetic {} | {:.0}× | {:.1}× | {} | {} |",
            f.entries,
            f.whole.peak as f64 / f.paged.peak.max(1) as f64,
            f.whole.first.as_secs_f64() / f.paged.first.as_secs_f64().max(1e-9),
            ms(f.lambda.0),
            mib(f.lambda.1)
        );
    }
}
