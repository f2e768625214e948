//! Risk scoring: one rule per factor, the level thresholds, and the country lists.

use chrono::{DateTime, Utc};
use kyc_domain::documents::Check;
use kyc_domain::lead::{Address, Business, Director, Individual, LeadObject, RiskCategory, RiskLevel, Signals};
use kyc_domain::risk::screening::{HitKind, ScreeningHit};
use kyc_domain::risk::{CountryList, CountryLists, RiskInput, RiskPolicy, ScoredRisk, compliance_flags, score};
use kyc_domain::*;
use uuid::Uuid;

fn at() -> DateTime<Utc> {
    DateTime::from_timestamp(1_793_491_200, 0).unwrap_or_default()
}

/// An individual living in Germany, German national, with a plain e-mail address and
/// no signals: no factor applies.
fn clean_lead() -> Lead {
    Lead {
        id: LeadId::from_uuid(Uuid::now_v7()),
        object: LeadObject::Lead,
        lead_type: LeadType::Individual,
        status: Status::InProgress,
        level: Level::Enhanced,
        source: Source::Api,
        external_id: None,
        email: Some("mara.example@example.com".into()),
        individual: Some(Individual {
            first_name: "Mara".into(),
            last_name: "Example".into(),
            date_of_birth: None,
            nationality: Some("DE".into()),
            phone: None,
        }),
        business: None,
        address: Some(Address {
            line1: "1 Example Street".into(),
            line2: None,
            city: "Berlin".into(),
            postal_code: None,
            state: None,
            country: "DE".into(),
        }),
        signals: None,
        requirements: Requirements::default(),
        risk: None,
        compliance_flags: vec![],
        review_reasons: vec![],
        rejection: None,
        hold: None,
        capabilities: Default::default(),
        sumsub: None,
        metadata: Default::default(),
        version: 1,
        created_at: at(),
        updated_at: at(),
        status_changed_at: at(),
    }
}

fn business_lead(incorporated: &str, director_nationalities: &[&str]) -> Lead {
    let mut lead = clean_lead();
    lead.lead_type = LeadType::Business;
    lead.individual = None;
    lead.business = Some(Business {
        legal_name: "Example Widgets GmbH".into(),
        registration_number: None,
        country_of_incorporation: Some(incorporated.into()),
        directors: director_nationalities
            .iter()
            .map(|n| Director {
                first_name: "Dana".into(),
                last_name: "Example".into(),
                date_of_birth: None,
                nationality: Some((*n).into()),
            })
            .collect(),
    });
    lead
}

fn input(lead: &Lead) -> RiskInput<'_> {
    RiskInput {
        lead,
        document_checks: &[],
        duplicate_document: false,
        leads_same_ip_last_hour: 0,
        leads_same_device_last_hour: 0,
        reuploads: 0,
        screening: &[],
    }
}

/// Fixed lists, so that these rules do not change when operators update the shipped
/// file: CU sanctioned; MM call for action; HT and KE increased monitoring; AF EU
/// high-risk; KP on all but the grey list.
fn lists() -> CountryLists {
    let list = |name: &str, as_of: &str, codes: &[&str]| {
        let countries: Vec<String> = codes.iter().map(|c| format!(r#"{{"code":"{c}"}}"#)).collect();
        format!(
            r#"{{"list":"{name}","as_of":"{as_of}","source":{{"url":"https://lists.example","publication":"test"}},"countries":[{}]}}"#,
            countries.join(",")
        )
    };
    let json = format!(
        r#"{{"lists":[{},{},{},{}]}}"#,
        list("sanctioned", "2025-07-01", &["CU", "KP"]),
        list("fatf_call_for_action", "2026-06-19", &["MM", "KP"]),
        list("fatf_increased_monitoring", "2026-06-19", &["HT", "KE"]),
        list("eu_high_risk", "2026-01-29", &["AF", "KP"]),
    );
    CountryLists::parse(&json).expect("test lists parse")
}

fn scored(input: &RiskInput) -> ScoredRisk {
    score(input, &RiskPolicy::default(), &lists(), at())
}

fn codes(scored: &ScoredRisk) -> Vec<&str> {
    scored.risk.factors.iter().map(|f| f.code.as_str()).collect()
}

fn with_ip_country(mut lead: Lead, country: &str) -> Lead {
    lead.signals = Some(Signals { ip_country: Some(country.into()), ..Signals::default() });
    lead
}

fn hit(kind: HitKind, score_percent: u32) -> ScreeningHit {
    ScreeningHit {
        list_entry_id: "fic-p-001".into(),
        kind,
        score_percent,
        matched_name_field: "alias",
        birth_date_agrees: Some(true),
        dataset: "Synthetic Sanctions Sample".into(),
    }
}

// ---- no factor -------------------------------------------------------------------

#[test]
fn when_nothing_applies_should_score_zero_low_and_record_the_policy_version() {
    let lead = clean_lead();
    let result = scored(&input(&lead));
    assert_eq!(result.risk.score, 0);
    assert_eq!(result.risk.level, RiskLevel::Low);
    assert!(result.risk.factors.is_empty());
    assert_eq!(result.risk.scored_at, at());
    assert_eq!(result.policy_version, "2026-11-2");
}

// ---- geography -------------------------------------------------------------------

#[test]
fn when_address_country_is_comprehensively_sanctioned_should_be_critical() {
    let mut lead = clean_lead();
    if let Some(a) = lead.address.as_mut() {
        a.country = "CU".into();
    }
    let result = scored(&input(&lead));
    assert_eq!(codes(&result), ["geo_sanctioned_country"]);
    assert_eq!(result.risk.factors[0].points, RiskPolicy::default().sanctioned_country);
    assert_eq!(result.risk.factors[0].category, RiskCategory::Geography);
    assert_eq!(result.risk.level, RiskLevel::Critical);
}

#[test]
fn when_address_country_is_on_the_fatf_call_for_action_list_should_name_list_and_date_but_not_the_country() {
    let mut lead = clean_lead();
    if let Some(a) = lead.address.as_mut() {
        a.country = "MM".into();
    }
    let result = scored(&input(&lead));
    assert_eq!(codes(&result), ["geo_fatf_call_for_action"]);
    let detail = &result.risk.factors[0].detail;
    assert_eq!(detail, "address country is on the FATF call-for-action list (as of 2026-06-19)");
    assert_eq!(result.risk.level, RiskLevel::High);
}

#[test]
fn when_nationality_is_on_the_fatf_increased_monitoring_list_only_should_add_its_points() {
    let mut lead = clean_lead();
    if let Some(i) = lead.individual.as_mut() {
        i.nationality = Some("HT".into());
    }
    let result = scored(&input(&lead));
    assert_eq!(codes(&result), ["geo_fatf_increased_monitoring"]);
    assert_eq!(result.risk.score, RiskPolicy::default().fatf_increased_monitoring);
    assert!(result.risk.factors[0].detail.starts_with("nationality is on the FATF increased-monitoring list"));
}

#[test]
fn when_address_country_is_on_the_eu_high_risk_list_only_should_add_its_points() {
    let mut lead = clean_lead();
    if let Some(a) = lead.address.as_mut() {
        a.country = "AF".into();
    }
    let result = scored(&input(&lead));
    assert_eq!(codes(&result), ["geo_eu_high_risk"]);
    assert_eq!(result.risk.score, RiskPolicy::default().eu_high_risk);
}

#[test]
fn when_a_country_is_on_several_lists_should_add_one_factor_per_list() {
    let mut lead = clean_lead();
    if let Some(a) = lead.address.as_mut() {
        a.country = "KP".into();
    }
    let result = scored(&input(&lead));
    let mut found = codes(&result);
    found.sort();
    assert_eq!(found, ["geo_eu_high_risk", "geo_fatf_call_for_action", "geo_sanctioned_country"]);
    assert_eq!(result.risk.score, 100, "the sum is clamped to 100");
}

#[test]
fn when_the_same_country_is_in_several_fields_should_count_it_once_per_list_at_the_heaviest_field() {
    // address (100 %) and IP country (75 %) both in a grey-listed country
    let mut lead = with_ip_country(clean_lead(), "KE");
    if let Some(a) = lead.address.as_mut() {
        a.country = "KE".into();
    }
    let result = scored(&input(&lead));
    assert_eq!(codes(&result), ["geo_fatf_increased_monitoring"]);
    assert!(result.risk.factors[0].detail.starts_with("address country"));
    assert_eq!(result.risk.factors[0].points, 15);
}

#[test]
fn when_different_fields_hold_different_listed_countries_should_add_one_factor_per_field() {
    // nationality HT and IP country KE, both grey-listed (IP also differs from the address)
    let mut lead = with_ip_country(clean_lead(), "KE");
    if let Some(i) = lead.individual.as_mut() {
        i.nationality = Some("HT".into());
    }
    let result = scored(&input(&lead));
    let grey: Vec<_> = result.risk.factors.iter().filter(|f| f.code == "geo_fatf_increased_monitoring").collect();
    assert_eq!(grey.len(), 2);
    // the IP country carries 75 % of the list's points, rounded half up
    assert!(grey.iter().any(|f| f.detail.starts_with("nationality") && f.points == 15));
    assert!(grey.iter().any(|f| f.detail.starts_with("IP country") && f.points == 11));
}

#[test]
fn when_a_business_is_incorporated_in_a_listed_country_should_score_the_country_of_incorporation() {
    let mut lead = business_lead("KP", &[]);
    lead.address = None;
    let result = scored(&input(&lead));
    let mut found = codes(&result);
    found.sort();
    assert_eq!(found, ["geo_eu_high_risk", "geo_fatf_call_for_action", "geo_sanctioned_country"]);
    assert!(result.risk.factors.iter().all(|f| f.detail.starts_with("country of incorporation")));
}

#[test]
fn when_directors_hold_listed_nationalities_should_add_one_factor_per_list_for_all_directors() {
    let lead = business_lead("DE", &["KP", "KP", "FR"]);
    let result = scored(&input(&lead));
    let sanctioned: Vec<_> = result.risk.factors.iter().filter(|f| f.code == "geo_sanctioned_country").collect();
    assert_eq!(sanctioned.len(), 1);
    assert_eq!(
        sanctioned[0].detail,
        "a director's nationality is on the list of comprehensively sanctioned countries (as of 2025-07-01)"
    );
    assert_eq!(sanctioned[0].points, 60, "75 % of 80");
}

// ---- document --------------------------------------------------------------------

#[test]
fn when_a_document_check_failed_should_add_one_factor_per_check_name() {
    let lead = clean_lead();
    let checks = [
        Check::fail("expiry_date", "expired"),
        Check::fail("expiry_date", "expired"),
        Check::fail("mrz_checksum", "bad"),
        Check::pass("file_type", "ok"),
    ];
    let result = scored(&RiskInput { document_checks: &checks, ..input(&lead) });
    assert_eq!(codes(&result), ["document_check_failed", "document_check_failed"]);
    assert_eq!(result.risk.factors[0].detail, "document check `expiry_date` failed on 2 documents");
    assert_eq!(result.risk.factors[1].detail, "document check `mrz_checksum` failed");
    assert_eq!(result.risk.score, 2 * RiskPolicy::default().document_check_failed);
}

#[test]
fn when_a_document_check_warned_should_add_a_warning_factor_unless_the_same_check_failed() {
    let lead = clean_lead();
    let checks =
        [Check::warn("image_resolution", "low"), Check::warn("expiry_date", "soon"), Check::fail("expiry_date", "x")];
    let result = scored(&RiskInput { document_checks: &checks, ..input(&lead) });
    assert_eq!(codes(&result), ["document_check_failed", "document_check_warning"]);
    assert_eq!(result.risk.factors[1].detail, "document check `image_resolution` gave a warning");
    assert_eq!(result.risk.factors[1].points, RiskPolicy::default().document_check_warning);
}

#[test]
fn when_a_machine_could_not_verify_a_document_should_not_count_it_as_risk_but_a_finding_should() {
    let lead = clean_lead();
    // Not read, not compared, the service unavailable: absences of evidence, for a person.
    let unverified = [
        Check::warn("identity_read", "not machine-read"),
        Check::warn("face_match", "waiting for an identity document to compare with"),
        Check::warn("address_proof", "verifier unavailable"),
    ];
    assert!(scored(&RiskInput { document_checks: &unverified, ..input(&lead) }).risk.factors.is_empty());
    // What a machine found against the lead is risk.
    let found = [Check::fail("face_match", "similarity 42.0 % (match at 95 %)")];
    let result = scored(&RiskInput { document_checks: &found, ..input(&lead) });
    assert_eq!(codes(&result), ["document_check_failed"]);
}

#[test]
fn when_the_file_is_on_another_lead_should_flag_a_duplicate_document() {
    let lead = clean_lead();
    let result = scored(&RiskInput { duplicate_document: true, ..input(&lead) });
    assert_eq!(codes(&result), ["duplicate_document"]);
    assert_eq!(result.risk.factors[0].category, RiskCategory::Document);
    assert_eq!(compliance_flags(&result.risk), ["duplicate_document"]);
}

// ---- behaviour -------------------------------------------------------------------

#[test]
fn when_the_email_domain_is_disposable_should_add_disposable_email() {
    let mut lead = clean_lead();
    lead.email = Some("someone@mailinator.com".into());
    let result = scored(&input(&lead));
    assert_eq!(codes(&result), ["disposable_email"]);
    assert!(!result.risk.factors[0].detail.contains("mailinator"), "no personal data in details");
}

#[test]
fn when_ip_country_differs_from_address_country_should_add_ip_country_mismatch() {
    let lead = with_ip_country(clean_lead(), "FR");
    let result = scored(&input(&lead));
    assert_eq!(codes(&result), ["ip_country_mismatch"]);
    assert_eq!(result.risk.score, RiskPolicy::default().ip_country_mismatch);
}

#[test]
fn when_ip_country_matches_address_country_should_add_nothing() {
    let lead = with_ip_country(clean_lead(), "de");
    assert!(scored(&input(&lead)).risk.factors.is_empty());
}

#[test]
fn when_three_other_leads_came_from_the_same_ip_in_an_hour_should_add_velocity_ip() {
    let lead = clean_lead();
    assert!(scored(&RiskInput { leads_same_ip_last_hour: 2, ..input(&lead) }).risk.factors.is_empty());
    let result = scored(&RiskInput { leads_same_ip_last_hour: 3, ..input(&lead) });
    assert_eq!(codes(&result), ["velocity_ip"]);
}

#[test]
fn when_three_other_leads_came_from_the_same_device_in_an_hour_should_add_velocity_device() {
    let lead = clean_lead();
    assert!(scored(&RiskInput { leads_same_device_last_hour: 2, ..input(&lead) }).risk.factors.is_empty());
    let result = scored(&RiskInput { leads_same_device_last_hour: 5, ..input(&lead) });
    assert_eq!(codes(&result), ["velocity_device"]);
    assert_eq!(result.risk.factors[0].detail, "5 other leads came from the same device in the last hour");
}

#[test]
fn when_documents_were_uploaded_again_three_times_should_add_repeated_reuploads() {
    let lead = clean_lead();
    assert!(scored(&RiskInput { reuploads: 2, ..input(&lead) }).risk.factors.is_empty());
    let result = scored(&RiskInput { reuploads: 3, ..input(&lead) });
    assert_eq!(codes(&result), ["repeated_reuploads"]);
}

// ---- external --------------------------------------------------------------------

#[test]
fn when_screening_finds_a_sanctions_entry_should_be_critical_with_the_match_score() {
    let lead = clean_lead();
    let hits = [hit(HitKind::Sanctions, 94)];
    let result = scored(&RiskInput { screening: &hits, ..input(&lead) });
    assert_eq!(codes(&result), ["sanctions_match"]);
    assert_eq!(result.risk.level, RiskLevel::Critical);
    let detail = &result.risk.factors[0].detail;
    assert!(
        detail.contains("94 %") && detail.contains("fic-p-001") && detail.contains("birth date agrees"),
        "{detail}"
    );
    assert!(!detail.contains("Mara") && !detail.contains("Example"), "no personal data in details");
    assert_eq!(compliance_flags(&result.risk), ["sanctions_match"]);
}

#[test]
fn when_screening_finds_a_pep_should_be_high() {
    let lead = clean_lead();
    let hits = [hit(HitKind::Pep, 100)];
    let result = scored(&RiskInput { screening: &hits, ..input(&lead) });
    assert_eq!(codes(&result), ["pep_match"]);
    assert_eq!(result.risk.level, RiskLevel::High);
    assert_eq!(result.risk.factors[0].category, RiskCategory::External);
}

// ---- levels and ordering ----------------------------------------------------------

#[test]
fn each_level_starts_exactly_at_its_threshold() {
    let policy = RiskPolicy::default();
    assert_eq!(policy.level_for(0), RiskLevel::Low);
    assert_eq!(policy.level_for(policy.medium_from - 1), RiskLevel::Low);
    assert_eq!(policy.level_for(policy.medium_from), RiskLevel::Medium);
    assert_eq!(policy.level_for(policy.high_from - 1), RiskLevel::Medium);
    assert_eq!(policy.level_for(policy.high_from), RiskLevel::High);
    assert_eq!(policy.level_for(policy.critical_from - 1), RiskLevel::High);
    assert_eq!(policy.level_for(policy.critical_from), RiskLevel::Critical);
    assert_eq!(policy.level_for(100), RiskLevel::Critical);
}

#[test]
fn a_score_exactly_at_each_threshold_takes_that_level() {
    // given a policy where one failed check is worth exactly each threshold in turn
    let lead = clean_lead();
    let checks = [Check::fail("expiry_date", "expired")];
    for (points, level) in
        [(24, RiskLevel::Low), (25, RiskLevel::Medium), (50, RiskLevel::High), (75, RiskLevel::Critical)]
    {
        let policy = RiskPolicy { document_check_failed: points, ..RiskPolicy::default() };
        let result = score(&RiskInput { document_checks: &checks, ..input(&lead) }, &policy, &lists(), at());
        assert_eq!((result.risk.score, result.risk.level), (points, level));
    }
}

#[test]
fn factors_are_ordered_by_points_then_category_then_code() {
    let mut lead = with_ip_country(clean_lead(), "FR");
    lead.email = Some("x@mailinator.com".into());
    let checks = [Check::warn("image_resolution", "low")];
    let hits = [hit(HitKind::Pep, 91)];
    let input = RiskInput { document_checks: &checks, reuploads: 4, screening: &hits, ..input(&lead) };
    let first = scored(&input);
    assert_eq!(
        codes(&first),
        ["pep_match", "disposable_email", "repeated_reuploads", "document_check_warning", "ip_country_mismatch"]
    );
    // and scoring again gives the same result
    assert_eq!(scored(&input), first);
}

#[test]
fn a_factor_worth_zero_points_under_the_policy_is_left_out() {
    let lead = with_ip_country(clean_lead(), "FR");
    let policy = RiskPolicy { ip_country_mismatch: 0, ..RiskPolicy::default() };
    assert!(score(&input(&lead), &policy, &lists(), at()).risk.factors.is_empty());
}

// ---- country lists ----------------------------------------------------------------

#[test]
fn the_shipped_country_lists_are_valid_iso_codes_with_dated_sources() {
    let json: serde_json::Value =
        serde_json::from_str(include_str!("../data/country-risk.json")).expect("country-risk.json is JSON");
    let lists = json["lists"].as_array().expect("lists");
    assert_eq!(lists.len(), 4);
    for list in lists {
        let name = list["list"].as_str().unwrap_or_default();
        assert!(list["source"]["url"].as_str().is_some_and(|u| u.starts_with("https://")), "{name}");
        assert!(list["source"]["publication"].as_str().is_some_and(|p| !p.is_empty()), "{name}");
        assert!(list["as_of"].as_str().is_some_and(|d| chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").is_ok()));
        for country in list["countries"].as_array().expect("countries") {
            let code = country["code"].as_str().unwrap_or_default();
            assert!(kyc_domain::risk::country::is_iso_alpha2(code), "{name}: {code}");
        }
    }
    assert!(json["maintenance"]["how_to_update"].is_array(), "the file tells operators how to update it");
    // and the parser accepts it
    let shipped = CountryLists::shipped();
    for list in CountryList::ALL {
        assert!(shipped.list(list).is_some_and(|l| !l.countries.is_empty()), "{list:?}");
    }
}

#[test]
fn the_shipped_lists_are_used_by_default_callers() {
    // DPRK has been on the FATF call-for-action list since its start
    let mut lead = clean_lead();
    if let Some(a) = lead.address.as_mut() {
        a.country = "KP".into();
    }
    let result = score(&input(&lead), &RiskPolicy::default(), CountryLists::shipped(), at());
    assert!(codes(&result).contains(&"geo_fatf_call_for_action"));
    assert_eq!(result.risk.level, RiskLevel::Critical);
}

#[test]
fn classify_names_every_list_a_country_is_on() {
    let lists = lists();
    let kp = lists.classify("KP").expect("KP is listed");
    assert_eq!(kp.lists, [CountryList::Sanctioned, CountryList::FatfCallForAction, CountryList::EuHighRisk]);
    assert_eq!(
        lists.classify("mm").map(|l| l.lists),
        Some(vec![CountryList::FatfCallForAction]),
        "case does not matter"
    );
    assert_eq!(lists.classify("DE"), None);
    assert_eq!(lists.classify("XX"), None);
}

#[test]
fn country_lists_with_an_unknown_code_a_missing_list_or_a_bad_date_are_refused() {
    let list = |name: &str, as_of: &str, code: &str| {
        format!(
            r#"{{"list":"{name}","as_of":"{as_of}","source":{{"url":"https://x.example","publication":"p"}},"countries":[{{"code":"{code}"}}]}}"#
        )
    };
    let file = |lists: &[String]| format!(r#"{{"lists":[{}]}}"#, lists.join(","));
    let good = [
        list("sanctioned", "2026-01-01", "CU"),
        list("fatf_call_for_action", "2026-01-01", "KP"),
        list("fatf_increased_monitoring", "2026-01-01", "HT"),
        list("eu_high_risk", "2026-01-01", "AF"),
    ];
    assert!(CountryLists::parse(&file(&good)).is_ok());

    let mut unknown_code = good.clone();
    unknown_code[2] = list("fatf_increased_monitoring", "2026-01-01", "UK");
    assert!(CountryLists::parse(&file(&unknown_code)).is_err_and(|e| e.contains("UK")));

    assert!(CountryLists::parse(&file(&good[..3])).is_err_and(|e| e.contains("eu_high_risk")));

    let mut bad_date = good.clone();
    bad_date[0] = list("sanctioned", "June 2026", "CU");
    assert!(CountryLists::parse(&file(&bad_date)).is_err());

    let mut unknown_list = good.to_vec();
    unknown_list.push(list("tax_havens", "2026-01-01", "KY"));
    assert!(CountryLists::parse(&file(&unknown_list)).is_err());
}
