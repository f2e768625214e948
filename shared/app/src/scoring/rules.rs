//! What a lead's own data is scored with at its creation and on a change: the risk
//! policy, the shipped country lists and the screening list. Built once per process;
//! the screening list is loaded on its first use, so a function's cold start pays
//! nothing for it.

use std::sync::{Arc, LazyLock};

use kyc_domain::risk::{CountryLists, RiskPolicy};

use crate::ports::screening::{LazyScreening, Screening, ScreeningSource};
use crate::scoring::SCREENING_THRESHOLD_PERCENT;

#[derive(Clone)]
pub struct RiskRules {
    pub policy: RiskPolicy,
    /// Parsed at the first scoring (see [`CountryLists::shipped_lazily`]).
    pub lists: &'static LazyLock<CountryLists>,
    pub screening: Arc<dyn Screening>,
}

impl RiskRules {
    /// The default policy and shipped country lists, screening against `screening`.
    pub fn new(screening: Arc<dyn Screening>) -> RiskRules {
        RiskRules { policy: RiskPolicy::default(), lists: CountryLists::shipped_lazily(), screening }
    }

    /// Screening against a list from `source`, loaded on first use.
    pub fn lazy(source: ScreeningSource) -> RiskRules {
        RiskRules::new(Arc::new(LazyScreening::new(source, SCREENING_THRESHOLD_PERCENT)))
    }

    /// Screening against the synthetic sample shipped in the binary (tests, local).
    pub fn shipped_sample() -> RiskRules {
        RiskRules::lazy(ScreeningSource::ShippedSample)
    }
}
