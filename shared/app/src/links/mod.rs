//! KYC links: a URL an integrator sends to a customer, opening the hosted verification
//! page for ONE lead. The token in the URL carries 256 random bits and only its SHA-256
//! is stored (`LT#{sha256}`), with the tenant, the lead, the expiry and the redirect; so
//! the token can neither be read back from the table nor widened to another lead. What
//! the customer does on the page is recorded as `link:<link id>`.

use base64::Engine;
use chrono::{DateTime, TimeDelta, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use kyc_domain::documents::{Document, DocumentKind, DocumentStatus};
use kyc_domain::events::{EventPayload, LinkCreated, LinkOpened, StatusChangeOrigin, StatusChanged};
use kyc_domain::ids::{DocumentId, LeadId, LinkId};
use kyc_domain::lead::input::LeadInput;
use kyc_domain::lead::{Lead, LeadType, Level, Source};
use kyc_domain::requirement::Requirement;
use kyc_domain::status::{Decision, DecisionOrigin, Status, transition};
use kyc_domain::validation::FieldError;

use crate::Deps;
use crate::auth::Principal;
use crate::documents::record::documents_of;
use crate::documents::{DocumentRequest, DocumentUpload, request_upload_as};
use crate::error::AppError;
use crate::json;
use crate::leads::FreshLead;
use crate::ports::table::{Attr, Condition, Item, TTL_ATTR, Write};
use crate::store::idempotency::{Idempotency, Replayable};
use crate::store::unit_of_work::event;
use crate::store::{AsyncChange, Change, LeadRecord, Outcome, layout, load, mutate};
use crate::tenant::TenantId;

/// What every link token starts with (so a leaked one is recognisable in a scan).
pub const TOKEN_PREFIX: &str = "kyl_";
/// Random bytes in a token: 256 bits, well above the contract's 128.
pub const TOKEN_BYTES: usize = 32;
/// A token's length: the prefix and 43 base64url characters.
pub const TOKEN_LEN: usize = TOKEN_PREFIX.len() + 43;
pub const DEFAULT_TTL_SECONDS: i64 = 7 * 24 * 60 * 60;
pub const MAX_TTL_SECONDS: i64 = 30 * 24 * 60 * 60;
pub const MIN_TTL_SECONDS: i64 = 1;
/// An expired link answers "expired" (410) this long, then it is deleted (404).
const KEEP_AFTER_EXPIRY: TimeDelta = TimeDelta::days(30);
/// Link item attribute: 1 once the page's first call recorded `link.opened`.
const OPENED: &str = "opened";

/// `POST /v1/kyc-links`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LinkInput {
    /// `null` is not "absent" here: exactly one of `lead_id` and `lead` is given.
    #[serde(default, deserialize_with = "present")]
    pub lead_id: Option<String>,
    #[serde(default, deserialize_with = "present")]
    pub lead: Option<LeadInput>,
    pub level: Option<Level>,
    pub redirect_url: Option<String>,
    #[serde(default, deserialize_with = "whole_seconds")]
    pub expires_in: Option<i64>,
}

/// A member that, when present, must be a `T` (never `null`).
fn present<'de, D: serde::Deserializer<'de>, T: Deserialize<'de>>(deserializer: D) -> Result<Option<T>, D::Error> {
    T::deserialize(deserializer).map(Some)
}

/// Seconds as a JSON integer, also when written with a zero fraction (`60.0`); `null`
/// is absent.
fn whole_seconds<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<Option<i64>, D::Error> {
    let Some(number) = Option::<serde_json::Number>::deserialize(deserializer)? else { return Ok(None) };
    let whole =
        number.as_i64().or_else(|| number.as_f64().filter(|f| f.fract() == 0.0 && f.abs() < 9.0e15).map(|f| f as i64));
    whole.map(Some).ok_or_else(|| serde::de::Error::custom("must be a whole number of seconds"))
}

/// A new link as the integrator sees it. The token rides along for the URL only: it is
/// never serialised, so an idempotency record never holds it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CreatedLink {
    pub id: LinkId,
    pub lead_id: LeadId,
    pub expires_at: DateTime<Utc>,
    /// The token's hash, kept with an idempotent answer so a retry can replace it.
    pub token_hash: String,
    #[serde(skip)]
    pub token: String,
}

impl Replayable for CreatedLink {}

/// The stored link (its key is the token's hash).
#[derive(Debug, Clone, Serialize, Deserialize)]
struct StoredLink {
    id: LinkId,
    tenant: TenantId,
    lead_id: LeadId,
    created_at: DateTime<Utc>,
    expires_at: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    redirect_url: Option<String>,
}

/// A resolved, unexpired link: what the page may act on.
#[derive(Debug, Clone)]
pub struct Link {
    pub id: LinkId,
    pub tenant: TenantId,
    pub lead_id: LeadId,
    pub expires_at: DateTime<Utc>,
    pub redirect_url: Option<String>,
    token_hash: String,
}

impl Link {
    /// The customer on this link, as the audit trail names them.
    pub fn audit_actor(&self) -> String {
        format!("link:{}", self.id)
    }
}

/// A fresh token: the prefix and 32 random bytes in base64url.
pub fn new_token() -> String {
    let bytes: [u8; TOKEN_BYTES] = rand::random();
    format!("{TOKEN_PREFIX}{}", base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes))
}

/// The hash a token is stored under.
pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// Whether `token` has the shape of an issued token (anything else is unknown without a
/// read).
pub fn is_well_formed(token: &str) -> bool {
    token.len() == TOKEN_LEN
        && token.starts_with(TOKEN_PREFIX)
        && token[TOKEN_PREFIX.len()..].bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

fn link_write(link: &StoredLink, hash: &str) -> Result<Write, AppError> {
    let item = Item::new(layout::link_token_key(hash), json::to_body("kyc link", link)?)
        .with_s(layout::TENANT, link.tenant.as_str())
        .with_n(OPENED, 0)
        .with_n(TTL_ATTR, (link.expires_at + KEEP_AFTER_EXPIRY).timestamp());
    Ok(Write::Put { item, condition: Condition::NotExists })
}

fn field_error(field: &str, message: impl Into<String>) -> AppError {
    AppError::Validation(vec![FieldError::new(field, message)])
}

/// Creates a link (and, with `lead`, its lead, with source `kyc_link`) in one
/// transaction with its `link.created` event.
pub async fn create_link(
    deps: &Deps,
    by: &Principal,
    input: LinkInput,
    idempotency: Option<&Idempotency>,
) -> Result<CreatedLink, AppError> {
    let now = deps.clock.now();
    let mut errors = Vec::new();
    let ttl = input.expires_in.unwrap_or(DEFAULT_TTL_SECONDS);
    if !(MIN_TTL_SECONDS..=MAX_TTL_SECONDS).contains(&ttl) {
        errors.push(FieldError::new(
            "expires_in",
            format!("must be from {MIN_TTL_SECONDS} to {MAX_TTL_SECONDS} seconds"),
        ));
    }
    if let Some(Err(e)) = input.redirect_url.as_ref().map(|url| kyc_domain::ssrf::check_url(url, deps.mode)) {
        errors.push(FieldError::new("redirect_url", e.to_string()));
    }
    match (&input.lead_id, &input.lead) {
        (Some(_), Some(_)) => errors.push(FieldError::new("lead", "give lead_id or lead, not both")),
        (None, None) => errors.push(FieldError::new("lead_id", "give lead_id (an existing lead) or lead (a new one)")),
        _ => {}
    }
    if !errors.is_empty() {
        return Err(AppError::Validation(errors));
    }
    let token = new_token();
    let hash = token_hash(&token);
    let id = LinkId::from_uuid(deps.ids.uuid());
    let expires_at = now + TimeDelta::seconds(ttl);
    let stored = |lead_id: &LeadId| StoredLink {
        id: id.clone(),
        tenant: by.tenant.clone(),
        lead_id: lead_id.clone(),
        created_at: now,
        expires_at,
        redirect_url: input.redirect_url.clone(),
    };
    let created = |lead_id: &LeadId| CreatedLink {
        id: id.clone(),
        lead_id: lead_id.clone(),
        expires_at,
        token_hash: hash.clone(),
        token: token.clone(),
    };
    let link_created = |lead: &Lead| {
        EventPayload::LinkCreated(LinkCreated {
            lead_id: lead.id.clone(),
            lead_version: lead.version,
            link_id: id.to_string(),
        })
    };

    if let Some(mut lead_input) = input.lead {
        // The link's level becomes the lead's level.
        match (input.level, lead_input.level) {
            (Some(a), Some(b)) if a != b => return Err(field_error("level", "differs from lead.level")),
            (Some(level), _) => lead_input.level = Some(level),
            _ => {}
        }
        let fresh = FreshLead::new(deps, lead_input, Source::KycLink, now).map_err(|e| match e {
            AppError::Validation(errors) => AppError::Validation(
                errors.into_iter().map(|e| FieldError::new(format!("lead.{}", e.field), e.message)).collect(),
            ),
            other => other,
        })?;
        let answer = created(&fresh.lead.id);
        let more = vec![link_created(&fresh.lead)];
        let extra = vec![link_write(&stored(&fresh.lead.id), &hash)?];
        return fresh.commit(deps, &by.tenant, by.audit_actor(), more, extra, idempotency, |_| answer).await;
    }

    let lead_id = input.lead_id.unwrap_or_default();
    let actor = by.audit_actor();
    mutate(deps, &by.tenant, &lead_id, None, idempotency, |record: &LeadRecord, now: DateTime<Utc>| {
        let lead = &record.lead;
        if lead.is_decided() {
            return Err(AppError::LeadDecided);
        }
        if input.level.is_some_and(|level| level != lead.level) {
            return Err(field_error("level", "a link to an existing lead takes its level (change it with PATCH)"));
        }
        let draft = event(deps, now, actor.clone(), link_created(lead));
        // A link changes the trail, not the lead: its version stays.
        Ok(Change::one_with(lead.clone(), draft, vec![link_write(&stored(&lead.id), &hash)?], created(&lead.id)))
    })
    .await
}

/// A retry of a link creation with the same idempotency key: only the first token's
/// hash was kept, so the same link gets a new token (and the first one stops working).
pub async fn reissue_token(deps: &Deps, answer: &serde_json::Value) -> Result<CreatedLink, AppError> {
    let mut link: CreatedLink = serde_json::from_value(answer.clone())
        .map_err(|e| AppError::internal_from("an idempotent link answer does not parse", e))?;
    let old = layout::link_token_key(&link.token_hash);
    let Some(item) = deps.table.get(&old).await? else {
        // Already replaced by a concurrent retry, or deleted after expiry.
        return Err(AppError::IdempotencyRace);
    };
    let token = new_token();
    let hash = token_hash(&token);
    let moved = Item { key: layout::link_token_key(&hash), ..item.clone() };
    deps.table
        .transact(vec![
            Write::Delete { key: old, condition: Condition::Exists },
            Write::Put { item: moved, condition: Condition::NotExists },
        ])
        .await
        .map_err(|_| AppError::IdempotencyRace)?;
    link.token = token;
    link.token_hash = hash;
    Ok(link)
}

/// The link a token stands for: `NotFound` for a token that is not one (or an API key),
/// `LinkExpired` past its expiry.
pub async fn resolve(deps: &Deps, token: &str) -> Result<Link, AppError> {
    if !is_well_formed(token) {
        return Err(AppError::NotFound("link"));
    }
    let hash = token_hash(token);
    let item = deps.table.get(&layout::link_token_key(&hash)).await?.ok_or(AppError::NotFound("link"))?;
    let stored: StoredLink = json::from_body("kyc link", &item.body)?;
    if deps.clock.now() >= stored.expires_at {
        return Err(AppError::LinkExpired);
    }
    Ok(Link {
        id: stored.id,
        tenant: stored.tenant,
        lead_id: stored.lead_id,
        expires_at: stored.expires_at,
        redirect_url: stored.redirect_url,
        token_hash: hash,
    })
}

/// One document step of the page: a requirement, the kinds that satisfy it.
#[derive(Debug, Clone, Serialize)]
pub struct Step {
    pub requirement: String,
    pub kinds: Vec<DocumentKind>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub director_index: Option<u32>,
    pub satisfied: bool,
}

/// A document as the customer sees it: its kind and state, and which checks failed
/// (names only, never the data read).
#[derive(Debug, Clone, Serialize)]
pub struct DocumentSummary {
    pub id: DocumentId,
    pub kind: DocumentKind,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub director_index: Option<u32>,
    pub status: DocumentStatus,
    pub failed_checks: Vec<String>,
    pub created_at: DateTime<Utc>,
}

/// What the hosted page shows: the lead's progress through its level, nothing personal.
#[derive(Debug, Clone, Serialize)]
pub struct LinkSession {
    pub object: &'static str,
    pub link_id: LinkId,
    pub status: Status,
    pub level: Level,
    #[serde(rename = "type")]
    pub lead_type: LeadType,
    pub steps: Vec<Step>,
    pub documents: Vec<DocumentSummary>,
    /// Whether the customer has nothing left to do on the page.
    pub complete: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub redirect_url: Option<String>,
    pub expires_at: DateTime<Utc>,
}

impl Replayable for LinkSession {}

const ALL_KINDS: [DocumentKind; 11] = [
    DocumentKind::Passport,
    DocumentKind::NationalId,
    DocumentKind::DriversLicense,
    DocumentKind::ProofOfAddress,
    DocumentKind::Selfie,
    DocumentKind::SourceOfFunds,
    DocumentKind::CertificateOfIncorporation,
    DocumentKind::BusinessRegistration,
    DocumentKind::DirectorId,
    DocumentKind::ProofOfBusinessAddress,
    DocumentKind::ShareholderRegister,
];

fn step_of(requirement: Requirement, lead: &Lead) -> Step {
    let director_index = match requirement {
        Requirement::DirectorId(n) => Some(n),
        _ => None,
    };
    Step {
        requirement: requirement.to_string(),
        kinds: ALL_KINDS.into_iter().filter(|k| k.satisfies(director_index) == Some(requirement)).collect(),
        director_index,
        satisfied: lead.requirements.satisfied.contains(&requirement),
    }
}

fn session_of(link: &Link, lead: &Lead, documents: Vec<Document>) -> LinkSession {
    let steps: Vec<Step> =
        lead.requirements.required.iter().filter(|r| r.is_document()).map(|r| step_of(*r, lead)).collect();
    let documents: Vec<DocumentSummary> = documents
        .into_iter()
        .filter(|d| d.status != DocumentStatus::PendingUpload || d.file.is_some())
        .map(|d| DocumentSummary {
            failed_checks: d
                .checks
                .iter()
                .filter(|c| c.result == kyc_domain::documents::CheckResult::Fail)
                .map(|c| c.name.clone())
                .collect(),
            id: d.id,
            kind: d.kind,
            director_index: d.director_index,
            status: d.status,
            created_at: d.created_at,
        })
        .collect();
    let waiting = documents.iter().any(|d| matches!(d.status, DocumentStatus::Uploaded));
    let complete =
        lead.is_decided() || lead.status == Status::UnderReview || (steps.iter().all(|s| s.satisfied) && !waiting);
    LinkSession {
        object: "kyc_link_session",
        link_id: link.id.clone(),
        status: lead.status,
        level: lead.level,
        lead_type: lead.lead_type,
        steps,
        documents,
        complete,
        redirect_url: link.redirect_url.clone(),
        expires_at: link.expires_at,
    }
}

/// The page's state (a read: it changes nothing).
pub async fn session(deps: &Deps, link: &Link) -> Result<LinkSession, AppError> {
    // Documents first, then the lead: a scoring writes a document's result and the
    // lead's decision in one transaction, so a lead read after its documents is at
    // least as new as them. Read the other way round, a scoring landing between the two
    // reads shows a checked document beside a lead still waiting for it, and the page,
    // which stops polling once its document is checked, would never see the decision.
    let documents = documents_of(deps, &link.tenant, &link.lead_id).await?;
    let record = load(deps, &link.tenant, link.lead_id.as_str()).await?;
    Ok(session_of(link, &record.lead, documents))
}

/// The page's first call: records `link.opened` once per link and moves a
/// `not_started` lead to `in_progress`, in one transaction. Later calls change nothing.
pub async fn open(deps: &Deps, link: &Link) -> Result<LinkSession, AppError> {
    mutate(deps, &link.tenant, link.lead_id.as_str(), None, None, OpenLink { deps, link }).await?;
    session(deps, link).await
}

/// Whether this call opened the link (`false`: it was open already).
#[derive(Debug, Serialize)]
struct Opened(bool);

impl Replayable for Opened {}

struct OpenLink<'a> {
    deps: &'a Deps,
    link: &'a Link,
}

#[async_trait::async_trait]
impl AsyncChange<Opened> for OpenLink<'_> {
    async fn apply(&self, record: &LeadRecord, now: DateTime<Utc>) -> Result<Outcome<Opened>, AppError> {
        // Read on every attempt: a concurrent first call may have opened it meanwhile.
        let key = layout::link_token_key(&self.link.token_hash);
        let item = self.deps.table.get(&key).await?.ok_or(AppError::NotFound("link"))?;
        if item.n(OPENED) != Some(0) {
            return Ok(Outcome::Unchanged(Opened(false)));
        }
        let actor = self.link.audit_actor();
        let before = &record.lead;
        let lead = if before.status == Status::NotStarted {
            let start = Decision {
                to: Status::InProgress,
                reasons: Vec::new(),
                note: None,
                is_final: false,
                origin: DecisionOrigin::System,
                at: now,
            };
            transition(before, &start)?
        } else {
            before.clone()
        };
        let opened = EventPayload::LinkOpened(LinkOpened {
            lead_id: lead.id.clone(),
            lead_version: lead.version,
            link_id: self.link.id.to_string(),
        });
        let mut events = vec![event(self.deps, now, actor.clone(), opened)];
        if lead.status != before.status {
            let moved = EventPayload::StatusChanged(StatusChanged {
                lead_id: lead.id.clone(),
                lead_version: lead.version,
                origin: StatusChangeOrigin::Manual { reviewer_label: None, is_final: None },
                capabilities: None,
            });
            let mut draft = event(self.deps, now, actor, moved);
            draft.from_status = Some(before.status);
            draft.to_status = Some(lead.status);
            events.push(draft);
        }
        let marked =
            Write::Put { item: item.with_n(OPENED, 1), condition: Condition::AttrEquals(OPENED.into(), Attr::N(0)) };
        Ok(Outcome::Changed(Change {
            lead,
            evidence: None,
            follow_ups: None,
            first_approval: None,
            identity_pending: None,
            events,
            extra: vec![marked],
            output: Opened(true),
        }))
    }
}

/// Asks for an upload URL for one of the lead's documents, as the customer.
pub async fn request_upload(
    deps: &Deps,
    link: &Link,
    request: DocumentRequest,
    idempotency: Option<&Idempotency>,
) -> Result<DocumentUpload, AppError> {
    request_upload_as(deps, &link.tenant, link.audit_actor(), link.lead_id.as_str(), request, idempotency).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_carry_256_random_bits_and_are_told_apart_from_anything_else() {
        let a = new_token();
        let b = new_token();
        assert_ne!(a, b);
        assert!(is_well_formed(&a) && a.len() == TOKEN_LEN);
        assert_eq!(token_hash(&a).len(), 64);
        for bad in ["", "kyl_", "sk_live_12345678", &a[..a.len() - 1], &format!("{a}x"), &a.replace("kyl_", "kyx_")] {
            assert!(!is_well_formed(bad), "{bad}");
        }
    }
}
