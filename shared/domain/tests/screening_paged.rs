//! The paged index screens exactly as the list in memory: the same hits, scores, name
//! fields and birth-date verdicts, in the same order, for the shipped sample and for a
//! generated list of thousands of invented people and companies; and a damaged index
//! is refused when opened, never half-read.

use chrono::NaiveDate;
use proptest::prelude::*;

use kyc_domain::ids::LeadId;
use kyc_domain::lead::input::LeadData;
use kyc_domain::lead::{Business, Director, Individual, Lead, LeadType, Source};
use kyc_domain::risk::screening::{
    PAGED_INDEX_MAGIC, PagedScreeningList, SYNTHETIC_SAMPLE_CSV, ScreeningList, parse_targets_simple,
};

const SYLLABLES: [&str; 24] = [
    "ka", "lo", "mir", "tan", "vel", "zor", "quin", "dra", "pel", "sto", "ru", "ben", "ix", "ola", "fen", "gau", "sé",
    "nö", "vik", "har", "el", "mu", "dov", "ast",
];

fn word(mut seed: usize, parts: usize) -> String {
    let mut w = String::new();
    for _ in 0..parts {
        w.push_str(SYLLABLES[seed % SYLLABLES.len()]);
        seed /= SYLLABLES.len();
    }
    let mut chars = w.chars();
    chars.next().map(|f| f.to_uppercase().collect::<String>() + chars.as_str()).unwrap_or_default()
}

/// `n` invented people (with aliases, titles and birth dates of every precision) and
/// companies (with legal forms), some sanctioned and some PEPs, in the
/// `targets.simple.csv` shape. Syllables repeat, so names share blocks and nearly match.
fn generated_csv(n: usize) -> String {
    let mut csv = String::from("id,schema,name,aliases,birth_date,countries,sanctions,dataset\n");
    for i in 0..n {
        let seed = i.wrapping_mul(2_654_435_761) >> 3;
        let (sanctions, dataset) =
            if i % 3 == 0 { ("", "Synthetic PEPs") } else { ("Programme", "Synthetic Sanctions") };
        if i % 4 == 0 {
            let form = ["Ltd", "GmbH", "S.A.", "LLC", ""][i % 5];
            csv.push_str(&format!(
                "gen-o-{i},Company,\"{} {} {form}\",{} Holdings,,xx,{sanctions},{dataset}\n",
                word(seed, 3),
                word(seed >> 10, 2),
                word(seed, 3)
            ));
        } else {
            let (first, last, middle) = (word(seed, 2), word(seed >> 9, 3), word(seed >> 19, 2));
            let birth = match i % 5 {
                0 => String::new(),
                1 => format!("19{:02}", 40 + i % 60),
                2 => format!("19{:02}-{:02}", 40 + i % 60, 1 + i % 12),
                3 => format!("19{:02}-{:02}-{:02};19{:02}", 40 + i % 60, 1 + i % 12, 1 + i % 28, 41 + i % 58),
                _ => "circa 1970".to_string(),
            };
            let title = if i % 7 == 0 { "Dr " } else { "" };
            csv.push_str(&format!(
                "gen-p-{i},Person,\"{title}{last}, {first}\",{first} {middle} {last};{first}{last},{birth},xx,{sanctions},{dataset}\n"
            ));
        }
    }
    csv
}

/// Names near `name`: itself, reordered, with a letter changed, one dropped, an extra
/// middle name, the tokens run together, shouted, and cut short.
fn perturbed(name: &str) -> Vec<String> {
    let tokens: Vec<&str> = name.split_whitespace().collect();
    let mut names = vec![name.to_string(), tokens.iter().rev().copied().collect::<Vec<_>>().join(" ")];
    let chars: Vec<char> = name.chars().collect();
    for at in [1, chars.len() / 2, chars.len().saturating_sub(2)] {
        if at < chars.len() {
            let mut changed = chars.clone();
            changed[at] = if changed[at] == 'a' { 'e' } else { 'a' };
            names.push(changed.iter().collect());
            let mut dropped = chars.clone();
            dropped.remove(at);
            names.push(dropped.iter().collect());
        }
    }
    names.push(format!("{} Maria {}", tokens.first().unwrap_or(&""), tokens[1..].join(" ")));
    names.push(tokens.concat());
    names.push(name.to_uppercase());
    names.push(tokens.first().map(|t| t.to_string()).unwrap_or_default());
    names
}

fn date(y: i32, m: u32, d: u32) -> Option<NaiveDate> {
    NaiveDate::from_ymd_opt(y, m, d)
}

fn paged(list: &ScreeningList) -> PagedScreeningList {
    PagedScreeningList::open(Box::new(list.to_paged_index())).expect("a paged index opens")
}

/// Screens every name of every `step`-th entry, perturbed, as a person or a company as
/// the entry is, with birth dates that agree, disagree or are unknown and at two
/// thresholds, both ways; answers how many hits agreed.
fn assert_same_hits(list: &ScreeningList, step: usize) -> usize {
    let index = paged(list);
    assert_eq!(index.len(), list.len());
    let mut agreed = 0;
    let mut query_number = 0usize;
    for i in (0..list.len()).step_by(step) {
        let company = i % 4 == 0;
        let id = if company { format!("gen-o-{i}") } else { format!("gen-p-{i}") };
        let entry = list.entry(&id).expect("the generated entry is listed");
        let year = 1940 + (i % 60) as i32;
        for name in std::iter::once(&entry.name).chain(&entry.aliases) {
            for query in perturbed(name) {
                query_number += 1;
                let threshold = [80, 90][query_number % 2];
                if company {
                    let hits = list.screen_company(&query, threshold);
                    assert_eq!(index.screen_company(&query, threshold).as_ref(), Ok(&hits), "company {query:?}");
                    agreed += hits.len();
                } else {
                    let birth = [None, date(year, 1 + (i % 12) as u32, 1 + (i % 28) as u32), date(1901, 1, 1)]
                        [query_number % 3];
                    let hits = list.screen(&query, birth, threshold);
                    assert_eq!(index.screen(&query, birth, threshold).as_ref(), Ok(&hits), "{query:?} {birth:?}");
                    agreed += hits.len();
                }
            }
        }
    }
    agreed
}

#[test]
fn the_paged_index_of_the_sample_screens_as_the_list_in_memory() {
    let list = parse_targets_simple(SYNTHETIC_SAMPLE_CSV.as_bytes()).expect("the sample parses");
    let index = paged(&list);
    let mut agreed = 0;
    for line in SYNTHETIC_SAMPLE_CSV.lines().skip(1) {
        let Some(entry) = line.split(',').next().and_then(|id| list.entry(id)) else { continue };
        for name in std::iter::once(&entry.name).chain(&entry.aliases) {
            for query in perturbed(name) {
                for birth in [None, date(1961, 3, 14), date(1980, 7, 1), date(1999, 1, 1)] {
                    let people = list.screen(&query, birth, 90);
                    assert_eq!(index.screen(&query, birth, 90).as_ref(), Ok(&people), "{query:?} {birth:?}");
                    agreed += people.len();
                }
                let company = list.screen_company(&query, 90);
                assert_eq!(index.screen_company(&query, 90).as_ref(), Ok(&company), "{query:?}");
                agreed += company.len();
            }
        }
    }
    assert!(agreed > 100, "the comparison found hits to compare ({agreed})");
}

#[test]
fn the_paged_index_of_thousands_of_entries_screens_as_the_list_in_memory() {
    // given 4,000 generated people and companies whose names share syllables
    let list = parse_targets_simple(generated_csv(4_000).as_bytes()).expect("the generated list parses");
    assert_eq!(list.len(), 4_000);
    // then every name of every 101st entry, perturbed, finds the same hits both ways
    let agreed = assert_same_hits(&list, 101);
    assert!(agreed > 500, "the comparison found hits to compare ({agreed})");
}

fn lead_of(individual: Option<Individual>, business: Option<Business>) -> Lead {
    let mut lead = LeadData::default().into_lead(LeadId::from_uuid(uuid::Uuid::nil()), Source::Api, chrono::Utc::now());
    lead.lead_type = if business.is_some() { LeadType::Business } else { LeadType::Individual };
    lead.individual = individual;
    lead.business = business;
    lead
}

#[test]
fn leads_with_directors_find_the_same_hits_in_the_paged_index() {
    let list = parse_targets_simple(generated_csv(2_000).as_bytes()).expect("the generated list parses");
    let index = paged(&list);
    let mut agreed = 0;
    for i in (1..2_000usize).step_by(97) {
        let seed = i.wrapping_mul(2_654_435_761) >> 3;
        let person = |seed: usize| Director {
            first_name: word(seed, 2),
            last_name: word(seed >> 9, 3),
            date_of_birth: date(1940 + (i % 60) as i32, 1 + (i % 12) as u32, 1),
            nationality: None,
        };
        let business = Business {
            legal_name: format!("{} {} Limited", word(seed, 3), word(seed >> 10, 2)),
            registration_number: None,
            country_of_incorporation: None,
            directors: vec![person(seed), person(seed >> 1), person((seed + 1) >> 3)],
        };
        let someone = person(seed);
        let individual = Individual {
            first_name: someone.first_name,
            last_name: someone.last_name,
            date_of_birth: someone.date_of_birth,
            nationality: None,
            phone: None,
        };
        for lead in [lead_of(Some(individual), None), lead_of(None, Some(business))] {
            let hits = list.screen_lead(&lead, 90);
            assert_eq!(index.screen_lead(&lead, 90).as_ref(), Ok(&hits));
            agreed += hits.len();
        }
    }
    assert!(agreed > 20, "the comparison found hits to compare ({agreed})");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    /// Any name at all, screened against the sample, finds the same hits both ways.
    #[test]
    fn any_name_finds_the_same_hits_both_ways(name in "[A-Za-zéöñЭк' .,-]{0,40}", threshold in 70u32..=100) {
        let list = parse_targets_simple(SYNTHETIC_SAMPLE_CSV.as_bytes()).expect("the sample parses");
        let index = paged(&list);
        prop_assert_eq!(index.screen(&name, None, threshold), Ok(list.screen(&name, None, threshold)));
        prop_assert_eq!(index.screen_company(&name, threshold), Ok(list.screen_company(&name, threshold)));
    }
}

#[test]
fn a_damaged_or_truncated_paged_index_is_refused_when_opened() {
    let list = parse_targets_simple(generated_csv(300).as_bytes()).expect("the generated list parses");
    let index = list.to_paged_index();
    assert!(index.starts_with(PAGED_INDEX_MAGIC));
    // cut anywhere
    for cut in (0..index.len()).step_by(97).chain([index.len() - 1, index.len() - 48, 8, 0]) {
        assert!(PagedScreeningList::open(Box::new(index[..cut].to_vec())).is_err(), "cut at {cut}");
    }
    // one byte changed anywhere
    for at in (0..index.len()).step_by(61).chain([index.len() - 1]) {
        let mut damaged = index.clone();
        damaged[at] ^= 0x20;
        assert!(PagedScreeningList::open(Box::new(damaged)).is_err(), "byte {at} changed");
    }
    // bytes appended, or another format altogether
    let mut longer = index.clone();
    longer.push(0);
    assert!(PagedScreeningList::open(Box::new(longer)).is_err());
    assert!(PagedScreeningList::open(Box::new(list.to_index())).is_err());
    assert!(PagedScreeningList::open(Box::new(SYNTHETIC_SAMPLE_CSV.as_bytes().to_vec())).is_err());
    // and the intact index opens
    assert_eq!(PagedScreeningList::open(Box::new(index)).map(|i| i.len()), Ok(300));
}

#[test]
fn a_paged_index_is_not_loaded_into_memory_by_mistake() {
    let list = parse_targets_simple(SYNTHETIC_SAMPLE_CSV.as_bytes()).expect("the sample parses");
    assert!(ScreeningList::load(&list.to_paged_index()).is_err());
}
