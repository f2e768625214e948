"""KycClient: the generated operations behind a few typed methods that raise on errors."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import httpx

from kyc_api import AuthenticatedClient
from kyc_api.api.documents import create_lead_document, get_lead_document
from kyc_api.api.events import list_events
from kyc_api.api.kyc_links import create_kyc_link
from kyc_api.api.leads import change_lead_status, create_lead, get_lead, update_lead
from kyc_api.api.webhooks import create_webhook_endpoint
from kyc_api.models import (
    Document,
    DocumentCreate,
    DocumentUpload,
    EventType,
    Lead,
    LeadCreate,
    LeadPatch,
    Problem,
    StatusChange,
    WebhookEndpointCreate,
)
from kyc_api.types import UNSET, Response


class KycError(Exception):
    """An answer that is not the operation's success: the problem document's code and detail."""

    def __init__(self, status: int, code: str, detail: str) -> None:
        super().__init__(f"{status} {code}: {detail}")
        self.status = status
        self.code = code
        self.detail = detail


def _ok(response: Response[Any]) -> Any:
    parsed = response.parsed
    if isinstance(parsed, Problem) or parsed is None or int(response.status_code) >= 300:
        code = parsed.code if isinstance(parsed, Problem) else "unexpected_status"
        detail = str(parsed.detail) if isinstance(parsed, Problem) else response.content[:200].decode("utf-8", "replace")
        raise KycError(int(response.status_code), str(code), detail)
    return parsed


class KycClient:
    """One API key of one tenant. `base_url` is the API's origin, e.g. http://127.0.0.1:3000."""

    def __init__(self, base_url: str, api_key: str, timeout: float = 10.0) -> None:
        self.api = AuthenticatedClient(base_url=base_url, token=api_key, timeout=httpx.Timeout(timeout))

    # Leads
    def create_lead(self, lead: LeadCreate, idempotency_key: str | None = None) -> Lead:
        return _ok(create_lead.sync_detailed(client=self.api, body=lead, idempotency_key=idempotency_key or UNSET))

    def get_lead(self, lead_id: str) -> Lead:
        return _ok(get_lead.sync_detailed(lead_id, client=self.api))

    def update_lead(self, lead_id: str, patch: LeadPatch, idempotency_key: str | None = None) -> Lead:
        """A JSON merge patch; with `sumsub_share_token` it imports the customer's Sumsub
        verification. The token is single-use: pass an `idempotency_key` so that a lost
        answer can be retried without spending a fresh token."""
        return _ok(update_lead.sync_detailed(lead_id, client=self.api, body=patch,
                                             idempotency_key=idempotency_key or UNSET))

    def change_status(self, lead_id: str, change: StatusChange) -> Lead:
        return _ok(change_lead_status.sync_detailed(lead_id, client=self.api, body=change))

    # Documents: declare one, PUT the file straight to storage, wait for its checks
    def request_document(self, lead_id: str, document: DocumentCreate) -> DocumentUpload:
        return _ok(create_lead_document.sync_detailed(lead_id, client=self.api, body=document))

    def upload(self, upload: DocumentUpload, content: bytes) -> None:
        """PUTs the bytes to the signed URL with exactly the headers it was signed with
        (no API key: the URL is the permission)."""
        instruction = upload.upload
        headers = {str(k): str(v) for k, v in instruction.headers.to_dict().items()}
        answer = httpx.put(instruction.url, content=content, headers=headers, timeout=30.0)
        if answer.status_code >= 300:
            raise KycError(answer.status_code, "upload_failed", answer.text[:200])

    def get_document(self, lead_id: str, document_id: str) -> Document:
        return _ok(get_lead_document.sync_detailed(lead_id, document_id, client=self.api))

    def wait_for_document(self, lead_id: str, document_id: str, timeout: float = 30.0) -> Document:
        """Polls until the document is scored (`verified` or `rejected`)."""
        deadline = time.monotonic() + timeout
        while True:
            document = self.get_document(lead_id, document_id)
            if str(document.status) in ("verified", "rejected"):
                return document
            if time.monotonic() > deadline:
                raise TimeoutError(f"document {document_id} still {document.status}")
            time.sleep(0.2)

    # KYC links and webhooks
    def create_kyc_link(self, body: dict[str, Any]) -> dict[str, Any]:
        return _ok(create_kyc_link.sync_detailed(client=self.api, body=body)).to_dict()

    def create_webhook_endpoint(self, endpoint: WebhookEndpointCreate) -> Any:
        return _ok(create_webhook_endpoint.sync_detailed(client=self.api, body=endpoint))

    # The events feed, in commit order, following next_cursor
    def events(self, event_type: EventType | None = None, after: str | None = None) -> Iterator[Any]:
        cursor = after
        while True:
            page = _ok(list_events.sync_detailed(client=self.api, after=cursor or UNSET,
                                                 type_=event_type or UNSET, limit=100))
            yield from page.data
            if not page.next_cursor:
                return
            cursor = page.next_cursor
