//! Requirements rise with risk: the lowest level a risk allows, and the raise of a
//! lead's level to it. Levels are never lowered automatically.

use crate::lead::{Level, RiskLevel};

/// The lowest level a lead at this risk may have: `enhanced` for `high`, `premium`
/// for `critical`, any level below.
pub fn level_floor(risk: RiskLevel) -> Level {
    match risk {
        RiskLevel::Low | RiskLevel::Medium => Level::Basic,
        RiskLevel::High => Level::Enhanced,
        RiskLevel::Critical => Level::Premium,
    }
}

/// The level a lead at `level` must be raised to at this risk, if any: `basic` +
/// `high` → `enhanced`; any lower level + `critical` → `premium`.
pub fn raise_for(level: Level, risk: RiskLevel) -> Option<Level> {
    let floor = level_floor(risk);
    (level < floor).then_some(floor)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn high_risk_raises_basic_to_enhanced_and_critical_raises_any_lower_level_to_premium() {
        assert_eq!(raise_for(Level::Basic, RiskLevel::High), Some(Level::Enhanced));
        assert_eq!(raise_for(Level::Enhanced, RiskLevel::High), None);
        assert_eq!(raise_for(Level::Premium, RiskLevel::High), None, "never lowered");
        assert_eq!(raise_for(Level::Basic, RiskLevel::Critical), Some(Level::Premium));
        assert_eq!(raise_for(Level::Enhanced, RiskLevel::Critical), Some(Level::Premium));
        assert_eq!(raise_for(Level::Premium, RiskLevel::Critical), None);
        for level in [Level::Basic, Level::Enhanced, Level::Premium] {
            assert_eq!(raise_for(level, RiskLevel::Low), None);
            assert_eq!(raise_for(level, RiskLevel::Medium), None);
        }
    }
}
