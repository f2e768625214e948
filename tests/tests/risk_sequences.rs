//! Sequences of creates, patches, uploads and status changes, generated: whatever the
//! order, every lead's trail verifies, every API write and every scoring commits at
//! most one transaction (exactly one when it changed something), and no lead is ever
//! approved whose current identity was not screened.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use proptest::prelude::*;
use serde_json::{Value, json};

use kyc_app::ports::table::{Item, Key, Page, Query, Table, TableError, Write};
use kyc_domain::audit::{AuditEvent, verify_chain};
use kyc_domain::lead::Lead;
use kyc_domain::risk::screening::{SYNTHETIC_SAMPLE_CSV, parse_targets_simple};
use kyc_tests::api::TestApi;
use kyc_tests::{backends, fixtures};

/// A table that counts the transactions it committed.
struct Counting {
    inner: Arc<dyn Table>,
    committed: AtomicUsize,
}

#[async_trait::async_trait]
impl Table for Counting {
    async fn get(&self, key: &Key) -> Result<Option<Item>, TableError> {
        self.inner.get(key).await
    }
    async fn query(&self, query: &Query) -> Result<Page, TableError> {
        self.inner.query(query).await
    }
    async fn transact(&self, writes: Vec<Write>) -> Result<(), TableError> {
        let result = self.inner.transact(writes).await;
        if result.is_ok() {
            self.committed.fetch_add(1, Ordering::SeqCst);
        }
        result
    }
}

const NAMES: [(&str, &str); 4] =
    [("Ada", "Lovelace"), ("Ivor", "Examplov"), ("Grace", "Hopper"), ("Annika", "Fictander")];
const COUNTRIES: [&str; 4] = ["GB", "DE", "KP", "MM"];
const LEVELS: [&str; 3] = ["basic", "enhanced", "premium"];
const STATUSES: [&str; 4] = ["in_progress", "under_review", "approved", "rejected"];

#[derive(Debug, Clone)]
enum Op {
    Create { name: usize, country: usize, level: usize },
    Rename { lead: usize, name: usize },
    Move { lead: usize, country: usize },
    SetLevel { lead: usize, level: usize },
    Upload { lead: usize, kind: usize, seed: u8 },
    Status { lead: usize, status: usize },
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        (0..NAMES.len(), 0..COUNTRIES.len(), 0..LEVELS.len()).prop_map(|(name, country, level)| Op::Create {
            name,
            country,
            level
        }),
        (0..4usize, 0..NAMES.len()).prop_map(|(lead, name)| Op::Rename { lead, name }),
        (0..4usize, 0..COUNTRIES.len()).prop_map(|(lead, country)| Op::Move { lead, country }),
        (0..4usize, 0..LEVELS.len()).prop_map(|(lead, level)| Op::SetLevel { lead, level }),
        (0..4usize, 0..3usize, any::<u8>()).prop_map(|(lead, kind, seed)| Op::Upload { lead, kind, seed }),
        (0..4usize, 0..STATUSES.len()).prop_map(|(lead, status)| Op::Status { lead, status }),
    ]
}

fn individual(name: usize) -> Value {
    let (first, last) = NAMES[name];
    json!({"first_name": first, "last_name": last})
}

/// Runs one operation; the transactions it committed and whether it answered success.
async fn run(api: &TestApi, table: &Counting, leads: &mut Vec<String>, op: &Op) -> (usize, bool) {
    let before = table.committed.load(Ordering::SeqCst);
    let pick = |i: usize, leads: &Vec<String>| leads.get(i % leads.len().max(1)).cloned();
    let ok = match op {
        Op::Create { name, country, level } => {
            let body = json!({"email": "p@example.com", "level": LEVELS[*level], "individual": individual(*name),
                              "address": {"line1": "1 Road", "city": "Town", "country": COUNTRIES[*country]}});
            let reply = api.post("/v1/leads", body).await;
            if reply.status == 201 {
                leads.push(reply.body["id"].as_str().unwrap_or_default().to_string());
            }
            reply.status == 201
        }
        Op::Rename { lead, name } => match pick(*lead, leads) {
            Some(id) => {
                api.patch(&format!("/v1/leads/{id}"), json!({"individual": individual(*name)}), &[]).await.status == 200
            }
            None => false,
        },
        Op::Move { lead, country } => match pick(*lead, leads) {
            Some(id) => {
                let body = json!({"address": {"country": COUNTRIES[*country]}});
                api.patch(&format!("/v1/leads/{id}"), body, &[]).await.status == 200
            }
            None => false,
        },
        Op::SetLevel { lead, level } => match pick(*lead, leads) {
            Some(id) => {
                api.patch(&format!("/v1/leads/{id}"), json!({"level": LEVELS[*level]}), &[]).await.status == 200
            }
            None => false,
        },
        Op::Upload { lead, kind, seed } => match pick(*lead, leads) {
            Some(id) => {
                let (kind, content_type, file) = match kind {
                    0 => ("passport", "image/png", fixtures::png(1200, 800, *seed)),
                    1 => ("selfie", "image/png", fixtures::png(800, 800, seed.wrapping_add(100))),
                    _ => ("proof_of_address", "application/pdf", fixtures::pdf()),
                };
                let request = json!({"kind": kind, "content_type": content_type});
                let reply = api.post(&format!("/v1/leads/{id}/documents"), request).await;
                if reply.status != 201 {
                    false
                } else {
                    assert_eq!(table.committed.load(Ordering::SeqCst) - before, 1, "a document request is one commit");
                    let doc = reply.body["document"]["id"].as_str().unwrap_or_default().to_string();
                    let key = format!("documents/acme/{id}/{doc}");
                    api.objects.write(&key, &file).await.expect("stored");
                    let scored_from = table.committed.load(Ordering::SeqCst);
                    api.storage_event(&key).await.expect("scored");
                    assert_eq!(table.committed.load(Ordering::SeqCst) - scored_from, 1, "a scoring is one commit");
                    return (0, true);
                }
            }
            None => false,
        },
        Op::Status { lead, status } => match pick(*lead, leads) {
            Some(id) => {
                let mut body = json!({"status": STATUSES[*status]});
                if STATUSES[*status] == "rejected" {
                    body["reasons"] = json!(["other"]);
                }
                [200, 202].contains(&api.post(&format!("/v1/leads/{id}/status"), body).await.status)
            }
            None => false,
        },
    };
    (table.committed.load(Ordering::SeqCst) - before, ok)
}

async fn check_sequence(ops: Vec<Op>) {
    let table = Arc::new(Counting { inner: backends::embedded(), committed: AtomicUsize::new(0) });
    let api = TestApi::new(table.clone());
    let list = parse_targets_simple(SYNTHETIC_SAMPLE_CSV.as_bytes()).expect("the sample list");
    let mut leads = Vec::new();
    for op in &ops {
        let (commits, ok) = run(&api, &table, &mut leads, op).await;
        assert!(commits <= 1, "{op:?} committed {commits} transactions");
        if !ok {
            assert_eq!(commits, 0, "a refused request writes nothing: {op:?}");
        }
    }
    for id in &leads {
        let reply = api.get(&format!("/v1/leads/{id}/audit?limit=100")).await;
        let trail: Vec<AuditEvent> = reply.body["data"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|e| serde_json::from_value(e.clone()).expect("an audit event"))
            .collect();
        assert_eq!(verify_chain(&trail), Ok(()), "{id}");
        let lead: Lead = serde_json::from_value(api.get(&format!("/v1/leads/{id}")).await.body).expect("a lead");
        // Whatever the list says of the lead's current names, the lead shows it.
        for hit in list.screen_lead(&lead, kyc_app::scoring::SCREENING_THRESHOLD_PERCENT) {
            let flag = format!("{}_match", serde_json::to_value(hit.kind).expect("kind").as_str().unwrap_or_default());
            assert!(lead.compliance_flags.contains(&flag), "{id}: current names unscreened");
        }
        if lead.status == kyc_domain::Status::Approved {
            // The last change of who the lead names was scored (screened) before the approval.
            let named = trail.iter().rposition(|e| {
                e.action.as_str() == "lead.created"
                    || (e.action.as_str() == "lead.updated"
                        && e.data["changed"].as_array().is_some_and(|c| c.contains(&json!("individual"))))
            });
            let screened = trail.iter().rposition(|e| e.action.as_str() == "risk.scored");
            let approved = trail.iter().rposition(|e| e.to_status == Some(kyc_domain::Status::Approved));
            assert!(named < screened && screened < approved, "{id}: approved without screening its names");
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn no_sequence_breaks_the_chain_splits_a_write_or_approves_an_unscreened_identity(
        ops in proptest::collection::vec(op(), 1..14)
    ) {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("a runtime");
        runtime.block_on(check_sequence(ops));
    }
}
