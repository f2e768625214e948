//! Explainable risk scoring of a lead: its countries against the country lists, its
//! documents' checks, its behaviour and its screening hits.
//!
//! A score is the clamped sum (0..=100) of the points of its factors; every factor
//! names its code, category, points and a reason a reviewer can read, free of
//! personal data. The points and thresholds live in a versioned [`RiskPolicy`] so a
//! stored score can always say which policy produced it.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::documents::{Check, CheckResult};
use crate::lead::{Lead, Risk, RiskCategory, RiskFactor, RiskLevel};
use crate::risk::country_lists::{CountryList, CountryLists};
use crate::risk::screening::{HitKind, ScreeningHit};

/// Points per factor and the level thresholds. Every change of a number or of the
/// shipped country lists deserves a new `version`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RiskPolicy {
    pub version: String,
    /// A score at or above this is `medium` (and below `high_from`).
    pub medium_from: u32,
    pub high_from: u32,
    pub critical_from: u32,

    // Geography: points when the country comes from a field of full weight.
    pub sanctioned_country: u32,
    pub fatf_call_for_action: u32,
    pub fatf_increased_monitoring: u32,
    pub eu_high_risk: u32,
    /// Share (percent) of a list's points carried by each country field.
    pub address_country_weight_percent: u32,
    pub incorporation_country_weight_percent: u32,
    pub nationality_weight_percent: u32,
    pub director_nationality_weight_percent: u32,
    pub ip_country_weight_percent: u32,

    // Document.
    /// Per distinct failed check name.
    pub document_check_failed: u32,
    /// Per distinct check name that warned (and did not also fail).
    pub document_check_warning: u32,
    pub duplicate_document: u32,

    // Behaviour.
    pub disposable_email: u32,
    pub ip_country_mismatch: u32,
    pub velocity_ip: u32,
    pub velocity_device: u32,
    /// Other leads from the same IP address or device in the last hour from which
    /// the velocity factors count.
    pub velocity_from: u32,
    pub repeated_reuploads: u32,
    /// Re-uploads of documents of the same kind from which `repeated_reuploads` counts.
    pub reuploads_from: u32,

    // External.
    /// Per sanctions screening hit.
    pub sanctions_match: u32,
    /// Per PEP screening hit.
    pub pep_match: u32,
}

impl Default for RiskPolicy {
    fn default() -> Self {
        RiskPolicy {
            version: "2026-11-2".to_string(),
            medium_from: 25,
            high_from: 50,
            critical_from: 75,

            sanctioned_country: 80,
            fatf_call_for_action: 50,
            fatf_increased_monitoring: 15,
            eu_high_risk: 25,
            address_country_weight_percent: 100,
            incorporation_country_weight_percent: 100,
            nationality_weight_percent: 100,
            director_nationality_weight_percent: 75,
            ip_country_weight_percent: 75,

            document_check_failed: 30,
            document_check_warning: 10,
            duplicate_document: 40,

            disposable_email: 25,
            ip_country_mismatch: 10,
            velocity_ip: 20,
            velocity_device: 30,
            velocity_from: 3,
            repeated_reuploads: 15,
            reuploads_from: 3,

            sanctions_match: 80,
            pep_match: 50,
        }
    }
}

impl RiskPolicy {
    /// The level a score falls in.
    pub fn level_for(&self, score: u32) -> RiskLevel {
        if score >= self.critical_from {
            RiskLevel::Critical
        } else if score >= self.high_from {
            RiskLevel::High
        } else if score >= self.medium_from {
            RiskLevel::Medium
        } else {
            RiskLevel::Low
        }
    }

    fn list_points(&self, list: CountryList) -> u32 {
        match list {
            CountryList::Sanctioned => self.sanctioned_country,
            CountryList::FatfCallForAction => self.fatf_call_for_action,
            CountryList::FatfIncreasedMonitoring => self.fatf_increased_monitoring,
            CountryList::EuHighRisk => self.eu_high_risk,
        }
    }

    fn field_weight(&self, field: CountryField) -> u32 {
        match field {
            CountryField::Address => self.address_country_weight_percent,
            CountryField::Incorporation => self.incorporation_country_weight_percent,
            CountryField::Nationality => self.nationality_weight_percent,
            CountryField::DirectorNationality => self.director_nationality_weight_percent,
            CountryField::IpCountry => self.ip_country_weight_percent,
        }
    }
}

/// Where a listed country came from, in descending weight by default: for one list a
/// country counts once, at its heaviest field (ties: the first in this order).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
enum CountryField {
    Address,
    Incorporation,
    Nationality,
    DirectorNationality,
    IpCountry,
}

impl CountryField {
    fn label(self) -> &'static str {
        match self {
            CountryField::Address => "address country",
            CountryField::Incorporation => "country of incorporation",
            CountryField::Nationality => "nationality",
            CountryField::DirectorNationality => "a director's nationality",
            CountryField::IpCountry => "IP country",
        }
    }
}

/// Everything a score is computed from; the counters come from the store.
#[derive(Debug, Clone, Copy)]
pub struct RiskInput<'a> {
    pub lead: &'a Lead,
    /// All checks of the lead's documents.
    pub document_checks: &'a [Check],
    /// The same file hash is on another lead of the tenant.
    pub duplicate_document: bool,
    /// Other leads from `signals.ip_address` in the last hour.
    pub leads_same_ip_last_hour: u32,
    /// Other leads from `signals.device_id` in the last hour.
    pub leads_same_device_last_hour: u32,
    /// Documents of the same kind uploaded again.
    pub reuploads: u32,
    pub screening: &'a [ScreeningHit],
}

/// A score together with the version of the policy that produced it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScoredRisk {
    pub risk: Risk,
    pub policy_version: String,
}

/// Scores a lead: every factor that applies, their clamped sum and its level.
/// Factors are ordered by points (highest first), then category, code and detail.
pub fn score(input: &RiskInput, policy: &RiskPolicy, lists: &CountryLists, now: DateTime<Utc>) -> ScoredRisk {
    let mut factors = Vec::new();
    geography(input.lead, policy, lists, &mut factors);
    documents(input, policy, &mut factors);
    behaviour(input, policy, &mut factors);
    external(input.screening, policy, &mut factors);
    factors.retain(|f| f.points > 0);
    factors.sort_by(|a, b| {
        b.points
            .cmp(&a.points)
            .then_with(|| category_rank(a.category).cmp(&category_rank(b.category)))
            .then_with(|| a.code.cmp(&b.code))
            .then_with(|| a.detail.cmp(&b.detail))
    });
    let score = factors.iter().fold(0u32, |sum, f| sum.saturating_add(f.points)).min(100);
    ScoredRisk {
        risk: Risk { score, level: policy.level_for(score), factors, scored_at: now },
        policy_version: policy.version.clone(),
    }
}

fn category_rank(category: RiskCategory) -> u8 {
    match category {
        RiskCategory::Geography => 0,
        RiskCategory::Document => 1,
        RiskCategory::Behaviour => 2,
        RiskCategory::External => 3,
    }
}

fn factor(code: &str, category: RiskCategory, points: u32, detail: String) -> RiskFactor {
    RiskFactor { code: code.to_string(), category, points, detail }
}

fn geography(lead: &Lead, policy: &RiskPolicy, lists: &CountryLists, factors: &mut Vec<RiskFactor>) {
    let mut sources: Vec<(CountryField, &str)> = Vec::new();
    if let Some(address) = &lead.address {
        sources.push((CountryField::Address, &address.country));
    }
    if let Some(business) = &lead.business {
        if let Some(country) = &business.country_of_incorporation {
            sources.push((CountryField::Incorporation, country));
        }
        for director in &business.directors {
            if let Some(country) = &director.nationality {
                sources.push((CountryField::DirectorNationality, country));
            }
        }
    }
    if let Some(country) = lead.individual.as_ref().and_then(|i| i.nationality.as_deref()) {
        sources.push((CountryField::Nationality, country));
    }
    if let Some(country) = lead.signals.as_ref().and_then(|s| s.ip_country.as_deref()) {
        sources.push((CountryField::IpCountry, country));
    }

    for list in CountryList::ALL {
        let Some(listed) = lists.list(list) else { continue };
        // For this list, each listed country once, at its heaviest field.
        let mut heaviest: BTreeMap<String, CountryField> = BTreeMap::new();
        for (field, country) in &sources {
            let code = country.trim().to_ascii_uppercase();
            if !listed.countries.contains(&code) {
                continue;
            }
            let heavier = |current: CountryField| {
                (policy.field_weight(*field), std::cmp::Reverse(*field))
                    > (policy.field_weight(current), std::cmp::Reverse(current))
            };
            heaviest
                .entry(code)
                .and_modify(|f| {
                    if heavier(*f) {
                        *f = *field
                    }
                })
                .or_insert(*field);
        }
        let fields: BTreeSet<CountryField> = heaviest.into_values().collect();
        for field in fields {
            let points = weighted(policy.list_points(list), policy.field_weight(field));
            let detail = format!("{} is on the {} (as of {})", field.label(), list.label(), listed.as_of);
            factors.push(factor(list.factor_code(), RiskCategory::Geography, points, detail));
        }
    }
}

/// `points × weight %`, rounded half up.
fn weighted(points: u32, weight_percent: u32) -> u32 {
    u32::try_from((u64::from(points) * u64::from(weight_percent) + 50) / 100).unwrap_or(u32::MAX)
}

fn documents(input: &RiskInput, policy: &RiskPolicy, factors: &mut Vec<RiskFactor>) {
    let mut failed: BTreeMap<&str, u32> = BTreeMap::new();
    let mut warned: BTreeMap<&str, u32> = BTreeMap::new();
    for check in input.document_checks {
        match check.result {
            CheckResult::Fail => *failed.entry(&check.name).or_default() += 1,
            CheckResult::Warn => *warned.entry(&check.name).or_default() += 1,
            CheckResult::Pass => {}
        }
    }
    for (name, count) in &failed {
        let detail = format!("document check `{name}` failed{}", times(*count));
        factors.push(factor("document_check_failed", RiskCategory::Document, policy.document_check_failed, detail));
    }
    // A verification check that only warns says a machine could not establish
    // something (not machine-read, no comparison yet, the service unavailable): a person
    // decides that lead, told why by its review reasons, but nothing is known against
    // it. Only what such a check finds (a fail) is risk.
    let unverified = |name: &str| crate::verification::VERIFICATION_CHECKS.contains(&name);
    for (name, count) in warned.iter().filter(|(name, _)| !failed.contains_key(*name) && !unverified(name)) {
        let detail = format!("document check `{name}` gave a warning{}", times(*count));
        factors.push(factor("document_check_warning", RiskCategory::Document, policy.document_check_warning, detail));
    }
    if input.duplicate_document {
        let detail = "the same file was uploaded for another lead of this tenant".to_string();
        factors.push(factor("duplicate_document", RiskCategory::Document, policy.duplicate_document, detail));
    }
}

fn times(count: u32) -> String {
    if count > 1 { format!(" on {count} documents") } else { String::new() }
}

fn behaviour(input: &RiskInput, policy: &RiskPolicy, factors: &mut Vec<RiskFactor>) {
    let lead = input.lead;
    if lead.email.as_deref().is_some_and(super::disposable_email::is_disposable) {
        let detail = "the e-mail address uses a disposable e-mail domain".to_string();
        factors.push(factor("disposable_email", RiskCategory::Behaviour, policy.disposable_email, detail));
    }
    let ip_country = lead.signals.as_ref().and_then(|s| s.ip_country.as_deref()).map(str::trim);
    let address_country = lead.address.as_ref().map(|a| a.country.trim());
    let mismatch = match (ip_country, address_country) {
        (Some(ip), Some(address)) => !ip.is_empty() && !ip.eq_ignore_ascii_case(address),
        _ => false,
    };
    if mismatch {
        let detail = "the IP address is located in a country other than the address country".to_string();
        factors.push(factor("ip_country_mismatch", RiskCategory::Behaviour, policy.ip_country_mismatch, detail));
    }
    if input.leads_same_ip_last_hour >= policy.velocity_from {
        let detail =
            format!("{} other leads came from the same IP address in the last hour", input.leads_same_ip_last_hour);
        factors.push(factor("velocity_ip", RiskCategory::Behaviour, policy.velocity_ip, detail));
    }
    if input.leads_same_device_last_hour >= policy.velocity_from {
        let detail =
            format!("{} other leads came from the same device in the last hour", input.leads_same_device_last_hour);
        factors.push(factor("velocity_device", RiskCategory::Behaviour, policy.velocity_device, detail));
    }
    if input.reuploads >= policy.reuploads_from {
        let detail = format!("documents of the same kind were uploaded again {} times", input.reuploads);
        factors.push(factor("repeated_reuploads", RiskCategory::Behaviour, policy.repeated_reuploads, detail));
    }
}

fn external(hits: &[ScreeningHit], policy: &RiskPolicy, factors: &mut Vec<RiskFactor>) {
    for hit in hits {
        let (code, points, what) = match hit.kind {
            HitKind::Sanctions => ("sanctions_match", policy.sanctions_match, "sanctions"),
            HitKind::Pep => ("pep_match", policy.pep_match, "PEP"),
        };
        let birth_date = match hit.birth_date_agrees {
            Some(true) => "; birth date agrees",
            Some(false) => "; birth date disagrees",
            None => "",
        };
        let detail = format!(
            "a screened name matches {what} list entry {} ({}) by its {} at {} %{birth_date}",
            hit.list_entry_id, hit.dataset, hit.matched_name_field, hit.score_percent
        );
        factors.push(factor(code, RiskCategory::External, points, detail));
    }
}

/// The lead's `compliance_flags` that a risk calls for: the codes of its geography
/// and external factors and of a duplicate document, sorted and unique. These stay
/// visible to a compliance officer whatever the total score.
pub fn compliance_flags(risk: &Risk) -> Vec<String> {
    let flags: BTreeSet<&str> = risk
        .factors
        .iter()
        .filter(|f| {
            matches!(f.category, RiskCategory::Geography | RiskCategory::External) || f.code == "duplicate_document"
        })
        .map(|f| f.code.as_str())
        .collect();
    flags.into_iter().map(str::to_string).collect()
}
