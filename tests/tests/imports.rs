//! Bulk imports (CSV and NDJSON) on both backends: the per-row report, duplicates by
//! external id, a re-delivered event, a run stopped mid-file and resumed, and 10,000
//! rows read in chunks.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use serde_json::{Value, json};

use kyc_app::imports::{self, ImportRun, row_lead_id};
use kyc_domain::ids::ImportId;
use kyc_domain::import::ImportStatus;
use kyc_tests::api::TestApi;
use kyc_tests::backends;
use kyc_tests::fixtures::{IMPORT_HEADER, csv_line, import_csv, import_person};

/// Asks for an import; answers its id and object key.
async fn start(api: &TestApi, format: &str) -> (String, String, Value) {
    let reply = api.post("/v1/imports", json!({ "format": format })).await;
    assert_eq!(reply.status, 201, "{}", reply.body);
    let id = reply.body["id"].as_str().expect("import id").to_string();
    assert!(id.starts_with("imp_"), "{id}");
    assert_eq!(reply.body["status"], "pending_upload");
    (id.clone(), format!("imports/acme/{id}"), reply.body["upload"].clone())
}

/// Stores the file as the client would: through the upload URL on S3, straight into
/// the local store otherwise (its URL points nowhere in these tests).
async fn store(api: &TestApi, key: &str, upload: &Value, file: &[u8], over_http: bool) {
    if over_http {
        let mut request = reqwest::Client::new().put(upload["url"].as_str().expect("url")).body(file.to_vec());
        for (name, value) in upload["headers"].as_object().expect("headers") {
            request = request.header(name, value.as_str().expect("header value"));
        }
        let response = request.send().await.expect("storage answers");
        assert!(response.status().is_success(), "{}", response.status());
    } else {
        api.objects.write(key, file).await.expect("stored");
    }
}

async fn run(api: &TestApi, key: &str) -> ImportRun {
    imports::on_object_created(&api.deps, key, &|| false).await.expect("the import runs")
}

async fn report(api: &TestApi, id: &str) -> Value {
    let reply = api.get(&format!("/v1/imports/{id}")).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    reply.body
}

fn counts(report: &Value) -> (u64, u64, u64, u64) {
    let n = |name: &str| report[name].as_u64().unwrap_or(u64::MAX);
    (n("total"), n("created"), n("duplicates"), n("failed"))
}

/// 50 rows: 6 bad ones (7 field errors, one a quoted multi-line address line), one
/// repeating an earlier row's external id, one naming a lead the tenant already has; a
/// BOM, CRLF and quoted fields with commas, quotes and a line break.
fn fifty_rows() -> Vec<u8> {
    let mut lines = vec![IMPORT_HEADER.to_string()];
    for n in 1..=50 {
        let mut row = import_person(n);
        match n {
            // A quoted field with commas and quotes is one cell...
            5 => row[9] = "Flat 2, \"The Old Mill\", Mill Lane".into(),
            // ...and a quoted line break stays inside its row (an address line is one
            // line, as the API has it: the row fails on that column alone).
            4 => row[9] = "Flat 2\nMill Lane".into(),
            7 => row[2] = "not-an-email".into(),
            13 => row[12] = "Germany".into(),
            21 => row[5] = "1990-13-45".into(),
            25 => row[1] = "crm-3".into(),
            40 => {
                row[2] = "nope".into();
                row[12] = "XX".into();
            }
            45 => row[1] = "crm-existing".into(),
            48 => {
                row[0] = "business".into();
                row[3] = String::new();
                row[4] = String::new();
                row[5] = String::new();
                row[6] = String::new();
                row[7] = "Acme Trading Ltd".into();
                row[8] = "HRB 1234".into();
            }
            _ => {}
        }
        let mut line = csv_line(&row);
        if n == 33 {
            line.push_str(",extra");
        }
        lines.push(line);
    }
    let mut file = b"\xEF\xBB\xBF".to_vec();
    file.extend(lines.join("\r\n").into_bytes());
    file.extend(b"\r\n");
    file
}

fn errors_by_row(report: &Value) -> BTreeMap<u64, Vec<String>> {
    let mut by_row: BTreeMap<u64, Vec<String>> = BTreeMap::new();
    for error in report["errors"].as_array().expect("errors") {
        let row = error["row"].as_u64().expect("row");
        by_row.entry(row).or_default().push(error["field"].as_str().expect("field").to_string());
    }
    by_row
}

async fn fifty_rows_report_exact_counts_and_row_errors(api: TestApi, over_http: bool) {
    let existing = api.create(json!({"external_id": "crm-existing", "email": "old@example.com"})).await;
    let (id, key, upload) = start(&api, "csv").await;
    store(&api, &key, &upload, &fifty_rows(), over_http).await;
    assert_eq!(run(&api, &key).await, ImportRun::Finished(ImportStatus::Completed));

    let report = report(&api, &id).await;
    assert_eq!(report["status"], "completed");
    assert_eq!(counts(&report), (50, 42, 2, 6), "{report}");
    let expected: BTreeMap<u64, Vec<String>> = [
        (4, vec!["line1"]),
        (7, vec!["email"]),
        (13, vec!["country"]),
        (21, vec!["date_of_birth"]),
        (33, vec!["row"]),
        (40, vec!["email", "country"]),
    ]
    .into_iter()
    .map(|(row, fields)| (row, fields.into_iter().map(String::from).collect()))
    .collect();
    let mut found = errors_by_row(&report);
    for fields in found.values_mut() {
        fields.sort();
    }
    let mut expected = expected;
    for fields in expected.values_mut() {
        fields.sort();
    }
    assert_eq!(found, expected, "{report}");

    // Imported leads are leads like any other: source `import`, scored at creation,
    // their trail written by the import.
    let import = ImportId::parse(&id).expect("an import id");
    let lead = api.get(&format!("/v1/leads/{}", row_lead_id(&import, 5))).await;
    assert_eq!(lead.status, 200, "{}", lead.body);
    assert_eq!(lead.body["source"], "import");
    assert_eq!(lead.body["address"]["line1"], "Flat 2, \"The Old Mill\", Mill Lane");
    assert!(lead.body["risk"]["score"].is_number(), "{}", lead.body);
    let business = api.get(&format!("/v1/leads/{}", row_lead_id(&import, 48))).await;
    assert_eq!(business.body["type"], "business");
    assert_eq!(business.body["business"]["legal_name"], "Acme Trading Ltd");
    let trail = api.audit(lead.body["id"].as_str().expect("id")).await;
    assert_eq!(trail[0]["action"], "lead.created");
    assert_eq!(trail[0]["actor"], format!("import:{id}"));
    // Failed and duplicate rows made no lead; the existing lead is untouched.
    for row in [4, 7, 13, 25, 45] {
        let missing = api.get(&format!("/v1/leads/{}", row_lead_id(&import, row))).await;
        assert_eq!(missing.status, 404, "row {row}");
    }
    let kept = api.get(&format!("/v1/leads/{}", existing["id"].as_str().expect("id"))).await;
    assert_eq!(kept.body["version"], existing["version"]);

    // The metrics count them by source.
    let today = chrono::Utc::now().date_naive();
    let metrics = api.get(&format!("/v1/metrics?from={today}&to={today}")).await;
    assert_eq!(metrics.body["by_source"], json!({"api": 1, "import": 42}), "{}", metrics.body);
}

#[tokio::test]
async fn fifty_csv_rows_report_exact_counts_and_row_errors_on_the_embedded_store() {
    fifty_rows_report_exact_counts_and_row_errors(TestApi::embedded(), false).await;
}

#[tokio::test]
async fn fifty_csv_rows_report_exact_counts_and_row_errors_on_dynamodb_and_s3() {
    let api = TestApi::with_objects(backends::dynamo().await, Arc::new(backends::s3_objects().await));
    fifty_rows_report_exact_counts_and_row_errors(api, true).await;
}

#[tokio::test]
async fn ndjson_rows_are_validated_as_the_api_validates_with_dotted_fields() {
    let api = TestApi::embedded();
    let (id, key, upload) = start(&api, "ndjson").await;
    let file = [
        r#"{"external_id":"n-1","email":"a@example.com","individual":{"first_name":"Ada","last_name":"Lovelace"},"address":{"line1":"1 Main St","city":"London","country":"GB"}}"#,
        "",
        r#"{"email":"b@example.com","address":{"line1":"x","city":"y","country":"Germany"}}"#,
        r#"{"email": "c@example.com", "shoe_size": 44}"#,
        r#"{"email": "#,
        r#"[1, 2]"#,
        r#"{"external_id":"n-1"}"#,
        "{}",
    ]
    .join("\r\n");
    store(&api, &key, &upload, file.as_bytes(), false).await;
    assert_eq!(run(&api, &key).await, ImportRun::Finished(ImportStatus::Completed));
    let report = report(&api, &id).await;
    assert_eq!(counts(&report), (7, 2, 1, 4), "{report}");
    let fields: Vec<(u64, String)> = report["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .map(|e| (e["row"].as_u64().unwrap_or(0), e["field"].as_str().unwrap_or("").to_string()))
        .collect();
    assert_eq!(
        fields,
        vec![(2, "address.country".into()), (3, "shoe_size".into()), (4, "row".into()), (5, "row".into())]
    );
}

#[tokio::test]
async fn a_csv_header_with_an_unknown_column_fails_the_import_and_names_it() {
    let api = TestApi::embedded();
    let (id, key, upload) = start(&api, "csv").await;
    store(&api, &key, &upload, b"email,shoe_size\r\na@example.com,44\r\n", false).await;
    assert_eq!(run(&api, &key).await, ImportRun::Finished(ImportStatus::Failed));
    let report = report(&api, &id).await;
    assert_eq!(report["status"], "failed");
    assert_eq!(report["errors"], json!([{"row": 0, "field": "shoe_size", "message": "is not a known column"}]));
    assert_eq!(counts(&report), (0, 0, 0, 0));
}

/// Every lead of the tenant, by id.
async fn all_leads(api: &TestApi) -> BTreeMap<String, Value> {
    let mut leads = BTreeMap::new();
    let mut cursor: Option<String> = None;
    loop {
        let path = match &cursor {
            Some(c) => format!("/v1/leads?limit=100&cursor={c}"),
            None => "/v1/leads?limit=100".to_string(),
        };
        let page = api.get(&path).await;
        assert_eq!(page.status, 200, "{}", page.body);
        for lead in page.body["data"].as_array().expect("data") {
            let id = lead["id"].as_str().expect("id").to_string();
            assert!(leads.insert(id, lead.clone()).is_none(), "a lead listed twice");
        }
        match page.body["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_string()),
            None => return leads,
        }
    }
}

#[tokio::test]
async fn when_the_same_event_is_delivered_again_should_import_nothing_twice() {
    let api = TestApi::embedded();
    let (id, key, upload) = start(&api, "csv").await;
    store(&api, &key, &upload, &import_csv(60), false).await;
    // Two deliveries at once, then a late third one.
    let (first, second) = tokio::join!(run(&api, &key), run(&api, &key));
    let finished = [first, second].iter().filter(|r| **r == ImportRun::Finished(ImportStatus::Completed)).count();
    assert!(finished >= 1);
    assert_eq!(run(&api, &key).await, ImportRun::AlreadyFinished(ImportStatus::Completed));
    assert_eq!(counts(&report(&api, &id).await), (60, 60, 0, 0));
    assert_eq!(all_leads(&api).await.len(), 60);
}

#[tokio::test]
async fn when_a_run_stops_mid_file_should_resume_without_duplicates_or_gaps() {
    let api = TestApi::embedded();
    let (id, key, upload) = start(&api, "csv").await;
    store(&api, &key, &upload, &import_csv(120), false).await;
    // Stop after two batches, as a Lambda near its deadline does.
    let checks = AtomicUsize::new(0);
    let stop = || checks.fetch_add(1, Ordering::SeqCst) >= 2;
    let paused = imports::on_object_created(&api.deps, &key, &stop).await.expect("runs");
    let ImportRun::Paused { rows: done } = paused else { panic!("not paused: {paused:?}") };
    assert!(done > 0 && done < 120, "{done}");
    let midway = report(&api, &id).await;
    assert_eq!(midway["status"], "processing");
    assert_eq!(midway["created"].as_u64(), Some(done));
    assert_eq!(all_leads(&api).await.len() as u64, done);

    assert_eq!(run(&api, &key).await, ImportRun::Finished(ImportStatus::Completed));
    assert_eq!(counts(&report(&api, &id).await), (120, 120, 0, 0));
    let leads = all_leads(&api).await;
    assert_eq!(leads.len(), 120);
    let import = ImportId::parse(&id).expect("an import id");
    for row in 1..=120u64 {
        let lead = &leads[row_lead_id(&import, row).as_str()];
        assert_eq!(lead["email"], format!("person{row}@example.com"), "row {row}");
    }
}

/// 10,000 rows through S3 (upload URL, ranged reads) and DynamoDB transactions.
async fn ten_thousand_rows_on_dynamodb_and_s3(api: TestApi) {
    let (id, key, upload) = start(&api, "csv").await;
    let file = import_csv(10_000);
    assert!(file.len() as u64 > 2 * imports::CHUNK_BYTES, "the file spans several chunks");
    store(&api, &key, &upload, &file, true).await;
    assert_eq!(run(&api, &key).await, ImportRun::Finished(ImportStatus::Completed));
    let report = report(&api, &id).await;
    assert_eq!(counts(&report), (10_000, 10_000, 0, 0), "{}", report["errors"]);
    let import = ImportId::parse(&id).expect("an import id");
    for row in [1u64, 4_999, 7_000, 10_000] {
        let lead = api.get(&format!("/v1/leads/{}", row_lead_id(&import, row))).await;
        assert_eq!(lead.body["email"], format!("person{row}@example.com"), "row {row}");
    }
}

/// `kyc-local` as an operations team uses it: ask for an import, upload the file to its
/// URL, and read the report once the local importer (run on the upload, as S3's event
/// runs the Lambda) has finished.
#[tokio::test]
async fn ten_thousand_rows_import_on_kyc_local() {
    const KEY: &str = "import-secret-key-1";
    let data = tempfile::tempdir().expect("temp dir");
    let stack = kyc_tests::local::LocalStack::start(data.path(), &format!("acme:{KEY}"));
    let client = reqwest::Client::new();
    let base = &stack.base_url;
    let created = client
        .post(format!("{base}/v1/imports"))
        .bearer_auth(KEY)
        .json(&json!({"format": "csv"}))
        .send()
        .await
        .expect("kyc-local answers");
    assert_eq!(created.status().as_u16(), 201);
    let created: Value = created.json().await.expect("json");
    let id = created["id"].as_str().expect("import id").to_string();
    let upload = &created["upload"];
    let mut put = client.put(upload["url"].as_str().expect("url")).body(import_csv(10_000));
    for (name, value) in upload["headers"].as_object().expect("headers") {
        put = put.header(name, value.as_str().expect("header value"));
    }
    let stored = put.send().await.expect("the upload is taken");
    assert!(stored.status().is_success(), "{}", stored.status());
    let get = |path: &str| {
        let request = client.get(format!("{base}{path}")).bearer_auth(KEY);
        async move { request.send().await.expect("kyc-local answers").json::<Value>().await.expect("json") }
    };

    let report = loop {
        let report = get(&format!("/v1/imports/{id}")).await;
        if report["status"] != "pending_upload" && report["status"] != "processing" {
            break report;
        }
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    };
    assert_eq!(report["status"], "completed", "{report}");
    assert_eq!(counts(&report), (10_000, 10_000, 0, 0), "{}", report["errors"]);
    let import = ImportId::parse(&id).expect("an import id");
    for row in [1u64, 4_999, 10_000] {
        let lead = get(&format!("/v1/leads/{}", row_lead_id(&import, row))).await;
        assert_eq!(lead["email"], format!("person{row}@example.com"), "row {row}");
        assert_eq!(lead["source"], "import");
    }
}

#[tokio::test]
async fn ten_thousand_rows_import_on_dynamodb_and_s3() {
    let api = TestApi::with_objects(backends::dynamo().await, Arc::new(backends::s3_objects().await));
    ten_thousand_rows_on_dynamodb_and_s3(api).await;
}

#[tokio::test]
async fn imports_are_for_integrations_and_stay_in_their_tenant() {
    let api = TestApi::embedded();
    let (id, _, _) = start(&api, "csv").await;
    let reviewer = api
        .send(
            "POST",
            "/v1/imports",
            Some(kyc_tests::api::ACME_ANA_KEY),
            Some(br#"{"format": "csv"}"#.to_vec()),
            &[("content-type", "application/json")],
        )
        .await;
    reviewer.assert_problem(403, "forbidden");
    let shop = api
        .send(
            "POST",
            "/v1/imports",
            Some(kyc_tests::api::ACME_SHOP_KEY),
            Some(br#"{"format": "csv"}"#.to_vec()),
            &[("content-type", "application/json")],
        )
        .await;
    assert_eq!(shop.status, 201, "{}", shop.body);
    let foreign = api.send("GET", &format!("/v1/imports/{id}"), Some(kyc_tests::api::GLOBEX_KEY), None, &[]).await;
    foreign.assert_problem(404, "not_found");
    api.post("/v1/imports", json!({"format": "xlsx"})).await.assert_problem(422, "validation_failed");
    api.post("/v1/imports", json!({})).await.assert_problem(422, "validation_failed");
}
