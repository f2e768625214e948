//! What happens when a document's file lands in storage (S3 `ObjectCreated`, or the
//! local store's equivalent): check the file and its data, score the lead's risk,
//! and move the lead on by the decision policy — all in ONE transaction, once.
//!
//! Storage events arrive at least once and in any order: a document that is no longer
//! waiting for its file is skipped, and the document's write is conditioned on it still
//! waiting, so a second event for the same object changes nothing.

use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;
use serde_json::json;
use sha2::{Digest, Sha256};

use kyc_domain::audit::{Action, EventDraft};
use kyc_domain::document::{Check, Document, DocumentKind, DocumentStatus, FileInfo};
use kyc_domain::filecheck::{self, FileLimits};
use kyc_domain::ids::LeadId;
use kyc_domain::lead::{Lead, LeadType, RiskLevel};
use kyc_domain::mrz::{self, Subject};
use kyc_domain::requirement::{Requirement, evaluate};
use kyc_domain::risk::{self, CountryLists, PolicyDecision, RiskInput, RiskPolicy};
use kyc_domain::screening::{HitKind, ScreeningHit, ScreeningList};
use kyc_domain::status::{Decision, DecisionOrigin, Status, transition};

use crate::Deps;
use crate::auth::TenantId;
use crate::documents::{document_item, document_key, object_key, parse_document, parse_object_key, still_pending};
use crate::error::AppError;
use crate::keys;
use crate::leads::{AsyncChange, Change, LeadRecord, Outcome, Replayable, draft, mutate};
use crate::table::{Condition, Index, Item, Key, Query, SortKey, Write};

/// Sanctions / PEP screening of the people and companies a lead names.
pub trait Screening: Send + Sync {
    fn screen(&self, lead: &Lead) -> Vec<ScreeningHit>;
}

/// Screening against a list in OpenSanctions' `targets.simple.csv` shape.
pub struct ListScreening {
    pub list: ScreeningList,
    pub threshold_percent: u32,
}

impl Screening for ListScreening {
    fn screen(&self, lead: &Lead) -> Vec<ScreeningHit> {
        self.list.screen_lead(lead, self.threshold_percent)
    }
}

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
        let csv = list_csv.unwrap_or(kyc_domain::screening::SYNTHETIC_SAMPLE_CSV.as_bytes());
        let list = kyc_domain::screening::parse_targets_simple(csv)?;
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

impl Replayable for ScoreOutcome {
    fn etag(&self) -> Option<String> {
        None
    }
}

/// Handles one "object created" event for `key`.
pub async fn on_object_created(deps: &Deps, scoring: &Scoring, key: &str) -> Result<ScoreOutcome, AppError> {
    let Some((tenant, lead, doc)) = parse_object_key(key) else {
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
    doc: kyc_domain::ids::DocumentId,
    /// The file is read and checked once per event, not again on each retry of the
    /// transaction when another writer touched the lead meanwhile.
    file: tokio::sync::OnceCell<Option<FileFacts>>,
}

/// What the stored file itself shows (independent of the lead's state).
#[derive(Clone)]
struct FileFacts {
    checks: Vec<Check>,
    size: u64,
    /// Only for a file read whole (a too-large one is never hashed).
    sha256: Option<String>,
}

/// The hour bucket of a behavioural counter.
fn hour_bucket(at: DateTime<Utc>) -> String {
    at.format("%Y%m%d%H").to_string()
}

/// Counter key for "leads created from this IP / device": the value is hashed, the
/// table never holds the raw address as a key.
pub fn velocity_key(tenant: &TenantId, signal: &str, value: &str, at: DateTime<Utc>) -> Key {
    let digest = hex::encode(Sha256::digest(format!("{signal}:{value}").as_bytes()));
    Key::new(format!("T#{tenant}#V#{digest}"), format!("H#{}", hour_bucket(at)))
}

/// The counter writes a new lead adds (its IP and device, this hour).
pub fn velocity_writes(tenant: &TenantId, lead: &Lead, at: DateTime<Utc>) -> Vec<Write> {
    let Some(signals) = &lead.signals else { return Vec::new() };
    let ttl = (at + Duration::hours(3)).timestamp();
    [("ip", signals.ip_address.as_deref()), ("device", signals.device_id.as_deref())]
        .into_iter()
        .filter_map(|(signal, value)| Some((signal, value?)))
        .map(|(signal, value)| Write::Add {
            key: velocity_key(tenant, signal, value, at),
            deltas: vec![("leads".into(), 1)],
            ttl: Some(ttl),
        })
        .collect()
}

fn hash_index_key(tenant: &TenantId, sha256: &str, lead: &Lead, doc: &Document) -> Key {
    Key::new(format!("T#{tenant}#H#{sha256}"), format!("{}#{}", lead.id, doc.id))
}

impl ScoreDocument<'_> {
    /// Reads the stored file (at most the size limit + 1 byte, which tells "too large"
    /// without reading a huge object) and checks it, once; `None` when there is no file.
    async fn file_facts(&self, lead: &LeadId, doc: &Document) -> Result<Option<FileFacts>, AppError> {
        let facts = self
            .file
            .get_or_try_init(|| async {
                let limits = &self.scoring.limits;
                let key = object_key(&self.tenant, lead, &doc.id);
                let Some(prefix) = self.deps.objects.read_prefix(&key, limits.max_bytes + 1).await? else {
                    return Ok::<_, AppError>(None);
                };
                let complete = prefix.bytes.len() as u64 == prefix.size;
                Ok(Some(FileFacts {
                    checks: filecheck::inspect(doc.content_type, &prefix.bytes, prefix.size, limits),
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
            let item = self.deps.table.get(&velocity_key(&self.tenant, signal, value, at)).await?;
            total += item.and_then(|i| i.n("leads")).unwrap_or(0);
        }
        Ok(u32::try_from((total - 1).max(0)).unwrap_or(u32::MAX))
    }

    async fn is_duplicate(&self, sha256: &str, lead: &Lead) -> Result<bool, AppError> {
        let query = Query {
            index: Index::Primary,
            partition: format!("T#{}#H#{sha256}", self.tenant),
            sort: SortKey::Any,
            forward: true,
            limit: 10,
            start_after: None,
        };
        let page = self.deps.table.query(&query).await?;
        Ok(page.items.iter().any(|i| !i.key.sk.starts_with(lead.id.as_str())))
    }

    async fn documents_of(&self, lead: &Lead) -> Result<Vec<Document>, AppError> {
        let query = Query {
            index: Index::Primary,
            partition: keys::lead_pk(&self.tenant, &lead.id),
            sort: SortKey::BeginsWith("DOC#".into()),
            forward: true,
            limit: 1000,
            start_after: None,
        };
        let page = self.deps.table.query(&query).await?;
        page.items.iter().map(parse_document).collect()
    }
}

fn subject_of<'a>(lead: &'a Lead, doc: &Document) -> Option<Subject<'a>> {
    match (lead.lead_type, doc.kind) {
        (LeadType::Business, DocumentKind::DirectorId) => {
            let director = lead.business.as_ref()?.directors.get(doc.director_index? as usize)?;
            Some(Subject {
                first_name: &director.first_name,
                last_name: &director.last_name,
                date_of_birth: director.date_of_birth,
            })
        }
        (LeadType::Individual, _) => {
            let person = lead.individual.as_ref()?;
            Some(Subject {
                first_name: &person.first_name,
                last_name: &person.last_name,
                date_of_birth: person.date_of_birth,
            })
        }
        _ => None,
    }
}

/// The status moves the decision policy makes after a scoring, in order: a first
/// upload starts the lead, then it is approved or sent to review; a decided lead stays
/// decided, except that a critical finding sends even an approved lead back for a
/// re-review.
fn policy_moves(lead: &Lead, all_documents_verified: bool, risk: &kyc_domain::lead::Risk) -> Vec<Status> {
    if lead.status == Status::Approved && risk.level == RiskLevel::Critical {
        return vec![Status::UnderReview];
    }
    if lead.is_decided() {
        return Vec::new();
    }
    let mut moves = Vec::new();
    if lead.status == Status::NotStarted {
        moves.push(Status::InProgress);
    }
    let missing = !lead.requirements.missing.is_empty();
    let target = match risk::decide(lead.level, missing, all_documents_verified, risk) {
        PolicyDecision::Approve => Status::Approved,
        PolicyDecision::Review { .. } => Status::UnderReview,
    };
    if target != lead.status {
        moves.push(target);
    }
    moves
}

fn flag(flags: &mut Vec<String>, code: &str) {
    if !flags.iter().any(|f| f == code) {
        flags.push(code.to_string());
    }
}

#[async_trait::async_trait]
impl AsyncChange<ScoreOutcome> for ScoreDocument<'_> {
    async fn apply(&self, record: &LeadRecord, now: DateTime<Utc>) -> Result<Outcome<ScoreOutcome>, AppError> {
        let lead = &record.lead;
        let item = self
            .deps
            .table
            .get(&document_key(&self.tenant, &lead.id, &self.doc))
            .await?
            .ok_or(AppError::NotFound("document"))?;
        let mut doc = parse_document(&item)?;
        if doc.status != DocumentStatus::PendingUpload {
            return Ok(Outcome::Unchanged(ScoreOutcome::AlreadyScored));
        }
        let Some(file) = self.file_facts(&lead.id, &doc).await? else {
            return Ok(Outcome::Unchanged(ScoreOutcome::NoObject));
        };
        // The file, and what the integrator said is printed on it.
        let mut checks = file.checks;
        if let Some(data) = &doc.data {
            checks.extend(mrz::check_data(doc.kind, data, subject_of(lead, &doc), now.date_naive()));
        }
        let sha256 = file.sha256;
        let duplicate = match &sha256 {
            Some(sha) => self.is_duplicate(sha, lead).await?,
            None => false,
        };
        if duplicate {
            checks.push(Check::fail("duplicate_document", "the same file is attached to another lead of this tenant"));
            flag(&mut doc.compliance_flags, "duplicate_document");
        }
        doc.status = kyc_domain::document::Document::verdict(&checks);
        doc.checks = checks;
        doc.file = Some(FileInfo {
            content_type: doc.content_type,
            size_bytes: file.size,
            sha256: sha256.clone().unwrap_or_default(),
        });
        doc.uploaded_at = Some(now);
        doc.verified_at = (doc.status == DocumentStatus::Verified).then_some(now);

        // Everything the lead now has on file, this document included.
        let mut documents = self.documents_of(lead).await?;
        documents.retain(|d| d.id != doc.id);
        let reuploads = documents
            .iter()
            .filter(|d| d.kind == doc.kind && d.director_index == doc.director_index && d.file.is_some())
            .count() as u32;
        documents.push(doc.clone());
        let document_checks: Vec<Check> = documents.iter().flat_map(|d| d.checks.iter().cloned()).collect();

        let signals = lead.signals.as_ref();
        let same_ip = self.velocity("ip", signals.and_then(|s| s.ip_address.as_deref()), now).await?;
        let same_device = self.velocity("device", signals.and_then(|s| s.device_id.as_deref()), now).await?;
        let hits = self.scoring.screening.screen(lead);

        let mut evidence = record.evidence.clone();
        if doc.status == DocumentStatus::Verified
            && let Some(requirement) = doc.kind.satisfies(doc.director_index)
        {
            evidence.satisfied.insert(requirement);
        }
        evidence.satisfied.insert(Requirement::Screening);

        let input = RiskInput {
            lead,
            document_checks: &document_checks,
            duplicate_document: duplicate,
            leads_same_ip_last_hour: same_ip,
            leads_same_device_last_hour: same_device,
            reuploads,
            screening: &hits,
        };
        let scored = risk::score(&input, &self.scoring.policy, self.scoring.lists, now);
        let risk = scored.risk.clone();

        let mut next = lead.clone();
        next.risk = Some(risk.clone());
        next.requirements = evaluate(&next, &evidence);
        if duplicate {
            flag(&mut next.compliance_flags, "duplicate_document");
        }
        for hit in &hits {
            flag(
                &mut next.compliance_flags,
                match hit.kind {
                    HitKind::Sanctions => "sanctions_match",
                    HitKind::Pep => "pep_match",
                },
            );
        }
        for code in risk::compliance_flags(&risk) {
            flag(&mut next.compliance_flags, &code);
        }
        if risk.level == RiskLevel::Critical {
            flag(&mut next.compliance_flags, "critical_risk");
        }
        next.version = lead.version + 1;
        next.updated_at = now;

        let base = json!({ "lead_id": lead.id, "lead_version": next.version, "document_id": doc.id, "kind": doc.kind });
        let mut events = Vec::new();
        let event = |action: Action, data: serde_json::Value| -> EventDraft {
            let mut merged = base.clone();
            if let (Some(m), serde_json::Value::Object(extra)) = (merged.as_object_mut(), data) {
                m.extend(extra);
            }
            draft(self.deps, now, "system".into(), action, merged)
        };
        events.push(event(Action::DocumentReceived, json!({ "size_bytes": file.size, "sha256": sha256 })));
        let failed: Vec<&str> = doc
            .checks
            .iter()
            .filter(|c| c.result == kyc_domain::document::CheckResult::Fail)
            .map(|c| c.name.as_str())
            .collect();
        let verdict =
            if doc.status == DocumentStatus::Verified { Action::DocumentVerified } else { Action::DocumentRejected };
        events.push(event(verdict, json!({ "failed_checks": failed })));
        let factors: Vec<&str> = risk.factors.iter().map(|f| f.code.as_str()).collect();
        let alert = (risk.level == RiskLevel::Critical)
            .then(|| json!({ "code": "critical_risk", "severity": "critical", "score": risk.score }));
        events.push(event(
            Action::RiskScored,
            json!({ "score": risk.score, "level": risk.level, "policy_version": scored.policy_version, "factors": factors, "alert": alert }),
        ));

        let all_verified = documents.iter().all(|d| d.status != DocumentStatus::Rejected);
        for to in policy_moves(&next, all_verified, &risk) {
            let decision =
                Decision { to, reasons: vec![], note: None, is_final: false, origin: DecisionOrigin::System, at: now };
            let before = next.status;
            let moved = transition(&next, &decision)?;
            // `transition` bumps the version per move; one scoring is one version.
            next = Lead { version: next.version, ..moved };
            let mut e = event(
                Action::StatusChanged,
                json!({ "policy_version": scored.policy_version, "factors": factors, "risk_level": risk.level }),
            );
            e.from_status = Some(before);
            e.to_status = Some(to);
            events.push(e);
        }

        let mut extra = vec![Write::Put { item: document_item(&self.tenant, &doc), condition: still_pending() }];
        if let Some(sha) = &sha256 {
            let index = Item::new(hash_index_key(&self.tenant, sha, lead, &doc), "{}".into());
            extra.push(Write::Put { item: index, condition: Condition::None });
        }
        let outcome = ScoreOutcome::Scored { document: doc.status, lead: next.status };
        Ok(Outcome::Changed(Change {
            lead: next,
            evidence: Some(evidence),
            follow_ups: None,
            events,
            extra,
            output: outcome,
        }))
    }
}

#[cfg(test)]
mod tests {
    use kyc_domain::input::LeadData;
    use kyc_domain::lead::{Risk, Source};

    use super::*;

    fn lead(status: Status) -> Lead {
        let mut lead = crate::leads::new_lead(
            LeadId::from_uuid(uuid::Uuid::now_v7()),
            LeadData::default(),
            Source::Api,
            Utc::now(),
        );
        lead.status = status;
        lead
    }

    fn risk(level: RiskLevel) -> Risk {
        Risk { score: 0, level, factors: vec![], scored_at: Utc::now() }
    }

    #[test]
    fn a_first_upload_starts_the_lead_then_the_policy_decides() {
        assert_eq!(
            policy_moves(&lead(Status::NotStarted), true, &risk(RiskLevel::Low)),
            [Status::InProgress, Status::Approved]
        );
        assert_eq!(policy_moves(&lead(Status::InProgress), false, &risk(RiskLevel::Low)), [Status::UnderReview]);
        assert!(policy_moves(&lead(Status::UnderReview), true, &risk(RiskLevel::High)).is_empty(), "already in review");
    }

    #[test]
    fn a_decided_lead_stays_decided_unless_an_approved_one_turns_critical() {
        assert!(policy_moves(&lead(Status::Approved), true, &risk(RiskLevel::High)).is_empty());
        assert!(policy_moves(&lead(Status::Rejected), true, &risk(RiskLevel::Critical)).is_empty());
        assert_eq!(policy_moves(&lead(Status::Approved), true, &risk(RiskLevel::Critical)), [Status::UnderReview]);
    }
}
