#!/usr/bin/env python3
"""The onboarding flow as an integrator codes it, against a running kyc-local:
register a webhook receiver, create an enhanced lead, upload its three documents to their
signed URLs, wait for the checks, have a reviewer approve it, then read the events feed
and the webhooks that arrived (each verified with its signature).

Usage (kyc-local started with an integrator, a reviewer and an admin key, see README):
  examples/python/onboarding.py --url http://127.0.0.1:3000 \\
      --key sk_integrator --reviewer-key sk_reviewer --admin-key sk_admin
Prints ids, statuses and check results only (no personal data).
"""

from __future__ import annotations

import argparse
import http.server
import os
import struct
import sys
import threading
import time
import zlib
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from kyc_api.models import DocumentCreate, EventType, LeadCreate, StatusChange, WebhookEndpointCreate  # noqa: E402
from kyc_client import KycClient, verify_webhook  # noqa: E402


def png(width: int, height: int, salt: bytes) -> bytes:
    """A minimal PNG of the given size; `salt` makes each file's bytes (and SHA-256) differ:
    the service rejects a file seen before on any lead of the tenant (duplicate_document)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(salt)) + chunk(b"IEND", b"")


def pdf(salt: bytes) -> bytes:
    return (b"%PDF-1.4\n% " + salt.hex().encode() + b"\n"
            b"1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n"
            b"2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n")


class WebhookReceiver:
    """A loopback HTTP receiver that keeps the raw bodies and headers it is sent."""

    def __init__(self) -> None:
        self.received: list[tuple[dict[str, str], bytes]] = []
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (the stdlib's name)
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                receiver.received.append(({k: v for k, v in self.headers.items()}, body))
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/kyc-hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def onboard(url: str, key: str, reviewer_key: str, admin_key: str, wait: float = 30.0) -> dict[str, Any]:
    """Runs the whole flow and returns what a test asserts on."""
    integrator = KycClient(url, key)
    reviewer = KycClient(url, reviewer_key)
    receiver = WebhookReceiver()
    try:
        endpoint = KycClient(url, admin_key).create_webhook_endpoint(WebhookEndpointCreate.from_dict(
            {"url": receiver.url, "events": ["kyc.status_updated", "kyc.review_completed"]}))
        print(f"webhook endpoint {endpoint.id}")

        suffix = str(time.time_ns())
        lead = integrator.create_lead(LeadCreate.from_dict({
            "level": "enhanced",
            "external_id": f"example-{suffix}",
            "email": "ada@example.com",
            "individual": {"first_name": "Ada", "last_name": "Lovelace", "date_of_birth": "1990-12-10",
                           "nationality": "GB"},
            "address": {"line1": "12 St James's Square", "city": "London", "postal_code": "SW1Y 4JH",
                        "country": "GB"},
        }), idempotency_key=f"onboard-{suffix}")
        print(f"lead {lead.id}: {lead.status}, missing {list(lead.requirements.missing)}")

        files = [("passport", "image/png", png(1600, 1200, os.urandom(16))),
                 ("proof_of_address", "application/pdf", pdf(os.urandom(16))),
                 ("selfie", "image/png", png(1200, 1600, os.urandom(16)))]
        for kind, content_type, content in files:
            upload = integrator.request_document(lead.id, DocumentCreate.from_dict(
                {"kind": kind, "content_type": content_type}))
            integrator.upload(upload, content)
            document = integrator.wait_for_document(lead.id, upload.document.id, timeout=wait)
            results = ", ".join(f"{check.name}={check.result}" for check in document.checks)
            print(f"document {document.id} ({kind}): {document.status} [{results}]")

        lead = integrator.get_lead(lead.id)
        print(f"lead {lead.id}: {lead.status}, review reasons {list(lead.review_reasons)}")
        if str(lead.status) == "under_review":
            lead = reviewer.change_status(lead.id, StatusChange.from_dict(
                {"status": "approved", "reviewer": "example-reviewer"}))
            print(f"lead {lead.id}: {lead.status} by a reviewer")

        events = [event for event in integrator.events(EventType.KYC_STATUS_UPDATED)
                  if event.data.lead_id == lead.id]
        print("events feed: " + " -> ".join(str(event.data.status) for event in events))

        deadline = time.monotonic() + wait
        verified: list[dict[str, Any]] = []
        while time.monotonic() < deadline:
            verified = [verify_webhook(endpoint.secret, headers, body) for headers, body in list(receiver.received)]
            if any(e["type"] == "kyc.review_completed" and e["data"]["lead_id"] == lead.id for e in verified):
                break
            time.sleep(0.2)
        print(f"webhooks received and verified: {[e['type'] for e in verified]}")
        return {"lead": lead, "events": events, "webhooks": verified, "secret": endpoint.secret,
                "raw_webhooks": list(receiver.received)}
    finally:
        receiver.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", default="http://127.0.0.1:3000")
    parser.add_argument("--key", required=True, help="an integrator (or admin) key")
    parser.add_argument("--reviewer-key", required=True, help="a reviewer (or admin) key")
    parser.add_argument("--admin-key", required=True, help="an admin key (webhook endpoints)")
    args = parser.parse_args()
    result = onboard(args.url, args.key, args.reviewer_key, args.admin_key)
    return 0 if str(result["lead"].status) == "approved" else 1


if __name__ == "__main__":
    sys.exit(main())
