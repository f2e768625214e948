//! The country lists that geography factors check (sanctions, FATF, EU high-risk),
//! each with its provenance, as shipped in `data/country-risk.json` or read from an
//! operator's own file of that shape.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::LazyLock;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// The country lists that geography factors check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CountryList {
    /// Comprehensive, country-wide sanctions.
    Sanctioned,
    /// FATF "High-Risk Jurisdictions subject to a Call for Action" ("black list").
    FatfCallForAction,
    /// FATF "Jurisdictions under Increased Monitoring" ("grey list").
    FatfIncreasedMonitoring,
    /// EU high-risk third countries, Delegated Regulation (EU) 2016/1675.
    EuHighRisk,
}

impl CountryList {
    pub const ALL: [CountryList; 4] = [
        CountryList::Sanctioned,
        CountryList::FatfCallForAction,
        CountryList::FatfIncreasedMonitoring,
        CountryList::EuHighRisk,
    ];

    /// The factor code a listing produces.
    pub fn factor_code(self) -> &'static str {
        match self {
            CountryList::Sanctioned => "geo_sanctioned_country",
            CountryList::FatfCallForAction => "geo_fatf_call_for_action",
            CountryList::FatfIncreasedMonitoring => "geo_fatf_increased_monitoring",
            CountryList::EuHighRisk => "geo_eu_high_risk",
        }
    }

    pub(super) fn label(self) -> &'static str {
        match self {
            CountryList::Sanctioned => "list of comprehensively sanctioned countries",
            CountryList::FatfCallForAction => "FATF call-for-action list",
            CountryList::FatfIncreasedMonitoring => "FATF increased-monitoring list",
            CountryList::EuHighRisk => "EU list of high-risk third countries",
        }
    }
}

/// One list as shipped: its provenance and its countries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListedCountries {
    pub list: CountryList,
    pub as_of: NaiveDate,
    pub source_url: String,
    pub publication: String,
    pub countries: BTreeSet<String>,
}

/// The lists that name a country, in [`CountryList::ALL`] order (never empty).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CountryListing {
    pub lists: Vec<CountryList>,
}

/// The country lists, parsed from `data/country-risk.json` or an operator's own file
/// of the same shape.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CountryLists {
    lists: BTreeMap<CountryList, ListedCountries>,
}

#[derive(Deserialize)]
struct ListsFile {
    lists: Vec<ListFile>,
}

#[derive(Deserialize)]
struct ListFile {
    list: CountryList,
    as_of: String,
    source: SourceFile,
    countries: Vec<CountryFile>,
}

#[derive(Deserialize)]
struct SourceFile {
    url: String,
    publication: String,
}

#[derive(Deserialize)]
struct CountryFile {
    code: String,
}

static SHIPPED: LazyLock<CountryLists> = LazyLock::new(|| {
    // The tests parse this same file, so a broken file cannot ship.
    CountryLists::parse(include_str!("../../data/country-risk.json"))
        .expect("data/country-risk.json is valid (checked by the tests)")
});

impl CountryLists {
    /// The lists shipped with this build (see `data/country-risk.json` for sources
    /// and dates; operators keep that file current).
    pub fn shipped() -> &'static CountryLists {
        &SHIPPED
    }

    /// The same lists, parsed at their first use: what a long-lived scorer holds, so
    /// that a process (a Lambda function's cold start) that scores nothing never parses
    /// them.
    pub fn shipped_lazily() -> &'static LazyLock<CountryLists> {
        &SHIPPED
    }

    /// Reads lists in the shape of `data/country-risk.json`: every list exactly once,
    /// `as_of` as `YYYY-MM-DD`, countries as upper-case ISO 3166-1 alpha-2 codes.
    pub fn parse(json: &str) -> Result<Self, String> {
        let file: ListsFile = serde_json::from_str(json).map_err(|e| format!("country lists: {e}"))?;
        let mut lists = BTreeMap::new();
        for list in file.lists {
            let name = list.list.factor_code();
            let as_of = NaiveDate::parse_from_str(&list.as_of, "%Y-%m-%d")
                .map_err(|_| format!("country list {name}: as_of `{}` is not YYYY-MM-DD", list.as_of))?;
            if list.source.url.trim().is_empty() || list.source.publication.trim().is_empty() {
                return Err(format!("country list {name}: source url and publication are required"));
            }
            let mut countries = BTreeSet::new();
            for country in list.countries {
                if !crate::risk::country::is_iso_alpha2(&country.code) {
                    return Err(format!("country list {name}: `{}` is not an ISO 3166-1 alpha-2 code", country.code));
                }
                if !countries.insert(country.code.clone()) {
                    return Err(format!("country list {name}: `{}` is listed twice", country.code));
                }
            }
            let listed = ListedCountries {
                list: list.list,
                as_of,
                source_url: list.source.url,
                publication: list.source.publication,
                countries,
            };
            if lists.insert(list.list, listed).is_some() {
                return Err(format!("country list {name} appears twice"));
            }
        }
        if let Some(missing) = CountryList::ALL.iter().find(|l| !lists.contains_key(l)) {
            return Err(format!("country list {} is missing", missing.factor_code()));
        }
        Ok(CountryLists { lists })
    }

    /// The lists that name a country, or `None` when it is on none of them.
    pub fn classify(&self, iso2: &str) -> Option<CountryListing> {
        let code = iso2.trim().to_ascii_uppercase();
        let lists: Vec<CountryList> = CountryList::ALL
            .into_iter()
            .filter(|l| self.lists.get(l).is_some_and(|x| x.countries.contains(&code)))
            .collect();
        (!lists.is_empty()).then_some(CountryListing { lists })
    }

    /// One list with its provenance.
    pub fn list(&self, list: CountryList) -> Option<&ListedCountries> {
        self.lists.get(&list)
    }
}
