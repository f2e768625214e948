"""Webhook verification the Standard Webhooks way, with the `standardwebhooks` package."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError

__all__ = ["verify_webhook", "WebhookVerificationError"]


def verify_webhook(secret: str, headers: Mapping[str, str], body: bytes) -> dict[str, Any]:
    """Checks `webhook-signature` over `webhook-id`, `webhook-timestamp` and the raw body
    with the endpoint's `whsec_...` secret (and that the timestamp is recent), and returns
    the event. Raises WebhookVerificationError for anything that was not signed by us."""
    lowered = {name.lower(): value for name, value in headers.items()}
    Webhook(secret).verify(body, lowered)
    event: dict[str, Any] = json.loads(body)
    return event
