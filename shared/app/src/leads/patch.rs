//! Changing a lead's data with a JSON merge patch (RFC 7396): only the patchable
//! fields, re-validated whole, one version and one `lead.updated` event per change; a
//! change of what risk is computed from is scored in the same write (with the re-check
//! of identity documents when who the lead names changed), and the level cannot go
//! below what the risk requires.

use chrono::{DateTime, Utc};
use serde_json::{Map, Value, json};

use kyc_domain::events::{EventPayload, LeadUpdated};
use kyc_domain::lead::Lead;
use kyc_domain::lead::input::LeadInput;
use kyc_domain::requirement::evaluate;
use kyc_domain::risk::level_floor;
use kyc_domain::validation::Errors;

use crate::Deps;
use crate::auth::Principal;
use crate::error::AppError;
use crate::json;
use crate::scoring::lead::{DataChange, score_data};
use crate::store::idempotency::Idempotency;
use crate::store::unit_of_work::event;
use crate::store::{AsyncChange, Change, LeadRecord, Outcome, mutate};

/// Top-level fields a PATCH may carry.
const PATCHABLE: [&str; 7] = ["email", "individual", "business", "address", "signals", "level", "metadata"];

pub async fn patch_lead(
    deps: &Deps,
    by: &Principal,
    id: &str,
    patch: Value,
    if_match: Option<u64>,
    idempotency: Option<&Idempotency>,
) -> Result<Lead, AppError> {
    let Value::Object(mut patch) = patch else {
        return Err(AppError::field("body", "must be a JSON object"));
    };
    let share_token = match patch.remove(crate::sumsub::TOKEN_FIELD) {
        None => None,
        Some(token) => Some(crate::sumsub::share_token(token)?),
    };
    let mut errors = Errors::default();
    for key in patch.keys() {
        if ["type", "external_id"].contains(&key.as_str()) {
            errors.add(key.as_str(), "cannot be changed after the lead is created");
        } else if !PATCHABLE.contains(&key.as_str()) {
            errors.add(key.as_str(), "is not a field that PATCH can change");
        } else if key == "level" && patch[key].is_null() {
            errors.add("level", "cannot be removed; set basic, enhanced or premium");
        }
    }
    if !errors.is_empty() {
        return Err(AppError::Validation(errors.0));
    }
    let change = PatchLead { deps, by, patch };
    match share_token {
        None => mutate(deps, &by.tenant, id, if_match, idempotency, change).await,
        Some(token) => crate::sumsub::import_into(deps, by, id, if_match, idempotency, change, token).await,
    }
}

/// Fields whose change is a change of what risk is computed from.
const SCORED: [&str; 5] = ["email", "individual", "business", "address", "signals"];

pub(crate) struct PatchLead<'a> {
    deps: &'a Deps,
    by: &'a Principal,
    patch: Map<String, Value>,
}

#[async_trait::async_trait]
impl AsyncChange<Lead> for PatchLead<'_> {
    async fn apply(&self, record: &LeadRecord, now: DateTime<Utc>) -> Result<Outcome<Lead>, AppError> {
        let lead = &record.lead;
        let current = patchable_fields(lead)?;
        let mut merged = current.clone();
        merge_patch(&mut merged, &self.patch);
        let changed: Vec<String> =
            PATCHABLE.iter().filter(|k| current.get(**k) != merged.get(**k)).map(|k| k.to_string()).collect();
        if changed.is_empty() {
            return Ok(Outcome::Unchanged(lead.clone()));
        }
        if lead.is_decided() && changed.iter().any(|k| k != "metadata") {
            return Err(AppError::LeadDecided);
        }
        let mut as_input = merged;
        as_input.insert("type".into(), json::to_value("lead type", &lead.lead_type)?);
        let input: LeadInput = json::parse_input(Value::Object(as_input))?;
        let data = input.validate(now.date_naive()).map_err(AppError::Validation)?;
        let mut next = lead.clone();
        next.email = data.email;
        next.individual = data.individual;
        next.business = data.business;
        next.address = data.address;
        next.signals = data.signals;
        next.level = data.level;
        next.metadata = data.metadata;
        next.requirements = evaluate(&next, &record.evidence);
        next.version = lead.version + 1;
        next.updated_at = now;
        let payload = EventPayload::LeadUpdated(LeadUpdated {
            lead_id: lead.id.clone(),
            lead_version: next.version,
            changed: changed.clone(),
        });
        let updated = event(self.deps, now, self.by.audit_actor(), payload);

        // A change of what risk is computed from is scored in this same write.
        let rescore = changed.iter().any(|k| SCORED.contains(&k.as_str()));
        let scored = if rescore {
            let change = DataChange {
                tenant: &record.tenant,
                before: Some(lead),
                lead: next.clone(),
                evidence: &record.evidence,
                identity_pending: record.identity_pending,
            };
            Some(score_data(self.deps, change, now).await?)
        } else {
            None
        };
        // The level may not go below what the risk (as this change leaves it) requires.
        if changed.iter().any(|k| k == "level") {
            let risk = scored.as_ref().map(|s| &s.verdict.risk).or(lead.risk.as_ref());
            if let Some(risk) = risk.filter(|r| next.level < level_floor(r.level)) {
                return Err(AppError::field(
                    "level",
                    format!(
                        "cannot be below {} while the lead's risk is {}",
                        level_floor(risk.level).as_str(),
                        risk.level.as_str()
                    ),
                ));
            }
        }
        let Some(scored) = scored else {
            return Ok(Change::one(next.clone(), updated, next));
        };
        let mut events = vec![updated];
        events.extend(scored.events);
        Ok(Outcome::Changed(Change {
            lead: scored.lead.clone(),
            evidence: Some(scored.evidence),
            follow_ups: None,
            first_approval: None,
            identity_pending: Some(scored.identity_pending),
            events,
            extra: scored.extra,
            output: scored.lead,
        }))
    }
}

/// The lead's patchable fields as JSON, absent ones left out (merge-patch treats null
/// as "remove").
fn patchable_fields(lead: &Lead) -> Result<Map<String, Value>, AppError> {
    let all = json!({ "email": lead.email, "individual": lead.individual, "business": lead.business,
                      "address": lead.address, "signals": lead.signals, "level": lead.level,
                      "metadata": lead.metadata });
    let Value::Object(map) = all else { return Err(AppError::internal("a lead's fields are not an object")) };
    // Absent, null and empty metadata are one state, so removing it is no change.
    Ok(map
        .into_iter()
        .filter(|(k, v)| !(v.is_null() || (k == "metadata" && v.as_object().is_some_and(Map::is_empty))))
        .collect())
}

/// RFC 7396 JSON merge patch of an object.
pub fn merge_patch(target: &mut Map<String, Value>, patch: &Map<String, Value>) {
    for (key, value) in patch {
        match value {
            Value::Null => {
                target.remove(key);
            }
            Value::Object(inner_patch) => {
                let entry = target.entry(key.clone()).or_insert_with(|| Value::Object(Map::new()));
                if !entry.is_object() {
                    *entry = Value::Object(Map::new());
                }
                if let Value::Object(inner) = entry {
                    merge_patch(inner, inner_patch);
                }
            }
            other => {
                target.insert(key.clone(), other.clone());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_merge_patch_replaces_removes_and_merges_nested_objects() {
        let mut target = json!({ "a": 1, "b": { "c": 2, "d": 3 }, "e": 4 }).as_object().cloned().expect("object");
        let patch = json!({ "a": 9, "b": { "c": null, "x": 1 }, "e": null, "f": [1] });
        merge_patch(&mut target, patch.as_object().expect("object"));
        assert_eq!(Value::Object(target), json!({ "a": 9, "b": { "d": 3, "x": 1 }, "f": [1] }));
    }
}
