//! Sanctions and PEP screening as a port: a list in memory today, a provider later.

use kyc_domain::lead::Lead;
use kyc_domain::risk::screening::{ScreeningHit, ScreeningList};

/// Screens the people and companies a lead names.
pub trait Screening: Send + Sync {
    fn screen(&self, lead: &Lead) -> Vec<ScreeningHit>;
}

/// Screening against a list in OpenSanctions' `targets.simple.csv` shape.
pub struct ListScreening {
    pub list: ScreeningList,
    pub threshold_percent: u32,
}

impl Screening for ListScreening {
    fn screen(&self, lead: &Lead) -> Vec<ScreeningHit> {
        self.list.screen_lead(lead, self.threshold_percent)
    }
}
