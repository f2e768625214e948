"""The crypto-rails example against a real kyc-local and a fake Sumsub that checks every
signature: an imported GREEN applicant opens the rails, a refresh with a RED final
answer closes them, a spent token changes nothing, and the token is never shown back."""

from __future__ import annotations

import json

import pytest
from conftest import Kyc
from fake_sumsub import FakeSumsub

from crypto_rails import may_use_crypto_rails, onboard_with_share_token, refresh
from kyc_api.models import LeadPatch
from kyc_client import KycClient, KycError


def test_a_green_sumsub_import_opens_crypto_rails_and_a_red_refresh_closes_them(kyc: Kyc, sumsub: FakeSumsub) -> None:
    sumsub.share("_act-green-1", "applicant-green", "GREEN")
    lead = onboard_with_share_token(kyc.url, kyc.integrator_key, "_act-green-1")
    assert (str(lead.status), str(lead.sumsub.review_answer), may_use_crypto_rails(lead)) == ("approved", "GREEN", True)
    assert "_act-green-1" not in json.dumps(lead.to_dict())

    sumsub.share("_act-red-2", "applicant-green", "RED", "FINAL")
    lead = refresh(kyc.url, kyc.integrator_key, lead.id, "_act-red-2")
    assert (str(lead.status), may_use_crypto_rails(lead)) == ("rejected", False)
    assert sumsub.bad_signatures == 0


def test_a_spent_or_unknown_token_is_refused_and_the_lead_stays_as_it_was(kyc: Kyc, sumsub: FakeSumsub) -> None:
    sumsub.share("_act-once-3", "applicant-once", "GREEN")
    lead = onboard_with_share_token(kyc.url, kyc.integrator_key, "_act-once-3")
    client = KycClient(kyc.url, kyc.integrator_key)
    with pytest.raises(KycError) as refused:
        client.update_lead(lead.id, LeadPatch.from_dict({"sumsub_share_token": "_act-once-3"}))
    assert (refused.value.status, refused.value.code) == (422, "share_token_rejected")
    assert "_act-once-3" not in refused.value.detail
    after = client.get_lead(lead.id)
    assert (str(after.status), after.version) == (str(lead.status), lead.version)
