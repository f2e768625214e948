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

/// About `size` bytes of small stream objects, the worst case for the stream tokenizer.
fn pdf_of_small_streams(size: usize) -> Vec<u8> {
    let mut pdf = fixtures::pdf();
    pdf.truncate(pdf.len() - 6);
    while pdf.len() < size - 6 {
        pdf.extend_from_slice(b"1 0 obj << /Type /XObject /Length 64 >> stream\nxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\nendstream endobj\n");
    }
    pdf.extend_from_slice(b"%%EOF\n");
    pdf
}

/// 10 MiB of content streams each encoded as ASCIIHex: every byte of it is decoded
/// and scanned.
fn ten_mib_encoded_pdf() -> Vec<u8> {
    let text = b"BT /F1 12 Tf 72 720 Td (Statement of account, page 1) Tj ET q 1 0 0 1 0 0 cm Q\n".repeat(40);
    let hex: String = text.iter().map(|b| format!("{b:02x}")).collect();
    let mut pdf = fixtures::pdf();
    pdf.truncate(pdf.len() - 6);
    let mut n = 10;
    while pdf.len() < 10 * MIB - hex.len() - 128 {
        pdf.extend_from_slice(
            format!(
                "{n} 0 obj << /Length {} /Filter /ASCIIHexDecode >> stream\n{hex}>\nendstream endobj\n",
                hex.len() + 1
            )
            .as_bytes(),
        );
        n += 1;
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
    let pdf = pdf_of_small_streams(10 * MIB);
    let encoded = ten_mib_encoded_pdf();
    println!("## Document scorer\n");
    println!("File checks (magic bytes, header-only image decode, metadata, PDF safety) plus SHA-256,");
    println!("storage excluded, best of 5 rounds on one core:\n");
    println!("| document | size | MB/s |");
    println!("| --- | ---: | ---: |");
    println!("| PNG | 10 MiB | {:.0} |", throughput(ContentType::Png, &png));
    println!("| PDF, small unencoded streams | 10 MiB | {:.0} |", throughput(ContentType::Pdf, &pdf));
    println!("| PDF, ASCIIHex-encoded streams | 10 MiB | {:.0} |", throughput(ContentType::Pdf, &encoded));
    drop(encoded);

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
    let reply = api
        .post(
            &format!("/v1/leads/{id}/documents"),
            json!({"kind": "proof_of_address", "content_type": "application/pdf"}),
        )
        .await;
    let pdf_doc = reply.body["document"]["id"].as_str().unwrap_or_default().to_string();
    let pdf_key = format!("documents/acme/{id}/{pdf_doc}");
    // Under the size limit, so the whole file is checked as an upload would be.
    api.objects.write(&pdf_key, &pdf_of_small_streams(10 * MIB - 4096)).await.expect("stored");
    drop(png);
    drop(pdf);

    println!("\nPeak heap while scoring one 10 MiB document end to end (embedded store):\n");
    println!("| document | outcome | peak heap | × the document |");
    println!("| --- | --- | ---: | ---: |");
    for (what, key) in [("PNG", &key), ("PDF, small unencoded streams", &pdf_key)] {
        let baseline = ALLOCATOR.current_usage();
        ALLOCATOR.reset_peak_usage();
        let outcome = on_object_created(&api.deps, &scoring, key).await.expect("scored");
        let peak = ALLOCATOR.peak_usage().saturating_sub(baseline);
        println!(
            "| {what} | `{outcome:?}` | {:.1} MiB | {:.2} |",
            peak as f64 / MIB as f64,
            peak as f64 / (10 * MIB) as f64
        );
    }
    println!("\nThe file is read once, capped at the size limit + 1 byte, and never copied whole again.");
}
