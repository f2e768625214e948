//! What happens when a document's file lands in storage (S3 `ObjectCreated`, or the
//! local store's equivalent): read and check the file, read what else the decision
//! needs, let the pure decision (`verdict`) judge it, and commit the verdict — the
//! document, the lead, its events and the hash index — in ONE transaction, once.
//!
//! Storage events arrive at least once and in any order: a document that is no longer
//! waiting for its file is skipped, and the document's write is conditioned on it still
//! waiting, so a second event for the same object changes nothing.

use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;
use sha2::{Digest, Sha256};

use kyc_domain::audit::EventDraft;
use kyc_domain::documents::FileLimits;
use kyc_domain::documents::{Document, DocumentStatus};
use kyc_domain::events::{self, EventPayload};
use kyc_domain::ids::{DocumentId, LeadId};
use kyc_domain::lead::{Lead, RiskLevel};
use kyc_domain::risk::{CountryLists, FileFacts, RiskPolicy, UploadFacts, UploadVerdict, judge_upload};
use kyc_domain::status::Status;

use crate::Deps;
use crate::documents::record::{document_item, documents_of, parse_document, still_pending};
use crate::error::AppError;
use crate::ports::screening::{ListScreening, Screening};
use crate::ports::table::{Condition, Index, Item, SortKey, Write};
use crate::store::counters::{VELOCITY_COUNTER, velocity_signals};
use crate::store::idempotency::Replayable;
use crate::store::page::{self, ListQuery};
use crate::store::unit_of_work::{actor, event};
use crate::store::{AsyncChange, Change, LeadRecord, Outcome, layout, mutate};
use crate::tenant::TenantId;

/// The scorer's configuration, built once per process.
#[derive(Clone)]
pub struct Scoring {
    pub limits: FileLimits,
    pub policy: RiskPolicy,
    pub lists: &'static CountryLists,
    pub screening: Arc<dyn Screening>,
}

pub const DEFAULT_MAX_DOCUMENT_BYTES: u64 = 10 * 1024 * 1024;
/// Screening hits below this name similarity are not reported.
pub const SCREENING_THRESHOLD_PERCENT: u32 = 90;

impl Scoring {
    /// Default policy and shipped country lists; `list_csv` is a list in
    /// `targets.simple.csv` shape (the shipped synthetic sample when `None`).
    pub fn new(max_document_bytes: u64, list_csv: Option<&[u8]>) -> Result<Scoring, String> {
        let csv = list_csv.unwrap_or(kyc_domain::risk::screening::SYNTHETIC_SAMPLE_CSV.as_bytes());
        let list = kyc_domain::risk::screening::parse_targets_simple(csv)?;
        Ok(Scoring {
            limits: FileLimits { max_bytes: max_document_bytes, ..FileLimits::default() },
            policy: RiskPolicy::default(),
            lists: CountryLists::shipped(),
            screening: Arc::new(ListScreening { list, threshold_percent: SCREENING_THRESHOLD_PERCENT }),
        })
    }
}

/// What one storage event led to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "outcome")]
pub enum ScoreOutcome {
    Scored {
        document: DocumentStatus,
        lead: Status,
    },
    /// The document was scored before (a repeated event).
    AlreadyScored,
    /// No such document, or the key is not a document key: logged and ignored.
    Ignored,
    /// The event named an object that is not (or no longer) in storage.
    NoObject,
}

impl Replayable for ScoreOutcome {}

/// Handles one "object created" event for `key`.
pub async fn on_object_created(deps: &Deps, scoring: &Scoring, key: &str) -> Result<ScoreOutcome, AppError> {
    let Some((tenant, lead, doc)) = layout::parse_document_object_key(key) else {
        tracing::warn!("object key is not a document key; ignored");
        return Ok(ScoreOutcome::Ignored);
    };
    let change = ScoreDocument { deps, scoring, tenant: tenant.clone(), doc: doc.clone(), file: Default::default() };
    match mutate(deps, &tenant, lead.as_str(), None, None, change).await {
        Err(AppError::NotFound(_)) => {
            tracing::warn!(document = %doc, "object matches no pending document; ignored");
            Ok(ScoreOutcome::Ignored)
        }
        other => {
            if let Ok(outcome) = &other {
                tracing::info!(document = %doc, ?outcome, "document event handled");
            }
            other
        }
    }
}

struct ScoreDocument<'a> {
    deps: &'a Deps,
    scoring: &'a Scoring,
    tenant: TenantId,
    doc: DocumentId,
    /// The file is read and checked once per event, not again on each retry of the
    /// transaction when another writer touched the lead meanwhile.
    file: tokio::sync::OnceCell<Option<FileFacts>>,
}

impl ScoreDocument<'_> {
    /// Reads the stored file (at most the size limit + 1 byte, which tells "too large"
    /// without reading a huge object) and checks it, once; `None` when there is no file.
    async fn file_facts(&self, lead: &LeadId, doc: &Document) -> Result<Option<FileFacts>, AppError> {
        let facts = self
            .file
            .get_or_try_init(|| async {
                let limits = &self.scoring.limits;
                let key = layout::document_object_key(&self.tenant, lead, &doc.id);
                let Some(prefix) = self.deps.objects.read_prefix(&key, limits.max_bytes + 1).await? else {
                    return Ok::<_, AppError>(None);
                };
                let complete = prefix.bytes.len() as u64 == prefix.size;
                Ok(Some(FileFacts {
                    checks: kyc_domain::documents::inspect(doc.content_type, &prefix.bytes, prefix.size, limits),
                    size: prefix.size,
                    sha256: complete.then(|| hex::encode(Sha256::digest(&prefix.bytes))),
                }))
            })
            .await?;
        Ok(facts.clone())
    }

    /// Other leads created from the same signal in this hour and the one before.
    async fn velocity(&self, signal: &str, value: Option<&str>, now: DateTime<Utc>) -> Result<u32, AppError> {
        let Some(value) = value else { return Ok(0) };
        let mut total = 0i64;
        for at in [now, now - Duration::hours(1)] {
            let item = self.deps.table.get(&layout::velocity_key(&self.tenant, signal, value, at)).await?;
            total += item.and_then(|i| i.n(VELOCITY_COUNTER)).unwrap_or(0);
        }
        Ok(u32::try_from((total - 1).max(0)).unwrap_or(u32::MAX))
    }

    /// Whether another lead of the tenant holds a file with this hash.
    async fn is_duplicate(&self, sha256: &str, lead: &Lead) -> Result<bool, AppError> {
        let query = ListQuery {
            index: Index::Primary,
            partition: layout::file_hash_pk(&self.tenant, sha256),
            sort: SortKey::Any,
            forward: true,
            limit: 10,
            cursor: None,
            cursor_param: "cursor",
            resume_at_end: false,
        };
        let others = page::list(self.deps.table.as_ref(), query, |item| {
            Ok(if layout::file_hash_entry_is_of(&item.key, &lead.id) { vec![] } else { vec![()] })
        })
        .await?;
        Ok(!others.data.is_empty())
    }
}

#[async_trait::async_trait]
impl AsyncChange<ScoreOutcome> for ScoreDocument<'_> {
    async fn apply(&self, record: &LeadRecord, now: DateTime<Utc>) -> Result<Outcome<ScoreOutcome>, AppError> {
        let lead = &record.lead;
        let item = self
            .deps
            .table
            .get(&layout::document_key(&self.tenant, &lead.id, &self.doc))
            .await?
            .ok_or(AppError::NotFound("document"))?;
        let doc = parse_document(&item)?;
        if doc.status != DocumentStatus::PendingUpload {
            return Ok(Outcome::Unchanged(ScoreOutcome::AlreadyScored));
        }
        let Some(file) = self.file_facts(&lead.id, &doc).await? else {
            return Ok(Outcome::Unchanged(ScoreOutcome::NoObject));
        };
        let duplicate = match &file.sha256 {
            Some(sha) => self.is_duplicate(sha, lead).await?,
            None => false,
        };
        let mut others = documents_of(self.deps, &self.tenant, &lead.id).await?;
        others.retain(|d| d.id != doc.id);
        let [(ip, ip_value), (device, device_value)] = velocity_signals(lead);
        let facts = UploadFacts {
            lead,
            evidence: &record.evidence,
            document: doc,
            file,
            duplicate,
            others,
            leads_same_ip_last_hour: self.velocity(ip, ip_value, now).await?,
            leads_same_device_last_hour: self.velocity(device, device_value, now).await?,
            screening: &self.scoring.screening.screen(lead),
        };
        let verdict = judge_upload(facts, &self.scoring.policy, self.scoring.lists, now)?;
        let events = self.events_of(&verdict, lead, now);

        let doc = &verdict.document;
        let mut extra = vec![Write::Put { item: document_item(&self.tenant, doc)?, condition: still_pending() }];
        if let Some(sha) = doc.file.as_ref().map(|f| &f.sha256).filter(|s| !s.is_empty()) {
            let index = Item::new(layout::file_hash_key(&self.tenant, sha, &lead.id, &doc.id), "{}".into());
            extra.push(Write::Put { item: index, condition: Condition::None });
        }
        let outcome = ScoreOutcome::Scored { document: doc.status, lead: verdict.lead.status };
        Ok(Outcome::Changed(Change {
            lead: verdict.lead,
            evidence: Some(verdict.evidence),
            follow_ups: None,
            first_approval: None,
            events,
            extra,
            output: outcome,
        }))
    }
}

impl ScoreDocument<'_> {
    /// The trail of one scoring: received, verified or rejected, scored, and each move.
    fn events_of(&self, verdict: &UploadVerdict, lead: &Lead, now: DateTime<Utc>) -> Vec<EventDraft> {
        let doc = &verdict.document;
        let risk = &verdict.risk;
        let (lead_id, lead_version, document_id, kind) =
            (lead.id.clone(), verdict.lead.version, doc.id.clone(), doc.kind);
        let factors: Vec<String> = risk.factors.iter().map(|f| f.code.clone()).collect();
        let received = events::DocumentReceived {
            lead_id: lead_id.clone(),
            lead_version,
            document_id: document_id.clone(),
            kind,
            size_bytes: doc.file.as_ref().map_or(0, |f| f.size_bytes),
            sha256: doc.file.as_ref().map(|f| f.sha256.clone()).filter(|s| !s.is_empty()),
        };
        let judged = events::DocumentVerdict {
            lead_id: lead_id.clone(),
            lead_version,
            document_id: document_id.clone(),
            kind,
            failed_checks: verdict.failed_checks(),
        };
        let judged = if doc.status == DocumentStatus::Verified {
            EventPayload::DocumentVerified(judged)
        } else {
            EventPayload::DocumentRejected(judged)
        };
        let scored = events::RiskScored {
            lead_id: lead_id.clone(),
            lead_version,
            document_id: document_id.clone(),
            kind,
            score: risk.score,
            level: risk.level,
            policy_version: verdict.policy_version.clone(),
            factors: factors.clone(),
            alert: (risk.level == RiskLevel::Critical).then_some(events::RiskAlert {
                code: events::AlertCode::CriticalRisk,
                severity: events::AlertSeverity::Critical,
                score: risk.score,
            }),
        };
        let mut payloads = vec![
            (EventPayload::DocumentReceived(received), None),
            (judged, None),
            (EventPayload::RiskScored(scored), None),
        ];
        for (from, to) in &verdict.moves {
            let moved = events::StatusChanged {
                lead_id: lead_id.clone(),
                lead_version,
                origin: events::StatusChangeOrigin::Policy(events::PolicyMove {
                    document_id: document_id.clone(),
                    kind,
                    policy_version: verdict.policy_version.clone(),
                    factors: factors.clone(),
                    risk_level: risk.level,
                }),
            };
            payloads.push((EventPayload::StatusChanged(moved), Some((*from, *to))));
        }
        payloads
            .into_iter()
            .map(|(payload, moved)| {
                let mut draft = event(self.deps, now, actor::RISK_SCORER, payload);
                if let Some((from, to)) = moved {
                    draft.from_status = Some(from);
                    draft.to_status = Some(to);
                }
                draft
            })
            .collect()
    }
}
