//! Benchmark: document scorer throughput (MB/s of document checked, storage excluded)
//! and the scorer's peak heap for a 10 MiB document (counted exactly by a counting
//! allocator). Prints Markdown for BENCHMARKS.md.

use std::time::Instant;

use peak_alloc::PeakAlloc;
use serde_json::json;
use sha2::{Digest, Sha256};

use kyc_app::scoring::{Scoring, on_object_created};
use kyc_domain::documents::ContentType;
use kyc_domain::documents::{FileLimits, inspect};
use kyc_tests::api::TestApi;
use kyc_tests::fixtures;

/// Counts the peak of live heap bytes exactly.
#[global_allocator]
static ALLOCATOR: PeakAlloc = PeakAlloc;

const MIB: usize = 1024 * 1024;

fn ten_mib_png() -> Vec<u8> {
    let mut png = fixtures::png(4000, 3000, 9);
    png.resize(10 * MIB, 0x5A);
    png
}

fn ten_mib_pdf() -> Vec<u8> {
    let mut pdf = fixtures::pdf();
    pdf.truncate(pdf.len() - 6);
    while pdf.len() < 10 * MIB - 6 {
        pdf.extend_from_slice(b"1 0 obj << /Type /XObject /Length 64 >> stream\nxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\nendstream endobj\n");
    }
    pdf.extend_from_slice(b"%%EOF\n");
    pdf
}

/// MB/s of `inspect` + SHA-256 over `bytes`, best of 5 rounds.
fn throughput(content_type: ContentType, bytes: &[u8]) -> f64 {
    let limits = FileLimits::default();
    let mut best = f64::MAX;
    for _ in 0..5 {
        let started = Instant::now();
        let checks = inspect(content_type, bytes, bytes.len() as u64, &limits);
        let digest = Sha256::digest(bytes);
        std::hint::black_box((checks, digest));
        best = best.min(started.elapsed().as_secs_f64());
    }
    bytes.len() as f64 / MIB as f64 / best
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let png = ten_mib_png();
    let pdf = ten_mib_pdf();
    println!("## Document scorer\n");
    println!("File checks (magic bytes, header-only image decode, metadata, PDF safety) plus SHA-256,");
    println!("storage excluded, best of 5 rounds on one core:\n");
    println!("| document | size | MB/s |");
    println!("| --- | ---: | ---: |");
    println!("| PNG | 10 MiB | {:.0} |", throughput(ContentType::Png, &png));
    println!("| PDF | 10 MiB | {:.0} |", throughput(ContentType::Pdf, &pdf));

    // Peak heap of one whole scoring (read from the store, checks, risk, transaction).
    let api = TestApi::embedded();
    let scoring = Scoring::new(10 * MIB as u64, None).expect("scoring");
    let lead = api
        .create(json!({"level": "enhanced", "email": "ada@example.com",
            "individual": {"first_name": "Ada", "last_name": "Lovelace"},
            "address": {"line1": "1 High St", "city": "York", "country": "GB"}}))
        .await;
    let id = lead["id"].as_str().unwrap_or_default().to_string();
    let reply =
        api.post(&format!("/v1/leads/{id}/documents"), json!({"kind": "passport", "content_type": "image/png"})).await;
    let doc = reply.body["document"]["id"].as_str().unwrap_or_default().to_string();
    let key = format!("documents/acme/{id}/{doc}");
    api.objects.write(&key, &png).await.expect("stored");
    drop(png);
    drop(pdf);
    let baseline = ALLOCATOR.current_usage();
    ALLOCATOR.reset_peak_usage();
    let outcome = on_object_created(&api.deps, &scoring, &key).await.expect("scored");
    let peak = ALLOCATOR.peak_usage().saturating_sub(baseline);
    println!("\nPeak heap while scoring one 10 MiB document end to end (embedded store, outcome");
    println!(
        "`{outcome:?}`): **{:.1} MiB**, {:.2}× the document: the file is read once, capped at the",
        peak as f64 / MIB as f64,
        peak as f64 / (10 * MIB) as f64
    );
    println!("size limit + 1 byte, and never copied whole again.");
}
