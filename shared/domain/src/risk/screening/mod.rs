//! Sanctions and PEP screening of names against a list in the OpenSanctions
//! `targets.simple.csv` shape. Pure: the caller supplies the list's bytes, whole (a
//! [`ScreeningList`] in memory) or page by page ([`PagedScreeningList`] over
//! [`IndexBytes`]); both screen alike, through the same scoring code.
//!
//! Names are normalised (transliterated, upper-cased, punctuation and honorifics
//! dropped), then compared with Jaro-Winkler twice: on the token-sorted full names and
//! token by token, so that "Anna Maria Eriksson" still finds "ERIKSSON, Anna". A block
//! index on the first three letters of each token keeps a screening from comparing the
//! name with every entry of a large list.

use std::collections::HashMap;
use std::io::Read;

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Deserializer, Serialize};

use crate::lead::{Lead, LeadType};

/// The match score (percent) from which a name counts as a hit unless told otherwise.
pub const DEFAULT_THRESHOLD_PERCENT: u32 = 90;

/// From this score a name match is treated as exact: a birth date that disagrees no
/// longer drops the hit (lists often carry wrong or alternative dates). One changed
/// letter already scores about 98 with Jaro-Winkler, so this is nearly identity.
pub const NEAR_EXACT_PERCENT: u32 = 99;

/// A small synthetic list of invented people and companies for tests and local
/// development. Never use it as a real sanctions list.
pub const SYNTHETIC_SAMPLE_CSV: &str = include_str!("../../../data/screening-sample.csv");

/// The same sample in its compact, pre-built form (see [`ScreeningList::to_index`]),
/// built from the CSV and checked against it by the tests.
pub const SYNTHETIC_SAMPLE_INDEX: &[u8] = include_bytes!("../../../data/screening-sample.idx");

mod index;
mod paged;
pub use index::INDEX_MAGIC;
pub use paged::{ENTRIES_PER_PAGE, IndexBytes, PAGED_INDEX_MAGIC, PagedScreeningList};

/// Each token the longer name has beyond the shorter one costs this much (as a
/// fraction) in the token alignment, so that a subset match is never quite exact.
const EXTRA_TOKEN_PENALTY: f64 = 0.02;

/// Letters of a token that form its block key.
const BLOCK_PREFIX: usize = 3;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HitKind {
    Sanctions,
    Pep,
}

/// One list entry that a screened name matched.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ScreeningHit {
    pub list_entry_id: String,
    pub kind: HitKind,
    /// Name similarity, 0..=100.
    pub score_percent: u32,
    /// `"name"` or `"alias"`: which of the entry's names matched best.
    pub matched_name_field: &'static str,
    /// `None` when either side has no usable birth date.
    pub birth_date_agrees: Option<bool>,
    pub dataset: String,
}

/// A hit as stored: read back into the `&'static str` of its name field.
#[derive(Deserialize)]
struct StoredHit {
    list_entry_id: String,
    kind: HitKind,
    score_percent: u32,
    matched_name_field: String,
    birth_date_agrees: Option<bool>,
    dataset: String,
}

impl<'de> Deserialize<'de> for ScreeningHit {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        StoredHit::deserialize(d)?.try_into().map_err(serde::de::Error::custom)
    }
}

impl TryFrom<StoredHit> for ScreeningHit {
    type Error = String;

    fn try_from(hit: StoredHit) -> Result<Self, Self::Error> {
        let matched_name_field = match hit.matched_name_field.as_str() {
            "name" => NAME_FIELD,
            "alias" => ALIAS_FIELD,
            other => return Err(format!("unknown matched_name_field `{other}`")),
        };
        Ok(ScreeningHit {
            list_entry_id: hit.list_entry_id,
            kind: hit.kind,
            score_percent: hit.score_percent,
            matched_name_field,
            birth_date_agrees: hit.birth_date_agrees,
            dataset: hit.dataset,
        })
    }
}

const NAME_FIELD: &str = "name";
const ALIAS_FIELD: &str = "alias";

/// What kind of party an entry describes; other schemas (vessels, aircraft, ...) are
/// not screened and are skipped when the list is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Party {
    Person,
    /// `LegalEntity`, `Company` or `Organization`.
    Organisation,
}

/// One entry of the list, as read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScreeningEntry {
    pub id: String,
    pub party: Party,
    pub name: String,
    pub aliases: Vec<String>,
    /// `YYYY`, `YYYY-MM` or `YYYY-MM-DD`, as published.
    pub birth_dates: Vec<String>,
    pub countries: Vec<String>,
    pub kind: HitKind,
    pub dataset: String,
}

/// A precomputed, normalised name of an entry.
#[derive(Debug, Clone)]
struct Variant {
    entry: usize,
    field: &'static str,
    name: NormalisedName,
}

#[derive(Debug, Clone, Default)]
struct NameIndex {
    variants: Vec<Variant>,
    /// Block key (first three letters of a token) → variants holding such a token.
    blocks: HashMap<String, Vec<usize>>,
}

impl NameIndex {
    fn add(&mut self, variant: Variant) {
        let id = self.variants.len();
        for key in block_keys(&variant.name.tokens) {
            let ids = self.blocks.entry(key).or_default();
            // A name with two tokens in one block is listed once.
            if ids.last() != Some(&id) {
                ids.push(id);
            }
        }
        self.variants.push(variant);
    }

    /// The variants that share at least one block with the name, each once.
    fn candidates(&self, name: &NormalisedName) -> Vec<usize> {
        let mut ids: Vec<usize> =
            block_keys(&name.tokens).iter().filter_map(|k| self.blocks.get(k)).flatten().copied().collect();
        ids.sort_unstable();
        ids.dedup();
        ids
    }
}

/// A screening list, parsed and indexed once, screened many times.
#[derive(Debug, Clone, Default)]
pub struct ScreeningList {
    entries: Vec<ScreeningEntry>,
    people: NameIndex,
    organisations: NameIndex,
}

/// Reads a list in the OpenSanctions `targets.simple.csv` shape (header row required;
/// columns found by name; multi-values separated by `;`). Entries of schemas other
/// than Person, LegalEntity, Company and Organization are skipped.
pub fn parse_targets_simple(csv: impl Read) -> Result<ScreeningList, String> {
    let mut reader = csv::ReaderBuilder::new().has_headers(true).flexible(true).from_reader(csv);
    let headers = reader.headers().map_err(|e| format!("screening list header: {e}"))?.clone();
    let column = |name: &str| headers.iter().position(|h| h.trim().eq_ignore_ascii_case(name));
    let required = |name: &str| column(name).ok_or_else(|| format!("screening list has no `{name}` column"));
    let (id_col, schema_col, name_col) = (required("id")?, required("schema")?, required("name")?);
    let aliases_col = column("aliases");
    let birth_col = column("birth_date");
    let countries_col = column("countries");
    let sanctions_col = column("sanctions");
    let dataset_col = column("dataset");

    let mut list = ScreeningList::default();
    for (row, record) in reader.records().enumerate() {
        // Rows count from 1 after the header, as a person reading the file would.
        let record = record.map_err(|e| format!("screening list row {}: {e}", row + 1))?;
        let field = |col: Option<usize>| col.and_then(|c| record.get(c)).map(str::trim).unwrap_or("");
        let party = match field(Some(schema_col)) {
            "Person" => Party::Person,
            "LegalEntity" | "Company" | "Organization" => Party::Organisation,
            _ => continue,
        };
        let (id, name) = (field(Some(id_col)), field(Some(name_col)));
        if id.is_empty() || name.is_empty() {
            return Err(format!("screening list row {}: `id` and `name` are required", row + 1));
        }
        let dataset = field(dataset_col).to_string();
        let sanctioned = !field(sanctions_col).is_empty();
        list.push(ScreeningEntry {
            id: id.to_string(),
            party,
            name: name.to_string(),
            aliases: multi(field(aliases_col)),
            birth_dates: multi(field(birth_col)),
            countries: multi(field(countries_col)),
            kind: kind_of(sanctioned, &dataset),
            dataset,
        });
    }
    Ok(list)
}

/// PEP only when no sanction is recorded and the dataset says it lists politically
/// exposed persons; anything else on a screening list is treated as a sanction.
fn kind_of(sanctioned: bool, dataset: &str) -> HitKind {
    let dataset = dataset.to_lowercase();
    let looks_pep =
        dataset.contains("pep") || dataset.contains("politically exposed") || dataset.contains("politician");
    if !sanctioned && looks_pep { HitKind::Pep } else { HitKind::Sanctions }
}

fn multi(value: &str) -> Vec<String> {
    value.split(';').map(str::trim).filter(|v| !v.is_empty()).map(str::to_string).collect()
}

impl ScreeningList {
    fn push(&mut self, entry: ScreeningEntry) {
        let index = self.entries.len();
        let honorifics = entry.party == Party::Person;
        let names = std::iter::once((NAME_FIELD, &entry.name)).chain(entry.aliases.iter().map(|a| (ALIAS_FIELD, a)));
        let target = match entry.party {
            Party::Person => &mut self.people,
            Party::Organisation => &mut self.organisations,
        };
        for (field, raw) in names {
            let name = if honorifics { NormalisedName::person(raw) } else { NormalisedName::organisation(raw) };
            if !name.tokens.is_empty() {
                target.add(Variant { entry: index, field, name });
            }
        }
        self.entries.push(entry);
    }

    /// The number of screened entries (people and organisations).
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The entry a hit refers to, for a reviewer.
    pub fn entry(&self, id: &str) -> Option<&ScreeningEntry> {
        self.entries.iter().find(|e| e.id == id)
    }

    /// Screens a person's full name against the list's people. Hits at or above
    /// `threshold_percent`, best first; a hit whose birth date is known to disagree
    /// is dropped unless the name matches (nearly) exactly.
    pub fn screen(&self, full_name: &str, birth_date: Option<NaiveDate>, threshold_percent: u32) -> Vec<ScreeningHit> {
        let name = NormalisedName::person(full_name);
        let mut hits = self.search(&self.people, &name, birth_date, threshold_percent);
        sort_hits(&mut hits);
        hits
    }

    /// Screens a business's legal name against the list's legal entities, companies
    /// and organisations. Legal forms (GmbH, Ltd, S.A., ...) are ignored.
    pub fn screen_company(&self, legal_name: &str, threshold_percent: u32) -> Vec<ScreeningHit> {
        let name = NormalisedName::organisation(legal_name);
        let mut hits = self.search(&self.organisations, &name, None, threshold_percent);
        sort_hits(&mut hits);
        hits
    }

    /// Screens everyone a lead names: the individual, or the business and each of its
    /// directors. One hit per list entry (the best), best first.
    pub fn screen_lead(&self, lead: &Lead, threshold_percent: u32) -> Vec<ScreeningHit> {
        let hits = lead_hits::<std::convert::Infallible>(
            lead,
            |name, birth_date| Ok(self.screen(name, birth_date, threshold_percent)),
            |legal_name| Ok(self.screen_company(legal_name, threshold_percent)),
        );
        match hits {
            Ok(hits) => hits,
            Err(never) => match never {},
        }
    }

    fn search(
        &self,
        index: &NameIndex,
        name: &NormalisedName,
        birth_date: Option<NaiveDate>,
        threshold_percent: u32,
    ) -> Vec<ScreeningHit> {
        if name.tokens.is_empty() {
            return Vec::new();
        }
        let candidates = index.candidates(name).into_iter().map(|id| {
            let variant = &index.variants[id];
            (variant.entry, variant.field, &variant.name)
        });
        best_per_entry(name, threshold_percent, candidates)
            .into_iter()
            .filter_map(|(entry, best)| hit_of(&self.entries[entry], best, birth_date))
            .collect()
    }
}

/// The best-scoring name of each candidate entry at or above the threshold: entry
/// number → (score, name field). On a tie the entry's own name wins over an alias, so
/// the result does not depend on the order the candidates come in.
fn best_per_entry<'a>(
    name: &NormalisedName,
    threshold_percent: u32,
    candidates: impl IntoIterator<Item = (usize, &'static str, &'a NormalisedName)>,
) -> BestPerEntry {
    let mut best = BestPerEntry::new();
    for (entry, field, candidate) in candidates {
        consider(&mut best, name, threshold_percent, entry, field, candidate);
    }
    best
}

type BestPerEntry = std::collections::BTreeMap<usize, (u32, &'static str)>;

/// Scores one candidate name of `entry` and keeps it if it is the entry's best so far.
fn consider(
    best: &mut BestPerEntry,
    name: &NormalisedName,
    threshold_percent: u32,
    entry: usize,
    field: &'static str,
    candidate: &NormalisedName,
) {
    let score = similarity_percent(name, candidate);
    if score < threshold_percent {
        return;
    }
    let slot = best.entry(entry).or_insert((score, field));
    if score > slot.0 || (score == slot.0 && field == NAME_FIELD) {
        *slot = (score, field);
    }
}

/// The hit on an entry whose best name scored `score` in `field`; `None` when its birth
/// date is known to disagree and the name does not match (nearly) exactly.
fn hit_of(
    entry: &ScreeningEntry,
    (score, field): (u32, &'static str),
    birth_date: Option<NaiveDate>,
) -> Option<ScreeningHit> {
    let agrees = birth_date.and_then(|d| birth_date_agrees(&entry.birth_dates, d));
    if agrees == Some(false) && score < NEAR_EXACT_PERCENT {
        return None;
    }
    Some(ScreeningHit {
        list_entry_id: entry.id.clone(),
        kind: entry.kind,
        score_percent: score,
        matched_name_field: field,
        birth_date_agrees: agrees,
        dataset: entry.dataset.clone(),
    })
}

/// Everyone a lead names, screened with `person` and `company`: one hit per list
/// entry (the best), best first. Shared by the list in memory and the paged index.
fn lead_hits<E>(
    lead: &Lead,
    person: impl Fn(&str, Option<NaiveDate>) -> Result<Vec<ScreeningHit>, E>,
    company: impl Fn(&str) -> Result<Vec<ScreeningHit>, E>,
) -> Result<Vec<ScreeningHit>, E> {
    let mut hits = Vec::new();
    match lead.lead_type {
        LeadType::Individual => {
            if let Some(someone) = &lead.individual {
                hits.extend(person(&format!("{} {}", someone.first_name, someone.last_name), someone.date_of_birth)?);
            }
        }
        LeadType::Business => {
            if let Some(business) = &lead.business {
                hits.extend(company(&business.legal_name)?);
                for director in &business.directors {
                    let name = format!("{} {}", director.first_name, director.last_name);
                    hits.extend(person(&name, director.date_of_birth)?);
                }
            }
        }
    }
    sort_hits(&mut hits);
    let mut seen = std::collections::BTreeSet::new();
    hits.retain(|h| seen.insert(h.list_entry_id.clone()));
    Ok(hits)
}

fn sort_hits(hits: &mut [ScreeningHit]) {
    hits.sort_by(|a, b| b.score_percent.cmp(&a.score_percent).then_with(|| a.list_entry_id.cmp(&b.list_entry_id)));
}

/// Whether a birth date fits any of an entry's published dates at their precision
/// (`YYYY`, `YYYY-MM` or `YYYY-MM-DD`); `None` when the entry has no usable date.
pub fn birth_date_agrees(published: &[String], date: NaiveDate) -> Option<bool> {
    let mut known = false;
    for value in published {
        let Some(parts) = parse_partial_date(value) else { continue };
        known = true;
        let fits = parts.0 == date.year()
            && parts.1.is_none_or(|m| m == date.month())
            && parts.2.is_none_or(|d| d == date.day());
        if fits {
            return Some(true);
        }
    }
    known.then_some(false)
}

type PartialDate = (i32, Option<u32>, Option<u32>);

fn parse_partial_date(value: &str) -> Option<PartialDate> {
    let mut parts = value.trim().split('-');
    let year = parts.next().filter(|y| y.len() == 4)?.parse::<i32>().ok()?;
    let month = match parts.next() {
        Some(m) => Some(m.parse::<u32>().ok().filter(|m| (1..=12).contains(m))?),
        None => None,
    };
    let day = match parts.next() {
        Some(d) => Some(d.parse::<u32>().ok().filter(|d| (1..=31).contains(d))?),
        None => None,
    };
    if parts.next().is_some() {
        return None;
    }
    Some((year, month, day))
}

/// A name reduced to comparable tokens.
#[derive(Debug, Clone, PartialEq, Eq)]
struct NormalisedName {
    tokens: Vec<String>,
    /// The tokens sorted and joined by one space.
    sorted: String,
    /// The tokens in their order, without spaces ("JEANBAPTISTE" for "Jean-Baptiste").
    joined: String,
}

/// Titles that say nothing about who a person is.
const HONORIFICS: &[&str] = &[
    "MR", "MRS", "MS", "MISS", "MX", "DR", "PROF", "SIR", "DAME", "LORD", "LADY", "HERR", "FRAU", "MME", "MLLE", "SRA",
    "SRTA", "HON", "REV",
];

/// Legal forms that say nothing about which organisation it is.
const LEGAL_FORMS: &[&str] = &[
    "AB",
    "AG",
    "AO",
    "AS",
    "ASA",
    "BV",
    "CJSC",
    "CO",
    "COMPANY",
    "CORP",
    "CORPORATION",
    "GMBH",
    "INC",
    "INCORPORATED",
    "JSC",
    "KG",
    "LIMITED",
    "LLC",
    "LLP",
    "LTD",
    "NV",
    "OAO",
    "OJSC",
    "OOO",
    "OY",
    "PAO",
    "PJSC",
    "PLC",
    "PTE",
    "PTY",
    "SA",
    "SAS",
    "SARL",
    "SE",
    "SPA",
    "SRL",
    "ZAO",
];

impl NormalisedName {
    /// A name whose tokens were normalised before (a pre-built index).
    fn from_tokens(tokens: Vec<String>) -> Self {
        let mut sorted_tokens = tokens.clone();
        sorted_tokens.sort();
        NormalisedName { sorted: sorted_tokens.join(" "), joined: tokens.concat(), tokens }
    }

    fn person(raw: &str) -> Self {
        Self::new(raw, HONORIFICS)
    }

    fn organisation(raw: &str) -> Self {
        Self::new(raw, LEGAL_FORMS)
    }

    fn new(raw: &str, noise: &[&str]) -> Self {
        let ascii = deunicode::deunicode(raw).to_uppercase();
        // Apostrophes and dots join ("O'Brien", "S.A."); any other punctuation separates.
        let cleaned: String = ascii
            .chars()
            .filter(|c| !matches!(c, '\'' | '.' | '`'))
            .map(|c| if c.is_ascii_alphanumeric() { c } else { ' ' })
            .collect();
        let all: Vec<String> = cleaned.split_whitespace().map(str::to_string).collect();
        let kept: Vec<String> = all.iter().filter(|t| !noise.contains(&t.as_str())).cloned().collect();
        // A name that is nothing but a title or a legal form keeps it.
        NormalisedName::from_tokens(if kept.is_empty() { all } else { kept })
    }
}

/// Block keys: the first three letters of each token of two or more letters (tokens
/// are ASCII after normalisation); a name of initials only falls back to its initials.
/// A candidate must share one key: a misspelling within the first three letters of
/// every token is the price of not comparing against the whole list.
fn block_keys(tokens: &[String]) -> Vec<String> {
    let prefix = |t: &String| t[..t.len().min(BLOCK_PREFIX)].to_string();
    let mut keys: Vec<String> = tokens.iter().filter(|t| t.len() >= 2).map(prefix).collect();
    if keys.is_empty() {
        keys = tokens.iter().map(prefix).collect();
    }
    keys.sort();
    keys.dedup();
    keys
}

/// The best of three similarities, in percent: the token alignment; the token-sorted
/// full names when both have as many tokens; and, when the token counts differ but the
/// letters are about as many, the names without spaces ("Jeanbaptiste" against
/// "Jean-Baptiste"). Whole strings of different token counts are not compared:
/// Jaro-Winkler's prefix bonus would let "Examplov" match "Examplov Ivor".
fn similarity_percent(a: &NormalisedName, b: &NormalisedName) -> u32 {
    let mut best = token_alignment(&a.tokens, &b.tokens);
    if a.tokens.len() == b.tokens.len() {
        best = best.max(jaro_winkler(&a.sorted, &b.sorted));
    } else if about_as_long(&a.joined, &b.joined) {
        best = best.max(jaro_winkler(&a.joined, &b.joined));
    }
    percent(best)
}

/// Jaro-Winkler, without Winkler's common-prefix bonus when one string is much
/// shorter: the bonus is meant for typos, and would otherwise score a truncated name
/// ("Place" for "Placeholder") like a misspelt one.
fn jaro_winkler(a: &str, b: &str) -> f64 {
    let (short, long) = if a.len() <= b.len() { (a.len(), b.len()) } else { (b.len(), a.len()) };
    if short * 4 < long * 3 { strsim::jaro(a, b) } else { strsim::jaro_winkler(a, b) }
}

/// Within 10 % of each other's length.
fn about_as_long(a: &str, b: &str) -> bool {
    let (short, long) = if a.len() <= b.len() { (a.len(), b.len()) } else { (b.len(), a.len()) };
    short * 10 >= long * 9
}

fn percent(similarity: f64) -> u32 {
    // Similarities are in 0.0..=1.0, so the rounded percentage fits a u32.
    (similarity.clamp(0.0, 1.0) * 100.0).round() as u32
}

/// Pairs each token of the shorter name with its most similar unused token of the
/// longer one (greedily, best pairs first), averages the pair similarities weighted
/// by token length and charges a little for each unpaired token. Needs two tokens on
/// each side: a lone surname must not match every bearer of it.
fn token_alignment(a: &[String], b: &[String]) -> f64 {
    let (short, long) = if a.len() <= b.len() { (a, b) } else { (b, a) };
    if short.len() < 2 {
        return 0.0;
    }
    let mut pairs: Vec<(f64, usize, usize)> = Vec::with_capacity(short.len() * long.len());
    for (i, s) in short.iter().enumerate() {
        for (j, l) in long.iter().enumerate() {
            pairs.push((jaro_winkler(s, l), i, j));
        }
    }
    pairs.sort_by(|x, y| y.0.total_cmp(&x.0).then(x.1.cmp(&y.1)).then(x.2.cmp(&y.2)));
    let (mut short_used, mut long_used) = (vec![false; short.len()], vec![false; long.len()]);
    let (mut weighted, mut weight) = (0.0, 0.0);
    for (similarity, i, j) in pairs {
        if short_used[i] || long_used[j] {
            continue;
        }
        short_used[i] = true;
        long_used[j] = true;
        let len = short[i].len().max(long[j].len()) as f64;
        weighted += similarity * len;
        weight += len;
    }
    if weight == 0.0 {
        return 0.0;
    }
    let extra = (long.len() - short.len()) as f64;
    (weighted / weight - EXTRA_TOKEN_PENALTY * extra).max(0.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tokens(raw: &str) -> Vec<String> {
        NormalisedName::person(raw).tokens
    }

    #[test]
    fn normalisation_transliterates_and_drops_titles_and_punctuation() {
        assert_eq!(tokens("Dr. Zoë  Quellmayer-Testová"), ["ZOE", "QUELLMAYER", "TESTOVA"]);
        assert_eq!(tokens("O'Brien, Mrs Siobhán"), ["OBRIEN", "SIOBHAN"]);
        assert_eq!(tokens("Ивор Экзамплов"), ["IVOR", "EKZAMPLOV"]);
        assert_eq!(
            NormalisedName::organisation("Grupo Ejemplo Imaginario S.A.").tokens,
            ["GRUPO", "EJEMPLO", "IMAGINARIO"]
        );
        // A title alone is still a name.
        assert_eq!(tokens("Dr"), ["DR"]);
    }

    #[test]
    fn partial_birth_dates_agree_at_their_precision() {
        let date = NaiveDate::from_ymd_opt(1980, 7, 15).unwrap_or_default();
        let dates = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(birth_date_agrees(&dates(&["1980"]), date), Some(true));
        assert_eq!(birth_date_agrees(&dates(&["1980-07"]), date), Some(true));
        assert_eq!(birth_date_agrees(&dates(&["1980-07-15"]), date), Some(true));
        assert_eq!(birth_date_agrees(&dates(&["1980-08"]), date), Some(false));
        assert_eq!(birth_date_agrees(&dates(&["1979-07-15", "1980-07-15"]), date), Some(true));
        assert_eq!(birth_date_agrees(&dates(&["circa 1980"]), date), None);
        assert_eq!(birth_date_agrees(&[], date), None);
    }

    #[test]
    fn the_block_index_compares_a_name_with_a_small_share_of_a_large_list() {
        // given 100,000 generated entries with varied names
        let (consonants, vowels) = (b"bcdfghjklmnprstvwxyz", b"aeiou");
        let word = |n: usize| {
            let mut w = String::new();
            let mut n = n;
            for _ in 0..3 {
                w.push(consonants[n % consonants.len()] as char);
                n /= consonants.len();
                w.push(vowels[n % vowels.len()] as char);
                n /= vowels.len();
            }
            w
        };
        let mut list = ScreeningList::default();
        for i in 0..100_000 {
            list.push(ScreeningEntry {
                id: format!("gen-{i}"),
                party: Party::Person,
                name: format!("{} {}", word(i * 7919 % 1_000_000), word(i * 104_729 % 1_000_000)),
                aliases: vec![],
                birth_dates: vec![],
                countries: vec![],
                kind: HitKind::Sanctions,
                dataset: "generated".into(),
            });
        }
        // when a name is looked up
        let name = NormalisedName::person(&list.entries[4242].name);
        let candidates = list.people.candidates(&name);
        // then only a small share is compared, and the screening still works
        assert!(candidates.len() < 100_000 / 10, "{} candidates", candidates.len());
        let hits = list.screen(&list.entries[4242].name, None, DEFAULT_THRESHOLD_PERCENT);
        assert!(hits.iter().any(|h| h.list_entry_id == "gen-4242" && h.score_percent == 100));
    }
}
