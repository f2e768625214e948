#!/usr/bin/env python3
"""The crypto-rails flow as an integrator codes it, against a running kyc-local: a customer
with minimal data, then a PATCH with the Sumsub share token the customer's earlier
verification (at a partner using Sumsub) produced; the lead takes Sumsub's answer, and
`capabilities.crypto_rails` says whether a transfer may go. When the token has expired,
a fresh one refreshes the import, also on a decided lead.

Usage (kyc-local started with KYC_SUMSUB_APP_TOKEN and KYC_SUMSUB_SECRET_KEY, see README):
  examples/python/crypto_rails.py --url http://127.0.0.1:3000 --key sk_integrator --share-token _act-...
Prints ids, statuses and the capability only (never the token, never personal data).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from kyc_api.models import LeadCreate, LeadPatch  # noqa: E402
from kyc_client import KycClient  # noqa: E402


def may_use_crypto_rails(lead: Any) -> bool:
    """What an integrator checks before each crypto transfer."""
    return bool(lead.capabilities.crypto_rails)


def onboard_with_share_token(url: str, key: str, share_token: str) -> Any:
    """Creates a customer with minimal data and imports their Sumsub verification."""
    integrator = KycClient(url, key)
    suffix = str(time.time_ns())
    lead = integrator.create_lead(LeadCreate.from_dict({"external_id": f"wallet-{suffix}",
                                                        "email": "ada@example.com"}))
    print(f"lead {lead.id}: {lead.status}, crypto rails {may_use_crypto_rails(lead)}")
    # The Idempotency-Key makes a lost answer safe to retry: the token is single-use.
    lead = integrator.update_lead(lead.id, LeadPatch.from_dict({"sumsub_share_token": share_token}),
                                  idempotency_key=f"share-{suffix}")
    print(f"lead {lead.id}: {lead.status} after the Sumsub import "
          f"({lead.sumsub.review_answer}), crypto rails {may_use_crypto_rails(lead)}")
    return lead


def refresh(url: str, key: str, lead_id: str, share_token: str) -> Any:
    """A fresh token for the same customer: the import is redone and the lead follows it."""
    lead = KycClient(url, key).update_lead(lead_id, LeadPatch.from_dict({"sumsub_share_token": share_token}))
    print(f"lead {lead.id}: {lead.status} after the refresh, crypto rails {may_use_crypto_rails(lead)}")
    return lead


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", default="http://127.0.0.1:3000")
    parser.add_argument("--key", required=True, help="an integrator (or admin) key")
    parser.add_argument("--share-token", required=True, help="a Sumsub share token for this app")
    args = parser.parse_args()
    lead = onboard_with_share_token(args.url, args.key, args.share_token)
    return 0 if may_use_crypto_rails(lead) else 1


if __name__ == "__main__":
    sys.exit(main())
