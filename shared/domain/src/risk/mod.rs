//! Risk: how risky a lead is and what follows from it. `scoring` sums explainable
//! factors into a score under a versioned policy, drawing on the `country_lists`
//! (checked against the ISO codes of `country`) and on sanctions and PEP `screening`
//! of names; `decision` turns a verified, scored lead into approval or review;
//! `verdict` is the whole decision on an uploaded document, from its file's checks to
//! the lead's status moves; `data` the scoring of a lead's own data at its creation and
//! on a change; `escalation` the level a risk calls for.

pub mod country;
mod country_lists;
mod data;
mod disposable_email;
mod decision;
mod escalation;
mod scoring;
pub mod screening;
mod verdict;

pub use country_lists::{CountryList, CountryListing, CountryLists, ListedCountries};
pub use data::{DataFacts, DataVerdict, judge_data};
pub use decision::{Decided, DecisionInput, PolicyDecision, decide};
pub use escalation::{level_floor, raise_for};
pub use scoring::{RiskInput, RiskPolicy, ScoredRisk, compliance_flags, score};
pub use verdict::{FileFacts, MachineChecks, UploadFacts, UploadVerdict, judge_upload, policy_moves};
