//! Changing a lead's data with a JSON merge patch (RFC 7396): only the patchable
//! fields, re-validated whole, one version and one `lead.updated` event per change.

use chrono::{DateTime, Utc};
use serde_json::{Map, Value, json};

use kyc_domain::events::{EventPayload, LeadUpdated};
use kyc_domain::lead::Lead;
use kyc_domain::lead::input::LeadInput;
use kyc_domain::requirement::evaluate;
use kyc_domain::validation::Errors;

use crate::Deps;
use crate::error::AppError;
use crate::json;
use crate::store::idempotency::Idempotency;
use crate::store::unit_of_work::{actor, event};
use crate::store::{Change, LeadRecord, Outcome, mutate};
use crate::tenant::TenantId;

/// Top-level fields a PATCH may carry.
const PATCHABLE: [&str; 7] = ["email", "individual", "business", "address", "signals", "level", "metadata"];

pub async fn patch_lead(
    deps: &Deps,
    tenant: &TenantId,
    id: &str,
    patch: Value,
    if_match: Option<u64>,
    idempotency: Option<&Idempotency>,
) -> Result<Lead, AppError> {
    let Value::Object(patch) = patch else {
        return Err(AppError::field("body", "must be a JSON object"));
    };
    let mut errors = Errors::default();
    for key in patch.keys() {
        if ["type", "external_id"].contains(&key.as_str()) {
            errors.add(key.as_str(), "cannot be changed after the lead is created");
        } else if key == "sumsub_share_token" {
            errors.add(key.as_str(), "Sumsub share-token import is not available in this version");
        } else if !PATCHABLE.contains(&key.as_str()) {
            errors.add(key.as_str(), "is not a field that PATCH can change");
        } else if key == "level" && patch[key].is_null() {
            errors.add("level", "cannot be removed; set basic, enhanced or premium");
        }
    }
    if !errors.is_empty() {
        return Err(AppError::Validation(errors.0));
    }
    mutate(deps, tenant, id, if_match, idempotency, |record: &LeadRecord, now: DateTime<Utc>| {
        let lead = &record.lead;
        let current = patchable_fields(lead)?;
        let mut merged = current.clone();
        merge_patch(&mut merged, &patch);
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
        let payload =
            EventPayload::LeadUpdated(LeadUpdated { lead_id: lead.id.clone(), lead_version: next.version, changed });
        let event = event(deps, now, actor::api(None), payload);
        Ok(Change::one(next.clone(), event, next))
    })
    .await
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
