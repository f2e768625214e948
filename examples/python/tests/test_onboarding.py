"""The Python example against a real kyc-local: the onboarding script end to end, the
client's errors, and webhook verification refusing what was not signed."""

from __future__ import annotations

import pytest
from conftest import Kyc

from kyc_api.models import LeadCreate, StatusChange
from kyc_client import KycClient, KycError, WebhookVerificationError, verify_webhook
from onboarding import onboard


def test_onboarding_flow_ends_approved_with_events_and_signed_webhooks(kyc: Kyc) -> None:
    # given kyc-local with its default verifier (none): documents are checked, a person decides
    # when the script walks the flow
    result = onboard(kyc.url, kyc.integrator_key, kyc.reviewer_key, kyc.admin_key)
    lead = result["lead"]
    # then the lead is approved, the feed shows its way there, and the webhooks verify
    assert str(lead.status) == "approved"
    assert [str(e.data.status) for e in result["events"]][-1] == "approved"
    assert "under_review" in [str(e.data.status) for e in result["events"]]
    completed = [e for e in result["webhooks"]
                 if e["type"] == "kyc.review_completed" and e["data"]["lead_id"] == lead.id]
    assert completed, result["webhooks"]


def test_a_tampered_or_foreign_webhook_is_refused(kyc: Kyc) -> None:
    result = onboard(kyc.url, kyc.integrator_key, kyc.reviewer_key, kyc.admin_key)
    headers, body = result["raw_webhooks"][0]
    verify_webhook(result["secret"], headers, body)
    with pytest.raises(WebhookVerificationError):
        verify_webhook(result["secret"], headers, body.replace(b"}", b" }", 1))
    with pytest.raises(WebhookVerificationError):
        verify_webhook("whsec_" + "QUJD" * 8, headers, body)


def test_errors_are_raised_with_the_problem_code(kyc: Kyc) -> None:
    integrator = KycClient(kyc.url, kyc.integrator_key)
    with pytest.raises(KycError) as missing:
        integrator.get_lead("lead_0193a1b2c3d4e5f60718293a4b5c6d7e")
    assert (missing.value.status, missing.value.code) == (404, "not_found")
    lead = integrator.create_lead(LeadCreate.from_dict({}))
    # an integrator key may not decide: 403 forbidden
    with pytest.raises(KycError) as forbidden:
        integrator.change_status(lead.id, StatusChange.from_dict({"status": "approved"}))
    assert (forbidden.value.status, forbidden.value.code) == (403, "forbidden")


def test_an_api_key_is_not_a_bearer_of_another_tenant(kyc: Kyc) -> None:
    with pytest.raises(KycError) as refused:
        KycClient(kyc.url, "sk_unknown").create_lead(LeadCreate.from_dict({}))
    assert refused.value.status == 401
