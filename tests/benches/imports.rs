//! Benchmark: bulk import. Rows per second and the importer's peak heap (counted
//! exactly by a counting allocator, above what was live before the run) for 10,000 and
//! 100,000 rows on the embedded store (SQLite in a file, as `kyc-local` runs it), so
//! that a peak growing with the file would show; and DynamoDB calls per row (counted
//! at the SDK adapter, against moto). Prints Markdown for BENCHMARKS.md.
//!
//! The moto part needs `KYC_TEST_AWS_ENDPOINT`; without it, it is left out.

use std::sync::Arc;
use std::time::Instant;

use peak_alloc::PeakAlloc;
use serde_json::json;

use kyc_app::imports::{ImportRun, on_object_created};
use kyc_domain::import::ImportStatus;
use kyc_tests::api::TestApi;
use kyc_tests::backends;
use kyc_tests::fixtures::import_csv;

/// Counts the peak of live heap bytes exactly.
#[global_allocator]
static ALLOCATOR: PeakAlloc = PeakAlloc;

/// Stores an import file of `rows` rows for `api` (through its upload URL on S3, else
/// straight into the local store); answers its object key and size.
async fn upload(api: &TestApi, rows: usize, over_http: bool) -> (String, usize) {
    let reply = api.post("/v1/imports", json!({"format": "csv"})).await;
    assert_eq!(reply.status, 201, "{}", reply.body);
    let key = format!("imports/acme/{}", reply.body["id"].as_str().expect("id"));
    let file = import_csv(rows);
    let size = file.len();
    if over_http {
        let upload = &reply.body["upload"];
        let mut put = reqwest::Client::new().put(upload["url"].as_str().expect("url")).body(file);
        for (name, value) in upload["headers"].as_object().expect("headers") {
            put = put.header(name, value.as_str().expect("header value"));
        }
        assert!(put.send().await.expect("storage answers").status().is_success());
    } else {
        api.objects.write(&key, &file).await.expect("stored");
    }
    (key, size)
}

async fn run_to_the_end(api: &TestApi, key: &str) {
    let run = on_object_created(&api.deps, key, &|| false).await.expect("the import runs");
    assert_eq!(run, ImportRun::Finished(ImportStatus::Completed));
}

/// One row of the embedded-store table: rows, file size, rows/s, peak heap.
async fn embedded(rows: usize) -> String {
    let dir = tempfile::tempdir().expect("temp dir");
    let table = kyc_embedded::SqliteTable::open(&dir.path().join("kyc.db")).expect("the store opens");
    let api = TestApi::new(Arc::new(table));
    let (key, bytes) = upload(&api, rows, false).await;
    let baseline = ALLOCATOR.current_usage();
    ALLOCATOR.reset_peak_usage();
    let started = Instant::now();
    run_to_the_end(&api, &key).await;
    let seconds = started.elapsed().as_secs_f64();
    let peak = ALLOCATOR.peak_usage().saturating_sub(baseline);
    format!(
        "| {rows} | {:.1} MB | {:.0} | {:.1} s | {:.1} MiB |",
        bytes as f64 / 1e6,
        rows as f64 / seconds,
        seconds,
        peak as f64 / (1024.0 * 1024.0)
    )
}

/// DynamoDB calls per row for a file of `rows` rows, against moto.
async fn dynamodb(rows: usize) -> Option<String> {
    std::env::var(backends::ENDPOINT_VAR).ok()?;
    let table = Arc::new(backends::dynamo_table().await);
    let api = TestApi::with_objects(table.clone(), Arc::new(backends::s3_objects().await));
    let (key, _) = upload(&api, rows, true).await;
    let before = table.calls();
    run_to_the_end(&api, &key).await;
    let after = table.calls();
    let per_row = |n: u64| n as f64 / rows as f64;
    Some(format!(
        "| {rows} | {} | {:.3} | {} | {:.3} | {} |",
        after.transact_write_items - before.transact_write_items,
        per_row(after.transact_write_items - before.transact_write_items),
        after.get_item - before.get_item,
        per_row(after.get_item - before.get_item),
        after.query - before.query,
    ))
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    println!("## Bulk import");
    println!();
    println!(
        "`cargo bench -p kyc-tests --bench imports`: a CSV of valid individuals (half with an `external_id`, \
         every seventh with a quoted address) imported to the end in one run, release build, one thread. \
         Peak heap is the importer's, above what was live before the run: the file is read in 256 KiB \
         ranges and committed in batches (at most 25 rows / 95 writes each, the checkpoint in the same \
         transaction), so it should not grow with the file."
    );
    println!();
    println!("| rows | file | rows/s | time | peak heap |");
    println!("| ---: | ---: | ---: | ---: | ---: |");
    for rows in [10_000, 100_000] {
        println!("{}", embedded(rows).await);
    }
    println!();
    match dynamodb(1_000).await {
        Some(line) => {
            println!("DynamoDB calls of an import (SDK adapter's counters, against moto):");
            println!();
            println!("| rows | TransactWriteItems | per row | GetItem | per row | Query |");
            println!("| ---: | ---: | ---: | ---: | ---: | ---: |");
            println!("{line}");
        }
        None => println!("(DynamoDB calls per row: set {} to a moto endpoint.)", backends::ENDPOINT_VAR),
    }
}
