//! The contract's mapping of a Sumsub review onto a lead, the crypto-rails rule, and
//! Sumsub's webhook digest, free of I/O.

use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use serde_json::json;

use kyc_domain::Status::{self, *};
use kyc_domain::lead::{Hold, Lead, Level, ReviewReason, RiskLevel};
use kyc_domain::status::TransitionError;
use kyc_domain::sumsub::{
    RejectType, ReviewAnswer, SumsubReview, apply_import, capabilities, payload_digest_is_well_formed,
    payload_digest_matches,
};

const AT: &str = "2026-11-30T10:00:00Z";

fn at() -> DateTime<Utc> {
    AT.parse().unwrap_or_default()
}

/// A lead with nothing but its status and level (the mapping reads no other data).
fn lead(status: Status, level: Level) -> Lead {
    let mut lead: Lead = serde_json::from_value(json!({
        "id": "lead_019a48f1c3d27a4e8b5f6c7d8e9fa0b1", "object": "lead", "type": "individual",
        "status": "not_started", "level": "basic", "source": "api",
        "requirements": {"required": [], "satisfied": [], "missing": []},
        "compliance_flags": [], "review_reasons": [], "metadata": {}, "version": 3,
        "created_at": AT, "updated_at": AT, "status_changed_at": AT
    }))
    .expect("a minimal stored lead");
    lead.status = status;
    lead.level = level;
    if status == Rejected {
        lead.rejection = Some(kyc_domain::lead::Rejection {
            reasons: vec![kyc_domain::lead::RejectionReason::Other],
            note: None,
            is_final: false,
        });
    }
    lead
}

fn at_risk(mut lead: Lead, level: RiskLevel) -> Lead {
    lead.risk = Some(kyc_domain::lead::Risk { score: 90, level, factors: vec![], scored_at: at() });
    lead
}

fn review(answer: Option<ReviewAnswer>, reject_type: Option<RejectType>) -> SumsubReview {
    let status = if answer.is_some() { "completed" } else { "pending" };
    SumsubReview { applicant_id: "5f1e0c2ba1b2c3d4e5f60718".into(), review_status: status.into(), answer, reject_type }
}

const GREEN: Option<ReviewAnswer> = Some(ReviewAnswer::Green);
const RED: Option<ReviewAnswer> = Some(ReviewAnswer::Red);

#[test]
fn crypto_rails_open_only_for_an_approved_enhanced_premium_or_green_imported_lead_not_at_critical_risk() {
    assert!(capabilities(&lead(Approved, Level::Enhanced)).crypto_rails);
    assert!(capabilities(&lead(Approved, Level::Premium)).crypto_rails);
    assert!(!capabilities(&lead(Approved, Level::Basic)).crypto_rails, "basic needs a GREEN import");
    assert!(!capabilities(&at_risk(lead(Approved, Level::Enhanced), RiskLevel::Critical)).crypto_rails);
    assert!(capabilities(&at_risk(lead(Approved, Level::Enhanced), RiskLevel::High)).crypto_rails);
    for status in [NotStarted, InProgress, UnderReview, Rejected] {
        assert!(!capabilities(&lead(status, Level::Premium)).crypto_rails, "{status}");
    }
    let imported = apply_import(&lead(NotStarted, Level::Basic), &review(GREEN, None), at()).expect("maps");
    assert!(capabilities(&imported.lead).crypto_rails, "a basic lead approved by a GREEN import");
}

#[test]
fn green_approves_and_records_the_applicant_and_the_answer() {
    let imported = apply_import(&lead(NotStarted, Level::Basic), &review(GREEN, None), at()).expect("maps");
    assert_eq!(imported.moves, [(NotStarted, Approved)]);
    assert_eq!(imported.lead.status, Approved);
    assert_eq!(imported.lead.version, 3, "the version is the caller's: one write, one version");
    let link = imported.lead.sumsub.as_ref().expect("the import is recorded");
    assert_eq!(
        (link.applicant_id.as_str(), link.review_answer, link.imported_at),
        ("5f1e0c2ba1b2c3d4e5f60718", GREEN, at())
    );
    assert!(imported.lead.capabilities.crypto_rails);
}

#[test]
fn green_leaves_a_premium_critical_or_held_lead_to_a_person() {
    let premium = apply_import(&lead(InProgress, Level::Premium), &review(GREEN, None), at()).expect("maps");
    assert_eq!(
        (premium.lead.status, premium.lead.review_reasons.clone()),
        (UnderReview, vec![ReviewReason::PremiumLevel])
    );
    let critical = at_risk(lead(NotStarted, Level::Basic), RiskLevel::Critical);
    let critical = apply_import(&critical, &review(GREEN, None), at()).expect("maps");
    assert_eq!(
        (critical.lead.status, critical.lead.review_reasons.clone()),
        (UnderReview, vec![ReviewReason::RiskCritical])
    );
    let mut held = lead(UnderReview, Level::Basic);
    held.hold = Some(Hold { actor: "key:ana".into(), at: at() });
    let held = apply_import(&held, &review(GREEN, None), at()).expect("maps");
    assert!(held.moves.is_empty(), "the hold wins over automation");
    assert_eq!(held.lead.review_reasons, [ReviewReason::HeldByReviewer]);
    assert!(held.lead.hold.is_some());
    for imported in [premium, critical, held] {
        assert!(!imported.lead.capabilities.crypto_rails);
    }
}

#[test]
fn red_rejects_final_or_not_as_sumsub_says_and_a_refresh_goes_through_the_table() {
    let final_reject = apply_import(&lead(Approved, Level::Enhanced), &review(RED, Some(RejectType::Final)), at());
    let final_reject = final_reject.expect("maps");
    assert_eq!(final_reject.moves, [(Approved, UnderReview), (UnderReview, Rejected)]);
    assert!(final_reject.lead.rejection.as_ref().is_some_and(|r| r.is_final));
    assert!(!final_reject.lead.capabilities.crypto_rails);

    let retry =
        apply_import(&lead(NotStarted, Level::Basic), &review(RED, Some(RejectType::Retry)), at()).expect("maps");
    assert!(retry.lead.rejection.as_ref().is_some_and(|r| !r.is_final));
    let again = apply_import(&retry.lead, &review(GREEN, None), at()).expect("a retry may be approved later");
    assert_eq!(again.moves, [(Rejected, InProgress), (InProgress, Approved)]);

    let reopened = apply_import(&final_reject.lead, &review(GREEN, None), at());
    assert_eq!(reopened, Err(TransitionError::NotAllowed { from: Rejected, to: Approved }), "a final rejection stays");
}

#[test]
fn a_pending_review_puts_the_lead_under_review_without_a_hold() {
    let pending = apply_import(&lead(InProgress, Level::Basic), &review(None, None), at()).expect("maps");
    assert_eq!((pending.lead.status, pending.moves.clone()), (UnderReview, vec![(InProgress, UnderReview)]));
    assert!(pending.lead.hold.is_none());
    assert_eq!(pending.lead.sumsub.map(|s| s.review_answer), Some(None));
}

#[test]
fn the_webhook_digest_is_a_hex_hmac_of_the_raw_body_with_the_webhook_secret() {
    let body = br#"{"type":"applicantReviewed","applicantId":"5f1e0c2ba1b2c3d4e5f60718"}"#;
    let sign = |secret: &[u8]| {
        let mut mac = Hmac::<sha2::Sha256>::new_from_slice(secret).expect("any key length");
        mac.update(body);
        hex::encode(mac.finalize().into_bytes())
    };
    let digest = sign(b"whsecret");
    assert!(payload_digest_matches(b"whsecret", body, None, &digest));
    assert!(payload_digest_matches(b"whsecret", body, Some("HMAC_SHA256_HEX"), &digest.to_uppercase()));
    assert!(!payload_digest_matches(b"another", body, None, &digest));
    assert!(!payload_digest_matches(b"whsecret", b"{}", None, &digest), "the digest covers the raw body");
    assert!(!payload_digest_matches(b"whsecret", body, Some("HMAC_SHA1_HEX"), &digest), "SHA-1 is not accepted");
    assert!(!payload_digest_matches(b"whsecret", body, None, "not hex"));
    // What cannot be a digest is refused before any lookup.
    assert!(payload_digest_is_well_formed(Some("HMAC_SHA512_HEX"), Some(&digest)));
    assert!(!payload_digest_is_well_formed(None, None));
    assert!(!payload_digest_is_well_formed(None, Some("abc")), "whole bytes only");
    assert!(!payload_digest_is_well_formed(Some("HMAC_SHA1_HEX"), Some(&digest)));
}
