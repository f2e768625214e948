//! Risk: how risky a lead is and what follows from it. `scoring` sums explainable
//! factors into a score under a versioned policy, drawing on the country lists, the
//! ISO country codes (`country`) and sanctions and PEP screening of names
//! (`screening`); the decision policy turns a verified, scored lead into approval or
//! review.

pub mod country;
mod scoring;
pub mod screening;

pub use scoring::{
    CountryList, CountryListing, CountryLists, ListedCountries, PolicyDecision, RiskInput, RiskPolicy, ScoredRisk,
    compliance_flags, decide, score,
};
