//! What happens when a document's file lands in storage (S3 `ObjectCreated`, or the
//! local store's equivalent): read and check the file, read what else the decision
//! needs, let the pure decision (`verdict`) judge it, and commit the verdict — the
//! document, the lead, its events and the hash index — in ONE transaction, once.
//!
//! Storage events arrive at least once and in any order: a document that is no longer
//! waiting for its file is skipped, and the document's write is conditioned on it still
//! waiting, so a second event for the same object changes nothing.

pub mod lead;
mod machine;
mod rules;

pub use rules::RiskRules;

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;
use sha2::{Digest, Sha256};

use kyc_domain::audit::EventDraft;
use kyc_domain::documents::FileLimits;
use kyc_domain::documents::{CheckResult, Document, DocumentKind, DocumentStatus};
use kyc_domain::events::{self, EventPayload};
use kyc_domain::ids::{DocumentId, LeadId};
use kyc_domain::lead::{Lead, RiskLevel};
use kyc_domain::risk::{CountryLists, FileFacts, RiskPolicy, UploadFacts, UploadVerdict, judge_upload};
use kyc_domain::status::Status;
use kyc_domain::verification::FaceMatchThreshold;

use crate::Deps;
use crate::documents::record::{document_item, document_item_with_read, documents_of, parse_document, still_pending};
use crate::error::AppError;
use crate::ports::screening::{ListScreening, LoadedList, Screening};
use crate::ports::table::{Attr, Condition, Index, Item, SortKey, Write};
use crate::ports::{NoVerifier, StoredFile, Verifier};
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
    /// Parsed at the first scoring (see [`CountryLists::shipped_lazily`]).
    pub lists: &'static std::sync::LazyLock<CountryLists>,
    pub screening: Arc<dyn Screening>,
    /// Reads documents and faces (`KYC_VERIFIER`); [`NoVerifier`] reads nothing.
    pub verifier: Arc<dyn Verifier>,
    pub face_match_threshold: FaceMatchThreshold,
    /// How many scoring attempts of one document may find the verifier unavailable:
    /// the last of them records "verifier unavailable" instead of failing again. On
    /// Lambda, the S3 event's attempts (1 + the template's `MaximumRetryAttempts`).
    pub verifier_attempts: u32,
}

/// 1 + the risk-scorer's `MaximumRetryAttempts` (2) in the template.
pub const DEFAULT_VERIFIER_ATTEMPTS: u32 = 3;

pub const DEFAULT_MAX_DOCUMENT_BYTES: u64 = 10 * 1024 * 1024;
/// Screening hits below this name similarity are not reported.
pub const SCREENING_THRESHOLD_PERCENT: u32 = 90;

impl Scoring {
    /// Default policy and shipped country lists; `list_csv` is a list in
    /// `targets.simple.csv` shape or its compact index (the shipped synthetic sample
    /// when `None`).
    pub fn new(max_document_bytes: u64, list_csv: Option<&[u8]>) -> Result<Scoring, String> {
        let list = match list_csv {
            Some(bytes) => kyc_domain::risk::screening::ScreeningList::load(bytes)?,
            None => kyc_domain::risk::screening::ScreeningList::from_index(
                kyc_domain::risk::screening::SYNTHETIC_SAMPLE_INDEX,
            )?,
        };
        let screening =
            Arc::new(ListScreening { list: LoadedList::Memory(list), threshold_percent: SCREENING_THRESHOLD_PERCENT });
        Ok(Scoring::screened_by(max_document_bytes, screening))
    }

    /// Default policy and shipped country lists (parsed at the first scoring),
    /// screening with `screening` (a function's lazily loaded list): builds nothing
    /// that a cold start would have to wait for.
    pub fn screened_by(max_document_bytes: u64, screening: Arc<dyn Screening>) -> Scoring {
        Scoring {
            limits: FileLimits { max_bytes: max_document_bytes, ..FileLimits::default() },
            policy: RiskPolicy::default(),
            lists: CountryLists::shipped_lazily(),
            screening,
            verifier: Arc::new(NoVerifier),
            face_match_threshold: FaceMatchThreshold::default(),
            verifier_attempts: DEFAULT_VERIFIER_ATTEMPTS,
        }
    }

    /// The same scoring with this verifier and face-match threshold.
    pub fn with_verifier(self, verifier: Arc<dyn Verifier>, face_match_threshold: FaceMatchThreshold) -> Scoring {
        Scoring { verifier, face_match_threshold, ..self }
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

/// Handles one "object created" event for `key`. When the verifier is unavailable the
/// attempt fails (so that the storage event is retried), and is counted; the last
/// attempt records "verifier unavailable" and leaves the lead to a person.
pub async fn on_object_created(deps: &Deps, scoring: &Scoring, key: &str) -> Result<ScoreOutcome, AppError> {
    let Some((tenant, lead, doc)) = layout::parse_document_object_key(key) else {
        tracing::warn!("object key is not a document key; ignored");
        return Ok(ScoreOutcome::Ignored);
    };
    let score = |verifier_down: bool| {
        let change = ScoreDocument {
            deps,
            scoring,
            tenant: tenant.clone(),
            doc: doc.clone(),
            verifier_down,
            file: Default::default(),
            files: Default::default(),
            answers: Default::default(),
            comparisons: Default::default(),
        };
        mutate(deps, &tenant, lead.as_str(), None, None, change)
    };
    let mut result = score(false).await;
    if let Err(AppError::VerifierUnavailable(outage)) = &result {
        let attempts = count_outage(deps, &tenant, &lead, &doc, deps.clock.now()).await?;
        tracing::warn!(document = %doc, attempts, error = %outage, "verifier unavailable");
        if attempts >= i64::from(scoring.verifier_attempts) {
            result = score(true).await;
        }
    }
    match result {
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

/// Counts one more attempt that found the verifier unavailable; the count so far.
async fn count_outage(
    deps: &Deps,
    tenant: &TenantId,
    lead: &LeadId,
    doc: &DocumentId,
    now: DateTime<Utc>,
) -> Result<i64, AppError> {
    let key = layout::verifier_outages_key(tenant, lead, doc);
    // Kept a week: longer than any storage event's retries.
    let ttl = (now + Duration::days(7)).timestamp();
    let add = Write::Add { key: key.clone(), deltas: vec![(layout::VERIFIER_OUTAGES.into(), 1)], ttl: Some(ttl) };
    deps.table.transact(vec![add]).await?;
    Ok(deps.table.get(&key).await?.and_then(|item| item.n(layout::VERIFIER_OUTAGES)).unwrap_or(1))
}

/// A stored file read whole (or as far as the size limit allows).
struct ReadFile {
    bytes: Vec<u8>,
    size: u64,
}

struct ScoreDocument<'a> {
    deps: &'a Deps,
    scoring: &'a Scoring,
    tenant: TenantId,
    doc: DocumentId,
    /// The last attempt after the verifier stayed unavailable: record that, ask nothing.
    verifier_down: bool,
    /// The file is read and checked once per event, not again on each retry of the
    /// transaction when another writer touched the lead meanwhile.
    file: tokio::sync::OnceCell<Option<FileFacts>>,
    /// Stored files by document, this one's and a face comparison's other side.
    files: tokio::sync::Mutex<HashMap<DocumentId, Option<Arc<ReadFile>>>>,
    /// The verifier's answers about this document, asked once per event.
    answers: tokio::sync::OnceCell<machine::Answers>,
    /// Face comparisons by (identity document, selfie), asked once per event.
    comparisons: tokio::sync::Mutex<HashMap<(DocumentId, DocumentId), kyc_domain::documents::Check>>,
}

impl ScoreDocument<'_> {
    /// A document's stored file, at most the size limit + 1 byte (which tells "too
    /// large" without reading a huge object); `None` when there is no file.
    async fn stored(&self, lead: &LeadId, doc: &DocumentId) -> Result<Option<Arc<ReadFile>>, AppError> {
        let mut files = self.files.lock().await;
        if let Some(file) = files.get(doc) {
            return Ok(file.clone());
        }
        let key = layout::document_object_key(&self.tenant, lead, doc);
        let read = self.deps.objects.read_prefix(&key, self.scoring.limits.max_bytes + 1).await?;
        let file = read.map(|prefix| Arc::new(ReadFile { bytes: prefix.bytes, size: prefix.size }));
        files.insert(doc.clone(), file.clone());
        Ok(file)
    }

    /// A file to show the verifier: read from storage, unless the services read it
    /// themselves and its size is already known (a document scored before).
    async fn shown_file(&self, lead: &LeadId, doc: &Document) -> Result<Option<Arc<ReadFile>>, AppError> {
        match &doc.file {
            Some(file) if self.scoring.verifier.reads_storage() => {
                Ok(Some(Arc::new(ReadFile { bytes: Vec::new(), size: file.size_bytes })))
            }
            _ => self.stored(lead, &doc.id).await,
        }
    }

    /// Reads and checks the stored file, once; `None` when there is no file.
    async fn file_facts(&self, lead: &LeadId, doc: &Document) -> Result<Option<FileFacts>, AppError> {
        let facts = self
            .file
            .get_or_try_init(|| async {
                let Some(file) = self.stored(lead, &doc.id).await? else {
                    return Ok::<_, AppError>(None);
                };
                let complete = file.bytes.len() as u64 == file.size;
                Ok(Some(FileFacts {
                    checks: kyc_domain::documents::inspect(doc.content_type, &file.bytes, file.size, &self.scoring.limits),
                    size: file.size,
                    sha256: complete.then(|| hex::encode(Sha256::digest(&file.bytes))),
                }))
            })
            .await?;
        Ok(facts.clone())
    }

    /// What the verifier shows of a stored document.
    fn shown<'f>(doc: &Document, file: &'f ReadFile, key: &'f str) -> StoredFile<'f> {
        StoredFile { key, content_type: doc.content_type, size: file.size, bytes: &file.bytes }
    }

    /// The verifier's answers about this document, asked once per event; nothing is
    /// asked about a file that already failed its own checks (a fake or oversized file
    /// is rejected whatever a service would say).
    async fn answers(&self, lead: &LeadId, doc: &Document, file_ok: bool) -> Result<machine::Answers, AppError> {
        if self.verifier_down {
            return Ok(machine::Answers::Unavailable);
        }
        if !file_ok {
            return Ok(machine::Answers::NotRead);
        }
        let answers = self
            .answers
            .get_or_try_init(|| async {
                let Some(file) = self.stored(lead, &doc.id).await? else {
                    return Ok::<_, AppError>(machine::Answers::NotRead);
                };
                let key = layout::document_object_key(&self.tenant, lead, &doc.id);
                let today = self.deps.clock.now().date_naive();
                Ok(machine::ask(self.scoring.verifier.as_ref(), doc.kind, Self::shown(doc, &file, &key), today)
                    .await?)
            })
            .await?;
        Ok(answers.clone())
    }

    /// The face comparison of an identity document with a selfie, once per event.
    async fn compare(
        &self,
        lead: &LeadId,
        identity: &Document,
        selfie: &Document,
    ) -> Result<Option<kyc_domain::documents::Check>, AppError> {
        let pair = (identity.id.clone(), selfie.id.clone());
        if let Some(check) = self.comparisons.lock().await.get(&pair) {
            return Ok(Some(check.clone()));
        }
        let (Some(identity_file), Some(selfie_file)) =
            (self.shown_file(lead, identity).await?, self.shown_file(lead, selfie).await?)
        else {
            return Ok(None);
        };
        let identity_key = layout::document_object_key(&self.tenant, lead, &identity.id);
        let selfie_key = layout::document_object_key(&self.tenant, lead, &selfie.id);
        let check = machine::compare(
            self.scoring.verifier.as_ref(),
            Self::shown(identity, &identity_file, &identity_key),
            Self::shown(selfie, &selfie_file, &selfie_key),
            self.scoring.face_match_threshold,
        )
        .await?;
        self.comparisons.lock().await.insert(pair, check.clone());
        Ok(Some(check))
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

/// The identity document a selfie is compared with: the lead's latest verified
/// passport, ID card or driving licence, its front side where sides are given.
fn identity_for_comparison(documents: &[Document]) -> Option<&Document> {
    documents
        .iter()
        .filter(|d| {
            d.status == DocumentStatus::Verified
                && d.kind.satisfies(None) == Some(kyc_domain::Requirement::IdentityDocument)
                && d.side != Some(kyc_domain::documents::Side::Back)
        })
        .max_by_key(|d| d.uploaded_at)
}

/// The lead's verified selfie still waiting for an identity document to compare with.
fn selfie_waiting(documents: &[Document]) -> Option<&Document> {
    documents
        .iter()
        .filter(|d| d.kind == DocumentKind::Selfie && d.status == DocumentStatus::Verified)
        .filter(|d| machine::waits_for_comparison(d))
        .max_by_key(|d| d.uploaded_at)
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

        // What a machine reads of the document, and the face comparison whichever of
        // selfie and identity document arrives last makes.
        let file_ok = file.checks.iter().all(|c| c.result != CheckResult::Fail);
        let answers = self.answers(&lead.id, &doc, file_ok).await?;
        let today = now.date_naive();
        let mut selfie_face_match = None;
        let face_match = if doc.kind == DocumentKind::Selfie && machine::comparable(&answers) {
            match identity_for_comparison(&others) {
                Some(identity) => self.compare(&lead.id, identity, &doc).await?,
                None => None,
            }
        } else {
            None
        };
        let reading = machine::checks_of(&answers, lead, &doc, face_match, today);
        let verified_identity = doc.kind.satisfies(None) == Some(kyc_domain::Requirement::IdentityDocument)
            && doc.side != Some(kyc_domain::documents::Side::Back)
            && file_ok
            && reading.checks.checks.iter().all(|c| c.result != CheckResult::Fail);
        if verified_identity
            && !self.verifier_down
            && let Some(selfie) = selfie_waiting(&others)
            && let Some(check) = self.compare(&lead.id, &doc, selfie).await?
        {
            selfie_face_match = Some((selfie.id.clone(), check));
        }

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
            screening: &self.scoring.screening.screen(lead).await?,
            machine: reading.checks,
            selfie_face_match,
            identity_changed: record.identity_pending,
        };
        let verdict = judge_upload(facts, &self.scoring.policy, self.scoring.lists, now)?;
        let events = self.events_of(&verdict, lead, now);

        let doc = &verdict.document;
        let mut extra = vec![Write::Put {
            item: document_item_with_read(&self.tenant, doc, reading.identity.as_ref())?,
            condition: still_pending(),
        }];
        if let Some(selfie) = &verdict.selfie {
            // The comparison lands on the selfie, still as it was read above.
            let verified = Attr::S(crate::documents::record::status_name(DocumentStatus::Verified).into());
            extra.push(Write::Put {
                item: document_item(&self.tenant, selfie)?,
                condition: Condition::AttrEquals(layout::DOCUMENT_STATUS.into(), verified),
            });
        }
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
            identity_pending: None,
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
            document_id: Some(document_id.clone()),
            kind: Some(kind),
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
        let mut payloads = vec![(EventPayload::DocumentReceived(received), None), (judged, None)];
        // The face comparison this document made rejected the lead's selfie.
        if let Some(selfie) = verdict.selfie.as_ref().filter(|s| s.status == DocumentStatus::Rejected) {
            payloads.push((EventPayload::DocumentRejected(events::DocumentVerdict::of(selfie, lead_version)), None));
        }
        payloads.push((EventPayload::RiskScored(scored), None));
        if let Some((from, to)) = verdict.raised {
            let raised = events::LevelRaised {
                lead_id: lead_id.clone(),
                lead_version,
                from,
                to,
                factors: factors.clone(),
                missing: verdict.lead.requirements.missing.clone(),
            };
            payloads.push((EventPayload::LevelRaised(raised), None));
        }
        for (from, to) in &verdict.moves {
            let moved = events::StatusChanged {
                lead_id: lead_id.clone(),
                lead_version,
                origin: events::StatusChangeOrigin::Policy(events::PolicyMove {
                    document_id: Some(document_id.clone()),
                    kind: Some(kind),
                    policy_version: verdict.policy_version.clone(),
                    factors: factors.clone(),
                    risk_level: risk.level,
                }),
                capabilities: None,
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
