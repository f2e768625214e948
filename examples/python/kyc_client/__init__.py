"""A small typed client for the KYC API: the models and operations are generated from
infra/openapi.json (package `kyc_api`, see generate.sh); this package adds what an
integrator writes around them: errors as exceptions, the presigned upload, waiting for a
document's checks, the events feed, and webhook verification."""

from .client import KycClient, KycError
from .webhooks import WebhookVerificationError, verify_webhook

__all__ = ["KycClient", "KycError", "verify_webhook", "WebhookVerificationError"]
