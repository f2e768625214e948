//! Screening names against the synthetic sample list (OpenSanctions
//! `targets.simple.csv` shape). Every name in the list is invented.

use chrono::NaiveDate;
use kyc_domain::risk::screening::{
    DEFAULT_THRESHOLD_PERCENT, HitKind, SYNTHETIC_SAMPLE_CSV, ScreeningHit, ScreeningList, parse_targets_simple,
};

fn sample() -> ScreeningList {
    parse_targets_simple(SYNTHETIC_SAMPLE_CSV.as_bytes()).expect("the sample list parses")
}

fn date(y: i32, m: u32, d: u32) -> Option<NaiveDate> {
    NaiveDate::from_ymd_opt(y, m, d)
}

fn screen(name: &str, birth_date: Option<NaiveDate>) -> Vec<ScreeningHit> {
    sample().screen(name, birth_date, DEFAULT_THRESHOLD_PERCENT)
}

fn ids(hits: &[ScreeningHit]) -> Vec<&str> {
    hits.iter().map(|h| h.list_entry_id.as_str()).collect()
}

#[test]
fn the_sample_list_reads_people_and_organisations_and_skips_vessels() {
    let list = sample();
    assert_eq!(list.len(), 20);
    assert!(list.entry("fic-v-001").is_none(), "vessels are not screened");
    let entry = list.entry("fic-p-004").expect("entry");
    assert_eq!(entry.birth_dates, ["1972-11-02", "1973-11-02"]);
    assert_eq!(entry.aliases, ["Annika Fictandér"]);
}

#[test]
fn an_exact_name_matches_at_one_hundred_percent() {
    let hits = screen("Ivor Examplov", None);
    assert_eq!(ids(&hits), ["fic-p-001"]);
    assert_eq!(hits[0].score_percent, 100);
    assert_eq!(hits[0].kind, HitKind::Sanctions);
    assert_eq!(hits[0].matched_name_field, "name");
    assert_eq!(hits[0].birth_date_agrees, None);
    assert_eq!(hits[0].dataset, "Synthetic Sanctions Sample");
}

#[test]
fn reordered_names_with_an_extra_middle_name_still_match() {
    // the list has "FICTANDER, Annika"
    let hits = screen("Annika Maria Fictander", None);
    assert_eq!(ids(&hits), ["fic-p-004"]);
    assert!(hits[0].score_percent >= DEFAULT_THRESHOLD_PERCENT);
    assert!(hits[0].score_percent < 100, "a subset match is not exact");
}

#[test]
fn accents_case_and_punctuation_do_not_matter() {
    let hits = screen("zoe quellmayer testova", None);
    assert_eq!(ids(&hits), ["fic-p-002"]);
    assert_eq!(hits[0].score_percent, 100);
    // and the other way round: an accented query against an unaccented alias
    assert_eq!(ids(&screen("Márta Próbenová", None)), ["fic-pep-001"]);
}

#[test]
fn names_in_other_scripts_are_transliterated() {
    let hits = screen("Kaito Damimura", None);
    assert_eq!(ids(&hits), ["fic-p-009"], "katakana alias ダミムラ カイト");
    assert_eq!(hits[0].matched_name_field, "alias");
    assert_eq!(ids(&screen("Nadira Fakhrutestova", None)), ["fic-p-010"]);
}

#[test]
fn an_alias_matches_and_says_so() {
    let hits = screen("Ivor Eksamplov", None);
    assert_eq!(ids(&hits), ["fic-p-001"]);
    assert_eq!(hits[0].matched_name_field, "alias");
    assert_eq!(hits[0].score_percent, 100);
}

#[test]
fn a_name_written_as_one_word_matches_its_hyphenated_form() {
    let hits = screen("Jeanbaptiste Fauxnom", None);
    assert_eq!(ids(&hits), ["fic-p-007"]);
}

#[test]
fn honorifics_are_ignored_on_both_sides() {
    let hits = screen("Mr Hugo Placeholder", None);
    assert_eq!(ids(&hits), ["fic-p-008"], "the list has `Dr. Hugo Placeholder`");
    assert_eq!(hits[0].score_percent, 100);
}

#[test]
fn a_small_spelling_difference_still_matches_above_the_threshold() {
    let hits = screen("Ivor Examplow", None);
    assert_eq!(ids(&hits), ["fic-p-001"]);
    assert!((DEFAULT_THRESHOLD_PERCENT..100).contains(&hits[0].score_percent));
}

#[test]
fn a_birth_date_that_agrees_at_the_lists_precision_is_reported() {
    // the list has only "1980-07" for this person
    let hits = screen("José Inventado Pérez", date(1980, 7, 23));
    assert_eq!(ids(&hits), ["fic-p-003"]);
    assert_eq!(hits[0].birth_date_agrees, Some(true));
    // one of several published dates is enough
    let hits = screen("Annika Fictander", date(1973, 11, 2));
    assert_eq!(hits[0].birth_date_agrees, Some(true));
}

#[test]
fn a_birth_date_that_disagrees_drops_a_fuzzy_match() {
    assert_eq!(ids(&screen("Ivor Examplow", date(1961, 3, 14))), ["fic-p-001"]);
    assert!(screen("Ivor Examplow", date(1985, 3, 14)).is_empty());
}

#[test]
fn a_birth_date_that_disagrees_keeps_an_exact_match_and_says_so() {
    let hits = screen("Ivor Examplov", date(1985, 3, 14));
    assert_eq!(ids(&hits), ["fic-p-001"]);
    assert_eq!(hits[0].birth_date_agrees, Some(false));
}

#[test]
fn a_different_name_is_below_the_threshold() {
    assert!(screen("Ivana Exley", None).is_empty());
    assert!(screen("Mara Example", None).is_empty());
    assert!(screen("", None).is_empty());
    // a lone surname must not match everyone who bears it
    assert!(screen("Examplov", None).is_empty());
    // nor a name that merely starts like a listed one
    assert!(screen("Hugo Place", None).is_empty());
}

#[test]
fn the_threshold_is_the_callers_choice() {
    let list = sample();
    let near = list.screen("Ivor Examplow", None, 100);
    assert!(near.is_empty());
    let loose = list.screen("Ivor Examplow", None, 80);
    assert_eq!(ids(&loose), ["fic-p-001"]);
}

#[test]
fn an_entry_without_sanctions_from_a_pep_dataset_is_a_pep() {
    let hits = screen("Reginald Mockington", None);
    assert_eq!(ids(&hits), ["fic-pep-005"], "the list has `Sir Reginald Mockington`");
    assert_eq!(hits[0].kind, HitKind::Pep);
    assert_eq!(screen("Olafur Prufason", date(1970, 1, 9))[0].kind, HitKind::Pep);
}

#[test]
fn a_company_name_matches_whatever_its_legal_form() {
    let list = sample();
    let hits = list.screen_company("NORDWIND FICTIVE TRADING LIMITED", DEFAULT_THRESHOLD_PERCENT);
    assert_eq!(ids(&hits), ["fic-c-001"]);
    assert_eq!(hits[0].score_percent, 100);
    assert_eq!(ids(&list.screen_company("Grupo Ejemplo Imaginario SA", DEFAULT_THRESHOLD_PERCENT)), ["fic-c-002"]);
    assert_eq!(ids(&list.screen_company("Societe Fictive d'Energie", DEFAULT_THRESHOLD_PERCENT)), ["fic-c-004"]);
    // and people are not companies
    assert!(list.screen_company("Ivor Examplov", DEFAULT_THRESHOLD_PERCENT).is_empty());
    assert!(list.screen("Sampleworks Holdings", None, DEFAULT_THRESHOLD_PERCENT).is_empty());
}

#[test]
fn an_unrelated_company_is_below_the_threshold() {
    assert!(sample().screen_company("Example Widgets GmbH", DEFAULT_THRESHOLD_PERCENT).is_empty());
}

#[test]
fn a_list_without_the_required_columns_is_refused() {
    let missing = "id,name\nx-1,Someone\n";
    assert!(parse_targets_simple(missing.as_bytes()).is_err_and(|e| e.contains("schema")));
    let empty_name = "id,schema,name\nx-1,Person,\n";
    assert!(parse_targets_simple(empty_name.as_bytes()).is_err());
}

#[test]
fn columns_are_found_by_name_in_any_order() {
    let csv = "name,schema,id,birth_date,sanctions,dataset\nTova Madeupsson,Person,x-1,1990,,Some PEP dataset\n";
    let list = parse_targets_simple(csv.as_bytes()).expect("parses");
    let hits = list.screen("Tova Madeupsson", date(1990, 5, 5), DEFAULT_THRESHOLD_PERCENT);
    assert_eq!(ids(&hits), ["x-1"]);
    assert_eq!(hits[0].kind, HitKind::Pep);
    assert_eq!(hits[0].birth_date_agrees, Some(true));
}

#[test]
fn hits_serialise_with_their_name_field_and_read_back() {
    let hits = screen("Ivor Eksamplov", None);
    let json = serde_json::to_string(&hits[0]).expect("serialises");
    assert!(json.contains(r#""matched_name_field":"alias""#) && json.contains(r#""kind":"sanctions""#));
    let back: ScreeningHit = serde_json::from_str(&json).expect("reads back");
    assert_eq!(back, hits[0]);
}
